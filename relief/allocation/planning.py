"""The folder source of a plan, with no database: what ``relief plan`` and the bench run.

A scenario record's event → level → needs (relief.emergency.needs) → a ``PlanSource``
(all the folder's stock, the event's and the extra closures as pairs of ends) → the one
pipeline (relief.allocation.pipeline: graph, eligibility, fingerprint, solve) → Plan dicts
(API.md's shape, ``id`` null). The database source is relief.allocation.service.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from relief.allocation.compare import compare, render_comparison
from relief.allocation.model import AllocationInput, DemandLine, PlanResult
from relief.allocation.pipeline import (
    PlanSource,
    eligible_available,
    plan_fingerprint,
    prepare,
    run_method,
)
from relief.allocation.replan import reusable_items
from relief.allocation.solver import collection_paused
from relief.emergency.assessment import assess
from relief.emergency.needs import estimate_demand, latest_reports
from relief.emergency.records import LEVELS, Policy, Report
from relief.network.graph import EligibleRoutes
from relief.network.records import Region
from relief.scenario.records import Scenario

# Where they were first defined; the pipeline owns them now.
__all__ = [
    "METHODS",
    "PlanRun",
    "eligible_available",
    "plan_fingerprint",
    "plan_scenario",
    "render_plan",
    "render_plan_result",
    "run_plan",
]

METHODS = ("optimal", "greedy", "both")


class PlanningError(Exception):
    """A plan cannot be made from these arguments. ``exit_code`` is the CLI's."""

    code = "bad_request"
    exit_code = 2

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UnknownEvent(PlanningError):
    code = "unknown_event"


class BadArgument(PlanningError):
    code = "validation_error"


class NoLevel(PlanningError):
    """No level given, none in the event, and the reports reach no threshold."""

    code = "no_level"
    exit_code = 3


# --------------------------------------------------------------------------- the folder source


def recommended_level(reports: list[Report], policy: Policy, regions: list[Region]) -> int | None:
    """The level the event's reports call for (relief.emergency.assessment)."""
    return assess(reports, policy, regions).recommended_level


@dataclass
class PlanRun:
    """What ``plan_scenario`` computed, before shaping into dicts."""

    event: str
    level: int
    what_if: bool
    demand: list[DemandLine]
    routes: EligibleRoutes
    fingerprint: str
    plans: dict[str, PlanResult] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    # What the solvers were given: a later replan (``previous``) compares against it.
    input: AllocationInput | None = None


def run_plan(
    scenario: Scenario,
    event_name: str,
    method: str = "optimal",
    level: int | None = None,
    extra_closures: Sequence[Sequence[str]] = (),
    time_limit_s: float | None = None,
    workers: int | None = None,
    previous: PlanRun | None = None,
) -> PlanRun:
    """The whole pure pipeline from a scenario record; see ``plan_scenario``.

    ``workers``: the optimal solver's processes (None: the solver settings). ``previous``:
    an earlier run of the same scenario and event (e.g. before a road closure) whose
    optimal items are kept where they are provably still optimal
    (``relief.allocation.replan``); the plan is the same as without it. The garbage
    collector is paused for the whole run, not only the graph and the solve
    (``collection_paused``): on again between them, it would walk the graph's objects."""
    with collection_paused():
        return _run_plan(
            scenario, event_name, method, level, extra_closures, time_limit_s, workers, previous
        )


