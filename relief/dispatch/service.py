"""Dispatch orders (调拨单): create with reservations, dispatch, receive, cancel; transfers
between warehouses; the fulfilment of a response.

The only code that changes dispatch orders. Stock moves only through the stock service's
primitives (reserve, release, ship, receive), which write the ledger; every function here
takes a session and an actor, flushes but never commits (the caller's one transaction
commits or rolls everything back), and records what it did in the audit trail.

Concurrency: an order changes state under a row lock (SELECT … FOR UPDATE on PostgreSQL;
SQLite has no row locks, but every write transaction starts with BEGIN IMMEDIATE and so
runs alone) and its status is checked again after the lock is held, so of two managers
dispatching the same order at once exactly one succeeds and the other gets 409.

Authorisation: scope is decided here, not by the callers, so the API, the UI and the CLI
cannot differ. Reading an order (`readable_order`, `visible_orders`, `order_scope`),
transfers and dispatch (manager of the source), receipt (manager of the destination
warehouse, or county staff in scope of the destination region) and cancelling (duty
officer) check the actor with the rules of relief.auth.deps. `create_order` does not: plan
approval, whose role the allocation service checks, creates orders for every warehouse.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import (
    authorize_dispatch_order_read,
    authorize_dispatch_receipt,
    authorize_warehouse,
    ensure_role,
    sees_everything,
)
from relief.auth.models import Actor
from relief.dispatch.models import (
    DESTINATION_KINDS,
    MAX_QUANTITY,
    NUMBER_PREFIX,
    OPEN_STATUSES,
    ORDER_STATUSES,
    DiscrepancyOut,
    DispatchDiscrepancyRow,
    DispatchLineRow,
    DispatchLotRow,
    DispatchNumberRow,
    DispatchOrderRow,
    FulfilmentOut,
    LotOut,
    OrderLineOut,
    OrderOut,
)
from relief.distribution import service as distribution
from relief.emergency import responses
from relief.emergency import service as events
from relief.emergency.records import DEFAULT_LOADING_H
from relief.errors import DomainError, Named, Term, invalid, not_found, unknown_code
from relief.i18n import unit
from relief.network import service as network
from relief.stock import service as stock

# Ids are 32-bit integers in the schema; a larger id in a path or query names nothing (and
# must not reach PostgreSQL, which would refuse it with an error rather than no row).
MAX_ID = 2**31 - 1
# Stock flows down the tiers; a larger rank is further up.
TIER_RANK = {"county": 1, "prefecture": 2, "provincial": 3}
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line to order: what `create_order` takes (objects or mappings with these keys)."""

    item_code: str
    quantity: int


# --- reading -----------------------------------------------------------------------------


def get_order(session: Session, order_id: int) -> DispatchOrderRow:
    """The order, or 404 `not_found`."""
    order = session.get(DispatchOrderRow, order_id) if 0 < order_id <= MAX_ID else None
    if order is None:
        raise not_found("dispatch order", order_id)
    return order


def authorise_order_read(session: Session, actor: Actor, order: DispatchOrderRow) -> None:
    """May the actor see this order: a role that never sees orders (approver) →
    `role_forbidden`; an order outside their warehouses or regions → `scope_forbidden`."""
    authorize_dispatch_order_read(
        session, actor, order.source_warehouse_code, order.destination_code, order.destination_kind
    )


def authorise_transfer(
    actor: Actor,
    from_warehouse_code: str,
    field: str | None = None,
    session: Session | None = None,
) -> None:
    """A transfer leaves its source at the hands of the source's manager (or an admin)."""
    authorize_warehouse(actor, from_warehouse_code, field, session)


def authorise_dispatch(actor: Actor, order: DispatchOrderRow) -> None:
    """An order is shipped by the manager of its source warehouse (or an admin)."""
    authorize_warehouse(actor, order.source_warehouse_code)


def authorise_receipt(session: Session, actor: Actor, order: DispatchOrderRow) -> None:
    """Goods for a warehouse are counted in by its manager; for a region, by county staff
    whose scope covers it (admins may do either)."""
    authorize_dispatch_receipt(session, actor, order.destination_code, order.destination_kind)


def authorise_cancel(actor: Actor) -> None:
    """Cancelling an order (releasing what a plan reserved) is the duty officer's call."""
    ensure_role(actor, "duty_officer")


def readable_order(session: Session, actor: Actor, order_id: int) -> DispatchOrderRow:
    """The order if the actor may see it (its page, print view and PDF); 404, else 403."""
    order = get_order(session, order_id)
    authorise_order_read(session, actor, order)
    return order


def visible_orders(
    session: Session,
    actor: Actor,
    *,
    warehouse: str | None = None,
    status: str | None = None,
    response_id: int | None = None,
) -> list[DispatchOrderRow]:
    """All the orders the actor may see, oldest first (a download; lists take a page)."""
    rows, _ = visible_order_page(
        session, actor, warehouse=warehouse, status=status, response_id=response_id
    )
    return rows


def visible_order_page(
    session: Session,
    actor: Actor,
    *,
    warehouse: str | None = None,
    status: str | None = None,
    response_id: int | None = None,
    sort: str | None = "id",
    limit: int = MAX_ID,
    offset: int = 0,
) -> tuple[list[DispatchOrderRow], int]:
    """One page of the orders the actor may see, oldest first unless `sort` says otherwise,
    and how many there are in all: filtered and scoped in the database (`order_page`), so a
    page costs the same whatever the number of orders. A role that never sees orders
    (approver) sees none. `warehouse` matches the source or a destination warehouse."""
    try:
        scope = order_scope(session, actor)
    except DomainError:
        return [], 0
    return order_page(
        session,
        warehouse=warehouse,
        status=status,
        response_id=response_id,
        sort=sort,
        limit=limit,
        offset=offset,
        **scope,  # type: ignore[arg-type]
    )


