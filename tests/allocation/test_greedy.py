"""The greedy baseline fills lines in a dispatcher's order."""

from __future__ import annotations

from relief.allocation.greedy import greedy


def test_lines_go_by_priority_then_region_then_item(build):
    # 10 units: the priority-9 line (t2) first, then t1 before t3 at equal priority.
    w = build.warehouse("W", "F", "prefecture")
    plan = greedy(
        build.input(
            [("t1", "tent", 4, 1), ("t2", "tent", 5, 9), ("t3", "tent", 4, 1)],
            [build.stock("W", "tent", 10)],
            [build.road("W", "t1", 1, 1), build.road("W", "t2", 1, 1), build.road("W", "t3", 1, 1)],
            [w],
        )
    )
    assert {(li.region_code, li.quantity) for li in plan.lines} == {("t2", 5), ("t1", 4), ("t3", 1)}
    assert plan.status == "feasible" and plan.method == "greedy"


def test_warehouses_by_travel_time_then_tier_then_code(build):
    # Equal times from B (county) and A (prefecture): the county depot goes first although
    # A's code is smaller; C is faster than both and goes first of all.
    whs = [
        build.warehouse("A", "F", "prefecture"),
        build.warehouse("B", "C1", "county"),
        build.warehouse("C", "P", "provincial"),
    ]
    plan = greedy(
        build.input(
            [("t1", "tent", 7, 1)],
            [build.stock("A", "tent", 5), build.stock("B", "tent", 3), build.stock("C", "tent", 2)],
            [build.road("A", "t1", 1, 2), build.road("B", "t1", 1, 2), build.road("C", "t1", 1, 1)],
            whs,
        )
    )
    assert sorted((li.warehouse_code, li.quantity) for li in plan.lines) == [
        ("A", 2),
        ("B", 3),
        ("C", 2),
    ]


def test_greedy_uses_only_eligible_pairs_and_explains_shortfalls(build):
    whs = [build.warehouse("W1", "C1"), build.warehouse("W2", "C2")]
    plan = greedy(
        build.input(
            [("t1", "tent", 6, 1)],
            [build.stock("W1", "tent", 2), build.stock("W2", "tent", 50)],
            [build.road("W1", "t1", 1, 1), build.road("W2", "t1", 1, 1)],
            whs,
            level=3,  # not a cross-jurisdiction level: W2 may not serve t1
        )
    )
    assert [(li.warehouse_code, li.quantity) for li in plan.lines] == [("W1", 2)]
    assert [(u.shortfall, u.reason, u.eligible) for u in plan.unmet] == [
        (4, "stock_exhausted", [("W1", 0)])
    ]
