"""Emergency tables and API schemas: policies (with effective dates), events, disaster
reports, event-scoped road closures, responses and their actions, inbox notifications and
edited demand.

Representation:
- `policies` keeps each policy version whole as JSON (`document`: criteria, thresholds,
  deadlines, penalties, subsidies) with its per-capita norms in `policy_norms` (one row per
  norm, `per_person` kept as its exact text). A version is keyed by (`source`,
  `effective_from`) and may be scoped to a region; the version in force at an event's start
  is chosen by `relief.emergency.policy.policy_for`.
- `events` carry their affected regions in `event_regions`; an event loaded from a scenario
  folder keeps its file stem as `code` and the scenario's code as `scenario_code` (unique
  together, and spelled `scenario/code` in `key`) so that reloading updates the same row
  and two scenarios' `flood.yaml` stay two events.
- `event_reports` are never counted twice (the rules live in the service); `seq` of a report
  is its submission order (the row id), which breaks ties of `reported_at`. A report loaded
  from a file keeps its position in the file in `file_seq`.
- `road_closures` close one road for one event; a closure of two ends becomes one row per
  road between them.
- `responses`: at most one `active` response per event, held by a partial unique index
  (PostgreSQL and SQLite both support `WHERE status = 'active'`) besides the service check.
  Deadlines are computed from `level_changed_at` and the policy, never stored, so that an
  edited policy or a level change moves them.
- `response_actions` is the response's history (trigger, escalate, downgrade, end).
- `response_deadlines_done` records a deadline the duty officer marked done: once per
  response and deadline name (a unique constraint besides the service check), with the due
  time and level it was done against, so a later level change does not move it.
- `inbox` holds one notification per user and response action; `acked_at` is set once.
- `demand_versions` keeps every demand list of a response: the estimate a first edit
  replaced (`source = estimate`) and each edit (`source = edit`); the highest version is the
  one in force.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic import Field as PField
from sqlalchemy import JSON, CheckConstraint, Column, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime
from relief.emergency.figures import DECIMAL_FIELDS, FIGURE_FIELDS, MAX_COUNT
from relief.emergency.records import COUNT_FIELDS, DEFAULT_LOADING_H, HAZARDS, REPORT_KINDS
from relief.emergency.reporting import rules_from, rules_json
from relief.errors import N_

# Built from the records' tuples so that the API and the scenario reader accept one list.
Hazard = Literal[HAZARDS]  # type: ignore[valid-type]
ReportKind = Literal[REPORT_KINDS]  # type: ignore[valid-type]
# Any report figure (today's ten and the quick report's others): what criteria and norms use.
CountField = Literal[FIGURE_FIELDS]  # type: ignore[valid-type]
ResponseStatus = Literal["active", "ended"]
ResponseAction = Literal["escalate", "downgrade", "end"]

# Integer columns are 32-bit on PostgreSQL; a count above this is a typo, and refusing it
# here keeps sums over many regions exact and far from any overflow.
MAX_QUANTITY = 1_000_000_000
MAX_ID = 2_147_483_647


def _no_control_chars(value: str) -> str:
    # PostgreSQL refuses NUL in text; no name, code or note needs a control character.
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValueError(N_("must not contain control characters"))
    return value


def _text(min_length: int, max_length: int) -> Any:
    return Annotated[
        str,
        PField(min_length=min_length, max_length=max_length),
        AfterValidator(_no_control_chars),
    ]


# Codes are looked up, not pattern-checked: an unknown code is 422 `unknown_code`.
CodeIn = _text(1, 64)
Note = _text(0, 2000)
Count = Annotated[StrictInt, PField(ge=0, le=MAX_COUNT)]
# Hectares and 万元: non-negative, at most 2 decimals (a JSON number or its text).
Amount = Annotated[
    Decimal, PField(ge=0, le=MAX_COUNT, max_digits=14, decimal_places=2, allow_inf_nan=False)
]
Level = Annotated[StrictInt, PField(ge=1, le=4)]
# A level as a JSON object key ("1"): keys are always strings, so this one is not strict.
LevelKey = Annotated[int, PField(ge=1, le=4)]
Hours = Annotated[Decimal, PField(ge=0, le=100_000, decimal_places=2, allow_inf_nan=False)]


def _sane_time(value: datetime) -> datetime:
    # Far-off years cannot be moved to UTC (year 1 at +08:00 is before year 1 in UTC).
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(N_("time out of range")) from None
    if not 1900 <= utc.year <= 9999:
        raise ValueError(N_("time out of range (years 1900 to 9999)"))
    return value


Time = Annotated[AwareDatetime, AfterValidator(_sane_time)]


# --- policy -----------------------------------------------------------------------------


class PolicyRow(SQLModel, table=True):
    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("source", "effective_from", name="uq_policies_source_date"),)

    id: int | None = Field(default=None, primary_key=True)
    # Where the version came from: a scenario's name, or what an administrator called it.
    source: str = Field(max_length=128)
    effective_from: date = Field(index=True)
    # Optional scope: the version applies to events at or under this region only.
    region_code: str | None = Field(default=None, foreign_key="regions.code", max_length=64)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class PolicyNormRow(SQLModel, table=True):
    __tablename__ = "policy_norms"
    __table_args__ = (
        UniqueConstraint("policy_id", "position", name="uq_policy_norms_position"),
        CheckConstraint("priority_weight >= 0", name="ck_policy_norms_weight"),
    )

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policies.id", index=True)
    position: int
    item_code: str = Field(foreign_key="items.code", max_length=64)
    basis: str = Field(max_length=32)
    # Exact text ("0.25"): demand is computed in exact decimals from it.
    per_person: str = Field(max_length=40)
    priority_weight: int
    # The months the norm applies in, comma-separated ("1,2,3,11,12"); "" = all year.
    months: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})


# --- events and reports -----------------------------------------------------------------


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("key", name="uq_events_key"),
        # An event's code is unique within its scenario (two folders' flood.yaml are two
        # events); `key` spells the pair as one unique string.
        Index("uq_events_scenario_code", "scenario_code", "code", unique=True),
        CheckConstraint("level is null or level between 1 and 4", name="ck_events_level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    hazard: str = Field(max_length=16)
    started_at: datetime = Field(sa_type=UTCDateTime)
    # The response level to plan for when the scenario file names one; else the recommended.
    level: int | None = None
    # A loaded event: `code` is its file stem, `scenario_code` the scenario's code
    # (scenario.yaml, else the folder's name) and `key` both as `scenario/code`, unique.
    # Events created through the API have none of them.
    key: str | None = Field(default=None, max_length=200)
    code: str | None = Field(default=None, max_length=128, index=True)
    scenario_code: str | None = Field(default=None, max_length=64)
    # When the duty officer declared the disaster stable (核报 falls due from it); NULL = not.
    stable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stable_by: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class EventRegionRow(SQLModel, table=True):
    __tablename__ = "event_regions"

    event_id: int = Field(foreign_key="events.id", primary_key=True)
    region_code: str = Field(foreign_key="regions.code", primary_key=True, max_length=64)


def _figure_fields(kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(annotations, defaults) of the report's figure fields, built from the one list
    (relief.emergency.figures.FIGURE_FIELDS) for a model: `row` (the table's columns),
    `in` (the API's body) or `out` (its reply). Today's ten counts (COUNT_FIELDS) come
    first, as they always did; a count is 0 in the table and required in the API; every
    other figure is optional, None = not reported; areas and losses are NUMERIC(14, 2)."""
    order = (*COUNT_FIELDS, *(f for f in FIGURE_FIELDS if f not in COUNT_FIELDS))
    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for name in order:
        decimal = name in DECIMAL_FIELDS
        if name in COUNT_FIELDS:
            annotations[name] = {"row": int, "in": Count, "out": int}[kind]
            if kind == "row":
                defaults[name] = 0
            continue
        base = {"row": Decimal if decimal else int, "in": Amount if decimal else Count}.get(
            kind, float if decimal else int
        )
        annotations[name] = base | None
        if kind == "row" and decimal:
            defaults[name] = Field(default=None, sa_column=Column(Numeric(14, 2)))
        else:
            defaults[name] = None
    return annotations, defaults


