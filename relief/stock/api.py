"""Routes: a warehouse's stock, receipts, adjustments, disposals (报废), stocktakes (盘点)
and ledger; stock alerts.

Every authenticated user may read stock, ledgers and alerts (alerts are filtered to a
manager's own warehouses). Receipts, adjustments, disposals and stocktakes: the
warehouse's manager, or admin — the role here, the warehouse in the stock service, which the
UI and the CLI call too.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from relief.auth.deps import current_actor, require
from relief.auth.models import Actor
from relief.clock import now, to_cst
from relief.db import get_session
from relief.errors import not_found
from relief.network import service as network
from relief.pagination import Page
from relief.stock import service
from relief.stock.models import (
    AdjustmentIn,
    AdjustmentOut,
    DisposalIn,
    ExpiringLotOut,
    LowStockOut,
    MovementOut,
    ReceiptIn,
    ReceiptLineOut,
    ReceiptOut,
    StockChangeOut,
    StockMovement,
    StockOut,
    StocktakeIn,
)

router = APIRouter(prefix="/api/v1", tags=["stock"])

_PLAUSIBLE_CODE = re.compile(r"[^\x00-\x1f\x7f]{1,64}")


def _warehouse_code(session: Session, code: str) -> str:
    """The path's warehouse, or 404."""
    if network.get_warehouse(session, _plausible_code(code)) is None:
        raise not_found("warehouse", code)
    return code


def _plausible_code(code: str) -> str:
    """404 for a code that cannot exist (too long, control characters) without looking it
    up: PostgreSQL would refuse it with an error instead of no row."""
    if not _PLAUSIBLE_CODE.fullmatch(code):
        raise not_found("warehouse", code)
    return code


def movement_out(row: StockMovement) -> MovementOut:
    assert row.id is not None  # flushed
    return MovementOut(
        id=row.id,
        warehouse_code=row.warehouse_code,
        item_code=row.item_code,
        lot=row.lot or None,
        kind=row.kind,  # type: ignore[arg-type]  # the table's CHECK keeps it a MovementKind
        on_hand_delta=row.on_hand_delta,
        reserved_delta=row.reserved_delta,
        reference=row.reference,
        reason=row.reason,
        actor=row.actor,
        at=to_cst(row.at),  # type: ignore[arg-type]
        counted=row.counted,
    )


