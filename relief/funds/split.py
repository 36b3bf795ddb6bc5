"""Splitting a sum across counties by need, with a floor and a cap per county (pure).

Need of a county = people needing relief × the per-person amount + damaged houses × the
standard per household of each damage class (the policy's `funds.split`, marked assumed);
its weight = 1 + w_dibao × (低保 share of households) + w_poverty × (建档立卡 share). The
weighted need is need × weight.

The split is proportional water-filling, not a solver call: find λ so that
Σ clamp(λ × weighted_need, floor, cap) = total, then round to whole fen by largest remainder.
That is the unique minimiser of Σ x_i² / weighted_need_i subject to Σ x_i = total and
floor ≤ x_i ≤ cap, equivalently the lexicographic max-min of x_i / weighted_need_i
(docs/optimisation.md "Splitting funds by need" shows why). Regions with no weighted need
keep their floor, and share equally what is left only when every other region is at its cap.
tests/funds/test_split_ortools.py solves the same instances with OR-Tools (GLOP, the
lexicographic max-min) and finds the same shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class CountyNeed:
    code: str
    needing_aid: int = 0
    collapsed_households: int = 0
    severe_households: int = 0
    general_households: int = 0
    households: int = 0
    dibao_households: int = 0
    poverty_registered_households: int = 0


@dataclass(frozen=True)
class Weights:
    """Fen per person needing aid and per damaged household; category weights. Assumed."""

    per_person_fen: int = 100_000  # 1,000 元
    collapsed_fen: int = 2_500_000  # 25,000 元
    severe_fen: int = 1_000_000  # 10,000 元
    general_fen: int = 300_000  # 3,000 元
    dibao: Fraction = Fraction(1, 2)
    poverty_registered: Fraction = Fraction(1, 2)


@dataclass(frozen=True)
class Share:
    code: str
    need_fen: int
    weight: Fraction
    weighted_need: Fraction
    amount_fen: int
    bound: str | None  # "floor", "cap" or None (proportional)
    reasons: list[str] = field(default_factory=list)


class SplitError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def need_fen(county: CountyNeed, w: Weights) -> int:
    return (
        county.needing_aid * w.per_person_fen
        + county.collapsed_households * w.collapsed_fen
        + county.severe_households * w.severe_fen
        + county.general_households * w.general_fen
    )


def weight(county: CountyNeed, w: Weights) -> Fraction:
    if county.households <= 0:
        return Fraction(1)
    dibao = Fraction(min(county.dibao_households, county.households), county.households)
    poor = Fraction(min(county.poverty_registered_households, county.households), county.households)
    return 1 + w.dibao * dibao + w.poverty_registered * poor


def _clamped(lam: Fraction, x: Fraction, floor: int, cap: int | None) -> Fraction:
    v = max(Fraction(floor), lam * x)
    return v if cap is None else min(Fraction(cap), v)


def split(
    total_fen: int,
    counties: list[CountyNeed],
    floor_fen: int = 0,
    cap_fen: int | None = None,
    weights: Weights | None = None,
) -> list[Share]:
    """Shares in the order of `counties`, summing to `total_fen` exactly."""
    w = weights or Weights()
    n = len(counties)
    if n == 0:
        raise SplitError("counties", "no county to split among")
    if len({c.code for c in counties}) != n:
        raise SplitError("counties", "a county is listed twice")
    if floor_fen < 0:
        raise SplitError("floor", "the floor is negative")
    if cap_fen is not None and cap_fen < floor_fen:
        raise SplitError("cap", "the cap is below the floor")
    if floor_fen * n > total_fen:
        raise SplitError("floor", "the floors add up to more than the total")
    if cap_fen is not None and cap_fen * n < total_fen:
        raise SplitError("cap", "the caps add up to less than the total")
    needs = [need_fen(c, w) for c in counties]
    weights_ = [weight(c, w) for c in counties]
    wn = [Fraction(nd) * wt for nd, wt in zip(needs, weights_, strict=True)]
    exact, bounds = _exact_shares(total_fen, wn, floor_fen, cap_fen)
    amounts = [int(v) for v in exact]  # floor (all ≥ 0)
    left = total_fen - sum(amounts)
    # Largest remainder, ties to more weighted need, then to the order given.
    order = sorted(range(n), key=lambda i: (-(exact[i] - amounts[i]), -wn[i], i))
    while left > 0:
        for i in order:
            if left <= 0:
                break
            if cap_fen is None or amounts[i] < cap_fen:
                amounts[i] += 1
                left -= 1
    return [
        Share(c.code, needs[i], weights_[i], wn[i], amounts[i], bounds[i])
        for i, c in enumerate(counties)
    ]


def _exact_shares(
    total: int, wn: list[Fraction], floor: int, cap: int | None
) -> tuple[list[Fraction], list[str | None]]:
    """The exact (unrounded) shares and which bound holds each (docs/optimisation.md
    "Splitting funds by need"). Regions with weighted need get money first; those with none
    get their floor, and share what is left equally only when every other is at its cap."""
    n = len(wn)
    positive = [i for i in range(n) if wn[i] > 0]
    zero = [i for i in range(n) if wn[i] == 0]
    if not positive:  # nobody reported need: equal shares
        return _water_fill(total, [Fraction(1)] * n, floor, cap)
    to_positive = total - floor * len(zero)
    if cap is not None:
        to_positive = min(to_positive, cap * len(positive))
    exact: list[Fraction] = [Fraction(0)] * n
    bounds: list[str | None] = [None] * n
    for group, sub_total, weights in (
        (positive, to_positive, [wn[i] for i in positive]),
        (zero, total - to_positive, [Fraction(1)] * len(zero)),
    ):
        if not group:
            continue
        values, marks = _water_fill(sub_total, weights, floor, cap)
        for i, v, m in zip(group, values, marks, strict=True):
            exact[i], bounds[i] = v, m
    return exact, bounds


def _water_fill(
    total: int, wn: list[Fraction], floor: int, cap: int | None
) -> tuple[list[Fraction], list[str | None]]:
    """x_i = clamp(λ × wn_i, floor, cap) with Σ x_i = total, every wn_i > 0 and
    floor × n ≤ total ≤ cap × n (checked by the caller)."""
    # Bisection on λ over exact fractions: the clamped sum is non-decreasing in λ and reaches
    # the total (every wn_i > 0, so a large λ brings each to its cap, or past any total).
    lo, hi = Fraction(0), Fraction(1)
    while sum(_clamped(hi, x, floor, cap) for x in wn) < total:
        hi *= 2
    for _ in range(400):
        mid = (lo + hi) / 2
        if sum(_clamped(mid, x, floor, cap) for x in wn) < total:
            lo = mid
        else:
            hi = mid
        if hi - lo <= hi / 10**24:
            break
    # The regions bound at hi stay bound at the exact λ; solve for it on the others.
    lam = hi
    bound_at = [_bound(_clamped(hi, x, floor, cap), x, hi, floor, cap) for x in wn]
    free_sum = sum(x for x, b in zip(wn, bound_at, strict=True) if b is None)
    fixed = sum(Fraction(floor if b == "floor" else cap or 0) for b in bound_at if b is not None)
    if free_sum:
        candidate = (total - fixed) / free_sum
        if sum(_clamped(candidate, x, floor, cap) for x in wn) == total:
            lam = candidate
    exact = [_clamped(lam, x, floor, cap) for x in wn]
    return exact, [_bound(v, x, lam, floor, cap) for v, x in zip(exact, wn, strict=True)]


def _bound(v: Fraction, x: Fraction, lam: Fraction, floor: int, cap: int | None) -> str | None:
    if cap is not None and v == cap and lam * x >= cap:
        return "cap"
    if v == floor and lam * x <= floor and floor > 0:
        return "floor"
    return None
