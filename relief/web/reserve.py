"""The township reserve fund page (备用金, issue 15): balance, ledger, and the top-up and
payment forms. No rules here: `relief.reserve.service` checks role and scope as for the API;
a refused form is shown again with the message next to its field (FormState)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from relief.auth.deps import ensure_role
from relief.auth.models import Actor
from relief.db import get_session
from relief.reserve import service
from relief.reserve.models import ReservePaymentIn, TopUpIn
from relief.web.forms import (
    FormState,
    Once,
    fields_in,
    form_once,
    refusal_words,
    same_site_posts,
    submit,
)
from relief.web.i18n import Translator
from relief.web.paging import PAGE_SIZE, Pager, page_number, page_offset
from relief.web.shell import render, request_lang, signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

TOP_UP_FIELDS = fields_in(("amount", "document_no", "note"))
PAYMENT_FIELDS = fields_in(("amount", "household_id", "reason"))
# A township the user may not see is the error page, not a message on its forms.
REFUSED = (401, 403, 404)


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    *,
    top_up: FormState | None = None,
    payment: FormState | None = None,
    status_code: int = 200,
) -> Response:
    number = page_number(request.query_params.get("page"))
    region, balance, rows, total, _ = service.ledger(
        session, actor, code, PAGE_SIZE, page_offset(number)
    )
    may = actor.role == "admin" or actor.role in service.TOP_UP_ROLES
    return render(
        request,
        "reserve.html",
        actor,
        status_code=status_code,
        region=region,
        balance=balance,
        entries=rows,
        pager=Pager(number, total, f"/townships/{region.code}/reserve"),
        may_top_up=may,
        may_pay=actor.role == "admin" or actor.role in service.PAYMENT_ROLES,
        top_up=top_up or FormState(),
        payment=payment or FormState(),
        done=request.query_params.get("done"),
    )


@router.get("/townships/{code}/reserve", response_class=HTMLResponse)
def reserve_page(
    request: Request,
    code: str,
    page: str | None = Query(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.READERS)
    return _page(request, session, actor, code)


@router.post("/townships/{code}/reserve/top-ups", response_class=HTMLResponse)
def post_top_up(
    request: Request,
    code: str,
    amount: str = Form(""),
    document_no: str = Form(""),
    note: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.TOP_UP_ROLES)
    form = FormState(values={"amount": amount, "document_no": document_no, "note": note})

    def top_up() -> None:
        body = TopUpIn.model_validate(
            {"amount": amount, "document_no": document_no, "note": note or None}
        )
        service.top_up(session, actor, code, body.amount, body.document_no, body.note)

    t = Translator(request_lang(request))
    done = f"/townships/{code}/reserve?done=top_up"
    answer = submit(
        session,
        form,
        t,
        top_up,
        done,
        TOP_UP_FIELDS,
        refusals=REFUSED,
        words=refusal_words,
        once=once,
    )
    return answer or _page(request, session, actor, code, top_up=form, status_code=form.status)


@router.post("/townships/{code}/reserve/payments", response_class=HTMLResponse)
def post_payment(
    request: Request,
    code: str,
    amount: str = Form(""),
    household_id: str = Form(""),
    reason: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.PAYMENT_ROLES)
    form = FormState(values={"amount": amount, "household_id": household_id, "reason": reason})

    def pay() -> None:
        body = ReservePaymentIn.model_validate(
            {"amount": amount, "household_id": household_id.strip(), "reason": reason}
        )
        service.pay(session, actor, code, body.amount, body.household_id, body.reason)

    t = Translator(request_lang(request))
    done = f"/townships/{code}/reserve?done=payment"
    answer = submit(
        session,
        form,
        t,
        pay,
        done,
        PAYMENT_FIELDS,
        refusals=REFUSED,
        words=refusal_words,
        once=once,
    )
    return answer or _page(request, session, actor, code, payment=form, status_code=form.status)
