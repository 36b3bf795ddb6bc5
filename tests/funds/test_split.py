"""The split of a sum across counties by need (relief.funds.split): property tests."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from relief.funds.split import CountyNeed, Weights, split

county = st.builds(
    CountyNeed,
    code=st.just(""),
    needing_aid=st.integers(0, 100_000),
    collapsed_households=st.integers(0, 5_000),
    severe_households=st.integers(0, 5_000),
    general_households=st.integers(0, 5_000),
    households=st.integers(0, 10_000),
    dibao_households=st.integers(0, 10_000),
    poverty_registered_households=st.integers(0, 10_000),
)


@st.composite
def cases(draw):
    needs = draw(st.lists(county, min_size=1, max_size=8))
    needs = [CountyNeed(**{**n.__dict__, "code": f"C{i}"}) for i, n in enumerate(needs)]
    total = draw(st.integers(1, 10**11))
    n = len(needs)
    floor = draw(st.integers(0, total // n))
    cap = draw(st.one_of(st.none(), st.integers(max(floor, -(-total // n)), total)))
    return needs, total, floor, cap


@settings(max_examples=150, deadline=None)
@given(cases())
def test_the_shares_add_up_to_the_total_and_keep_floor_and_cap(case):
    needs, total, floor, cap = case
    shares = split(total, needs, floor, cap)
    assert sum(s.amount_fen for s in shares) == total
    assert all(s.amount_fen >= floor for s in shares)
    assert cap is None or all(s.amount_fen <= cap for s in shares)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_more_weighted_need_never_gets_less(case):
    needs, total, floor, cap = case
    shares = split(total, needs, floor, cap)
    for a in shares:
        for b in shares:
            if a.weighted_need > b.weighted_need:
                assert a.amount_fen >= b.amount_fen


def test_each_share_is_explained_by_need_weight_and_binding_bound():
    needs = [
        CountyNeed("A", needing_aid=100, households=100, dibao_households=50),
        CountyNeed("B", needing_aid=10),
        CountyNeed("C", needing_aid=1000),
    ]
    a, b, c = split(10_000_000, needs, floor_fen=1_000_000, cap_fen=6_000_000)
    assert (a.need_fen, a.weight, a.bound) == (10_000_000, 1.25, None)
    assert (b.amount_fen, b.bound) == (1_000_000, "floor")
    assert (c.amount_fen, c.bound) == (6_000_000, "cap")
    assert a.amount_fen == 3_000_000


def test_the_weights_of_the_policy_change_the_need():
    need = CountyNeed("A", needing_aid=1, collapsed_households=1)
    (share,) = split(100, [need], weights=Weights(per_person_fen=1, collapsed_fen=2))
    assert share.need_fen == 3 and share.amount_fen == 100


def test_no_reported_need_splits_equally():
    shares = split(301, [CountyNeed("A"), CountyNeed("B"), CountyNeed("C")])
    assert sorted(s.amount_fen for s in shares) == [100, 100, 101]
