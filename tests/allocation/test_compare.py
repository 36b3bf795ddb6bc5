"""Comparison of the optimal plan with the greedy baseline."""

from __future__ import annotations

from relief.allocation.compare import compare, render_comparison
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