def _run_plan(
    scenario: Scenario,
    event_name: str,
    method: str,
    level: int | None,
    extra_closures: Sequence[Sequence[str]],
    time_limit_s: float | None,
    workers: int | None,
    previous: PlanRun | None,
) -> PlanRun:
    started = time.perf_counter()
    if method not in METHODS:
        raise BadArgument(f"method must be one of {', '.join(METHODS)}", "method")
    event = scenario.events.get(event_name)
    if event is None:
        known = ", ".join(sorted(scenario.events)) or "none"
        raise UnknownEvent(f"no event {event_name!r} in the scenario (events: {known})", "event")
    if level is not None and level not in LEVELS:
        raise BadArgument("level must be 1, 2, 3 or 4", "level")
    if time_limit_s is not None and time_limit_s <= 0:
        raise BadArgument("time limit must be positive", "time_limit")
    codes = {r.code for r in scenario.regions} | {w.code for w in scenario.warehouses}
    closures = [(str(a), str(b)) for a, b in extra_closures]
    for a, b in closures:
        for code in (a, b):
            if code not in codes:
                raise BadArgument(f"closure names unknown code {code!r}", "close")
    policy = scenario.policy or Policy()
    what_if = level is not None or bool(closures)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    if level is None:
        level = event.level
    if level is None:
        level = recommended_level(event.reports, policy, scenario.regions)
    if level is None:
        raise NoLevel(
            f"event {event_name!r} has no level and its reports reach no threshold; give a level",
            "level",
        )
    demand = estimate_demand(latest_reports(event.reports), policy.norms, event.started_at)
    timings["demand"] = time.perf_counter() - t0

    closed_pairs = [*event.closed_roads, *closures]
    prepared = prepare(
        PlanSource(
            regions=scenario.regions,
            warehouses=scenario.warehouses,
            roads=scenario.roads,  # with the closures: the remedies of shortfalls
            items=scenario.items,
            stock=scenario.stock,
            demand=demand,
            policy=policy,
            level=level,
            closed_pairs=closed_pairs,
            warm=_warm_store(previous, scenario, policy),
        )
    )
    timings.update(prepared.timings)
    inp = prepared.allocation
    plans: dict[str, PlanResult] = {}
    if method in ("optimal", "both"):
        keep = None
        if previous is not None and previous.input is not None and "optimal" in previous.plans:
            t0 = time.perf_counter()
            keep = reusable_items(previous.input, previous.plans["optimal"], inp)
            timings["reuse"] = time.perf_counter() - t0
        # The fingerprint is made while the solver's workers solve.
        plans["optimal"] = run_method(
            "optimal",
            inp,
            time_limit_s,
            workers=workers,
            keep=keep,
            meanwhile=lambda: prepared.fingerprint,
        )
    if method in ("greedy", "both"):
        plans["greedy"] = run_method("greedy", inp)
    fingerprint = prepared.fingerprint
    run = PlanRun(
        event_name,
        level,
        what_if,
        demand,
        prepared.routes,
        fingerprint,
        plans=plans,
        timings=timings,
        input=inp,
    )
    for plan in run.plans.values():
        # API.md: `event` is the event's name; its code is the file stem.
        plan.event = event.title
        plan.event_code = event_name
        plan.fingerprint = fingerprint
        plan.what_if = what_if
    timings["total"] = time.perf_counter() - started
    return run


def _warm_store(previous: PlanRun | None, scenario: Scenario, policy: Policy) -> dict:
    """The previous run's warm store when it planned the same network (regions,
    warehouses, roads before closures, policy), else a fresh one."""
    before = previous.input if previous is not None else None
    if (
        before is not None
        and before.warm is not None
        and before.policy == policy
        and (before.roads is scenario.roads or before.roads == scenario.roads)
        and (before.regions is scenario.regions or before.regions == scenario.regions)
        and (before.warehouses is scenario.warehouses or before.warehouses == scenario.warehouses)
    ):
        return before.warm
    return {}


def plan_scenario(
    scenario: Scenario,
    event_name: str,
    method: str = "optimal",
    level: int | None = None,
    extra_closures: Sequence[Sequence[str]] = (),
    time_limit_s: float | None = None,
) -> dict[str, Any]:
    """Plan an event of a scenario folder: the Plan dict (API.md), or for ``both``
    ``{optimal, greedy, comparison}``.

    The level is ``level`` if given, else the event's, else the recommended one (raises
    ``NoLevel`` when there is none). ``extra_closures`` are (from, to) pairs closing every
    road between the two ends, on top of the event's ``closed_roads``. A plan with a
    given level or extra closures is a what-if. Raises ``UnknownEvent`` or ``BadArgument``
    (CLI exit 2) and ``NoLevel`` (exit 3).
    """
    run = run_plan(scenario, event_name, method, level, extra_closures, time_limit_s)
    if method == "both":
        return {
            "optimal": run.plans["optimal"].to_dict(),
            "greedy": run.plans["greedy"].to_dict(),
            "comparison": compare(run.plans["optimal"], run.plans["greedy"]),
        }
    return run.plans[method].to_dict()


# --------------------------------------------------------------------------- text


