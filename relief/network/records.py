"""Plain records of the network: what a scenario folder or the database hands to pure code.

The graph module, the solver and the scenario validator work on these, never on ORM rows,
so that they can run from a folder with no database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

REGION_LEVELS = ("province", "prefecture", "county", "township", "village")
TIERS = ("provincial", "prefecture", "county")
# The region level a warehouse of each tier belongs to.
TIER_REGION_LEVEL = {"provincial": "province", "prefecture": "prefecture", "county": "county"}


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    lat: float
    lon: float
    population: int | None = None
    # 乡村人口 (issue 14): the denominator of a policy's share criteria; None = not given.
    rural_population: int | None = None


@dataclass(frozen=True, slots=True)
class Warehouse:
    code: str
    name: str
    tier: str
    region_code: str
    lat: float
    lon: float
    capacity_m3: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Road:
    """An undirected road. `id` is the database id or the scenario's id column (or None)."""

    id: int | str | None
    from_code: str
    to_code: str
    distance_km: Decimal
    travel_time_h: Decimal
    status: str = "open"


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    name_zh: str
    name_en: str
    unit: str
    weight_kg: Decimal
    volume_m3: Decimal
    category: str


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Stock of one warehouse x item as the allocation sees it."""

    warehouse_code: str
    item_code: str
    on_hand: int
    floor: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.floor)


class ReachRules(Protocol):
    """What eligibility needs of a response policy: the delivery deadline of each level
    (hours; a level without one is not cut off) and the levels at which a warehouse may
    serve regions outside its own jurisdiction. The emergency domain's ``Policy`` has
    both; the network layer names only these two, so it imports nothing above it."""

    @property
    def deadlines_h(self) -> Mapping[int, Decimal]: ...

    @property
    def cross_jurisdiction_levels(self) -> Collection[int]: ...
