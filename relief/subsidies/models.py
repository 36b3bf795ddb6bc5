"""Households, programmes, standards, cases, case history and payments: tables and API
schemas of the subsidy disbursement tracker.

Money is integer fen in every table (columns end in `_fen`); the API takes yuan as a string
or number with at most 2 decimals and replies with strings of exactly 2 decimals.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic import Field as PField
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Numeric,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime
from relief.errors import N_
from relief.subsidies.contact import optional_bank_account, optional_phone

DAMAGES = ("collapsed", "severe", "general", "none")
CATEGORIES = ("general", "dibao", "tekun", "poverty_registered")
PROGRAMME_KINDS = ("rebuild", "grain", "transitional", "winter_spring", "temporary")
ProgrammeKind = Literal["rebuild", "grain", "transitional", "winter_spring", "temporary"]
# The kinds of issue 15 (过渡期生活救助, 冬春生活救助, 临时救助): their standards take one
# amount basis each (BASES), an optional cap, and a case may take fewer months than the
# standard's (API "Case amount", docs/county-staff.md).
LIVING_KINDS = ("transitional", "winter_spring", "temporary")
BASES = ("per_household", "per_person", "per_person_month", "per_person_month_kg", "share_of")
# Who qualifies when a programme of the kind names no rule of its own (docs/county-staff.md):
# 过渡期 is for households whose house collapsed or was severely damaged (S35; the plan's
# 6.1.1 names two more groups, not modelled). The other kinds take any household.
DEFAULT_DAMAGE = {"transitional": ("collapsed", "severe")}
CASE_STATUSES = (
    "registered",
    "village_reviewed",
    "published",
    "township_reviewed",
    "approved",
    "rejected",
)
ACTIONS = ("village_review", "publish", "object", "township_review", "approve", "reject")
DEFAULT_NOTICE_DAYS = 7

Damage = Literal["collapsed", "severe", "general", "none"]
Category = Literal["general", "dibao", "tekun", "poverty_registered"]
CaseStatus = Literal[
    "registered", "village_reviewed", "published", "township_reviewed", "approved", "rejected"
]
Action = Literal["village_review", "publish", "object", "township_review", "approve", "reject"]

# The words of the county's spreadsheets and notices (API.md, the import template).
DAMAGE_WORDS = {"倒塌": "collapsed", "严重损坏": "severe", "一般损坏": "general", "未损坏": "none"}
DAMAGE_ZH = {v: k for k, v in DAMAGE_WORDS.items()}
# The house's structure as the 倒损住房户台账 records it (stable codes; words in the catalogue
# as `household.structure.<code>`, the Chinese below for imports and exports).
STRUCTURES = ("brick_concrete", "brick_wood", "earth_wood", "steel_concrete", "other")
Structure = Literal["brick_concrete", "brick_wood", "earth_wood", "steel_concrete", "other"]
STRUCTURE_WORDS = {
    "砖混": "brick_concrete",
    "砖木": "brick_wood",
    "土木": "earth_wood",
    "钢混": "steel_concrete",
    "其他": "other",
}
STRUCTURE_ZH = {v: k for k, v in STRUCTURE_WORDS.items()}
CATEGORY_WORDS = {
    "一般户": "general",
    "低保户": "dibao",
    "特困供养": "tekun",
    "建档立卡贫困户": "poverty_registered",
}
CATEGORY_ZH = {v: k for k, v in CATEGORY_WORDS.items()}


# --- money ------------------------------------------------------------------------------


def parse_fen(value: Any) -> int:
    """Yuan (string or number, at most 2 decimals) → integer fen; raises ValueError."""
    if isinstance(value, bool) or value is None:
        raise ValueError(N_('an amount in yuan is required, e.g. "20000.00"'))
    if isinstance(value, float):
        value = repr(value)  # 0.1 stays "0.1", not its binary expansion
    text = amount_text(str(value))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(N_('not an amount in yuan, e.g. "20000.00"')) from None
    if not amount.is_finite():
        raise ValueError(N_('not an amount in yuan, e.g. "20000.00"'))
    # Bounds by the exponent first: "1e999999999" × 100 overflows Decimal's context.
    if amount and amount.adjusted() > 14:
        raise ValueError(N_("the amount is too large"))
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01"), ROUND_DOWN):
        raise ValueError(N_("an amount has at most 2 decimals"))
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(N_("an amount has at most 2 decimals"))
    if abs(fen) >= 10**15:  # far beyond any budget; keeps BIGINT and Decimal exact
        raise ValueError(N_("the amount is too large"))
    return int(fen)


# Thousands grouped by commas the way a clerk writes them: 8,100 or 12,345,678.90.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def amount_text(value: str) -> str:
    """What a clerk typed as yuan, in the plain form Decimal reads: full-width digits and
    punctuation folded by NFKC (８１００ → 8100), "元" and spaces dropped, commas taken as
    thousands separators only where they group by three (8,100 and 8,100.00). A comma
    anywhere else (8.100,00, 8,10) is refused: it might be a decimal comma, and guessing
    would move the amount by a factor of a hundred. Raises ValueError."""
    text = unicodedata.normalize("NFKC", value).strip().removesuffix("元").strip()
    text = text.replace(" ", "").replace("\u00a0", "")
    if "," in text:
        if not _GROUPED.match(text):
            raise ValueError(
                N_("commas only group thousands (8,100.00); write the decimals after a point")
            )
        text = text.replace(",", "")
    return text


def format_fen(fen: int | None) -> str | None:
    """Integer fen → "20000.00" (negative reversals keep their sign)."""
    if fen is None:
        return None
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan_text(fen: int) -> str:
    """Integer fen as pages and messages show an amount (the API keeps format_fen's plain
    text): 810000 → "8,100.00", -150050 → "-1,500.50". Pages add the unit: `|yuan`."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


