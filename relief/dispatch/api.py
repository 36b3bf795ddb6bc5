"""Routes: transfers, dispatch orders (list, read, dispatch, receive, cancel, print, export),
and the fulfilment of a response.

Thin: parse, call the service with the actor (which decides role and scope, so the UI and
the CLI get the same answers), shape the reply, commit. The reply is built before the
commit so that it shows exactly what the transaction wrote.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from relief import clock
from relief.auth.deps import current_actor, require
from relief.auth.models import Actor
from relief.db import get_session
from relief.dispatch import documents, service
from relief.dispatch.models import (
    CancelIn,
    DispatchIn,
    FulfilmentOut,
    OrderOut,
    OrderStatus,
    ReceiveIn,
    TransferIn,
)
from relief.pagination import Page

router = APIRouter(prefix="/api/v1", tags=["dispatch"])

# The orders list's sort keys (service.ORDER_SORTS), "-" first for newest/largest first.
OrderSort = Literal[
    "id",
    "-id",
    "number",
    "-number",
    "status",
    "-status",
    "created_at",
    "-created_at",
    "dispatched_at",
    "-dispatched_at",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/transfers", response_model=OrderOut, status_code=201)
def create_transfer(
    body: TransferIn,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> OrderOut:
    """Move stock to another warehouse (manager of the source): a dispatch order to a
    warehouse, its lines reserved at the source now."""
    order = service.create_transfer(
        session,
        actor,
        from_warehouse_code=body.from_warehouse_code,
        to_warehouse_code=body.to_warehouse_code,
        lines=body.lines,
        reason=body.reason,
        override_reason=body.override_reason,
    )
    session.commit()
    # Read back after the commit: the source's stock row stays locked only for the write,
    # not for the reply's three reads (every transfer and dispatch from a depot queues on
    # that row; docs/benchmarks.md "Late in the day").
    return service.order_view(session, order)


@router.get("/dispatch-orders", response_model=Page[OrderOut])
def list_orders(
    warehouse: str | None = Query(None, max_length=64),
    status: OrderStatus | None = None,
    response_id: int | None = None,
    sort: OrderSort = "id",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**12),
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> Page[OrderOut]:
    """One page of the orders the caller may see, oldest first (`sort` says otherwise;
    `warehouse` matches source or destination), and how many there are in all."""
    rows, total = service.visible_order_page(
        session,
        actor,
        warehouse=warehouse,
        status=status,
        response_id=response_id,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return Page[OrderOut](
        items=service.order_views(session, rows, clock.now()),
        total=total,
        limit=limit,
        offset=offset,
    )


# Declared before /dispatch-orders/{order_id} so that "export.xlsx" is never taken for an id.
@router.get(
    "/dispatch-orders/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}, "description": "the orders as a spreadsheet"}},
)
def export_orders(
    response_id: int | None = None,
    warehouse: str | None = None,
    status: OrderStatus | None = None,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> Response:
    """The orders the caller may see, one row per line, Chinese headers (调拨单.xlsx)."""
    orders = service.visible_orders(
        session, actor, warehouse=warehouse, status=status, response_id=response_id
    )
    views = service.order_views(session, orders, clock.now())
    name = "调拨单.xlsx" if response_id is None else f"调拨单-响应{response_id}.xlsx"
    return Response(
        documents.orders_xlsx(session, views),
        media_type=XLSX_TYPE,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"dispatch-orders.xlsx\"; filename*=UTF-8''{quote(name)}"
            )
        },
    )


@router.get("/dispatch-orders/{order_id}", response_model=OrderOut)
def get_order(
    order_id: int,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> OrderOut:
    return service.order_view(session, service.readable_order(session, actor, order_id))


@router.get("/dispatch-orders/{order_id}/print", response_class=HTMLResponse)
def print_order(
    order_id: int,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> HTMLResponse:
    """The printable 调拨单 (HTML, self-contained, print CSS)."""
    view = service.order_view(session, service.readable_order(session, actor, order_id))
    return HTMLResponse(documents.print_html(session, view))


@router.get("/dispatch-orders/{order_id}/pdf", response_class=Response)
def order_pdf(
    order_id: int,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> Response:
    """The same 调拨单 as an A4 PDF (to file or send), named after the order number."""
    view = service.order_view(session, service.readable_order(session, actor, order_id))
    return Response(
        documents.print_pdf(session, view),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{view.number}.pdf"'},
    )


@router.post("/dispatch-orders/{order_id}/dispatch", response_model=OrderOut)
def dispatch_order(
    order_id: int,
    body: DispatchIn,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> OrderOut:
    """Ship a reserved order (manager of the source warehouse)."""
    order = service.dispatch_order(
        session,
        actor,
        order_id,
        lines=body.lines,
        vehicle=body.vehicle,
        driver=body.driver,
        plate=body.plate,
    )
    session.commit()
    return service.order_view(session, order)  # after the commit, as for a transfer


@router.post("/dispatch-orders/{order_id}/receive", response_model=OrderOut)
def receive_order(
    order_id: int,
    body: ReceiveIn,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> OrderOut:
    """Record what arrived (the destination warehouse's manager, or county staff in scope of
    the destination region)."""
    order = service.receive_order(session, actor, order_id, lines=body.lines, note=body.note)
    session.commit()
    return service.order_view(session, order)  # after the commit: the stock row is free


@router.post("/dispatch-orders/{order_id}/cancel", response_model=OrderOut)
def cancel_order(
    order_id: int,
    body: CancelIn | None = None,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> OrderOut:
    """Cancel a reserved order and release its reservation (duty officer)."""
    order = service.cancel_order(
        session, actor, order_id, reason=body.reason if body is not None else None
    )
    view = service.order_view(session, order)
    session.commit()
    return view


@router.get("/responses/{response_id}/fulfilment", response_model=list[FulfilmentOut])
def response_fulfilment(
    response_id: int,
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[FulfilmentOut]:
    """Per region × item of the response: demand, planned, dispatched, received, overdue."""
    return service.response_fulfilment(session, response_id)