def render_plan(plan: dict[str, Any], max_lines: int = 20) -> str:
    """A short text summary of a Plan dict for the CLI (``relief plan`` without --json)."""
    s = plan["stats"]
    out = [
        f"plan for {plan['event']} at level {plan['level']} — method {plan['method']}, "
        f"status {plan['status']}{' (what-if)' if plan['what_if'] else ''}, "
        f"solved in {plan['solve_seconds']:.3f} s",
        f"demand {s['demand']:,}  allocated {s['allocated']:,}  shortfall {s['shortfall']:,}  "
        f"weighted shortfall {s['weighted_shortfall']:,}  deprivation {s['deprivation']:,}",
        f"worst region's fill rate {s['min_fill_rate']:.1%}  regions with nothing "
        f"{s['regions_unserved']}  transport {s['ton_km']:,.1f} ton-km",
        "",
        "item           demand   allocated  fill",
    ]
    for item in plan["by_item"]:
        out.append(
            f"{item['item_code']:<12} {item['demand']:>9,} {item['allocated']:>11,} "
            f"{item['fill_rate']:>6.1%}"
        )
    lines = plan["lines"]
    out += ["", f"{len(lines)} plan lines (warehouse → region: item quantity, eta h, km)"]
    for line in lines[:max_lines]:
        out.append(
            f"  {line['warehouse_code']} → {line['region_code']}: {line['item_code']} "
            f"{line['quantity']:,}, {line['eta_h']:.2f} h, {line['distance_km']:.2f} km"
        )
    if len(lines) > max_lines:
        out.append(f"  … {len(lines) - max_lines} more (use --json FILE for all)")
    unmet = plan["unmet"]
    out += [
        "",
        f"{len(unmet)} needs not fully met (region item: shortfall, reason; what would unlock "
        "stock outside this plan's reach, and the units there)",
    ]
    for u in unmet[:max_lines]:
        out.append(
            f"  {u['region_code']} {u['item_code']}: {u['shortfall']:,}, {u['reason']}"
            f"{_remedy_text(u)}"
        )
    if len(unmet) > max_lines:
        out.append(f"  … {len(unmet) - max_lines} more (use --json FILE for all)")
    out += _remedy_summary(unmet)
    return "\n".join(out)


def _road_text(road: dict[str, Any]) -> str:
    named = f" (road {road['road_id']})" if road.get("road_id") is not None else ""
    return f"{road['from_code']}—{road['to_code']}{named}"


def _remedy_text(u: dict[str, Any]) -> str:
    """`; unlocked at level 2; reopen A—B (road R) (1,234 available)`, or nothing."""
    parts = []
    if u.get("unlocked_at_level") is not None:
        parts.append(f"; unlocked at level {u['unlocked_at_level']}")
    if u.get("unlocked_by_reopening"):
        roads = ", ".join(_road_text(r) for r in u["unlocked_by_reopening"])
        parts.append(f"; reopen {roads}")
    if parts and u.get("available_outside"):
        parts.append(f" ({u['available_outside']:,} available)")
    return "".join(parts)


def _remedy_summary(unmet: list[dict[str, Any]]) -> list[str]:
    """How many unmet needs each remedy would reach (every need, not only those listed)."""
    levels: dict[int, int] = {}
    reopen: dict[str, int] = {}
    for u in unmet:
        if u.get("unlocked_at_level") is not None:
            levels[u["unlocked_at_level"]] = levels.get(u["unlocked_at_level"], 0) + 1
        for road in u.get("unlocked_by_reopening") or []:
            reopen[_road_text(road)] = reopen.get(_road_text(road), 0) + 1
    if not levels and not reopen:
        return []
    out = ["", "What would let stock outside this plan's reach in (needs it would reach)"]
    out += [f"  level {level}: {n} needs" for level, n in sorted(levels.items(), reverse=True)]
    out += [f"  reopen {road}: {n} needs" for road, n in sorted(reopen.items())]
    return out


def render_plan_result(result: dict[str, Any]) -> str:
    """Text for whatever ``plan_scenario`` returned (one plan, or both with comparison)."""
    if "comparison" in result:
        return "\n\n".join(
            [
                render_plan(result["optimal"]),
                render_plan(result["greedy"]),
                render_comparison(result["comparison"]),
            ]
        )
    return render_plan(result)
