"""The graph of record and its CSR view: closures, duplicate roads, tie rules, exact
deadlines, jurisdiction, agreement between scipy and networkx, lost routes."""

from __future__ import annotations

from decimal import Decimal

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relief.emergency.records import Policy
from relief.network.graph import (
    RouteIndex,
    build_graph,
    closed_road_pairs,
    eligible_routes,
    fastest_route,
    lost_routes,
)
from relief.network.records import Region, Road, Warehouse

D = Decimal


def region(code: str, level: str = "township", parent: str | None = None) -> Region:
    return Region(code, code, level, parent, 0.0, 0.0)


def warehouse(code: str, region_code: str, tier: str = "county") -> Warehouse:
    return Warehouse(code, code, tier, region_code, 0.0, 0.0)


def road(a: str, b: str, km: str, h: str, status: str = "open", id: str | None = None) -> Road:
    return Road(id, a, b, D(km), D(h), status)


def policy(deadline: str = "8", cross: tuple[int, ...] = ()) -> Policy:
    return Policy(
        deadlines_h={lv: D(deadline) for lv in (1, 2, 3, 4)},
        cross_jurisdiction_levels=frozenset(cross),
    )


TREE = [
    region("P", "province"),
    region("C1", "county", "P"),
    region("C2", "county", "P"),
    region("t1", "township", "C1"),
    region("t2", "township", "C1"),
    region("t3", "township", "C2"),
]


def test_of_several_roads_between_two_ends_the_fastest_open_one_counts():
    graph = build_graph(
        TREE,
        [],
        [
            road("t1", "t2", "10", "2"),
            road("t1", "t2", "30", "1"),
            road("t2", "t1", "5", "0.5", status="closed"),
        ],
    )
    assert graph["t1"]["t2"]["time_c"] == 100
    assert graph["t1"]["t2"]["dist_c"] == 3000


def test_equal_times_between_the_same_ends_keep_the_shorter_road():
    graph = build_graph(TREE, [], [road("t1", "t2", "30", "1"), road("t1", "t2", "20", "1")])
    assert graph["t1"]["t2"]["dist_c"] == 2000


def test_a_closed_pair_closes_every_road_between_its_ends_in_either_order():
    roads = [road("t1", "t2", "10", "1"), road("t2", "t1", "12", "1.5"), road("t2", "t3", "5", "1")]
    graph = build_graph(TREE, [], roads, closed_pairs=[("t2", "t1")])
    assert not graph.has_edge("t1", "t2")
    assert graph.has_edge("t2", "t3")
    assert closed_road_pairs(roads, (), [("t2", "t1")]) == [("t1", "t2")]


def test_a_closed_road_id_closes_only_that_road():
    roads = [road("t1", "t2", "10", "1", id="r1"), road("t1", "t2", "12", "1.5", id="r2")]
    graph = build_graph(TREE, [], roads, closed_road_ids=["r1"])
    assert graph["t1"]["t2"]["road_id"] == "r2"
    assert closed_road_pairs(roads, ["r1"]) == [("t1", "t2")]


def test_fastest_route_prefers_time_then_distance_then_smallest_codes():
    regions = [region(c) for c in "abcdez"]
    # a→z: via b (2 h, 20 km), via c (2 h, 15 km), via d (2 h, 15 km), via e (3 h, 1 km)
    roads = [
        road("a", "b", "10", "1"),
        road("b", "z", "10", "1"),
        road("a", "c", "7.5", "1"),
        road("c", "z", "7.5", "1"),
        road("a", "d", "7.5", "1"),
        road("d", "z", "7.5", "1"),
        road("a", "e", "0.5", "1.5"),
        road("e", "z", "0.5", "1.5"),
    ]
    graph = build_graph(regions, [], roads)
    assert fastest_route(graph, "a", "z") == (D("2.00"), D("15.00"), ["a", "c", "z"])
    # From the other end the smallest sequence starts z, c too.
    assert fastest_route(graph, "z", "a") == (D("2.00"), D("15.00"), ["z", "c", "a"])


def test_lexicographic_tie_compares_whole_sequences_not_hop_counts():
    regions = [region(c) for c in ["a", "b", "m", "n", "z"]]
    # Two equal routes: a-b-m-z and a-n-z; "b" < "n" decides although it has more hops.
    roads = [
        road("a", "b", "1", "1"),
        road("b", "m", "1", "1"),
        road("m", "z", "1", "1"),
        road("a", "n", "1.5", "1.5"),
        road("n", "z", "1.5", "1.5"),
    ]
    graph = build_graph(regions, [], roads)
    assert fastest_route(graph, "a", "z")[2] == ["a", "b", "m", "z"]


