"""The optimal allocation on hand-made networks whose answers are worked out in comments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relief.allocation.greedy import greedy
from relief.allocation.model import DemandLine
from relief.allocation.solver import solve
from relief.network.graph import build_graph, fastest_route

D = Decimal


def test_scarcity_is_shared_by_quarters_instead_of_leaving_one_region_with_nothing(build):
    # 100 units for two needs of 100 (equal priority). Deprivation of u unmet of d = 100:
    # quarters of 25 cost 1, 2, 4, 8 per unit. 50/50: 2 × (25 + 50) = 150;
    # 100/0 (what greedy does): 25 + 50 + 100 + 200 = 375.
    w = build.warehouse("W", "C1")
    inp = build.input(
        [("t1", "tent", 100, 5), ("t2", "tent", 100, 5)],
        [build.stock("W", "tent", 100)],
        [build.road("W", "t1", 10, 1), build.road("W", "t2", 10, 1)],
        [w],
    )
    plan = solve(inp)
    assert plan.status == "optimal"
    assert plan.stats["deprivation"] == 5 * 150
    assert plan.stats["allocated"] == 100
    assert plan.stats["min_fill_rate"] == 0.5
    assert plan.stats["regions_unserved"] == 0
    base = greedy(inp)
    assert base.status == "feasible"
    assert base.stats["deprivation"] == 5 * 375
    assert base.stats["regions_unserved"] == 1
    assert base.stats["min_fill_rate"] == 0.0


def test_a_higher_priority_need_is_served_first(build):
    # t1 priority 10, t2 priority 1, 100 units, needs of 100 each. All to t1 leaves t2's
    # 100 unmet: 1 × 375. Any unit moved to t2 saves at most 8 there and costs ≥ 10 at t1.
    w = build.warehouse("W", "C1")
    plan = solve(
        build.input(
            [("t1", "rice", 100, 10), ("t2", "rice", 100, 1)],
            [build.stock("W", "rice", 100)],
            [build.road("W", "t1", 10, 1), build.road("W", "t2", 10, 1)],
            [w],
        )
    )
    assert plan.stats["deprivation"] == 375
    assert plan.stats["weighted_shortfall"] == 100
    assert {(li.region_code, li.quantity) for li in plan.lines} == {("t1", 100)}


def test_stage_two_prefers_the_cheaper_route_after_tier_penalties(build):
    # The county depot is 50 km away; the provincial core 30 km but its tier penalty is 60:
    # 50 < 30 + 60, so the county depot serves. ton-km = 10 units × 10 kg / 1000 × 50 km.
    whs = [build.warehouse("WC", "C1"), build.warehouse("WP", "P", "provincial")]
    plan = solve(
        build.input(
            [("t1", "tent", 10, 1)],
            [build.stock("WC", "tent", 10), build.stock("WP", "tent", 10)],
            [build.road("WC", "t1", 50, 1), build.road("WP", "t1", 30, 0.5)],
            whs,
        )
    )
    assert [(li.warehouse_code, li.quantity) for li in plan.lines] == [("WC", 10)]
    assert plan.stats["ton_km"] == pytest.approx(5.0)
    # Without the penalty the nearer provincial core wins.
    plan = solve(
        build.input(
            [("t1", "tent", 10, 1)],
            [build.stock("WC", "tent", 10), build.stock("WP", "tent", 10)],
            [build.road("WC", "t1", 50, 1), build.road("WP", "t1", 30, 0.5)],
            whs,
            tiers={"county": "0", "prefecture": "0", "provincial": "0"},
        )
    )
    assert [(li.warehouse_code, li.quantity) for li in plan.lines] == [("WP", 10)]


def test_cross_jurisdiction_penalty_applies_only_outside_jurisdiction(build):
    # At level 1 (cross-jurisdiction) C2's depot may serve t1 but pays 30 on top of 10 km;
    # C1's depot at 35 km is cheaper (35 < 40).
    whs = [build.warehouse("W1", "C1"), build.warehouse("W2", "C2")]
    plan = solve(
        build.input(
            [("t1", "tent", 5, 1)],
            [build.stock("W1", "tent", 5), build.stock("W2", "tent", 5)],
            [build.road("W1", "t1", 35, 1), build.road("W2", "t1", 10, 0.2)],
            whs,
            level=1,
        )
    )
    assert [li.warehouse_code for li in plan.lines] == ["W1"]


def test_stage_two_never_gives_up_deprivation_for_transport(build):
    # W near t1 only; F far, eligible for both. 10 at W, 10 at F; needs of 10 at t1 and t2.
    # The cheapest transport sends W's 10 to t1 and F's to t2: both full.
    whs = [build.warehouse("W", "C1"), build.warehouse("F", "F", "prefecture")]
    plan = solve(
        build.input(
            [("t1", "tent", 10, 1), ("t2", "tent", 10, 1)],
            [build.stock("W", "tent", 10), build.stock("F", "tent", 10)],
            [
                build.road("W", "t1", 1, 0.1),
                build.road("F", "t1", 100, 2),
                build.road("F", "t2", 300, 6),
            ],
            whs,
            level=3,
        )
    )
    assert plan.stats["deprivation"] == 0
    assert sorted((li.warehouse_code, li.region_code, li.quantity) for li in plan.lines) == [
        ("F", "t2", 10),
        ("W", "t1", 10),
    ]


def test_plan_lines_carry_the_fastest_route(build):
    whs = [build.warehouse("W", "C1")]
    roads = [
        build.road("W", "t2", "10.5", "0.25"),
        build.road("t2", "t1", "4.25", "0.5"),
        build.road("W", "t1", "3", "2"),
    ]
    plan = solve(build.input([("t1", "tent", 3, 1)], [build.stock("W", "tent", 9)], roads, whs))
    (line,) = plan.lines
    graph = build_graph(build.tree, whs, roads)
    assert (line.eta_h, line.distance_km, line.path) == fastest_route(graph, "W", "t1")
    assert line.to_dict()["path"] == ["W", "t2", "t1"]
    assert line.to_dict()["eta_h"] == 0.75 and line.to_dict()["distance_km"] == 14.75


def test_available_stock_leaves_floor_and_reservations_in_place(build):
    w = build.warehouse("W", "C1")
    plan = solve(
        build.input(
            [("t1", "tent", 100, 1)],
            [build.stock("W", "tent", 50, floor=10, reserved=15)],
            [build.road("W", "t1", 1, 1)],
            [w],
        )
    )
    assert plan.stats["allocated"] == 25
    (unmet,) = plan.unmet
    assert unmet.reason == "stock_exhausted"
    assert unmet.eligible == [("W", 0)]  # nothing left above floor and reservations


def test_already_covered_quantities_are_not_planned_again(build):
    w = build.warehouse("W", "C1")
    inp = build.input(
        [("t1", "tent", 30, 1), ("t2", "tent", 5, 1)],
        [build.stock("W", "tent", 100)],
        [build.road("W", "t1", 1, 1), build.road("W", "t2", 1, 1)],
        [w],
    )
    inp.covered = {("t1", "tent"): 12, ("t2", "tent"): 9}
    plan = solve(inp)
    assert plan.stats["demand"] == 18
    assert [(li.region_code, li.quantity) for li in plan.lines] == [("t1", 18)]


class TestReasons:
    """Precedence: no_route > deadline > jurisdiction > stock_exhausted."""

    def plan(self, build, roads, stocks, level=3, demand=None, whs=None):
        whs = whs or [build.warehouse("W1", "C1"), build.warehouse("W2", "C2")]
        return solve(
            build.input(demand or [("t1", "tent", 10, 1)], stocks, roads, whs, level=level)
        )

    def test_no_open_road_to_any_holder(self, build):
        plan = self.plan(
            build,
            [build.road("W1", "t1", 1, 1, status="closed"), build.road("W2", "t3", 1, 1)],
            [build.stock("W1", "tent", 50), build.stock("W2", "tent", 50)],
        )
        assert [u.reason for u in plan.unmet] == ["no_route"]
        assert plan.unmet[0].eligible == []
        assert plan.stats["regions_unserved"] == 1

    def test_holders_reachable_but_too_far(self, build):
        plan = self.plan(
            build,
            [build.road("W1", "t1", 900, "8.01")],
            [build.stock("W1", "tent", 50)],
        )
        assert [u.reason for u in plan.unmet] == ["deadline"]

    def test_only_another_countys_depot_in_time(self, build):
        # W1 (t1's county) is too far; W2 in time but outside jurisdiction at level 3.
        roads = [build.road("W1", "t1", 900, 9), build.road("W2", "t1", 5, 0.5)]
        stocks = [build.stock("W1", "tent", 50), build.stock("W2", "tent", 50)]
        plan = self.plan(build, roads, stocks)
        assert [u.reason for u in plan.unmet] == ["jurisdiction"]
        # At a cross-jurisdiction level the same network serves t1 in full.
        assert self.plan(build, roads, stocks, level=1).unmet == []

    def test_eligible_warehouses_ran_out(self, build):
        plan = self.plan(
            build,
            [build.road("W1", "t1", 1, 1), build.road("W1", "t2", 1, 1)],
            [build.stock("W1", "tent", 8)],
            demand=[("t1", "tent", 10, 1), ("t2", "tent", 10, 1)],
        )
        assert {u.reason for u in plan.unmet} == {"stock_exhausted"}
        assert all(u.eligible == [("W1", 0)] for u in plan.unmet)

    def test_the_most_fundamental_reason_wins(self, build):
        # One holder cut off (no_route), another in time but outside jurisdiction: some
        # holder is reachable and in time, so the reason is jurisdiction.
        whs = [
            build.warehouse("W1", "C1"),
            build.warehouse("W2", "C2"),
            build.warehouse("W3", "C1"),
        ]
        plan = self.plan(
            build,
            [build.road("W2", "t1", 5, 0.5), build.road("W3", "t1", 5, 0.5)],
            [build.stock("W1", "tent", 50), build.stock("W2", "tent", 50)],
            whs=whs,
        )
        assert [u.reason for u in plan.unmet] == ["jurisdiction"]
        # W3 is eligible and keeps no tent row: it is not listed.
        assert plan.unmet[0].eligible == []

    def test_with_no_stock_anywhere_the_road_network_still_explains_first(self, build):
        plan = self.plan(build, [], [], demand=[("t1", "tent", 10, 1)])
        assert [u.reason for u in plan.unmet] == ["no_route"]
        plan = self.plan(build, [build.road("W1", "t1", 1, 1)], [build.stock("W1", "tent", 0)])
        assert [u.reason for u in plan.unmet] == ["stock_exhausted"]
        assert plan.unmet[0].eligible == [("W1", 0)]


class TestDegenerateInputs:
    def test_no_demand(self, build):
        plan = solve(
            build.input([], [build.stock("W", "tent", 5)], [], [build.warehouse("W", "C1")])
        )
        assert plan.stats == {
            "demand": 0,
            "allocated": 0,
            "shortfall": 0,
            "weighted_shortfall": 0,
            "deprivation": 0,
            "min_fill_rate": 1.0,
            "regions_unserved": 0,
            "ton_km": 0.0,
        }
        assert plan.lines == [] and plan.unmet == [] and plan.by_item == []

    def test_no_stock(self, build):
        plan = solve(
            build.input(
                [("t1", "tent", 4, 2)],
                [],
                [build.road("W", "t1", 1, 1)],
                [build.warehouse("W", "C1")],
            )
        )
        assert plan.stats["shortfall"] == 4
        assert plan.stats["deprivation"] == 2 * (1 + 2 + 4 + 8)
        assert plan.unmet[0].reason == "stock_exhausted"

    def test_every_road_closed(self, build):
        roads = [
            build.road("W", "t1", 1, 1, status="closed"),
            build.road("W", "t2", 1, 1, "closed"),
        ]
        plan = solve(
            build.input(
                [("t1", "tent", 4, 2), ("t2", "tent", 1, 2)],
                [build.stock("W", "tent", 10)],
                roads,
                [build.warehouse("W", "C1")],
            )
        )
        assert [u.reason for u in plan.unmet] == ["no_route", "no_route"]
        assert plan.stats["regions_unserved"] == 2

    def test_an_item_with_demand_but_no_norm_or_catalogue_entry(self, build):
        # Demand edited by hand for an item no norm mentions and items.csv lacks: planned
        # like any other; its weight is unknown, so its ton-km count as 0.
        inp = build.input(
            [("t1", "generator", 2, 7)],
            [build.stock("W", "generator", 5)],
            [build.road("W", "t1", 10, 1)],
            [build.warehouse("W", "C1")],
            items=[],
        )
        plan = solve(inp)
        assert plan.stats["allocated"] == 2
        assert plan.stats["ton_km"] == 0.0

    def test_a_warehouse_with_no_roads_and_a_disconnected_region(self, build):
        whs = [build.warehouse("W1", "C1"), build.warehouse("W2", "C1")]
        plan = solve(
            build.input(
                [("t1", "tent", 5, 1), ("t2", "tent", 5, 1)],
                [build.stock("W1", "tent", 10), build.stock("W2", "tent", 10)],
                [build.road("W1", "t1", 1, 1)],
                whs,
            )
        )
        assert [(li.warehouse_code, li.region_code, li.quantity) for li in plan.lines] == [
            ("W1", "t1", 5)
        ]
        assert [(u.region_code, u.reason) for u in plan.unmet] == [("t2", "no_route")]

    def test_duplicate_roads(self, build):
        roads = [
            build.road("W", "t1", 40, 2),
            build.road("t1", "W", 60, 1),
            build.road("W", "t1", 5, 3),
        ]
        plan = solve(
            build.input(
                [("t1", "tent", 5, 1)],
                [build.stock("W", "tent", 10)],
                roads,
                [build.warehouse("W", "C1")],
            )
        )
        assert (plan.lines[0].eta_h, plan.lines[0].distance_km) == (D("1.00"), D("60.00"))

    def test_duplicate_demand_lines_and_negative_priorities_are_refused(self, build):
        args = ([build.stock("W", "tent", 1)], [], [build.warehouse("W", "C1")])
        with pytest.raises(ValueError, match="duplicate demand line"):
            solve(build.input([("t1", "tent", 1, 1), ("t1", "tent", 2, 1)], *args))
        with pytest.raises(ValueError, match="must not be negative"):
            solve(build.input([("t1", "tent", 1, -1)], *args))

    def test_a_demand_region_missing_from_the_region_list(self, build):
        plan = solve(
            build.input(
                [("t9", "tent", 3, 1)],
                [build.stock("W", "tent", 5)],
                [],
                [build.warehouse("W", "C1")],
            )
        )
        assert [(u.region_code, u.reason) for u in plan.unmet] == [("t9", "no_route")]


def test_time_limit_keeps_deprivation_optimal_and_says_feasible(build):
    w = build.warehouse("W", "C1")
    inp = build.input(
        [("t1", "tent", 100, 5), ("t2", "tent", 100, 5)],
        [build.stock("W", "tent", 100)],
        [build.road("W", "t1", 10, 1), build.road("W", "t2", 10, 1)],
        [w],
    )
    plan = solve(inp, time_limit_s=1e-9)
    assert plan.status == "feasible"
    assert plan.stats["deprivation"] == 750
    assert solve(inp, time_limit_s=60).status == "optimal"


def test_plan_dict_has_exactly_the_api_shape(build):
    w = build.warehouse("W", "C1")
    plan = solve(
        build.input(
            [("t1", "tent", 10, 1), ("t2", "rice", 3, 2)],
            [build.stock("W", "tent", 4), build.stock("W", "rice", 3)],
            [build.road("W", "t1", 10, 1), build.road("W", "t2", 10, 1)],
            [w],
        )
    )
    d = plan.to_dict()
    assert list(d) == [
        "id",
        "response_id",
        "event",
        "event_code",
        "level",
        "method",
        "status",
        "state",
        "stale",
        "what_if",
        "fingerprint",
        "solve_seconds",
        "stats",
        "by_item",
        "lines",
        "unmet",
    ]
    assert (d["id"], d["response_id"], d["state"], d["stale"]) == (None, None, "draft", False)
    assert set(d["stats"]) == {
        "demand",
        "allocated",
        "shortfall",
        "weighted_shortfall",
        "deprivation",
        "min_fill_rate",
        "regions_unserved",
        "ton_km",
    }
    assert d["by_item"] == [
        {"item_code": "rice", "demand": 3, "allocated": 3, "fill_rate": 1.0},
        {"item_code": "tent", "demand": 10, "allocated": 4, "fill_rate": 0.4},
    ]
    assert set(d["lines"][0]) == {
        "warehouse_code",
        "region_code",
        "item_code",
        "quantity",
        "distance_km",
        "eta_h",
        "path",
    }
    assert d["unmet"] == [
        {
            "region_code": "t1",
            "item_code": "tent",
            "demand": 10,
            "allocated": 4,
            "shortfall": 6,
            "reason": "stock_exhausted",
            "eligible": [{"warehouse_code": "W", "available": 0}],
            "unlocked_at_level": None,
            "unlocked_by_reopening": [],
            "available_outside": 0,
        }
    ]


def test_min_fill_rate_weights_items_by_priority(build):
    # t1: rice 10 of 10 (p=3), tent 0 of 10 (p=1) → (3·10 + 0) / (3·10 + 1·10) = 0.75.
    w = build.warehouse("W", "C1")
    plan = solve(
        build.input(
            [("t1", "rice", 10, 3), ("t1", "tent", 10, 1)],
            [build.stock("W", "rice", 10)],
            [build.road("W", "t1", 10, 1)],
            [w],
        )
    )
    assert plan.stats["min_fill_rate"] == 0.75


def test_demand_lines_are_plain_records():
    line = DemandLine("t1", "tent", 3, 8)
    assert (line.region_code, line.item_code, line.quantity, line.priority) == ("t1", "tent", 3, 8)
