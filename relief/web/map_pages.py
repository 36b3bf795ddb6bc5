"""The network map and its side panel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from relief.auth.models import Actor
from relief.db import get_session
from relief.dispatch import service as dispatch
from relief.emergency import responses as emergency_responses
from relief.emergency import service as emergency
from relief.errors import not_found
from relief.network import service as network
from relief.origin import same_site_posts
from relief.stock import service as stock
from relief.web import netmap
from relief.web.home import ActiveResponse, _active_responses
from relief.web.shell import items_by_code, render, signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])


# --- network map -----------------------------------------------------------------------------


def _selection(
    session: Session, warehouse: str | None, region: str | None
) -> dict[str, Any] | None:
    """What the side panel shows for a selected warehouse or region (None: nothing chosen)."""
    if warehouse:
        row = network.get_warehouse(session, warehouse)
        if row is None:
            raise not_found("warehouse", warehouse, "warehouse")
        return {
            "kind": "warehouse",
            "warehouse": row,
            "region": network.get_region(session, row.region_code),
            "stock": stock.stock_of(session, row.code),
        }
    if region:
        row = network.get_region(session, region)
        if row is None:
            raise not_found("region", region, "region")
        return {
            "kind": "region",
            "region": row,
            "parent": network.get_region(session, row.parent_code) if row.parent_code else None,
            "warehouses": network.list_warehouses(session, region_code=row.code),
            "below": len(network.region_descendants(session, row.code)) - 1,
            "needs": _region_needs(session, row.code),
        }
    return None


def _region_needs(session: Session, code: str) -> list[tuple[ActiveResponse, list]]:
    """The region's needs in each active response: per item, demand, planned, dispatched and
    received, overdue marked (the fulfilment the duty officer follows)."""
    needs = []
    for response in _active_responses(session):
        lines = [
            line
            for line in dispatch.response_fulfilment(session, response.response_id)
            if line.region_code == code
        ]
        if lines:
            needs.append((response, lines))
    return needs


def map_drawing(
    session: Session,
    *,
    affected: dict[str, int] | None = None,
    flows: Iterable[netmap.Flow] = (),
    closed_road_ids: Iterable[int] = (),
) -> netmap.MapDrawing:
    """The network drawn for the map; response pages pass `affected` regions, plan `flows`
    and the event's closed roads."""
    regions, warehouses, roads, _ = network.network_records(session)
    return netmap.draw_network(
        regions,
        warehouses,
        roads,
        affected=affected,
        flows=list(flows),
        closed_road_ids=set(closed_road_ids),
    )


def _closed_for_active_events(session: Session) -> set[int]:
    """Roads closed by the events that have an active response: the network map shows what
    is impassable now, not only the network's own road status."""
    closed: set[int] = set()
    for row in emergency_responses.list_responses(session):
        if row.status == "active":
            closed |= emergency.closed_road_ids(session, row.event_id)
    return closed


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    warehouse: str | None = Query(None),
    region: str | None = Query(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    return render(
        request,
        "map.html",
        actor,
        drawing=map_drawing(session, closed_road_ids=_closed_for_active_events(session)),
        selected=_selection(session, warehouse, region),
        items=items_by_code(session),
    )


@router.get("/map/panel", response_class=HTMLResponse)
def map_panel(
    request: Request,
    warehouse: str | None = Query(None),
    region: str | None = Query(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """The side panel alone, for map.js to swap in without reloading the map."""
    return render(
        request,
        "map_panel.html",
        actor,
        selected=_selection(session, warehouse, region),
        items=items_by_code(session),
    )
