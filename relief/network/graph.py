"""The road network as a graph: fastest routes, reachability, eligibility, lost routes.

This module owns the graph of record (networkx) built from plain records, and a scipy CSR
view of the same graph for bulk searches at national scale. Nothing here touches the
database.

Exactness. Travel times and distances have at most 2 decimals, so both are held as integer
hundredths (of an hour, of a km). A route is ranked by (time, distance, sequence of codes).
The first two keys are folded into one integer weight ``time × B + distance`` where ``B``
exceeds the distance of any simple path (the sum of every edge's distance, plus one); a
shortest path under that weight is the fastest, and among the fastest the shortest. These
integers stay below 2**53, so scipy's float64 Dijkstra adds them exactly (checked).

The third key (the lexicographically smallest sequence of codes) cannot be folded into a
weight. Routes are reconstructed from exact distance labels with a deterministic rule:
walk from the start, always stepping to the smallest code among the neighbours whose edge
lies on some optimal route ("tight" edges), and only to a neighbour from which the end is
still reachable along tight edges without revisiting a node. That greedy choice is exactly
the lexicographic minimum among optimal simple paths. networkx (``fastest_route``) and the
CSR view (``EligibleRoutes``) share this rule, so they agree code for code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import TypeVar

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from relief.network.records import ReachRules, Region, Road, Warehouse

# Composite weights must stay exactly representable in float64 (scipy's Dijkstra).
_EXACT_FLOAT_LIMIT = 2**53
# Rows of a batched Dijkstra are dense: keep one batch near this many float64 cells.
_BATCH_CELLS = 2_000_000
# The eligibility search keeps the labels it found (cut off at the deadline, so few per
# row) for route reconstruction, up to this many entries (12 bytes each); beyond, routes
# are reconstructed with a fresh search instead.
_KEPT_LABELS = 40_000_000

HUNDRED = Decimal(100)
Node = TypeVar("Node", int, str)


def to_hundredths(value: Decimal | int | float | str) -> int:
    """Exact hundredths of a time (h) or distance (km); values with more decimals round half-even."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    scaled = d.scaleb(2)
    whole = int(scaled)  # towards zero: exact when there are at most two decimals
    if whole == scaled:
        return whole
    return int(scaled.to_integral_value(rounding=ROUND_HALF_EVEN))


def from_hundredths(value: int) -> Decimal:
    return (Decimal(int(value)) / HUNDRED).quantize(Decimal("0.01"))


def deadline_hundredths(deadline_h: Decimal | int | float | str | None) -> int | None:
    """A deadline in hundredths of an hour, rounded down: a route of integer hundredths is in
    time exactly when its hundredths are ≤ this."""
    if deadline_h is None:
        return None
    return int((Decimal(str(deadline_h)) * HUNDRED).to_integral_value(rounding=ROUND_FLOOR))


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def closed_road_pairs(
    roads: Iterable[Road],
    closed_road_ids: Iterable[int | str] = (),
    closed_pairs: Iterable[Sequence[str]] = (),
) -> list[tuple[str, str]]:
    """The unordered ends of every closed road (status, id or pair closure), sorted, distinct.

    An extra closure of a pair is listed even when no road joins the two ends, since it is
    part of what the duty officer asked for."""
    ids = {str(i) for i in closed_road_ids}
    pairs = {_pair(str(p[0]), str(p[1])) for p in closed_pairs}
    out = set(pairs)
    for road in roads:
        ends = _pair(road.from_code, road.to_code)
        if road.status != "open" or (road.id is not None and str(road.id) in ids):
            out.add(ends)
    return sorted(out)


@dataclass(frozen=True)
class RoadTable:
    """The graph of record as plain lists, before networkx: its nodes and its edges (the
    fastest open road between each pair of ends). The CSR view and the eligibility
    searches need only this, so they can run while the networkx graph is still being
    built from it."""

    regions: Sequence[Region]
    warehouses: Sequence[Warehouse]
    junctions: list[str]  # road ends that are neither regions nor warehouses
    ends: list[tuple[str, str]]
    time_c: list[int]
    dist_c: list[int]
    road_ids: list[int | str | None]
    base: int  # composite weight = time_c × base + dist_c
    zero_edges: bool

    def codes(self) -> list[str]:
        """Every node's code, sorted (the CSR view's numbering)."""
        return sorted(
            {r.code for r in self.regions} | {w.code for w in self.warehouses} | set(self.junctions)
        )


