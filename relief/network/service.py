"""Network service: regions, warehouses, roads and items (the only code that changes them).

Every function takes a session and an actor, checks the rules of the network (the same
rules the scenario validator applies to a folder, so that a loaded folder and an API edit
cannot disagree), writes, and records the change in the audit trail. Callers commit.

Writes take plain records (relief.network.records), so the API and the scenario loader
go through the same checks. `upsert_*` are the loader's entry points: they create, update
or leave a row alone, and audit only what changed, which is what makes loading a folder
twice a no-op.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

import networkx as nx
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from relief.audit import service as audit
from relief.auth.models import Actor
from relief.errors import DomainError, Term, invalid, not_found, unknown_code
from relief.network import graph
from relief.network.models import ItemRow, NetworkVersionRow, RegionRow, RoadRow, WarehouseRow
from relief.network.records import REGION_LEVELS, TIER_REGION_LEVEL, Item, Region, Road, Warehouse

Outcome = Literal["created", "updated", "unchanged"]

# The scale of each Numeric column: values are compared and stored at this scale, so that
# a reload compares like with like (a value with more decimals is refused, not rounded).
_SCALE = {"capacity_m3": 2, "distance_km": 2, "travel_time_h": 2, "weight_kg": 3, "volume_m3": 4}
# Chunk size for `IN (...)` lists (SQLite caps the number of bound parameters).
_IN_CHUNK = 500


# --- reading -----------------------------------------------------------------------------


def get_region(session: Session, code: str) -> RegionRow | None:
    return session.get(RegionRow, code)


def get_warehouse(session: Session, code: str) -> WarehouseRow | None:
    return session.get(WarehouseRow, code)


def warehouses_by_code(session: Session, codes: Iterable[str]) -> dict[str, WarehouseRow]:
    """The warehouses of these codes that exist, in one statement."""
    wanted = sorted(set(codes))
    rows = session.exec(select(WarehouseRow).where(col(WarehouseRow.code).in_(wanted))).all()
    return {row.code: row for row in rows}


def get_item(session: Session, code: str) -> ItemRow | None:
    return session.get(ItemRow, code)


def get_road(session: Session, road_id: int) -> RoadRow | None:
    return session.get(RoadRow, road_id)


def list_regions(
    session: Session, *, level: str | None = None, parent_code: str | None = None
) -> list[RegionRow]:
    query = select(RegionRow)
    if level is not None:
        query = query.where(RegionRow.level == level)
    if parent_code is not None:
        query = query.where(RegionRow.parent_code == parent_code)
    return list(session.exec(query.order_by(RegionRow.code)).all())


def list_warehouses(
    session: Session, *, tier: str | None = None, region_code: str | None = None
) -> list[WarehouseRow]:
    query = select(WarehouseRow)
    if tier is not None:
        query = query.where(WarehouseRow.tier == tier)
    if region_code is not None:
        query = query.where(WarehouseRow.region_code == region_code)
    return list(session.exec(query.order_by(WarehouseRow.code)).all())


def list_roads(session: Session, *, status: str | None = None) -> list[RoadRow]:
    query = select(RoadRow)
    if status is not None:
        query = query.where(RoadRow.status == status)
    return list(session.exec(query.order_by(col(RoadRow.id))).all())


def list_items(session: Session, *, category: str | None = None) -> list[ItemRow]:
    query = select(ItemRow)
    if category is not None:
        query = query.where(ItemRow.category == category)
    return list(session.exec(query.order_by(ItemRow.code)).all())


def region_lineage(session: Session, code: str) -> list[str]:
    """The region and its ancestors up to the root (empty for an unknown code).

    One statement for the whole chain (a recursive query loads the region and its ancestors
    into the session), not one per level; a chain the session already holds costs none."""
    if not _lineage_in_session(session, code):
        _load_lineages(session, [code])
    lineage: list[str] = []
    seen: set[str] = set()
    current = _in_session(session, code)
    while current is not None and current.code not in seen:
        lineage.append(current.code)
        seen.add(current.code)
        current = _in_session(session, current.parent_code) if current.parent_code else None
    return lineage


def regions_and_ancestors(session: Session, codes: Iterable[str]) -> dict[str, RegionRow]:
    """The named regions and all their ancestors, by code (unknown codes are left out): one
    recursive query for them all, none for the chains the session already holds."""
    wanted = sorted({c for c in codes if c})
    missing = [c for c in wanted if not _lineage_in_session(session, c)]
    if missing:
        _load_lineages(session, missing)
    found: dict[str, RegionRow] = {}
    for code in wanted:
        current = _in_session(session, code)
        while current is not None and current.code not in found:
            found[current.code] = current
            current = _in_session(session, current.parent_code) if current.parent_code else None
    return found


def _load_lineages(session: Session, codes: Sequence[str]) -> None:
    """Load the regions and all their ancestors into the session in one statement."""
    up = (
        select(RegionRow.code, RegionRow.parent_code)
        .where(col(RegionRow.code).in_(codes))
        .cte("lineage", recursive=True)
    )
    # UNION, not UNION ALL: a cycle in bad data ends instead of looping.
    up = up.union(
        select(RegionRow.code, RegionRow.parent_code).join(
            up, col(RegionRow.code) == up.c.parent_code
        )
    )
    rows = session.exec(select(RegionRow).where(col(RegionRow.code).in_(select(up.c.code))))
    # The identity map holds rows weakly: keep them for the session's life, so that the
    # walks through them and the next lineage through them find them there.
    session.info.setdefault("relief.regions", []).extend(rows.all())


def _in_session(session: Session, code: str) -> RegionRow | None:
    """The region as the session holds it (None if it does not: no query)."""
    return session.identity_map.get(identity_key(RegionRow, code))  # type: ignore[return-value]


def _lineage_in_session(session: Session, code: str) -> bool:
    """Whether the region and all its ancestors are already loaded in the session."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        seen.add(current)
        row = _in_session(session, current)
        if row is None:
            return False
        current = row.parent_code
    return True


