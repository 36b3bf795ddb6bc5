"""The relief funds page (救灾资金, issue 16): a region's accounts and the summary of the
regions under it, its ledger, and the receipt, allocation (资金下拨) and split-by-need forms.
No rules here: `relief.funds.service` checks role and scope as for the API; a refused form
is shown again with the message next to its field (FormState)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from relief.auth.deps import ensure_role
from relief.auth.models import Actor
from relief.db import get_session
from relief.funds import proposal, service
from relief.funds.models import (
    SOURCE_LEVEL,
    SOURCE_WORDS,
    SOURCES,
    AllocationIn,
    ApproveIn,
    ProposalIn,
    ReceiptIn,
)
from relief.network.models import RegionRow
from relief.subsidies.models import parse_fen
from relief.subsidies.models import yuan_text as yuan
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

RECEIPT_FIELDS = fields_in(("source", "amount", "document_no", "document_date", "purpose"))
ALLOCATION_FIELDS = fields_in(
    ("to_code", "source", "amount", "document_no", "document_date", "purpose")
)
PROPOSAL_FIELDS = fields_in(("source", "total", "floor", "cap", "counties"))
REFUSED = (401, 403, 404)


def _yuan_text(text: str | None) -> str:
    return "" if text is None else yuan(parse_fen(text))


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    *,
    receipt: FormState | None = None,
    allocation: FormState | None = None,
    split: FormState | None = None,
    proposed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    number = page_number(request.query_params.get("page"))
    region, balances, rows, total = service.entries(
        session, actor, code, PAGE_SIZE, page_offset(number)
    )
    summary = service.summary(session, actor, code)
    children = list(
        session.exec(
            select(RegionRow).where(RegionRow.parent_code == code).order_by(RegionRow.code)
        ).all()
    )
    may = actor.role == "admin" or actor.role in service.WRITERS
    others = {e.counterpart_code for e in rows if e.counterpart_code}
    names = {
        r.code: r.name
        for r in session.exec(
            select(RegionRow).where(RegionRow.code.in_(others))  # type: ignore[attr-defined]
        ).all()
    }
    t = Translator(request_lang(request))
    sources = [(s, t(SOURCE_WORDS[s])) for s in SOURCES]
    return render(
        request,
        "funds.html",
        actor,
        status_code=status_code,
        region=region,
        balances=[(t(SOURCE_WORDS[s]), yuan(b)) for s, b in sorted(balances.items())],
        balance=yuan(sum(balances.values())),
        summary=summary,
        entries=rows,
        names=names,
        pager=Pager(number, total, f"/funds/{region.code}"),
        yuan=yuan,
        yuan_text=_yuan_text,
        may_write=may and region.level in service.ACCOUNT_LEVELS,
        receipt_sources=[(s, w) for s, w in sources if SOURCE_LEVEL[s] == region.level],
        sources=sources,
        children=[(c.code, c.name) for c in children],
        counties=[(c.code, c.name) for c in children],
        receipt=receipt or FormState(),
        allocation=allocation or FormState(),
        split=split or FormState(),
        proposed=proposed,
        done=request.query_params.get("done"),
    )


@router.get("/funds/{code}", response_class=HTMLResponse)
def funds_page(
    request: Request,
    code: str,
    page: str | None = Query(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.READERS)
    return _page(request, session, actor, code)


@router.post("/funds/{code}/receipts", response_class=HTMLResponse)
def post_receipt(
    request: Request,
    code: str,
    source: str = Form(""),
    amount: str = Form(""),
    document_no: str = Form(""),
    document_date: str = Form(""),
    purpose: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.WRITERS)
    values = {
        "source": source,
        "amount": amount,
        "document_no": document_no,
        "document_date": document_date,
        "purpose": purpose,
    }
    form = FormState(values=values)

    def receive() -> None:
        body = ReceiptIn.model_validate({"region_code": code, **values})
        service.receive(
            session,
            actor,
            code,
            body.source,
            body.amount,
            body.document_no,
            body.document_date,
            body.purpose,
        )

    t = Translator(request_lang(request))
    done = f"/funds/{code}?done=receipt"
    answer = submit(
        session,
        form,
        t,
        receive,
        done,
        RECEIPT_FIELDS,
        refusals=REFUSED,
        words=refusal_words,
        once=once,
    )
    return answer or _page(request, session, actor, code, receipt=form, status_code=form.status)


@router.post("/funds/{code}/allocations", response_class=HTMLResponse)
def post_allocation(
    request: Request,
    code: str,
    to_code: str = Form(""),
    source: str = Form(""),
    amount: str = Form(""),
    document_no: str = Form(""),
    document_date: str = Form(""),
    purpose: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.WRITERS)
    values = {
        "to_code": to_code,
        "source": source,
        "amount": amount,
        "document_no": document_no,
        "document_date": document_date,
        "purpose": purpose,
    }
    form = FormState(values=values)

    def allocate() -> None:
        body = AllocationIn.model_validate({"from_code": code, **values})
        service.allocate(
            session,
            actor,
            code,
            body.to_code,
            body.source,
            body.amount,
            body.document_no,
            body.document_date,
            body.purpose,
        )

    t = Translator(request_lang(request))
    done = f"/funds/{code}?done=allocation"
    answer = submit(
        session,
        form,
        t,
        allocate,
        done,
        ALLOCATION_FIELDS,
        refusals=REFUSED,
        words=refusal_words,
        once=once,
    )
    return answer or _page(request, session, actor, code, allocation=form, status_code=form.status)


@router.post("/funds/{code}/proposal", response_class=HTMLResponse)
def post_proposal(
    request: Request,
    code: str,
    source: str = Form(""),
    total: str = Form(""),
    floor: str = Form(""),
    cap: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Work out the split (nothing is booked): the page shows it with editable shares."""
    ensure_role(actor, *service.WRITERS)
    values = {"source": source, "total": total, "floor": floor, "cap": cap}
    form = FormState(values=values)
    result: dict[str, Any] = {}

    def propose() -> None:
        body = ProposalIn.model_validate(
            {
                "from_code": code,
                "source": source,
                "total": total,
                "floor": floor or "0",
                "cap": cap or None,
            }
        )
        result.update(proposal.propose(session, actor, body))

    t = Translator(request_lang(request))
    # Nothing to commit: the proposal is shown on the page, not stored.
    submit(session, form, t, propose, "", PROPOSAL_FIELDS, refusals=REFUSED, words=refusal_words)
    session.rollback()
    return _page(
        request,
        session,
        actor,
        code,
        split=form,
        proposed=result or None,
        status_code=200 if form.ok else form.status,
    )


@router.post("/funds/{code}/proposal/approve", response_class=HTMLResponse)
async def post_approve(
    request: Request,
    code: str,
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Book the shares as typed (the officer may have changed them): one allocation each."""
    ensure_role(actor, *service.WRITERS)
    data = await request.form()
    values = {k: str(v) for k, v in data.items()}
    form = FormState(values=values)
    shares = [
        {"code": k.removeprefix("share_"), "amount": v or "0"}
        for k, v in values.items()
        if k.startswith("share_")
    ]

    def approve() -> None:
        body = ApproveIn.model_validate(
            {
                "from_code": code,
                "source": values.get("source", ""),
                "document_no": values.get("document_no", ""),
                "document_date": values.get("document_date", ""),
                "purpose": values.get("purpose", ""),
                "shares": shares,
            }
        )
        proposal.approve(session, actor, body)

    t = Translator(request_lang(request))
    done = f"/funds/{code}?done=allocation"
    answer = submit(
        session,
        form,
        t,
        approve,
        done,
        fields_in(("source", "document_no", "document_date", "purpose", "shares")),
        refusals=REFUSED,
        words=refusal_words,
        once=once,
    )
    return answer or _page(request, session, actor, code, split=form, status_code=form.status)