def road_table(
    regions: Sequence[Region],
    warehouses: Sequence[Warehouse],
    roads: Iterable[Road],
    closed_road_ids: Iterable[int | str] = (),
    closed_pairs: Iterable[Sequence[str]] = (),
) -> RoadTable:
    """The nodes and edges of the graph of record (see ``build_graph``) as plain lists."""
    ids = {str(i) for i in closed_road_ids}
    pairs = {_pair(str(p[0]), str(p[1])) for p in closed_pairs}
    best: dict[tuple[str, str], tuple[int, int, str, int | str | None]] = {}
    # Travel times repeat (a few hundred values over a nation's 100,000 roads): each is
    # converted once. Distances hardly repeat.
    hours: dict[Decimal | int | float | str, int] = {}
    for road in roads:
        a, b = road.from_code, road.to_code
        if a == b or road.status != "open":
            continue
        ends = (a, b) if a <= b else (b, a)
        rid = road.id
        text_id = "" if rid is None else str(rid)
        if (pairs and ends in pairs) or (ids and rid is not None and text_id in ids):
            continue
        time_c = hours.get(road.travel_time_h)
        if time_c is None:
            time_c = hours[road.travel_time_h] = to_hundredths(road.travel_time_h)
        key = (time_c, to_hundredths(road.distance_km), text_id, rid)
        held = best.get(ends)
        if held is None or key[:3] < held[:3]:
            best[ends] = key
    known = {r.code for r in regions} | {w.code for w in warehouses}
    junctions = list(dict.fromkeys(c for pair in best for c in pair if c not in known))
    time_c = [k[0] for k in best.values()]
    dist_c = [k[1] for k in best.values()]
    return RoadTable(
        regions=regions,
        warehouses=warehouses,
        junctions=junctions,
        ends=list(best),
        time_c=time_c,
        dist_c=dist_c,
        road_ids=[k[3] for k in best.values()],
        base=sum(dist_c) + 1,
        zero_edges=any(t == 0 and d == 0 for t, d in zip(time_c, dist_c, strict=True)),
    )


def graph_of(table: RoadTable) -> nx.Graph:
    """The networkx graph of record of a road table (see ``build_graph``)."""
    graph = nx.Graph()
    for region in table.regions:
        graph.add_node(
            region.code, kind="region", level=region.level, parent_code=region.parent_code
        )
    for warehouse in table.warehouses:
        graph.add_node(
            warehouse.code, kind="warehouse", tier=warehouse.tier, region_code=warehouse.region_code
        )
    for code in table.junctions:
        # A road end that is neither a region nor a warehouse (the validator rejects
        # these); keep it as a junction so routes through it still exist.
        graph.add_node(code, kind="junction")
    base = table.base
    graph.add_edges_from(
        (a, b, {"time_c": t, "dist_c": d, "road_id": rid, "weight": t * base + d})
        for (a, b), t, d, rid in zip(
            table.ends, table.time_c, table.dist_c, table.road_ids, strict=True
        )
    )
    graph.graph["composite_base"] = base
    # The edges as built, for RouteIndex (faster than networkx's edge iteration); it is
    # used only while the graph still has exactly these edges.
    graph.graph["edge_table"] = (table.ends, table.time_c, table.dist_c)
    graph.graph["zero_edges"] = table.zero_edges
    return graph


def build_graph(
    regions: Iterable[Region],
    warehouses: Iterable[Warehouse],
    roads: Iterable[Road],
    closed_road_ids: Iterable[int | str] = (),
    closed_pairs: Iterable[Sequence[str]] = (),
) -> nx.Graph:
    """The graph of record: one node per region and warehouse code, one edge per pair of ends
    joined by at least one open road.

    A road is left out when its status is not ``open``, its id is in ``closed_road_ids``
    (compared as text), or its unordered ends are in ``closed_pairs`` (which closes every road
    between them). Of several open roads between two ends the fastest counts (then the
    shorter, then the smaller id as text). Edge attributes: ``time_c`` and ``dist_c``
    (integer hundredths), ``road_id``, and ``weight`` = time_c × B + dist_c with
    ``graph.graph["composite_base"] == B``.
    """
    return graph_of(
        road_table(list(regions), list(warehouses), roads, closed_road_ids, closed_pairs)
    )


# --------------------------------------------------------------------------- route rule


def _lex_min_path(
    start: Node,
    end: Node,
    tight_successors: Callable[[Node], Sequence[Node]],
    zero_edges: bool,
) -> list[Node]:
    """The lexicographically smallest simple path start → end along tight edges.

    ``tight_successors(v)`` lists, in increasing order, the nodes u such that the edge v → u
    lies on an optimal route to ``end`` from v. With strictly positive weights every tight
    step strictly approaches ``end``, so the smallest successor is always right. With
    zero-weight edges tight edges can form cycles; then a successor is taken only if ``end``
    is still reachable from it along tight edges avoiding the nodes already on the path.
    """
    path = [start]
    visited = {start}
    v = start
    while v != end:
        chosen = None
        for u in tight_successors(v):
            if u in visited:
                continue
            if not zero_edges or _reaches(u, end, tight_successors, visited):
                chosen = u
                break
        if chosen is None:  # cannot happen on consistent labels; guard against a silent loop
            raise RuntimeError("route reconstruction found no tight edge")
        path.append(chosen)
        visited.add(chosen)
        v = chosen
    return path