def order_scope(session: Session, actor: Actor) -> dict[str, Collection[str]]:
    """The actor's scope as `order_page` filters take it (as `dispatch_order_in_scope` draws
    it): a manager's warehouses as source or destination, county staff's regions and
    everything under them as destination, nothing for those who see everything. A role that
    never sees orders (approver) → `role_forbidden`."""
    ensure_role(actor, "duty_officer", "warehouse_manager", "county_staff", "township_staff")
    if sees_everything(actor):
        return {}
    if actor.role == "warehouse_manager":
        mine = set(actor.warehouse_codes)
        return {"sources": mine, "destination_warehouses": mine}
    regions = {c for code in actor.region_codes for c in network.region_descendants(session, code)}
    return {"destination_regions": regions}


def list_orders(
    session: Session,
    *,
    warehouse: str | None = None,
    status: str | None = None,
    response_id: int | None = None,
) -> list[DispatchOrderRow]:
    """Orders, oldest first, filtered but not scoped (`visible_orders` is, for a user).

    `warehouse` matches the source or a destination warehouse."""
    query = select(DispatchOrderRow)
    if warehouse is not None:
        query = query.where(
            (DispatchOrderRow.source_warehouse_code == warehouse)
            | (
                (DispatchOrderRow.destination_kind == "warehouse")
                & (DispatchOrderRow.destination_code == warehouse)
            )
        )
    if status is not None:
        if status not in ORDER_STATUSES:
            raise invalid(
                "status",
                "status must be one of {statuses}",
                params={"statuses": ", ".join(ORDER_STATUSES)},
            )
        query = query.where(DispatchOrderRow.status == status)
    if response_id is not None:
        if not 0 < response_id <= MAX_ID:
            return []
        query = query.where(DispatchOrderRow.response_id == response_id)
    return list(session.exec(query.order_by(col(DispatchOrderRow.id))).all())


# The columns an order list sorts by (`sort=number`, `sort=-created_at`).
ORDER_SORTS: dict[str, Any] = {
    "id": DispatchOrderRow.id,
    "number": DispatchOrderRow.number,
    "status": DispatchOrderRow.status,
    "source": DispatchOrderRow.source_warehouse_code,
    "destination": DispatchOrderRow.destination_code,
    "created_at": DispatchOrderRow.created_at,
    "dispatched_at": DispatchOrderRow.dispatched_at,
}


