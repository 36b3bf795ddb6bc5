"""Stock service: the only code that changes stock levels, lots and the ledger.

Every changing function takes a session and the acting `Actor`, flushes and never commits
(the caller owns the transaction), writes one ledger row per lot it moves and one audit
record per warehouse x item it changes. Scope is decided here, so that the API, the UI
and the CLI cannot differ: receipts, adjustments, disposals and stocktakes check
`authorise_stock_change` (the warehouse's manager, or admin) and the alerts filter to `visible_warehouses`; stock levels
and ledgers are open to every user (API.md "Who may do what"). The primitives that
reservations, dispatch and transfers build on (reserve, release, ship, receive_into) are
called by the allocation and dispatch services, which authorise their own users.

Concurrency: a change first locks the warehouse x item's `stock_levels` row (on PostgreSQL
SELECT … FOR UPDATE, or the UPDATE that makes the change; on SQLite the write transaction
already holds the database lock since BEGIN IMMEDIATE) and only then its lots, always in
that order. Two requests on the same stock therefore queue up and the second one decides on
the first one's result: stock can neither go below zero nor lose an update. Code that
changes several items in one transaction should lock them up front with `lock_levels`,
which takes them in code order so that two such transactions cannot deadlock.

The one lock order is (warehouse, item, lot): stock rows sorted by warehouse then item,
then the lots of each, sorted by lot. Locks are taken as late as possible: everything that
can be checked without them (the warehouse, the items, quantities, a receipt's repeated
reference) is checked first, so a refused request never queues, and a lock is held only
for the reads and writes that need it, until the caller commits
(tests/dispatch/test_hot_rows.py). The depots' rows are hot (every receipt, transfer and
dispatch there queues on them), so a receipt, a reservation (`reserve_lines`) and a
dispatch (`ship_lines`) lock them with the change itself: one conditional UPDATE … RETURNING
per row (add; reserve if that much is free; take if that much is reserved), the checks that
need the lots after it, and a refusal puts back what the UPDATEs changed, or the caller
rolls back (tests/dispatch/test_statement_counts.py counts what runs under the lock).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, NamedTuple

from sqlalchemy import Table, and_, case, func, or_, tuple_, update
from sqlmodel import Session, col, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_warehouse, visible_warehouses
from relief.auth.models import Actor
from relief.errors import DomainError, Named, Term, invalid, not_found, unknown_code
from relief.network import service as network
from relief.network.records import StockLevel
from relief.stock.check import Difference, check_ledger
from relief.stock.models import (
    DEFAULT_LOT,
    MAX_QUANTITY,
    ExcludedLot,
    ExpiringLotOut,
    LotOut,
    LotPick,
    LowStockOut,
    ReceiptLineIn,
    StockLevelRow,
    StockLotRow,
    StockMovement,
    StockOut,
    WarningOut,
)

__all__ = [
    "Difference",
    "ExcludedLot",
    "LotPick",
    "Shipment",
    "adjust_stock",
    "authorise_stock_change",
    "check_ledger",
    "dispose_stock",
    "expired_receipt_lines",
    "expiring_lots",
    "ledger_page",
    "lock_levels",
    "low_stock",
    "moved_since_scenario_load",
    "pick_lots_fefo",
    "receive_into",
    "receive_arrivals",
    "receive_stock",
    "release_stock",
    "reserve_lines",
    "reserve_stock",
    "set_stock_from_scenario",
    "ship_lines",
    "ship_reserved",
    "stock_levels_for_allocation",
    "stock_of",
    "stocktake",
    "today",
]

SCENARIO_REASON = "scenario load"
# Low stock: free stock (on hand − reserved) below 1.5 × the floor, or none at all.
LOW_STOCK_FACTOR = (3, 2)
AUDIT_ENTITY = "stock_level"


# --- locking and small pieces -----------------------------------------------------------


def _insert(session: Session, table: Table):
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect (creating rows may race)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _lock_level(
    session: Session, warehouse_code: str, item_code: str, *, create: bool = False
) -> tuple[StockLevelRow | None, bool]:
    """The locked stock row, created at zero when asked; and whether it was created now."""
    created = _ensure_level(session, warehouse_code, item_code) if create else False
    row = session.exec(
        select(StockLevelRow)
        .where(
            StockLevelRow.warehouse_code == warehouse_code,
            StockLevelRow.item_code == item_code,
        )
        .with_for_update()
        # Another transaction may have changed the row since this session last read it.
        .execution_options(populate_existing=True)
    ).first()
    return row, created


def lock_levels(session: Session, keys: Iterable[tuple[str, str]], *, create: bool = False) -> None:
    """Lock the stock rows of these (warehouse_code, item_code) pairs in code order.

    For callers that change several items in one transaction (plan approval, receipt of a
    multi-line order): locking everything up front in one global order means two such
    transactions wait for each other instead of deadlocking. Missing rows are skipped, or
    made at zero with `create` (in the same order: two transactions inserting the same new
    rows in opposite orders would deadlock on them too).
    """
    for warehouse_code, item_code in sorted(set(keys)):
        row, _ = _lock_level(session, warehouse_code, item_code)
        if row is None and create:
            _lock_level(session, warehouse_code, item_code, create=True)


def _fefo_key(lot: StockLotRow) -> tuple[bool, date, str]:
    # First-expiring first, lots without expiry last, ties by lot number. Sorted here rather
    # than in SQL so that the order does not depend on the database's collation.
    return (lot.expires_on is None, lot.expires_on or date.max, lot.lot)


def today() -> date:
    """Today's date in China, which decides whether a lot has expired."""
    return clock.today()


def is_expired(expires_on: date | None, on: date) -> bool:
    """A lot has expired once its date is past: it is still good on `expires_on` itself."""
    return expires_on is not None and expires_on < on


def _usable(lots: Sequence[StockLotRow], on: date) -> list[StockLotRow]:
    return [lot for lot in lots if not is_expired(lot.expires_on, on)]


def _expired_units(session: Session, warehouse_code: str, item_code: str) -> int:
    """Units of the warehouse x item in lots past their date today."""
    on = today()
    return sum(
        lot.on_hand
        for lot in _lots(session, warehouse_code, item_code, lock=False)
        if is_expired(lot.expires_on, on)
    )


