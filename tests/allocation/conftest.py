"""Builders for allocation tests: small networks of plain records, written out by hand."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from relief.allocation.model import AllocationInput, DemandLine
from relief.emergency.records import Norm, Policy
from relief.network.records import Item, Region, Road, StockLevel, Warehouse

D = Decimal


def region(code: str, level: str = "township", parent: str | None = None) -> Region:
    return Region(code, code, level, parent, 0.0, 0.0)


def warehouse(code: str, region_code: str, tier: str = "county") -> Warehouse:
    return Warehouse(code, code, tier, region_code, 0.0, 0.0)


def road(a: str, b: str, km: str | float, h: str | float, status: str = "open") -> Road:
    return Road(None, a, b, D(str(km)), D(str(h)), status)


def item(code: str, weight: str = "10") -> Item:
    return Item(code, code, code, "piece", D(weight), D("0.1"), "")


def stock(w: str, k: str, on_hand: int, floor: int = 0, reserved: int = 0) -> StockLevel:
    return StockLevel(w, k, on_hand, floor, reserved)


def policy(
    deadline: str = "8",
    cross: tuple[int, ...] = (1, 2),
    tiers: dict[str, str] | None = None,
    cross_penalty: str = "30",
    norms: list[Norm] | None = None,
) -> Policy:
    return Policy(
        deadlines_h={lv: D(deadline) for lv in (1, 2, 3, 4)},
        cross_jurisdiction_levels=frozenset(cross),
        tier_penalty_ton_km={
            k: D(v)
            for k, v in (tiers or {"county": "0", "prefecture": "20", "provincial": "60"}).items()
        },
        cross_jurisdiction_penalty_ton_km=D(cross_penalty),
        norms=norms or [],
    )


# A province P with one prefecture F and two counties; townships t1, t2 in C1, t3 in C2.
TREE = [
    region("P", "province"),
    region("F", "prefecture", "P"),
    region("C1", "county", "F"),
    region("C2", "county", "F"),
    region("t1", "township", "C1"),
    region("t2", "township", "C1"),
    region("t3", "township", "C2"),
]


def allocation_input(
    demand: list[tuple[str, str, int, int]],
    stocks: list[StockLevel],
    roads: list[Road],
    warehouses: list[Warehouse],
    items: list[Item] | None = None,
    level: int = 1,
    regions: list[Region] | None = None,
    **policy_args,
) -> AllocationInput:
    lines = [DemandLine(j, k, q, p) for j, k, q, p in demand]
    return AllocationInput(
        regions=regions or TREE,
        warehouses=warehouses,
        items=items if items is not None else [item(k) for k in sorted({d[1] for d in demand})],
        stock=stocks,
        demand=lines,
        policy=policy(**policy_args),
        level=level,
        roads=roads,
    )


@pytest.fixture(scope="session")
def build() -> SimpleNamespace:
    """The builders above, for tests that take them as a fixture."""
    return SimpleNamespace(
        region=region,
        warehouse=warehouse,
        road=road,
        item=item,
        stock=stock,
        policy=policy,
        tree=TREE,
        input=allocation_input,
    )