def region_descendants(session: Session, code: str) -> list[str]:
    """The region and every region below it, level by level (empty for an unknown code).

    One query per level of the tree rather than loading the whole tree, which at national
    scale is hundreds of thousands of villages.
    """
    if session.get(RegionRow, code) is None:
        return []
    out = [code]
    seen = {code}
    frontier = [code]
    while frontier:
        children: list[str] = []
        for start in range(0, len(frontier), _IN_CHUNK):
            chunk = frontier[start : start + _IN_CHUNK]
            query = (
                select(RegionRow.code)
                .where(col(RegionRow.parent_code).in_(chunk))
                .order_by(RegionRow.code)
            )
            children.extend(c for c in session.exec(query).all() if c not in seen)
        seen.update(children)
        out.extend(children)
        frontier = children
    return out


def network_records(
    session: Session,
) -> tuple[list[Region], list[Warehouse], list[Road], list[Item]]:
    """The whole network as plain records (for the graph, the solver and the validator).

    Regions, warehouses and items are sorted by code, roads by id; a road's `id` is its
    database id.
    """
    regions = [_region_record(row) for row in list_regions(session)]
    warehouses = [_warehouse_record(row) for row in list_warehouses(session)]
    roads = [_road_record(row) for row in list_roads(session)]
    items = [_item_record(row) for row in list_items(session)]
    return regions, warehouses, roads, items


# --- routes over the graph of record, kept per network version -----------------------------

Found = tuple[Decimal, Decimal, list[str]] | None


@dataclasses.dataclass
class _RoadGraph:
    graph: nx.Graph
    routes: dict[tuple[str, str], Found]


# The road graphs this process built, by the database's network token and the road ids left
# out as closed. A change to regions, warehouses or roads replaces the token in its own
# transaction (triggers), so an entry is never used once that change has committed, by this
# worker or any other; a few entries cover the closure sets of the responses active at once.
_ROAD_GRAPHS: dict[tuple[str, frozenset[str]], _RoadGraph] = {}
_ROAD_GRAPHS_KEPT = 8