# An API amount in yuan, held as integer fen once validated.
Fen = Annotated[int, BeforeValidator(parse_fen)]


# --- tables -----------------------------------------------------------------------------


class Household(SQLModel, table=True):
    """One registration per household and event (一户一表)."""

    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("event_id", "id_hash", name="uq_households_event_id_number"),
        CheckConstraint("size >= 1", name="ck_households_size"),
        CheckConstraint("rooms >= 0", name="ck_households_rooms"),
        CheckConstraint(
            "damage in ('collapsed','severe','general','none')", name="ck_households_damage"
        ),
        CheckConstraint(
            "category in ('general','dibao','tekun','poverty_registered')",
            name="ck_households_category",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The event lives in the emergency domain; it is checked through its service.
    event_id: int = Field(index=True)
    region_code: str = Field(foreign_key="regions.code", index=True, max_length=64)
    head_name: str = Field(max_length=64)
    id_hash: str = Field(max_length=64)
    id_cipher: str = Field(max_length=255)
    id_masked: str = Field(max_length=18)
    size: int
    damage: str = Field(max_length=16)
    rooms: int = 0
    category: str = Field(default="general", max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    # The 一卡通 account, encrypted; lists show `bank_masked` (relief/subsidies/ids.py).
    bank_cipher: str | None = Field(default=None, max_length=255)
    bank_masked: str | None = Field(default=None, max_length=16)
    # What the 倒损住房户台账 and the 一户一表 need beyond the above; all optional (null =
    # not given). Rooms by degree of damage: 倒塌 / 严重损坏 / 一般损坏 间数.
    address: str | None = Field(default=None, max_length=200)
    structure: str | None = Field(default=None, max_length=16)
    collapsed_rooms: int | None = None
    severe_rooms: int | None = None
    general_rooms: int | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class Programme(SQLModel, table=True):
    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint(
            "kind in ('rebuild','grain','transitional','winter_spring','temporary')",
            name="ck_programmes_kind",
        ),
        CheckConstraint("budget_fen >= 0", name="ck_programmes_budget"),
        CheckConstraint("notice_days >= 0", name="ck_programmes_notice_days"),
    )

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    region_code: str = Field(foreign_key="regions.code", index=True, max_length=64)
    event_id: int | None = Field(default=None, index=True)
    budget_fen: int = Field(sa_type=BigInteger)
    notice_days: int = DEFAULT_NOTICE_DAYS
    # The 监督电话 printed under the public notice (where villagers report a wrong entry).
    supervision_phone: str | None = Field(default=None, max_length=32)
    # Which households qualify (Eligibility: damage classes, categories); None = any.
    eligibility: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class Standard(SQLModel, table=True):
    """A subsidy standard with its effective date; rows are added, never edited, so the
    standard a case was computed from stays readable."""

    __tablename__ = "subsidy_standards"
    __table_args__ = (
        CheckConstraint(
            "damage is null or damage in ('collapsed','severe','general')",
            name="ck_standards_damage",
        ),
        CheckConstraint("months is null or months >= 1", name="ck_standards_months"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_code: str = Field(foreign_key="programmes.code", index=True, max_length=64)
    effective_from: date
    category: str | None = Field(default=None, max_length=32)
    # rebuild
    damage: str | None = Field(default=None, max_length=16)
    per_household_fen: int | None = Field(default=None, sa_type=BigInteger)
    per_room_fen: int | None = Field(default=None, sa_type=BigInteger)
    # grain: money per person and month, or kilograms per person and month at a price
    per_person_month_fen: int | None = Field(default=None, sa_type=BigInteger)
    per_person_month_kg: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 3)))
    price_per_kg_fen: int | None = Field(default=None, sa_type=BigInteger)
    months: int | None = None
    per_household: bool = False  # grain: the amount is per household, not × size
    # The living kinds (LIVING_KINDS): money per person, or a share (percent) of a policy
    # reference standard (`subsidies.reference_standards`, e.g. the urban 低保 standard per
    # person and month), and a cap per household on whatever the basis gives.
    per_person_fen: int | None = Field(default=None, sa_type=BigInteger)
    share_of: str | None = Field(default=None, max_length=64)
    percent: Decimal | None = Field(default=None, sa_column=Column(Numeric(7, 2)))
    cap_per_household_fen: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class Case(SQLModel, table=True):
    __tablename__ = "subsidy_cases"
    __table_args__ = (
        # One case per registration and programme, except 临时救助 cases (relief_type set):
        # a registration may have several (other causes, a later year, an override).
        Index(
            "ux_cases_household_programme",
            "household_id",
            "programme_code",
            unique=True,
            sqlite_where=text("relief_type IS NULL"),
            postgresql_where=text("relief_type IS NULL"),
        ),
        CheckConstraint("amount_fen >= 0", name="ck_cases_amount"),
        CheckConstraint(
            "status in ('registered','village_reviewed','published','township_reviewed',"
            "'approved','rejected')",
            name="ck_cases_status",
        ),
        Index("ix_cases_programme_status", "programme_code", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="households.id", index=True)
    programme_code: str = Field(foreign_key="programmes.code", max_length=64)
    standard_id: int = Field(foreign_key="subsidy_standards.id")
    amount_fen: int = Field(sa_type=BigInteger)
    grain_kg: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 3)))
    # The months the amount counts (a living kind's monthly basis; null otherwise) and the
    # reference standard's monthly fen a `share_of` amount was computed from.
    months: int | None = None
    reference_fen: int | None = Field(default=None, sa_type=BigInteger)
    status: str = Field(default="registered", max_length=24)
    notice_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the status last changed: what `stuck_days` measures.
    status_changed_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    # 临时救助 (kind `temporary`, relief.subsidies.temporary); null on every other kind.
    # `relief_type` emergency (急难型) or support (支出型); the cause, a code of the policy's
    # `temporary_relief.causes` (fire, illness…), and its free words; when the household
    # applied (the clocks start there).
    relief_type: str | None = Field(default=None, max_length=16)
    cause: str | None = Field(default=None, max_length=100)
    cause_detail: str | None = Field(default=None, max_length=200)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # An approver's reason for a second case of the same cause within a year.
    repeat_override_reason: str | None = Field(default=None, max_length=1000)
    # Help first (先行救助): the reserve-fund payment (reserve_entries.id) and when.
    help_first_entry_id: int | None = None
    help_first_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A case refused after help first: `due` until the money is returned to the reserve
    # fund (`returned`) or written off by an approver (`written_off`) with a reason.
    recovery: str | None = Field(default=None, max_length=16)
    recovery_reason: str | None = Field(default=None, max_length=1000)