def order_page(
    session: Session,
    *,
    warehouse: str | None = None,
    status: str | None = None,
    sources: Collection[str] | None = None,
    destination_warehouses: Collection[str] | None = None,
    destination_regions: Collection[str] | None = None,
    response_id: int | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DispatchOrderRow], int]:
    """One page of orders, newest first (or by `sort`, a key of ORDER_SORTS, "-" first for
    descending), and how many there are in all.

    Given any of `sources` (source warehouses), `destination_warehouses` and
    `destination_regions`, an order is kept when it matches one of them (the caller's scope,
    as relief.auth.deps.dispatch_order_in_scope draws it); none given keeps every order.
    `q` keeps the orders whose number contains it (any case) or whose destination's name
    (or code) contains it; `response_id` those of one response; `warehouse` those leaving
    or reaching that warehouse."""
    query = select(DispatchOrderRow)
    term = (q or "").strip()
    if term:
        regions, warehouses, _, _ = network.network_records(session)
        named = sorted(
            {p.code for p in [*regions, *warehouses] if term in p.name or term in p.code}
        )
        query = query.where(
            or_(
                func.lower(DispatchOrderRow.number).contains(term.lower(), autoescape=True),
                col(DispatchOrderRow.destination_code).in_(named),
            )
        )
    if response_id is not None:
        query = query.where(
            DispatchOrderRow.response_id == (response_id if 0 < response_id <= MAX_ID else 0)
        )
    wanted = []
    if sources is not None:
        wanted.append(col(DispatchOrderRow.source_warehouse_code).in_(sorted(sources)))
    for kind, codes in (("warehouse", destination_warehouses), ("region", destination_regions)):
        if codes is not None:
            wanted.append(
                (DispatchOrderRow.destination_kind == kind)
                & col(DispatchOrderRow.destination_code).in_(sorted(codes))
            )
    if wanted:
        query = query.where(or_(*wanted))
    if warehouse is not None:
        query = query.where(
            (DispatchOrderRow.source_warehouse_code == warehouse)
            | (
                (DispatchOrderRow.destination_kind == "warehouse")
                & (DispatchOrderRow.destination_code == warehouse)
            )
        )
    if status is not None:
        if status not in ORDER_STATUSES:
            raise invalid(
                "status",
                "status must be one of {statuses}",
                params={"statuses": ", ".join(ORDER_STATUSES)},
            )
        query = query.where(DispatchOrderRow.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    key = (sort or "").strip()
    column = ORDER_SORTS.get(key.lstrip("-"))
    newest = col(DispatchOrderRow.id).desc()
    if column is None:
        ordering = [newest]
    else:
        # Orders not yet dispatched last either way, on SQLite as on PostgreSQL.
        chosen = col(column).desc() if key.startswith("-") else col(column).asc()
        ordering = [chosen.nulls_last(), newest]
    rows = session.exec(query.order_by(*ordering).offset(offset).limit(limit)).all()
    return list(rows), total


@dataclass(frozen=True, slots=True)
class ToDo:
    """An order a warehouse manager has to act on, with when its goods are due."""

    order: DispatchOrderRow
    expected_at: datetime | None
    late: bool


# How many orders of each kind a manager's home lists (the orders page has them all).
TODO_LIMIT = 20


def manager_todo(
    session: Session, actor: Actor, at: datetime | None = None
) -> tuple[list[ToDo], int, list[ToDo], int]:
    """A warehouse manager's orders to act on: reserved orders leaving their warehouses
    (to dispatch) and dispatched orders addressed to them (to receive), each soonest due
    first (late ones first, those without an ETA last), at most TODO_LIMIT of each, and how
    many there are in all."""
    codes = sorted(actor.warehouse_codes)
    outgoing, _ = order_page(session, status="reserved", sources=codes, limit=MAX_ID)
    incoming, _ = order_page(
        session, status="dispatched", destination_warehouses=codes, limit=MAX_ID
    )

    def listed(rows: list[DispatchOrderRow]) -> list[ToDo]:
        todo = [ToDo(o, expected_at(o), is_late(o, at)) for o in rows]
        todo.sort(key=lambda d: (d.expected_at is None, d.expected_at or clock.now(), d.order.id))
        return todo[:TODO_LIMIT]

    return listed(outgoing), len(outgoing), listed(incoming), len(incoming)


def order_lines(session: Session, order_id: int) -> list[DispatchLineRow]:
    query = (
        select(DispatchLineRow)
        .where(DispatchLineRow.order_id == order_id)
        .order_by(col(DispatchLineRow.position), col(DispatchLineRow.id))
    )
    return list(session.exec(query).all())


def shipped_lots(session: Session, line_id: int) -> list[DispatchLotRow]:
    query = (
        select(DispatchLotRow)
        .where(DispatchLotRow.line_id == line_id)
        .order_by(col(DispatchLotRow.id))
    )
    return list(session.exec(query).all())


def discrepancies(session: Session, order_id: int) -> list[DispatchDiscrepancyRow]:
    query = (
        select(DispatchDiscrepancyRow)
        .where(DispatchDiscrepancyRow.order_id == order_id)
        .order_by(col(DispatchDiscrepancyRow.id))
    )
    return list(session.exec(query).all())


def loading_hours(order: DispatchOrderRow) -> Decimal:
    """The hours allowed for loading before dispatch: the policy's `loading_h` the order was
    made with (orders made before it was kept: the default)."""
    return DEFAULT_LOADING_H if order.loading_h is None else Decimal(order.loading_h)


def expected_at(order: DispatchOrderRow) -> datetime | None:
    """When the goods are due: dispatched_at + eta_h once dispatched; while the order still
    waits, created_at (a plan's approval) + loading_h + eta_h — the trucks cannot leave
    before they are loaded, so an order is not late the hour after approval. None without
    a route (no ETA)."""
    if order.eta_h is None:
        return None
    if order.dispatched_at is not None:
        start = clock.as_utc(order.dispatched_at)
    else:
        start = clock.as_utc(order.created_at) + timedelta(hours=float(loading_hours(order)))
    return start + timedelta(hours=float(order.eta_h))


def order_version(order: DispatchOrderRow) -> str:
    """What a form sends back to say which state of the order it was made from. An order
    changes only by moving on from one status to the next (dispatch, receipt, cancel), each
    once, so its status names its version."""
    return order.status


def is_late(order: DispatchOrderRow, at: datetime | None = None) -> bool:
    """Past its ETA and not received (a cancelled order is never late)."""
    due = expected_at(order)
    return order.status in OPEN_STATUSES and due is not None and (at or clock.now()) > due


def order_view(session: Session, order: DispatchOrderRow, at: datetime | None = None) -> OrderOut:
    """The order as the API shows it.

    `lots` of a line: the lots actually shipped once dispatched; while reserved, the lots the
    stock service would pick now (first expiry, first out) — a preview that can change until
    the goods leave, expired lots never among them; none for an order cancelled before
    dispatch."""
    return order_views(session, [order], at)[0]


def order_views(
    session: Session, orders: Sequence[DispatchOrderRow], at: datetime | None = None
) -> list[OrderOut]:
    """`order_view` of each order, in a fixed number of queries whatever their number (a
    list page must not issue one query per order or per line): all their lines, the lots
    shipped on them, their discrepancies and the lots the reserved ones would pick."""
    ids = [o.id for o in orders]
    if not ids:
        return []
    lines_by_order: dict[int, list[DispatchLineRow]] = {i: [] for i in ids}  # type: ignore[misc]
    # Plain rows, not ORM objects: a page reads a few hundred of them and only reads them.
    for line in session.exec(
        select(*_columns(DispatchLineRow))
        .where(col(DispatchLineRow.order_id).in_(ids))
        .order_by(col(DispatchLineRow.position), col(DispatchLineRow.id))
    ).all():
        lines_by_order[line.order_id].append(line)
    shipped_ids = [
        line.id
        for o in orders
        if o.status != "reserved"
        for line in lines_by_order[o.id]  # type: ignore[index]
    ]
    lots_by_line: dict[int, list[DispatchLotRow]] = {}
    if shipped_ids:
        for row in session.exec(
            select(*_columns(DispatchLotRow))
            .where(col(DispatchLotRow.line_id).in_(shipped_ids))
            .order_by(col(DispatchLotRow.id))
        ).all():
            lots_by_line.setdefault(row.line_id, []).append(row)
    # Short when lots have expired since the reservation: the pick list shows what can
    # still go, and dispatching more is refused.
    previews = stock.preview_picks(
        session,
        [
            (o.source_warehouse_code, line.item_code, line.quantity)
            for o in orders
            if o.status == "reserved"
            for line in lines_by_order[o.id]  # type: ignore[index]
        ],
    )
    picks = iter(previews)
    found_by_order: dict[int, list[DispatchDiscrepancyRow]] = {}
    for d in session.exec(
        select(*_columns(DispatchDiscrepancyRow))
        .where(col(DispatchDiscrepancyRow.order_id).in_(ids))
        .order_by(col(DispatchDiscrepancyRow.id))
    ).all():
        found_by_order.setdefault(d.order_id, []).append(d)
    views = []
    for order in orders:
        lines_out = []
        for line in lines_by_order[order.id]:  # type: ignore[index]
            if order.status == "reserved":
                lots = [_lot_out(p.lot, p.expires_on, p.quantity) for p in next(picks)]
            else:
                lots = [
                    _lot_out(r.lot, r.expires_on, r.quantity)
                    for r in lots_by_line.get(line.id, [])  # type: ignore[arg-type]
                ]
            lines_out.append(
                OrderLineOut(
                    item_code=line.item_code,
                    quantity=line.quantity,
                    dispatched=line.dispatched,
                    received=line.received,
                    damaged=line.damaged,
                    reason=line.reason,
                    lots=lots,
                )
            )
        views.append(_order_out(order, lines_out, found_by_order.get(order.id, []), at))  # type: ignore[arg-type]
    return views


def _columns(table: Any) -> list[Any]:
    """A table's columns, to select its rows as plain (read-only) rows with the same names."""
    return list(table.__table__.c)


def _order_out(
    order: DispatchOrderRow,
    lines_out: list[OrderLineOut],
    found: Sequence[DispatchDiscrepancyRow],
    at: datetime | None,
) -> OrderOut:
    return OrderOut(
        id=order.id,  # type: ignore[arg-type]
        number=order.number,
        plan_id=order.plan_id,
        response_id=order.response_id,
        source_warehouse_code=order.source_warehouse_code,
        destination_code=order.destination_code,
        destination_kind=order.destination_kind,  # type: ignore[arg-type]
        status=order.status,  # type: ignore[arg-type]
        route=order.route,
        eta_h=None if order.eta_h is None else float(order.eta_h),
        distance_km=None if order.distance_km is None else float(order.distance_km),
        loading_h=float(loading_hours(order)),
        expected_at=clock.to_cst(expected_at(order)),
        late=is_late(order, at),
        reference=order.reference,
        reason=order.reason,
        created_at=clock.to_cst(order.created_at),  # type: ignore[arg-type]
        created_by=order.created_by,
        dispatched_at=clock.to_cst(order.dispatched_at),
        vehicle=order.vehicle,
        driver=order.driver,
        plate=order.plate,
        received_at=clock.to_cst(order.received_at),
        note=order.note,
        cancelled_at=clock.to_cst(order.cancelled_at),
        cancelled_by=order.cancelled_by,
        cancel_reason=order.cancel_reason,
        dispatched_by=order.dispatched_by,
        version=order_version(order),
        lines=lines_out,
        discrepancies=[
            DiscrepancyOut(
                item_code=d.item_code,
                kind=d.kind,  # type: ignore[arg-type]
                quantity=d.quantity,
                reason=d.reason,
                recorded_at=clock.to_cst(d.recorded_at),  # type: ignore[arg-type]
                recorded_by=d.recorded_by,
            )
            for d in found
        ],
    )


def _lot_out(lot: str | None, expires_on, quantity: int) -> LotOut:
    return LotOut(lot=lot or None, expires_on=expires_on, quantity=quantity)


# --- creating ----------------------------------------------------------------------------


def create_order(
    session: Session,
    actor: Actor,
    *,
    source_warehouse_code: str,
    destination_code: str,
    destination_kind: str,
    lines: Sequence[OrderLine | Mapping[str, Any] | Any],
    route: Sequence[str] | None,
    eta_h: Decimal | float | int | None,
    distance_km: Decimal | float | int | None,
    plan_id: int | None = None,
    response_id: int | None = None,
    reference: str,
    reason: str | None = None,
    loading_h: Decimal | float | int | None = None,
    audit_extra: Mapping[str, Any] | None = None,
    number: str | None = None,
) -> DispatchOrderRow:
    """A new order in status `reserved`, with every line's stock reserved at the source.

    `loading_h` (hours until the trucks can leave; default: the policy default) is kept on
    the order: until dispatched it is due at creation + loading_h + eta_h.

    `lines` are `OrderLine`s, or any objects or mappings with `item_code` and `quantity`.
    Any line that does not fit raises (`stock_insufficient` on `lines[i].quantity`, from
    the stock service) after earlier lines were reserved: the caller's transaction must roll
    back, which undoes the order, its number and every reservation together. Errors name
    the parameter (`source_warehouse_code`, `lines[i].item_code`, …).

    Lock order: the day's number counter, then the stock rows. The stock rows are the hot
    ones (every receipt, transfer and dispatch at the source queues on them), so they are
    locked last, by `stock.reserve_lines` with the reservation itself, after the order,
    its lines, its ledger and audit rows are written. A caller creating several orders in
    one transaction (plan approval) must first draw all their numbers (`next_numbers`,
    passing each its `number`), then lock every (warehouse, item) of all the orders with
    `stock.lock_levels`, then create them, or two such transactions on PostgreSQL can
    deadlock.
    """
    if network.get_warehouse(session, source_warehouse_code) is None:
        raise unknown_code("source_warehouse_code", source_warehouse_code, "warehouse")
    _check_destination(session, source_warehouse_code, destination_code, destination_kind)
    wanted = _order_lines(session, lines)
    eta = _non_negative("eta_h", eta_h)
    distance = _non_negative("distance_km", distance_km)
    loading = _non_negative("loading_h", DEFAULT_LOADING_H if loading_h is None else loading_h)
    at = clock.now()
    order = DispatchOrderRow(
        number=number or next_number(session, at),
        plan_id=plan_id,
        response_id=response_id,
        source_warehouse_code=source_warehouse_code,
        destination_code=destination_code,
        destination_kind=destination_kind,
        status="reserved",
        route=list(route) if route is not None else None,
        eta_h=eta,
        distance_km=distance,
        loading_h=loading,
        reference=reference,
        reason=reason,
        created_at=at,
        created_by=actor.username,
    )
    session.add(order)
    session.flush()
    rows = [
        DispatchLineRow(order_id=order.id, position=i, item_code=item, quantity=quantity)  # type: ignore[arg-type]
        for i, (item, quantity) in enumerate(wanted)
    ]
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "dispatch_order",
        order.id,
        None,
        {**_audit_view(order, rows), **(audit_extra or {})},
    )
    stock.reserve_lines(
        session,
        actor,
        source_warehouse_code,
        [(item, quantity, f"lines[{i}].quantity") for i, (item, quantity) in enumerate(wanted)],
        order.number,
        order_id=order.id,
    )
    return order


