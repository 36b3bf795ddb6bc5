"""Planning straight from a scenario record: level choice, closures, what-ifs, the
fingerprint, the errors the CLI maps to exit codes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from relief.allocation.model import DemandLine
from relief.allocation.planning import (
    BadArgument,
    NoLevel,
    UnknownEvent,
    plan_fingerprint,
    plan_scenario,
    render_plan_result,
    run_plan,
)
from relief.emergency.records import EventSpec, Norm, Report
from relief.network.records import StockLevel
from relief.scenario.records import Scenario

T0 = datetime(2026, 7, 1, 6, tzinfo=timezone(timedelta(hours=8)))


def scenario(build, level: int | None = 3, relocated: int = 40) -> Scenario:
    pol = build.policy(norms=[Norm("tent", "relocated", Decimal("0.25"), 8)])
    pol.criteria = {"relocated_or_aided": ["relocated", "needing_aid"]}
    pol.thresholds = {4: {"relocated_or_aided": 30}, 3: {"relocated_or_aided": 1000}}
    reports = [
        Report("t1", "initial", T0, {"relocated": relocated}, 0),
        Report("t2", "initial", T0, {"relocated": 20}, 1),
        Report("t1", "update", T0 + timedelta(hours=2), {"relocated": relocated * 2}, 2),
    ]
    event = EventSpec("flood", "Flood", "flood", T0, level, ["C1"], [("W", "t2")], reports)
    return Scenario(
        name="tiny",
        path=Path("."),
        regions=build.tree,
        warehouses=[build.warehouse("W", "C1")],
        roads=[
            build.road("W", "t1", 10, 1),
            build.road("W", "t2", 10, 1),
            build.road("t1", "t2", 10, 1),
        ],
        items=[build.item("tent")],
        stock=[StockLevel("W", "tent", 100, 10)],
        policy=pol,
        events={"flood": event},
    )


def test_plans_from_the_latest_reports_at_the_events_level(build):
    plan = plan_scenario(scenario(build), "flood")
    # Latest t1 report: 80 relocated × 0.25 = 20 tents; t2: 5 tents, reached around the
    # event's closure of W–t2 through t1.
    assert (plan["event"], plan["event_code"]) == ("Flood", "flood")
    assert plan["level"] == 3 and plan["what_if"] is False
    assert plan["stats"]["demand"] == 25 and plan["stats"]["allocated"] == 25
    by_region = {line["region_code"]: line for line in plan["lines"]}
    assert by_region["t2"]["path"] == ["W", "t1", "t2"]
    assert by_region["t2"]["eta_h"] == 2.0
    assert len(plan["fingerprint"]) == 64


def test_without_a_level_the_recommended_one_is_used(build):
    plan = plan_scenario(scenario(build, level=None), "flood", method="greedy")
    assert plan["level"] == 4 and plan["method"] == "greedy"


def test_no_level_anywhere_is_its_own_error(build):
    with pytest.raises(NoLevel) as err:
        plan_scenario(scenario(build, level=None, relocated=1), "flood")
    assert err.value.exit_code == 3


def test_bad_arguments_are_refused_before_planning(build):
    sc = scenario(build)
    with pytest.raises(UnknownEvent):
        plan_scenario(sc, "quake")
    with pytest.raises(BadArgument):
        plan_scenario(sc, "flood", extra_closures=[("W", "nowhere")])
    with pytest.raises(BadArgument):
        plan_scenario(sc, "flood", level=7)
    with pytest.raises(BadArgument):
        plan_scenario(sc, "flood", method="best")


def test_a_given_level_or_extra_closure_makes_a_what_if(build):
    sc = scenario(build)
    closed = plan_scenario(sc, "flood", extra_closures=[("t1", "W")])
    assert closed["what_if"] is True
    assert {u["reason"] for u in closed["unmet"]} == {"no_route"}
    assert plan_scenario(sc, "flood", level=3)["what_if"] is True


def test_both_gives_the_two_plans_and_their_comparison(build):
    result = plan_scenario(scenario(build), "flood", method="both")
    assert set(result) == {"optimal", "greedy", "comparison"}
    assert result["optimal"]["fingerprint"] == result["greedy"]["fingerprint"]
    text = render_plan_result(result)
    assert "method optimal" in text and "method greedy" in text


def test_fingerprint_changes_with_what_a_plan_depends_on(build):
    sc = scenario(build)
    base = run_plan(sc, "flood").fingerprint
    assert run_plan(sc, "flood").fingerprint == base
    assert run_plan(sc, "flood", extra_closures=[("t1", "t2")]).fingerprint != base
    assert run_plan(sc, "flood", level=4).fingerprint != base
    restocked = replace(sc, stock=[StockLevel("W", "tent", 101, 10)])
    assert run_plan(restocked, "flood").fingerprint != base
    # Stock nobody eligible could send does not matter.
    extra = replace(sc, stock=[*sc.stock, StockLevel("X", "tent", 5)])
    assert run_plan(extra, "flood").fingerprint == base


def test_fingerprint_ignores_order():
    lines = [DemandLine("a", "k", 1, 2), DemandLine("b", "k", 3, 4)]
    one = plan_fingerprint(lines, 2, [("x", "y"), ("b", "a")], {("w", "k"): 5, ("v", "k"): 0})
    two = plan_fingerprint(lines[::-1], 2, [("a", "b"), ("y", "x")], {("v", "k"): 0, ("w", "k"): 5})
    assert one == two
