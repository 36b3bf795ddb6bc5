"""The optimal allocation (method ``optimal``): SCENARIOS.md's two-stage model, solved
exactly per item as min-cost flows with OR-Tools.

There is no capacity shared between items (each warehouse's stock is per item, and
vehicles are not modelled), so the model splits into one independent problem per item.

Per item, the flow network is::

    S ──(cap a[w], cost 0)──► w ──(cap d[j], transport)──► j      (eligible pairs only)
    S ──(4 parallel arcs, caps = the quarters of d[j], costs p·1, p·2, p·4, p·8)──► j

S supplies Σ d[j] and every region j demands d[j]: each unit of need arrives either from a
warehouse (served) or over an "unmet" arc. The deprivation D(u, d) is convex in u and its
four quarters are arcs of increasing cost, so a min-cost flow fills the cheap quarter
first: the flow cost on unmet arcs is exactly Σ p·D(u, d). Warehouse stock that no region
may take simply stays in S's arcs unused.

Stage 1 minimises deprivation (transport arcs cost 0). Stage 2 minimises transport among
the stage-1 optima, exactly, without a big-M weight (which overflows int64 at national
scale): the shortest-path distances π in the stage-1 residual graph are optimal duals;
complementary slackness says a flow is stage-1 optimal iff it leaves arcs of positive
reduced cost c + π(tail) − π(head) empty and fills arcs of negative reduced cost. Stage 2
fixes those arcs and re-solves the free (zero reduced cost) arcs with transport costs.
Both stages are proven optimal by OR-Tools, so the plan's status is ``optimal``.

``time_limit_s``: min-cost flow cannot be interrupted and is fast (see docs/benchmarks.md).
The limit is checked between items: stage 1 always runs for every item (a plan must exist),
and once the limit has passed the remaining items keep their stage-1 flow without the
transport stage; the plan is then ``feasible`` (deprivation still optimal).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from scipy.sparse.csgraph import dijkstra

from relief.allocation.model import AllocationInput, PlanResult
from relief.allocation.problem import SLOPES, Problem, deprivation, quarter_sizes

# OR-Tools scales costs by (nodes + 1) internally; stay well inside int64.
_COST_LIMIT = 2**62


def solve(inp: AllocationInput, time_limit_s: float | None = None) -> PlanResult:
    """The two-stage optimal plan for ``inp``."""
    started = time.perf_counter()
    problem = Problem(inp)
    timings = {"prepare": problem.prepare_seconds, "stage1": 0.0, "stage2": 0.0}
    parts_item, parts_pos, parts_qty = [], [], []
    # Summed over the per-item networks (stage 2 runs on the arcs left free by stage 1).
    size = {
        "arcs_total": 0,
        "stage2_arcs_total": 0,
        "nodes_total": 0,
        "max_item_arcs": 0,
        "max_item_nodes": 0,
    }
    complete = True
    for k, need in enumerate(problem.items):
        network = _ItemNetwork(problem, k)
        size["arcs_total"] += network.num_arcs
        size["nodes_total"] += network.num_nodes
        size["max_item_arcs"] = max(size["max_item_arcs"], network.num_arcs)
        size["max_item_nodes"] = max(size["max_item_nodes"], network.num_nodes)
        t0 = time.perf_counter()
        flow1, cost1 = network.stage1()
        t1 = time.perf_counter()
        timings["stage1"] += t1 - t0
        if time_limit_s is not None and t1 - started > time_limit_s:
            complete = False
            flow = flow1
        else:
            flow, free_arcs = network.stage2(flow1)
            size["stage2_arcs_total"] += free_arcs
            timings["stage2"] += time.perf_counter() - t1
        x, u = network.split(flow)
        # The flow's deprivation must be the stage-1 optimum whatever stage 2 did.
        if deprivation(u, need.demand, need.priority) != cost1:
            raise RuntimeError(f"stage 2 changed the deprivation of item {need.item_code}")
        served = x > 0
        parts_item.append(np.full(int(served.sum()), k, dtype=np.int64))
        parts_pos.append(network.pair_positions[served])
        parts_qty.append(x[served])
    size.update(problem.model_counts())
    result = problem.result(
        "optimal",
        "optimal" if complete else "feasible",
        _concat(parts_item),
        _concat(parts_pos),
        _concat(parts_qty),
        timings,
        size,
    )
    result.solve_seconds = time.perf_counter() - started
    result.timings["solve"] = result.solve_seconds
    return result


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


class _ItemNetwork:
    """The min-cost-flow network of one item (see the module docstring)."""

    def __init__(self, problem: Problem, k: int) -> None:
        need = problem.items[k]
        routes = problem.routes
        avail = problem.available[:, k]
        n_regions = len(need.region)
        demand_of = np.zeros(len(problem.region_codes), dtype=np.int64)
        demand_of[need.region] = need.demand
        local_region = np.full(len(problem.region_codes), -1, dtype=np.int64)
        local_region[need.region] = np.arange(n_regions)

        ep = problem.eligible_positions
        useful = (avail[routes.pair_w[ep]] > 0) & (demand_of[routes.pair_j[ep]] > 0)
        self.pair_positions = ep[useful]
        pw = routes.pair_w[self.pair_positions]
        pj = routes.pair_j[self.pair_positions]
        warehouses, local_w = np.unique(pw, return_inverse=True)
        n_w = len(warehouses)
        # Nodes: 0 = S, 1..n_w = warehouses, then the regions.
        wnode = 1 + local_w
        jnode_of_region = 1 + n_w + np.arange(n_regions)
        jnode = 1 + n_w + local_region[pj]
        self.num_nodes = 1 + n_w + n_regions
        self.n_regions = n_regions
        self.n_pairs = len(self.pair_positions)

        sizes = quarter_sizes(need.demand)
        seg_region = np.repeat(np.arange(n_regions), 4)
        seg_cap = sizes.reshape(-1)
        seg_cost = (need.priority[:, None] * np.array(SLOPES, dtype=np.int64)).reshape(-1)
        seg_keep = seg_cap > 0
        seg_region, seg_cap, seg_cost = seg_region[seg_keep], seg_cap[seg_keep], seg_cost[seg_keep]
        self.seg_region = seg_region

        transport, _ = problem.stage2_unit_costs(self.pair_positions)
        # Arc blocks, in order: warehouse → region pairs, S → warehouse, S → region quarters.
        self.tails = np.concatenate([wnode, np.zeros(n_w + len(seg_cap), dtype=np.int64)])
        self.heads = np.concatenate([jnode, 1 + np.arange(n_w), jnode_of_region[seg_region]])
        self.caps = np.concatenate([demand_of[pj], avail[warehouses], seg_cap])
        self.cost1 = np.concatenate([np.zeros(self.n_pairs + n_w, dtype=np.int64), seg_cost])
        self.cost2 = np.concatenate([transport, np.zeros(n_w + len(seg_cap), dtype=np.int64)])
        self.supply = np.zeros(self.num_nodes, dtype=np.int64)
        self.supply[0] = int(need.demand.sum())
        self.supply[jnode_of_region] = -need.demand
        self.num_arcs = len(self.tails)
        self.item_code = need.item_code
        self._check_range(self.cost1)
        self._check_range(self.cost2)

    def _check_range(self, cost: np.ndarray) -> None:
        top = int(cost.max()) if len(cost) else 0
        total = int(self.supply[0])
        if top * (self.num_nodes + 1) >= _COST_LIMIT or top * max(total, 1) >= _COST_LIMIT:
            raise ValueError(
                f"item {self.item_code}: costs too large for an exact min-cost flow "
                "(priority or distances out of range)"
            )

    def _solve(
        self,
        tails: np.ndarray,
        heads: np.ndarray,
        caps: np.ndarray,
        costs: np.ndarray,
        supply: np.ndarray,
    ) -> tuple[np.ndarray, int]:
        mcf = min_cost_flow.SimpleMinCostFlow()
        arcs = mcf.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32),
            heads.astype(np.int32),
            caps.astype(np.int64),
            costs.astype(np.int64),
        )
        mcf.set_nodes_supplies(np.arange(len(supply), dtype=np.int32), supply.astype(np.int64))
        status = mcf.solve()
        if status != mcf.OPTIMAL:
            raise RuntimeError(f"min-cost flow for item {self.item_code} ended with {status}")
        return np.asarray(mcf.flows(arcs), dtype=np.int64), int(mcf.optimal_cost())

    def stage1(self) -> tuple[np.ndarray, int]:
        """Minimum deprivation: (flow per arc, deprivation)."""
        return self._solve(self.tails, self.heads, self.caps, self.cost1, self.supply)

    def potentials(self, flow: np.ndarray) -> np.ndarray:
        """Optimal duals of stage 1: shortest distances from S in its residual graph.

        Every residual arc costs ≥ 0 except the reverses of used unmet arcs, which all lead
        into S; a shortest path from S never returns to S (that would be a negative cycle,
        impossible at an optimum), so those arcs are left out and Dijkstra is exact. Nodes
        that S cannot reach get a potential above every other, which keeps all reduced
        costs of residual arcs ≥ 0."""
        forward = flow < self.caps
        backward = (flow > 0) & (self.tails != 0)
        tails = np.concatenate([self.tails[forward], self.heads[backward]])
        heads = np.concatenate([self.heads[forward], self.tails[backward]])
        costs = np.concatenate([self.cost1[forward], -self.cost1[backward]])
        # Parallel residual arcs (the quarters): keep the cheapest, as scipy would sum them.
        order = np.lexsort((costs, heads, tails))
        tails, heads, costs = tails[order], heads[order], costs[order]
        first = np.ones(len(tails), dtype=bool)
        first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
        graph = sp.csr_matrix(
            (costs[first].astype(np.float64), (tails[first], heads[first])),
            shape=(self.num_nodes, self.num_nodes),
        )
        dist = dijkstra(graph, directed=True, indices=0)
        finite = np.isfinite(dist)
        top = float(dist[finite].max()) if finite.any() else 0.0
        dist[~finite] = top + float(np.abs(self.cost1).max(initial=0)) + 1.0
        return dist.astype(np.int64)

    def stage2(self, flow1: np.ndarray) -> tuple[np.ndarray, int]:
        """Minimum transport among the stage-1 optima: (flow per arc, number of free arcs)."""
        pi = self.potentials(flow1)
        reduced = self.cost1 + pi[self.tails] - pi[self.heads]
        # Duality check: residual arcs must have non-negative reduced cost at an optimum.
        if np.any(reduced[flow1 < self.caps] < 0) or np.any(reduced[flow1 > 0] > 0):
            raise RuntimeError(f"stage-1 duals of item {self.item_code} are inconsistent")
        forced = reduced < 0
        free = reduced == 0
        supply = self.supply.copy()
        np.subtract.at(supply, self.tails[forced], self.caps[forced])
        np.add.at(supply, self.heads[forced], self.caps[forced])
        flow = np.where(forced, self.caps, 0)
        free_idx = np.flatnonzero(free)
        flow_free, _ = self._solve(
            self.tails[free_idx],
            self.heads[free_idx],
            self.caps[free_idx],
            self.cost2[free_idx],
            supply,
        )
        flow[free_idx] = flow_free
        return flow, len(free_idx)

    def split(self, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(quantity per eligible pair, unmet per region) from a flow."""
        x = flow[: self.n_pairs]
        seg_flow = flow[self.num_arcs - len(self.seg_region) :]
        u = np.bincount(self.seg_region, weights=seg_flow, minlength=self.n_regions)
        return x, u.astype(np.int64)