def create_transfer(
    session: Session,
    actor: Actor,
    *,
    from_warehouse_code: str,
    to_warehouse_code: str,
    lines: Sequence[OrderLine | Mapping[str, Any] | Any],
    reason: str,
    override_reason: str | None = None,
) -> DispatchOrderRow:
    """A transfer between warehouses: a dispatch order to a warehouse, reserved at the source,
    routed over the open roads (route, ETA and distance are null when no open road joins
    the two).

    Stock moves down the tiers (provincial → prefecture → county) or across one tier. A
    transfer up the tiers (a county depot emptying itself into the provincial core) needs
    `override_reason` (else 409 `transfer_up_tiers`), kept in the order's audit record
    with the actor, like taking stock below the floor."""
    authorise_transfer(actor, from_warehouse_code, "from_warehouse_code", session)
    # Both ends in one statement; held here, create_order finds them in the session.
    ends = network.warehouses_by_code(session, (from_warehouse_code, to_warehouse_code))
    source = ends.get(from_warehouse_code)
    if source is None:
        raise unknown_code("from_warehouse_code", from_warehouse_code, "warehouse")
    target = ends.get(to_warehouse_code)
    if target is None:
        raise unknown_code("to_warehouse_code", to_warehouse_code, "warehouse")
    if from_warehouse_code == to_warehouse_code:
        raise invalid("to_warehouse_code", "a transfer goes to another warehouse")
    up = TIER_RANK[target.tier] > TIER_RANK[source.tier]
    if up and not override_reason:
        raise DomainError(
            "transfer_up_tiers",
            "{from_warehouse_code} ({from_tier}) to {to_warehouse_code} ({to_tier}) goes up the tiers; give override_reason to do it anyway",
            "to_warehouse_code",
            params={
                "from_warehouse_code": from_warehouse_code,
                "from_tier": source.tier,
                "to_warehouse_code": to_warehouse_code,
                "to_tier": target.tier,
            },
        )
    closed = events.closed_road_ids_of_active_responses(session)
    found = network.fastest_route(session, from_warehouse_code, to_warehouse_code, closed)
    if (
        found is None
        and closed
        and network.fastest_route(session, from_warehouse_code, to_warehouse_code)
    ):
        # Only roads the active response lists as closed join the two: no truck can go.
        source_name, target_name = source.name, target.name
        raise DomainError(
            "no_open_route",
            "no open road joins {from_warehouse} and {to_warehouse}: the roads between them are closed for the active response",
            "to_warehouse_code",
            params={"from_warehouse": source_name, "to_warehouse": target_name},
        )
    time_h, distance, path = found if found is not None else (None, None, None)
    return create_order(
        session,
        actor,
        source_warehouse_code=from_warehouse_code,
        destination_code=to_warehouse_code,
        destination_kind="warehouse",
        lines=lines,
        route=path,
        eta_h=time_h,
        distance_km=distance,
        reference="transfer",
        reason=reason,
        audit_extra={"up_tiers": True, "override_reason": override_reason} if up else None,
    )