class ReportRow(SQLModel, table=True):
    __tablename__ = "event_reports"
    __table_args__ = (
        CheckConstraint("kind in ('initial','update','final')", name="ck_event_reports_kind"),
        *(
            CheckConstraint(f"{name} >= 0", name=f"ck_event_reports_{name}")
            for name in FIGURE_FIELDS
        ),
        # Behind the reports list: one event's reports of the regions in a user's scope.
        Index("ix_event_reports_event_region", "event_id", "region_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    region_code: str = Field(foreign_key="regions.code", max_length=64)
    kind: str = Field(max_length=8)
    reported_at: datetime = Field(sa_type=UTCDateTime)
    # Every figure of the quick report (relief.emergency.figures, the one list): today's ten
    # NOT NULL default 0; the others NULL = not reported; areas and losses NUMERIC(14, 2).
    __annotations__.update(_figure_fields("row")[0])
    locals().update(_figure_fields("row")[1])
    # Why a 续报 moves a figure much (relief.emergency.figures.jumps); NULL = none given.
    explanation: str | None = Field(default=None, max_length=2000)
    # A 零报告: a 续报 saying nothing changed since the region's previous report.
    zero_report: bool = False
    # Position in the scenario file for a loaded report (None when posted through the API).
    file_seq: int | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class RoadClosureRow(SQLModel, table=True):
    __tablename__ = "road_closures"
    __table_args__ = (UniqueConstraint("event_id", "road_id", name="uq_road_closures_road"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    road_id: int = Field(foreign_key="roads.id", index=True)
    # True when the closure came from the event's scenario file (reloading keeps them in step).
    from_file: bool = False
    note: str = Field(default="", max_length=2000)
    closed_by: str = Field(max_length=64)
    closed_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


# --- responses --------------------------------------------------------------------------


class ResponseRow(SQLModel, table=True):
    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint("level between 1 and 4", name="ck_responses_level"),
        CheckConstraint("status in ('active','ended')", name="ck_responses_status"),
        # One active response per event, whatever the service checks first.
        Index(
            "uq_responses_one_active",
            "event_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    level: int
    status: str = Field(default="active", max_length=8)
    # The level the thresholds called for when the level was last set (trigger or change).
    recommended_level: int | None = None
    note: str = Field(default="", max_length=2000)
    override_reason: str | None = Field(default=None, max_length=2000)
    triggered_by: str = Field(max_length=64)
    triggered_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    # Deadlines run from here: the trigger, or the last escalation or downgrade.
    level_changed_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ResponseActionRow(SQLModel, table=True):
    __tablename__ = "response_actions"
    __table_args__ = (
        CheckConstraint(
            "action in ('trigger','escalate','downgrade','end')", name="ck_response_actions_action"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="responses.id", index=True)
    action: str = Field(max_length=16)
    level_before: int | None = None
    level_after: int | None = None
    recommended_level: int | None = None
    note: str = Field(default="", max_length=2000)
    override_reason: str | None = Field(default=None, max_length=2000)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class DeadlineDoneRow(SQLModel, table=True):
    __tablename__ = "response_deadlines_done"
    __table_args__ = (
        UniqueConstraint("response_id", "name", name="uq_response_deadlines_done_name"),
        CheckConstraint(
            "name in ('supplies_arrive','situation_report','funds_allocated')",
            name="ck_response_deadlines_done_name",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="responses.id", index=True)
    name: str = Field(max_length=32)
    # The deadline in force when it was marked: its level and due time.
    level: int
    due_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    done_by: str = Field(max_length=64)
    note: str = Field(default="", max_length=2000)


class InboxRow(SQLModel, table=True):
    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("username", "action_id", name="uq_inbox_user_action"),
        Index("ix_inbox_response_unacked", "response_id", "acked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    response_id: int = Field(foreign_key="responses.id")
    action_id: int = Field(foreign_key="response_actions.id")
    kind: str = Field(max_length=32)
    level: int
    message: str = Field(max_length=1000)
    # The user's warehouses that are eligible to serve the event's regions at the level.
    warehouse_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DemandVersionRow(SQLModel, table=True):
    __tablename__ = "demand_versions"
    __table_args__ = (
        UniqueConstraint("response_id", "version", name="uq_demand_versions_version"),
        CheckConstraint("source in ('estimate','edit')", name="ck_demand_versions_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="responses.id", index=True)
    version: int
    source: str = Field(max_length=8)
    # [{region_code, item_code, quantity, priority}] sorted by region, then item.
    lines: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    note: str = Field(default="", max_length=2000)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


# --- API schemas: policy -------------------------------------------------------------------


class NormIn(BaseModel):
    item: CodeIn  # type: ignore[valid-type]
    basis: CountField
    # A string keeps the exact text ("0.1"); a JSON number is read through its text too.
    per_person: Annotated[Decimal, PField(ge=0, le=1_000_000, allow_inf_nan=False)]
    priority_weight: Annotated[StrictInt, PField(ge=0, le=1_000_000)]
    # When in the year it applies (by the event's start): months 1-12, or a season; neither
    # = all year (as policy.yaml's norms).
    months: Annotated[list[Annotated[StrictInt, PField(ge=1, le=12)]], PField(max_length=12)] = []
    season: Literal["spring", "summer", "autumn", "winter"] | None = None

    @model_validator(mode="after")
    def _one_season(self) -> NormIn:
        if self.months and self.season is not None:
            raise ValueError(N_("give months or season, not both"))
        if len(set(self.months)) != len(self.months):
            raise ValueError(N_("a month is given twice"))
        return self


class ShareIn(BaseModel):
    share_of: Literal["population", "rural_population"]
    within: Literal["province", "prefecture", "county", "township"] = "province"


class PolicyIn(BaseModel):
    """A whole policy version, as policy.yaml has it (SCENARIOS.md)."""

    source: _text(1, 128) = "api"  # type: ignore[valid-type]
    effective_from: date = date(1970, 1, 1)
    region_code: CodeIn | None = None  # type: ignore[valid-type]
    criteria: dict[_text(1, 64), list[CountField]] = {}  # type: ignore[valid-type]
    # Optional words for people per criterion (死亡和失踪人口); else the UI builds them.
    criterion_labels: dict[_text(1, 64), _text(1, 64)] = {}  # type: ignore[valid-type]
    # A criterion that is a share (per cent) of a population of the regions at a level.
    criterion_shares: dict[_text(1, 64), ShareIn] = {}  # type: ignore[valid-type]
    # A 续报 raising a figure by more than this share, or lowering it, needs an explanation.
    update_jump_share: (
        Annotated[Decimal, PField(ge=0, le=1000, decimal_places=4, allow_inf_nan=False)] | None
    ) = None
    thresholds: dict[LevelKey, dict[_text(1, 64), Count]]  # type: ignore[valid-type]
    deadlines_h: dict[LevelKey, Hours]
    response_deadlines_h: dict[
        Literal["situation_report", "funds_allocated"], dict[LevelKey, Hours]
    ] = {}
    cross_jurisdiction_levels: list[Level] = []
    tier_penalty_ton_km: dict[
        Literal["provincial", "prefecture", "county"],
        Annotated[Decimal, PField(ge=0, le=1_000_000, allow_inf_nan=False)],
    ] = {}
    cross_jurisdiction_penalty_ton_km: Annotated[
        Decimal, PField(ge=0, le=1_000_000, allow_inf_nan=False)
    ] = Decimal(0)
    # Hours from approval until an order's trucks can leave (SCENARIOS.md; default 2).
    loading_h: Hours = DEFAULT_LOADING_H
    norms: list[NormIn] = []
    # The raw `subsidies:` mapping (notice_days, programmes); None keeps the stored one.
    subsidies: dict[str, Any] | None = None
    # When statistics reports are due (relief.emergency.reporting; {} = national defaults).
    reporting: dict[str, Any] = {}

    @field_validator("reporting")
    @classmethod
    def _reporting(cls, value: dict[str, Any]) -> dict[str, Any]:
        rules_from(value)  # ValueError names the bad key
        return rules_json(value)

    # 临时救助 (issue 15): delegated_limit, cap, the help-first window and the clocks, as
    # policy.yaml's `temporary_relief:`; None keeps the stored one.
    temporary_relief: dict[str, Any] | None = None

    @field_validator("temporary_relief")
    @classmethod
    def _temporary_relief(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        from relief.subsidies.temporary import check_rules

        return check_rules(value)  # ValueError names the bad key

    # Goods to households (issue 16): `nothing_after_days`, as policy.yaml's
    # `distribution:`; None keeps the stored one.
    distribution: dict[str, Any] | None = None

    @field_validator("distribution")
    @classmethod
    def _distribution(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        from relief.distribution.models import check_distribution_rules

        return check_distribution_rules(value)  # ValueError names the bad key

    # Relief funds (issue 16): pass_down_days, the split's weights, source, assumed, as
    # policy.yaml's `funds:`; None keeps the stored one.
    funds: dict[str, Any] | None = None

    @field_validator("funds")
    @classmethod
    def _funds(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        from relief.funds.rules import check_funds

        return check_funds(value)  # ValueError names the bad key


class NormOut(BaseModel):
    item: str
    basis: str
    per_person: str
    priority_weight: int
    months: list[int] = []  # empty: all year


class PolicyOut(BaseModel):
    id: int
    source: str
    effective_from: date
    region_code: str | None
    criteria: dict[str, list[str]]
    criterion_labels: dict[str, str] = {}
    criterion_shares: dict[str, dict[str, str]] = {}
    update_jump_share: float | None = None
    thresholds: dict[str, dict[str, int]]
    deadlines_h: dict[str, float]
    response_deadlines_h: dict[str, dict[str, float]]
    cross_jurisdiction_levels: list[int]
    tier_penalty_ton_km: dict[str, float]
    cross_jurisdiction_penalty_ton_km: float
    loading_h: float = float(DEFAULT_LOADING_H)
    norms: list[NormOut]
    subsidies: dict[str, Any]
    reporting: dict[str, Any] = {}
    temporary_relief: dict[str, Any] = {}
    distribution: dict[str, Any] = {}
    funds: dict[str, Any] = {}
    created_at: datetime
    updated_at: datetime


# --- API schemas: events and reports ------------------------------------------------------


class EventIn(BaseModel):
    name: _text(1, 200)  # type: ignore[valid-type]
    hazard: Hazard
    started_at: Time
    region_codes: list[CodeIn] = PField(min_length=1, max_length=10_000)  # type: ignore[valid-type]
    # The response level to plan for, when already decided (else: the recommended level).
    level: Level | None = None


class EventOut(BaseModel):
    id: int
    name: str
    hazard: str
    started_at: datetime
    region_codes: list[str]
    level: int | None
    # A loaded event's file stem (what `relief plan --event` takes) and its scenario's
    # code; null for events created through the API. `key` is the code under its older
    # name, kept for clients that read it.
    code: str | None
    scenario: str | None
    key: str | None
    active_response_id: int | None
    created_by: str
    created_at: datetime
    # When the event was declared stable (核报 falls due from it); null = not yet.
    stable_at: datetime | None = None


class StableIn(BaseModel):
    # When the disaster became stable; default: now.
    at: Time | None = None


class ReportIn(BaseModel):
    region_code: CodeIn  # type: ignore[valid-type]
    kind: ReportKind
    reported_at: Time
    # Today's ten counts required; every other figure optional (null = not reported).
    __annotations__.update(_figure_fields("in")[0])
    locals().update(_figure_fields("in")[1])
    # Needed when a 续报 moves a figure much (422 explanation_required without).
    explanation: Note | None = None  # type: ignore[valid-type]
    # A 零报告 (zero report): a 续报 whose figures are the region's previous report's.
    zero_report: bool = False

    def counts(self) -> dict[str, int | Decimal]:
        """Today's ten fields, then every other figure given."""
        return {
            name: value
            for name in FIGURE_FIELDS
            if (value := getattr(self, name)) is not None or name in COUNT_FIELDS
        }


class ReportOut(BaseModel):
    id: int
    event_id: int
    region_code: str
    kind: str
    reported_at: datetime
    __annotations__.update(_figure_fields("out")[0])
    locals().update(_figure_fields("out")[1])
    explanation: str | None = None
    zero_report: bool = False
    created_by: str
    created_at: datetime


class ClosureIn(BaseModel):
    """Either a road id, or two ends (which closes every road between them)."""

    road_id: Annotated[StrictInt, PField(ge=1)] | None = None
    from_code: CodeIn | None = None  # type: ignore[valid-type]
    to_code: CodeIn | None = None  # type: ignore[valid-type]
    note: Note = ""  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _one_way_of_naming(self) -> ClosureIn:
        ends = (self.from_code is not None, self.to_code is not None)
        if self.road_id is None and ends != (True, True):
            missing = "to_code" if ends[0] else "from_code"
            raise ValueError(f"give road_id, or from_code and to_code ({missing} is missing)")
        if self.road_id is not None and any(ends):
            raise ValueError(N_("give road_id or from_code and to_code, not both"))
        return self


class LostRouteOut(BaseModel):
    region_code: str
    warehouse_code: str
    before_h: float
    after_h: float | None


class ClosedRoadOut(BaseModel):
    id: int
    from_code: str
    to_code: str
    distance_km: float
    travel_time_h: float
    # For this event: `closed` while the event's closure stands, else the network's status.
    status: str
    # The road's own status in the network, which every event shares.
    network_status: str
    closed_at: datetime
    closed_by: str


class ClosureChangeOut(BaseModel):
    event_id: int
    roads: list[ClosedRoadOut]
    lost_routes: list[LostRouteOut]
    # On reopening: the routes that got faster or reachable again.
    restored_routes: list[LostRouteOut] = []


# --- API schemas: responses --------------------------------------------------------------


class ResponseIn(BaseModel):
    level: Level
    note: Note = ""  # type: ignore[valid-type]
    override_reason: Note | None = None  # type: ignore[valid-type]


class ResponsePatch(BaseModel):
    action: ResponseAction
    level: Level | None = None
    note: Note = ""  # type: ignore[valid-type]
    override_reason: Note | None = None  # type: ignore[valid-type]


class Deadlines(BaseModel):
    supplies_arrive: datetime | None
    situation_report: datetime | None
    funds_allocated: datetime | None


class ResponseOut(BaseModel):
    id: int
    event_id: int
    level: int
    status: ResponseStatus
    recommended_level: int | None
    note: str
    override_reason: str | None
    deadlines: Deadlines
    unacknowledged: list[str]
    triggered_by: str
    triggered_at: datetime
    level_changed_at: datetime
    ended_at: datetime | None


class TimelineEntry(BaseModel):
    at: datetime
    kind: Literal["action", "deadline"]
    name: str
    due_at: datetime | None = None
    overdue: bool
    actor: str | None
    note: str
    # The response level after an action, or the level a deadline belongs to.
    level: int | None = None
    # Deadlines only: when and by whom it was marked done (null while open).
    done_at: datetime | None = None
    done_by: str | None = None


class DeadlineDoneIn(BaseModel):
    note: Note = ""  # type: ignore[valid-type]


class InboxOut(BaseModel):
    # A notification of a response; or (`kind` `report_due`, issue 14) a statistics report
    # the caller's county owes, open or overdue, as the inbox page lists it: no id (nothing
    # to acknowledge: it leaves the inbox when the report is filed), no response, no level.
    id: int | None
    response_id: int | None
    event_id: int
    event_name: str
    kind: str
    level: int | None
    message: str
    warehouse_codes: list[str]
    created_at: datetime  # `report_due`: when it falls (fell) due
    acked_at: datetime | None
    # `report_due` only: 初报/续报/核报 (initial, initial_province, update, final), the
    # reporting unit's region code, when due (China time), open or overdue.
    report_kind: str | None = None
    unit: str | None = None
    due_at: datetime | None = None
    status: str | None = None
    # 临时救助 (`kind` temporary_overdue / temporary_recovery_due, issue 15): the case.
    case_id: int | None = None


# --- API schemas: demand -------------------------------------------------------------------


class DemandLineIn(BaseModel):
    region_code: CodeIn  # type: ignore[valid-type]
    item_code: CodeIn  # type: ignore[valid-type]
    quantity: Annotated[StrictInt, PField(ge=0, le=MAX_QUANTITY)]
    # Defaults to the item's priority weight in the policy's norms (1 when it has none).
    priority: Annotated[StrictInt, PField(ge=0, le=1_000_000)] | None = None


class DemandLineOut(BaseModel):
    region_code: str
    item_code: str
    quantity: int
    priority: int


class DemandVersionOut(BaseModel):
    version: int
    source: Literal["estimate", "edit"]
    lines: list[DemandLineOut]
    note: str  # why the list was edited ("" for the estimate and for edits without one)
    actor: str
    at: datetime


class CoverageOut(BaseModel):
    item_code: str
    demand: int
    available_eligible: int
