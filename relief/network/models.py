"""Regions, warehouses, roads and items: tables and API schemas."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, field_validator
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from relief.errors import N_

RegionLevel = Literal["province", "prefecture", "county", "township", "village"]
Tier = Literal["provincial", "prefecture", "county"]
RoadStatus = Literal["open", "closed"]


class RegionRow(SQLModel, table=True):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint(
            "level in ('province','prefecture','county','township','village')",
            name="ck_regions_level",
        ),
        CheckConstraint("population is null or population >= 0", name="ck_regions_population"),
        CheckConstraint(
            "rural_population is null or rural_population >= 0",
            name="ck_regions_rural_population",
        ),
    )

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    level: str = Field(max_length=16)
    parent_code: str | None = Field(default=None, foreign_key="regions.code", index=True)
    lat: float
    lon: float
    population: int | None = None
    rural_population: int | None = None


class WarehouseRow(SQLModel, table=True):
    __tablename__ = "warehouses"
    __table_args__ = (
        CheckConstraint("tier in ('provincial','prefecture','county')", name="ck_warehouses_tier"),
        CheckConstraint("capacity_m3 >= 0", name="ck_warehouses_capacity"),
    )

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    tier: str = Field(max_length=16)
    region_code: str = Field(foreign_key="regions.code", index=True)
    lat: float
    lon: float
    capacity_m3: Decimal = Field(
        default=Decimal(0), sa_column=Column(Numeric(14, 2), nullable=False)
    )


class RoadRow(SQLModel, table=True):
    __tablename__ = "roads"
    __table_args__ = (
        CheckConstraint("distance_km >= 0", name="ck_roads_distance"),
        CheckConstraint("travel_time_h >= 0", name="ck_roads_time"),
        CheckConstraint("status in ('open','closed')", name="ck_roads_status"),
        CheckConstraint("from_code <> to_code", name="ck_roads_not_loop"),
        UniqueConstraint("scenario_key", name="uq_roads_scenario_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    from_code: str = Field(max_length=64, index=True)
    to_code: str = Field(max_length=64, index=True)
    distance_km: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    travel_time_h: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))
    status: str = Field(default="open", max_length=8)
    # The road's key in the scenario folder it came from (its id column or derived), so that
    # reloading a folder updates the same row.
    scenario_key: str | None = Field(default=None, max_length=128)


class ItemRow(SQLModel, table=True):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("weight_kg >= 0", name="ck_items_weight"),
        CheckConstraint("volume_m3 >= 0", name="ck_items_volume"),
    )

    code: str = Field(primary_key=True, max_length=64)
    name_zh: str = Field(max_length=128)
    name_en: str = Field(max_length=128)
    unit: str = Field(max_length=16)
    weight_kg: Decimal = Field(sa_column=Column(Numeric(12, 3), nullable=False))
    volume_m3: Decimal = Field(sa_column=Column(Numeric(12, 4), nullable=False))
    category: str = Field(max_length=32)


class NetworkVersionRow(SQLModel, table=True):
    """One row whose token the database itself replaces (triggers on regions, warehouses and
    roads, migration reqcut_0001) in the transaction of every change to them: a process may
    keep what it derived from those tables (the road graph) for as long as the token stays
    the same, and every worker sees a change at its commit."""

    __tablename__ = "network_version"

    id: int = Field(default=1, primary_key=True)
    token: str = Field(max_length=64)


# --- API schemas ------------------------------------------------------------------------


def _no_control_chars(value: str) -> str:
    # PostgreSQL refuses NUL in text, and no name or code means a control character: refuse
    # them here as a validation error instead of failing in the database.
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValueError(N_("must not contain control characters"))
    return value


# A new code: what a scenario folder allows (no spaces, and not `~ # :`, which road keys and
# the CLI's FROM:TO use as separators).
Code = Annotated[
    str,
    PField(min_length=1, max_length=64, pattern=r"^[^\s~#:]+$"),
    AfterValidator(_no_control_chars),
]
# A reference to an existing code: looked up, not pattern-checked, so that an unknown code
# is 422 `unknown_code` on its field.
CodeRef = Annotated[str, PField(min_length=1, max_length=64), AfterValidator(_no_control_chars)]
Name = Annotated[str, PField(min_length=1, max_length=128), AfterValidator(_no_control_chars)]
Latitude = Annotated[float, PField(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, PField(ge=-180, le=180, allow_inf_nan=False)]
# Columns are 32-bit integers on PostgreSQL; a larger population is a typo, not a region.
Population = Annotated[int, PField(ge=0, le=2_000_000_000)]


class RegionIn(BaseModel):
    code: Code
    name: Name
    level: RegionLevel
    parent_code: CodeRef | None = None
    lat: Latitude
    lon: Longitude
    population: Population | None = None
    rural_population: Population | None = None


class RegionOut(BaseModel):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    lat: float
    lon: float
    population: int | None
    rural_population: int | None = None


class WarehouseIn(BaseModel):
    code: Code
    name: Name
    tier: Tier
    region_code: CodeRef
    lat: Latitude
    lon: Longitude
    capacity_m3: Decimal = PField(default=Decimal(0), ge=0, max_digits=14, decimal_places=2)


class WarehouseOut(BaseModel):
    code: str
    name: str
    tier: Tier
    region_code: str
    lat: float
    lon: float
    capacity_m3: float


class RoadIn(BaseModel):
    from_code: CodeRef
    to_code: CodeRef
    distance_km: Decimal = PField(ge=0, max_digits=12, decimal_places=2)
    travel_time_h: Decimal = PField(ge=0, max_digits=10, decimal_places=2)
    status: RoadStatus = "open"


class RoadOut(BaseModel):
    id: int
    from_code: str
    to_code: str
    distance_km: float
    travel_time_h: float
    status: RoadStatus


class RoadPatch(BaseModel):
    status: RoadStatus
    note: str = PField(default="", max_length=500)

    _note_text = field_validator("note")(_no_control_chars)


class LostRoute(BaseModel):
    region_code: str
    warehouse_code: str
    before_h: float
    after_h: float | None


class RoadChangeOut(RoadOut):
    lost_routes: list[LostRoute]


class ItemIn(BaseModel):
    code: Code
    name_zh: Name
    name_en: Name
    unit: Annotated[str, PField(min_length=1, max_length=16), AfterValidator(_no_control_chars)]
    weight_kg: Decimal = PField(ge=0, max_digits=12, decimal_places=3)
    volume_m3: Decimal = PField(ge=0, max_digits=12, decimal_places=4)
    category: Annotated[str, PField(min_length=1, max_length=32), AfterValidator(_no_control_chars)]


class ItemOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    unit: str
    weight_kg: float
    volume_m3: float
    category: str