class CaseTransition(SQLModel, table=True):
    """The case history: one row per transition, never edited."""

    __tablename__ = "subsidy_case_transitions"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="subsidy_cases.id", index=True)
    action: str = Field(max_length=24)
    from_status: str = Field(max_length=24)
    to_status: str = Field(max_length=24)
    note: str = Field(default="", max_length=1000)
    override_reason: str | None = Field(default=None, max_length=1000)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class Payment(SQLModel, table=True):
    """A tranche paid on an approved case, or the reversal of one (negative, linked)."""

    __tablename__ = "subsidy_payments"
    __table_args__ = (
        # At most one reversal per payment, even if two approvers race.
        UniqueConstraint("reverses_id", name="uq_payments_reverses"),
        CheckConstraint("amount_fen <> 0", name="ck_payments_amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="subsidy_cases.id", index=True)
    amount_fen: int = Field(sa_type=BigInteger)
    paid_on: date
    reference: str = Field(max_length=128)
    reverses_id: int | None = Field(default=None, foreign_key="subsidy_payments.id")
    reason: str | None = Field(default=None, max_length=1000)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


# --- API schemas ------------------------------------------------------------------------


# Integer columns are 32-bit on PostgreSQL: a larger id cannot exist, and must not reach it.
MAX_ID = 2_147_483_647
RowId = Annotated[int, PField(ge=1, le=MAX_ID)]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


# PostgreSQL refuses NUL in text, and no name, code or note needs a control character.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Half of a UTF-16 pair on its own (JSON "\ud800"): not text, and no database can store it.
# pydantic refuses it in a plain str, but not after a BeforeValidator has handed one over.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_control_chars(value: Any) -> Any:
    if isinstance(value, str) and CONTROL_CHARS.search(value):
        raise ValueError(N_("must not contain control characters"))
    if isinstance(value, str) and LONE_SURROGATE.search(value):
        raise ValueError(N_("is not valid text (a lone surrogate)"))
    return value


def _text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str,
        BeforeValidator(_strip),
        AfterValidator(_no_control_chars),
        PField(min_length=min_length, max_length=max_length),
    ]


# What a 户主姓名 may not hold (Unicode categories): emoji and other pictographs (So),
# modifier symbols such as skin tones (Sk), invisible joiners and marks (Cf), private-use,
# surrogate and unassigned code points (Co, Cs, Cn). Letters of any script, the middle dot of
# transcribed names (阿力·木合买提) and other punctuation stay; a name starting with "=" is
# the exports' to defuse (safe_cell), not refused here.
NAME_REFUSED = frozenset({"So", "Sk", "Cf", "Co", "Cs", "Cn"})


def person_name(value: str | None) -> str | None:
    """A 户主姓名 as banks and the 公示 list can take it: no emoji, pictographs or invisible
    characters (issue 13 finding 15: "👨‍👩‍👧 李🙂" was registered and reached the lists)."""
    if value is not None and any(unicodedata.category(c) in NAME_REFUSED for c in value):
        raise ValueError(N_("a name may not hold symbols or emoji"))
    return value


class HouseholdIn(BaseModel):
    event_id: RowId
    region_code: _text(64)  # type: ignore[valid-type]
    head_name: _text(64)  # type: ignore[valid-type]
    id_number: _text(32)  # type: ignore[valid-type]
    size: int = PField(ge=1, le=100)
    damage: Damage
    rooms: int = PField(default=0, ge=0, le=1000)
    category: Category = "general"
    phone: Annotated[_text(32, 0) | None, AfterValidator(optional_phone)] = None  # type: ignore[valid-type]
    bank_account: Annotated[  # type: ignore[valid-type]
        _text(64, 0) | None, AfterValidator(optional_bank_account)
    ] = None
    address: _text(200, 0) | None = None  # type: ignore[valid-type]
    structure: Structure | None = None
    collapsed_rooms: int | None = PField(default=None, ge=0, le=1000)
    severe_rooms: int | None = PField(default=None, ge=0, le=1000)
    general_rooms: int | None = PField(default=None, ge=0, le=1000)

    @field_validator("head_name")
    @classmethod
    def _person_name(cls, value: str | None) -> str | None:
        return person_name(value)


class HouseholdPatch(BaseModel):
    """A correction of a registration: the fields to change and why. The event is not
    among them (a household registered for the wrong event is deleted and registered anew)."""

    model_config = ConfigDict(extra="forbid")

    reason: _text(1000)  # type: ignore[valid-type]
    # The household's version the correction was made from (GET's `version`); another →
    # 409 `household_stale`. Optional: without it the correction applies as before.
    version: int | None = PField(default=None, ge=0)
    region_code: _text(64) | None = None  # type: ignore[valid-type]
    head_name: _text(64) | None = None  # type: ignore[valid-type]
    id_number: _text(32) | None = None  # type: ignore[valid-type]
    size: int | None = PField(default=None, ge=1, le=100)
    damage: Damage | None = None
    rooms: int | None = PField(default=None, ge=0, le=1000)
    category: Category | None = None
    phone: Annotated[_text(32, 0) | None, AfterValidator(optional_phone)] = None  # type: ignore[valid-type]
    bank_account: Annotated[  # type: ignore[valid-type]
        _text(64, 0) | None, AfterValidator(optional_bank_account)
    ] = None
    # The ledger's fields: null (or "" for the address) clears one.
    address: _text(200, 0) | None = None  # type: ignore[valid-type]
    structure: Structure | None = None
    collapsed_rooms: int | None = PField(default=None, ge=0, le=1000)
    severe_rooms: int | None = PField(default=None, ge=0, le=1000)
    general_rooms: int | None = PField(default=None, ge=0, le=1000)

    @field_validator("head_name")
    @classmethod
    def _person_name(cls, value: str | None) -> str | None:
        return person_name(value)


# The household fields of the 倒损住房户台账 (optional; a PATCH may clear them with null).
LEDGER_FIELDS = ("address", "structure", "collapsed_rooms", "severe_rooms", "general_rooms")
ROOM_FIELDS = ("collapsed_rooms", "severe_rooms", "general_rooms")
# One household's damaged rooms (倒塌 + 严重损坏 + 一般损坏): more is a typo. Assumed.
MAX_HOUSE_ROOMS = 100


def rooms_problem(
    damage: str | None, rooms: dict[str, int | None]
) -> tuple[str, str, str, dict[str, int]] | None:
    """Whether a household's damage class and its rooms by degree agree: (field, import row
    code, English template, params) of the first problem, else None. A class `collapsed`
    with 0 collapsed rooms given, a class `none` with damaged rooms, or more than
    MAX_HOUSE_ROOMS rooms in all is refused; rooms not given are not checked."""
    if damage == "collapsed" and rooms.get("collapsed_rooms") == 0:
        return (
            "collapsed_rooms",
            "collapsed_without_rooms",
            N_("a collapsed house has collapsed rooms: collapsed_rooms is 0"),
            {},
        )
    if damage == "none":
        for name in ROOM_FIELDS:
            value = rooms.get(name)
            if value:
                return (
                    name,
                    "rooms_without_damage",
                    N_("the house is not damaged, but {value} rooms are given as damaged"),
                    {"value": value},
                )
    total = sum(v for name in ROOM_FIELDS if (v := rooms.get(name)) is not None)
    if total > MAX_HOUSE_ROOMS:
        largest = max(ROOM_FIELDS, key=lambda name: rooms.get(name) or 0)
        return (
            largest,
            "too_many_rooms",
            N_("{total} damaged rooms in one household: at most {max}"),
            {"total": total, "max": MAX_HOUSE_ROOMS},
        )
    return None


def rooms_total(household: Any) -> int:
    """损坏间数合计: the sum of the rooms by degree given; the old `rooms` count when none is."""
    given = [v for name in ROOM_FIELDS if (v := getattr(household, name)) is not None]
    return sum(given) if given else household.rooms


class HouseholdOut(BaseModel):
    id: int
    event_id: int
    region_code: str
    head_name: str
    id_number: str
    size: int
    damage: str
    rooms: int
    category: str
    phone: str | None
    bank_account: str | None
    created_at: datetime
    address: str | None = None
    structure: str | None = None
    collapsed_rooms: int | None = None
    severe_rooms: int | None = None
    general_rooms: int | None = None
    # How many corrections it has had: send it back as PATCH's `version` (optional) so that
    # a correction made from an older read is refused (409 household_stale).
    version: int | None = None


class ImportResult(BaseModel):
    created: int
    rejected: list[dict[str, Any]]


class StandardIn(BaseModel):
    """A standard; which fields apply depends on the programme's kind: rebuild, grain, or
    one of the living kinds, whose standard takes exactly one basis (BASES) — money
    `per_household` or `per_person`, `per_person_month` or `per_person_month_kg` (with
    `price_per_kg`) with `months`, or `share_of` a reference standard with `percent` and
    `months` — and optionally `cap_per_household`."""

    effective_from: date
    category: Category | None = None
    damage: Literal["collapsed", "severe", "general"] | None = None
    per_household: Any = None  # rebuild: yuan; grain: bool (API.md uses one name for both)
    per_room: Fen | None = None
    per_person_month: Fen | None = None
    per_person_month_kg: Decimal | None = PField(
        default=None, gt=0, max_digits=12, decimal_places=3
    )
    price_per_kg: Fen | None = None
    months: int | None = PField(default=None, ge=1, le=120)
    per_person: Fen | None = None
    share_of: str | None = PField(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"
    )
    percent: Decimal | None = PField(default=None, gt=0, le=1000, max_digits=6, decimal_places=2)
    cap_per_household: Fen | None = None

    @field_validator(
        "per_room", "per_person_month", "price_per_kg", "per_person", "cap_per_household"
    )
    @classmethod
    def _not_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError(N_("an amount is not negative"))
        return value


class Eligibility(BaseModel):
    """Which households a programme covers: the damage classes and/or the categories it
    names (a household must match each list given). E.g. 过渡期生活救助 for houses
    collapsed or severely damaged: `{"damage": ["collapsed", "severe"]}`."""

    model_config = ConfigDict(extra="forbid")

    damage: list[Damage] | None = PField(default=None, min_length=1, max_length=4)
    categories: list[Category] | None = PField(default=None, min_length=1, max_length=4)
    # 冬春: only households in the county's needs survey (台账). Kept with the rule; checked
    # once the survey exists (issue 15, the 冬春 part); null = not asked.
    in_survey: bool | None = None
    # 冬春: the programme's season, named by the year it starts (2026 = 2026—2027, as the
    # survey's `season`): only that season's survey counts. Null: the season of the day the
    # case is opened (relief.subsidies.winter.season_of).
    season: int | None = PField(default=None, ge=2000, le=2100)

    @model_serializer(mode="wrap")
    def _without_unasked(self, handler: Any) -> dict[str, Any]:
        # Replies before issue 15 had two keys; `in_survey` and `season` appear only when a
        # rule asks them.
        out = handler(self)
        for key in ("in_survey", "season"):
            if out.get(key) is None:
                out.pop(key, None)
        return out

    @model_validator(mode="after")
    def _names_a_rule(self) -> Eligibility:
        if self.damage is None and self.categories is None and self.in_survey is None:
            raise ValueError(N_("eligibility names damage, categories or both"))
        if self.season is not None and not self.in_survey:
            raise ValueError(N_("an eligibility season goes with in_survey: true"))
        # One spelling per rule: each value once, in the order of DAMAGES and CATEGORIES.
        if self.damage is not None:
            self.damage = [d for d in DAMAGES if d in self.damage]
        if self.categories is not None:
            self.categories = [c for c in CATEGORIES if c in self.categories]
        return self

    def refusal(self, damage: str, category: str) -> str | None:
        """Which of the rule's lists leaves a household of `damage` and `category` out
        (`damage` or `categories`), else None."""
        if self.damage is not None and damage not in self.damage:
            return "damage"
        if self.categories is not None and category not in self.categories:
            return "categories"
        return None


class ProgrammeIn(BaseModel):
    code: str = PField(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: _text(200)  # type: ignore[valid-type]
    kind: ProgrammeKind
    region_code: _text(64)  # type: ignore[valid-type]
    event_id: RowId | None = None
    budget: Fen
    notice_days: int | None = PField(default=None, ge=0, le=365)
    # 监督电话 on the public notice: digits, spaces, +, -, parentheses (0471-6901234).
    supervision_phone: str | None = PField(
        default=None, min_length=3, max_length=32, pattern=r"^[0-9+()\- ]+$"
    )
    eligibility: Eligibility | None = None
    standards: list[StandardIn] = []

    @field_validator("budget")
    @classmethod
    def _budget_not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(N_("the budget is not negative"))
        return value


class ProgrammeBudgetIn(BaseModel):
    """PATCH /programmes/{code}: the new budget (yuan, like POST /programmes)."""

    budget: Fen

    @field_validator("budget")
    @classmethod
    def _budget_not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(N_("the budget is not negative"))
        return value


class StandardOut(BaseModel):
    id: int
    programme_code: str
    effective_from: date
    category: str | None
    damage: str | None = None
    per_household: str | bool | None = None
    per_room: str | None = None
    per_person_month: str | None = None
    per_person_month_kg: str | None = None
    price_per_kg: str | None = None
    months: int | None = None
    # Issue 15 (the living kinds); null where not given.
    per_person: str | None = None
    share_of: str | None = None
    percent: str | None = None
    cap_per_household: str | None = None
    # How the amount is set: rebuild, or one of BASES (grain standards: their basis).
    basis: str | None = None


class ProgrammeOut(BaseModel):
    code: str
    name: str
    kind: str
    region_code: str
    event_id: int | None
    budget: str
    notice_days: int
    supervision_phone: str | None = None
    eligibility: Eligibility | None = None
    standards: list[StandardOut]


class CaseIn(BaseModel):
    household_id: RowId
    programme_code: _text(64)  # type: ignore[valid-type]
    # A living kind's monthly basis: the months this case counts (1 to the standard's
    # months, its default), e.g. 临时救助's 1–6 months decided case by case.
    months: int | None = PField(default=None, ge=1, le=120)


class BulkFilter(BaseModel):
    """The households of a filtered list (those already with a case are skipped anyway)."""

    model_config = ConfigDict(extra="forbid")

    event_id: RowId | None = None
    region_code: _text(64) | None = None  # type: ignore[valid-type]
    q: _text(64, 0) | None = None  # type: ignore[valid-type]
    damage: Damage | None = None
    without_case: bool = True


class CaseBulkIn(BaseModel):
    """Open cases in one programme for the households named, or for those a filter selects."""

    model_config = ConfigDict(extra="forbid")

    programme_code: _text(64)  # type: ignore[valid-type]
    household_ids: list[RowId] | None = PField(default=None, min_length=1, max_length=5000)
    filter: BulkFilter | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> CaseBulkIn:
        if (self.household_ids is None) == (self.filter is None):
            raise ValueError(N_("give household_ids or filter (one of them)"))
        return self


class CaseBulkOut(BaseModel):
    created: int
    skipped_existing: int
    not_eligible: int
    cases: list[int]
    # The households refused (not eligible, no standard): {household_id, code, message}.
    refused: list[dict[str, Any]]


class TransitionIn(BaseModel):
    action: Action
    note: _text(1000, 0) = ""  # type: ignore[valid-type]
    override_reason: _text(1000, 0) | None = None  # type: ignore[valid-type]
    # The status the case was seen in (the page's hidden field): when it has moved on
    # meanwhile, 409 `case_stale`, checked under the case's row lock. Optional.
    status: Literal[CASE_STATUSES] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _note_when_required(self) -> TransitionIn:
        if self.action in ("object", "reject") and not self.note.strip():
            raise ValueError(f"a note is required to {self.action}")
        return self


class TransitionOut(BaseModel):
    action: str
    from_status: str
    to_status: str
    note: str
    override_reason: str | None
    actor: str
    at: datetime


class PaymentIn(BaseModel):
    amount: Fen
    paid_on: date
    reference: _text(128)  # type: ignore[valid-type]
    # Why a payment is dated after today (Asia/Shanghai); without it such a date is refused.
    future_reason: _text(1000, 0) | None = None  # type: ignore[valid-type]

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(N_("the amount must be greater than 0"))
        return value


class ReversalIn(BaseModel):
    reason: _text(1000)  # type: ignore[valid-type]


class PaymentOut(BaseModel):
    id: int
    case_id: int
    amount: str
    paid_on: date
    reference: str
    reverses_id: int | None
    reversed_by_id: int | None = None
    reason: str | None
    actor: str
    at: datetime


class CaseOut(BaseModel):
    id: int
    household_id: int
    programme_code: str
    standard_id: int
    amount: str
    grain_kg: str | None
    status: str
    notice_ends_at: datetime | None
    status_changed_at: datetime
    programme_name: str = ""
    # Issue 15: the months counted and the reference standard (yuan per person and month)
    # a share was computed from; null where the amount has none.
    months: int | None = None
    reference: str | None = None
    region_code: str
    head_name: str
    id_number: str  # masked
    paid: str
    created_at: datetime


class CaseDetailOut(CaseOut):
    history: list[TransitionOut]
    payments: list[PaymentOut]
    # 临时救助 (relief.subsidies.temporary.TemporaryOut): type, cause, help first, recovery
    # and the running clock; null on other kinds.
    temporary: dict[str, Any] | None = None


class SummaryOut(BaseModel):
    budget: str
    committed: str
    approved: str
    paid: str
    remaining: str
    cases_by_status: dict[str, int]
    # The regions the counts and sums cover: the caller's scope (admin: the programme's).
    region_codes: list[str]
    # 临时救助 programmes: {running, overdue, recovery_due} clocks in the caller's scope;
    # absent for the other kinds (their replies are as before issue 15).
    temporary: dict[str, int] | None = None
    # Relief funds (issue 16): {region_code, received, programme_budgets,
    # budget_beyond_funds} where funds are recorded for the programme's region; else absent.
    funds: dict[str, Any] | None = None

    @model_serializer(mode="wrap")
    def _without_temporary(self, handler: Any) -> dict[str, Any]:
        out = handler(self)
        for key in ("temporary", "funds"):
            if out.get(key) is None:
                out.pop(key, None)
        return out
