"""Comparison of the optimal plan with the greedy baseline."""

from __future__ import annotations

from relief.allocation.compare import compare, render_comparison, verdict
from relief.allocation.greedy import greedy
from relief.allocation.solver import solve


def test_comparison_sets_the_two_plans_side_by_side(build):
    inp = build.input(
        [("t1", "tent", 100, 5), ("t2", "tent", 100, 5), ("t1", "rice", 10, 1)],
        [build.stock("W", "tent", 100), build.stock("W", "rice", 4)],
        [build.road("W", "t1", 10, 1), build.road("W", "t2", 10, 1)],
        [build.warehouse("W", "C1")],
    )
    best, base = solve(inp), greedy(inp)
    result = compare(best, base.to_dict())
    dep = result["measures"]["deprivation"]
    assert dep["optimal"] == best.stats["deprivation"]
    assert dep["greedy"] == base.stats["deprivation"]
    assert dep["difference"] == dep["optimal"] - dep["greedy"] < 0
    assert result["measures"]["regions_unserved"] == {"optimal": 0, "greedy": 1, "difference": -1}
    assert [i["item_code"] for i in result["by_item"]] == ["rice", "tent"]
    tent = result["by_item"][1]
    assert (tent["optimal_allocated"], tent["greedy_allocated"], tent["demand"]) == (100, 100, 200)
    text = render_comparison(result)
    assert "deprivation" in text and "regions left with nothing" in text and "tent" in text


def test_the_verdict_says_optimal_is_strictly_better_when_it_shares_scarcity_better():
    measures = {
        "deprivation": {"optimal": 10, "greedy": 40, "difference": -30},
        "shortfall": {"optimal": 5, "greedy": 5, "difference": 0},
        "min_fill_rate": {"optimal": 0.75, "greedy": 0.25, "difference": 0.5},
    }
    assert verdict(measures).startswith("optimal is strictly better: deprivation 10 against 40")


def test_the_verdict_explains_a_tie_when_all_demand_is_met():
    measures = {
        "deprivation": {"optimal": 0, "greedy": 0, "difference": 0},
        "shortfall": {"optimal": 0, "greedy": 0, "difference": 0},
        "min_fill_rate": {"optimal": 1.0, "greedy": 1.0, "difference": 0.0},
    }
    assert "meet all demand" in verdict(measures)


def test_the_verdict_explains_a_tie_under_scarcity():
    measures = {
        "deprivation": {"optimal": 7, "greedy": 7, "difference": 0},
        "shortfall": {"optimal": 3, "greedy": 3, "difference": 0},
        "min_fill_rate": {"optimal": 0.5, "greedy": 0.5, "difference": 0.0},
    }
    assert "same unmet need" in verdict(measures)