def test_unreachable_and_unknown_codes_have_no_route():
    graph = build_graph(TREE, [warehouse("W", "C1")], [road("t1", "t2", "1", "1")])
    assert fastest_route(graph, "W", "t1") is None
    assert fastest_route(graph, "t1", "nowhere") is None


def test_a_route_of_exactly_the_deadline_is_eligible_and_decimal_sums_are_exact():
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; here it must equal 0.3.
    graph = build_graph(
        TREE, [warehouse("W", "C1")], [road("W", "t2", "1", "0.1"), road("t2", "t1", "1", "0.2")]
    )
    routes = eligible_routes(graph, [warehouse("W", "C1")], TREE, policy("0.3"), 3, ["t1"])
    assert routes.is_eligible("W", "t1")
    route = routes.route("W", "t1")
    assert (route.time_h, route.distance_km, route.path) == (
        D("0.30"),
        D("2.00"),
        ["W", "t2", "t1"],
    )
    later = eligible_routes(graph, [warehouse("W", "C1")], TREE, policy("0.29"), 3, ["t1"])
    assert later.route("W", "t1") is None


def test_jurisdiction_limits_warehouses_to_their_own_region_and_below_unless_cross_level():
    whs = [warehouse("W1", "C1"), warehouse("W2", "C2"), warehouse("WP", "P", "provincial")]
    roads = [road("W1", "t1", "1", "1"), road("W2", "t1", "1", "1"), road("WP", "t1", "1", "1")]
    graph = build_graph(TREE, whs, roads)
    strict = eligible_routes(graph, whs, TREE, policy(cross=(1,)), 3, ["t1"])
    assert strict.is_eligible("W1", "t1") and strict.is_eligible("WP", "t1")
    assert not strict.is_eligible("W2", "t1")
    assert strict.route("W2", "t1") is not None  # in time, but outside its county
    cross = eligible_routes(graph, whs, TREE, policy(cross=(1,)), 1, ["t1"])
    assert cross.is_eligible("W2", "t1")


def test_closing_a_road_reports_the_routes_it_cost():
    whs = [warehouse("W", "C1")]
    roads = [road("W", "t1", "10", "1"), road("t1", "t2", "10", "1"), road("W", "t2", "50", "5")]
    before = build_graph(TREE, whs, roads)
    after = build_graph(TREE, whs, roads, closed_pairs=[("W", "t1")])
    lost = lost_routes(before, after, [("W", "t1"), ("W", "t2"), ("W", "t3")])
    assert lost == [
        {"region_code": "t1", "warehouse_code": "W", "before_h": 1.0, "after_h": 6.0},
        {"region_code": "t2", "warehouse_code": "W", "before_h": 2.0, "after_h": 5.0},
    ]
    cut = build_graph(TREE, whs, roads, closed_pairs=[("W", "t1"), ("W", "t2")])
    assert lost_routes(before, cut)[0] == {
        "region_code": "t1",
        "warehouse_code": "W",
        "before_h": 1.0,
        "after_h": None,
    }


def test_zero_length_roads_do_not_break_the_route_rule():
    regions = [region(c) for c in "abcz"]
    roads = [
        road("a", "b", "0", "0"),
        road("b", "c", "0", "0"),
        road("c", "a", "0", "0"),
        road("c", "z", "1", "1"),
        road("a", "z", "1", "1"),
    ]
    graph = build_graph(regions, [], roads)
    # Tight edges form the cycle a-b-c; the walk must not revisit b. "c" < "z" at the
    # third position, so the longer sequence is the smaller one.
    assert fastest_route(graph, "b", "z") == (D("1.00"), D("1.00"), ["b", "a", "c", "z"])
    whs = [warehouse("b", "a")]
    routes = eligible_routes(graph, whs, regions, policy(), 1, ["z"])
    assert routes.route("b", "z").path == ["b", "a", "c", "z"]


# --------------------------------------------------------------------------- properties

codes = [f"n{i}" for i in range(7)]


@st.composite
def networks(draw):
    """A small random network: 7 nodes, up to 14 roads with small integer-ish times (so that
    ties are common), some closed, duplicates allowed."""
    n_roads = draw(st.integers(0, 14))
    roads = []
    for i in range(n_roads):
        a, b = draw(st.sampled_from(codes)), draw(st.sampled_from(codes))
        if a == b:
            continue
        h = draw(st.sampled_from(["0.5", "1", "1.5", "2", "0.25", "0.75", "0"]))
        km = draw(st.sampled_from(["1", "2", "3", "1.5", "0"]))
        status = draw(st.sampled_from(["open", "open", "open", "closed"]))
        roads.append(road(a, b, km, h, status, id=f"r{i}"))
    n_wh = draw(st.integers(1, 3))
    wh_codes = draw(st.lists(st.sampled_from(codes), min_size=n_wh, max_size=n_wh, unique=True))
    deadline = draw(st.sampled_from(["1", "1.5", "2", "3", "100"]))
    return roads, wh_codes, deadline


