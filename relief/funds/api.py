"""Routes: relief funds (救灾资金) — receipts, allocations (资金下拨), reversals, a region's
accounts and ledger, the summary per level, and the split of a sum across counties by need
(API.md / docs/api-reference.md "Relief funds")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session

from relief.auth.deps import require
from relief.auth.models import Actor
from relief.db import get_session
from relief.funds import proposal, service
from relief.funds.models import (
    AllocationIn,
    ApproveIn,
    FundEntry,
    FundEntryOut,
    FundReversalIn,
    ProposalIn,
    ReceiptIn,
)
from relief.subsidies.models import MAX_ID, format_fen

router = APIRouter(prefix="/api/v1/funds", tags=["funds"])

RegionCode = Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z_.\-]+$")]
EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]


def entry_out(entry: FundEntry) -> FundEntryOut:
    assert entry.id is not None
    return FundEntryOut(
        id=entry.id,
        region_code=entry.region_code,
        source=entry.source,
        kind=entry.kind,
        amount=format_fen(entry.amount_fen) or "0.00",
        counterpart_code=entry.counterpart_code,
        document_no=entry.document_no,
        document_date=entry.document_date,
        purpose=entry.purpose,
        link_id=entry.link_id,
        reserve_entry_id=entry.reserve_entry_id,
        reverses_id=entry.reverses_id,
        actor=entry.actor,
        at=entry.at,
    )


@router.post("/receipts", response_model=FundEntryOut, status_code=201)
def receive(
    body: ReceiptIn,
    actor: Actor = Depends(require(*service.WRITERS)),
    session: Session = Depends(get_session),
) -> FundEntryOut:
    entry = service.receive(
        session,
        actor,
        body.region_code,
        body.source,
        body.amount,
        body.document_no,
        body.document_date,
        body.purpose,
    )
    session.commit()
    return entry_out(entry)


@router.post("/allocations", status_code=201)
def allocate(
    body: AllocationIn,
    actor: Actor = Depends(require(*service.WRITERS)),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    out, into = service.allocate(
        session,
        actor,
        body.from_code,
        body.to_code,
        body.source,
        body.amount,
        body.document_no,
        body.document_date,
        body.purpose,
    )
    session.commit()
    return {
        "out": entry_out(out).model_dump(mode="json"),
        "into": entry_out(into).model_dump(mode="json")
        if isinstance(into, FundEntry)
        else {"reserve_entry_id": into.id, "region_code": into.region_code},
    }


@router.post("/entries/{entry_id}/reversal", response_model=list[FundEntryOut], status_code=201)
def reverse(
    entry_id: EntryId,
    body: FundReversalIn,
    actor: Actor = Depends(require(*service.WRITERS)),
    session: Session = Depends(get_session),
) -> list[FundEntryOut]:
    done = service.reverse(session, actor, entry_id, body.reason)
    session.commit()
    return [entry_out(e) for e in done]


@router.get("/regions/{code}")
def get_accounts(
    code: RegionCode,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    actor: Actor = Depends(require(*service.READERS)),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    region, balances, rows, total = service.entries(session, actor, code, limit, offset)
    return {
        "region_code": region.code,
        "region_name": region.name,
        "balances": {s: format_fen(b) or "0.00" for s, b in sorted(balances.items())},
        "balance": format_fen(sum(balances.values())) or "0.00",
        "items": [entry_out(r).model_dump(mode="json") for r in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/summary/{code}")
def get_summary(
    code: RegionCode,
    actor: Actor = Depends(require(*service.READERS)),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return service.summary(session, actor, code)


@router.post("/proposals")
def propose(
    body: ProposalIn,
    actor: Actor = Depends(require(*service.WRITERS)),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return proposal.propose(session, actor, body)


@router.post("/proposals/approve", status_code=201)
def approve(
    body: ApproveIn,
    actor: Actor = Depends(require(*service.WRITERS)),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    outs = proposal.approve(session, actor, body)
    session.commit()
    return {"items": [entry_out(e).model_dump(mode="json") for e in outs]}
