"""Plain records of events, reports and policy, shared by the scenario reader, the
assessment, the demand estimate and the solver (no database here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

HAZARDS = ("flood", "earthquake", "snowstorm", "drought", "hail", "landslide", "typhoon", "other")
REPORT_KINDS = ("initial", "update", "final")
# The ten count fields of a disaster report, in API order.
COUNT_FIELDS = (
    "deaths",
    "missing",
    "relocated",
    "needing_aid",
    "collapsed_households",
    "collapsed_rooms",
    "severe_households",
    "severe_rooms",
    "general_households",
    "general_rooms",
)
LEVELS = (1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class Report:
    region_code: str
    kind: str
    reported_at: datetime
    # Today's ten count fields always; every other figure (relief.emergency.figures) only
    # when the report gives it. Areas and losses are Decimals.
    counts: dict[str, int | Decimal]
    # Submission order within the event: breaks ties of reported_at (the later submission wins).
    seq: int = 0
    # Why a 续报 moved a figure much (the API's `explanation`); None when not given.
    explanation: str | None = None
    # When it was filed (server time); None = as reported_at (a scenario file's reports).
    # Deadlines are judged by it: a backdated reported_at does not make a late report on time.
    filed_at: datetime | None = None


# `season:` of a norm (policy.yaml and the policy API) as months (1-12): winter is the
# northern heating season's core, the others the meteorological seasons (they may overlap).
SEASON_MONTHS: dict[str, tuple[int, ...]] = {
    "spring": (3, 4, 5),
    "summer": (6, 7, 8),
    "autumn": (9, 10, 11),
    "winter": (1, 2, 3, 11, 12),
}


@dataclass(frozen=True, slots=True)
class Norm:
    item_code: str
    basis: str  # any report count field
    per_person: Decimal  # exact, read from its text
    priority_weight: int
    # The months (1-12) the norm applies in, by the event's start (Asia/Shanghai); empty:
    # all year. Coats and stoves in winter only, not for a July flash flood (issue 15).
    months: tuple[int, ...] = ()

    def applies_in(self, month: int) -> bool:
        return not self.months or month in self.months


# Hours from a plan's approval until its trucks can leave (loading), when the policy does
# not say: an order not yet dispatched is due at approval + loading_h + its route's time.
DEFAULT_LOADING_H = Decimal(2)


@dataclass(slots=True)
class Policy:
    effective_from: date = date(1970, 1, 1)
    criteria: dict[str, list[str]] = field(default_factory=dict)
    # A criterion's words for people (死亡和失踪人口), when the policy gives them.
    criterion_labels: dict[str, str] = field(default_factory=dict)
    # A criterion that is a share of a population (in per cent): name → (region attribute,
    # region level whose regions give the denominator), e.g. ("rural_population", "province").
    criterion_shares: dict[str, tuple[str, str]] = field(default_factory=dict)
    # A 续报 raising a figure by more than this share, or lowering it, needs an explanation
    # (None: the default, 0.5).
    update_jump_share: Decimal | None = None
    thresholds: dict[int, dict[str, int]] = field(default_factory=dict)
    deadlines_h: dict[int, Decimal] = field(default_factory=dict)
    response_deadlines_h: dict[str, dict[int, Decimal]] = field(default_factory=dict)
    cross_jurisdiction_levels: frozenset[int] = frozenset()
    tier_penalty_ton_km: dict[str, Decimal] = field(default_factory=dict)
    cross_jurisdiction_penalty_ton_km: Decimal = Decimal(0)
    loading_h: Decimal = DEFAULT_LOADING_H
    norms: list[Norm] = field(default_factory=list)
    # The raw `subsidies:` mapping of policy.yaml (notice_days, programmes); read by subsidies.
    subsidies: dict = field(default_factory=dict)
    # The raw `reporting:` mapping of policy.yaml: when statistics reports are due
    # (relief.emergency.reporting; absent keys take the national defaults).
    reporting: dict = field(default_factory=dict)
    # The raw `temporary_relief:` mapping of policy.yaml (临时救助, issue 15):
    # `delegated_limit` (yuan text: townships approve up to it) and `reserve_fund_initial`
    # (county code → yuan text: each township of the county starts its reserve fund with it).
    temporary_relief: dict = field(default_factory=dict)
    # The raw `winter_spring:` mapping of policy.yaml (冬春生活救助, issue 15): stored in
    # `winter_policies` when the scenario loads (relief/subsidies/winter.py).
    winter_spring: dict = field(default_factory=dict)
    # The raw `distribution:` mapping of policy.yaml (goods to households, issue 16):
    # `nothing_after_days` (relief.distribution lists households given nothing after it).
    distribution: dict = field(default_factory=dict)
    # The `funds:` mapping of policy.yaml (relief funds passed down, issue 16), as
    # relief.funds.rules.check_funds writes it: pass_down_days, weights, source, assumed.
    funds: dict = field(default_factory=dict)


@dataclass(slots=True)
class EventSpec:
    """An event as a scenario folder describes it (events/NAME.yaml)."""

    name: str  # the file stem
    title: str  # the `name:` inside the file
    hazard: str
    started_at: datetime
    level: int | None
    region_codes: list[str]
    closed_roads: list[tuple[str, str]]
    reports: list[Report]


@dataclass(frozen=True, slots=True)
class DemandLine:
    """One need of a response: a region's quantity of an item and its priority weight.
    The emergency domain computes needs (relief.emergency.needs) and keeps the response's
    demand table; the allocation only consumes these lines."""

    region_code: str
    item_code: str
    quantity: int
    priority: int
