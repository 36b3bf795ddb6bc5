"""Goods held by a receiving region and issued to households (发放到户): tables, API schemas.

Representation (the reserve fund's balance row + ledger, per item and lot):
- `holdings` holds one row per region × item × lot: `quantity`, never below zero (a CHECK,
  and the service locks the row before it changes it, as stock levels are locked). The
  region is the destination of a dispatch order: a township, or a county civil-affairs
  office that hands goods out itself.
- `holding_entries` is the ledger: every change of a holding is a row here, never updated
  or deleted (the migration installs triggers that refuse it), so that for every row
  quantity = Σ entries (`relief check`). Kinds: `receipt` (+, what the region signed for on
  a dispatch order), `issue` (−, to a household) and `reversal` (+, an issue taken back).
- `household_issues` is one issue to one household (items on `household_issue_lines`), with
  the date, the person who signed and an optional scan of the signed list. A correction is
  a `reversal` issue with the opposite quantities (at most one per issue); nothing is edited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, StrictInt
from pydantic import Field as PField
from sqlalchemy import BigInteger, CheckConstraint, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime
from relief.subsidies.models import MAX_ID, _text

EntryKind = Literal["receipt", "issue", "reversal"]
ENTRY_KINDS: tuple[str, ...] = EntryKind.__args__  # type: ignore[attr-defined]
IssueKind = Literal["issue", "reversal"]
MAX_QUANTITY = 1_000_000_000
# A scan or photo of the signed list: JPEG, PNG or PDF, at most this many bytes.
MAX_SCAN_BYTES = 5 * 1024 * 1024
SCAN_TYPES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}
# Days after goods first reached a region past which a household given nothing is listed
# (policy `distribution.nothing_after_days`, when the policy does not say).
DEFAULT_NOTHING_AFTER_DAYS = 3
MAX_NOTHING_AFTER_DAYS = 366
DISTRIBUTION_KEYS = ("nothing_after_days",)


def check_distribution_rules(raw: dict[str, Any]) -> dict[str, Any]:
    """A `distribution` mapping of a policy given through the API: known keys only, and
    `nothing_after_days` a whole number of days from 0 to 366; ValueError names the key."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in DISTRIBUTION_KEYS:
            raise ValueError(
                f"distribution.{key}: not a known key ({', '.join(DISTRIBUTION_KEYS)})"
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= MAX_NOTHING_AFTER_DAYS
        ):
            raise ValueError(
                f"distribution.{key}: a whole number of days from 0 to {MAX_NOTHING_AFTER_DAYS}"
            )
        out[key] = value
    return out


