"""Stock: levels, lots and the append-only ledger (tables), and the stock API schemas.

Representation:
- `stock_levels` holds one row per warehouse x item: `on_hand`, `reserved` (promised to
  dispatch orders, still on the shelf) and `floor` (the reserve an allocation must leave).
- `stock_lots` splits `on_hand` into lots with an optional expiry date. Stock received
  without a lot number lives in the *default lot*, stored as lot `""` and shown as `null`
  in the API; it never carries an expiry date. Σ lots.on_hand == stock_levels.on_hand.
- `stock_movements` is the ledger: every change of `on_hand` or `reserved` is a row here,
  never updated or deleted (migration 0002 installs triggers that refuse it), so that
  on_hand = Σ on_hand_delta and reserved = Σ reserved_delta for every warehouse x item.
  Reservations and releases are not tied to a lot; their rows carry the default lot `""`
  and an on_hand_delta of 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    StrictInt,
    StringConstraints,
    field_validator,
)
from pydantic import Field as PField
from sqlalchemy import BigInteger, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime
from relief.errors import N_

MovementKind = Literal[
    "receipt",
    "adjustment",
    "reservation",
    "release",
    "dispatch",
    "transfer_out",
    "transfer_in",
    "disposal",
    "stocktake",
]
MOVEMENT_KINDS: tuple[str, ...] = MovementKind.__args__  # type: ignore[attr-defined]
DEFAULT_LOT = ""
# One line or adjustment may move at most this much; it keeps sums far inside BIGINT.
MAX_QUANTITY = 1_000_000_000


class StockLevelRow(SQLModel, table=True):
    __tablename__ = "stock_levels"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="ck_stock_levels_on_hand"),
        CheckConstraint("reserved >= 0", name="ck_stock_levels_reserved"),
        CheckConstraint("floor >= 0", name="ck_stock_levels_floor"),
        CheckConstraint("reserved <= on_hand", name="ck_stock_levels_reserved_on_hand"),
    )

    warehouse_code: str = Field(primary_key=True, foreign_key="warehouses.code", max_length=64)
    item_code: str = Field(primary_key=True, foreign_key="items.code", max_length=64)
    on_hand: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    reserved: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    floor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class StockLotRow(SQLModel, table=True):
    __tablename__ = "stock_lots"
    __table_args__ = (
        UniqueConstraint("warehouse_code", "item_code", "lot", name="uq_stock_lots_lot"),
        CheckConstraint("on_hand >= 0", name="ck_stock_lots_on_hand"),
    )

    id: int | None = Field(default=None, primary_key=True)
    warehouse_code: str = Field(foreign_key="warehouses.code", max_length=64)
    item_code: str = Field(foreign_key="items.code", max_length=64)
    lot: str = Field(default=DEFAULT_LOT, max_length=64)
    expires_on: date | None = None
    on_hand: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class StockMovement(SQLModel, table=True):
    """One ledger row. Append-only: corrections are new rows."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(
            "kind in ('receipt','adjustment','reservation','release','dispatch',"
            "'transfer_out','transfer_in','disposal','stocktake')",
            name="ck_stock_movements_kind",
        ),
        CheckConstraint(
            "on_hand_delta <> 0 or reserved_delta <> 0", name="ck_stock_movements_moves"
        ),
        Index("ix_stock_movements_wh_item", "warehouse_code", "item_code"),
        # Behind a receipt's check that its 入库单号 is new at the warehouse (before any lock):
        # without it the check reads the warehouse's whole ledger.
        Index("ix_stock_movements_wh_reference", "warehouse_code", "reference"),
    )

    id: int | None = Field(default=None, primary_key=True)
    warehouse_code: str = Field(foreign_key="warehouses.code", max_length=64)
    item_code: str = Field(foreign_key="items.code", max_length=64)
    lot: str = Field(default=DEFAULT_LOT, max_length=64)
    kind: str = Field(max_length=16)
    on_hand_delta: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    reserved_delta: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    reference: str = Field(default="", max_length=128)
    reason: str = Field(default="", max_length=500)
    # The reason given with a stocktake that may take stock below the floor (DESIGN.md:
    # never below the floor except by an explicit override recorded with reason and actor).
    override_reason: str | None = Field(default=None, max_length=500)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    order_id: int | None = Field(default=None, index=True)
    # A stocktake row keeps what was counted on the shelf (the lot's on_hand after it).
    counted: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


# --- API schemas ------------------------------------------------------------------------


def _no_control_chars(value: str) -> str:
    # PostgreSQL refuses NUL in text; other control characters are never meant in a code
    # or a note, so they are a validation error rather than a database error (a 500).
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValueError(N_("must not contain control characters"))
    return value


def _iso_date(value: object) -> object:
    """Dates are `YYYY-MM-DD` strings (API.md); numbers and datetimes are refused."""
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(N_("must be a date YYYY-MM-DD"))
    return value


def _lot_or_default(value: str | None) -> str | None:
    """A lot number, or None for the default lot (an empty or blank lot means no lot)."""
    if value is None:
        return None
    return _no_control_chars(value.strip()) or None


def _optional_note(value: str | None) -> str | None:
    if value is None:
        return None
    return _no_control_chars(value.strip()) or None