def network_token(session: Session) -> str | None:
    """The network's version token (None where the row is missing: nothing is cached)."""
    return session.exec(select(NetworkVersionRow.token).where(NetworkVersionRow.id == 1)).first()


def fastest_route(
    session: Session, from_code: str, to_code: str, closed_road_ids: Iterable[int] = ()
) -> Found:
    """(time_h, distance_km, path) over the roads open now and not in `closed_road_ids`, or
    None when none joins them (`graph.fastest_route` on the graph of record).

    The graph and its routes are kept per network token: a request reads one row instead of
    the regions, warehouses and roads. The token is read before the tables, so a graph is
    never kept under a token newer than the rows it was built from."""
    token = network_token(session)
    closed = frozenset(str(i) for i in closed_road_ids)
    kept = _ROAD_GRAPHS.get((token, closed)) if token is not None else None
    if kept is None:
        built = graph.build_graph(
            [_region_record(row) for row in list_regions(session)],
            [_warehouse_record(row) for row in list_warehouses(session)],
            [_road_record(row) for row in list_roads(session)],
            closed,
        )
        kept = _RoadGraph(built, {})
        if token is not None:
            if len(_ROAD_GRAPHS) >= _ROAD_GRAPHS_KEPT:
                _ROAD_GRAPHS.clear()
            _ROAD_GRAPHS[(token, closed)] = kept
    pair = (from_code, to_code)
    if pair not in kept.routes:
        kept.routes[pair] = graph.fastest_route(kept.graph, from_code, to_code)
    found = kept.routes[pair]
    # The kept path is shared with later requests: callers get their own list.
    return None if found is None else (found[0], found[1], list(found[2]))


def _region_record(row: RegionRow) -> Region:
    return Region(
        row.code,
        row.name,
        row.level,
        row.parent_code,
        row.lat,
        row.lon,
        row.population,
        row.rural_population,
    )


def _warehouse_record(row: WarehouseRow) -> Warehouse:
    return Warehouse(
        row.code, row.name, row.tier, row.region_code, row.lat, row.lon, Decimal(row.capacity_m3)
    )


def _road_record(row: RoadRow) -> Road:
    return Road(
        row.id,
        row.from_code,
        row.to_code,
        Decimal(row.distance_km),
        Decimal(row.travel_time_h),
        row.status,
    )


def _item_record(row: ItemRow) -> Item:
    return Item(
        row.code,
        row.name_zh,
        row.name_en,
        row.unit,
        Decimal(row.weight_kg),
        Decimal(row.volume_m3),
        row.category,
    )


# --- regions -----------------------------------------------------------------------------


def create_region(session: Session, actor: Actor, region: Region) -> RegionRow:
    """Add a region under an existing parent (or a root); 409 `duplicate` on a taken code."""
    _ensure_code_free(session, region.code)
    _check_region(session, region, existing=None)
    row = RegionRow(**_fields(region))
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "region", row.code, None, audit.snapshot(row))
    return row


def update_region(session: Session, actor: Actor, region: Region) -> Outcome:
    """Change an existing region's attributes; `unchanged` (and no audit) when none differ."""
    row = _locked(session, RegionRow, region.code, "region")
    _check_region(session, region, existing=row)
    return _apply(session, actor, "region", row, _fields(region))


def upsert_region(session: Session, actor: Actor, region: Region) -> Outcome:
    if session.get(RegionRow, region.code) is None:
        create_region(session, actor, region)
        return "created"
    return update_region(session, actor, region)


