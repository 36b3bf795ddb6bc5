"""Shortfall remedies: an unmet need that stock outside what the plan's level allows could
meet names the least severe level that would let it through (`unlocked_at_level`), the
closed roads whose reopening would (`unlocked_by_reopening`), and the units available there
(`available_outside`); the reason and its precedence stay as they were. Both methods
explain alike (they share the explain code)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from relief.allocation.greedy import greedy
from relief.allocation.solver import solve
from relief.network.graph import build_graph, eligible_routes
from relief.network.records import Road

D = Decimal
METHODS = [pytest.param(solve, id="optimal"), pytest.param(greedy, id="greedy")]


def whs(build):
    return [build.warehouse("W1", "C1"), build.warehouse("W2", "C2")]


@pytest.mark.parametrize("method", METHODS)
def test_a_jurisdiction_shortfall_names_the_cross_jurisdiction_level_that_lifts_it(build, method):
    # W2 (county C2) reaches t1 (county C1) in time; levels 1 and 2 are cross-jurisdiction.
    inp = build.input(
        [("t1", "tent", 10, 1)],
        [build.stock("W2", "tent", 50)],
        [build.road("W2", "t1", 5, 0.5)],
        whs(build),
        level=3,
    )

    unmet = method(inp).unmet

    assert [(u.reason, u.unlocked_at_level, u.available_outside) for u in unmet] == [
        ("jurisdiction", 2, 50)
    ]
    assert unmet[0].unlocked_by_reopening == []


@pytest.mark.parametrize("method", METHODS)
def test_a_deadline_shortfall_names_the_level_whose_deadline_reaches(build, method):
    # 9 h to t1: level 3 allows 4 h, level 2 10 h, level 1 12 h; the least severe is 2.
    inp = build.input(
        [("t1", "tent", 10, 1)],
        [build.stock("W1", "tent", 30)],
        [build.road("W1", "t1", 600, 9)],
        whs(build),
        level=3,
    )
    inp.policy = dataclasses.replace(inp.policy, deadlines_h={1: D(12), 2: D(10), 3: D(4), 4: D(2)})

    unmet = method(inp).unmet

    assert [(u.reason, u.unlocked_at_level, u.available_outside) for u in unmet] == [
        ("deadline", 2, 30)
    ]


@pytest.mark.parametrize("method", METHODS)
def test_stock_exhausted_still_says_which_level_would_bring_more(build, method):
    # W1 (own county) runs out; W2 (other county, in time) keeps 40 that level 2 would let in.
    inp = build.input(
        [("t1", "tent", 10, 1)],
        [build.stock("W1", "tent", 4), build.stock("W2", "tent", 40)],
        [build.road("W1", "t1", 5, 0.5), build.road("W2", "t1", 5, 0.5)],
        whs(build),
        level=3,
    )

    unmet = method(inp).unmet

    assert [(u.reason, u.shortfall, u.unlocked_at_level, u.available_outside) for u in unmet] == [
        ("stock_exhausted", 6, 2, 40)
    ]


@pytest.mark.parametrize("method", METHODS)
def test_a_closed_road_that_would_bring_stock_is_named(build, method):
    roads = [
        Road(7, "W1", "t1", D(5), D("0.5"), "open"),
        Road(8, "W2", "t3", D(5), D("0.5"), "open"),
    ]
    inp = build.input(
        [("t1", "tent", 10, 1)],
        [build.stock("W1", "tent", 25)],
        roads,
        whs(build),
        level=3,
    )
    inp.closed_road_ids = [7]

    unmet = method(inp).unmet

    assert [(u.reason, u.unlocked_at_level, u.available_outside) for u in unmet] == [
        ("no_route", None, 25)
    ]
    assert unmet[0].unlocked_by_reopening == [("W1", "t1", 7)]
    assert unmet[0].to_dict()["unlocked_by_reopening"] == [
        {"from_code": "W1", "to_code": "t1", "road_id": 7}
    ]


def test_routes_given_with_closures_as_the_service_passes_them(build):
    # The service computes eligibility itself and hands the closures along with the roads.
    roads = [
        build.road("W1", "C1", 5, "0.2"),
        build.road("C1", "t1", 5, "0.2"),
        build.road("W1", "t1", 100, 3, status="closed"),
    ]
    inp = build.input(
        [("t1", "tent", 10, 1)],
        [build.stock("W1", "tent", 25)],
        roads,
        whs(build),
        level=3,
    )
    inp.closed_pairs = [("C1", "t1")]
    graph = build_graph(inp.regions, inp.warehouses, inp.roads, (), inp.closed_pairs)
    inp.routes = eligible_routes(graph, inp.warehouses, inp.regions, inp.policy, 3, ["t1"])

    unmet = solve(inp).unmet

    # Reopening C1—t1 (0.4 h in all) is the fastest way in; the closed 3 h road is not needed.
    assert [(u.reason, u.available_outside) for u in unmet] == [("no_route", 25)]
    assert unmet[0].unlocked_by_reopening == [("C1", "t1", None)]


@pytest.mark.parametrize("method", METHODS)
def test_no_remedy_when_nothing_outside_the_level_holds_the_item(build, method):
    inp = build.input(
        [("t1", "tent", 10, 1)],
        [build.stock("W1", "tent", 4)],
        [build.road("W1", "t1", 5, 0.5), build.road("W2", "t1", 5, 0.5)],
        whs(build),
        level=3,
    )

    unmet = method(inp).unmet

    assert [(u.reason, u.unlocked_at_level, u.available_outside) for u in unmet] == [
        ("stock_exhausted", None, 0)
    ]
    assert unmet[0].to_dict() == {
        "region_code": "t1",
        "item_code": "tent",
        "demand": 10,
        "allocated": 4,
        "shortfall": 6,
        "reason": "stock_exhausted",
        "eligible": [{"warehouse_code": "W1", "available": 0}],
        "unlocked_at_level": None,
        "unlocked_by_reopening": [],
        "available_outside": 0,
    }


def test_at_the_most_severe_level_no_level_is_offered(build):
    inp = build.input(
        [("t1", "tent", 10, 1)],
        [build.stock("W1", "tent", 30)],
        [build.road("W1", "t1", 600, 9)],
        whs(build),
        level=1,
    )

    unmet = solve(inp).unmet

    assert [(u.reason, u.unlocked_at_level, u.available_outside) for u in unmet] == [
        ("deadline", None, 0)
    ]