def next_number(session: Session, at: datetime) -> str:
    """The next order number of the day `at` falls on in China: DB-YYYYMMDD-NNNN.

    One atomic upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING) on the day's counter row:
    concurrent creators queue on that row (PostgreSQL) or on the write lock (SQLite), so
    two orders never share a number, and a rolled-back order gives its number back."""
    (number,) = next_numbers(session, at, 1)
    return number


def next_numbers(session: Session, at: datetime, count: int) -> list[str]:
    """The next `count` order numbers of the day `at` falls on, in one upsert (plan
    approval draws those of all its orders before it locks their stock rows)."""
    day = clock.to_cst(at).strftime("%Y%m%d")  # type: ignore[union-attr]
    table = DispatchNumberRow.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(table)
        .values(day=day, last=count)
        .on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + count})
        .returning(table.c.last)
    )
    last = session.execute(statement).scalar_one()
    return [f"{NUMBER_PREFIX}-{day}-{n:04d}" for n in range(last - count + 1, last + 1)]


def _check_destination(session: Session, source: str, code: str, kind: str) -> None:
    if kind not in DESTINATION_KINDS:
        raise invalid("destination_kind", "destination_kind must be region or warehouse")
    if kind == "region" and network.get_region(session, code) is None:
        raise unknown_code("destination_code", code, "region")
    if kind == "warehouse":
        if network.get_warehouse(session, code) is None:
            raise unknown_code("destination_code", code, "warehouse")
        if code == source:
            raise invalid("destination_code", "an order goes to another warehouse")