def _reaches(
    u: Node, end: Node, tight_successors: Callable[[Node], Sequence[Node]], blocked: set[Node]
) -> bool:
    seen = {u}
    stack = [u]
    while stack:
        v = stack.pop()
        if v == end:
            return True
        for w in tight_successors(v):
            if w not in seen and w not in blocked:
                seen.add(w)
                stack.append(w)
    return False


def fastest_route(graph: nx.Graph, a: str, b: str) -> tuple[Decimal, Decimal, list[str]] | None:
    """(time_h, distance_km, path) of the fastest route a → b on the graph of record, or None
    when there is no open path (or a code is not in the graph).

    Ties: shorter distance, then the lexicographically smallest sequence of codes.
    """
    if a not in graph or b not in graph:
        return None
    if a == b:
        return Decimal("0.00"), Decimal("0.00"), [a]
    # Labels are distances *to* b, so the walk from a can pick tight edges greedily.
    labels = nx.single_source_dijkstra_path_length(graph, b, weight="weight")
    if a not in labels:
        return None
    adjacency = graph.adj

    def tight(v: str) -> list[str]:
        lv = labels[v]
        return sorted(
            u
            for u, data in adjacency[v].items()
            if u in labels and labels[u] + data["weight"] == lv
        )

    path = _lex_min_path(a, b, tight, _has_zero_edges(graph))
    legs = list(zip(path, path[1:], strict=False))
    time_c = sum(graph[x][y]["time_c"] for x, y in legs)
    dist_c = sum(graph[x][y]["dist_c"] for x, y in legs)
    return from_hundredths(time_c), from_hundredths(dist_c), path


def _has_zero_edges(graph: nx.Graph) -> bool:
    flag = graph.graph.get("zero_edges")
    if flag is None:
        flag = any(w == 0 for _, _, w in graph.edges(data="weight"))
        graph.graph["zero_edges"] = flag
    return bool(flag)


# --------------------------------------------------------------------------- CSR view


