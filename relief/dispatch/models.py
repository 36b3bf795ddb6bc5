"""Dispatch orders (调拨单): tables and API schemas.

An order moves goods from one source warehouse to one destination, either a region (relief
goods leave the system there, handed out) or another warehouse (a transfer: the goods enter
its stock). Its life:

    reserved ──dispatch──► dispatched ──receive──► delivered | partially_delivered | disputed
        └──cancel──► cancelled

Quantities on a line, and the schema's CHECK constraints that hold them whatever the code
does (the services check first and answer 422/409; these are the last line of defence):

- `quantity` > 0 is what was ordered and reserved at the source;
- 0 ≤ `dispatched` ≤ `quantity`: a manager may ship less (with a reason, the rest is
  released) but never more than was reserved;
- `received` ≥ 0, `damaged` ≥ 0 and `received + damaged ≤ dispatched`: what arrives is
  counted out of what left. A count above what was shipped is refused (422), because
  crediting it would create stock that no ledger row took from anywhere.

Lots shipped are kept per line (`dispatch_line_lots`); shortfalls and damage found at
receipt are kept as discrepancies (`dispatch_discrepancies`) with their reason.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, StrictInt
from pydantic import Field as PField
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Numeric,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime
from relief.errors import N_

OrderStatus = Literal[
    "reserved", "dispatched", "delivered", "partially_delivered", "disputed", "cancelled"
]
ORDER_STATUSES: tuple[str, ...] = OrderStatus.__args__  # type: ignore[attr-defined]
DestinationKind = Literal["region", "warehouse"]
DESTINATION_KINDS: tuple[str, ...] = DestinationKind.__args__  # type: ignore[attr-defined]
DiscrepancyKind = Literal["shortfall", "damage"]
# Statuses in which goods are still expected at the destination (an order can be late).
OPEN_STATUSES = ("reserved", "dispatched")
# One line may move at most this much (the stock domain's bound, kept far inside BIGINT).
MAX_QUANTITY = 1_000_000_000
NUMBER_PREFIX = "DB"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({','.join(repr(v) for v in values)})"


class DispatchOrderRow(SQLModel, table=True):
    __tablename__ = "dispatch_orders"
    __table_args__ = (
        UniqueConstraint("number", name="uq_dispatch_orders_number"),
        CheckConstraint(_in("status", ORDER_STATUSES), name="ck_dispatch_orders_status"),
        CheckConstraint(
            _in("destination_kind", DESTINATION_KINDS), name="ck_dispatch_orders_destination_kind"
        ),
        CheckConstraint(
            "destination_kind <> 'warehouse' or destination_code <> source_warehouse_code",
            name="ck_dispatch_orders_not_to_itself",
        ),
        CheckConstraint("eta_h is null or eta_h >= 0", name="ck_dispatch_orders_eta"),
        CheckConstraint(
            "distance_km is null or distance_km >= 0", name="ck_dispatch_orders_distance"
        ),
        CheckConstraint("loading_h is null or loading_h >= 0", name="ck_dispatch_orders_loading"),
        # Behind the orders list's scope filters: orders to a user's warehouses or regions,
        # and one status of a response's orders.
        Index("ix_dispatch_orders_destination", "destination_kind", "destination_code"),
        Index("ix_dispatch_orders_response_status", "response_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32)
    # Plans and responses live in other domains; kept as plain ids so that this table does
    # not depend on their migrations.
    plan_id: int | None = Field(default=None, index=True)
    response_id: int | None = Field(default=None, index=True)
    source_warehouse_code: str = Field(foreign_key="warehouses.code", max_length=64, index=True)
    destination_code: str = Field(max_length=64, index=True)
    destination_kind: str = Field(max_length=16)
    status: str = Field(default="reserved", max_length=24, index=True)
    route: list[str] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    eta_h: Decimal | None = Field(default=None, sa_column=Column(Numeric(10, 2), nullable=True))
    distance_km: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(12, 2), nullable=True)
    )
    # Hours from creation (a plan's approval) until the trucks can leave, the policy's
    # `loading_h` when the order was made; null (orders made before it was kept) reads as
    # the default. Until dispatched, the goods are due at created_at + loading_h + eta_h.
    loading_h: Decimal | None = Field(default=None, sa_column=Column(Numeric(8, 2), nullable=True))
    # Where the order came from ("plan 12", "transfer") and, for a transfer, why.
    reference: str = Field(default="", max_length=128)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispatched_by: str | None = Field(default=None, max_length=64)
    vehicle: str | None = Field(default=None, max_length=64)
    driver: str | None = Field(default=None, max_length=64)
    plate: str | None = Field(default=None, max_length=32)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_by: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=1000)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, max_length=64)
    cancel_reason: str | None = Field(default=None, max_length=500)


class DispatchLineRow(SQLModel, table=True):
    __tablename__ = "dispatch_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "item_code", name="uq_dispatch_lines_item"),
        CheckConstraint("quantity > 0", name="ck_dispatch_lines_quantity"),
        CheckConstraint("dispatched >= 0", name="ck_dispatch_lines_dispatched"),
        CheckConstraint("dispatched <= quantity", name="ck_dispatch_lines_dispatched_le_quantity"),
        CheckConstraint("received >= 0", name="ck_dispatch_lines_received"),
        CheckConstraint("damaged >= 0", name="ck_dispatch_lines_damaged"),
        CheckConstraint(
            "received + damaged <= dispatched", name="ck_dispatch_lines_counted_le_dispatched"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="dispatch_orders.id", index=True)
    # The line's place on the order, so replies and printouts keep the order it was made in.
    position: int = 0
    item_code: str = Field(foreign_key="items.code", max_length=64)
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))
    dispatched: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    received: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    damaged: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # Why less than ordered was dispatched (required then).
    reason: str | None = Field(default=None, max_length=500)


class DispatchLotRow(SQLModel, table=True):
    """A lot actually shipped on a line (the stock domain picks them FEFO)."""

    __tablename__ = "dispatch_line_lots"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_dispatch_line_lots_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="dispatch_lines.id", index=True)
    # "" is the stock domain's default lot (no lot number), shown as null.
    lot: str = Field(default="", max_length=64)
    expires_on: date | None = None
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))


class DispatchDiscrepancyRow(SQLModel, table=True):
    """A shortfall or damage found at receipt, with the receiver's reason."""

    __tablename__ = "dispatch_discrepancies"
    __table_args__ = (
        CheckConstraint("kind in ('shortfall','damage')", name="ck_dispatch_discrepancies_kind"),
        CheckConstraint("quantity > 0", name="ck_dispatch_discrepancies_quantity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="dispatch_orders.id", index=True)
    line_id: int = Field(foreign_key="dispatch_lines.id", index=True)
    item_code: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str = Field(max_length=500)
    recorded_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=64)


class DispatchNumberRow(SQLModel, table=True):
    """The last order number handed out per day (China Standard Time), e.g. 20260711 → 3.

    Incremented by one atomic upsert inside the creating transaction, so two orders created
    at once get different numbers and a rolled-back order gives its number back."""

    __tablename__ = "dispatch_number_sequences"
    __table_args__ = (CheckConstraint("last > 0", name="ck_dispatch_number_sequences_last"),)

    day: str = Field(primary_key=True, max_length=8)
    last: int = Field(sa_column=Column(BigInteger, nullable=False))


# --- API schemas ------------------------------------------------------------------------


def _no_control_chars(value: str) -> str:
    # PostgreSQL refuses NUL in text: refuse control characters as a 422, never a 500.
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValueError(N_("must not contain control characters"))
    return value


def _strip_optional(value: str | None) -> str | None:
    if value is None:
        return None
    return _no_control_chars(value.strip()) or None


CodeText = Annotated[str, PField(min_length=1, max_length=64), AfterValidator(_no_control_chars)]
ShortText = Annotated[
    str, PField(min_length=1, max_length=64), AfterValidator(lambda v: _no_control_chars(v.strip()))
]
ReasonText = Annotated[
    str | None, PField(default=None, max_length=500), AfterValidator(_strip_optional)
]
Quantity = Annotated[StrictInt, PField(gt=0, le=MAX_QUANTITY)]
Count = Annotated[StrictInt, PField(ge=0, le=MAX_QUANTITY)]


class OrderLineIn(BaseModel):
    item_code: CodeText
    quantity: Quantity


class TransferIn(BaseModel):
    from_warehouse_code: CodeText
    to_warehouse_code: CodeText
    lines: list[OrderLineIn] = PField(min_length=1, max_length=1000)
    reason: Annotated[str, PField(min_length=1, max_length=500), AfterValidator(_no_control_chars)]
    # Needed for a transfer up the tiers (county → prefecture, anything → provincial).
    override_reason: ReasonText = None


class DispatchLineIn(BaseModel):
    item_code: CodeText
    quantity: Count
    reason: ReasonText = None


class DispatchIn(BaseModel):
    # Lines left out ship as ordered; `lines` may be omitted altogether.
    lines: list[DispatchLineIn] | None = PField(default=None, max_length=1000)
    vehicle: ShortText
    driver: ShortText
    plate: Annotated[
        str,
        PField(min_length=1, max_length=32),
        AfterValidator(lambda v: _no_control_chars(v.strip())),
    ]


class ReceiveLineIn(BaseModel):
    item_code: CodeText
    received: Count
    damaged: Count = 0
    reason: ReasonText = None


class ReceiveIn(BaseModel):
    lines: list[ReceiveLineIn] = PField(min_length=1, max_length=1000)
    note: Annotated[str, PField(max_length=1000), AfterValidator(_no_control_chars)] = ""


class CancelIn(BaseModel):
    reason: ReasonText = None


class LotOut(BaseModel):
    lot: str | None
    expires_on: date | None
    quantity: int


class OrderLineOut(BaseModel):
    item_code: str
    quantity: int
    dispatched: int
    received: int
    damaged: int
    reason: str | None
    lots: list[LotOut]


class DiscrepancyOut(BaseModel):
    item_code: str
    kind: DiscrepancyKind
    quantity: int
    reason: str
    recorded_at: datetime
    recorded_by: str


class OrderOut(BaseModel):
    id: int
    number: str
    plan_id: int | None
    response_id: int | None
    source_warehouse_code: str
    destination_code: str
    destination_kind: DestinationKind
    status: OrderStatus
    route: list[str] | None
    eta_h: float | None
    distance_km: float | None
    # Hours allowed for loading before dispatch (the policy's `loading_h` at approval).
    loading_h: float = 2.0
    # When the goods are due: dispatched_at + eta_h; while not dispatched,
    # created_at + loading_h + eta_h.
    expected_at: datetime | None
    late: bool
    reference: str
    reason: str | None
    created_at: datetime
    created_by: str
    dispatched_at: datetime | None
    vehicle: str | None
    driver: str | None
    plate: str | None
    received_at: datetime | None
    note: str | None
    cancelled_at: datetime | None
    # Who cancelled it and why (null until cancelled; the reason may be null from the API).
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    dispatched_by: str | None = None
    # Changes whenever the order changes state: a form sends back the one it was shown.
    version: str = ""
    lines: list[OrderLineOut]
    discrepancies: list[DiscrepancyOut]


class FulfilmentOut(BaseModel):
    region_code: str
    item_code: str
    demand: int
    planned: int
    dispatched: int
    received: int
    overdue: bool