def _order_lines(session: Session, lines: Sequence[Any]) -> list[tuple[str, int]]:
    if not lines:
        raise invalid("lines", "an order needs at least one line")
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        item = _attr(line, "item_code")
        quantity = _attr(line, "quantity")
        if not isinstance(item, str) or network.get_item(session, item) is None:
            raise unknown_code(f"lines[{i}].item_code", item, "item")
        if item in seen:
            raise invalid(
                f"lines[{i}].item_code", "item {item} is on the order twice", params={"item": item}
            )
        seen.add(item)
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 0 < quantity <= MAX_QUANTITY
        ):
            raise invalid(
                f"lines[{i}].quantity",
                "must be a whole number 1..{max_quantity}",
                params={"max_quantity": MAX_QUANTITY},
            )
        out.append((item, quantity))
    return out


def _attr(line: Any, name: str) -> Any:
    return line.get(name) if isinstance(line, Mapping) else getattr(line, name, None)


def _non_negative(field: str, value: Decimal | float | int | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value)).quantize(TWO_PLACES)
    except (InvalidOperation, ValueError):
        raise invalid(field, "{value} is not a number", params={"value": value}) from None
    if not number.is_finite() or number < 0:
        raise invalid(field, "must not be negative")
    return number


# --- changing state ----------------------------------------------------------------------


