"""Township reserve fund (备用金): balances and the append-only ledger (tables), API schemas.

Representation:
- `reserve_balances` holds one row per township: `balance_fen`, never below zero (a CHECK,
  and the service locks the row before it changes it, as stock levels are locked).
- `reserve_entries` is the ledger: every change of a balance is a row here, never updated
  or deleted (the migration installs triggers that refuse it), so that for every township
  balance_fen = Σ amount_fen (`relief check`). Kinds: `top_up` (+, from the county),
  `payment` (−, to a household, with the case/payment it belongs to when one exists) and
  `reversal` (the opposite of the entry it reverses; at most one per entry).
Money is integer fen; the API speaks yuan strings like the rest of API.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, field_validator
from pydantic import Field as PField
from sqlalchemy import BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime
from relief.errors import N_
from relief.subsidies.models import MAX_ID, Fen, _text

EntryKind = Literal["top_up", "payment", "reversal"]
ENTRY_KINDS: tuple[str, ...] = EntryKind.__args__  # type: ignore[attr-defined]
# The page's words for each kind (`reserve.kind.<kind>`) and each done note.
WORDS = (
    N_("reserve.kind.top_up"),
    N_("reserve.kind.payment"),
    N_("reserve.kind.reversal"),
    N_("reserve.done.top_up"),
    N_("reserve.done.payment"),
)


class ReserveBalance(SQLModel, table=True):
    __tablename__ = "reserve_balances"
    __table_args__ = (CheckConstraint("balance_fen >= 0", name="ck_reserve_balances_balance"),)

    region_code: str = Field(primary_key=True, foreign_key="regions.code", max_length=64)
    balance_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class ReserveEntry(SQLModel, table=True):
    __tablename__ = "reserve_entries"
    __table_args__ = (
        CheckConstraint("kind in ('top_up','payment','reversal')", name="ck_reserve_entries_kind"),
        CheckConstraint("amount_fen <> 0", name="ck_reserve_entries_amount"),
        # At most one reversal per entry, even if two people race.
        UniqueConstraint("reverses_id", name="uq_reserve_entries_reverses"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="regions.code", max_length=64, index=True)
    kind: str = Field(max_length=16)
    # Signed: + into the fund (top-ups, reversed payments), − out of it.
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    household_id: int | None = Field(default=None, foreign_key="households.id")
    case_id: int | None = Field(default=None, foreign_key="subsidy_cases.id")
    document_no: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, max_length=1000)
    reverses_id: int | None = Field(default=None, foreign_key="reserve_entries.id")
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


# --- API schemas ------------------------------------------------------------------------


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError(N_("the amount must be greater than 0"))
    return value


class TopUpIn(BaseModel):
    amount: Fen
    document_no: _text(128)  # type: ignore[valid-type]
    note: _text(1000, 0) | None = None  # type: ignore[valid-type]

    _amount = field_validator("amount")(_positive)


class ReservePaymentIn(BaseModel):
    amount: Fen
    household_id: int = PField(ge=1, le=MAX_ID)
    reason: _text(1000)  # type: ignore[valid-type]
    case_id: int | None = PField(default=None, ge=1, le=MAX_ID)

    _amount = field_validator("amount")(_positive)


class ReserveReversalIn(BaseModel):
    reason: _text(1000)  # type: ignore[valid-type]


class ReserveEntryOut(BaseModel):
    id: int
    region_code: str
    kind: str
    amount: str
    household_id: int | None
    case_id: int | None
    document_no: str | None
    note: str | None
    reverses_id: int | None
    reversed_by_id: int | None = None
    actor: str
    at: datetime


class ReserveOut(BaseModel):
    region_code: str
    region_name: str
    balance: str
    items: list[ReserveEntryOut]
    total: int
    limit: int
    offset: int
