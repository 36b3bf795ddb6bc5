"""Appending to the audit trail, and reading it back. Records are never updated or deleted
(database triggers refuse it as the last line of defence)."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, func, select

from relief.audit.models import AuditRecord
from relief.auth.models import Actor

# Set per request by the API middleware so every record names the request it came from.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def snapshot(obj: Any, exclude: set[str] | None = None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row or mapping for the before/after of an audit record."""
    if obj is None:
        return None
    data = obj.model_dump() if isinstance(obj, SQLModel) else dict(obj)
    return {k: _json_safe(v) for k, v in data.items() if not exclude or k not in exclude}


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    before: Any = None,
    after: Any = None,
) -> AuditRecord:
    row = AuditRecord(
        actor=actor.username,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before if isinstance(before, dict) or before is None else snapshot(before),
        after=after if isinstance(after, dict) or after is None else snapshot(after),
        request_id=request_id_var.get(),
    )
    if row.before is not None:
        row.before = _json_safe(row.before)
    if row.after is not None:
        row.after = _json_safe(row.after)
    session.add(row)
    return row


def list_records(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditRecord], int]:
    query = select(AuditRecord)
    if entity:
        query = query.where(AuditRecord.entity == entity)
    if entity_id:
        query = query.where(AuditRecord.entity_id == entity_id)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if since:
        query = query.where(AuditRecord.at >= since)
    if until:
        query = query.where(AuditRecord.at <= until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(AuditRecord.id.desc()).offset(offset).limit(limit)  # type: ignore[union-attr]
    ).all()
    return list(rows), total


def history(
    session: Session,
    entity: str,
    entity_id: object | None = None,
    *,
    actions: tuple[str, ...] = (),
    other_than: str | None = None,
) -> list[AuditRecord]:
    """The records of an entity (or of one of its rows), oldest first; `actions` keeps
    only those actions, `other_than` leaves out one actor's records (e.g. the scenario
    loader's, to find what users changed)."""
    query = select(AuditRecord).where(AuditRecord.entity == entity)
    if entity_id is not None:
        query = query.where(AuditRecord.entity_id == str(entity_id))
    if actions:
        query = query.where(AuditRecord.action.in_(actions))  # type: ignore[attr-defined]
    if other_than is not None:
        query = query.where(AuditRecord.actor != other_than)
    return list(session.exec(query.order_by(AuditRecord.id)).all())  # type: ignore[arg-type]
