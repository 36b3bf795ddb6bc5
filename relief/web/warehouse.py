"""The warehouse manager's pages: a warehouse with its receipt and stocktake forms, transfers,
dispatch orders (list, pick list, dispatch, receipt, cancel) and the printable 调拨单.

Like every page of the UI these hold no stock or dispatch logic: they parse the form, call
the stock and dispatch services with the actor (the services decide role and scope, for the
API too; the pages ask the same `authorise_*` functions which forms to offer, and refuse
early with them), and commit. A refused form (a `DomainError` or a model's validation
error) is rolled back and shown again with what the user typed and the message next to the
field the error names; a form that went through answers 303 to a page that shows the result
(post-redirect-get), so a reload never books stock twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from relief import clock
from relief.auth.models import Actor
from relief.db import get_session
from relief.dispatch import documents
from relief.dispatch import service as dispatch
from relief.dispatch.models import (
    ORDER_STATUSES,
    CancelIn,
    DispatchIn,
    DispatchOrderRow,
    ReceiveIn,
    TransferIn,
)
from relief.emergency import responses
from relief.emergency import service as events
from relief.errors import DomainError, not_found
from relief.network import service as network
from relief.network.models import WarehouseRow
from relief.stock import service as stock
from relief.stock.models import AdjustmentIn, DisposalIn, ReceiptIn, StocktakeIn
from relief.web.forms import (
    FieldMap,
    FormState,
    Once,
    allowed,
    fields_in,
    form_once,
    padded,
    posted,
    refusal_words,
    same_site_posts,
    submit,
    validated,
    whole_number,
)
from relief.web.i18n import Translator
from relief.web.paging import PAGE_SIZE, Pager, page_number, page_offset
from relief.web.pictures import stock_history_charts
from relief.web.shell import (
    EXPIRY_DAYS,
    items_by_code,
    people_names,
    place_names,
    render,
    request_lang,
    signed_in,
)
from relief.web.sorting import Sorter, sort_key

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

# Blank lines offered by the receipt and transfer forms: enough for one delivery note
# without JavaScript to add rows; blank lines are ignored.
FORM_LINES = 5
TIER_RANK = {"provincial": 0, "prefecture": 1, "county": 2}
# At most this many lots are offered as choices in the lot fields.
LOT_CHOICES = 500
# An order the user may not see is the 404 page, not a message on its forms.
ORDER_REFUSALS = (401, 403, 404)


# --- forms ---------------------------------------------------------------------------------


_LINE_FIELD = re.compile(r"lines\[(\d+)\]\.(\w+)")


def _form_fields(
    plain: Collection[str], per_line: Collection[str] = (), rows: Sequence[int] | None = None
) -> FieldMap:
    """Maps an error's field to the name of the input it is shown next to, or None (shown
    above the form) for a field the form has no input for. `rows` maps the service's
    `lines[i]` (i counts the lines sent) to the form's row where blank rows were left out."""

    def name(path: str) -> str | None:
        if path in plain:
            return path
        match = _LINE_FIELD.fullmatch(path)
        if match is None or match[2] not in per_line:
            return None
        index = int(match[1])
        if rows is not None:
            if index >= len(rows):
                return None
            index = rows[index]
        return f"lines[{index}].{match[2]}"

    return name


# What moved an order on from `reserved` or `dispatched`: (words, when, who).
_CHANGES = {
    "dispatched": ("order.stale.dispatched", "dispatched_at", "dispatched_by"),
    "cancelled": ("order.stale.cancelled", "cancelled_at", "cancelled_by"),
    "delivered": ("order.stale.received", "received_at", "received_by"),
    "partially_delivered": ("order.stale.received", "received_at", "received_by"),
    "disputed": ("order.stale.received", "received_at", "received_by"),
}