def _brute_force(graph: nx.Graph, a: str, b: str):
    best = None
    for path in nx.all_simple_paths(graph, a, b):
        t = sum(graph[x][y]["time_c"] for x, y in zip(path, path[1:], strict=False))
        d = sum(graph[x][y]["dist_c"] for x, y in zip(path, path[1:], strict=False))
        key = (t, d, path)
        if best is None or key < best:
            best = key
    return best


@settings(deadline=None)
@given(networks())
def test_routes_follow_the_tie_rule_on_every_simple_path(network):
    roads, wh_codes, _ = network
    regions = [region(c) for c in codes if c not in wh_codes]
    graph = build_graph(regions, [warehouse(w, "n0") for w in wh_codes], roads)
    for a in wh_codes:
        for b in codes:
            if a == b:
                continue
            expected = _brute_force(graph, a, b)
            got = fastest_route(graph, a, b)
            if expected is None:
                assert got is None
            else:
                assert got == (D(expected[0]) / 100, D(expected[1]) / 100, expected[2])


@settings(deadline=None)
@given(networks())
def test_scipy_eligibility_agrees_with_networkx(network):
    roads, wh_codes, deadline = network
    regions = [region(c) for c in codes if c not in wh_codes]
    whs = [warehouse(w, "n0") for w in wh_codes]
    graph = build_graph(regions, whs, roads)
    pol = policy(deadline, cross=(1,))
    targets = [r.code for r in regions]
    # Both search directions: from the warehouses (fewer) and from the regions (fewer).
    for wanted in (targets, targets[:1]):
        routes = eligible_routes(graph, whs, regions, pol, 1, wanted)
        # The same routes once more without the labels kept from the search, as when
        # too many would have to be kept (a fresh Dijkstra per searched node).
        fresh = eligible_routes(graph, whs, regions, pol, 1, wanted)
        fresh.labels = None
        limit = int(D(deadline) * 100)
        for w in wh_codes:
            times = nx.single_source_dijkstra_path_length(graph, w, cutoff=limit, weight="time_c")
            for j in wanted:
                route = routes.route(w, j)
                if j in times and j != w:
                    assert route is not None
                    assert (route.time_h, route.distance_km, route.path) == fastest_route(
                        graph, w, j
                    )
                    assert fresh.route(w, j) == route
                else:
                    assert route is None


def test_csr_view_keeps_zero_weight_edges_and_code_order():
    graph = build_graph([region("b"), region("a")], [], [road("a", "b", "0", "0")])
    index = RouteIndex(graph)
    assert index.codes == ["a", "b"]
    assert index.matrix.nnz == 2
    assert index.zero_edges


def test_a_warehouse_without_roads_and_a_disconnected_region_have_no_pairs():
    whs = [warehouse("W1", "C1"), warehouse("W2", "C1")]
    graph = build_graph(TREE, whs, [road("W1", "t1", "1", "1")])
    routes = eligible_routes(graph, whs, TREE, policy(), 3, ["t1", "t2"])
    assert routes.route("W2", "t1") is None
    assert routes.route("W1", "t2") is None
    assert routes.connected("W1", "t1") and not routes.connected("W1", "t2")
    assert routes.routes_from("W1") == {
        "t1": routes.route("W1", "t1"),
    }


@pytest.mark.parametrize("deadline", [None, "2"])
def test_a_level_without_deadline_is_not_cut_off(deadline):
    whs = [warehouse("W", "C1")]
    graph = build_graph(TREE, whs, [road("W", "t1", "1", "5")])
    pol = Policy(deadlines_h={} if deadline is None else {3: D(deadline)})
    routes = eligible_routes(graph, whs, TREE, pol, 3, ["t1"])
    assert routes.is_eligible("W", "t1") == (deadline is None)


@settings(max_examples=60, deadline=None)
@given(networks())
def test_csr_view_from_the_edge_table_equals_the_one_from_networkx(network):
    """RouteIndex reads build_graph's edge table; it must give the CSR view networkx's
    edge iteration gives (junction ends included), and fall back to networkx once the
    graph's edges changed."""
    roads, wh_codes, _ = network
    roads = [*roads, road("n0", "x9", "1", "1")]  # an end that is neither region nor depot
    graph = build_graph([region(c) for c in codes], [], roads)
    plain = graph.copy()
    plain.graph.pop("edge_table")
    fast, slow = RouteIndex(graph), RouteIndex(plain)
    assert fast.codes == slow.codes
    for name in ("indptr", "indices", "time_c", "dist_c", "composite"):
        assert getattr(fast, name).tolist() == getattr(slow, name).tolist()
    graph.remove_edge("n0", "x9")
    assert RouteIndex(graph).matrix.nnz == slow.matrix.nnz - 2
