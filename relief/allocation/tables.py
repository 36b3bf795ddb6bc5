"""Stored allocation plans: the `plans` table and the API schemas of plans.

A plan row keeps what the solver was given (`inputs`: level, closed roads, the net demand,
what the response's orders already covered and the available stock of the eligible
warehouses) and what it gave back (`result`: stats, by_item, lines, unmet), so that a plan
can be shown, compared and approved later exactly as it was made. `fingerprint` hashes the
inputs (relief.allocation.pipeline.plan_fingerprint); a draft whose inputs have changed
since is stale and cannot be approved.

    draft ──approve──► approved
      └──(another plan of the response approved)──► superseded

A plan made in the background (relief.allocation.jobs) is stored at once with `job_state`
`computing` and its request in `job`; the API shows its `state` as `computing` (then
`failed` with a reason, or the stored state once the job has written the result). A
computing or failed plan is never approved nor compared (409 `plan_computing`,
`plan_failed`). `job` holds {request, stage, done, total, heartbeat_at, reason}.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from sqlalchemy import JSON, CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime

PLAN_METHODS = ("optimal", "greedy")
PLAN_STATUSES = ("optimal", "feasible")
PLAN_STATES = ("draft", "approved", "superseded")
# What `job_state` may hold while a plan is made in the background (null once made).
JOB_STATES = ("computing", "failed")
PLAN_STAGES = ("queued", "demand", "eligibility", "stage1", "stage2", "explain", "done")
# A what-if may close many roads, but not an unbounded number (the request is kept whole
# in the plan's inputs).
MAX_CLOSURES = 1000
# The solver is fast (docs/benchmarks.md); an hour is far beyond any sensible limit.
MAX_TIME_LIMIT_S = 3600.0


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({','.join(repr(v) for v in values)})"


class PlanRow(SQLModel, table=True):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(_in("method", PLAN_METHODS), name="ck_plans_method"),
        CheckConstraint(_in("status", PLAN_STATUSES), name="ck_plans_status"),
        CheckConstraint(_in("state", PLAN_STATES), name="ck_plans_state"),
        CheckConstraint("level between 1 and 4", name="ck_plans_level"),
        # Approval supersedes the response's drafts: find them without a scan.
        Index("ix_plans_response_state", "response_id", "state"),
        # The sweep of plans left computing by a lost worker finds them without a scan.
        Index("ix_plans_job_state", "job_state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="responses.id")
    # The event's name when the plan was made (API.md: `event` is the event's name).
    event: str = Field(max_length=200)
    # The event's code (its scenario file stem) then; null for an event made through the API.
    event_code: str | None = Field(default=None, max_length=128)
    level: int
    method: str = Field(max_length=8)
    status: str = Field(max_length=8)
    state: str = Field(default="draft", max_length=12)
    what_if: bool = False
    fingerprint: str = Field(max_length=64)
    solve_seconds: float = 0.0
    # {level, closed_roads: [[a, b]], extra_closures: [[a, b]], demand: [{region_code,
    #  item_code, quantity, priority}], covered: [{region_code, item_code, quantity}],
    #  available: [[warehouse_code, item_code, available]]}
    inputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # {stats, by_item, lines, unmet} exactly as API.md's Plan shows them.
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=64)
    # Background planning: `computing` or `failed` while the plan has no result; null after.
    job_state: str | None = Field(default=None, max_length=12)
    job: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


# --- API schemas ---------------------------------------------------------------------------

Code = str


class PlanIn(BaseModel):
    """POST /responses/{id}/plans. A `level` or non-empty `closed_roads` makes a what-if."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["optimal", "greedy"] = "optimal"
    time_limit_s: float | None = PField(default=None, gt=0, le=MAX_TIME_LIMIT_S)
    level: int | None = PField(default=None, ge=1, le=4, strict=True)
    closed_roads: list[tuple[Code, Code]] | None = PField(default=None, max_length=MAX_CLOSURES)

    @field_validator("time_limit_s")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number of seconds")
        return value

    @field_validator("closed_roads")
    @classmethod
    def _two_ends(cls, value: list[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
        for a, b in value or []:
            if not a or not b or len(a) > 64 or len(b) > 64:
                raise ValueError("each closure is [from_code, to_code] of 1 to 64 characters")
            if a == b:
                raise ValueError(f"a closure joins two different codes, not {a} to itself")
        return value


class ApproveIn(BaseModel):
    """POST /plans/{id}/approve takes no fields; an empty object is accepted."""

    model_config = ConfigDict(extra="forbid")


class PlanStatsOut(BaseModel):
    demand: int
    allocated: int
    shortfall: int
    weighted_shortfall: int
    deprivation: int
    min_fill_rate: float
    regions_unserved: int
    ton_km: float


class ItemFillOut(BaseModel):
    item_code: str
    demand: int
    allocated: int
    fill_rate: float


class PlanLineOut(BaseModel):
    warehouse_code: str
    region_code: str
    item_code: str
    quantity: int
    distance_km: float
    eta_h: float
    path: list[str]


class EligibleOut(BaseModel):
    warehouse_code: str
    available: int


class ReopeningOut(BaseModel):
    from_code: str
    to_code: str
    road_id: int | str | None = None


class UnmetOut(BaseModel):
    region_code: str
    item_code: str
    demand: int
    allocated: int
    shortfall: int
    reason: Literal["no_route", "deadline", "jurisdiction", "stock_exhausted"]
    eligible: list[EligibleOut]
    # Remedies (relief.allocation.problem `_remedies`); absent from plans made before them.
    unlocked_at_level: int | None = None
    unlocked_by_reopening: list[ReopeningOut] = []
    available_outside: int = 0


class ExcludedStockOut(BaseModel):
    """A lot a plan did not use: `expired` today, or `expires_before_arrival` (past its
    date before now + the level's supplies deadline, China date)."""

    warehouse_code: str
    item_code: str
    lot: str | None
    quantity: int
    expires_on: date
    reason: Literal["expired", "expires_before_arrival"]


class PlanOut(BaseModel):
    """API.md's Plan, key for key."""

    id: int | None
    response_id: int | None
    event: str | None
    event_code: str | None = None
    level: int
    method: Literal["optimal", "greedy"]
    # `pending` while the plan is computing (or failed) in the background.
    status: Literal["optimal", "feasible", "pending"]
    state: Literal["draft", "approved", "superseded", "computing", "failed"]
    stale: bool
    what_if: bool
    fingerprint: str | None
    solve_seconds: float
    stats: PlanStatsOut
    by_item: list[ItemFillOut]
    lines: list[PlanLineOut]
    unmet: list[UnmetOut]
    # Lots of eligible warehouses the plan left out (empty for plans made before 0004).
    excluded_stock: list[ExcludedStockOut] = []


class PlanProgressOut(BaseModel):
    """GET /plans/{id}/progress: where a plan made in the background has got to."""

    plan_id: int
    state: Literal["draft", "approved", "superseded", "computing", "failed"]
    stage: str
    done: int
    total: int
    reason: str | None = None


class MeasureOut(BaseModel):
    optimal: int | float
    greedy: int | float
    difference: int | float


class ItemComparisonOut(BaseModel):
    item_code: str
    demand: int
    optimal_allocated: int
    greedy_allocated: int
    optimal_fill_rate: float
    greedy_fill_rate: float


class ComparisonOut(BaseModel):
    level: int
    measures: dict[str, MeasureOut]
    by_item: list[ItemComparisonOut]


class PlanComparisonOut(BaseModel):
    """GET /plans/{id}/compare: the stored plan in its method's place, the other method run
    on the very inputs the plan was made from, and the side-by-side measures."""

    optimal: PlanOut
    greedy: PlanOut
    comparison: ComparisonOut
