"""The split by need (relief.funds.split, proportional water-filling) is the same problem as
the lexicographic max-min of x_i / w_i (docs/optimisation.md "Splitting funds by need"):
OR-Tools (GLOP) solves the same instances independently, one LP at a time, and finds the same
shares within a fen; infeasible instances (floors above the total, caps below it) are
refused by both, and by the API with a 422 naming the field."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.linear_solver import pywraplp

from relief.funds.split import CountyNeed, SplitError, split, weight

TOL = 1e-9


def _lp(n, lower, upper, total):
    solver = pywraplp.Solver.CreateSolver("GLOP")
    x = [solver.NumVar(lower[i], upper[i], f"x{i}") for i in range(n)]
    solver.Add(sum(x) == total)
    return solver, x


def lexicographic_max_min(total: float, w: list[float], floor: float, cap: float | None):
    """Maximise the smallest x_i / w_i, fix the regions that cannot rise above it, repeat
    with the others; regions of zero weight come last, with weight 1 among themselves.
    Amounts are scaled so that the total is 1 (GLOP works in floating point). None when the
    LP is infeasible."""
    n = len(w)
    # Whether the bounds admit the total is decided exactly, in whole fen: GLOP's float
    # tolerance would accept a cap one fen short of it (1,000,000 × 1 against 1,000,001).
    if floor * n > total or (cap is not None and cap * n < total):
        return None
    scale = total
    lo = [floor / scale] * n
    hi = [(cap / scale) if cap is not None else 1.0 for _ in range(n)]
    solver, _ = _lp(n, lo, hi, 1.0)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    fixed: dict[int, float] = {}
    positive = [i for i in range(n) if w[i] > 0]
    zero = [i for i in range(n) if w[i] == 0]
    for group, weights in (
        (positive, {i: w[i] for i in positive}),
        (zero, dict.fromkeys(zero, 1.0)),
    ):
        top = max(weights.values(), default=1.0)
        weights = {i: v / top for i, v in weights.items()}
        active = set(group)
        while active:
            lower = [fixed.get(i, lo[i]) for i in range(n)]
            upper = [fixed.get(i, hi[i]) for i in range(n)]
            solver, x = _lp(n, lower, upper, 1.0)
            t = solver.NumVar(0, solver.infinity(), "t")
            for i in active:
                solver.Add(x[i] >= t * weights[i])
            solver.Maximize(t)
            assert solver.Solve() == pywraplp.Solver.OPTIMAL
            level = t.solution_value()
            # Which regions cannot rise above the level while the others keep it?
            reach = {}
            for i in active:
                probe, y = _lp(n, lower, upper, 1.0)
                for j in active:
                    probe.Add(y[j] >= level * weights[j] - TOL)
                probe.Maximize(y[i])
                assert probe.Solve() == pywraplp.Solver.OPTIMAL
                reach[i] = y[i].solution_value() / weights[i]
            blocked = [i for i in active if reach[i] <= level + 1e-7] or [
                min(active, key=reach.__getitem__)
            ]
            for i in blocked:
                fixed[i] = min(max(level * weights[i], lo[i]), hi[i])
                active.discard(i)
    return [fixed[i] * scale for i in range(n)]


county = st.builds(
    CountyNeed,
    code=st.just(""),
    needing_aid=st.integers(0, 2_000),
    collapsed_households=st.integers(0, 50),
    severe_households=st.integers(0, 50),
    general_households=st.one_of(st.just(0), st.integers(0, 200)),
    households=st.integers(0, 500),
    dibao_households=st.integers(0, 500),
    poverty_registered_households=st.integers(0, 500),
)
zero_need = st.just(CountyNeed(""))


@st.composite
def instances(draw):
    needs = draw(st.lists(st.one_of(county, zero_need), min_size=1, max_size=6))
    needs = [CountyNeed(**{**n.__dict__, "code": f"C{i}"}) for i, n in enumerate(needs)]
    total = draw(st.integers(100, 10**10))
    n = len(needs)
    floor = draw(st.one_of(st.just(0), st.integers(0, 2 * total // n)))
    # A floor may be above the total (then the cap is at least the floor): never an empty range.
    cap = draw(st.one_of(st.none(), st.integers(max(floor, total // (2 * n)), max(floor, total))))
    return needs, total, floor, cap


def _weighted(needs):
    from relief.funds.split import Weights, need_fen

    w = Weights()
    return [float(Fraction(need_fen(c, w)) * weight(c, w)) for c in needs]


@settings(max_examples=60, deadline=None)
@given(instances())
def test_the_split_is_the_lexicographic_max_min_that_or_tools_finds(instance):
    needs, total, floor, cap = instance
    wn = _weighted(needs)
    if all(v == 0 for v in wn):
        wn = [1.0] * len(wn)  # nobody reported need: equal shares, as the split does
    lp = lexicographic_max_min(total, wn, floor, cap)
    try:
        shares = split(total, needs, floor, cap)
    except SplitError as refused:
        assert lp is None, f"split refused ({refused.field}) what the LP solved: {lp}"
        assert refused.field == ("floor" if floor * len(needs) > total else "cap")
        return
    assert lp is not None, "the LP is infeasible where the split gave shares"
    for share, x in zip(shares, lp, strict=True):
        assert abs(share.amount_fen - x) <= 1 + 1e-6 * total, (share, x)


def test_a_region_with_no_need_keeps_its_floor_until_every_other_is_at_its_cap():
    needs = [CountyNeed("A"), CountyNeed("B", needing_aid=1), CountyNeed("C", needing_aid=3)]
    shares = split(10_000, needs, floor_fen=1_000, cap_fen=5_000)
    assert [s.amount_fen for s in shares] == [1_000, 4_000, 5_000]
    assert lexicographic_max_min(10_000, _weighted(needs), 1_000, 5_000) == pytest.approx(
        [1_000, 4_000, 5_000], abs=1e-3
    )
    # Both others capped: the rest goes to A (it was an endless loop before).
    shares = split(14_000, needs, floor_fen=1_000, cap_fen=5_000)
    assert [s.amount_fen for s in shares] == [4_000, 5_000, 5_000]


def test_the_api_refuses_infeasible_bounds_naming_the_field(client, world):
    body = {"from_code": "150100", "source": "central", "total": "100.00"}
    floors = client.post(
        "/api/v1/funds/proposals", json=body | {"floor": "60.00"}, headers=world.admin
    )
    assert floors.status_code == 422 and floors.json()["detail"]["field"] == "floor"
    caps = client.post("/api/v1/funds/proposals", json=body | {"cap": "40.00"}, headers=world.admin)
    assert caps.status_code == 422 and caps.json()["detail"]["field"] == "cap"