def _check_region(session: Session, region: Region, existing: RegionRow | None) -> None:
    if region.level not in REGION_LEVELS:
        raise invalid(
            "level",
            "level must be one of {levels}",
            params={"levels": ", ".join(REGION_LEVELS)},
        )
    if region.parent_code is not None:
        if region.parent_code == region.code:
            raise invalid(
                "parent_code",
                "region {region_code} cannot be its own parent",
                params={"region_code": region.code},
            )
        parent = session.get(RegionRow, region.parent_code)
        if parent is None:
            raise unknown_code("parent_code", region.parent_code, "region")
        # The cycle is the first thing to say: it is what the caller got wrong.
        if existing is not None and region.code in region_lineage(session, parent.code):
            raise invalid(
                "parent_code",
                "the region tree would have a cycle: {region_code} is above {parent_code}",
                params={"region_code": region.code, "parent_code": parent.code},
            )
        if REGION_LEVELS.index(region.level) <= REGION_LEVELS.index(parent.level):
            raise invalid(
                "level",
                "a {level} is not below its parent {parent_code}, a {parent_level}",
                params={
                    "level": Term(f"level.{region.level}"),
                    "parent_code": parent.code,
                    "parent_level": Term(f"level.{parent.level}"),
                },
            )
    if existing is None or existing.level == region.level:
        return
    # A level change must keep the children below it and the warehouses' tiers matching.
    children = session.exec(select(RegionRow).where(RegionRow.parent_code == region.code)).all()
    for child in children:
        if REGION_LEVELS.index(child.level) <= REGION_LEVELS.index(region.level):
            raise invalid(
                "level",
                "region {child_code}, a {level}, would not be below a {region_level}",
                params={
                    "child_code": child.code,
                    "level": Term(f"level.{child.level}"),
                    "region_level": Term(f"level.{region.level}"),
                },
            )
    homed = session.exec(select(WarehouseRow).where(WarehouseRow.region_code == region.code)).all()
    for warehouse in homed:
        if TIER_REGION_LEVEL[warehouse.tier] != region.level:
            raise invalid(
                "level",
                "warehouse {warehouse_code} ({tier}) needs its region to stay a {level}",
                params={
                    "warehouse_code": warehouse.code,
                    "tier": Term(f"tier.{warehouse.tier}"),
                    "level": Term(f"level.{TIER_REGION_LEVEL[warehouse.tier]}"),
                },
            )


# --- warehouses --------------------------------------------------------------------------


def create_warehouse(session: Session, actor: Actor, warehouse: Warehouse) -> WarehouseRow:
    _ensure_code_free(session, warehouse.code)
    values = _fields(warehouse)
    _check_warehouse(session, warehouse)
    row = WarehouseRow(**values)
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "warehouse", row.code, None, audit.snapshot(row))
    return row


def update_warehouse(session: Session, actor: Actor, warehouse: Warehouse) -> Outcome:
    row = _locked(session, WarehouseRow, warehouse.code, "warehouse")
    values = _fields(warehouse)
    _check_warehouse(session, warehouse)
    return _apply(session, actor, "warehouse", row, values)


def upsert_warehouse(session: Session, actor: Actor, warehouse: Warehouse) -> Outcome:
    if session.get(WarehouseRow, warehouse.code) is None:
        create_warehouse(session, actor, warehouse)
        return "created"
    return update_warehouse(session, actor, warehouse)


def _check_warehouse(session: Session, warehouse: Warehouse) -> None:
    if warehouse.tier not in TIER_REGION_LEVEL:
        raise invalid(
            "tier",
            "tier must be one of {tiers}",
            params={"tiers": ", ".join(TIER_REGION_LEVEL)},
        )
    if warehouse.capacity_m3 < 0:
        raise invalid("capacity_m3", "must not be negative")
    region = session.get(RegionRow, warehouse.region_code)
    if region is None:
        raise unknown_code("region_code", warehouse.region_code, "region")
    wanted = TIER_REGION_LEVEL[warehouse.tier]
    if region.level != wanted:
        raise invalid(
            "tier",
            "a {tier} warehouse belongs to a {wanted}; {region_code} is a {level}",
            params={
                "tier": Term(f"tier.{warehouse.tier}"),
                "wanted": Term(f"level.{wanted}"),
                "region_code": region.code,
                "level": Term(f"level.{region.level}"),
            },
        )


# --- items -------------------------------------------------------------------------------