def _stale(session: Session, order: DispatchOrderRow, version: str, t: Translator) -> str | None:
    """Why a form made from an older state of the order (another tab, another user) is no
    longer right: what changed, when and by whom ("该调拨单已于 2026-07-11 10:32 由 张三 发运").
    None when the form's version is the order's (or the form sent none: the API's way)."""
    if not version or version == dispatch.order_version(order):
        return None
    key, when, who = _CHANGES.get(order.status, ("order.stale.changed", "created_at", ""))
    username = getattr(order, who, None) if who else None
    at = clock.to_cst(getattr(order, when))
    return t(
        key,
        at=at.strftime("%Y-%m-%d %H:%M") if at else "",
        who=people_names(session, [username]).get(username or "", username or ""),
    )


# The kinds of ledger rows (relief.stock.models.StockMovement), for the ledger's filter.
MOVEMENT_KINDS = (
    "receipt",
    "adjustment",
    "reservation",
    "release",
    "dispatch",
    "transfer_out",
    "transfer_in",
    "disposal",
    "stocktake",
)


# --- the warehouse page ------------------------------------------------------------------------


def _warehouse(session: Session, code: str) -> WarehouseRow:
    row = network.get_warehouse(session, code) if len(code) <= 64 else None
    if row is None:
        raise not_found("warehouse", code)
    return row


def _receipt_rows(form: FormState | None) -> list[dict[str, str]]:
    rows = form.values.get("lines") if form else None
    return rows or [{} for _ in range(FORM_LINES)]


