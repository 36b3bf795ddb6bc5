"""Splitting a sum across counties by need, with a floor and a cap per county (pure).

Need of a county = people needing relief × the per-person amount + damaged houses × the
standard per household of each damage class (the policy's `funds.split`, marked assumed);
its weight = 1 + w_dibao × (低保 share of households) + w_poverty × (建档立卡 share). The
weighted need is need × weight.

The split is proportional water-filling, not a solver: find λ so that
Σ clamp(λ × weighted_need, floor, cap) = total, then round to whole fen by largest remainder.
That is the solution of the LP "maximise the smallest share-to-need ratio subject to the
bounds", so OR-Tools is not needed for it; the tests check the properties instead (the sum is
the total, floors and caps hold, more weighted need never gets less).
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
    if sum(wn) == 0:  # nobody reported need: equal shares
        wn = [Fraction(1)] * n
    # Bisection on λ over exact fractions: the clamped sum is non-decreasing in λ.
    lo, hi = Fraction(0), Fraction(1)
    while sum(_clamped(hi, x, floor_fen, cap_fen) for x in wn) < total_fen:
        hi *= 2
    for _ in range(400):
        mid = (lo + hi) / 2
        if sum(_clamped(mid, x, floor_fen, cap_fen) for x in wn) < total_fen:
            lo = mid
        else:
            hi = mid
        if hi - lo <= hi / 10**24:
            break
    # The counties bound at hi stay bound at the exact λ; solve for it on the others.
    lam = hi
    bound_at = [_bound(_clamped(hi, x, floor_fen, cap_fen), x, hi, floor_fen, cap_fen) for x in wn]
    free_sum = sum(x for x, b in zip(wn, bound_at, strict=True) if b is None)
    fixed = sum(
        Fraction(floor_fen if b == "floor" else cap_fen or 0) for b in bound_at if b is not None
    )
    if free_sum:
        candidate = (total_fen - fixed) / free_sum
        if sum(_clamped(candidate, x, floor_fen, cap_fen) for x in wn) == total_fen:
            lam = candidate
    exact = [_clamped(lam, x, floor_fen, cap_fen) for x in wn]
    hi = lam
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
    shares = []
    for i, c in enumerate(counties):
        bound = _bound(exact[i], wn[i], hi, floor_fen, cap_fen)
        shares.append(Share(c.code, needs[i], weights_[i], wn[i], amounts[i], bound))
    return shares


def _bound(v: Fraction, x: Fraction, lam: Fraction, floor: int, cap: int | None) -> str | None:
    if cap is not None and v == cap and lam * x >= cap:
        return "cap"
    if v == floor and lam * x <= floor and floor > 0:
        return "floor"
    return None