def create_item(session: Session, actor: Actor, item: Item) -> ItemRow:
    if session.get(ItemRow, item.code) is not None:
        raise DomainError(
            "duplicate", "item {item_code} already exists", "code", params={"item_code": item.code}
        )
    values = _fields(item)
    _check_item(item)
    row = ItemRow(**values)
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "item", row.code, None, audit.snapshot(row))
    return row


def update_item(session: Session, actor: Actor, item: Item) -> Outcome:
    row = _locked(session, ItemRow, item.code, "item")
    values = _fields(item)
    _check_item(item)
    return _apply(session, actor, "item", row, values)


def upsert_item(session: Session, actor: Actor, item: Item) -> Outcome:
    if session.get(ItemRow, item.code) is None:
        create_item(session, actor, item)
        return "created"
    return update_item(session, actor, item)


def _check_item(item: Item) -> None:
    for name in ("weight_kg", "volume_m3"):
        if getattr(item, name) < 0:
            raise invalid(name, "must not be negative")


# --- roads -------------------------------------------------------------------------------


def create_road(
    session: Session, actor: Actor, road: Road, *, scenario_key: str | None = None
) -> RoadRow:
    """Add a road between two region or warehouse codes (several per pair are allowed)."""
    values = _road_fields(road)
    _check_road(session, road)
    row = RoadRow(**values, scenario_key=scenario_key)
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "road", row.id, None, audit.snapshot(row))
    return row


def upsert_road(session: Session, actor: Actor, road: Road, scenario_key: str) -> Outcome:
    """Create or update the road a scenario folder knows as `scenario_key`."""
    row = session.exec(
        select(RoadRow).where(RoadRow.scenario_key == scenario_key).with_for_update()
    ).first()
    if row is None:
        create_road(session, actor, road, scenario_key=scenario_key)
        return "created"
    values = _road_fields(road)
    _check_road(session, road)
    return _apply(session, actor, "road", row, values, entity_id=row.id)