def lock_order(session: Session, order_id: int) -> DispatchOrderRow:
    """The order, locked for this transaction and re-read from the database (a value read
    before the lock may be stale: another request may have just changed it)."""
    if not 0 < order_id <= MAX_ID:
        raise not_found("dispatch order", order_id)
    query = (
        select(DispatchOrderRow)
        .where(DispatchOrderRow.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    order = session.exec(query).first()
    if order is None:
        raise not_found("dispatch order", order_id)
    return order


def _require_status(order: DispatchOrderRow, wanted: str, action: str) -> None:
    if order.status != wanted:
        raise DomainError(
            "invalid_transition",
            "order {number} is {status}; only a {wanted} order can be {action}",
            params={
                "number": order.number,
                "status": Term(f"order.{order.status}"),
                "wanted": Term(f"order.{wanted}"),
                "action": Term(f"order.done.{action}"),
            },
        )


def quantity_said(session: Session, item_code: str, quantity: int) -> Named:
    """A quantity with its item's unit in either language, for a message: 45 条 / 45 pcs
    (issue 13 review #18)."""
    row = network.get_item(session, item_code)
    word = row.unit if row is not None else ""
    return Named(f"{quantity} {unit(word, 'en')}".strip(), f"{quantity} {unit(word, 'zh')}".strip())


def dispatch_order(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    lines: Sequence[Any] | None = None,
    vehicle: str,
    driver: str,
    plate: str,
) -> DispatchOrderRow:
    """Ship a reserved order: reserved stock leaves the source, lots first-expiry-first-out.

    `lines` (objects or mappings with `item_code`, `quantity`, `reason`) change what ships;
    a line left out ships as ordered. Less than ordered needs a reason and releases the
    rest of the reservation; more than ordered is refused. Ledger kind: `dispatch` to a
    region, `transfer_out` to a warehouse.
    """
    order = lock_order(session, order_id)
    authorise_dispatch(actor, order)
    _require_status(order, "reserved", "dispatched")
    rows = order_lines(session, order_id)
    by_item = {row.item_code: row for row in rows}
    ship = {row.item_code: row.quantity for row in rows}
    reasons: dict[str, str | None] = {}
    seen: set[str] = set()
    for i, line in enumerate(lines or ()):
        item = _attr(line, "item_code")
        quantity = _attr(line, "quantity")
        reason = _attr(line, "reason")
        if item not in by_item:
            raise invalid(
                f"lines[{i}].item_code",
                "item {item} is not on order {number}",
                params={"item": item, "number": order.number},
            )
        if item in seen:
            raise invalid(
                f"lines[{i}].item_code", "item {item} is listed twice", params={"item": item}
            )
        seen.add(item)
        ordered = by_item[item].quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise invalid(f"lines[{i}].quantity", "must be a whole number, 0 or more")
        if quantity > ordered:
            ordered_said = quantity_said(session, item, ordered)
            raise DomainError(
                "validation_error",
                "more than ordered ({ordered})",
                f"lines[{i}].quantity",
                params={"ordered": ordered_said},
            )
        if quantity < ordered and not reason:
            raise invalid(
                f"lines[{i}].reason",
                "say why only {quantity} of the {ordered} ordered go",
                params={"quantity": quantity, "ordered": ordered},
            )
        ship[item] = quantity
        reasons[item] = reason or None
    if not any(ship.values()):
        raise invalid("lines", "nothing would ship: ask the duty officer to cancel the order")

    before = _audit_view(order, rows)
    kind = "dispatch" if order.destination_kind == "region" else "transfer_out"
    # The source's stock rows are the hot ones (every receipt, transfer and dispatch there
    # queues on them), so they are locked last: the order, its lines and its audit row
    # first, then the stock (one call, which locks each row with its change), then the
    # lots each line shipped from.
    for row in rows:
        row.dispatched = ship[row.item_code]
        row.reason = reasons.get(row.item_code)
        session.add(row)
    order.status = "dispatched"
    order.dispatched_at = clock.now()
    order.dispatched_by = actor.username
    order.vehicle, order.driver, order.plate = vehicle, driver, plate
    session.add(order)
    audit.record(
        session, actor, "dispatch", "dispatch_order", order.id, before, _audit_view(order, rows)
    )
    session.flush()
    picked = stock.ship_lines(
        session,
        actor,
        order.source_warehouse_code,
        [
            stock.Shipment(
                row.item_code,
                ship[row.item_code],
                row.quantity - ship[row.item_code],
                reasons.get(row.item_code) or "",
            )
            for row in rows
        ],
        order.number,
        kind=kind,
        order_id=order.id,
    )
    session.add_all(
        DispatchLotRow(
            line_id=row.id,  # type: ignore[arg-type]
            lot=pick.lot or "",
            expires_on=pick.expires_on,
            quantity=pick.quantity,
        )
        for row, picks in zip(rows, picked, strict=True)
        for pick in picks
    )
    session.flush()
    return order


def receive_order(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    lines: Sequence[Any],
    note: str = "",
) -> DispatchOrderRow:
    """Record what arrived of a dispatched order.

    Every line that shipped must be counted once (`item_code`, `received` good units,
    `damaged` units, `reason`). `received + damaged` above what was dispatched is refused
    (422 on `lines[i].received`); fewer good units than dispatched need a reason (422 on
    `lines[i].reason`) and become discrepancies: `damage` for damaged units, `shortfall`
    for the units that did not arrive. Status: `delivered` when everything arrived in good
    order, `disputed` when anything arrived damaged, else `partially_delivered`.

    At a warehouse the good units enter its stock (ledger kind `transfer_in`) in the lots
    they shipped in; damaged units do not. At a region (a township or a county office) the
    good units become its holding (relief.distribution), until issued to households.
    """
    order = lock_order(session, order_id)
    authorise_receipt(session, actor, order)
    _require_status(order, "dispatched", "received")
    rows = order_lines(session, order_id)
    by_item = {row.item_code: row for row in rows}
    counts: dict[str, tuple[int, int, str | None]] = {}
    for i, line in enumerate(lines):
        item = _attr(line, "item_code")
        received = _attr(line, "received")
        damaged = _attr(line, "damaged") or 0
        reason = _attr(line, "reason") or None
        if item not in by_item:
            raise invalid(
                f"lines[{i}].item_code",
                "item {item} is not on order {number}",
                params={"item": item, "number": order.number},
            )
        if item in counts:
            raise invalid(
                f"lines[{i}].item_code", "item {item} is listed twice", params={"item": item}
            )
        for field, value in (("received", received), ("damaged", damaged)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise invalid(f"lines[{i}].{field}", "must be a whole number, 0 or more")
        shipped = by_item[item].dispatched
        if received + damaged > shipped:
            raise DomainError(
                "validation_error",
                "received and damaged together are more than dispatched ({dispatched}); record "
                "goods beyond the order as a receipt",
                f"lines[{i}].received",
                params={"dispatched": shipped},
            )
        if received < shipped and not reason:
            raise invalid(
                f"lines[{i}].reason",
                "say why only {received} of {shipped} arrived in good order",
                params={"received": received, "shipped": shipped},
            )
        counts[item] = (received, damaged, reason)
    missing = [row.item_code for row in rows if row.dispatched and row.item_code not in counts]
    if missing:
        raise invalid(
            "lines",
            "count every line that was dispatched; missing: {missing}",
            params={"missing": ", ".join(missing)},
        )

    before = _audit_view(order, rows)
    if order.destination_kind == "region":
        distribution.lock_holdings(session, order.destination_code, counts)
    at = clock.now()
    any_damage = any_shortfall = False
    # A depot's stock rows are changed last, after the order's own rows (receipts, transfers
    # and dispatches there queue on them): `receive_arrivals`, after the audit record.
    arrivals: list[tuple[str, int, list[stock.LotPick]]] = []
    for row in rows:
        if row.item_code not in counts:
            continue  # dispatched nothing: nothing to count
        received, damaged, reason = counts[row.item_code]
        if order.destination_kind == "warehouse" and received:
            lots = received_lots(shipped_lots(session, row.id), received)  # type: ignore[arg-type]
            arrivals.append((row.item_code, received, lots))
        if order.destination_kind == "region" and received:
            # The region holds what it signed for until it issues it to households.
            distribution.receive_into(
                session,
                actor,
                order.destination_code,
                row.item_code,
                received_lots(shipped_lots(session, row.id), received),  # type: ignore[arg-type]
                order.id,
            )
        shortfall = row.dispatched - received - damaged
        for kind, quantity in (("shortfall", shortfall), ("damage", damaged)):
            if quantity:
                session.add(
                    DispatchDiscrepancyRow(
                        order_id=order.id,  # type: ignore[arg-type]
                        line_id=row.id,  # type: ignore[arg-type]
                        item_code=row.item_code,
                        kind=kind,
                        quantity=quantity,
                        reason=reason or "",
                        recorded_at=at,
                        recorded_by=actor.username,
                    )
                )
        any_damage |= damaged > 0
        any_shortfall |= shortfall > 0
        row.received, row.damaged = received, damaged
        session.add(row)
    if any_damage:
        order.status = "disputed"
    elif any_shortfall:
        order.status = "partially_delivered"
    else:
        order.status = "delivered"
    order.received_at = at
    order.received_by = actor.username
    order.note = note or None
    session.add(order)
    session.flush()
    audit.record(
        session, actor, "receive", "dispatch_order", order.id, before, _audit_view(order, rows)
    )
    if arrivals:
        stock.receive_arrivals(
            session, actor, order.destination_code, arrivals, order.number, order_id=order.id
        )
    return order


def received_lots(shipped: Iterable[DispatchLotRow], received: int) -> list[stock.LotPick]:
    """Which shipped lots the received units are booked to: earliest expiry first.

    Nobody counts lot by lot at the gate, so the units that went missing or broke are
    assumed to be of the latest-expiring lots. Erring that way makes the destination's
    expiry alerts fire early rather than late."""
    ordered = sorted(
        shipped, key=lambda r: (r.expires_on is None, r.expires_on or datetime.max.date(), r.lot)
    )
    out: list[stock.LotPick] = []
    left = received
    for row in ordered:
        if left <= 0:
            break
        take = min(left, row.quantity)
        out.append(stock.LotPick(lot=row.lot or None, expires_on=row.expires_on, quantity=take))
        left -= take
    return out


def cancel_order(
    session: Session, actor: Actor, order_id: int, *, reason: str | None = None
) -> DispatchOrderRow:
    """Cancel a reserved order and release its whole reservation (goods that left cannot be
    called back by cancelling: 409 `invalid_transition`). Duty officers (and admins) only."""
    authorise_cancel(actor)
    order = lock_order(session, order_id)
    _require_status(order, "reserved", "cancelled")
    rows = order_lines(session, order_id)
    before = _audit_view(order, rows)
    stock.lock_levels(session, [(order.source_warehouse_code, row.item_code) for row in rows])
    for row in rows:
        stock.release_stock(
            session,
            actor,
            order.source_warehouse_code,
            row.item_code,
            row.quantity,
            order.number,
            reason or "order cancelled",
            order_id=order.id,
        )
    order.status = "cancelled"
    order.cancelled_at = clock.now()
    order.cancelled_by = actor.username
    order.cancel_reason = reason
    session.add(order)
    session.flush()
    audit.record(
        session, actor, "cancel", "dispatch_order", order.id, before, _audit_view(order, rows)
    )
    return order


def _audit_view(order: DispatchOrderRow, rows: Iterable[DispatchLineRow]) -> dict[str, Any]:
    return {
        **audit.snapshot(order),  # type: ignore[dict-item]
        "lines": [
            {
                "item_code": r.item_code,
                "quantity": r.quantity,
                "dispatched": r.dispatched,
                "received": r.received,
                "damaged": r.damaged,
                "reason": r.reason,
            }
            for r in rows
        ],
    }


# --- fulfilment --------------------------------------------------------------------------


def fulfilment(
    session: Session,
    response_id: int,
    demand_lines: Iterable[Mapping[str, Any] | Any],
    supplies_arrive_at: datetime | None,
    at: datetime | None = None,
) -> list[FulfilmentOut]:
    """Per region × item of a response: demand, planned (ordered on the response's orders to
    regions that were not cancelled), dispatched and received, sorted by region then item.

    `demand_lines` are objects or mappings with `region_code`, `item_code`, `quantity`
    (the response's demand, which the caller owns). A row is `overdue` when less was
    received than planned and `at` (default now) is past `supplies_arrive_at`; with no
    deadline nothing is overdue. Reads only.
    """
    totals: dict[tuple[str, str], list[int]] = {}
    for line in demand_lines:
        key = (_attr(line, "region_code"), _attr(line, "item_code"))
        totals.setdefault(key, [0, 0, 0, 0])[0] += int(_attr(line, "quantity") or 0)
    if 0 < response_id <= MAX_ID:
        query = (
            select(
                DispatchOrderRow.destination_code,
                DispatchLineRow.item_code,
                func.sum(DispatchLineRow.quantity),
                func.sum(DispatchLineRow.dispatched),
                func.sum(DispatchLineRow.received),
            )
            .join(DispatchLineRow, DispatchLineRow.order_id == DispatchOrderRow.id)
            .where(
                DispatchOrderRow.response_id == response_id,
                DispatchOrderRow.destination_kind == "region",
                DispatchOrderRow.status != "cancelled",
            )
            .group_by(DispatchOrderRow.destination_code, DispatchLineRow.item_code)
        )
        for region, item, planned, dispatched, received in session.exec(query).all():
            row = totals.setdefault((region, item), [0, 0, 0, 0])
            row[1] += int(planned or 0)
            row[2] += int(dispatched or 0)
            row[3] += int(received or 0)
    now = at or clock.now()
    late = supplies_arrive_at is not None and now > clock.as_utc(supplies_arrive_at)
    return [
        FulfilmentOut(
            region_code=region,
            item_code=item,
            demand=demand,
            planned=planned,
            dispatched=dispatched,
            received=received,
            overdue=late and received < planned,
        )
        for (region, item), (demand, planned, dispatched, received) in sorted(totals.items())
    ]


def response_fulfilment(
    session: Session, response_id: int, at: datetime | None = None
) -> list[FulfilmentOut]:
    """`fulfilment` of a stored response: the demand in force (the last edit, else the
    estimate) and the `supplies_arrive` deadline at its current level, both as the
    emergency domain states them. 404 for an unknown response."""
    response = responses.get_response(session, response_id)
    policy = events.event_policy(session, events.get_event(session, response.event_id))
    deadline = responses.response_deadlines(policy, response)["supplies_arrive"]
    return fulfilment(
        session, response_id, responses.demand_lines(session, response_id), deadline, at
    )