class HoldingRow(SQLModel, table=True):
    __tablename__ = "holdings"
    __table_args__ = (CheckConstraint("quantity >= 0", name="ck_holdings_quantity"),)

    region_code: str = Field(primary_key=True, foreign_key="regions.code", max_length=64)
    item_code: str = Field(primary_key=True, foreign_key="items.code", max_length=64)
    # "" is the default lot (no lot number), as in the stock domain.
    lot: str = Field(default="", primary_key=True, max_length=64)
    expires_on: date | None = None
    quantity: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class HoldingEntry(SQLModel, table=True):
    __tablename__ = "holding_entries"
    __table_args__ = (
        CheckConstraint("kind in ('receipt','issue','reversal')", name="ck_holding_entries_kind"),
        CheckConstraint("quantity <> 0", name="ck_holding_entries_quantity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="regions.code", max_length=64, index=True)
    item_code: str = Field(foreign_key="items.code", max_length=64)
    lot: str = Field(default="", max_length=64)
    kind: str = Field(max_length=16)
    # Signed: + into the holding (receipts, reversals), − out of it (issues).
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The dispatch order signed for (a receipt); kept as a plain id, as orders keep plans.
    order_id: int | None = Field(default=None, index=True)
    issue_id: int | None = Field(default=None, foreign_key="household_issues.id", index=True)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class IssueRow(SQLModel, table=True):
    __tablename__ = "household_issues"
    __table_args__ = (
        CheckConstraint("kind in ('issue','reversal')", name="ck_household_issues_kind"),
        # At most one reversal per issue, even if two people race.
        UniqueConstraint("reverses_id", name="uq_household_issues_reverses"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="regions.code", max_length=64, index=True)
    event_id: int = Field(index=True)
    household_id: int = Field(foreign_key="households.id", index=True)
    kind: str = Field(default="issue", max_length=16)
    issued_on: date
    signed_by: str = Field(max_length=64)
    note: str | None = Field(default=None, max_length=1000)
    reverses_id: int | None = Field(default=None, foreign_key="household_issues.id")
    # "form" (typed one by one) or "roster" (the signed 发放花名册 imported back).
    source: str = Field(default="form", max_length=16)
    scan: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    scan_type: str | None = Field(default=None, max_length=32)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class IssueLineRow(SQLModel, table=True):
    __tablename__ = "household_issue_lines"
    __table_args__ = (
        UniqueConstraint("issue_id", "item_code", name="uq_household_issue_lines_item"),
        CheckConstraint("quantity <> 0", name="ck_household_issue_lines_quantity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="household_issues.id", index=True)
    item_code: str = Field(foreign_key="items.code", max_length=64)
    # + given to the household; − on a reversal.
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))


# --- API schemas ------------------------------------------------------------------------


class IssueLineIn(BaseModel):
    item_code: _text(64)  # type: ignore[valid-type]
    # Strict: JSON `true` is not a quantity of 1, nor "4" a number (as receipts and orders).
    quantity: StrictInt = PField(ge=1, le=MAX_QUANTITY)


class IssueIn(BaseModel):
    event_id: StrictInt = PField(ge=1, le=MAX_ID)
    household_id: StrictInt = PField(ge=1, le=MAX_ID)
    issued_on: date
    signed_by: _text(64)  # type: ignore[valid-type]
    lines: list[IssueLineIn] = PField(min_length=1, max_length=100)
    note: _text(1000, 0) | None = None  # type: ignore[valid-type]


class IssueReversalIn(BaseModel):
    reason: _text(1000)  # type: ignore[valid-type]


class IssueLineOut(BaseModel):
    item_code: str
    item_name: str
    unit: str
    quantity: int


class IssueOut(BaseModel):
    id: int
    region_code: str
    event_id: int
    household_id: int
    head_name: str
    kind: str
    issued_on: date
    signed_by: str
    note: str | None
    reverses_id: int | None
    reversed_by_id: int | None = None
    source: str
    has_scan: bool
    lines: list[IssueLineOut]
    actor: str
    at: datetime


class IssueListOut(BaseModel):
    items: list[IssueOut]
    total: int
    limit: int
    offset: int


class HoldingOut(BaseModel):
    item_code: str
    item_name: str
    unit: str
    lot: str | None
    expires_on: date | None
    quantity: int


class HoldingEntryOut(BaseModel):
    id: int
    item_code: str
    lot: str | None
    kind: str
    quantity: int
    order_id: int | None
    issue_id: int | None
    actor: str
    at: datetime


class HoldingsOut(BaseModel):
    region_code: str
    region_name: str
    holdings: list[HoldingOut]
    entries: list[HoldingEntryOut]
    total: int
    limit: int
    offset: int


class ItemShare(BaseModel):
    item_code: str
    item_name: str
    unit: str
    share: int
    issued: int


class HouseholdFulfilment(BaseModel):
    household_id: int
    head_name: str
    region_code: str
    size: int
    items: list[ItemShare]
    nothing_yet: bool
    waiting: bool


class FulfilmentOut(BaseModel):
    region_code: str
    region_name: str
    event_id: int
    nothing_after_days: int
    goods_since: datetime | None
    households: list[HouseholdFulfilment]
    waiting: list[int]


class RosterImportOut(BaseModel):
    created: int
    issue_ids: list[int]
    rejected: list[dict] = []
