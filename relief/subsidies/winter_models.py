"""冬春受灾人员生活救助 (issue 15, the 冬春 part): tables and API schemas.

- `winter_policies`: the policy's `winter_spring:` values, stored when a scenario loads (or
  posted by an administrator): when the needs survey opens (`survey_from`, MM-DD) and when the
  county's totals are due to the city (`totals_due`, MM-DD), the season's months (December to
  May; to July in the single-crop counties listed), the per-person minimum of a round.
- `winter_survey_entries`: the needs survey (需救助台账), one row per version of an entry.
  A correction adds a row that `supersedes_id` the one it corrects; a withdrawal adds a row
  with `withdrawn` set. Rows are never edited; the current entries are those nobody
  supersedes and that are not withdrawn. At most one successor per row (unique key).
- `winter_totals`: a county's submission of its survey totals to the city (one per season).
- `winter_village_reviews`: the village's democratic review (村评) of a 冬春 case: date,
  participants, result.
- `winter_rounds` and `winter_round_lines`: a round of payments (a name, a month, an amount
  per person or per household) for the approved cases of a county; paying a round records one
  payment per line (`subsidy_payments`).
Money is integer fen; the API speaks yuan strings.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, field_validator
from pydantic import Field as PField
from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime
from relief.errors import N_
from relief.subsidies.models import Fen, RowId, _text

NEEDS = ("grain", "clothing", "heating", "water", "medical")
ReviewResult = Literal["agreed", "not_agreed"]
RoundBasis = Literal["per_person", "per_household"]
# The season's months when the policy names none: December to May (V).
DEFAULT_SEASON_MONTHS = (12, 1, 2, 3, 4, 5)
# Single-crop counties run to July (V).
SINGLE_CROP_EXTRA = (6, 7)
WORDS = (
    N_("winter.need.grain"),
    N_("winter.need.clothing"),
    N_("winter.need.heating"),
    N_("winter.need.water"),
    N_("winter.need.medical"),
    N_("winter.result.agreed"),
    N_("winter.result.not_agreed"),
    N_("winter.basis.per_person"),
    N_("winter.basis.per_household"),
    N_("winter.warning.equal_shares"),
    N_("winter.done.added"),
    N_("winter.done.submitted"),
    N_("winter.done.created"),
    N_("winter.done.warned"),
    N_("winter.done.paid"),
    N_("winter.home.due"),
    N_("winter.home.due_late"),
)


# --- tables -----------------------------------------------------------------------------


class WinterPolicy(SQLModel, table=True):
    __tablename__ = "winter_policies"

    id: int | None = Field(default=None, primary_key=True)
    # The region the values apply to (and below it); the newest row covering a county wins.
    region_code: str = Field(foreign_key="regions.code", index=True, max_length=64)
    survey_from: str = Field(max_length=5)  # MM-DD
    totals_due: str = Field(max_length=5)  # MM-DD
    season_months: list[int] = Field(sa_column=Column(JSON, nullable=False))
    single_crop_counties: list[str] = Field(sa_column=Column(JSON, nullable=False))
    min_per_person_fen: int | None = Field(default=None, sa_type=BigInteger)
    source: str = Field(default="", max_length=1000)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class WinterSurveyEntry(SQLModel, table=True):
    __tablename__ = "winter_survey_entries"
    __table_args__ = (
        UniqueConstraint("supersedes_id", name="uq_winter_survey_supersedes"),
        CheckConstraint("people >= 1", name="ck_winter_survey_people"),
        CheckConstraint("grain_kg >= 0", name="ck_winter_survey_grain"),
        CheckConstraint("clothing_pieces >= 0", name="ck_winter_survey_clothing"),
    )

    id: int | None = Field(default=None, primary_key=True)
    season: int = Field(index=True)  # the year the season starts (2026 = 2026–2027)
    household_id: int = Field(foreign_key="households.id", index=True)
    region_code: str = Field(foreign_key="regions.code", index=True, max_length=64)
    people: int  # 需救助人口
    grain_kg: Decimal = Field(sa_column=Column(Numeric(12, 1), nullable=False))  # 口粮 (kg)
    clothing_pieces: int = 0  # 衣被 (件/床)
    heating: bool = False  # 取暖
    water: bool = False  # 饮水
    medical: bool = False  # 医疗
    note: str = Field(default="", max_length=1000)
    supersedes_id: int | None = Field(default=None, foreign_key="winter_survey_entries.id")
    withdrawn: bool = False
    reason: str | None = Field(default=None, max_length=1000)  # why corrected or withdrawn
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class WinterTotals(SQLModel, table=True):
    __tablename__ = "winter_totals"
    __table_args__ = (UniqueConstraint("county_code", "season", name="uq_winter_totals"),)

    id: int | None = Field(default=None, primary_key=True)
    county_code: str = Field(foreign_key="regions.code", max_length=64)
    season: int
    totals: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    due_on: date
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class WinterVillageReview(SQLModel, table=True):
    __tablename__ = "winter_village_reviews"
    __table_args__ = (
        CheckConstraint("result in ('agreed','not_agreed')", name="ck_winter_review_result"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="subsidy_cases.id", index=True)
    reviewed_on: date
    participants: str = Field(max_length=1000)
    result: str = Field(max_length=16)
    note: str = Field(default="", max_length=1000)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class WinterRound(SQLModel, table=True):
    __tablename__ = "winter_rounds"
    __table_args__ = (
        UniqueConstraint("programme_code", "county_code", "name", name="uq_winter_rounds_name"),
        CheckConstraint("basis in ('per_person','per_household')", name="ck_winter_rounds_basis"),
        CheckConstraint("amount_fen > 0", name="ck_winter_rounds_amount"),
        CheckConstraint("month >= 1 and month <= 12", name="ck_winter_rounds_month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_code: str = Field(foreign_key="programmes.code", index=True, max_length=64)
    county_code: str = Field(foreign_key="regions.code", max_length=64)
    name: str = Field(max_length=100)
    month: int
    basis: str = Field(max_length=16)
    amount_fen: int = Field(sa_type=BigInteger)
    # The warning given when the round was made (e.g. equal shares), or null.
    warning: str | None = Field(default=None, max_length=32)
    paid_on: date | None = None
    paid_by: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class WinterRoundLine(SQLModel, table=True):
    __tablename__ = "winter_round_lines"
    __table_args__ = (
        UniqueConstraint("round_id", "case_id", name="uq_winter_round_lines"),
        CheckConstraint("amount_fen > 0", name="ck_winter_round_lines_amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="winter_rounds.id", index=True)
    case_id: int = Field(foreign_key="subsidy_cases.id", index=True)
    amount_fen: int = Field(sa_type=BigInteger)
    payment_id: int | None = Field(default=None, foreign_key="subsidy_payments.id")


# --- API schemas ------------------------------------------------------------------------

_MMDD = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


class WinterPolicyIn(BaseModel):
    region_code: _text(64)  # type: ignore[valid-type]
    survey_from: str = PField(default="09-20", pattern=_MMDD)
    totals_due: str = PField(default="10-15", pattern=_MMDD)
    season_months: list[int] = PField(
        default_factory=lambda: list(DEFAULT_SEASON_MONTHS), min_length=1, max_length=12
    )
    single_crop_counties: list[_text(64)] = PField(default_factory=list, max_length=500)  # type: ignore[valid-type]
    min_per_person: Fen | None = None
    source: _text(1000, 0) = ""  # type: ignore[valid-type]

    @field_validator("min_per_person")
    @classmethod
    def _not_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError(N_("the amount must not be negative"))
        return value

    @field_validator("survey_from", "totals_due")
    @classmethod
    def _a_day_of_every_year(cls, value: str) -> str:
        """02-30 or 04-31 is no day, and 02-29 is none in three years of four: the policy's
        dates are turned into a date of each season (winter._month_day)."""
        month, day = (int(part) for part in value.split("-"))
        try:
            date(2001, month, day)  # not a leap year
        except ValueError:
            raise ValueError(N_("not a day of every year (MM-DD; 02-29 is not)")) from None
        return value

    @field_validator("season_months")
    @classmethod
    def _months(cls, value: list[int]) -> list[int]:
        if any(m < 1 or m > 12 for m in value):
            raise ValueError(N_("a month is 1 to 12"))
        return value


class SurveyEntryIn(BaseModel):
    household_id: RowId
    season: int = PField(ge=2000, le=2100)
    people: int = PField(ge=1, le=100)
    grain_kg: Decimal = PField(default=Decimal(0), ge=0, le=100000, decimal_places=1)
    clothing_pieces: int = PField(default=0, ge=0, le=1000)
    heating: bool = False
    water: bool = False
    medical: bool = False
    note: _text(1000, 0) = ""  # type: ignore[valid-type]


class SurveyCorrectionIn(BaseModel):
    people: int = PField(ge=1, le=100)
    grain_kg: Decimal = PField(default=Decimal(0), ge=0, le=100000, decimal_places=1)
    clothing_pieces: int = PField(default=0, ge=0, le=1000)
    heating: bool = False
    water: bool = False
    medical: bool = False
    note: _text(1000, 0) = ""  # type: ignore[valid-type]
    reason: _text(1000)  # type: ignore[valid-type]


class SurveyWithdrawIn(BaseModel):
    reason: _text(1000)  # type: ignore[valid-type]


class SurveyEntryOut(BaseModel):
    id: int
    season: int
    household_id: int
    head_name: str
    region_code: str
    region_name: str
    people: int
    grain_kg: str
    clothing_pieces: int
    heating: bool
    water: bool
    medical: bool
    note: str
    supersedes_id: int | None
    withdrawn: bool
    reason: str | None
    actor: str
    at: datetime


class TotalsOut(BaseModel):
    county_code: str
    county_name: str
    season: int
    due_on: date
    submitted_at: datetime | None
    late: bool
    totals: dict[str, Any]
    # A township's staff: the totals are their township's part (the county's are sent whole).
    part: bool = False


class VillageReviewIn(BaseModel):
    reviewed_on: date
    participants: _text(1000)  # type: ignore[valid-type]
    result: ReviewResult
    note: _text(1000, 0) = ""  # type: ignore[valid-type]


class VillageReviewOut(BaseModel):
    id: int
    case_id: int
    reviewed_on: date
    participants: str
    result: str
    note: str
    actor: str
    at: datetime


class RoundIn(BaseModel):
    programme_code: _text(64)  # type: ignore[valid-type]
    county_code: _text(64)  # type: ignore[valid-type]
    name: _text(100)  # type: ignore[valid-type]
    month: int = PField(ge=1, le=12)
    basis: RoundBasis
    amount: Fen

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(N_("the amount must be greater than 0"))
        return value


class RoundLineOut(BaseModel):
    case_id: int
    household_id: int
    head_name: str
    size: int
    amount: str
    payment_id: int | None


class RoundOut(BaseModel):
    id: int
    programme_code: str
    county_code: str
    name: str
    month: int
    basis: str
    amount: str
    total: str
    households: int
    people: int
    warning: str | None
    warning_message: str | None = None
    paid_on: date | None
    lines: list[RoundLineOut]
