"""Routes: regions, warehouses, roads, items (read by any user; changed by admins) and road
status (duty officers and admins)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session

from relief.auth.deps import current_actor, require
from relief.auth.models import Actor
from relief.db import get_session
from relief.network import service
from relief.network.models import (
    ItemIn,
    ItemOut,
    RegionIn,
    RegionLevel,
    RegionOut,
    RoadChangeOut,
    RoadIn,
    RoadOut,
    RoadPatch,
    RoadStatus,
    Tier,
    WarehouseIn,
    WarehouseOut,
)
from relief.network.records import Item, Region, Road, Warehouse

router = APIRouter(prefix="/api/v1", tags=["network"])

# Road ids are 32-bit integers in the database; anything larger cannot name a road.
RoadId = Path(ge=1, le=2_147_483_647)
# Query filters are text without control characters (PostgreSQL refuses NUL).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"


@router.get("/regions", response_model=list[RegionOut])
def list_regions(
    level: RegionLevel | None = None,
    parent_code: str | None = Query(None, max_length=64, pattern=TEXT_PATTERN),
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[RegionOut]:
    rows = service.list_regions(session, level=level, parent_code=parent_code)
    return [RegionOut.model_validate(row, from_attributes=True) for row in rows]


@router.post("/regions", response_model=RegionOut, status_code=201)
def create_region(
    body: RegionIn, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> RegionOut:
    row = service.create_region(session, actor, Region(**body.model_dump()))
    session.commit()
    return RegionOut.model_validate(row, from_attributes=True)


@router.get("/warehouses", response_model=list[WarehouseOut])
def list_warehouses(
    tier: Tier | None = None,
    region_code: str | None = Query(None, max_length=64, pattern=TEXT_PATTERN),
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[WarehouseOut]:
    rows = service.list_warehouses(session, tier=tier, region_code=region_code)
    return [WarehouseOut.model_validate(row, from_attributes=True) for row in rows]


@router.post("/warehouses", response_model=WarehouseOut, status_code=201)
def create_warehouse(
    body: WarehouseIn, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> WarehouseOut:
    row = service.create_warehouse(session, actor, Warehouse(**body.model_dump()))
    session.commit()
    return WarehouseOut.model_validate(row, from_attributes=True)


@router.get("/roads", response_model=list[RoadOut])
def list_roads(
    status: RoadStatus | None = None,
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[RoadOut]:
    return [
        RoadOut.model_validate(row, from_attributes=True)
        for row in service.list_roads(session, status=status)
    ]


@router.post("/roads", response_model=RoadOut, status_code=201)
def create_road(
    body: RoadIn, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> RoadOut:
    row = service.create_road(session, actor, Road(id=None, **body.model_dump()))
    session.commit()
    return RoadOut.model_validate(row, from_attributes=True)


@router.patch("/roads/{road_id}", response_model=RoadChangeOut)
def set_road_status(
    body: RoadPatch,
    road_id: int = RoadId,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> RoadChangeOut:
    row, lost = service.set_road_status(session, actor, road_id, body.status, body.note)
    session.commit()
    road = RoadOut.model_validate(row, from_attributes=True)
    return RoadChangeOut(**road.model_dump(), lost_routes=lost)


@router.get("/items", response_model=list[ItemOut])
def list_items(
    category: str | None = Query(None, max_length=32, pattern=TEXT_PATTERN),
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[ItemOut]:
    return [
        ItemOut.model_validate(row, from_attributes=True)
        for row in service.list_items(session, category=category)
    ]


@router.post("/items", response_model=ItemOut, status_code=201)
def create_item(
    body: ItemIn, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> ItemOut:
    row = service.create_item(session, actor, Item(**body.model_dump()))
    session.commit()
    return ItemOut.model_validate(row, from_attributes=True)