def _text(max_length: int) -> object:
    """Constraints of a required text field: trimmed, not blank, no control characters."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


CodeText = Annotated[str, _text(64), AfterValidator(_no_control_chars)]
NoteText = Annotated[str, _text(500), AfterValidator(_no_control_chars)]
LotText = Annotated[str | None, PField(max_length=64), AfterValidator(_lot_or_default)]
IsoDate = Annotated[date | None, BeforeValidator(_iso_date)]
Quantity = Annotated[StrictInt, PField(gt=0, le=MAX_QUANTITY)]


class ReceiptLineIn(BaseModel):
    item_code: CodeText
    quantity: Quantity
    lot: LotText = None
    expires_on: IsoDate = None


class ReceiptIn(BaseModel):
    reference: Annotated[str, _text(128), AfterValidator(_no_control_chars)]
    lines: list[ReceiptLineIn] = PField(min_length=1, max_length=1000)
    # Why a lot already past its date is booked anyway (else 422 `lot_expired`).
    override_reason: Annotated[
        str | None, PField(default=None, max_length=500), AfterValidator(_optional_note)
    ] = None


class AdjustmentIn(BaseModel):
    item_code: CodeText
    delta: Annotated[StrictInt, PField(ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
    reason: NoteText
    lot: LotText = None
    # A blank override counts as none: an override must say why.
    override_reason: Annotated[
        str | None, PField(default=None, max_length=500), AfterValidator(_optional_note)
    ] = None

    @field_validator("delta")
    @classmethod
    def _delta_moves_stock(cls, value: int) -> int:
        if value == 0:
            raise ValueError(N_("delta must not be 0"))
        return value


OptionalNote = Annotated[
    str | None, PField(default=None, max_length=500), AfterValidator(_optional_note)
]


class DisposalIn(BaseModel):
    """报废: stock leaving the books for good, normally an expired lot."""

    item_code: CodeText
    lot: LotText = None
    # Without a quantity the lot's whole on-hand stock is disposed of.
    quantity: Quantity | None = None
    reason: NoteText
    # Needed to dispose of a lot that has not expired (damaged goods): it must say why.
    override_reason: OptionalNote = None


class StocktakeIn(BaseModel):
    """盘点: what was counted on the shelf for one lot (the default lot without `lot`)."""

    item_code: CodeText
    lot: LotText = None
    counted: Annotated[StrictInt, PField(ge=0, le=MAX_QUANTITY)]
    reason: OptionalNote = None
    # Needed when the count leaves less than the floor free, as for an adjustment.
    override_reason: OptionalNote = None


class LotOut(BaseModel):
    lot: str | None
    expires_on: date | None
    on_hand: int
    # Past its date today (China Standard Time): never allocated, reserved or picked.
    expired: bool = False


class StockOut(BaseModel):
    item_code: str
    on_hand: int
    reserved: int
    floor: int
    # Units in expired lots; available = on_hand − reserved − floor − expired, not below 0.
    expired: int = 0
    available: int
    # Reserved units that unexpired stock cannot serve (a reserved lot expired):
    # max(0, reserved − (on_hand − expired)); dispatch those orders short or restock.
    shortfall: int = 0
    lots: list[LotOut]


class MovementOut(BaseModel):
    id: int
    warehouse_code: str
    item_code: str
    lot: str | None
    kind: MovementKind
    on_hand_delta: int
    reserved_delta: int
    reference: str
    reason: str
    actor: str
    at: datetime
    counted: int | None = None


class WarningOut(BaseModel):
    """Something accepted that the user should look at (e.g. a lot received expired)."""

    code: str
    field: str | None
    message: str


class ReceiptLineOut(BaseModel):
    movement_id: int
    item_code: str
    quantity: int
    lot: str | None
    expires_on: date | None


class ReceiptOut(BaseModel):
    warehouse_code: str
    reference: str
    actor: str
    at: datetime
    lines: list[ReceiptLineOut]
    stock: list[StockOut]
    warnings: list[WarningOut] = []


class StockChangeOut(BaseModel):
    """The reply to a disposal or a stocktake: its ledger rows and the stock after it."""

    warehouse_code: str
    item_code: str
    lot: str | None
    kind: Literal["disposal", "stocktake"]
    on_hand_delta: int
    counted: int | None
    reason: str
    override_reason: str | None
    below_floor: bool
    actor: str
    at: datetime
    movements: list[MovementOut]
    stock: StockOut


class AdjustmentOut(BaseModel):
    warehouse_code: str
    item_code: str
    delta: int
    reason: str
    override_reason: str | None
    actor: str
    at: datetime
    movements: list[MovementOut]
    stock: StockOut


class LowStockOut(BaseModel):
    warehouse_code: str
    item_code: str
    on_hand: int
    reserved: int
    floor: int
    available: int
    threshold: int
    status: Literal["out_of_stock", "below_floor", "near_floor"]
    # As in StockOut: reserved units that unexpired stock cannot serve.
    shortfall: int = 0


class ExpiringLotOut(BaseModel):
    warehouse_code: str
    item_code: str
    lot: str | None
    expires_on: date
    on_hand: int
    days_left: int
    expired: bool


@dataclass(frozen=True, slots=True)
class LotPick:
    """A quantity taken from (or put into) one lot; `lot` None is the default lot."""

    lot: str | None
    expires_on: date | None
    quantity: int


@dataclass(frozen=True, slots=True)
class ExcludedLot:
    """A lot a plan may not use: `expired` today, or `expires_before_arrival` (its date is
    past before the plan's supplies must arrive)."""

    warehouse_code: str
    item_code: str
    lot: str | None
    quantity: int
    expires_on: date
    reason: Literal["expired", "expires_before_arrival"]