def road_by_scenario_key(session: Session, scenario_key: str) -> RoadRow | None:
    """The road a scenario folder knows as `scenario_key`, locked and read afresh (a
    status set by a concurrent PATCH is seen, not overwritten)."""
    return session.exec(
        select(RoadRow)
        .where(RoadRow.scenario_key == scenario_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def status_set_by_user(session: Session, road_id: int) -> audit.AuditRecord | None:
    """The audit record of the road's last status change when a user made it (PATCH
    /roads, `set_status`), else None (the status is the one the road was created or
    loaded with). A scenario reload keeps such a status."""
    for record in reversed(
        audit.history(session, "road", road_id, actions=("create", "update", "set_status"))
    ):
        before, after = record.before or {}, record.after or {}
        if record.before is None or before.get("status") != after.get("status"):
            return record if record.action == "set_status" else None
    return None


def _road_fields(road: Road) -> dict[str, Any]:
    return {
        "from_code": road.from_code,
        "to_code": road.to_code,
        "distance_km": _scaled("distance_km", road.distance_km),
        "travel_time_h": _scaled("travel_time_h", road.travel_time_h),
        "status": road.status,
    }


def _check_road(session: Session, road: Road) -> None:
    for name in ("from_code", "to_code"):
        code = getattr(road, name)
        if not _is_node(session, code):
            raise DomainError(
                "unknown_code",
                "unknown code {code} (neither region nor warehouse)",
                name,
                params={"code": code},
            )
    if road.from_code == road.to_code:
        raise invalid(
            "to_code", "a road from {from_code} to itself", params={"from_code": road.from_code}
        )
    if road.status not in ("open", "closed"):
        raise invalid("status", "status must be open or closed")
    for name in ("distance_km", "travel_time_h"):
        if getattr(road, name) < 0:
            raise invalid(name, "must not be negative")


def set_road_status(
    session: Session, actor: Actor, road_id: int, status: str, note: str = ""
) -> tuple[RoadRow, list[dict]]:
    """Open or close a road; returns the road and the routes the change cost.

    `lost_routes` lists the (region, warehouse) pairs whose fastest route got slower or was
    cut: exactly the pairs whose every fastest route used this road. Only closing can lose a
    route; it is computed on the road's connected component before the change, since no
    other pair can have used the road. Setting the status it already has changes nothing
    and records nothing.
    """
    if status not in ("open", "closed"):
        raise invalid("status", "status must be open or closed")
    row = session.exec(select(RoadRow).where(RoadRow.id == road_id).with_for_update()).first()
    if row is None:
        raise not_found("road", road_id)
    if row.status == status:
        return row, []
    lost: list[dict] = []
    if status == "closed":
        regions, warehouses, roads, _ = network_records(session)
        after = [dataclasses.replace(r, status="closed") if r.id == row.id else r for r in roads]
        lost = road_change_costs(regions, warehouses, roads, after, (row.from_code, row.to_code))
    before = audit.snapshot(row)
    row.status = status
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "set_status",
        "road",
        row.id,
        before,
        {**before, "status": status, "note": note},
    )
    return row, lost


def road_change_costs(
    regions: Iterable[Region],
    warehouses: Iterable[Warehouse],
    roads_before: Iterable[Road],
    roads_after: Iterable[Road],
    ends: tuple[str, str],
) -> list[dict]:
    """lost_routes between two states of the roads, for the pairs around `ends` (the changed
    road's ends): every warehouse × region in their connected component before the change."""
    regions, warehouses = list(regions), list(warehouses)
    before = graph.build_graph(regions, warehouses, roads_before)
    after = graph.build_graph(regions, warehouses, roads_after)
    component: set[str] = set()
    for end in ends:
        if end in before and end not in component:
            component |= nx.node_connected_component(before, end)
    pairs = [
        (w.code, r.code)
        for w in warehouses
        if w.code in component
        for r in regions
        if r.code in component
    ]
    return graph.lost_routes(before, after, pairs)


# --- shared ------------------------------------------------------------------------------


def _is_node(session: Session, code: str) -> bool:
    return session.get(RegionRow, code) is not None or session.get(WarehouseRow, code) is not None


def _ensure_code_free(session: Session, code: str) -> None:
    """Regions and warehouses share one namespace: road ends name either."""
    if session.get(RegionRow, code) is not None:
        raise DomainError(
            "duplicate", "{code} is already a region code", "code", params={"code": code}
        )
    if session.get(WarehouseRow, code) is not None:
        raise DomainError(
            "duplicate", "{code} is already a warehouse code", "code", params={"code": code}
        )


def _locked(session: Session, table: type, code: str, entity: str) -> Any:
    key = table.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    row = session.exec(select(table).where(key == code).with_for_update()).first()
    if row is None:
        raise not_found(entity, code, "code")
    return row


def _fields(record: Region | Warehouse | Item) -> dict[str, Any]:
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    for name in values.keys() & _SCALE.keys():
        values[name] = _scaled(name, values[name])
    return values


def _scaled(name: str, value: Decimal | int | float | str) -> Decimal:
    exponent = Decimal(1).scaleb(-_SCALE[name])
    try:
        number = Decimal(str(value))
        scaled = number.quantize(exponent)
    except ArithmeticError:
        raise invalid(name, "{value} is not a number", params={"value": value}) from None
    if scaled != number:
        raise invalid(
            name,
            "{value} has more than {scale} decimals",
            params={"value": value, "scale": _SCALE[name]},
        )
    return scaled


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, Decimal) or isinstance(current, Decimal):
        return current is not None and wanted is not None and Decimal(current) == Decimal(wanted)
    return current == wanted


def _apply(
    session: Session,
    actor: Actor,
    entity: str,
    row: Any,
    values: dict[str, Any],
    *,
    entity_id: object = None,
) -> Outcome:
    changed = {k: v for k, v in values.items() if not _same(getattr(row, k), v)}
    if not changed:
        return "unchanged"
    before = audit.snapshot(row)
    for name, value in changed.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    key = entity_id if entity_id is not None else values.get("code")
    audit.record(session, actor, "update", entity, key, before, audit.snapshot(row))
    return "updated"