class RouteIndex:
    """A scipy CSR view of a graph of record, for many bounded Dijkstra searches.

    Nodes are numbered in increasing code order, so comparing indices compares codes and the
    lexicographic tie rule can work on indices.
    """

    def __init__(self, graph: nx.Graph) -> None:
        table = graph.graph.get("edge_table")
        if table is not None and len(table[0]) == graph.number_of_edges():
            ends, times, dists = table
        else:
            ends, times, dists = [], [], []
            for a, b, data in graph.edges(data=True):
                ends.append((a, b))
                times.append(data["time_c"])
                dists.append(data["dist_c"])
        self._graph: nx.Graph | None = graph
        self._table: RoadTable | None = None
        self._build(
            sorted(graph.nodes), int(graph.graph.get("composite_base", 1)), ends, times, dists
        )

    @classmethod
    def of_table(cls, table: RoadTable) -> RouteIndex:
        """The CSR view of the graph a road table makes, without making it: ``graph``
        builds it when first asked (``relief.allocation.pipeline`` builds it while the
        eligibility searches run in another process)."""
        index = cls.__new__(cls)
        index._graph = None
        index._table = table
        index._build(table.codes(), table.base, table.ends, table.time_c, table.dist_c)
        return index

    @property
    def graph(self) -> nx.Graph:
        """The graph of record this view is of."""
        if self._graph is None:
            assert self._table is not None
            self._graph = graph_of(self._table)
            self._table = None
        return self._graph

    def _build(
        self,
        codes: list[str],
        base: int,
        ends: Sequence[tuple[str, str]],
        times: list[int],
        dists: list[int],
    ) -> None:
        self.codes: list[str] = codes
        self.position: dict[str, int] = {code: i for i, code in enumerate(codes)}
        self.base: int = base
        n = len(codes)
        pos = self.position
        ends_a = [pos[a] for a, _ in ends]
        ends_b = [pos[b] for _, b in ends]
        # Both directions of every undirected edge.
        tails = np.array(ends_a + ends_b, dtype=np.int64)
        heads = np.array(ends_b + ends_a, dtype=np.int64)
        time_c = np.array(times + times, dtype=np.int64)
        dist_c = np.array(dists + dists, dtype=np.int64)
        order = np.lexsort((heads, tails))
        self.indices = heads[order].astype(np.int32)
        self.time_c = time_c[order]
        self.dist_c = dist_c[order]
        self.composite = self.time_c * self.base + self.dist_c
        counts = np.bincount(tails, minlength=n)
        self.indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
        self.total_time_c = int(self.time_c.sum() // 2)
        self.zero_edges = bool(np.any(self.composite == 0))
        # Built by hand so that explicit zero weights stay edges (scipy keeps them).
        self.matrix = sp.csr_matrix(
            (self.composite.astype(np.float64), self.indices, self.indptr), shape=(n, n)
        )
        self._time_matrix: sp.csr_matrix | None = None
        self._components: np.ndarray | None = None
        self._rows: tuple[list[int], list[int], list[int]] | None = None

    @property
    def time_matrix(self) -> sp.csr_matrix:
        """The same graph weighted by time alone (for reachability-in-time questions)."""
        if self._time_matrix is None:
            n = len(self.codes)
            self._time_matrix = sp.csr_matrix(
                (self.time_c.astype(np.float64), self.indices, self.indptr), shape=(n, n)
            )
        return self._time_matrix

    @property
    def components(self) -> np.ndarray:
        """Connected-component label of every node (open roads only)."""
        if self._components is None:
            _, labels = connected_components(self.matrix, directed=False)
            self._components = labels
        return self._components

    def composite_limit(self, deadline_c: int | None) -> float:
        """The largest composite weight of a route whose time is within ``deadline_c``."""
        top_time = self.total_time_c if deadline_c is None else deadline_c
        limit = (top_time + 1) * self.base - 1
        if limit >= _EXACT_FLOAT_LIMIT:
            raise ValueError(
                "road network too large for exact route weights "
                f"(time bound {top_time} × distance bound {self.base})"
            )
        return float(limit) if deadline_c is not None else np.inf

    @property
    def batch_rows(self) -> int:
        """Sources searched at once: their dense rows stay near ``_BATCH_CELLS`` cells."""
        return max(1, _BATCH_CELLS // max(1, len(self.codes)))

    def bounded_labels(
        self, sources: np.ndarray, limit: float, matrix: sp.csr_matrix | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (batch of sources, dense label block) for searches cut off at ``limit``.

        Cells beyond the limit are inf; a cell exactly at the limit is kept (scipy excludes
        only distances greater than ``limit``)."""
        batch = self.batch_rows
        graph = self.matrix if matrix is None else matrix
        for start in range(0, len(sources), batch):
            chunk = sources[start : start + batch]
            yield chunk, dijkstra(graph, directed=True, indices=chunk, limit=limit)

    def neighbours(self, v: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[v], self.indptr[v + 1]
        return self.indices[lo:hi], self.composite[lo:hi]

    def path_to(
        self,
        start: int,
        end: int,
        labels_to_end: np.ndarray,
        next_hop: dict[int, int] | None = None,
    ) -> list[int]:
        """Route start → end from exact labels of distance *to* ``end``.

        ``next_hop``: a memo of the steps already taken towards ``end`` with these labels
        (routes to one end from several starts share their last legs); only used, and only
        needed, without zero-weight edges, where the step from a node is the smallest
        tight neighbour whatever the start."""
        if not self.zero_edges:
            return self._greedy_path_to(start, end, labels_to_end, next_hop)

        def tight(v: int) -> list[int]:
            nbr, w = self.neighbours(v)
            lab = labels_to_end[nbr]
            ok = np.isfinite(lab) & (lab + w == labels_to_end[v])
            return nbr[ok].tolist()  # CSR rows are sorted by index, i.e. by code

        return _lex_min_path(start, end, tight, self.zero_edges)

    def _greedy_path_to(
        self, start: int, end: int, labels: np.ndarray, next_hop: dict[int, int] | None
    ) -> list[int]:
        """``path_to`` with strictly positive weights: every tight step strictly
        approaches ``end``, so the smallest tight neighbour is always the step (what
        ``_lex_min_path`` picks), found in plain Python over the CSR rows."""
        if self._rows is None:
            self._rows = (self.indptr.tolist(), self.indices.tolist(), self.composite.tolist())
        indptr, indices, weights = self._rows
        memo = {} if next_hop is None else next_hop
        path = [start]
        v = start
        while v != end:
            u = memo.get(v)
            if u is None:
                lv = labels[v]
                for e in range(indptr[v], indptr[v + 1]):  # sorted by index, i.e. by code
                    if labels[indices[e]] + weights[e] == lv:
                        u = indices[e]
                        break
                if u is None:  # cannot happen on consistent labels
                    raise RuntimeError("route reconstruction found no tight edge")
                memo[v] = u
            path.append(u)
            v = u
        return path

    def path_from(self, start: int, end: int, labels_from_start: np.ndarray) -> list[int]:
        """Route start → end from exact labels of distance *from* ``start``.

        The nodes on some optimal route are found walking back from ``end`` over tight
        edges; the greedy walk forward is then restricted to them."""
        on_route = {end}
        stack = [end]
        while stack:
            v = stack.pop()
            nbr, w = self.neighbours(v)
            lab = labels_from_start[nbr]
            ok = np.isfinite(lab) & (lab + w == labels_from_start[v])
            for u in nbr[ok].tolist():
                if u not in on_route:
                    on_route.add(u)
                    stack.append(u)

        def tight(v: int) -> list[int]:
            nbr, w = self.neighbours(v)
            lab = labels_from_start[nbr]
            ok = np.isfinite(lab) & (labels_from_start[v] + w == lab)
            return [u for u in nbr[ok].tolist() if u in on_route]

        return _lex_min_path(start, end, tight, self.zero_edges)


# --------------------------------------------------------------------------- eligibility


@dataclass(frozen=True, slots=True)
class Route:
    warehouse_code: str
    region_code: str
    time_h: Decimal
    distance_km: Decimal
    path: list[str]


def region_ancestors(regions: Iterable[Region]) -> Callable[[str], list[str]]:
    """A function giving a region code, then its parent, grandparent … up to the root."""
    parent = {r.code: r.parent_code for r in regions}

    def chain(code: str) -> list[str]:
        out = [code]
        seen = {code}
        while (p := parent.get(out[-1])) and p not in seen:  # a cycle stops the walk
            out.append(p)
            seen.add(p)
        return out

    return chain


@dataclass
class EligibleRoutes:
    """Every (warehouse, demand region) pair whose fastest route is within the deadline.

    Pairs are numpy columns: ``pair_w`` (index into ``warehouse_codes``), ``pair_j`` (index
    into ``region_codes``), exact ``time_c`` and ``dist_c`` in hundredths, ``in_jurisdiction``
    (the warehouse's region is the demand region or one of its ancestors) and ``eligible``
    (in time, and in jurisdiction unless the level is a cross-jurisdiction level). Pairs in
    time but outside jurisdiction are kept: they explain a ``jurisdiction`` shortfall.
    Routes (paths) are reconstructed only when asked for.
    """

    index: RouteIndex
    level: int
    deadline_c: int | None
    cross_jurisdiction: bool
    warehouse_codes: list[str]
    region_codes: list[str]
    pair_w: np.ndarray
    pair_j: np.ndarray
    time_c: np.ndarray
    dist_c: np.ndarray
    in_jurisdiction: np.ndarray
    searched_from: str  # "region" or "warehouse": the side the Dijkstras started from
    searches: int = 0
    # Sparse label rows of the eligibility search, by searched node: (node indices, labels).
    labels: dict[int, tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False)
    _lookup: dict[tuple[str, str], int] | None = field(default=None, repr=False)
    _nodes: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def eligible(self) -> np.ndarray:
        if self.cross_jurisdiction:
            return np.ones(len(self.pair_w), dtype=bool)
        return self.in_jurisdiction

    def pair_position(self, warehouse_code: str, region_code: str) -> int | None:
        if self._lookup is None:
            w, j = self.warehouse_codes, self.region_codes
            self._lookup = {
                (w[a], j[b]): k
                for k, (a, b) in enumerate(
                    zip(self.pair_w.tolist(), self.pair_j.tolist(), strict=True)
                )
            }
        return self._lookup.get((warehouse_code, region_code))

    def is_eligible(self, warehouse_code: str, region_code: str) -> bool:
        k = self.pair_position(warehouse_code, region_code)
        return k is not None and bool(self.eligible[k])

    def connected(self, warehouse_code: str, region_code: str) -> bool:
        """Whether any open road path joins the two (no deadline)."""
        pos = self.index.position
        if warehouse_code not in pos or region_code not in pos:
            return False
        comp = self.index.components
        return bool(comp[pos[warehouse_code]] == comp[pos[region_code]])

    def component_of(self, codes: Sequence[str]) -> np.ndarray:
        """Component labels for codes; a code missing from the graph gets its own label (< 0)."""
        comp = self.index.components
        pos = self.index.position
        return np.array(
            [comp[pos[c]] if c in pos else -1 - i for i, c in enumerate(codes)], dtype=np.int64
        )

    def paths(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """Routes for (warehouse_code, region_code) pairs that are in time (others are left
        out of the answer)."""
        wanted = [(pair, self.pair_position(*pair)) for pair in pairs]
        found = self.paths_at([k for _, k in wanted if k is not None])
        return {pair: found[k] for pair, k in wanted if k is not None}

    def paths_at(
        self, positions: Iterable[int], memo: dict[int, dict[int, int]] | None = None
    ) -> dict[int, list[str]]:
        """Routes of pairs given by position in the pair columns.

        Per distinct node of the searched side among the pairs, the labels kept from the
        eligibility search (or, when they were not kept, a fresh Dijkstra cut off at the
        farthest of its pairs), then one greedy walk per pair. ``memo``: the steps already
        taken towards each searched node, kept across calls by a caller asking for the
        routes of a plan a few pairs at a time (they do not depend on the pairs asked)."""
        index = self.index
        ks = np.asarray(positions if isinstance(positions, np.ndarray) else list(positions))
        ks = ks.astype(np.int64)
        w_node, j_node = self._node_positions()
        from_region = self.searched_from == "region"
        by_root: dict[int, list[tuple[int, int, int]]] = {}
        for k, w, j in zip(
            ks.tolist(),
            w_node[self.pair_w[ks]].tolist(),
            j_node[self.pair_j[ks]].tolist(),
            strict=True,
        ):
            by_root.setdefault(j if from_region else w, []).append((k, w, j))
        out: dict[int, list[str]] = {}
        codes = index.codes
        scratch = np.full(len(codes), np.inf)
        for root, pairs in sorted(by_root.items()):
            kept = self.labels.get(root) if self.labels is not None else None
            if kept is not None:
                scratch[kept[0]] = kept[1]
                labels = scratch
            else:
                farthest = max(
                    int(self.time_c[k]) * index.base + int(self.dist_c[k]) for k, _, _ in pairs
                )
                labels = dijkstra(index.matrix, directed=True, indices=root, limit=float(farthest))
            # Steps towards this root, shared by its pairs.
            next_hop = {} if memo is None else memo.setdefault(root, {})
            for k, w, j in pairs:
                if from_region:
                    path = index.path_to(w, j, labels, next_hop)
                else:
                    path = index.path_from(w, j, labels)
                out[k] = [codes[i] for i in path]
            if kept is not None:
                scratch[kept[0]] = np.inf  # back to all inf, touching only this row's nodes
        return out

    def _node_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """The graph node of each warehouse and of each region (by index), made once; -1
        for a code not in the graph (it is in no pair)."""
        if self._nodes is None:
            pos = self.index.position
            self._nodes = (
                np.array([pos.get(c, -1) for c in self.warehouse_codes], dtype=np.int64),
                np.array([pos.get(c, -1) for c in self.region_codes], dtype=np.int64),
            )
        return self._nodes

    def route(self, warehouse_code: str, region_code: str) -> Route | None:
        """The route of a pair within the deadline (eligible or not), else None."""
        k = self.pair_position(warehouse_code, region_code)
        if k is None:
            return None
        path = self.paths([(warehouse_code, region_code)])[(warehouse_code, region_code)]
        return Route(
            warehouse_code,
            region_code,
            from_hundredths(int(self.time_c[k])),
            from_hundredths(int(self.dist_c[k])),
            path,
        )

    def routes_from(self, warehouse_code: str, eligible_only: bool = True) -> dict[str, Route]:
        """Per region reachable in time from the warehouse, its route."""
        try:
            w = self.warehouse_codes.index(warehouse_code)
        except ValueError:
            return {}
        mask = self.pair_w == w
        if eligible_only:
            mask &= self.eligible
        ks = np.flatnonzero(mask)
        regions = [self.region_codes[int(self.pair_j[k])] for k in ks]
        paths = self.paths([(warehouse_code, j) for j in regions])
        return {
            j: Route(
                warehouse_code,
                j,
                from_hundredths(int(self.time_c[k])),
                from_hundredths(int(self.dist_c[k])),
                paths[(warehouse_code, j)],
            )
            for j, k in zip(regions, ks.tolist(), strict=True)
        }


def eligible_routes(
    graph: nx.Graph,
    warehouses: Sequence[Warehouse],
    regions: Sequence[Region],
    policy: ReachRules,
    level: int,
    region_codes: Iterable[str] | None = None,
    index: RouteIndex | None = None,
) -> EligibleRoutes:
    """Which warehouse may serve which demand region at ``level``, and over which route.

    Searches run on the CSR view, one Dijkstra per node of the smaller side (warehouses or
    demand regions; the graph is undirected, so either side gives the same times), each cut
    off at ``policy.deadlines_h[level]`` (a level without a deadline is not cut off). A
    route of exactly the deadline is in time. ``region_codes`` are the demand regions (all
    regions when None). Pass ``index`` to reuse a CSR view of the same graph.
    """
    return eligible_routes_on(
        index or RouteIndex(graph), warehouses, regions, policy, level, region_codes
    )


def eligible_routes_on(
    index: RouteIndex,
    warehouses: Sequence[Warehouse],
    regions: Sequence[Region],
    policy: ReachRules,
    level: int,
    region_codes: Iterable[str] | None = None,
) -> EligibleRoutes:
    """``eligible_routes`` on a CSR view alone (its networkx graph is not needed)."""
    search = EligibilitySearch(index, warehouses, regions, policy, level, region_codes)
    return search.routes([search.part(0, search.sources)])


@dataclass
class SearchPart:
    """The result of the eligibility searches from a run of consecutive sources: the pairs
    in time (local source and destination indices, composite weight) and the labels kept
    for routes (None when there were too many), all as flat arrays — what another process
    sends back cheaply (``kept`` as searched nodes, row bounds, node indices, labels)."""

    src: np.ndarray
    dst: np.ndarray
    comp: np.ndarray
    kept: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
    kept_size: int


class EligibilitySearch:
    """The bounded Dijkstras of ``eligible_routes``, from the smaller side, in parts: the
    sources are numbered 0 … ``sources``; ``part`` searches a run of them, and ``routes``
    puts the parts together. One part of every source gives ``eligible_routes``'s answer;
    so do several parts searched in different processes, since each search is
    independent of the others (``relief.allocation.pipeline`` splits them)."""

    def __init__(
        self,
        index: RouteIndex,
        warehouses: Sequence[Warehouse],
        regions: Sequence[Region],
        policy: ReachRules,
        level: int,
        region_codes: Iterable[str] | None = None,
    ) -> None:
        self.index = index
        self.warehouses = warehouses
        self.regions = regions
        self.level = level
        self.deadline_c = deadline_hundredths(policy.deadlines_h.get(level))
        self.cross = level in set(policy.cross_jurisdiction_levels)
        self.wh_codes = sorted({w.code for w in warehouses})
        self.rg_codes = sorted(
            set(region_codes) if region_codes is not None else {r.code for r in regions}
        )
        pos = index.position
        wh_pos = np.array([pos.get(c, -1) for c in self.wh_codes], dtype=np.int64)
        rg_pos = np.array([pos.get(c, -1) for c in self.rg_codes], dtype=np.int64)
        wh_in = np.flatnonzero(wh_pos >= 0)
        rg_in = np.flatnonzero(rg_pos >= 0)
        self.limit = index.composite_limit(self.deadline_c)
        self.from_regions = len(rg_in) <= len(wh_in)
        if self.from_regions:
            self.src_local, self.src_nodes = rg_in, rg_pos[rg_in]
            self.dst_local, self.dst_nodes = wh_in, wh_pos[wh_in]
        else:
            self.src_local, self.src_nodes = wh_in, wh_pos[wh_in]
            self.dst_local, self.dst_nodes = rg_in, rg_pos[rg_in]
        # No destination: nothing to search.
        self.sources = len(self.src_nodes) if len(self.dst_nodes) else 0

    def part(self, first: int, stop: int) -> SearchPart:
        """Search from sources first … stop − 1."""
        parts_src: list[np.ndarray] = []
        parts_dst: list[np.ndarray] = []
        parts_val: list[np.ndarray] = []
        nodes: list[int] = []
        rows_idx: list[np.ndarray] = []
        rows_lab: list[np.ndarray] = []
        keeping = True
        kept_size = 0
        offset = first
        dst_nodes, dst_local = self.dst_nodes, self.dst_local
        for chunk, block in self.index.bounded_labels(self.src_nodes[first:stop], self.limit):
            sub = block[:, dst_nodes]
            rows, cols = np.nonzero(np.isfinite(sub))
            parts_src.append(self.src_local[offset + rows])
            parts_dst.append(dst_local[cols])
            parts_val.append(sub[rows, cols])
            offset += len(chunk)
            if keeping:
                finite = np.isfinite(block)
                kept_size += int(finite.sum())
                if kept_size > _KEPT_LABELS:
                    keeping = False  # too many to keep: routes will search again
                    nodes, rows_idx, rows_lab = [], [], []
                else:
                    for r, node in enumerate(chunk.tolist()):
                        idx = np.flatnonzero(finite[r]).astype(np.int32)
                        nodes.append(node)
                        rows_idx.append(idx)
                        rows_lab.append(block[r, idx])
        kept = None
        if keeping:
            kept = (
                np.array(nodes, dtype=np.int64),
                np.cumsum([0] + [len(idx) for idx in rows_idx]),
                _concat(rows_idx, np.int32),
                _concat(rows_lab, np.float64),
            )
        return SearchPart(
            _concat(parts_src, np.int64),
            _concat(parts_dst, np.int64),
            _concat(parts_val, np.int64),
            kept,
            kept_size,
        )

    def routes(self, parts: Sequence[SearchPart]) -> EligibleRoutes:
        """The eligible routes from parts that together searched every source once."""
        index = self.index
        wh_codes, rg_codes = self.wh_codes, self.rg_codes
        src_arr = _concat([p.src for p in parts], np.int64)
        dst_arr = _concat([p.dst for p in parts], np.int64)
        comp = _concat([p.comp for p in parts], np.int64)
        kept: dict[int, tuple[np.ndarray, np.ndarray]] | None = None
        if (
            all(p.kept is not None for p in parts)
            and sum(p.kept_size for p in parts) <= _KEPT_LABELS
        ):
            kept = {}
            for p in parts:
                assert p.kept is not None
                nodes, bounds, idx, lab = p.kept
                # Sent as int32; laid out as the platform's index type, which numpy
                # scatters with twice as fast (``paths_at`` lays a row out per call).
                idx = idx.astype(np.intp)
                for v, lo, hi in zip(
                    nodes.tolist(), bounds[:-1].tolist(), bounds[1:].tolist(), strict=True
                ):
                    kept[v] = (idx[lo:hi], lab[lo:hi])
        pair_j, pair_w = (src_arr, dst_arr) if self.from_regions else (dst_arr, src_arr)
        overlap = set(wh_codes) & set(rg_codes)
        if overlap and len(pair_w):
            # A code on both sides would pair with itself at time 0; that is not a delivery.
            keep = np.array(
                [
                    wh_codes[w] != rg_codes[j]
                    for w, j in zip(pair_w.tolist(), pair_j.tolist(), strict=True)
                ]
            )
            pair_w, pair_j, comp = pair_w[keep], pair_j[keep], comp[keep]
        order = np.lexsort((pair_w, pair_j))
        pair_w, pair_j, comp = pair_w[order], pair_j[order], comp[order]
        time_c = comp // index.base
        dist_c = comp - time_c * index.base

        in_jur = _in_jurisdiction(self.warehouses, self.regions, wh_codes, rg_codes, pair_w, pair_j)
        return EligibleRoutes(
            index=index,
            level=self.level,
            deadline_c=self.deadline_c,
            cross_jurisdiction=self.cross,
            warehouse_codes=wh_codes,
            region_codes=rg_codes,
            pair_w=pair_w.astype(np.int32),
            pair_j=pair_j.astype(np.int32),
            time_c=time_c,
            dist_c=dist_c,
            in_jurisdiction=in_jur,
            searched_from="region" if self.from_regions else "warehouse",
            searches=self.sources,
            labels=kept,
        )


def _in_jurisdiction(
    warehouses: Sequence[Warehouse],
    regions: Sequence[Region],
    wh_codes: list[str],
    rg_codes: list[str],
    pair_w: np.ndarray,
    pair_j: np.ndarray,
) -> np.ndarray:
    """Whether each pair's warehouse belongs to the demand region or one of its ancestors."""
    if not len(pair_w):
        return np.zeros(0, dtype=bool)
    chain = region_ancestors(regions)
    region_id: dict[str, int] = {}
    home = {w.code: w.region_code for w in warehouses}
    wh_region = np.array(
        [region_id.setdefault(home[c], len(region_id)) for c in wh_codes], dtype=np.int64
    )
    chains = [[region_id.setdefault(a, len(region_id)) for a in chain(c)] for c in rg_codes]
    depth = max(len(c) for c in chains)
    table = np.full((len(rg_codes), depth), -1, dtype=np.int64)
    for j, c in enumerate(chains):
        table[j, : len(c)] = c
    return np.any(table[pair_j] == wh_region[pair_w][:, None], axis=1)


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype=dtype)


# --------------------------------------------------------------------------- lost routes


def lost_routes(
    before: nx.Graph,
    after: nx.Graph,
    pairs: Iterable[tuple[str, str]] | None = None,
) -> list[dict]:
    """What a closure costs: the (warehouse_code, region_code) pairs reachable before whose
    fastest time got longer or that became unreachable.

    ``pairs`` defaults to every warehouse × region node of ``before``. Returns
    ``[{region_code, warehouse_code, before_h, after_h or None}]`` sorted by region then
    warehouse; hours are floats of exact hundredths.
    """
    if pairs is None:
        kinds = before.nodes(data="kind")
        wh = sorted(c for c, k in kinds if k == "warehouse")
        rg = sorted(c for c, k in kinds if k == "region")
        wanted = {w: set(rg) for w in wh}
    else:
        wanted = {}
        for w, j in pairs:
            wanted.setdefault(w, set()).add(j)
    times_before = _times_from(RouteIndex(before), wanted)
    times_after = _times_from(RouteIndex(after), wanted)
    out = []
    for (w, j), t0 in times_before.items():
        t1 = times_after.get((w, j))
        if t1 is None or t1 > t0:
            out.append(
                {
                    "region_code": j,
                    "warehouse_code": w,
                    "before_h": float(from_hundredths(t0)),
                    "after_h": None if t1 is None else float(from_hundredths(t1)),
                }
            )
    out.sort(key=lambda r: (r["region_code"], r["warehouse_code"]))
    return out


def _times_from(index: RouteIndex, wanted: dict[str, set[str]]) -> dict[tuple[str, str], int]:
    pos = index.position
    sources = sorted(w for w in wanted if w in pos)
    result: dict[tuple[str, str], int] = {}
    if not sources:
        return result
    src = np.array([pos[w] for w in sources], dtype=np.int64)
    done = 0
    for chunk, block in index.bounded_labels(src, np.inf, matrix=index.time_matrix):
        for row in range(len(chunk)):
            w = sources[done + row]
            for j in wanted[w]:
                if j in pos and j != w:
                    value = block[row, pos[j]]
                    if np.isfinite(value):
                        result[(w, j)] = int(value)
        done += len(chunk)
    return result
