"""The audit trail: append-only records of every state change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime


class AuditRecord(SQLModel, table=True):
    __tablename__ = "audit_records"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(index=True, max_length=64)
    action: str = Field(max_length=64)
    entity: str = Field(index=True, max_length=64)
    entity_id: str = Field(index=True, max_length=128)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime, index=True)
    request_id: str | None = Field(default=None, max_length=64)


class AuditOut(BaseModel):
    id: int
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime
    request_id: str | None
