"""Route: the audit trail, for administrators."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime
from sqlmodel import Session

from relief.audit import service
from relief.audit.models import AuditOut
from relief.auth.deps import require
from relief.auth.models import Actor
from relief.clock import to_cst
from relief.db import get_session
from relief.pagination import Page

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=Page[AuditOut])
def list_audit(
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**12),
    _: Actor = Depends(require()),
    session: Session = Depends(get_session),
) -> Page[AuditOut]:
    rows, total = service.list_records(
        session,
        entity=entity,
        entity_id=entity_id,
        actor=actor,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    items = [
        AuditOut.model_validate(r, from_attributes=True).model_copy(update={"at": to_cst(r.at)})
        for r in rows
    ]
    return Page[AuditOut](items=items, total=total, limit=limit, offset=offset)
