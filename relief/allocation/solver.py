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
fixes those arcs and re-solves the free (zero reduced cost) arcs with transport costs,
one independent min-cost flow per part of the free network apart from S (``_parts``).
Both stages are proven optimal by OR-Tools, so the plan's status is ``optimal``.

An item whose needs can all be met (every priority > 0) skips stage 1: its optimal
deprivation is 0, so stage 2 is the cheapest transport meeting every need, one solve
(``_ItemNetwork.all_met``).

Items are independent, so they are solved in parallel processes when the model is large
(``RELIEF_SOLVER_WORKERS``, default one per CPU; ``RELIEF_SOLVER_PARALLEL_MIN_ARCS``):
each worker gets the same plain arrays (``_Shared``) and solves whole items with the same
code as the serial path, and the results are put back in item order, so a parallel plan
is the serial plan, line for line (docs/optimisation.md).

``time_limit_s``: min-cost flow cannot be interrupted and is fast (see docs/benchmarks.md).
The limit is checked between items: stage 1 always runs for every item (a plan must exist),
and once the limit has passed the remaining items keep their stage-1 flow without the
transport stage; the plan is then ``feasible`` (deprivation still optimal).

``keep``: items whose flows a caller already knows to be optimal for this input (a replan
after a road closure that none of the item's flows used, see ``relief.allocation.replan``)
are taken as given, as (warehouse, region, quantity) rows, and not solved again.

``progress``: a plain function ``progress(stage, done, total)`` told where the solve has got
to (``stage1``/``stage2`` with items done of items to solve, then ``explain``); the solver
only calls it, so it stays pure (relief.allocation.jobs stores it for a background plan).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from scipy.sparse.csgraph import connected_components, dijkstra

from relief.allocation.model import AllocationInput, PlanResult
from relief.allocation.problem import (
    SLOPES,
    ItemDemand,
    ItemOutputs,
    Problem,
    deprivation,
    quarter_sizes,
)

Progress = Callable[[str, int, int], None]

# OR-Tools scales costs by (nodes + 1) internally; stay well inside int64.
_COST_LIMIT = 2**62


def solve(
    inp: AllocationInput,
    time_limit_s: float | None = None,
    workers: int | None = None,
    keep: Mapping[str, Sequence[tuple[str, str, int]]] | None = None,
    progress: Progress | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> PlanResult:
    """The two-stage optimal plan for ``inp``.

    ``workers``: processes solving items at once (None: the solver settings; 0: one per
    CPU; 1: in this process). Small models are always solved in this process.
    ``meanwhile``: the caller's work that does not need the plan, done while the worker
    processes solve (in this process: before the items)."""
    with collection_paused():
        return _solve(inp, time_limit_s, workers, keep, progress, meanwhile)


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (and back on after, if it was
    on). A national plan makes millions of objects that live until the plan is made (the
    graph, the lines, their routes) and none of them cyclic garbage, so each automatic
    collection only walks them again: ≈ 0.5 CPU-seconds of this process per national
    plan, three full walks among them (docs/benchmarks.md, "Fifth pass"). Memory is
    still freed by reference counting; worker processes forked inside inherit it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _solve(
    inp: AllocationInput,
    time_limit_s: float | None,
    workers: int | None,
    keep: Mapping[str, Sequence[tuple[str, str, int]]] | None,
    progress: Progress | None,
    meanwhile: Callable[[], object] | None,
) -> PlanResult:
    started = time.perf_counter()
    problem = Problem.of(inp)  # already made when a replan checked what to reuse
    prepared = time.perf_counter() - started
    shared = _Shared.from_problem(problem)
    timings = {"prepare": min(prepared, problem.prepare_seconds), "stage1": 0.0, "stage2": 0.0}
    size = {
        "arcs_total": 0,
        "stage2_arcs_total": 0,
        "nodes_total": 0,
        "max_item_arcs": 0,
        "max_item_nodes": 0,
    }
    keep = keep or {}
    todo = [k for k, code in enumerate(problem.item_codes) if code not in keep]
    deadline = None if time_limit_s is None else time.monotonic() + time_limit_s
    n_workers = _worker_count(workers, shared, todo)
    # Each item's lines and unmet needs are made here as it comes back, while the
    # workers solve the others (this process would otherwise wait idle).
    made = ItemOutputs(problem)

    def make_outputs(k: int, result: _ItemResult) -> None:
        made.add(k, result.positions, result.quantities)

    t0 = time.perf_counter()
    solved = _solve_items(shared, todo, deadline, n_workers, progress, make_outputs, meanwhile)
    timings["items"] = time.perf_counter() - t0
    size["workers"] = n_workers
    size["items_reused"] = len(problem.item_codes) - len(todo)

    complete = True
    parts_item, parts_pos, parts_qty = [], [], []
    for k, code in enumerate(problem.item_codes):
        if code in keep:
            pos, qty = _kept_positions(problem, keep[code])
        else:
            r = solved[k]
            pos, qty = r.positions, r.quantities
            complete = complete and r.complete
            timings["stage1"] += r.stage1_s
            timings["stage2"] += r.stage2_s
            size["arcs_total"] += r.num_arcs
            size["nodes_total"] += r.num_nodes
            size["stage2_arcs_total"] += r.stage2_arcs
            size["max_item_arcs"] = max(size["max_item_arcs"], r.num_arcs)
            size["max_item_nodes"] = max(size["max_item_nodes"], r.num_nodes)
        parts_item.append(np.full(len(pos), k, dtype=np.int64))
        parts_pos.append(pos)
        parts_qty.append(qty)
    size.update(problem.model_counts())
    if progress is not None:
        progress("explain", 0, 1)
    result = problem.result(
        "optimal",
        "optimal" if complete else "feasible",
        _concat(parts_item),
        _concat(parts_pos),
        _concat(parts_qty),
        timings,
        size,
        made=made,
    )
    result.solve_seconds = time.perf_counter() - started
    result.timings["solve"] = result.solve_seconds
    return result


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _kept_positions(
    problem: Problem, rows: Sequence[tuple[str, str, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Pair positions and quantities of kept (warehouse, region, quantity) rows; every row
    must be an eligible pair of this input (else keeping it would be a caller's bug)."""
    routes = problem.routes
    n_w = len(problem.warehouse_codes)
    w_pos = {c: i for i, c in enumerate(problem.warehouse_codes)}
    j_pos = {c: i for i, c in enumerate(problem.region_codes)}
    ep = problem.eligible_positions
    key_of = routes.pair_j[ep].astype(np.int64) * n_w + routes.pair_w[ep]
    lookup = dict(zip(key_of.tolist(), ep.tolist(), strict=True))
    pos, qty = [], []
    for w, j, q in rows:
        key = j_pos[j] * n_w + w_pos[w] if w in w_pos and j in j_pos else None
        if key not in lookup:
            raise ValueError(f"kept flow {w} → {j} is not an eligible pair of this input")
        pos.append(lookup[key])
        qty.append(int(q))
    return np.array(pos, dtype=np.int64), np.array(qty, dtype=np.int64)


# --------------------------------------------------------------------------- items


@dataclass
class _Shared:
    """What every item's network is built from, as plain arrays: cheap to hand to a worker
    process, and built once for all items and both stages (eligible pairs and their
    stage-2 unit costs)."""

    positions: np.ndarray  # eligible pair positions in the routes
    pair_w: np.ndarray  # their warehouse and region (indices), aligned
    pair_j: np.ndarray
    transport: np.ndarray  # their stage-2 unit cost
    available: np.ndarray  # (warehouse, item)
    n_regions: int
    items: list[ItemDemand]

    @classmethod
    def from_problem(cls, problem: Problem) -> _Shared:
        ep = problem.eligible_positions
        transport, _ = problem.stage2_unit_costs(ep)
        return cls(
            positions=ep,
            pair_w=problem.routes.pair_w[ep].astype(np.int64),
            pair_j=problem.routes.pair_j[ep].astype(np.int64),
            transport=np.asarray(transport, dtype=np.int64),
            available=problem.available,
            n_regions=len(problem.region_codes),
            items=problem.items,
        )

    def arc_estimate(self, todo: Sequence[int]) -> int:
        """An upper bound of the arcs of the items ``todo`` (every eligible pair each)."""
        return len(self.positions) * len(todo)


@dataclass
class _ItemResult:
    positions: np.ndarray  # pair positions served
    quantities: np.ndarray
    complete: bool  # stage 2 ran
    stage1_s: float
    stage2_s: float
    num_arcs: int
    num_nodes: int
    stage2_arcs: int


def _solve_item(
    shared: _Shared, k: int, deadline: float | None, on_stage2: Callable[[], None] | None = None
) -> _ItemResult:
    """Both stages of item k (stage 2 skipped once ``deadline``, a time.monotonic(), has
    passed); ``on_stage2`` is called between the stages."""
    network = _ItemNetwork(shared, k)
    need = shared.items[k]
    t0 = time.perf_counter()
    flow = network.all_met()
    if flow is not None:
        # Every need met: stage 1's optimum is 0 and this one solve is stage 2's.
        cost1, complete, stage2_arcs = 0, True, network.num_arcs - len(network.seg_region)
        t1 = t0
        if on_stage2 is not None:
            on_stage2()
    else:
        flow1, cost1 = network.stage1()
        t1 = time.perf_counter()
        if on_stage2 is not None:
            on_stage2()
        complete = deadline is None or time.monotonic() <= deadline
        stage2_arcs = 0
        if complete:
            flow, stage2_arcs = network.stage2(flow1)
        else:
            flow = flow1
    t2 = time.perf_counter()
    x, u = network.split(flow)
    # The flow's deprivation must be the stage-1 optimum whatever stage 2 did.
    if deprivation(u, need.demand, need.priority) != cost1:
        raise RuntimeError(f"stage 2 changed the deprivation of item {need.item_code}")
    served = x > 0
    return _ItemResult(
        network.pair_positions[served],
        x[served],
        complete,
        t1 - t0,
        t2 - t1,
        network.num_arcs,
        network.num_nodes,
        stage2_arcs,
    )


def _worker_count(workers: int | None, shared: _Shared, todo: Sequence[int]) -> int:
    """How many processes solve the items: 1 for a small model or a single item."""
    from relief.config import get_solver_settings

    settings = get_solver_settings()
    if workers is None:
        workers = settings.workers
    if workers == 0:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        workers = workers or os.cpu_count() or 1
    workers = max(1, min(workers, len(todo)))
    if workers > 1 and shared.arc_estimate(todo) < settings.parallel_min_arcs:
        return 1
    if multiprocessing.current_process().daemon:
        return 1  # a daemonic process (some job runners' workers) may not start children
    return workers


_WORKER_SHARED: _Shared | None = None


def _init_worker(shared: _Shared) -> None:
    global _WORKER_SHARED
    _WORKER_SHARED = shared


def _worker_item(k: int, deadline: float | None) -> _ItemResult:
    assert _WORKER_SHARED is not None
    return _solve_item(_WORKER_SHARED, k, deadline)


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (this process runs one thread: nothing to copy half-locked),
    so the workers share the parent's arrays without pickling; else spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _serial(
    shared: _Shared,
    todo: Sequence[int],
    deadline: float | None,
    progress: Progress | None,
    on_item: Callable[[int, _ItemResult], None],
) -> dict[int, _ItemResult]:
    out: dict[int, _ItemResult] = {}
    total = len(todo)
    for done, k in enumerate(todo):
        if progress is None:
            out[k] = _solve_item(shared, k, deadline)
        else:
            progress("stage1", done, total)
            out[k] = _solve_item(
                shared, k, deadline, on_stage2=lambda done=done: progress("stage2", done, total)
            )
        on_item(k, out[k])
    if progress is not None:
        progress("stage2", total, total)
    return out


def _solve_items(
    shared: _Shared,
    todo: Sequence[int],
    deadline: float | None,
    workers: int,
    progress: Progress | None,
    on_item: Callable[[int, _ItemResult], None],
    meanwhile: Callable[[], object] | None = None,
) -> dict[int, _ItemResult]:
    """Item index → its result, solved in this process or in ``workers`` processes.
    ``on_item`` is given each result as it comes; in processes, ``progress`` hears of
    each item as it comes back (both stages at once). ``meanwhile`` is called once,
    after the items are handed out (first, in this process)."""
    if workers <= 1:
        if meanwhile is not None:
            meanwhile()
        return _serial(shared, todo, deadline, progress, on_item)
    # Largest items first, so that no worker is left with a big one at the end.
    order = sorted(todo, key=lambda k: -len(shared.items[k].demand))
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_pool_context(),
            initializer=_init_worker,
            initargs=(shared,),
        ) as pool:
            futures = {k: pool.submit(_worker_item, k, deadline) for k in order}
            if progress is not None:
                progress("stage1", 0, len(todo))
            if meanwhile is not None:
                meanwhile()
                meanwhile = None  # done, even if a worker dies and the items are solved here
            item_of = {future: k for k, future in futures.items()}
            for done, future in enumerate(as_completed(item_of), start=1):
                on_item(item_of[future], future.result())
                if progress is not None:
                    progress("stage2", done, len(todo))
            return {k: futures[k].result() for k in todo}
    except (BrokenProcessPool, OSError):
        # A worker died (killed, out of memory) or none could be started (process limits):
        # the plan is still owed; solve here.
        if meanwhile is not None:
            meanwhile()
        return _serial(shared, todo, deadline, progress, on_item)


class _ItemNetwork:
    """The min-cost-flow network of one item (see the module docstring)."""

    def __init__(self, shared: _Shared, k: int) -> None:
        need = shared.items[k]
        avail = shared.available[:, k]
        n_regions = len(need.region)
        demand_of = np.zeros(shared.n_regions, dtype=np.int64)
        demand_of[need.region] = need.demand
        local_region = np.full(shared.n_regions, -1, dtype=np.int64)
        local_region[need.region] = np.arange(n_regions)

        useful = (avail[shared.pair_w] > 0) & (demand_of[shared.pair_j] > 0)
        self.pair_positions = shared.positions[useful]
        pw = shared.pair_w[useful]
        pj = shared.pair_j[useful]
        transport = shared.transport[useful]
        # The warehouses of the pairs, in index order, and each pair's local warehouse
        # (np.unique without its sort: warehouse indices are few and dense).
        present = np.zeros(len(avail), dtype=bool)
        present[pw] = True
        warehouses = np.flatnonzero(present)
        local_of = np.cumsum(present) - 1
        local_w = local_of[pw]
        n_w = len(warehouses)
        # Nodes: 0 = S, 1..n_w = warehouses, then the regions.
        wnode = 1 + local_w
        jnode_of_region = 1 + n_w + np.arange(n_regions)
        jnode = 1 + n_w + local_region[pj]
        self._pair_local_w = local_w
        self._pair_local_j = local_region[pj]
        self._priorities_positive = bool(np.all(need.priority > 0))
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
        solved = self._attempt(tails, heads, caps, costs, supply, may_be_infeasible=False)
        assert solved is not None
        return solved

    def _attempt(
        self,
        tails: np.ndarray,
        heads: np.ndarray,
        caps: np.ndarray,
        costs: np.ndarray,
        supply: np.ndarray,
        may_be_infeasible: bool,
    ) -> tuple[np.ndarray, int] | None:
        """(flow per arc, cost); None when infeasible and ``may_be_infeasible``."""
        mcf = min_cost_flow.SimpleMinCostFlow()
        arcs = mcf.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32),
            heads.astype(np.int32),
            caps.astype(np.int64),
            costs.astype(np.int64),
        )
        mcf.set_nodes_supplies(np.arange(len(supply), dtype=np.int32), supply.astype(np.int64))
        status = mcf.solve()
        if may_be_infeasible and status == mcf.INFEASIBLE:
            return None
        if status != mcf.OPTIMAL:
            raise RuntimeError(f"min-cost flow for item {self.item_code} ended with {status}")
        return np.asarray(mcf.flows(arcs), dtype=np.int64), int(mcf.optimal_cost())

    def all_met(self) -> np.ndarray | None:
        """The two-stage optimum in one solve when every need can be met, else None.

        With every priority > 0, deprivation 0 means no unit unmet, so when the stock can
        meet every need, stage 1's optimum is exactly "every need met" and stage 2 is the
        cheapest transport meeting every need: the network without its unmet arcs, with
        the stage-2 costs. OR-Tools proves it infeasible (its max-flow phase) when the
        stock cannot; the cheap necessary conditions below (enough stock in all, and
        within reach of each region) skip that attempt in most such cases. With a
        priority of 0 an unmet unit costs nothing in stage 1 and may save transport in
        stage 2, so such items take the two stages."""
        need_total = int(self.supply[0])
        if need_total == 0 or not self._priorities_positive:
            return None
        n_w = self.num_nodes - 1 - self.n_regions
        avail = self.caps[self.n_pairs : self.n_pairs + n_w]
        if int(avail.sum()) < need_total:
            return None
        within_reach = np.bincount(
            self._pair_local_j, weights=avail[self._pair_local_w], minlength=self.n_regions
        )
        if np.any(within_reach < -self.supply[1 + n_w :]):
            return None
        m = self.num_arcs - len(self.seg_region)  # pairs and S → warehouse arcs
        solved = self._attempt(
            self.tails[:m],
            self.heads[:m],
            self.caps[:m],
            self.cost2[:m],
            self.supply,
            may_be_infeasible=True,
        )
        if solved is None:
            return None
        flow = np.zeros(self.num_arcs, dtype=np.int64)
        flow[:m] = solved[0]
        return flow

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
        # Parallel residual arcs are only S's quarters into one region (the arcs between
        # a warehouse and a region, and their reverses, are one per pair): keep the
        # cheapest of each region's, as scipy would sum them. The quarters come last, in
        # region order.
        q0 = self.num_arcs - len(self.seg_region)
        open_q = q0 + np.flatnonzero(forward[q0:])
        q_heads = self.heads[open_q]
        firsts = np.flatnonzero(np.r_[True, q_heads[1:] != q_heads[:-1]]) if len(open_q) else open_q
        forward[q0:] = False
        tails = np.concatenate(
            [self.tails[forward], self.heads[backward], np.zeros(len(firsts), dtype=np.int64)]
        )
        heads = np.concatenate([self.heads[forward], self.tails[backward], q_heads[firsts]])
        cheapest = np.minimum.reduceat(self.cost1[open_q], firsts) if len(firsts) else firsts
        costs = np.concatenate([self.cost1[forward], -self.cost1[backward], cheapest])
        graph = sp.csr_matrix(
            (costs.astype(np.float64), (tails, heads)), shape=(self.num_nodes, self.num_nodes)
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
        for arcs, nodes in self._parts(free_idx):
            # Each part on its own: S (local node 0) gives it exactly what it needs.
            local = np.zeros(self.num_nodes, dtype=np.int64)
            local[nodes] = 1 + np.arange(len(nodes))
            part_supply = np.zeros(1 + len(nodes), dtype=np.int64)
            part_supply[1:] = supply[nodes]
            part_supply[0] = -int(part_supply[1:].sum())
            flow[arcs], _ = self._solve(
                local[self.tails[arcs]],
                local[self.heads[arcs]],
                self.caps[arcs],
                self.cost2[arcs],
                part_supply,
            )
        return flow, len(free_idx)

    def _parts(self, free_idx: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The free arcs split into independent problems: (arcs, nodes other than S).

        Free arcs join nodes of equal potential, so apart from S the free network falls
        into parts (regions short of the item at one marginal deprivation, those fully
        served, ...) that only S joins. Arcs into or out of a part are free or fixed, and
        its nodes' supplies are fixed, so S must give each part exactly what the part's
        nodes need (their adjusted supplies' sum): the parts are independent problems,
        solved one by one, which is cheaper than one problem of them all. S's own node
        is left out of the components (it is in every part)."""
        tails, heads = self.tails[free_idx], self.heads[free_idx]
        inner = tails != 0
        graph = sp.csr_matrix(
            (np.ones(int(inner.sum()), dtype=np.int8), (tails[inner], heads[inner])),
            shape=(self.num_nodes, self.num_nodes),
        )
        n, label = connected_components(graph, directed=False)
        # An arc from S belongs to its head's part; every other free arc lies in one part.
        arc_part = label[heads]
        node_part = label.copy()
        node_part[0] = -1  # S is every part's source, in none of them
        arc_order = np.argsort(arc_part, kind="stable")
        node_order = np.argsort(node_part, kind="stable")
        arc_bounds = np.searchsorted(arc_part[arc_order], np.arange(n + 1))
        node_bounds = np.searchsorted(node_part[node_order], np.arange(n + 1))
        parts = []
        for c in range(n):
            arcs = free_idx[arc_order[arc_bounds[c] : arc_bounds[c + 1]]]
            nodes = node_order[node_bounds[c] : node_bounds[c + 1]]
            if len(arcs):
                parts.append((arcs, nodes))
        return parts

    def split(self, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(quantity per eligible pair, unmet per region) from a flow."""
        x = flow[: self.n_pairs]
        seg_flow = flow[self.num_arcs - len(self.seg_region) :]
        u = np.bincount(self.seg_region, weights=seg_flow, minlength=self.n_regions)
        return x, u.astype(np.int64)
