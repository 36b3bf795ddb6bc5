"""Properties of the optimal plan on small random networks, checked against formulations
written here, independently of the solver: eligibility from networkx and the region tree,
both stages as linear programs solved by HiGHS (scipy), and brute force on tiny cases."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal
from unittest import mock

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from relief.allocation.greedy import greedy
from relief.allocation.model import AllocationInput, DemandLine
from relief.allocation.problem import Problem
from relief.allocation.solver import _ItemNetwork, _Shared, solve
from relief.emergency.records import Policy
from relief.network.records import Item, Region, Road, StockLevel, Warehouse

D = Decimal
REGIONS = [
    Region("P", "P", "province", None, 0, 0),
    Region("F", "F", "prefecture", "P", 0, 0),
    Region("C1", "C1", "county", "F", 0, 0),
    Region("C2", "C2", "county", "F", 0, 0),
    Region("t1", "t1", "township", "C1", 0, 0),
    Region("t2", "t2", "township", "C1", 0, 0),
    Region("t3", "t3", "township", "C2", 0, 0),
    Region("t4", "t4", "township", "C2", 0, 0),
]
HOMES = {"provincial": ["P"], "prefecture": ["F"], "county": ["C1", "C2"]}
TOWNSHIPS = ["t1", "t2", "t3", "t4"]
ITEMS = [Item("a", "a", "a", "u", D("12.5"), D(0), ""), Item("b", "b", "b", "u", D("3"), D(0), "")]
PENALTY = {"county": 0, "prefecture": 20, "provincial": 60}
CROSS_PENALTY = 30


@st.composite
def instances(draw):
    n_w = draw(st.integers(1, 4))
    warehouses = []
    for i in range(n_w):
        tier = draw(st.sampled_from(sorted(HOMES)))
        warehouses.append(
            Warehouse(f"W{i}", f"W{i}", tier, draw(st.sampled_from(HOMES[tier])), 0, 0)
        )
    nodes = [w.code for w in warehouses] + TOWNSHIPS
    roads = []
    for _ in range(draw(st.integers(0, 12))):
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        if a != b:
            roads.append(
                Road(
                    None,
                    a,
                    b,
                    D(draw(st.sampled_from(["5", "12.5", "20", "33.25", "60"]))),
                    D(draw(st.sampled_from(["0.5", "1", "1.25", "2", "3"]))),
                    draw(st.sampled_from(["open", "open", "open", "closed"])),
                )
            )
    stock = [
        StockLevel(
            w.code,
            k.code,
            draw(st.integers(0, 30)),
            draw(st.integers(0, 4)),
            draw(st.integers(0, 4)),
        )
        for w in warehouses
        for k in ITEMS
        if draw(st.booleans())
    ]
    demand = [
        DemandLine(j, k.code, draw(st.integers(1, 40)), draw(st.integers(0, 10)))
        for j in TOWNSHIPS
        for k in ITEMS
        if draw(st.integers(0, 2))
    ]
    level = draw(st.integers(1, 4))
    policy = Policy(
        deadlines_h={1: D("2"), 2: D("3"), 3: D("2.5"), 4: D("4")},
        cross_jurisdiction_levels=frozenset({1, 2}),
        tier_penalty_ton_km={k: D(v) for k, v in PENALTY.items()},
        cross_jurisdiction_penalty_ton_km=D(CROSS_PENALTY),
    )
    return AllocationInput(REGIONS, warehouses, ITEMS, stock, demand, policy, level, roads=roads)


# --------------------------------------------------------------------------- oracles


def oracle_graph(inp: AllocationInput) -> nx.Graph:
    """Open roads; of parallel roads the fastest, then shortest (hundredths as ints)."""
    g = nx.Graph()
    g.add_nodes_from([w.code for w in inp.warehouses] + [r.code for r in inp.regions])
    for r in inp.roads:
        if r.status != "open":
            continue
        t, d = int(r.travel_time_h * 100), int(r.distance_km * 100)
        if not g.has_edge(r.from_code, r.to_code) or (t, d) < (
            g[r.from_code][r.to_code]["t"],
            g[r.from_code][r.to_code]["d"],
        ):
            g.add_edge(r.from_code, r.to_code, t=t, d=d)
    return g


def oracle_routes(inp: AllocationInput, g: nx.Graph) -> dict[tuple[str, str], tuple[int, int]]:
    """(warehouse, township) → (time, distance) of the fastest-then-shortest simple path,
    for pairs within the deadline, by enumerating simple paths."""
    deadline = int(inp.policy.deadlines_h[inp.level] * 100)
    out = {}
    for w in inp.warehouses:
        for j in TOWNSHIPS:
            best = None
            for path in nx.all_simple_paths(g, w.code, j):
                legs = list(zip(path, path[1:], strict=False))
                key = (sum(g[a][b]["t"] for a, b in legs), sum(g[a][b]["d"] for a, b in legs))
                best = key if best is None or key < best else best
            if best is not None and best[0] <= deadline:
                out[(w.code, j)] = best
    return out


def in_jurisdiction(w: Warehouse, j: str) -> bool:
    parent = {r.code: r.parent_code for r in REGIONS}
    chain = [j]
    while parent.get(chain[-1]):
        chain.append(parent[chain[-1]])
    return w.region_code in chain


def available(inp: AllocationInput) -> dict[tuple[str, str], int]:
    return {
        (s.warehouse_code, s.item_code): max(0, s.on_hand - s.floor - s.reserved) for s in inp.stock
    }


def lp_optimum(inp: AllocationInput, routes) -> tuple[int, float]:
    """(stage-1 deprivation, stage-2 transport in ton-km incl. penalties) from two LPs.

    Variables per item: x[w,j] on eligible pairs and four unmet segments s[j,q] with
    bounds ⌈qd/4⌉ − ⌈(q−1)d/4⌉ and costs p·2^q. The constraint matrix is a network matrix,
    so the LP optimum is integral and equals the integer optimum."""
    wh = {w.code: w for w in inp.warehouses}
    avail = available(inp)
    cross = inp.level in inp.policy.cross_jurisdiction_levels
    weight = {i.code: float(i.weight_kg) for i in ITEMS}
    total1, total2 = 0, 0.0
    for item in ITEMS:
        lines = [d for d in inp.demand if d.item_code == item.code and d.quantity > 0]
        if not lines:
            continue
        pairs = [
            (w, d.region_code)
            for d in lines
            for w in wh
            if (w, d.region_code) in routes
            and avail.get((w, item.code), 0) > 0
            and (cross or in_jurisdiction(wh[w], d.region_code))
        ]
        n_x = len(pairs)
        segs = []
        for d in lines:
            cuts = [0] + [-(-q * d.quantity // 4) for q in (1, 2, 3, 4)]
            for q in range(4):
                segs.append((d.region_code, cuts[q + 1] - cuts[q], d.priority * 2**q))
        n = n_x + len(segs)
        a_eq = np.zeros((len(lines), n))
        b_eq = np.array([d.quantity for d in lines], dtype=float)
        row = {d.region_code: i for i, d in enumerate(lines)}
        for v, (_, j) in enumerate(pairs):
            a_eq[row[j], v] = 1
        for s, (j, _, _) in enumerate(segs):
            a_eq[row[j], n_x + s] = 1
        whs = sorted({w for w, _ in pairs})
        a_ub = np.zeros((len(whs), n))
        b_ub = np.array([avail[(w, item.code)] for w in whs], dtype=float)
        for v, (w, _) in enumerate(pairs):
            a_ub[whs.index(w), v] = 1
        bounds = [(0, None)] * n_x + [(0, size) for _, size, _ in segs]
        c1 = np.array([0.0] * n_x + [cost for _, _, cost in segs])
        ub = (a_ub, b_ub) if whs else (None, None)
        r1 = linprog(
            c1, A_ub=ub[0], b_ub=ub[1], A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs"
        )
        assert r1.status == 0
        best1 = round(r1.fun)
        total1 += best1
        # Stage 2: hold stage 1 at its optimum, minimise ton-km with penalties.
        c2 = np.array(
            [
                weight[item.code]
                / 1000
                * (
                    routes[(w, j)][1] / 100
                    + PENALTY[wh[w].tier]
                    + (0 if in_jurisdiction(wh[w], j) else CROSS_PENALTY)
                )
                for w, j in pairs
            ]
            + [0.0] * len(segs)
        )
        a2 = np.vstack([a_ub, c1]) if whs else c1[None, :]
        b2 = np.concatenate([b_ub, [best1 + 1e-7]]) if whs else np.array([best1 + 1e-7])
        r2 = linprog(c2, A_ub=a2, b_ub=b2, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert r2.status == 0
        total2 += r2.fun
    return total1, total2


def transport_cost(plan, inp: AllocationInput) -> float:
    wh = {w.code: w for w in inp.warehouses}
    weight = {i.code: float(i.weight_kg) for i in ITEMS}
    return sum(
        line.quantity
        * weight[line.item_code]
        / 1000
        * (
            float(line.distance_km)
            + PENALTY[wh[line.warehouse_code].tier]
            + (0 if in_jurisdiction(wh[line.warehouse_code], line.region_code) else CROSS_PENALTY)
        )
        for line in plan.lines
    )


# --------------------------------------------------------------------------- properties


@settings(deadline=None)
@given(instances())
def test_plan_respects_stock_demand_and_eligibility(inp):
    plan = solve(inp)
    g = oracle_graph(inp)
    routes = oracle_routes(inp, g)
    avail = available(inp)
    cross = inp.level in inp.policy.cross_jurisdiction_levels
    wh = {w.code: w for w in inp.warehouses}
    used: dict[tuple[str, str], int] = {}
    got: dict[tuple[str, str], int] = {}
    for line in plan.lines:
        assert line.quantity > 0
        assert (line.warehouse_code, line.region_code) in routes
        assert cross or in_jurisdiction(wh[line.warehouse_code], line.region_code)
        t, d = routes[(line.warehouse_code, line.region_code)]
        assert (int(line.eta_h * 100), int(line.distance_km * 100)) == (t, d)
        assert line.path[0] == line.warehouse_code and line.path[-1] == line.region_code
        k = (line.warehouse_code, line.item_code)
        used[k] = used.get(k, 0) + line.quantity
        k = (line.region_code, line.item_code)
        got[k] = got.get(k, 0) + line.quantity
    assert all(q <= avail.get(k, 0) for k, q in used.items())
    need = {(d.region_code, d.item_code): d.quantity for d in inp.demand}
    assert all(q <= need[k] for k, q in got.items())
    assert plan.stats["allocated"] == sum(got.values())
    assert plan.stats["shortfall"] == sum(need.values()) - sum(got.values())
    # Every need left short is explained, with the reason an independent reading gives.
    short = {k for k, q in need.items() if got.get(k, 0) < q}
    assert {(u.region_code, u.item_code) for u in plan.unmet} == short
    for u in plan.unmet:
        holders = [w for w in wh if avail.get((w, u.item_code), 0) > 0] or list(wh)
        if not any(nx.has_path(g, w, u.region_code) for w in holders):
            expected = "no_route"
        elif not any((w, u.region_code) in routes for w in holders):
            expected = "deadline"
        elif not any(
            (w, u.region_code) in routes and (cross or in_jurisdiction(wh[w], u.region_code))
            for w in holders
        ):
            expected = "jurisdiction"
        else:
            expected = "stock_exhausted"
        assert u.reason == expected


@settings(deadline=None)
@given(instances())
def test_no_need_is_left_short_beside_an_eligible_warehouse_that_still_has_stock(inp):
    avail = available(inp)
    priority = {(d.region_code, d.item_code): d.priority for d in inp.demand}
    for plan in (solve(inp), greedy(inp)):
        used: dict[tuple[str, str], int] = {}
        for line in plan.lines:
            key = (line.warehouse_code, line.item_code)
            used[key] = used.get(key, 0) + line.quantity
        for u in plan.unmet:
            for w, left in u.eligible:
                assert left == avail.get((w, u.item_code), 0) - used.get((w, u.item_code), 0)
                if priority[(u.region_code, u.item_code)] > 0:
                    assert left == 0
            if u.reason != "stock_exhausted":
                assert all(avail.get((w, u.item_code), 0) == 0 for w, _ in u.eligible)


@settings(deadline=None)
@given(instances())
def test_both_stages_equal_an_independent_linear_program(inp):
    plan = solve(inp)
    routes = oracle_routes(inp, oracle_graph(inp))
    best1, best2 = lp_optimum(inp, routes)
    assert plan.status == "optimal"
    assert plan.stats["deprivation"] == best1
    assert abs(transport_cost(plan, inp) - best2) <= 1e-6 * max(1.0, best2)


@settings(deadline=None)
@given(instances())
def test_optimal_deprivation_is_never_worse_than_greedy(inp):
    best = solve(inp)
    base = greedy(inp)
    assert best.stats["deprivation"] <= base.stats["deprivation"]
    if best.stats["deprivation"] == base.stats["deprivation"]:
        # Equal first stage: the optimal plan's transport (with penalties) is no dearer.
        assert transport_cost(best, inp) <= transport_cost(base, inp) + 1e-9


@settings(deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=2, max_size=2),
    st.lists(st.integers(0, 5), min_size=2, max_size=2),
    st.lists(st.integers(0, 4), min_size=2, max_size=2),
    st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_deprivation_equals_brute_force_on_tiny_cases(stocks, needs, priorities, links):
    # Two county depots, two townships, one item; every integer allocation enumerated.
    whs = [Warehouse("W0", "W0", "county", "C1", 0, 0), Warehouse("W1", "W1", "county", "C1", 0, 0)]
    pairs = [
        (w, j)
        for (w, j), on in zip(itertools.product(["W0", "W1"], ["t1", "t2"]), links, strict=True)
        if on
    ]
    roads = [Road(None, w, j, D(1), D(1)) for w, j in pairs]
    inp = AllocationInput(
        REGIONS,
        whs,
        ITEMS,
        [StockLevel(f"W{i}", "a", s) for i, s in enumerate(stocks)],
        [
            DemandLine(j, "a", q, p)
            for j, q, p in zip(["t1", "t2"], needs, priorities, strict=True)
            if q
        ],
        Policy(deadlines_h={3: D(2)}),
        3,
        roads=roads,
    )

    def dep(u: int, d: int, p: int) -> int:
        cuts = [-(-q * d // 4) for q in (1, 2, 3)]
        return p * sum(
            1 if i <= cuts[0] else 2 if i <= cuts[1] else 4 if i <= cuts[2] else 8
            for i in range(1, u + 1)
        )

    best = None
    for x in itertools.product(range(6), repeat=len(pairs)):
        sent = {w: 0 for w in ["W0", "W1"]}
        recv = {"t1": 0, "t2": 0}
        for (w, j), q in zip(pairs, x, strict=True):
            sent[w] += q
            recv[j] += q
        if sent["W0"] > stocks[0] or sent["W1"] > stocks[1]:
            continue
        if recv["t1"] > needs[0] or recv["t2"] > needs[1]:
            continue
        value = sum(
            dep(needs[i] - recv[j], needs[i], priorities[i]) for i, j in enumerate(["t1", "t2"])
        )
        best = value if best is None else min(best, value)
    assert solve(inp).stats["deprivation"] == best


@settings(deadline=None)
@given(instances())
def test_one_solve_for_needs_that_can_all_be_met_equals_the_two_stages(inp):
    # Plenty of stock and priorities above 0: most items take the one-solve path
    # (_ItemNetwork.all_met); the optimum must be the LP's and the two stages' alike.
    inp = dataclasses.replace(
        inp,
        stock=[dataclasses.replace(s, on_hand=s.on_hand + 60) for s in inp.stock],
        demand=[dataclasses.replace(d, priority=max(1, d.priority)) for d in inp.demand],
    )
    plan = solve(inp)
    with mock.patch.object(_ItemNetwork, "all_met", lambda self: None):
        two_stages = solve(inp)
    routes = oracle_routes(inp, oracle_graph(inp))
    best1, best2 = lp_optimum(inp, routes)
    for p in (plan, two_stages):
        assert p.status == "optimal"
        assert p.stats["deprivation"] == best1
        assert abs(transport_cost(p, inp) - best2) <= 1e-6 * max(1.0, best2)


@settings(deadline=None)
@given(instances())
def test_stage1_duals_are_shortest_distances_in_the_residual_graph(inp):
    # Stage 2 fixes arcs by these potentials, so they must be the exact shortest distances
    # from S in stage 1's residual graph (parallel quarters and arcs into S included here,
    # by Bellman-Ford); nodes S cannot reach lie above every reachable one.
    problem = Problem.of(inp)
    shared = _Shared.from_problem(problem)
    for k in range(len(problem.items)):
        network = _ItemNetwork(shared, k)
        flow, _ = network.stage1()
        pi = network.potentials(flow)
        cheapest: dict[tuple[int, int], int] = {}
        arcs = zip(network.tails, network.heads, network.caps, network.cost1, flow, strict=True)
        for t, h, cap, c, f in arcs:
            residual = [(int(t), int(h), int(c))] if f < cap else []
            residual += [(int(h), int(t), -int(c))] if f > 0 else []
            for u, v, w in residual:
                cheapest[u, v] = min(w, cheapest.get((u, v), w))
        g = nx.DiGraph()
        g.add_nodes_from(range(network.num_nodes))
        g.add_weighted_edges_from((u, v, w) for (u, v), w in cheapest.items())
        dist = nx.single_source_bellman_ford_path_length(g, 0)
        assert {v: int(pi[v]) for v in dist} == dist
        unreachable = [v for v in range(network.num_nodes) if v not in dist]
        assert all(pi[v] > max(dist.values()) for v in unreachable)