def _warehouse_page(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    *,
    receipt: FormState | None = None,
    adjustment: FormState | None = None,
    stocktake: FormState | None = None,
    disposal: FormState | None = None,
    page: int = 1,
    lots_page: int = 1,
    ledger: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    warehouse = _warehouse(session, code)
    # The ledger's filters and order (finding 53): item, kind, a part of the 单号; a column.
    ledger = ledger or {"item": "", "kind": "", "ref": "", "lsort": ""}
    movements, total = stock.ledger_page(
        session,
        code,
        item_code=ledger["item"] or None,
        kind=ledger["kind"] or None,
        reference=ledger["ref"] or None,
        sort=ledger["lsort"] or None,
        limit=PAGE_SIZE,
        offset=page_offset(page),
    )
    lots, lots_total = stock.lots_page(
        session, code, limit=PAGE_SIZE, offset=page_offset(lots_page)
    )
    path = f"/warehouses/{code}"
    # Each list's links keep the other list's page (when it is not the first).
    pages = {k: v for k, v in (("page", page), ("lots_page", lots_page)) if v > 1}
    manages = allowed(lambda: stock.authorise_stock_change(actor, code, session))
    items = items_by_code(session)
    lang = request_lang(request)
    return render(
        request,
        "warehouse.html",
        actor,
        status_code=status_code,
        warehouse=warehouse,
        region=network.get_region(session, warehouse.region_code),
        stock=stock.stock_of(session, code),
        items=items,
        # Each item's daily on-hand stock over the last days, drawn as small line charts.
        history=stock_history_charts(
            stock.stock_history(session, code), items, lang, Translator(lang), stock.HISTORY_DAYS
        ),
        history_days=stock.HISTORY_DAYS,
        movements=movements,
        ledger_pager=Pager(page, total, path, {**pages, **ledger}),
        ledger_filter=ledger,
        ledger_sorter=Sorter(path, ledger["lsort"], {**ledger, "lsort": ""}, param="lsort"),
        movement_kinds=MOVEMENT_KINDS,
        people=people_names(session, [m.actor for m in movements]),
        lots=lots,
        lots_pager=Pager(lots_page, lots_total, path, pages, "lots_page"),
        # Every lot held, for the lot fields' choices (a depot holds tens, not thousands).
        lot_choices=stock.lots_page(session, code, limit=LOT_CHOICES)[0] if manages else [],
        today=clock.to_cst(clock.now()).date(),
        manages=manages,
        low=[row for row in stock.low_stock(session, actor) if row.warehouse_code == code],
        expiring=[
            lot
            for lot in stock.expiring_lots(session, actor, EXPIRY_DAYS)
            if lot.warehouse_code == code
        ],
        expiry_days=EXPIRY_DAYS,
        warehouse_names={code: warehouse.name},
        receipt=receipt or FormState(),
        receipt_rows=_receipt_rows(receipt),
        adjustment=adjustment or FormState(),
        stocktake=stocktake or FormState(),
        disposal=disposal or FormState(),
        done=request.query_params.get("done"),
    )


@router.get("/warehouses/{code}", response_class=HTMLResponse)
def warehouse_page(
    request: Request,
    code: str,
    page: str = Query(""),
    lots_page: str = Query(""),
    item: str = Query(""),
    kind: str = Query(""),
    ref: str = Query(""),
    lsort: str = Query(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    # Every user may read any warehouse's stock and ledger (API.md "Who may do what"); the
    # receipt and stocktake forms are shown to its manager and to admins only. `page` pages
    # the ledger (newest first, or by `lsort`; filtered by `item`, `kind` and `ref`),
    # `lots_page` the lots (first-expiring first).
    ledger = {
        "item": item.strip()[:64],
        "kind": kind if kind in MOVEMENT_KINDS else "",
        "ref": ref.strip()[:128],
        "lsort": sort_key(lsort, stock.LEDGER_SORTS),
    }
    return _warehouse_page(
        request,
        session,
        actor,
        code,
        page=page_number(page),
        lots_page=page_number(lots_page),
        ledger=ledger,
    )


@router.post("/warehouses/{code}/receipts", response_class=HTMLResponse)
def post_receipt(
    request: Request,
    code: str,
    reference: str = Form(""),
    item_code: list[str] = Form([]),
    quantity: list[str] = Form([]),
    lot: list[str] = Form([]),
    expires_on: list[str] = Form([]),
    once: Once | None = Depends(form_once),
    override_reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _warehouse(session, code)
    stock.authorise_stock_change(actor, code, session)
    t = Translator(request_lang(request))
    typed = [
        {"item_code": i, "quantity": q, "lot": lt, "expires_on": e}
        for i, q, lt, e in zip(
            padded(item_code, FORM_LINES),
            padded(quantity, FORM_LINES),
            padded(lot, FORM_LINES),
            padded(expires_on, FORM_LINES),
            strict=True,
        )
    ]
    form = FormState(
        values={"reference": reference, "lines": typed, "override_reason": override_reason}
    )
    lines, rows = [], []
    for n, line in enumerate(typed):
        if not any(value.strip() for value in line.values()):
            continue  # a blank row of the form
        rows.append(n)
        lines.append(
            {
                "item_code": line["item_code"],
                "quantity": whole_number(form, t, f"lines[{n}].quantity", line["quantity"]),
                "lot": line["lot"].strip() or None,
                "expires_on": line["expires_on"].strip() or None,
            }
        )
    if not lines:
        form.fail("lines[0].item_code", t("err.no_lines"))
    fields = _form_fields(
        {"reference", "override_reason"}, ("item_code", "quantity", "lot", "expires_on"), rows
    )
    # Every problem at once (finding 36): the model sees the whole form, numbers that did
    # not parse included (their own message, recorded first, stays).
    data = {
        "reference": reference.strip(),
        "lines": lines,
        "override_reason": override_reason.strip() or None,
    }
    body = validated(form, t, ReceiptIn, data, fields) if lines else None

    def receive() -> None:
        assert body is not None  # submit runs this only when the form holds no message
        stock.receive_stock(session, actor, code, body.reference, body.lines, body.override_reason)

    done = submit(
        session, form, t, receive, f"/warehouses/{code}?done=receipt#stock-h", fields, once=once
    )
    if done:
        return done
    # An expired lot is booked only with a reason: ask for one now that it matters.
    form.values["needs_override"] = form.code == "lot_expired"
    return _warehouse_page(request, session, actor, code, receipt=form, status_code=form.status)


# The adjustment, stocktake and disposal forms: the same inputs but for their number's name.
STOCK_FORM = posted("item_code", "lot", "reason", "override_reason", "delta", "counted", "quantity")


def _stock_values(typed: dict[str, str], number: str) -> dict[str, str]:
    """What one of the stock forms sent: its item, lot, reasons and its number (`number`)."""
    names = ("item_code", "lot", number, "reason", "override_reason")
    return {name: typed[name] for name in names}


def _stock_inputs(values: dict[str, str]) -> dict[str, str | None]:
    """What the stock forms send alike: the item, the lot and the override reason."""
    return {
        "item_code": values["item_code"],
        "lot": values["lot"].strip() or None,
        "override_reason": values["override_reason"].strip() or None,
    }


def _stock_change(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    kind: str,
    values: dict[str, str],
    number: str,
    change: Callable[[int | None], object],
    *,
    override: str,
    once: Once | None = None,
) -> Response:
    """The adjustment, stocktake and disposal forms: one lot, a whole number (`number`, a
    blank one is None for the disposal's "all of it"), a reason, and an override reason that
    the form asks for once the service refused with the `override` code."""
    _warehouse(session, code)
    stock.authorise_stock_change(actor, code, session)
    t = Translator(request_lang(request))
    form = FormState(values=dict(values))
    amount = whole_number(form, t, number, values[number], required=kind != "disposal")
    done = submit(
        session,
        form,
        t,
        lambda: change(amount),
        f"/warehouses/{code}?done={kind}#stock-h",
        fields_in(values),
        once=once,
    )
    if done:
        return done
    form.values["needs_override"] = form.code == override
    return _warehouse_page(request, session, actor, code, status_code=form.status, **{kind: form})


@router.post("/warehouses/{code}/adjustments", response_class=HTMLResponse)
def post_adjustment(
    request: Request,
    code: str,
    typed: dict[str, str] = Depends(STOCK_FORM),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    values = _stock_values(typed, "delta")

    def adjust(amount: int | None) -> object:
        body = AdjustmentIn.model_validate(
            {**_stock_inputs(values), "delta": amount, "reason": values["reason"].strip()}
        )
        return stock.adjust_stock(
            session,
            actor,
            code,
            body.item_code,
            body.delta,
            body.reason,
            lot=body.lot,
            override_reason=body.override_reason,
        )

    # The floor may be crossed only with a reason: the form asks for one once it matters.
    return _stock_change(
        request,
        session,
        actor,
        code,
        "adjustment",
        values,
        "delta",
        adjust,
        override="below_floor",
        once=once,
    )


@router.post("/warehouses/{code}/stocktakes", response_class=HTMLResponse)
def post_stocktake(
    request: Request,
    code: str,
    typed: dict[str, str] = Depends(STOCK_FORM),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """盘点: the counted quantity of one lot; the service books the difference."""
    values = _stock_values(typed, "counted")

    def count(amount: int | None) -> object:
        body = StocktakeIn.model_validate(
            {**_stock_inputs(values), "counted": amount, "reason": values["reason"].strip() or None}
        )
        return stock.stocktake(
            session,
            actor,
            code,
            body.item_code,
            body.counted,
            lot=body.lot,
            reason=body.reason,
            override_reason=body.override_reason,
        )

    return _stock_change(
        request,
        session,
        actor,
        code,
        "stocktake",
        values,
        "counted",
        count,
        override="below_floor",
        once=once,
    )


@router.post("/warehouses/{code}/disposals", response_class=HTMLResponse)
def post_disposal(
    request: Request,
    code: str,
    typed: dict[str, str] = Depends(STOCK_FORM),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """报废: an expired lot (or, with a reason, a good one) leaves the books."""
    values = _stock_values(typed, "quantity")

    def dispose(amount: int | None) -> object:
        body = DisposalIn.model_validate(
            {**_stock_inputs(values), "quantity": amount, "reason": values["reason"].strip()}
        )
        return stock.dispose_stock(
            session,
            actor,
            code,
            body.item_code,
            body.reason,
            lot=body.lot,
            quantity=body.quantity,
            override_reason=body.override_reason,
        )

    return _stock_change(
        request,
        session,
        actor,
        code,
        "disposal",
        values,
        "quantity",
        dispose,
        override="lot_not_expired",
        once=once,
    )


# --- transfers ---------------------------------------------------------------------------------


def _transfer_page(
    request: Request,
    session: Session,
    actor: Actor,
    warehouse: WarehouseRow,
    form: FormState,
    status_code: int = 200,
) -> Response:
    # Restocking runs down the tiers, so lower tiers come first; any other warehouse may be
    # chosen, as the service allows.
    targets = sorted(
        (w for w in network.list_warehouses(session) if w.code != warehouse.code),
        key=lambda w: (-TIER_RANK.get(w.tier, 0), w.code),
    )
    return render(
        request,
        "wh_transfer.html",
        actor,
        status_code=status_code,
        warehouse=warehouse,
        targets=targets,
        stock=stock.stock_of(session, warehouse.code),
        items=items_by_code(session),
        form=form,
        rows=form.values.get("lines") or [{} for _ in range(FORM_LINES)],
    )


@router.get("/warehouses/{code}/transfer", response_class=HTMLResponse)
def transfer_form(
    request: Request,
    code: str,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    warehouse = _warehouse(session, code)
    dispatch.authorise_transfer(actor, code, session=session)
    to = request.query_params.get("to", "")
    return _transfer_page(request, session, actor, warehouse, FormState(values={"to": to}))


@router.post("/warehouses/{code}/transfer", response_class=HTMLResponse)
def post_transfer(
    request: Request,
    code: str,
    to_warehouse_code: str = Form(""),
    item_code: list[str] = Form([]),
    quantity: list[str] = Form([]),
    reason: str = Form(""),
    override_reason: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    warehouse = _warehouse(session, code)
    dispatch.authorise_transfer(actor, code, session=session)
    t = Translator(request_lang(request))
    typed = [
        {"item_code": i, "quantity": q}
        for i, q in zip(padded(item_code, FORM_LINES), padded(quantity, FORM_LINES), strict=True)
    ]
    form = FormState(
        values={
            "to": to_warehouse_code,
            "lines": typed,
            "reason": reason,
            "override_reason": override_reason,
        }
    )
    lines, rows = [], []
    for n, line in enumerate(typed):
        if not line["item_code"].strip() and not line["quantity"].strip():
            continue
        rows.append(n)
        amount = whole_number(form, t, f"lines[{n}].quantity", line["quantity"])
        lines.append({"item_code": line["item_code"], "quantity": amount})
    if not lines:
        form.fail("lines[0].item_code", t("err.no_lines"))
    if not to_warehouse_code:
        form.fail("to_warehouse_code", t("err.required"))

    def transfer() -> DispatchOrderRow:
        body = TransferIn.model_validate(
            {
                "from_warehouse_code": code,
                "to_warehouse_code": to_warehouse_code,
                "lines": lines,
                "reason": reason.strip(),
                "override_reason": override_reason.strip() or None,
            }
        )
        return dispatch.create_transfer(
            session,
            actor,
            from_warehouse_code=body.from_warehouse_code,
            to_warehouse_code=body.to_warehouse_code,
            lines=body.lines,
            reason=body.reason,
            override_reason=body.override_reason,
        )

    fields = _form_fields(
        {"to_warehouse_code", "reason", "override_reason"}, ("item_code", "quantity"), rows
    )
    done = submit(
        session,
        form,
        t,
        transfer,
        lambda order: f"/orders/{order.id}?done=transfer",
        fields,
        once=once,
    )
    return done or _transfer_page(request, session, actor, warehouse, form, status_code=form.status)


# --- dispatch orders ---------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    status: str = Query(""),
    q: str = Query(""),
    sort: str = Query(""),
    response: str = Query(""),
    page: str = Query(""),
    in_page: str = Query(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Dispatch orders the user may see, newest first (what needs doing now is usually the
    latest) or sorted by a column (`sort`), a page at a time; a manager's are split into
    outgoing (`page`) and incoming (`in_page`), each paged on its own. `q` searches the
    order number and the destination's name; `response` keeps one response's orders (the
    inbox links there)."""
    scope = dispatch.order_scope(session, actor)
    wanted = status if status in ORDER_STATUSES else None
    order = sort_key(sort, dispatch.ORDER_SORTS)
    term = q.strip()[:64]
    response_id = int(response) if response.isascii() and response.isdigit() else None
    if response_id is not None and response_id > dispatch.MAX_ID:
        response_id = 0
    filters = {"status": wanted, "q": term, "response": response_id, "sort": order}
    pages = {"page": page_number(page), "in_page": page_number(in_page)}
    # Each group's link keeps the filters and the other group's page (when not the first).
    params = {**filters, **{k: v for k, v in pages.items() if v > 1}}
    # Each group: (words, its part of the caller's scope, its page's name).
    scopes: list[tuple[str, dict[str, Collection[str]], str]]
    if "sources" in scope:  # a manager's: outgoing and incoming
        scopes = [
            ("orders.outgoing", {"sources": scope["sources"]}, "page"),
            (
                "orders.incoming",
                {"destination_warehouses": scope["destination_warehouses"]},
                "in_page",
            ),
        ]
    else:
        scopes = [("orders.all", scope, "page")]
    groups = []
    late: dict[int | None, bool] = {}
    for key, scope, param in scopes:
        rows, total = dispatch.order_page(
            session,
            status=wanted,
            q=term,
            sort=order,
            response_id=response_id,
            limit=PAGE_SIZE,
            offset=page_offset(pages[param]),
            **scope,
        )
        groups.append((key, rows, Pager(pages[param], total, "/orders", params, param)))
        late.update({o.id: dispatch.is_late(o) for o in rows})
    return render(
        request,
        "wh_orders.html",
        actor,
        groups=groups,
        status=wanted or "",
        q=term,
        response_id=response_id,
        statuses=ORDER_STATUSES,
        names=place_names(session),
        late=late,
        expected={o.id: dispatch.expected_at(o) for _, rows, _ in groups for o in rows},
        response_head=_response_head(session, response_id),
        sorter=Sorter("/orders", order, filters),
    )


def _response_head(session: Session, response_id: int | None) -> tuple[int, str] | None:
    """(level, event name) of a response the order list is filtered to, if it exists."""
    if not response_id:
        return None
    try:
        response = responses.get_response(session, response_id)
        return response.level, events.get_event(session, response.event_id).name
    except DomainError:
        return None


def _order_page(
    request: Request,
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    dispatch_form: FormState | None = None,
    receive_form: FormState | None = None,
    cancel_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    order = dispatch.readable_order(session, actor, order_id)
    view = dispatch.order_view(session, order)
    # Each form is offered to whom the service would accept it from, in the state it needs.
    can_dispatch = view.status == "reserved" and allowed(
        lambda: dispatch.authorise_dispatch(actor, order)
    )
    can_receive = view.status == "dispatched" and allowed(
        lambda: dispatch.authorise_receipt(session, actor, order)
    )
    can_cancel = view.status == "reserved" and allowed(lambda: dispatch.authorise_cancel(actor))
    return render(
        request,
        "wh_order.html",
        actor,
        status_code=status_code,
        order=view,
        names=place_names(session),
        items=items_by_code(session),
        can_dispatch=can_dispatch,
        can_receive=can_receive,
        can_cancel=can_cancel,
        dispatch_form=dispatch_form or FormState(),
        receive_form=receive_form or FormState(),
        cancel_form=cancel_form or FormState(),
        shipped=[line for line in view.lines if line.dispatched],
        # Who made, dispatched, received and cancelled it, by their real names.
        people=people_names(
            session,
            [order.created_by, order.dispatched_by, order.received_by, order.cancelled_by]
            + [d.recorded_by for d in view.discrepancies],
        ),
        done=request.query_params.get("done"),
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request,
    order_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    return _order_page(request, session, actor, order_id)


@router.get("/orders/{order_id}/print", response_class=HTMLResponse)
def order_print(
    request: Request,
    order_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> HTMLResponse:
    """The printable 调拨单, the same document as the API's, under the UI's error pages; its
    print button and way back are in the user's language."""
    view = dispatch.order_view(session, dispatch.readable_order(session, actor, order_id))
    t = Translator(request_lang(request))
    html = documents.print_html(session, view, print_label=t("doc.print"), back_label=t("doc.back"))
    return HTMLResponse(html)


def _order_form(
    session: Session, order: DispatchOrderRow, version: str, t: Translator, values: dict[str, Any]
) -> FormState:
    """An order's form as typed; made from an older state of the order (another tab,
    another user), it says what changed and answers 409 without trying."""
    form = FormState(values=values)
    if (changed := _stale(session, order, version, t)) is not None:
        form.fail(None, changed)
        form.status = 409
    return form


def _line_problems(
    session: Session, form: FormState, t: Translator, order_id: int, lines: list[dict[str, Any]]
) -> None:
    """The dispatch form's per-line problems, all of them at once, in the service's own words
    (relief.dispatch.service.dispatch_order refuses the first of them): more than ordered, or
    less without a reason."""
    ordered = {line.item_code: line.quantity for line in dispatch.order_lines(session, order_id)}
    for n, line in enumerate(lines):
        quantity, wanted = line["quantity"], ordered.get(line["item_code"])
        if not isinstance(quantity, int) or wanted is None:
            continue
        if quantity > wanted:
            said = dispatch.quantity_said(session, line["item_code"], wanted)
            over = DomainError(
                "validation_error",
                "more than ordered ({ordered})",
                f"lines[{n}].quantity",
                params={"ordered": said},
            )
            form.fail(f"lines[{n}].quantity", refusal_words(t, over))
        elif 0 <= quantity < wanted and not (line["reason"] or "").strip():
            short = DomainError(
                "validation_error",
                "say why only {quantity} of the {ordered} ordered go",
                f"lines[{n}].reason",
                params={"quantity": quantity, "ordered": wanted},
            )
            form.fail(f"lines[{n}].reason", refusal_words(t, short))


@router.post("/orders/{order_id}/dispatch", response_class=HTMLResponse)
def post_dispatch(
    request: Request,
    order_id: int,
    item_code: list[str] = Form([]),
    quantity: list[str] = Form([]),
    reason: list[str] = Form([]),
    vehicle: str = Form(""),
    driver: str = Form(""),
    plate: str = Form(""),
    version: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    order = dispatch.get_order(session, order_id)
    dispatch.authorise_dispatch(actor, order)
    t = Translator(request_lang(request))
    typed = [
        {"item_code": i, "quantity": q, "reason": r}
        for i, q, r in zip(
            item_code,
            padded(quantity, len(item_code)),
            padded(reason, len(item_code)),
            strict=False,  # extra values without an item line are ignored, not a 500
        )
    ]
    values = {"lines": typed, "vehicle": vehicle, "driver": driver, "plate": plate}
    form = _order_form(session, order, version, t, values)
    lines = (
        [
            {
                "item_code": line["item_code"],
                "quantity": whole_number(form, t, f"lines[{n}].quantity", line["quantity"]),
                "reason": line["reason"],
            }
            for n, line in enumerate(typed)
        ]
        if form.ok
        else []
    )

    fields = _form_fields({"vehicle", "driver", "plate"}, ("quantity", "reason"))
    _line_problems(session, form, t, order_id, lines)
    # Every problem at once (finding 17): the lines' own checks above, then the whole body
    # by the model; the service stays the judge and checks all of it again.
    data = {"lines": lines, "vehicle": vehicle, "driver": driver, "plate": plate}
    body = validated(form, t, DispatchIn, data, fields) if lines else None

    def send() -> object:
        assert body is not None  # submit runs this only when the form holds no message
        return dispatch.dispatch_order(
            session,
            actor,
            order_id,
            lines=body.lines,
            vehicle=body.vehicle,
            driver=body.driver,
            plate=body.plate,
        )

    done = submit(
        session,
        form,
        t,
        send,
        f"/orders/{order_id}?done=dispatch",
        fields,
        refusals=ORDER_REFUSALS,
        words=refusal_words,
    )
    return done or _order_page(
        request, session, actor, order_id, dispatch_form=form, status_code=form.status
    )


@router.post("/orders/{order_id}/receive", response_class=HTMLResponse)
def post_receive(
    request: Request,
    order_id: int,
    item_code: list[str] = Form([]),
    received: list[str] = Form([]),
    damaged: list[str] = Form([]),
    reason: list[str] = Form([]),
    note: str = Form(""),
    version: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    order = dispatch.get_order(session, order_id)
    dispatch.authorise_receipt(session, actor, order)
    t = Translator(request_lang(request))
    size = len(item_code)
    typed = [
        {"item_code": i, "received": r, "damaged": d, "reason": why}
        for i, r, d, why in zip(
            item_code,
            padded(received, size),
            padded(damaged, size),
            padded(reason, size),
            strict=False,  # extra values without an item line are ignored, not a 500
        )
    ]
    form = _order_form(session, order, version, t, {"lines": typed, "note": note})
    lines = []
    for n, line in enumerate(typed if form.ok else []):
        # An empty damaged field means none broke: that is what most deliveries are.
        broken = whole_number(form, t, f"lines[{n}].damaged", line["damaged"], required=False)
        lines.append(
            {
                "item_code": line["item_code"],
                "received": whole_number(form, t, f"lines[{n}].received", line["received"]),
                "damaged": broken or 0,
                "reason": line["reason"],
            }
        )

    def receive() -> object:
        body = ReceiveIn.model_validate({"lines": lines, "note": note.strip()})
        return dispatch.receive_order(session, actor, order_id, lines=body.lines, note=body.note)

    fields = _form_fields({"note"}, ("received", "damaged", "reason"))
    done = submit(
        session,
        form,
        t,
        receive,
        f"/orders/{order_id}?done=receive",
        fields,
        refusals=ORDER_REFUSALS,
        words=refusal_words,
    )
    return done or _order_page(
        request, session, actor, order_id, receive_form=form, status_code=form.status
    )


@router.post("/orders/{order_id}/cancel", response_class=HTMLResponse)
def post_cancel(
    request: Request,
    order_id: int,
    reason: str = Form(""),
    version: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Cancelling from the page needs a reason (the API's reason stays optional): it is
    shown on the order with who cancelled it and when."""
    dispatch.authorise_cancel(actor)
    order = dispatch.get_order(session, order_id)
    t = Translator(request_lang(request))
    form = _order_form(session, order, version, t, {"reason": reason})
    if form.ok and not reason.strip():
        form.fail("reason", t("order.cancel.reason_required"))

    def cancel() -> object:
        body = CancelIn.model_validate({"reason": reason})
        return dispatch.cancel_order(session, actor, order_id, reason=body.reason)

    done = submit(
        session,
        form,
        t,
        cancel,
        f"/orders/{order_id}?done=cancel",
        fields_in({"reason"}),
        refusals=ORDER_REFUSALS,
        words=refusal_words,
        status=None,  # a refusal of the order's state answers 409
    )
    return done or _order_page(
        request, session, actor, order_id, cancel_form=form, status_code=form.status
    )
