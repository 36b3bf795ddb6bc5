"""Relief funds (救灾资金) passed down by region: balances and the append-only ledger.

Representation:
- An account is (region, source): the region (province/自治区, prefecture/市, county/县) and
  the level whose budget the money came from (`central` 中央, `province` 省(自治区),
  `city` 市, `county` 县). Money keeps its source as it is passed down.
- `fund_balances` holds one row per account: `balance_fen`, never below zero (a CHECK, and
  the service locks the row before it changes it, as the township reserve does).
- `fund_entries` is the ledger: every change of a balance is a row, never updated or deleted
  (the migration installs triggers that refuse it), so balance_fen = Σ amount_fen for every
  account (`relief check`). Kinds: `receipt` (+, money from above the system: a central or
  provincial transfer booked into the top account, or a region's own budget), `allocation_out`
  (−, 资金下拨 to a child region) with its `allocation_in` (+, at the child, `link_id` = the
  out entry), `reserve_draw` (−, a county's top-up of a township's reserve fund, 备用金 —
  the township's account is its reserve fund, `reserve_entry_id` links it) and `reversal`.
Money is integer fen; the API speaks yuan strings like the rest of API.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, field_validator
from pydantic import Field as PField
from sqlalchemy import BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime
from relief.errors import N_
from relief.subsidies.models import Fen, _text

Source = Literal["central", "province", "city", "county"]
SOURCES: tuple[str, ...] = Source.__args__  # type: ignore[attr-defined]
# The level of each source as a region level (the account that may book a receipt of it).
SOURCE_LEVEL = {
    "central": "province",
    "province": "province",
    "city": "prefecture",
    "county": "county",
}
KINDS = ("receipt", "allocation_out", "allocation_in", "reserve_draw", "reversal")
WORDS = (
    N_("funds.source.central"),
    N_("funds.source.province"),
    N_("funds.source.city"),
    N_("funds.source.county"),
    N_("funds.kind.receipt"),
    N_("funds.kind.allocation_out"),
    N_("funds.kind.allocation_in"),
    N_("funds.kind.reserve_draw"),
    N_("funds.kind.reversal"),
    N_("funds.done.receipt"),
    N_("funds.done.allocation"),
    N_("funds.split.bound.floor"),
    N_("funds.split.bound.cap"),
)
SOURCE_WORDS = dict(zip(SOURCES, WORDS[:4], strict=True))


class FundBalance(SQLModel, table=True):
    __tablename__ = "fund_balances"
    __table_args__ = (CheckConstraint("balance_fen >= 0", name="ck_fund_balances_balance"),)

    region_code: str = Field(primary_key=True, foreign_key="regions.code", max_length=64)
    source: str = Field(primary_key=True, max_length=16)
    balance_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class FundEntry(SQLModel, table=True):
    __tablename__ = "fund_entries"
    __table_args__ = (
        CheckConstraint(
            "kind in ('receipt','allocation_out','allocation_in','reserve_draw','reversal')",
            name="ck_fund_entries_kind",
        ),
        CheckConstraint(
            "source in ('central','province','city','county')", name="ck_fund_entries_source"
        ),
        CheckConstraint("amount_fen <> 0", name="ck_fund_entries_amount"),
        UniqueConstraint("reverses_id", name="uq_fund_entries_reverses"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="regions.code", max_length=64, index=True)
    source: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    # Signed: + into the account, − out of it.
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The other side: the child region of an allocation, the parent of an allocation_in.
    counterpart_code: str | None = Field(default=None, foreign_key="regions.code", max_length=64)
    document_no: str | None = Field(default=None, max_length=128)  # 文号
    document_date: date | None = None
    purpose: str | None = Field(default=None, max_length=1000)
    link_id: int | None = Field(default=None, foreign_key="fund_entries.id")
    reserve_entry_id: int | None = Field(default=None, foreign_key="reserve_entries.id")
    reverses_id: int | None = Field(default=None, foreign_key="fund_entries.id")
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


# --- API schemas ------------------------------------------------------------------------


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError(N_("the amount must be greater than 0"))
    return value


class ReceiptIn(BaseModel):
    region_code: _text(64)  # type: ignore[valid-type]
    source: Source
    amount: Fen
    document_no: _text(128)  # type: ignore[valid-type]
    document_date: date
    purpose: _text(1000)  # type: ignore[valid-type]

    _amount = field_validator("amount")(_positive)


class AllocationIn(BaseModel):
    from_code: _text(64)  # type: ignore[valid-type]
    to_code: _text(64)  # type: ignore[valid-type]
    source: Source
    amount: Fen
    document_no: _text(128)  # type: ignore[valid-type]
    document_date: date
    purpose: _text(1000)  # type: ignore[valid-type]

    _amount = field_validator("amount")(_positive)


class FundReversalIn(BaseModel):
    reason: _text(1000)  # type: ignore[valid-type]


class FundEntryOut(BaseModel):
    id: int
    region_code: str
    source: str
    kind: str
    amount: str
    counterpart_code: str | None
    document_no: str | None
    document_date: date | None
    purpose: str | None
    link_id: int | None
    reserve_entry_id: int | None
    reverses_id: int | None
    actor: str
    at: datetime


class CountyNeedIn(BaseModel):
    code: _text(64)  # type: ignore[valid-type]
    needing_aid: int = PField(ge=0, le=100_000_000)
    collapsed_households: int = PField(ge=0, le=10_000_000)
    severe_households: int = PField(ge=0, le=10_000_000)
    general_households: int = PField(ge=0, le=10_000_000)
    households: int = PField(ge=0, le=100_000_000)
    dibao_households: int = PField(ge=0, le=100_000_000)
    poverty_registered_households: int = PField(ge=0, le=100_000_000)


class ProposalIn(BaseModel):
    from_code: _text(64)  # type: ignore[valid-type]
    source: Source
    total: Fen
    floor: Fen = 0
    cap: Fen | None = None
    event_id: int | None = PField(default=None, ge=1, le=2_147_483_647)
    # Need per county given by hand; when absent it is read from the reports and households.
    counties: list[CountyNeedIn] | None = PField(default=None, max_length=500)

    _total = field_validator("total")(_positive)


class ShareIn(BaseModel):
    code: _text(64)  # type: ignore[valid-type]
    amount: Fen


class ApproveIn(BaseModel):
    from_code: _text(64)  # type: ignore[valid-type]
    source: Source
    document_no: _text(128)  # type: ignore[valid-type]
    document_date: date
    purpose: _text(1000)  # type: ignore[valid-type]
    shares: list[ShareIn] = PField(min_length=1, max_length=500)
