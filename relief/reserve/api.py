"""Routes: the township reserve fund (备用金) — balance and ledger, top-ups, payments,
reversals (API.md "Township reserve fund")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session

from relief.auth.deps import require
from relief.auth.models import Actor
from relief.db import get_session
from relief.reserve import service
from relief.reserve.models import (
    ReserveEntry,
    ReserveEntryOut,
    ReserveOut,
    ReservePaymentIn,
    ReserveReversalIn,
    TopUpIn,
)
from relief.subsidies.models import MAX_ID, format_fen

router = APIRouter(prefix="/api/v1", tags=["reserve"])

TownshipCode = Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z_.\-]+$")]
EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]


def entry_out(entry: ReserveEntry, reversed_by_id: int | None = None) -> ReserveEntryOut:
    assert entry.id is not None
    return ReserveEntryOut(
        id=entry.id,
        region_code=entry.region_code,
        kind=entry.kind,
        amount=format_fen(entry.amount_fen) or "0.00",
        household_id=entry.household_id,
        case_id=entry.case_id,
        document_no=entry.document_no,
        note=entry.note,
        reverses_id=entry.reverses_id,
        reversed_by_id=reversed_by_id,
        actor=entry.actor,
        at=entry.at,
    )


@router.get("/townships/{code}/reserve", response_model=ReserveOut)
def get_reserve(
    code: TownshipCode,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    actor: Actor = Depends(require(*service.READERS)),
    session: Session = Depends(get_session),
) -> ReserveOut:
    region, balance, rows, total, reversed_by = service.ledger(session, actor, code, limit, offset)
    return ReserveOut(
        region_code=region.code,
        region_name=region.name,
        balance=format_fen(balance) or "0.00",
        items=[entry_out(r, reversed_by.get(r.id)) for r in rows],  # type: ignore[arg-type]
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("/townships/{code}/reserve/top-ups", response_model=ReserveEntryOut, status_code=201)
def top_up(
    code: TownshipCode,
    body: TopUpIn,
    actor: Actor = Depends(require(*service.TOP_UP_ROLES)),
    session: Session = Depends(get_session),
) -> ReserveEntryOut:
    entry = service.top_up(session, actor, code, body.amount, body.document_no, body.note)
    session.commit()
    return entry_out(entry)


@router.post("/townships/{code}/reserve/payments", response_model=ReserveEntryOut, status_code=201)
def pay(
    code: TownshipCode,
    body: ReservePaymentIn,
    actor: Actor = Depends(require(*service.PAYMENT_ROLES)),
    session: Session = Depends(get_session),
) -> ReserveEntryOut:
    entry = service.pay(
        session, actor, code, body.amount, body.household_id, body.reason, body.case_id
    )
    session.commit()
    return entry_out(entry)


@router.post(
    "/townships/{code}/reserve/entries/{entry_id}/reversal",
    response_model=ReserveEntryOut,
    status_code=201,
)
def reverse(
    code: TownshipCode,
    entry_id: EntryId,
    body: ReserveReversalIn,
    actor: Actor = Depends(require(*service.READERS)),
    session: Session = Depends(get_session),
) -> ReserveEntryOut:
    entry = service.reverse(session, actor, code, entry_id, body.reason)
    session.commit()
    return entry_out(entry)