def _lots(
    session: Session, warehouse_code: str, item_code: str, *, lock: bool
) -> list[StockLotRow]:
    query = select(StockLotRow).where(
        StockLotRow.warehouse_code == warehouse_code, StockLotRow.item_code == item_code
    )
    if lock:
        # Rows are locked in the order the scan meets them: by lot, the last key of the
        # one lock order (warehouse, item, lot).
        query = (
            query.order_by(col(StockLotRow.lot))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    return sorted(session.exec(query).all(), key=_fefo_key)


def _lot_row(session: Session, warehouse_code: str, item_code: str, lot: str) -> StockLotRow:
    """The locked lot row, created empty if missing (call with the stock row locked)."""
    _ensure_lot(session, warehouse_code, item_code, lot)
    row = _existing_lot(session, warehouse_code, item_code, lot)
    assert row is not None  # inserted above or already there
    return row


def _existing_lot(
    session: Session, warehouse_code: str, item_code: str, lot: str
) -> StockLotRow | None:
    """The locked lot row, if the lot is held (call with the stock row locked)."""
    return session.exec(
        select(StockLotRow)
        .where(
            StockLotRow.warehouse_code == warehouse_code,
            StockLotRow.item_code == item_code,
            StockLotRow.lot == lot,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _take_fefo(lots: Sequence[StockLotRow], quantity: int) -> list[tuple[StockLotRow, int]]:
    """(lot, quantity) pairs covering `quantity` first-expiring first; short if lots are."""
    picks: list[tuple[StockLotRow, int]] = []
    left = quantity
    for lot in lots:
        if left == 0:
            break
        take = min(lot.on_hand, left)
        if take > 0:
            picks.append((lot, take))
            left -= take
    return picks


def _ensure_covered(
    takes: Sequence[tuple[StockLotRow, int]], quantity: int, item_code: str, field: str | None
) -> None:
    # Σ lots == on_hand is an invariant, so this only fires on a damaged database, which
    # `relief check` reports; refusing keeps the damage from spreading.
    if sum(q for _, q in takes) < quantity:
        raise _insufficient(
            field,
            "the lots of {item_code} hold less than {quantity}",
            params={"item_code": item_code, "quantity": quantity},
        )


def _move_lots(
    session: Session,
    actor: Actor,
    level: StockLevelRow,
    takes: Sequence[tuple[StockLotRow, int]],
    *,
    sign: int,
    reason: str,
    override_reason: str | None = None,
) -> list[StockMovement]:
    """Add (sign 1) or remove (sign -1) each quantity to its lot, one adjustment row each."""
    at = clock.now()  # one operation, one time on all its rows
    movements = []
    for row, quantity in takes:
        row.on_hand += sign * quantity
        session.add(row)
        movements.append(
            _movement(
                session,
                actor,
                level,
                "adjustment",
                lot=row.lot,
                on_hand_delta=sign * quantity,
                reason=reason,
                override_reason=override_reason,
                at=at,
            )
        )
    return movements


def _pick(lot: StockLotRow, quantity: int) -> LotPick:
    return LotPick(lot=lot.lot or None, expires_on=lot.expires_on, quantity=quantity)


def _movement(
    session: Session,
    actor: Actor,
    level: StockLevelRow | _Key,
    kind: str,
    *,
    lot: str = DEFAULT_LOT,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reference: str = "",
    reason: str = "",
    override_reason: str | None = None,
    order_id: int | None = None,
    at: datetime | None = None,
) -> StockMovement:
    row = StockMovement(
        warehouse_code=level.warehouse_code,
        item_code=level.item_code,
        lot=lot,
        kind=kind,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        reference=reference,
        reason=reason,
        override_reason=override_reason,
        actor=actor.username,
        at=at or clock.now(),
        order_id=order_id,
    )
    session.add(row)
    return row


def _state(level: StockLevelRow | None) -> dict[str, int] | None:
    if level is None:
        return None
    return {"on_hand": level.on_hand, "reserved": level.reserved, "floor": level.floor}


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    level: StockLevelRow,
    before: dict[str, int] | None,
    movements: Sequence[StockMovement],
    **details: Any,
) -> None:
    level.updated_at = clock.now()
    session.add(level)
    _record_audit(session, actor, action, level, before, _state(level), movements, **details)


def _record_audit(
    session: Session,
    actor: Actor,
    action: str,
    level: StockLevelRow | _Key,
    before: dict[str, int] | None,
    state: dict[str, int] | None,
    movements: Sequence[StockMovement],
    **details: Any,
) -> None:
    """The audit row of a change to a stock row: its state before and after, the details
    and the ledger rows written."""
    after: dict[str, Any] = {**(state or {}), **details}
    if movements:
        after["movements"] = [
            {
                "kind": m.kind,
                "lot": m.lot or None,
                "on_hand_delta": m.on_hand_delta,
                "reserved_delta": m.reserved_delta,
            }
            for m in movements
        ]
    audit.record(
        session,
        actor,
        action,
        AUDIT_ENTITY,
        f"{level.warehouse_code}/{level.item_code}",
        before,
        after,
    )


def _check_quantity(quantity: object, field: str) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise invalid(field, "must be an integer")
    if quantity <= 0 or quantity > MAX_QUANTITY:
        raise invalid(
            field, "must be between 1 and {max_quantity}", params={"max_quantity": MAX_QUANTITY}
        )
    return quantity


def _require_warehouse(session: Session, warehouse_code: str) -> None:
    if network.get_warehouse(session, warehouse_code) is None:
        raise not_found("warehouse", warehouse_code)


def _require_item(session: Session, item_code: str, field: str) -> None:
    if network.get_item(session, item_code) is None:
        raise unknown_code(field, item_code, "item")


def _item(session: Session, code: str) -> Named:
    """An item as a message names it: its code in English, its Chinese name in Chinese."""
    row = network.get_item(session, code)
    return Named(code, row.name_zh if row is not None else code)


def _unknown_lot(session: Session, lot: str | None, item_code: str) -> DomainError:
    return DomainError(
        "unknown_code",
        "unknown lot of {item_code}: {lot}",
        "lot",
        params={"item_code": _item(session, item_code), "lot": lot or ""},
    )


def _insufficient(
    field: str | None, message: str, params: dict[str, Any] | None = None
) -> DomainError:
    return DomainError("stock_insufficient", message, field, params=params)


def _keep_reserved_covered(
    session: Session,
    level: StockLevelRow,
    good_taken: int,
    field: str,
    what: str,
    amount: int,
) -> None:
    """Reservations are served from good (unexpired) stock only: a change that removes
    `good_taken` good units must leave at least the reserved quantity good on hand (409
    `stock_insufficient` on `field`). Removing expired units alone never meets this bound.
    Call with the stock row locked."""
    if good_taken <= 0:
        return
    expired = _expired_units(session, level.warehouse_code, level.item_code)
    good_after = level.on_hand - expired - good_taken
    if good_after < level.reserved:
        raise _insufficient(
            field,
            "{reserved} {item_code} in {warehouse_code} are reserved for dispatch orders, which only unexpired stock can serve: {what} {amount} leaves {good_after} unexpired (cancel or reduce the orders first)",
            params={
                "reserved": level.reserved,
                "item_code": _item(session, level.item_code),
                "warehouse_code": level.warehouse_code,
                "what": Term(f"stock.doing.{what}"),
                "amount": amount,
                "good_after": max(good_after, 0),
            },
        )


# --- receipts and stocktakes ------------------------------------------------------------


def authorise_stock_change(
    actor: Actor, warehouse_code: str, session: Session | None = None
) -> None:
    """Booking goods in or out of a warehouse by hand (receipts, stocktakes): its manager,
    or admin; another role → `role_forbidden`, another manager → `scope_forbidden`."""
    authorize_warehouse(actor, warehouse_code, session=session)


def receive_stock(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    reference: str,
    lines: Sequence[ReceiptLineIn],
    override_reason: str | None = None,
) -> list[StockMovement]:
    """A receipt: each line adds its quantity to a lot (the default lot without a number).

    A receipt's reference (入库单号) is booked once per warehouse: a second receipt with
    the same reference is refused (409 `duplicate_reference`), so that a form posted twice
    does not book the goods twice. A lot already past its date is refused (422
    `lot_expired`) unless `override_reason` says why it is booked anyway (it then counts
    as expired stock, to be disposed of).

    A lot that holds stock keeps the expiry it was first received with: a line naming
    another date, or a date for a lot held without one, is a conflict (409
    `lot_expiry_mismatch`). An empty lot takes the line's date (the way to correct a wrong
    date: count the lot to 0, receive again). An expiry date needs a lot number.
    """
    _require_warehouse(session, warehouse_code)
    authorise_stock_change(actor, warehouse_code, session)
    for i, line in enumerate(lines):
        _require_item(session, line.item_code, f"lines[{i}].item_code")
        _check_quantity(line.quantity, f"lines[{i}].quantity")
        if line.expires_on is not None and not line.lot:
            raise invalid(f"lines[{i}].lot", "a lot number is required with expires_on")
    on = today()
    repeat = session.exec(
        select(StockMovement).where(
            StockMovement.warehouse_code == warehouse_code,
            StockMovement.kind == "receipt",
            StockMovement.reference == reference,
        )
    ).first()
    if repeat is not None:
        when = clock.to_cst(repeat.at).strftime("%Y-%m-%d %H:%M")
        raise DomainError(
            "duplicate_reference",
            "receipt {reference} was already booked at this warehouse ({at}); give a new receipt its own reference",
            "reference",
            params={"reference": reference, "at": when},
        )

    # Every depot's receipts, transfers and dispatches queue on its stock rows, so a receipt
    # takes their locks last, with the change itself, and holds them for three statements
    # and the commit (docs/benchmarks.md "Late in the day"). First, unlocked: rows that do
    # not exist yet are made (an insert that finds its row there does nothing and locks
    # nothing), and the ledger rows are written.
    items = sorted({line.item_code for line in lines})
    created = {item: _ensure_level(session, warehouse_code, item) for item in items}
    for item_code, lot in sorted({(line.item_code, line.lot or DEFAULT_LOT) for line in lines}):
        _ensure_lot(session, warehouse_code, item_code, lot)
    at = clock.now()  # one receipt, one time on all its rows
    movements = [
        _movement(
            session,
            actor,
            _Key(warehouse_code, line.item_code),
            "receipt",
            lot=line.lot or DEFAULT_LOT,
            on_hand_delta=line.quantity,
            reference=reference,
            at=at,
            override_reason=override_reason if is_expired(line.expires_on, on) else None,
        )
        for line in lines
    ]
    session.flush()
    # Then the changes, in the one lock order (warehouse, item, lot): each UPDATE locks its
    # row and says what the row holds now.
    quantities = {
        item: sum(line.quantity for line in lines if line.item_code == item) for item in items
    }
    levels = _add_to_levels(session, warehouse_code, quantities, at)
    held: dict[int, tuple[int, date | None]] = {}
    for i in sorted(range(len(lines)), key=lambda i: (lines[i].item_code, lines[i].lot or "")):
        held[i] = _add_to_lot(session, warehouse_code, lines[i])
    for i, line in enumerate(lines):
        before_on_hand, expires_on = held[i]
        if before_on_hand > 0 and line.expires_on is not None and expires_on != line.expires_on:
            # A held lot's expiry is the one it was first received with: a later receipt
            # may neither change it nor date a lot held without one (that would expire
            # units already on the shelf, reserved ones included). Raising rolls back the
            # receipt, the changes above included.
            shown = expires_on.isoformat() if expires_on else Term("stock.no_expiry")
            raise DomainError(
                "lot_expiry_mismatch",
                "lot {lot} of {item_code} is held with {held}, not {expires_on}; to correct a wrong date, count the lot to 0 (stocktake) and receive it again",
                f"lines[{i}].expires_on",
                params={
                    "lot": line.lot or DEFAULT_LOT,
                    "item_code": _item(session, line.item_code),
                    "held": shown,
                    "expires_on": line.expires_on.isoformat(),
                },
            )
        if line.expires_on is not None and is_expired(line.expires_on, on) and not override_reason:
            # Checked after the held expiry, so that a wrong date says it is the wrong one.
            raise DomainError(
                "lot_expired",
                "lot {lot} of {item_code} expired on {expires_on}; give override_reason to book it anyway (as expired stock)",
                f"lines[{i}].expires_on",
                params={
                    "lot": line.lot,
                    "item_code": _item(session, line.item_code),
                    "expires_on": line.expires_on.isoformat(),
                },
            )
    for item in items:
        after = levels[item]
        received = sum(line.quantity for line in lines if line.item_code == item)
        before = None if created[item] else {**after, "on_hand": after["on_hand"] - received}
        _record_audit(
            session,
            actor,
            "receive",
            _Key(warehouse_code, item),
            before,
            after,
            [m for m in movements if m.item_code == item],
            reference=reference,
        )
    session.flush()
    return movements


class _Key(NamedTuple):
    """A stock row's key, for ledger and audit rows written without the row loaded."""

    warehouse_code: str
    item_code: str


def _ensure_level(session: Session, warehouse_code: str, item_code: str) -> bool:
    """Make the stock row at zero if missing, without locking one already there; whether it
    was made now."""
    stmt = (
        _insert(session, StockLevelRow.__table__)  # type: ignore[arg-type]
        .values(
            warehouse_code=warehouse_code,
            item_code=item_code,
            on_hand=0,
            reserved=0,
            floor=0,
            updated_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["warehouse_code", "item_code"])
        # A row comes back only when the insert happened (rowcount is unreliable here).
        .returning(StockLevelRow.__table__.c.item_code)  # type: ignore[attr-defined]
    )
    return session.execute(stmt).first() is not None


def _ensure_lot(session: Session, warehouse_code: str, item_code: str, lot: str) -> None:
    """Make the lot row, empty, if missing, without locking one already there."""
    session.execute(
        _insert(session, StockLotRow.__table__)  # type: ignore[arg-type]
        .values(warehouse_code=warehouse_code, item_code=item_code, lot=lot, on_hand=0)
        .on_conflict_do_nothing(index_elements=["warehouse_code", "item_code", "lot"])
    )


def _add_to_level(
    session: Session, warehouse_code: str, item_code: str, quantity: int, at: datetime
) -> dict[str, int]:
    """Add `quantity` to the stock row in one UPDATE, which locks it; what it holds now."""
    table = StockLevelRow.__table__  # type: ignore[attr-defined]
    row = session.execute(
        update(table)
        .where(table.c.warehouse_code == warehouse_code, table.c.item_code == item_code)
        .values(on_hand=table.c.on_hand + quantity, updated_at=at)
        .returning(table.c.on_hand, table.c.reserved, table.c.floor)
    ).one()
    return {"on_hand": row.on_hand, "reserved": row.reserved, "floor": row.floor}


def _add_to_levels(
    session: Session, warehouse_code: str, quantities: Mapping[str, int], at: datetime
) -> dict[str, dict[str, int]]:
    """Add each item's quantity to its stock row, in item order (the lock order); what each
    row holds now. The UPDATEs bypass the ORM, so the session's copies of these rows and of
    their lots are expired: read again when next used."""
    levels = {
        item: _add_to_level(session, warehouse_code, item, quantities[item], at)
        for item in sorted(quantities)
    }
    _forget_levels(session, warehouse_code, levels)
    _forget_lots(session, warehouse_code, levels)
    return levels


def _add_to_lot(
    session: Session, warehouse_code: str, line: ReceiptLineIn
) -> tuple[int, date | None]:
    """Add a receipt line to its lot in one UPDATE, which locks it: an empty lot takes the
    line's expiry (a new lot, or one counted or disposed to 0), a held one keeps its own.
    What the lot held before the line, and its expiry now."""
    table = StockLotRow.__table__  # type: ignore[attr-defined]
    expires_on = (
        case((table.c.on_hand == 0, line.expires_on), else_=table.c.expires_on)
        if line.expires_on is not None
        else table.c.expires_on
    )
    row = session.execute(
        update(table)
        .where(
            table.c.warehouse_code == warehouse_code,
            table.c.item_code == line.item_code,
            table.c.lot == (line.lot or DEFAULT_LOT),
        )
        .values(on_hand=table.c.on_hand + line.quantity, expires_on=expires_on)
        .returning(table.c.on_hand, table.c.expires_on)
    ).one()
    return row.on_hand - line.quantity, row.expires_on


def adjust_stock(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    item_code: str,
    delta: int,
    reason: str,
    lot: str | None = None,
    override_reason: str | None = None,
) -> list[StockMovement]:
    """A stocktake correction of on-hand stock by `delta` (≠ 0).

    A positive delta goes into `lot` (the default lot without one). A negative delta comes
    out of `lot`, or without one out of the lots first-expiring first (one ledger row per
    lot). Refused with 409 `stock_insufficient` (field `delta`) when it would take stock
    below zero or below what is reserved for dispatch orders, or take unexpired stock below
    what is reserved (reservations are served from it only), and with 409 `below_floor`
    when it would leave less than the floor free, unless `override_reason` says why; the
    override is kept on the ledger row and in the audit record with the actor.
    """
    _require_warehouse(session, warehouse_code)
    authorise_stock_change(actor, warehouse_code, session)
    _require_item(session, item_code, "item_code")
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise invalid("delta", "must be a non-zero integer")
    if abs(delta) > MAX_QUANTITY:
        raise invalid(
            "delta",
            "must be between -{max_quantity} and {max_quantity}",
            params={"max_quantity": MAX_QUANTITY},
        )
    lot_name = lot or DEFAULT_LOT

    level, created = _lock_level(session, warehouse_code, item_code, create=delta > 0)
    if level is None:
        raise _insufficient(
            "delta",
            "no stock of {item_code} in {warehouse_code} to remove",
            params={"item_code": _item(session, item_code), "warehouse_code": warehouse_code},
        )
    before = None if created else _state(level)
    new_on_hand = level.on_hand + delta
    if new_on_hand < 0:
        raise _insufficient(
            "delta",
            "{on_hand} {item_code} on hand: cannot remove {removed}",
            params={
                "on_hand": level.on_hand,
                "item_code": _item(session, item_code),
                "removed": -delta,
            },
        )
    if delta < 0 and new_on_hand < level.reserved:
        raise _insufficient(
            "delta",
            "{reserved} of {on_hand} {item_code} are reserved for dispatch orders: cannot remove {removed} (cancel or reduce the orders first)",
            params={
                "reserved": level.reserved,
                "on_hand": level.on_hand,
                "item_code": _item(session, item_code),
                "removed": -delta,
            },
        )

    if delta > 0:
        takes = [(_lot_row(session, warehouse_code, item_code, lot_name), delta)]
    elif lot is not None:
        held = _existing_lot(session, warehouse_code, item_code, lot_name)
        if held is None:
            raise _unknown_lot(session, lot, item_code)
        if held.on_hand < -delta:
            raise _insufficient(
                "delta",
                "lot {lot} holds {on_hand} {item_code}: cannot remove {removed}",
                params={
                    "lot": lot,
                    "on_hand": held.on_hand,
                    "item_code": _item(session, item_code),
                    "removed": -delta,
                },
            )
        takes = [(held, -delta)]
    else:
        takes = _take_fefo(_lots(session, warehouse_code, item_code, lock=True), -delta)
        _ensure_covered(takes, -delta, item_code, "delta")
    below_floor = False
    if delta < 0:
        # Free stock leaves expired lots out: units taken from them free nothing less, and
        # units taken from good lots must neither uncover a reservation nor pass the floor
        # unseen.
        on = today()
        good_taken = sum(q for row, q in takes if not is_expired(row.expires_on, on))
        _keep_reserved_covered(session, level, good_taken, "delta", "remove", -delta)
        expired = _expired_units(session, warehouse_code, item_code)
        free_before = level.on_hand - level.reserved - expired
        free_after = free_before - good_taken
        below_floor = free_after < level.floor and free_after < free_before
        if below_floor and not override_reason:
            raise DomainError(
                "below_floor",
                "removing {removed} leaves {free} {item_code} free, below the floor of {floor}; give override_reason to do it anyway",
                "delta",
                params={
                    "removed": -delta,
                    "free": max(free_after, 0),
                    "item_code": _item(session, item_code),
                    "floor": level.floor,
                },
            )
    movements = _move_lots(
        session,
        actor,
        level,
        takes,
        sign=1 if delta > 0 else -1,
        reason=reason,
        override_reason=override_reason,
    )
    level.on_hand = new_on_hand
    _audit(
        session,
        actor,
        "adjust",
        level,
        before,
        movements,
        reason=reason,
        override_reason=override_reason,
        below_floor=below_floor,
    )
    session.flush()
    return movements


def expired_receipt_lines(lines: Sequence[ReceiptLineIn]) -> list[WarningOut]:
    """Warnings for receipt lines whose lot is already past its date: such a lot is booked
    (the goods are on the shelf) but counts as expired, never as available."""
    on = today()
    return [
        WarningOut(
            code="lot_expired",
            field=f"lines[{i}].expires_on",
            message=f"lot {line.lot} of {line.item_code} expired on "
            f"{line.expires_on.isoformat()}: booked as expired, not available; "
            "dispose of it (报废) when it leaves",
        )
        for i, line in enumerate(lines)
        if line.expires_on is not None and is_expired(line.expires_on, on)
    ]


def _held_lot(
    session: Session, warehouse_code: str, item_code: str, lot: str | None
) -> StockLotRow:
    held = _existing_lot(session, warehouse_code, item_code, lot or DEFAULT_LOT)
    if held is None:
        raise _unknown_lot(session, lot, item_code)
    return held


def dispose_stock(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    item_code: str,
    reason: str,
    lot: str | None = None,
    quantity: int | None = None,
    override_reason: str | None = None,
) -> list[StockMovement]:
    """报废: `quantity` (default: all the lot holds) of one lot leaves the books for good,
    one ledger row of kind `disposal` with the reason.

    Meant for expired lots. A lot that has not expired (the default lot never does) needs
    `override_reason` (else 409 `lot_not_expired`), which is kept on the row and in the
    audit record. Refused with 409 `stock_insufficient` when the lot holds less, or when it
    would leave less on hand than is reserved for dispatch orders (reduce those first), or,
    for a lot that has not expired, less unexpired stock than is reserved.
    """
    _require_warehouse(session, warehouse_code)
    authorise_stock_change(actor, warehouse_code, session)
    _require_item(session, item_code, "item_code")
    if quantity is not None:
        _check_quantity(quantity, "quantity")
    level, _ = _lock_level(session, warehouse_code, item_code)
    if level is None:
        raise _unknown_lot(session, lot, item_code)
    held = _held_lot(session, warehouse_code, item_code, lot)
    take = held.on_hand if quantity is None else quantity
    if take <= 0 or held.on_hand < take:
        raise _insufficient(
            "quantity",
            "lot {lot} holds {on_hand} {item_code}: cannot dispose of {take}",
            params={
                "lot": lot or Term("stock.default_lot"),
                "on_hand": held.on_hand,
                "item_code": _item(session, item_code),
                "take": take,
            },
        )
    expired = is_expired(held.expires_on, today())
    if not expired and not override_reason:
        if held.expires_on:
            raise DomainError(
                "lot_not_expired",
                "lot {lot} of {item_code} has not expired (good until {expires_on}); give override_reason to dispose of it anyway",
                "lot",
                params={
                    "lot": lot or Term("stock.default_lot"),
                    "item_code": _item(session, item_code),
                    "expires_on": held.expires_on.isoformat(),
                },
            )
        raise DomainError(
            "lot_not_expired",
            "lot {lot} of {item_code} has not expired; give override_reason to dispose of it anyway",
            "lot",
            params={
                "lot": lot or Term("stock.default_lot"),
                "item_code": _item(session, item_code),
            },
        )
    if level.on_hand - take < level.reserved:
        raise _insufficient(
            "quantity",
            "{reserved} of {on_hand} {item_code} are reserved for dispatch orders: cannot dispose of {take} (dispatch short or cancel the orders first)",
            params={
                "reserved": level.reserved,
                "on_hand": level.on_hand,
                "item_code": _item(session, item_code),
                "take": take,
            },
        )
    if not expired:
        _keep_reserved_covered(session, level, take, "quantity", "dispose", take)
    before = _state(level)
    held.on_hand -= take
    session.add(held)
    movement = _movement(
        session,
        actor,
        level,
        "disposal",
        lot=held.lot,
        on_hand_delta=-take,
        reason=reason,
        override_reason=override_reason,
    )
    level.on_hand -= take
    _audit(
        session,
        actor,
        "dispose",
        level,
        before,
        [movement],
        reason=reason,
        override_reason=override_reason,
        expired=expired,
    )
    session.flush()
    return [movement]


def stocktake(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    item_code: str,
    counted: int,
    lot: str | None = None,
    reason: str | None = None,
    override_reason: str | None = None,
) -> tuple[list[StockMovement], bool]:
    """盘点: `counted` is what is on the shelf of one lot (the default lot without `lot`);
    the difference counted − on_hand is booked as one ledger row of kind `stocktake` that
    keeps the count. A count equal to the books books nothing (the audit keeps it).

    Without `lot`, an item held in named lots is refused (422 on `lot`): count each lot,
    so that a whole-item count is never booked against the wrong lot. A count that leaves
    less on hand than is reserved → 409 `stock_insufficient`; one that leaves less than the
    floor free → 409 `below_floor` unless `override_reason`, as for an adjustment.
    Returns the rows and whether the count left the item below its floor.
    """
    _require_warehouse(session, warehouse_code)
    authorise_stock_change(actor, warehouse_code, session)
    _require_item(session, item_code, "item_code")
    if isinstance(counted, bool) or not isinstance(counted, int):
        raise invalid("counted", "must be an integer")
    if not 0 <= counted <= MAX_QUANTITY:
        raise invalid(
            "counted", "must be between 0 and {max_quantity}", params={"max_quantity": MAX_QUANTITY}
        )
    level, created = _lock_level(session, warehouse_code, item_code, create=lot is None)
    if level is None:
        raise _unknown_lot(session, lot, item_code)
    before = None if created else _state(level)
    if lot is None:
        named = [
            x.lot
            for x in _lots(session, warehouse_code, item_code, lock=True)
            if x.lot and x.on_hand
        ]
        if named:
            raise invalid(
                "lot",
                "{item_code} is held in lots ({named}): count each lot",
                params={"item_code": _item(session, item_code), "named": ", ".join(named)},
            )
        row = _lot_row(session, warehouse_code, item_code, DEFAULT_LOT)
    else:
        row = _held_lot(session, warehouse_code, item_code, lot)
    delta = counted - row.on_hand
    new_on_hand = level.on_hand + delta
    below_floor = False
    if delta < 0:
        if new_on_hand < level.reserved:
            raise _insufficient(
                "counted",
                "{reserved} {item_code} are reserved for dispatch orders but the count leaves {new_on_hand} on hand (cancel or reduce the orders first)",
                params={
                    "reserved": level.reserved,
                    "item_code": _item(session, item_code),
                    "new_on_hand": new_on_hand,
                },
            )
        # Free stock leaves expired lots out: counting an expired lot short frees nothing
        # less, so only a count that lowers the free stock below the floor needs an override;
        # and counting a good lot short may not leave reservations without good stock.
        good_taken = 0 if is_expired(row.expires_on, today()) else -delta
        _keep_reserved_covered(session, level, good_taken, "counted", "count", counted)
        expired = _expired_units(session, warehouse_code, item_code)
        free_before = level.on_hand - level.reserved - expired
        free_after = free_before - good_taken
        below_floor = free_after < level.floor and free_after < free_before
        if below_floor and not override_reason:
            raise DomainError(
                "below_floor",
                "the count leaves {free} {item_code} free, below the floor of {floor}; give override_reason to book it",
                "counted",
                params={
                    "free": max(free_after, 0),
                    "item_code": _item(session, item_code),
                    "floor": level.floor,
                },
            )
    movements = []
    if delta != 0:
        row.on_hand = counted
        session.add(row)
        movements.append(
            _movement(
                session,
                actor,
                level,
                "stocktake",
                lot=row.lot,
                on_hand_delta=delta,
                reason=reason or "",
                override_reason=override_reason,
            )
        )
        movements[0].counted = counted
        level.on_hand = new_on_hand
    _audit(
        session,
        actor,
        "stocktake",
        level,
        before,
        movements,
        lot=row.lot or None,
        counted=counted,
        reason=reason,
        override_reason=override_reason,
        below_floor=below_floor,
    )
    session.flush()
    return movements, below_floor


# --- reservations and shipping (dispatch orders build on these) -------------------------


def reserve_stock(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    item_code: str,
    quantity: int,
    reference: str,
    order_id: int | None = None,
    *,
    field: str | None = "quantity",
) -> StockMovement:
    """Promise `quantity` to an order: only stock above the floor, not yet reserved and
    not in expired lots.

    409 `stock_insufficient` on `field` when on_hand − reserved − floor − expired < quantity
    (the caller rolls back: the ledger row is written first). `reserve_lines` for several
    items at once.
    """
    (movement,) = reserve_lines(
        session, actor, warehouse_code, [(item_code, quantity, field)], reference, order_id
    )
    return movement


def reserve_lines(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    lines: Sequence[tuple[str, int, str | None]],
    reference: str,
    order_id: int | None = None,
) -> list[StockMovement]:
    """Reserve each (item_code, quantity, field) at the warehouse as `reserve_stock` does,
    one ledger row of kind `reservation` per line (in the lines' order); each item once.

    Every transfer and order from a depot queues on its stock rows, so they are locked
    last and briefly (docs/benchmarks.md "Late in the day"): in the one lock order, one
    conditional UPDATE per item reserves the quantity only if that much is free (on_hand −
    reserved − floor − units in expired lots), which locks the row; then one UPDATE of
    all the rows checks them again with the lots read afresh and stamps them; then the
    ledger and audit rows. A refusal raises for the first line in the lines' order that
    does not fit, as if they had been reserved one by one, and writes nothing.
    """
    for _, quantity, field in lines:
        _check_quantity(quantity, field or "quantity")
    if len({item_code for item_code, _, _ in lines}) < len(lines):
        raise ValueError("reserve_lines takes each item once")
    on = today()
    states: dict[int, dict[str, int]] = {}
    short: dict[int, int] = {}
    for i in sorted(range(len(lines)), key=lambda i: lines[i][0]):  # the one lock order
        item_code, quantity, _ = lines[i]
        state = _reserve_if_free(session, warehouse_code, item_code, quantity, on)
        if state is None:
            # Refused, or no stock row: decide under the lock, as one at a time would (and
            # before the next item's row, to keep the order).
            level, _ = _lock_level(session, warehouse_code, item_code)
            expired = 0 if level is None else _expired_units(session, warehouse_code, item_code)
            available = 0 if level is None else _available(level, expired)
            if level is None or available < quantity:
                short[i] = available
                continue
            state = _add_reserved(session, warehouse_code, item_code, quantity)  # see below
        states[i] = state
    at = clock.now()  # one reservation, one time on its rows
    if not short:
        # Each UPDATE above read the lots as they were when it started; a change that
        # committed while it waited for the row may have put units into expired lots (a
        # receipt booked with override_reason, a transfer arriving in a lot past its date).
        # Now that the rows are held, lots cannot change (they change only under their
        # stock row's lock): check again, and stamp the rows that pass.
        stamped = _stamp_if_covered(session, warehouse_code, [lines[i][0] for i in states], on, at)
        for i, (item_code, quantity, _) in enumerate(lines):
            if item_code not in stamped:
                state = states[i]
                free = state["on_hand"] - state["reserved"] - state["floor"] + quantity
                short[i] = max(0, free - _expired_units(session, warehouse_code, item_code))
    _forget_levels(session, warehouse_code, [item_code for item_code, _, _ in lines])
    if short:
        for i in states:  # give back what the UPDATEs took
            _add_reserved(session, warehouse_code, lines[i][0], -lines[i][1])
        i = min(short)
        item_code, quantity, field = lines[i]
        raise _insufficient(
            field,
            "{available} {item_code} available in {warehouse_code}: cannot reserve {quantity}",
            params={
                "available": short[i],
                "item_code": _item(session, item_code),
                "warehouse_code": warehouse_code,
                "quantity": quantity,
            },
        )
    movements = []
    for i, (item_code, quantity, _) in enumerate(lines):
        key, after = _Key(warehouse_code, item_code), states[i]
        movement = _movement(
            session,
            actor,
            key,
            "reservation",
            reserved_delta=quantity,
            reference=reference,
            order_id=order_id,
            at=at,
        )
        before = {**after, "reserved": after["reserved"] - quantity}
        _record_audit(
            session, actor, "reserve", key, before, after, [movement], reference=reference
        )
        movements.append(movement)
    session.flush()
    return movements


def _level_state(row: Any) -> dict[str, int]:
    return {"on_hand": row.on_hand, "reserved": row.reserved, "floor": row.floor}


def _forget_levels(session: Session, warehouse_code: str, item_codes: Iterable[str]) -> None:
    """The UPDATEs here bypass the ORM: a copy of these rows the session holds (locked by
    `lock_levels` before, say) is expired, so that it is read again when next used."""
    for item_code in item_codes:
        key = session.identity_key(StockLevelRow, (warehouse_code, item_code))
        held = session.identity_map.get(key)
        if held is not None:
            session.expire(held)


def _free_units(table: Table, on: date):
    """on_hand − reserved − floor − units in lots past their date, of each stock row."""
    lots = StockLotRow.__table__  # type: ignore[attr-defined]
    expired = (
        select(func.coalesce(func.sum(lots.c.on_hand), 0))
        .where(
            lots.c.warehouse_code == table.c.warehouse_code,
            lots.c.item_code == table.c.item_code,
            lots.c.expires_on < on,
        )
        .scalar_subquery()
    )
    return table.c.on_hand - table.c.reserved - table.c.floor - expired


def _reserve_if_free(
    session: Session, warehouse_code: str, item_code: str, quantity: int, on: date
) -> dict[str, int] | None:
    """Reserve `quantity` in one UPDATE if that much is free, which locks the row; what the
    row holds now, or None when it was not free (or there is no row)."""
    table = StockLevelRow.__table__  # type: ignore[attr-defined]
    row = session.execute(
        update(table)
        .where(
            table.c.warehouse_code == warehouse_code,
            table.c.item_code == item_code,
            _free_units(table, on) >= quantity,
        )
        .values(reserved=table.c.reserved + quantity)
        .returning(table.c.on_hand, table.c.reserved, table.c.floor)
    ).first()
    return None if row is None else _level_state(row)


def _add_reserved(
    session: Session, warehouse_code: str, item_code: str, quantity: int
) -> dict[str, int]:
    """Add `quantity` (< 0: take it back) to the reserved units of a row held locked."""
    table = StockLevelRow.__table__  # type: ignore[attr-defined]
    row = session.execute(
        update(table)
        .where(table.c.warehouse_code == warehouse_code, table.c.item_code == item_code)
        .values(reserved=table.c.reserved + quantity)
        .returning(table.c.on_hand, table.c.reserved, table.c.floor)
    ).one()
    return _level_state(row)


def _stamp_if_covered(
    session: Session, warehouse_code: str, item_codes: Sequence[str], on: date, at: datetime
) -> set[str]:
    """Stamp `updated_at` on the warehouse's rows of these items (held locked) whose
    reservations unexpired stock above the floor covers; the items stamped."""
    table = StockLevelRow.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        update(table)
        .where(
            table.c.warehouse_code == warehouse_code,
            table.c.item_code.in_(item_codes),
            _free_units(table, on) >= 0,
        )
        .values(updated_at=at)
        .returning(table.c.item_code)
    ).all()
    return {row.item_code for row in rows}


def release_stock(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    item_code: str,
    quantity: int,
    reference: str,
    reason: str,
    order_id: int | None = None,
    *,
    field: str | None = "quantity",
) -> StockMovement:
    """Give back a reservation (order cancelled or dispatched short); 409 beyond reserved."""
    _check_quantity(quantity, field or "quantity")
    level, _ = _lock_level(session, warehouse_code, item_code)
    reserved = 0 if level is None else level.reserved
    if level is None or reserved < quantity:
        raise _cannot_release(session, field, reserved, warehouse_code, item_code, quantity)
    before = _state(level)
    level.reserved -= quantity
    movement = _movement(
        session,
        actor,
        level,
        "release",
        reserved_delta=-quantity,
        reference=reference,
        reason=reason,
        order_id=order_id,
    )
    _audit(session, actor, "release", level, before, [movement], reference=reference, reason=reason)
    session.flush()
    return movement


def pick_lots_fefo(
    session: Session,
    warehouse_code: str,
    item_code: str,
    quantity: int,
    *,
    field: str | None = "quantity",
    short_ok: bool = False,
) -> list[LotPick]:
    """Which lots `quantity` would come from, first-expiring first (a preview: no change).

    Expired lots are never picked. Lots without expiry come last; ties go by lot number,
    the default lot first. 409 `stock_insufficient` on `field` when the usable lots hold
    less, unless `short_ok`, which returns what they hold (a pick list still to be shown).
    """
    _check_quantity(quantity, field or "quantity")
    usable = _usable(_lots(session, warehouse_code, item_code, lock=False), today())
    takes = _take_fefo(usable, quantity)
    held = sum(q for _, q in takes)
    if held < quantity and not short_ok:
        raise _insufficient(
            field,
            "{held} {item_code} on hand in {warehouse_code} in lots not expired: cannot pick {quantity}",
            params={
                "held": held,
                "item_code": _item(session, item_code),
                "warehouse_code": warehouse_code,
                "quantity": quantity,
            },
        )
    return [_pick(lot, q) for lot, q in takes]


def preview_picks(session: Session, wanted: Sequence[tuple[str, str, int]]) -> list[list[LotPick]]:
    """`pick_lots_fefo(…, short_ok=True)` of each (warehouse, item, quantity), in one query
    for all of them (an order list shows the pick list of every reserved line)."""
    if not wanted:
        return []
    pairs = sorted({(w, i) for w, i, _ in wanted})
    lots: dict[tuple[str, str], list[StockLotRow]] = {p: [] for p in pairs}
    # Plain rows, not ORM objects: only read, and a list page shows many.
    query = select(*StockLotRow.__table__.c).where(  # type: ignore[attr-defined]
        tuple_(col(StockLotRow.warehouse_code), col(StockLotRow.item_code)).in_(pairs)
    )
    for lot in session.exec(query).all():
        lots[(lot.warehouse_code, lot.item_code)].append(lot)
    on = today()
    usable = {p: _usable(sorted(rows, key=_fefo_key), on) for p, rows in lots.items()}
    return [
        [_pick(lot, q) for lot, q in _take_fefo(usable[(w, i)], quantity)]
        for w, i, quantity in wanted
    ]


class Shipment(NamedTuple):
    """One item of a dispatch for `ship_lines`: `quantity` leaves the warehouse (0: none)
    and `release` reserved units are given back (dispatched short), `reason` saying why."""

    item_code: str
    quantity: int
    release: int = 0
    reason: str = ""


def ship_reserved(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    item_code: str,
    quantity: int,
    reference: str,
    kind: Literal["dispatch", "transfer_out"] = "dispatch",
    order_id: int | None = None,
    *,
    field: str | None = "quantity",
) -> list[LotPick]:
    """Send reserved stock out: on_hand and reserved both drop by `quantity`.

    The quantity comes out of the lots first-expiring first, expired lots skipped (409
    `stock_insufficient` when the usable lots hold less), one ledger row of `kind` per lot; the lots taken are returned (the order keeps them, and a transfer passes them to
    `receive_into`). 409 `stock_insufficient` on `field` when less is reserved. The caller
    rolls back a refusal. `ship_lines` for several items at once.
    """
    _check_quantity(quantity, field or "quantity")
    (picks,) = ship_lines(
        session,
        actor,
        warehouse_code,
        [Shipment(item_code, quantity)],
        reference,
        kind=kind,
        order_id=order_id,
        field=field,
    )
    return picks


def ship_lines(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    lines: Sequence[Shipment],
    reference: str,
    *,
    kind: Literal["dispatch", "transfer_out"] = "dispatch",
    order_id: int | None = None,
    field: str | None = "quantity",
) -> list[list[LotPick]]:
    """A dispatch's stock: for each item (once each), `release` reserved units are given
    back (`release_stock`: a ledger row of kind `release` with the reason) and then
    `quantity` ships (`ship_reserved`); the lots each line shipped from, in the lines' order.

    Every dispatch from a depot queues on its stock rows, so they are locked last and
    briefly: in the one lock order, one UPDATE per item takes what leaves off on_hand and
    reserved if that much is reserved, which locks the row; then the items' lots in one
    locking read, chosen first-expiring first; then the lots' changes and the ledger and
    audit rows. A refusal raises for the first line in the lines' order that does not fit,
    with the error the one-at-a-time calls give (release, then reserved, then lots), and
    writes nothing.
    """
    if kind not in ("dispatch", "transfer_out"):
        raise invalid("kind", "must be dispatch or transfer_out")
    if len({line.item_code for line in lines}) < len(lines):
        raise ValueError("ship_lines takes each item once")
    for line in lines:
        if line.release:
            _check_quantity(line.release, field or "quantity")
        if line.quantity or not line.release:
            _check_quantity(line.quantity, field or "quantity")
    at = clock.now()  # one dispatch, one time on its rows
    states: dict[int, dict[str, int]] = {}
    refusals: dict[int, DomainError] = {}
    for i in sorted(range(len(lines)), key=lambda i: lines[i].item_code):  # the lock order
        line = lines[i]
        state = _take_reserved(session, warehouse_code, line, at)
        if state is None:
            # Not that much reserved, or no stock row: find which refusal, under the lock.
            level, _ = _lock_level(session, warehouse_code, line.item_code)
            refusal = _reserved_refusal(session, warehouse_code, line, level, field)
            if refusal is not None:
                refusals[i] = refusal
                continue
            state = _take_reserved(session, warehouse_code, line, at)  # reserved since
            assert state is not None
        states[i] = state

    # The lots of every item that ships, locked in one read (lots change only under their
    # stock row's lock, held now), first-expiring first.
    shipping = sorted({lines[i].item_code for i in states if lines[i].quantity})
    lots = _lots_of(session, warehouse_code, shipping)
    on = today()
    takes: dict[int, list[tuple[StockLotRow, int]]] = {}
    for i in states:
        line = lines[i]
        if not line.quantity:
            takes[i] = []
            continue
        takes[i] = _take_fefo(_usable(lots.get(line.item_code, []), on), line.quantity)
        usable = sum(q for _, q in takes[i])
        if usable < line.quantity:
            refusals[i] = _insufficient(
                field,
                "{usable} {item_code} in {warehouse_code} are in lots not expired: cannot ship {quantity} (expired lots never leave but as a disposal; dispatch less with a reason)",
                params={
                    "usable": usable,
                    "item_code": _item(session, line.item_code),
                    "warehouse_code": warehouse_code,
                    "quantity": line.quantity,
                },
            )
    _forget_levels(session, warehouse_code, [line.item_code for line in lines])
    if refusals:
        for i in states:  # give back what the UPDATEs took
            _take_reserved(session, warehouse_code, lines[i], at, undo=True)
        raise refusals[min(refusals)]

    picks: list[list[LotPick]] = []
    for i, line in enumerate(lines):
        key = _Key(warehouse_code, line.item_code)
        after = states[i]
        shipped = {**after, "on_hand": after["on_hand"] + line.quantity}
        shipped["reserved"] = after["reserved"] + line.quantity
        if line.release:
            release = _movement(
                session,
                actor,
                key,
                "release",
                reserved_delta=-line.release,
                reference=reference,
                reason=line.reason,
                order_id=order_id,
                at=at,
            )
            released = {**shipped, "reserved": shipped["reserved"] + line.release}
            _record_audit(
                session,
                actor,
                "release",
                key,
                released,
                shipped,
                [release],
                reference=reference,
                reason=line.reason,
            )
        if not line.quantity:
            picks.append([])
            continue
        movements = []
        for lot, q in takes[i]:
            lot.on_hand -= q
            session.add(lot)
            movements.append(
                _movement(
                    session,
                    actor,
                    key,
                    kind,
                    lot=lot.lot,
                    on_hand_delta=-q,
                    reserved_delta=-q,
                    reference=reference,
                    order_id=order_id,
                    at=at,
                )
            )
        _record_audit(session, actor, kind, key, shipped, after, movements, reference=reference)
        picks.append([_pick(lot, q) for lot, q in takes[i]])
    session.flush()
    return picks


def _take_reserved(
    session: Session, warehouse_code: str, line: Shipment, at: datetime, *, undo: bool = False
) -> dict[str, int] | None:
    """Release and ship `line` in one UPDATE if that much is reserved, which locks the row;
    what the row holds now, or None (not reserved, or no row). `undo` puts it back."""
    table = StockLevelRow.__table__  # type: ignore[attr-defined]
    sign = -1 if undo else 1
    leaving = line.quantity + line.release
    row = session.execute(
        update(table)
        .where(
            table.c.warehouse_code == warehouse_code,
            table.c.item_code == line.item_code,
            table.c.reserved >= (0 if undo else leaving),
        )
        .values(
            on_hand=table.c.on_hand - sign * line.quantity,
            reserved=table.c.reserved - sign * leaving,
            updated_at=at,
        )
        .returning(table.c.on_hand, table.c.reserved, table.c.floor)
    ).first()
    return None if row is None else _level_state(row)


def _reserved_refusal(
    session: Session,
    warehouse_code: str,
    line: Shipment,
    level: StockLevelRow | None,
    field: str | None,
) -> DomainError | None:
    """Why `line` cannot be released and shipped from the locked `level`, as
    `release_stock` then `ship_reserved` would say; None if it can now."""
    reserved = 0 if level is None else level.reserved
    if line.release and reserved < line.release:
        return _cannot_release(
            session, field, reserved, warehouse_code, line.item_code, line.release
        )
    reserved -= line.release
    if reserved < line.quantity:
        return _insufficient(
            field,
            "{reserved} {item_code} reserved in {warehouse_code}: cannot ship {quantity}",
            params={
                "reserved": reserved,
                "item_code": _item(session, line.item_code),
                "warehouse_code": warehouse_code,
                "quantity": line.quantity,
            },
        )
    return None


def _cannot_release(
    session: Session,
    field: str | None,
    reserved: int,
    warehouse_code: str,
    item_code: str,
    quantity: int,
) -> DomainError:
    return _insufficient(
        field,
        "{reserved} {item_code} reserved in {warehouse_code}: cannot release {quantity}",
        params={
            "reserved": reserved,
            "item_code": _item(session, item_code),
            "warehouse_code": warehouse_code,
            "quantity": quantity,
        },
    )


def _lots_of(
    session: Session, warehouse_code: str, item_codes: Sequence[str]
) -> dict[str, list[StockLotRow]]:
    """The lots of these items at the warehouse, locked, first-expiring first per item."""
    if not item_codes:
        return {}
    query = (
        select(StockLotRow)
        .where(
            StockLotRow.warehouse_code == warehouse_code,
            col(StockLotRow.item_code).in_(item_codes),
        )
        # Locked in the order the scan meets them: by item, then lot (the one lock order).
        .order_by(col(StockLotRow.item_code), col(StockLotRow.lot))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found: dict[str, list[StockLotRow]] = {}
    for lot in session.exec(query).all():
        found.setdefault(lot.item_code, []).append(lot)
    return {item: sorted(rows, key=_fefo_key) for item, rows in found.items()}


def receive_into(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    item_code: str,
    quantity: int,
    lots: Sequence[LotPick],
    reference: str,
    order_id: int | None = None,
) -> list[LotPick]:
    """A transfer arriving: `quantity` goes into the lots it left its source with.

    `lots` are the picks `ship_reserved` returned at the source. They are filled in order
    up to `quantity`, so a short arrival (damage on the road) is counted against the last
    lots; more than the lots carried is refused (422 on `quantity`). No lots means the
    default lot. A lot already held here with another expiry keeps the earlier date, the
    safe choice for first-expiring-first picking. Ledger rows are of kind `transfer_in`.
    (One item of `receive_arrivals`.)
    """
    return receive_arrivals(
        session, actor, warehouse_code, [(item_code, quantity, lots)], reference, order_id
    )[0]


def receive_arrivals(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    arrivals: Sequence[tuple[str, int, Sequence[LotPick]]],
    reference: str,
    order_id: int | None = None,
) -> list[list[LotPick]]:
    """A transfer's items arriving, each (item_code, quantity, lots) as `receive_into`
    describes; the lots each went into.

    Locked last, as a receipt: missing rows are made and every ledger row written first
    (in the arrivals' order), unlocked; then one UPDATE … RETURNING per stock row and per
    lot, in the one lock order (warehouse, item, lot), each locking its row for the few
    statements left before the commit.
    """
    _require_warehouse(session, warehouse_code)
    # (arrival, item, lot, expiry, units) in the arrivals' order: the ledger's order.
    takes: list[tuple[int, str, str, date | None, int]] = []
    quantities: dict[str, int] = {}
    for arrival, (item_code, quantity, lots) in enumerate(arrivals):
        _require_item(session, item_code, "item_code")
        _check_quantity(quantity, "quantity")
        carried = list(lots) or [LotPick(lot=None, expires_on=None, quantity=quantity)]
        if quantity > sum(p.quantity for p in carried):
            raise invalid("quantity", "more than the lots carried")
        left = quantity
        for pick in carried:
            take = min(left, pick.quantity)
            if take > 0:
                left -= take
                takes.append((arrival, item_code, pick.lot or DEFAULT_LOT, pick.expires_on, take))
        quantities[item_code] = quantities.get(item_code, 0) + quantity
    created = {item: _ensure_level(session, warehouse_code, item) for item in sorted(quantities)}
    for item_code, lot in sorted({(item, lot) for _, item, lot, _, _ in takes}):
        _ensure_lot(session, warehouse_code, item_code, lot)
    at = clock.now()
    movements = [
        _movement(
            session,
            actor,
            _Key(warehouse_code, item_code),
            "transfer_in",
            lot=lot,
            on_hand_delta=take,
            reference=reference,
            order_id=order_id,
            at=at,
        )
        for _, item_code, lot, _, take in takes
    ]
    session.flush()
    levels = _add_to_levels(session, warehouse_code, quantities, at)
    expiry: dict[int, date | None] = {}
    for i in sorted(range(len(takes)), key=lambda i: takes[i][1:3]):  # (item, lot)
        _, item_code, lot, expires_on, take = takes[i]
        expiry[i] = _add_arrival_to_lot(session, warehouse_code, item_code, lot, take, expires_on)
    for item_code, after in levels.items():
        received = quantities[item_code]
        before = None if created[item_code] else {**after, "on_hand": after["on_hand"] - received}
        _record_audit(
            session,
            actor,
            "transfer_in",
            _Key(warehouse_code, item_code),
            before,
            after,
            [m for m in movements if m.item_code == item_code],
            reference=reference,
        )
    return [
        [
            LotPick(lot=lot or None, expires_on=expiry[i], quantity=take)
            for i, (of, _, lot, _, take) in enumerate(takes)
            if of == arrival
        ]
        for arrival in range(len(arrivals))
    ]


def _add_arrival_to_lot(
    session: Session,
    warehouse_code: str,
    item_code: str,
    lot: str,
    quantity: int,
    expires_on: date | None,
) -> date | None:
    """Add a transfer's units to its lot in one UPDATE, which locks it: a numbered lot takes
    the arrival's expiry when it has none or a later one (the earlier date is the safe one
    for first-expiring-first picking); the default lot has none. The lot's expiry now."""
    table = StockLotRow.__table__  # type: ignore[attr-defined]
    values: dict[str, Any] = {"on_hand": table.c.on_hand + quantity}
    if lot and expires_on is not None:
        values["expires_on"] = case(
            (
                or_(table.c.expires_on.is_(None), table.c.expires_on > expires_on),
                expires_on,
            ),
            else_=table.c.expires_on,
        )
    row = session.execute(
        update(table)
        .where(
            table.c.warehouse_code == warehouse_code,
            table.c.item_code == item_code,
            table.c.lot == lot,
        )
        .values(**values)
        .returning(table.c.expires_on)
    ).one()
    return row.expires_on


def _forget_lots(session: Session, warehouse_code: str, item_codes: Iterable[str]) -> None:
    """As `_forget_levels`, for the lots of these stock rows the session holds."""
    items = set(item_codes)
    for held in list(session.identity_map.values()):
        if (
            isinstance(held, StockLotRow)
            and held.warehouse_code == warehouse_code
            and held.item_code in items
        ):
            session.expire(held)


def set_stock_from_scenario(
    session: Session,
    actor: Actor,
    warehouse_code: str,
    item_code: str,
    on_hand: int,
    floor: int,
) -> list[StockMovement]:
    """Stock as a scenario's stock.csv states it; loading the same figures again is a no-op.

    A new row, or a changed on_hand, is written to the ledger as an `adjustment` with
    reason "scenario load" (into the default lot; a decrease comes out first-expiring
    first). A changed floor is audited. Stock reserved for orders cannot be loaded away
    (409 `stock_insufficient` on `on_hand`).
    """
    for name, value in (("on_hand", on_hand), ("floor", floor)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise invalid(name, "must be an integer ≥ 0")
    _require_warehouse(session, warehouse_code)
    _require_item(session, item_code, "item_code")
    level, created = _lock_level(session, warehouse_code, item_code, create=True)
    assert level is not None
    before = None if created else _state(level)
    delta = on_hand - level.on_hand
    if on_hand < level.reserved:
        raise _insufficient(
            "on_hand",
            "{reserved} {item_code} in {warehouse_code} are reserved for dispatch orders: cannot load {on_hand}",
            params={
                "reserved": level.reserved,
                "item_code": _item(session, item_code),
                "warehouse_code": warehouse_code,
                "on_hand": on_hand,
            },
        )
    if delta > 0:
        takes = [(_lot_row(session, warehouse_code, item_code, DEFAULT_LOT), delta)]
    elif delta < 0:
        takes = _take_fefo(_lots(session, warehouse_code, item_code, lock=True), -delta)
        _ensure_covered(takes, -delta, item_code, "on_hand")
        on = today()
        good_taken = sum(q for row, q in takes if not is_expired(row.expires_on, on))
        _keep_reserved_covered(session, level, good_taken, "on_hand", "load", on_hand)
    else:
        takes = []
    movements = _move_lots(
        session, actor, level, takes, sign=1 if delta > 0 else -1, reason=SCENARIO_REASON
    )
    floor_changed = level.floor != floor
    level.on_hand = on_hand
    level.floor = floor
    if created or movements or floor_changed:
        _audit(
            session,
            actor,
            "create" if created else "update",
            level,
            before,
            movements,
            reason=SCENARIO_REASON,
        )
    session.flush()
    return movements


def moved_since_scenario_load(
    session: Session, actor: Actor, warehouse_code: str, item_code: str
) -> StockMovement | None:
    """The row's latest ledger entry when it is not `actor`'s scenario load (a receipt,
    dispatch, reservation, transfer or a user's adjustment since the last load); else None.
    A reload leaves the on_hand of such a row alone: it never undoes what users moved."""
    latest = session.exec(
        select(StockMovement)
        .where(
            StockMovement.warehouse_code == warehouse_code,
            StockMovement.item_code == item_code,
        )
        .order_by(col(StockMovement.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    loaded = (
        latest.kind == "adjustment"
        and latest.reason == SCENARIO_REASON
        and latest.actor == actor.username
    )
    return None if loaded else latest


# --- reading ----------------------------------------------------------------------------


def _available(level: StockLevelRow, expired: int = 0) -> int:
    return max(0, level.on_hand - level.reserved - level.floor - expired)


def _shortfall(level: StockLevelRow, expired: int) -> int:
    """Reserved units that unexpired stock cannot serve (a reserved lot has expired)."""
    return max(0, level.reserved - (level.on_hand - expired))


def stock_of(
    session: Session, warehouse_code: str, item_codes: Iterable[str] | None = None
) -> list[StockOut]:
    """The warehouse's stock by item, with its non-empty lots first-expiring first;
    `expired` counts the units in lots past their date today, which `available` leaves out."""
    # One statement: each stock row with its non-empty lots (none: one row with no lot).
    query = (
        select(StockLevelRow, StockLotRow)
        .outerjoin(
            StockLotRow,
            and_(
                col(StockLotRow.warehouse_code) == StockLevelRow.warehouse_code,
                col(StockLotRow.item_code) == StockLevelRow.item_code,
                col(StockLotRow.on_hand) > 0,
            ),
        )
        .where(StockLevelRow.warehouse_code == warehouse_code)
    )
    if item_codes is not None:
        query = query.where(col(StockLevelRow.item_code).in_(sorted(set(item_codes))))
    levels: dict[str, StockLevelRow] = {}
    lots: dict[str, list[StockLotRow]] = {}
    for level, lot in session.exec(query).all():
        levels[level.item_code] = level
        if lot is not None:
            lots.setdefault(level.item_code, []).append(lot)
    on = today()
    out = []
    for item_code in sorted(levels):
        level = levels[item_code]
        held = sorted(lots.get(item_code, []), key=_fefo_key)
        expired = sum(lot.on_hand for lot in held if is_expired(lot.expires_on, on))
        out.append(
            StockOut(
                item_code=level.item_code,
                on_hand=level.on_hand,
                reserved=level.reserved,
                floor=level.floor,
                expired=expired,
                available=_available(level, expired),
                shortfall=_shortfall(level, expired),
                lots=[
                    LotOut(
                        lot=lot.lot or None,
                        expires_on=lot.expires_on,
                        on_hand=lot.on_hand,
                        expired=is_expired(lot.expires_on, on),
                    )
                    for lot in held
                ],
            )
        )
    return out


def lots_page(
    session: Session, warehouse_code: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[StockLotRow], int]:
    """The warehouse's non-empty lots, item by item and first-expiring first (lots without
    an expiry date last), one page at a time, and how many there are in all. The order is
    the database's, as paging needs; `stock_of` sorts a whole warehouse's lots in Python."""
    query = select(StockLotRow).where(
        StockLotRow.warehouse_code == warehouse_code, StockLotRow.on_hand > 0
    )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(
            col(StockLotRow.item_code),
            col(StockLotRow.expires_on).is_(None),
            col(StockLotRow.expires_on),
            col(StockLotRow.lot),
            col(StockLotRow.id),
        )
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


# The ledger's sortable columns (`?lsort=item`, `-item`): the UI's column heads.
LEDGER_SORTS = {
    "at": StockMovement.id,
    "kind": StockMovement.kind,
    "item": StockMovement.item_code,
    "delta": StockMovement.on_hand_delta,
    "reference": StockMovement.reference,
}


def ledger_page(
    session: Session,
    warehouse_code: str,
    *,
    item_code: str | None = None,
    kind: str | None = None,
    reference: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[StockMovement], int]:
    """The warehouse's ledger rows, newest first (or by `sort`, a LEDGER_SORTS key, `-` for
    descending), filtered by item, kind and a part of the reference (单号), and how many
    there are in all."""
    query = select(StockMovement).where(StockMovement.warehouse_code == warehouse_code)
    if item_code is not None:
        query = query.where(StockMovement.item_code == item_code)
    if kind:
        query = query.where(StockMovement.kind == kind)
    if reference:
        query = query.where(col(StockMovement.reference).contains(reference, autoescape=True))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    column = LEDGER_SORTS.get((sort or "").lstrip("-"))
    if column is None:
        order = [col(StockMovement.id).desc()]
    else:
        first = col(column).desc() if (sort or "").startswith("-") else col(column).asc()
        order = [first, col(StockMovement.id).desc()]
    rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
    return list(rows), total


HISTORY_DAYS = 30


def stock_history(
    session: Session, warehouse_code: str, *, days: int = HISTORY_DAYS, until: date | None = None
) -> dict[str, list[tuple[date, int]]]:
    """Each item's on-hand stock at the end of each of the last `days` days (China Standard
    Time, up to `until`, default today) from the ledger: on hand = Σ on_hand_delta of the
    rows before the day's end. One query, whatever the ledger's length: one conditional
    sum per day, grouped by item. Items with no ledger row are left out."""
    until = until or today()
    days = max(1, min(days, 366))
    first = until - timedelta(days=days - 1)
    day_list = [first + timedelta(days=i) for i in range(days)]
    ends = [
        datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=clock.CST).astimezone(
            UTC
        )
        for day in day_list
    ]
    delta = col(StockMovement.on_hand_delta)
    at = col(StockMovement.at)
    sums = [
        func.coalesce(func.sum(case((at < end, delta), else_=0)), 0).label(f"d{i}")
        for i, end in enumerate(ends)
    ]
    query = (
        select(col(StockMovement.item_code), *sums)
        .where(StockMovement.warehouse_code == warehouse_code)
        .group_by(col(StockMovement.item_code))
        .order_by(col(StockMovement.item_code))
    )
    return {
        row[0]: [(day, int(value)) for day, value in zip(day_list, row[1:], strict=True)]
        for row in session.exec(query).all()
    }


def low_stock_threshold(floor: int) -> int:
    """The free stock (on hand − reserved) under which an item is low: ⌈1.5 × floor⌉."""
    num, den = LOW_STOCK_FACTOR
    return math.ceil(floor * num / den) if floor else 0


def low_stock(session: Session, actor: Actor) -> list[LowStockOut]:
    """Stock rows to act on, for the warehouses the actor looks after (a manager's own,
    everybody else all): free stock (on hand − reserved − expired) below ⌈1.5 × floor⌉,
    or none.

    `status`: `out_of_stock` (nothing free), `below_floor` (free < floor), else
    `near_floor` (floor ≤ free < threshold).
    """
    query = select(StockLevelRow)
    scope = visible_warehouses(actor)
    if scope is not None:
        query = query.where(col(StockLevelRow.warehouse_code).in_(scope))
    expired: dict[tuple[str, str], int] = {}
    for lot in lots_unusable_on(session, today()):
        key = (lot.warehouse_code, lot.item_code)
        expired[key] = expired.get(key, 0) + lot.quantity
    out = []
    for level in session.exec(query).all():
        gone = expired.get((level.warehouse_code, level.item_code), 0)
        free = level.on_hand - level.reserved - gone
        threshold = low_stock_threshold(level.floor)
        if free > 0 and free >= threshold:
            continue
        if free <= 0:
            status = "out_of_stock"
        elif free < level.floor:
            status = "below_floor"
        else:
            status = "near_floor"
        out.append(
            LowStockOut(
                warehouse_code=level.warehouse_code,
                item_code=level.item_code,
                on_hand=level.on_hand,
                reserved=level.reserved,
                floor=level.floor,
                available=_available(level, gone),
                threshold=threshold,
                status=status,
                shortfall=_shortfall(level, gone),
            )
        )
    return sorted(out, key=lambda r: (r.warehouse_code, r.item_code))


def expiring_lots(session: Session, actor: Actor, days: int) -> list[ExpiringLotOut]:
    """Non-empty lots expiring within `days` days of today (China Standard Time), expired
    ones included, soonest first; scoped like `low_stock`."""
    today = clock.now().astimezone(clock.CST).date()
    horizon = today + timedelta(days=days)
    query = select(StockLotRow).where(
        col(StockLotRow.expires_on).is_not(None),
        col(StockLotRow.expires_on) <= horizon,
        StockLotRow.on_hand > 0,
    )
    scope = visible_warehouses(actor)
    if scope is not None:
        query = query.where(col(StockLotRow.warehouse_code).in_(scope))
    out = []
    for lot in session.exec(query).all():
        assert lot.expires_on is not None
        days_left = (lot.expires_on - today).days
        out.append(
            ExpiringLotOut(
                warehouse_code=lot.warehouse_code,
                item_code=lot.item_code,
                lot=lot.lot or None,
                expires_on=lot.expires_on,
                on_hand=lot.on_hand,
                days_left=days_left,
                expired=days_left < 0,
            )
        )
    return sorted(out, key=lambda r: (r.expires_on, r.warehouse_code, r.item_code, r.lot or ""))


def stock_levels_for_allocation(
    session: Session, usable_on: date | None = None
) -> list[StockLevel]:
    """Every stock row as the allocation sees it (plain records, no ORM).

    With `usable_on`, `on_hand` leaves out the lots whose date is past on that day (see
    `lots_unusable_on`), so `available` is what can still be used then; without it the
    rows are as stored (the scenario loader compares them with its files).
    """
    rows = session.exec(select(StockLevelRow)).all()
    unusable: dict[tuple[str, str], int] = {}
    if usable_on is not None:
        for lot in lots_unusable_on(session, usable_on):
            key = (lot.warehouse_code, lot.item_code)
            unusable[key] = unusable.get(key, 0) + lot.quantity
    return [
        StockLevel(
            warehouse_code=r.warehouse_code,
            item_code=r.item_code,
            on_hand=r.on_hand - unusable.get((r.warehouse_code, r.item_code), 0),
            floor=r.floor,
            reserved=r.reserved,
        )
        for r in sorted(rows, key=lambda r: (r.warehouse_code, r.item_code))
    ]


def lots_unusable_on(session: Session, usable_on: date) -> list[ExcludedLot]:
    """Non-empty lots whose date is past on `usable_on` (or already today), soonest first:
    `expired` when past today, else `expires_before_arrival`."""
    on = today()
    cutoff = max(usable_on, on)
    rows = session.exec(
        select(StockLotRow).where(
            col(StockLotRow.expires_on).is_not(None),
            col(StockLotRow.expires_on) < cutoff,
            StockLotRow.on_hand > 0,
        )
    ).all()
    out = [
        ExcludedLot(
            warehouse_code=r.warehouse_code,
            item_code=r.item_code,
            lot=r.lot or None,
            quantity=r.on_hand,
            expires_on=r.expires_on,  # type: ignore[arg-type]  # filtered above
            reason="expired" if is_expired(r.expires_on, on) else "expires_before_arrival",
        )
        for r in rows
    ]
    return sorted(out, key=lambda x: (x.expires_on, x.warehouse_code, x.item_code, x.lot or ""))