@router.get("/warehouses/{code}/stock", response_model=list[StockOut])
def warehouse_stock(
    code: str,
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[StockOut]:
    return service.stock_of(session, _warehouse_code(session, code))


@router.post("/warehouses/{code}/receipts", response_model=ReceiptOut, status_code=201)
def create_receipt(
    code: str,
    body: ReceiptIn,
    actor: Actor = Depends(require("warehouse_manager")),
    session: Session = Depends(get_session),
) -> ReceiptOut:
    """Goods received: 201 with the receipt's lines (each its ledger row's id) and the
    stock rows of the items received, as they are after the receipt (read just after it is
    committed: a change made by someone else in between shows too)."""
    # receive_stock refuses an unknown warehouse with the same 404 before anything else.
    movements = service.receive_stock(
        session, actor, _plausible_code(code), body.reference, body.lines, body.override_reason
    )
    session.commit()
    # Read after the commit: the stock row stays locked only for the write (every receipt,
    # transfer and dispatch at a depot queues on it; docs/benchmarks.md "Late in the day").
    stock = service.stock_of(session, code, {line.item_code for line in body.lines})
    return ReceiptOut(
        warehouse_code=code,
        reference=body.reference,
        actor=actor.username,
        at=to_cst(movements[0].at if movements else now()),  # type: ignore[arg-type]
        lines=[
            ReceiptLineOut(
                movement_id=m.id,  # type: ignore[arg-type]  # flushed
                item_code=line.item_code,
                quantity=line.quantity,
                lot=line.lot,
                expires_on=line.expires_on,
            )
            for m, line in zip(movements, body.lines, strict=True)
        ],
        stock=stock,
        warnings=service.expired_receipt_lines(body.lines),
    )


@router.post("/warehouses/{code}/adjustments", response_model=AdjustmentOut, status_code=201)
def create_adjustment(
    code: str,
    body: AdjustmentIn,
    actor: Actor = Depends(require("warehouse_manager")),
    session: Session = Depends(get_session),
) -> AdjustmentOut:
    """A stocktake correction: 201 (it creates ledger rows) with those rows and the stock
    row of the item as it is after the adjustment."""
    _warehouse_code(session, code)
    movements = service.adjust_stock(
        session,
        actor,
        code,
        body.item_code,
        body.delta,
        body.reason,
        lot=body.lot,
        override_reason=body.override_reason,
    )
    (stock,) = service.stock_of(session, code, [body.item_code])
    session.commit()
    return AdjustmentOut(
        warehouse_code=code,
        item_code=body.item_code,
        delta=body.delta,
        reason=body.reason,
        override_reason=body.override_reason,
        actor=actor.username,
        at=to_cst(movements[0].at),  # type: ignore[arg-type]
        movements=[movement_out(m) for m in movements],
        stock=stock,
    )


def _change_out(
    session: Session,
    actor: Actor,
    code: str,
    body: DisposalIn | StocktakeIn,
    kind: str,
    movements: list[StockMovement],
    below_floor: bool,
) -> StockChangeOut:
    (stock,) = service.stock_of(session, code, [body.item_code])
    return StockChangeOut(
        warehouse_code=code,
        item_code=body.item_code,
        lot=body.lot,
        kind=kind,  # type: ignore[arg-type]
        on_hand_delta=sum(m.on_hand_delta for m in movements),
        counted=getattr(body, "counted", None),
        reason=body.reason or "",
        override_reason=body.override_reason,
        below_floor=below_floor,
        actor=actor.username,
        at=to_cst(movements[0].at if movements else now()),  # type: ignore[arg-type]
        movements=[movement_out(m) for m in movements],
        stock=stock,
    )


@router.post("/warehouses/{code}/disposals", response_model=StockChangeOut, status_code=201)
def create_disposal(
    code: str,
    body: DisposalIn,
    actor: Actor = Depends(require("warehouse_manager")),
    session: Session = Depends(get_session),
) -> StockChangeOut:
    """报废: a lot (expired, or with `override_reason`) leaves the books; 201 with its
    ledger row and the item's stock after it."""
    _warehouse_code(session, code)
    movements = service.dispose_stock(
        session,
        actor,
        code,
        body.item_code,
        body.reason,
        lot=body.lot,
        quantity=body.quantity,
        override_reason=body.override_reason,
    )
    out = _change_out(session, actor, code, body, "disposal", movements, False)
    session.commit()
    return out


@router.post("/warehouses/{code}/stocktakes", response_model=StockChangeOut, status_code=201)
def create_stocktake(
    code: str,
    body: StocktakeIn,
    actor: Actor = Depends(require("warehouse_manager")),
    session: Session = Depends(get_session),
) -> StockChangeOut:
    """盘点: the counted quantity of a lot; the difference is booked (none when the count
    matches). 201 with the ledger rows (each keeping the count) and the stock after it."""
    _warehouse_code(session, code)
    movements, below_floor = service.stocktake(
        session,
        actor,
        code,
        body.item_code,
        body.counted,
        lot=body.lot,
        reason=body.reason,
        override_reason=body.override_reason,
    )
    out = _change_out(session, actor, code, body, "stocktake", movements, below_floor)
    session.commit()
    return out


@router.get("/warehouses/{code}/ledger", response_model=Page[MovementOut])
def warehouse_ledger(
    code: str,
    item_code: str | None = Query(None, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**12),
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> Page[MovementOut]:
    rows, total = service.ledger_page(
        session, _warehouse_code(session, code), item_code=item_code, limit=limit, offset=offset
    )
    return Page[MovementOut](
        items=[movement_out(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/stock/low", response_model=list[LowStockOut])
def low_stock(
    actor: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[LowStockOut]:
    return service.low_stock(session, actor)


@router.get("/stock/expiring", response_model=list[ExpiringLotOut])
def expiring_stock(
    days: int = Query(30, ge=0, le=3650),
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[ExpiringLotOut]:
    return service.expiring_lots(session, actor, days)
