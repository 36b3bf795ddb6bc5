"""One way into a plan: plain inputs → graph → eligibility → closures → available stock →
fingerprint → ``AllocationInput`` → solve (the solvers explain every shortfall).

Every plan is made here, whatever its inputs come from. Each source reads its own records
and hands them over as a ``PlanSource``:

- the folder source, ``relief.allocation.planning`` (``relief plan --scenario DIR``, the
  bench): a scenario record, all its stock, the event's closures as pairs of ends;
- the database source, ``relief.allocation.service`` (the API, the web pages, background
  jobs in ``relief.allocation.jobs``): the network, the stock usable on the plan's arrival
  day, the response's net demand, the event's closed road ids and the what-if closures.

Pure code over records: nothing here reads the database, a folder or the clock, so the
same inputs give the same plan (and the same fingerprint) from either source. Needs come
computed (``relief.emergency.needs``); the network layer knows routes, not policies.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import networkx as nx
import numpy as np

from relief.allocation.greedy import greedy
from relief.allocation.model import AllocationInput, DemandLine, PlanResult
from relief.allocation.solver import Progress, collection_paused, solve
from relief.emergency.records import Policy
from relief.network.graph import (
    EligibilitySearch,
    EligibleRoutes,
    RouteIndex,
    SearchPart,
    closed_road_pairs,
    road_table,
)
from relief.network.records import Item, Region, Road, StockLevel, Warehouse

Pair = tuple[str, str]


# --------------------------------------------------------------------------- fingerprint


def eligible_available(
    routes: EligibleRoutes, stock: Iterable[StockLevel], demand: Iterable[DemandLine]
) -> dict[tuple[str, str], int]:
    """Available stock (on_hand − reserved − floor, ≥ 0) of every warehouse × item where
    the warehouse is eligible for at least one region with demand for the item; 0 when
    the warehouse keeps none. This is the stock a plan depends on."""
    avail: dict[tuple[str, str], int] = {}
    for s in stock:
        key = (s.warehouse_code, s.item_code)
        avail[key] = avail.get(key, 0) + s.on_hand - s.reserved - s.floor
    region_pos = {c: i for i, c in enumerate(routes.region_codes)}
    item_codes: list[str] = []
    item_pos: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for line in demand:
        if line.quantity > 0 and line.region_code in region_pos:
            k = item_pos.get(line.item_code)
            if k is None:
                k = item_pos[line.item_code] = len(item_codes)
                item_codes.append(line.item_code)
            rows.append(region_pos[line.region_code])
            cols.append(k)
    out: dict[tuple[str, str], int] = {}
    if not item_codes:
        return out
    # Region × item "has demand", then warehouse × item "eligible for a region with
    # demand": one boolean product over the eligible pairs.
    wanted = np.zeros((len(routes.region_codes), len(item_codes)), dtype=bool)
    wanted[rows, cols] = True
    eligible = routes.eligible
    pw, pj = routes.pair_w[eligible], routes.pair_j[eligible]
    reach = np.zeros((len(routes.warehouse_codes), len(item_codes)), dtype=bool)
    for k in range(len(item_codes)):
        reach[pw[wanted[pj, k]], k] = True
    for k, w in zip(*np.nonzero(reach.T), strict=True):  # items in order of appearance
        code, item = routes.warehouse_codes[int(w)], item_codes[int(k)]
        out[(code, item)] = max(0, avail.get((code, item), 0))
    return out


def plan_fingerprint(
    demand: Iterable[DemandLine],
    level: int,
    closed_roads: Iterable[Sequence[str]],
    available: Mapping[tuple[str, str], int],
) -> str:
    """sha256 (hex) of the canonical JSON of what a plan depends on: its demand lines, its
    level, the closed roads (unordered ends) and the available stock of the eligible
    warehouses (see ``eligible_available``). Equal inputs give equal fingerprints
    whatever their order."""
    payload = {
        "level": int(level),
        "demand": sorted(
            [d.region_code, d.item_code, int(d.quantity), int(d.priority)] for d in demand
        ),
        "closed_roads": sorted({tuple(sorted((str(a), str(b)))) for a, b in closed_roads}),
        "available": sorted([w, k, int(a)] for (w, k), a in available.items()),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- the pipeline


@dataclass
class PlanSource:
    """The plain inputs of a plan, as a source read them.

    ``stock`` is the stock the plan may use (the database source leaves out lots that
    expire before the supplies must arrive); ``demand`` the needs to meet (net of what
    the response's orders already carry, for the database source). Roads are closed by
    id (``closed_road_ids``: the event's closures in the database) and between two ends
    (``closed_pairs``: a folder event's ``closed_roads`` and what-if closures), on top of
    each road's own status. ``warm``: results a later plan of the same network may reuse
    (``relief.allocation.replan``); None when nothing is to be reused."""

    regions: list[Region]
    warehouses: list[Warehouse]
    roads: list[Road]
    items: list[Item]
    stock: list[StockLevel]
    demand: list[DemandLine]
    policy: Policy
    level: int
    closed_road_ids: Sequence[int | str] = ()
    closed_pairs: Sequence[Pair] = ()
    warm: dict[str, Any] | None = None


@dataclass
class Prepared:
    """What ``prepare`` made of a source: everything a solver and a fingerprint need.

    The available stock and the fingerprint are made when first asked for: the solver
    needs neither, so the folder source asks for them while the solver's workers solve
    the items (``solve``'s ``meanwhile``) instead of before starting them."""

    routes: EligibleRoutes
    closed_roads: list[Pair]  # the unordered ends of every closed road, sorted
    allocation: AllocationInput
    source: PlanSource
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def graph(self) -> nx.Graph:
        """The graph of record (minus the closures), built when first asked for: a plan
        needs only its CSR view, unless a shortfall's remedy names closed roads."""
        return self.routes.index.graph

    @functools.cached_property
    def available(self) -> dict[Pair, int]:
        """(warehouse, item) → available, eligible warehouses only."""
        return eligible_available(self.routes, self.source.stock, self.source.demand)

    @functools.cached_property
    def fingerprint(self) -> str:
        return plan_fingerprint(
            self.source.demand, self.source.level, self.closed_roads, self.available
        )


def prepare(source: PlanSource, progress: Progress | None = None) -> Prepared:
    """graph (minus the closures) → eligible routes at the level → closed roads →
    available stock of the eligible warehouses → fingerprint → the solvers' input.
    The graph's many objects are made with the garbage collector paused (see
    ``collection_paused``)."""
    with collection_paused():
        return _prepare(source, progress)


def _prepare(source: PlanSource, progress: Progress | None) -> Prepared:
    timings: dict[str, float] = {}
    if progress is not None:
        progress("eligibility", 0, 1)
    t0 = time.perf_counter()
    table = road_table(
        source.regions,
        source.warehouses,
        source.roads,
        source.closed_road_ids,
        source.closed_pairs,
    )
    index = RouteIndex.of_table(table)
    searched_at = time.perf_counter()
    routes = _routes_in_two(index, source, {d.region_code for d in source.demand})
    # "graph": the road table and its CSR view (the networkx graph is built when needed).
    timings["graph"] = searched_at - t0
    timings["eligibility"] = time.perf_counter() - searched_at
    closed = closed_road_pairs(source.roads, source.closed_road_ids, source.closed_pairs)
    allocation = AllocationInput(
        regions=source.regions,
        warehouses=source.warehouses,
        items=source.items,
        stock=source.stock,
        demand=source.demand,
        policy=source.policy,
        level=source.level,
        routes=routes,
        # The roads with their closures: the remedies of shortfalls (which closed road
        # would let stock through).
        roads=source.roads,
        closed_road_ids=list(source.closed_road_ids),
        closed_pairs=list(source.closed_pairs),
        warm=source.warm,
    )
    if (
        source.warm is not None
        and not source.closed_road_ids
        and not source.closed_pairs
        and all(r.status == "open" for r in source.roads)
    ):
        # Nothing closed: this network is the one with every road reopened, which a later
        # replan after a closure needs to say what reopening would unlock.
        source.warm.setdefault(f"reopened:{source.level}", (set(routes.region_codes), routes))
    return Prepared(
        routes=routes,
        closed_roads=closed,
        allocation=allocation,
        source=source,
        timings=timings,
    )


# Searching the eligible routes in a second process pays when the searches (sources ×
# nodes, dense rows) take much longer than starting one, as at national scale
# (2,000 × 46,500); a province's (150 × 1,600) take less than starting a process.
_BESIDE_MIN_CELLS = 20_000_000


def _routes_in_two(
    index: RouteIndex, source: PlanSource, demand_regions: set[str]
) -> EligibleRoutes:
    """The eligible routes, searched by two processes on a large network.

    The searches need only the CSR view and are single-threaded Python and scipy holding
    the GIL. So on a large network a forked process searches beside this one: both take
    runs of sources from a shared counter until none is left (whichever is faster takes
    more), and the forked one sends its parts back as flat arrays. Each search is
    independent of the others, so the routes are the same as one process's. (Until the
    fifth pass of issue 17 this process built the networkx graph of record meanwhile; a
    plan does not need it, so it is now built only when asked for: ``Prepared.graph``,
    a remedy through closed roads.) Forking is safe only from a single-threaded process
    (the web server's threads could hold locks the child would copy held), and a
    daemonic one may not start children: there, and on small networks, everything runs
    here. Runs a failed child took are searched here."""
    search = EligibilitySearch(
        index, source.warehouses, source.regions, source.policy, source.level, demand_regions
    )
    forked = (
        search.sources * len(index.codes) >= _BESIDE_MIN_CELLS
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not multiprocessing.current_process().daemon
    )
    if not forked:
        return search.routes([search.part(0, search.sources)])
    step = index.batch_rows
    runs = [(a, min(a + step, search.sources)) for a in range(0, search.sources, step)]
    context = multiprocessing.get_context("fork")
    taken = context.Value("i", 0)
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_search_and_send, args=(search, runs, taken, send), daemon=True)
    child.start()
    send.close()
    try:
        parts = _take_runs(search, runs, taken)
        with contextlib.suppress(EOFError):  # the child failed: its runs are searched below
            parts.update(receive.recv())
    finally:
        # Closed first, so that a child still sending (when this process failed) stops.
        receive.close()
        child.join()
    for r, run in enumerate(runs):
        if r not in parts:
            parts[r] = search.part(*run)
    return search.routes([parts[r] for r in range(len(runs))])


def _take_runs(
    search: EligibilitySearch, runs: list[tuple[int, int]], taken: Any
) -> dict[int, SearchPart]:
    """Search runs of sources, taking the next untaken one from ``taken`` (a shared
    counter) until none is left: run number → its part."""
    out: dict[int, SearchPart] = {}
    while True:
        with taken.get_lock():
            r = taken.value
            taken.value = r + 1
        if r >= len(runs):
            return out
        out[r] = search.part(*runs[r])


def _search_and_send(
    search: EligibilitySearch, runs: list[tuple[int, int]], taken: Any, send: Connection
) -> None:
    """In the forked process: search runs beside the parent and send back their parts
    (nothing on failure: the parent then searches them)."""
    parts = _take_runs(search, runs, taken)
    send.send(parts)
    send.close()


def run_method(
    method: str,
    inp: AllocationInput,
    time_limit_s: float | None = None,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    keep: Mapping[str, Sequence[tuple[str, str, int]]] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> PlanResult:
    """The optimal plan (two-stage min-cost flows) or the greedy baseline of `inp`.

    ``workers``: the optimal solver's processes (None: the solver settings); ``keep``:
    items whose previous optimal flow is kept as given (``relief.allocation.replan``);
    ``meanwhile``: work of the caller's to do while the solver's workers solve (before
    the greedy baseline, which has none)."""
    started = time.perf_counter()
    if method == "optimal":
        result = solve(
            inp, time_limit_s, workers=workers, keep=keep, progress=progress, meanwhile=meanwhile
        )
    else:
        if meanwhile is not None:
            meanwhile()
        if progress is not None:
            progress("stage1", 0, 1)
        result = greedy(inp)
    # The solvers time themselves; keep their figure unless they left it unset.
    if not result.solve_seconds:
        result.solve_seconds = time.perf_counter() - started
    return result
