"""The allocation problem in array form, shared by the optimal solver and the greedy baseline,
and the turning of an allocation into a plan (lines with routes, stats, unmet reasons).

Both methods see the same demand (net of what is already covered), the same available
stock (on_hand − reserved − floor, not below 0) and the same eligible pairs, and both are
explained and scored by the same code, so a comparison compares the methods only.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from relief.allocation.model import AllocationInput, ItemFill, PlanLine, PlanResult, Unmet
from relief.network.graph import (
    EligibleRoutes,
    build_graph,
    eligible_routes,
    eligible_routes_on,
    from_hundredths,
)

TIER_ORDER = {"county": 0, "prefecture": 1, "provincial": 2}
# Deprivation slopes of the four quarters of a need (SCENARIOS.md, stage 1).
SLOPES = (1, 2, 4, 8)
REASONS = ("no_route", "deadline", "jurisdiction", "stock_exhausted")


def quarter_sizes(d: np.ndarray) -> np.ndarray:
    """Sizes of the four unmet segments of each need d: ⌈d/4⌉, ⌈d/2⌉−⌈d/4⌉, ⌈3d/4⌉−⌈d/2⌉,
    d−⌈3d/4⌉ (integer ceilings, exact). Shape (len(d), 4)."""
    d = np.asarray(d, dtype=np.int64)
    q1 = -(-d // 4)
    q2 = -(-d // 2)
    q3 = -(-3 * d // 4)
    return np.stack([q1, q2 - q1, q3 - q2, d - q3], axis=1)


def deprivation(unmet: np.ndarray, demand: np.ndarray, priority: np.ndarray) -> int:
    """Σ p · D(u, d): the i-th unmet unit of a need d costs 1, 2, 4 or 8 by its quarter."""
    sizes = quarter_sizes(demand)
    left = np.asarray(unmet, dtype=np.int64).copy()
    total = np.zeros(len(left), dtype=np.int64)
    for q, slope in enumerate(SLOPES):
        used = np.minimum(left, sizes[:, q])
        total += used * slope
        left -= used
    return int(np.sum(total * np.asarray(priority, dtype=np.int64)))


@dataclass
class ItemDemand:
    """The needs for one item: region positions, net demand, priority (aligned arrays)."""

    item_code: str
    region: np.ndarray  # index into Problem.region_codes
    demand: np.ndarray  # net of what is already covered, > 0
    priority: np.ndarray


class Problem:
    """An AllocationInput in arrays: demand per item, available stock, eligible pairs."""

    @classmethod
    def of(cls, inp: AllocationInput) -> Problem:
        """``Problem(inp)``, made once per input object when the input has a warm store
        (a replan needs the previous input's and the new one's for ``reusable_items``,
        then the new one's again to solve). The last two inputs are remembered; an input
        is not changed once planned."""
        warm = inp.warm
        if warm is None:
            return cls(inp)
        made: list[tuple[AllocationInput, Problem]] = warm.setdefault("problems", [])
        for held, problem in made:
            if held is inp:
                return problem
        problem = cls(inp)
        made.append((inp, problem))
        del made[:-2]
        return problem

    def __init__(self, inp: AllocationInput) -> None:
        started = time.perf_counter()
        self.input = inp
        merged: dict[tuple[str, str], tuple[int, int]] = {}
        for line in inp.demand:
            if line.quantity < 0 or line.priority < 0:
                raise ValueError(
                    f"demand line {line.region_code}/{line.item_code}: quantity and priority "
                    "must not be negative"
                )
            key = (line.region_code, line.item_code)
            if key in merged:
                raise ValueError(f"duplicate demand line for region {key[0]}, item {key[1]}")
            net = max(0, int(line.quantity) - int(inp.covered.get(key, 0)))
            if net > 0:
                merged[key] = (net, int(line.priority))
        demand_regions = sorted({j for j, _ in merged})
        self.routes = self._routes(inp, demand_regions)
        routes = self.routes
        missing = set(demand_regions) - set(routes.region_codes)
        if missing:
            raise ValueError(f"eligible routes do not cover demand regions {sorted(missing)[:5]}")

        self.region_codes: list[str] = routes.region_codes
        self.warehouse_codes: list[str] = routes.warehouse_codes
        self.item_codes: list[str] = sorted({k for _, k in merged})
        region_pos = {c: i for i, c in enumerate(self.region_codes)}
        item_pos = {c: i for i, c in enumerate(self.item_codes)}
        wh_pos = {c: i for i, c in enumerate(self.warehouse_codes)}

        per_item: dict[str, list[tuple[int, int, int]]] = {k: [] for k in self.item_codes}
        for (j, k), (d, p) in sorted(merged.items()):
            per_item[k].append((region_pos[j], d, p))
        self.items: list[ItemDemand] = []
        for k in self.item_codes:
            rows = np.array(per_item[k], dtype=np.int64).reshape(-1, 3)
            self.items.append(ItemDemand(k, rows[:, 0], rows[:, 1], rows[:, 2]))

        n_w, n_k = len(self.warehouse_codes), len(self.item_codes)
        on_hand = np.zeros((n_w, n_k), dtype=np.int64)
        held = np.zeros((n_w, n_k), dtype=np.int64)
        self.stocked = np.zeros((n_w, n_k), dtype=bool)
        for s in inp.stock:
            w, k = wh_pos.get(s.warehouse_code), item_pos.get(s.item_code)
            if w is None or k is None:
                continue  # stock of a warehouse or item nobody asks about
            on_hand[w, k] += s.on_hand
            held[w, k] += s.reserved + s.floor
            self.stocked[w, k] = True
        self.available = np.maximum(0, on_hand - held)

        by_code = {w.code: w for w in inp.warehouses}
        self.tier_rank = np.array(
            [TIER_ORDER.get(by_code[c].tier, 3) for c in self.warehouse_codes], dtype=np.int64
        )
        self.tiers = [by_code[c].tier for c in self.warehouse_codes]
        weights = {i.code: i.weight_kg for i in inp.items}
        # An item missing from the catalogue has no known weight: its ton-km count as 0.
        self.weight_kg: list[Decimal] = [
            Decimal(str(weights.get(k, Decimal(0)))) for k in self.item_codes
        ]

        eligible = routes.eligible
        self.eligible_positions = np.flatnonzero(eligible)
        # Eligible pairs in a dispatcher's order: by region, then travel time, tier
        # (county → prefecture → provincial), warehouse code (indices are in code order).
        ep = self.eligible_positions
        order = np.lexsort(
            (
                routes.pair_w[ep],
                self.tier_rank[routes.pair_w[ep]],
                routes.time_c[ep],
                routes.pair_j[ep],
            )
        )
        self.by_region = ep[order]
        self.by_region_start = np.searchsorted(
            routes.pair_j[self.by_region], np.arange(len(self.region_codes) + 1)
        )
        self._wh_comp: np.ndarray | None = None
        self.prepare_seconds = time.perf_counter() - started

    @staticmethod
    def _routes(inp: AllocationInput, demand_regions: list[str]) -> EligibleRoutes:
        if inp.routes is not None:
            return inp.routes
        graph = build_graph(
            inp.regions, inp.warehouses, inp.roads, inp.closed_road_ids, inp.closed_pairs
        )
        return eligible_routes(
            graph, inp.warehouses, inp.regions, inp.policy, inp.level, region_codes=demand_regions
        )

    def candidates(self, region: int) -> np.ndarray:
        """Eligible pair positions of a demand region in dispatcher's order."""
        return self.by_region[self.by_region_start[region] : self.by_region_start[region + 1]]

    def stage2_unit_costs(self, positions: np.ndarray) -> tuple[np.ndarray, int]:
        """Integer transport cost per unit on pairs: (distance + tier penalty + cross-
        jurisdiction penalty if outside) in units of 10^-e km, and e.

        The item's weight/1000 multiplies every pair of the item alike, so the per-item
        problem leaves it out; the integers are exact (distances are hundredths)."""
        policy = self.input.policy
        penalties = [Decimal(str(v)) for v in policy.tier_penalty_ton_km.values()]
        cross_pen = Decimal(str(policy.cross_jurisdiction_penalty_ton_km or 0))
        exponent = max(
            [2] + [-int(p.as_tuple().exponent) for p in [*penalties, cross_pen] if p != 0]
        )
        scale = 10**exponent
        tier_pen = np.array(
            [
                int(Decimal(str(policy.tier_penalty_ton_km.get(t, 0))) * scale)
                for t in ("county", "prefecture", "provincial", "")
            ],
            dtype=np.int64,
        )
        routes = self.routes
        w = routes.pair_w[positions]
        cost = routes.dist_c[positions] * (scale // 100) + tier_pen[self.tier_rank[w]]
        outside = ~routes.in_jurisdiction[positions]
        cost = cost + outside.astype(np.int64) * int(cross_pen * scale)
        return cost, exponent

    # ----------------------------------------------------------------------- plan output

    def result(
        self,
        method: str,
        status: str,
        item_index: np.ndarray,
        positions: np.ndarray,
        quantities: np.ndarray,
        timings: dict[str, float],
        model_size: dict | None = None,
        made: ItemOutputs | None = None,
    ) -> PlanResult:
        """A PlanResult from an allocation given as aligned arrays (item index, pair
        position, quantity). Lines get their routes; every unmet need gets its reason.

        ``made``: the items whose lines and unmet needs were already made, as each was
        solved (``ItemOutputs``); the others are made here."""
        made = made or ItemOutputs(self)
        for k in range(len(self.items)):
            if k not in made.done:
                mine = item_index == k
                made.add(k, positions[mine], quantities[mine])
        timings = dict(timings)
        timings["paths"] = made.paths_s

        explain_started = time.perf_counter()
        n_items = len(self.items)
        # In (region, item, warehouse) order: the codes are sorted, so their indices sort
        # the same way (like sorting the lines by code).
        every = [line for k in range(n_items) for line in made.lines[k]]
        order = np.lexsort(
            (
                _concat([made.line_w[k] for k in range(n_items)]),
                _concat([np.full(len(made.lines[k]), k) for k in range(n_items)]),
                _concat([made.line_j[k] for k in range(n_items)]),
            )
        )
        lines = [every[i] for i in order.tolist()]
        remaining = made.remaining

        n_j = len(self.region_codes)
        totals = dict.fromkeys(
            ("demand", "allocated", "shortfall", "weighted_shortfall", "deprivation"), 0
        )
        weighted_demand = np.zeros(n_j, dtype=np.int64)
        weighted_got = np.zeros(n_j, dtype=np.int64)
        plain_demand = np.zeros(n_j, dtype=np.int64)
        plain_got = np.zeros(n_j, dtype=np.int64)
        by_item: list[ItemFill] = []
        unmet: list[Unmet] = []
        shorts: list[tuple[int, int, str]] = []  # (region, item, reason) of each unmet
        for k, need in enumerate(self.items):
            x = made.got[k]
            u = need.demand - x
            totals["demand"] += int(need.demand.sum())
            totals["allocated"] += int(x.sum())
            totals["shortfall"] += int(u.sum())
            totals["weighted_shortfall"] += int((need.priority * u).sum())
            totals["deprivation"] += deprivation(u, need.demand, need.priority)
            np.add.at(weighted_demand, need.region, need.priority * need.demand)
            np.add.at(weighted_got, need.region, need.priority * x)
            np.add.at(plain_demand, need.region, need.demand)
            np.add.at(plain_got, need.region, x)
            d_item, x_item = int(need.demand.sum()), int(x.sum())
            by_item.append(ItemFill(need.item_code, d_item, x_item, x_item / d_item))
            unmet += made.unmet[k]
            shorts += made.shorts[k]
        remedies = self._remedies(shorts, remaining)
        unmet = [
            dataclasses.replace(m, **remedies[(j, k)]) if (j, k) in remedies else m
            for m, (j, k, _) in zip(unmet, shorts, strict=True)
        ]
        unmet.sort(key=lambda m: (m.region_code, m.item_code))

        with_demand = plain_demand > 0
        if with_demand.any():
            # Fill rate weighted by priority; a region whose priorities are all 0 falls back
            # to the plain ratio rather than dividing by zero.
            wd, wg = weighted_demand[with_demand], weighted_got[with_demand]
            pd, pg = plain_demand[with_demand], plain_got[with_demand]
            rates = np.where(wd > 0, wg / np.maximum(wd, 1), pg / pd)
            min_fill = float(rates.min())
        else:
            min_fill = 1.0
        ton_km = Decimal(0)
        weight_of = dict(zip(self.item_codes, self.weight_kg, strict=True))
        for line in lines:
            ton_km += line.quantity * weight_of[line.item_code] * line.distance_km / 1000
        stats = {
            **totals,
            "min_fill_rate": min_fill,
            "regions_unserved": int(np.sum(with_demand & (plain_got == 0))),
            "ton_km": float(ton_km),
        }
        timings["explain"] = made.explain_s + time.perf_counter() - explain_started
        return PlanResult(
            method=method,
            status=status,
            level=self.input.level,
            stats=stats,
            by_item=by_item,
            lines=lines,
            unmet=unmet,
            solve_seconds=0.0,
            timings=timings,
            model_size=model_size or {},
        )

    def _reasons(self, k: int, regions: np.ndarray) -> list[str]:
        """Why each region's need for item k is not met, most fundamental first.

        The warehouses considered are those holding some of the item (available > 0); when
        none does, every warehouse. no_route: none of them is joined to the region by open
        roads; deadline: none reaches it in time; jurisdiction: none in time may serve it at
        this level; otherwise the eligible ones ran out (stock_exhausted)."""
        routes = self.routes
        holders = self.available[:, k] > 0
        if not holders.any():
            holders = np.ones(len(self.warehouse_codes), dtype=bool)
        if self._wh_comp is None:
            self._wh_comp = routes.component_of(self.warehouse_codes)
        wh_comp = self._wh_comp
        rg_comp = routes.component_of([self.region_codes[j] for j in regions.tolist()])
        joined = np.isin(rg_comp, wh_comp[holders])
        from_holder = holders[routes.pair_w]
        in_time = np.zeros(len(self.region_codes), dtype=bool)
        in_time[routes.pair_j[from_holder]] = True
        allowed = np.zeros(len(self.region_codes), dtype=bool)
        allowed[routes.pair_j[from_holder & routes.eligible]] = True
        out = []
        for j, ok in zip(regions.tolist(), joined.tolist(), strict=True):
            if not ok:
                out.append("no_route")
            elif not in_time[j]:
                out.append("deadline")
            elif not allowed[j]:
                out.append("jurisdiction")
            else:
                out.append("stock_exhausted")
        return out

    def _remedies(
        self, shorts: list[tuple[int, int, str]], remaining: np.ndarray
    ) -> dict[tuple[int, int], dict]:
        """What would let stock outside this plan's reach meet each unmet (region, item).

        - `unlocked_at_level`: the least severe level more severe than the plan's (levels
          are 1 … 4, 1 the most severe) at which warehouses that are not eligible now would
          be (a longer deadline, or a cross-jurisdiction level) and hold some of the item
          once this plan is reserved. Not for `no_route`: no level joins cut-off places.
        - `unlocked_by_reopening`: at the plan's level, the closed roads (network status or
          closure) on the fastest route from the first warehouse, in dispatcher's order,
          that reopening every road would make eligible and that holds some of the item.
          Needs the input's `roads` (and its closures) besides the routes.
        - `available_outside`: the units, once this plan is reserved, in the warehouses
          either remedy would add (other unmet needs may compete for them).

        Only the unmet needs' regions are searched again; the reason is left as it is."""
        if not shorts:
            return {}
        inp = self.input
        routes = self.routes
        n_w = len(self.warehouse_codes)
        wh_pos = {c: i for i, c in enumerate(self.warehouse_codes)}
        rg_pos = {c: i for i, c in enumerate(self.region_codes)}
        now_keys: list[np.ndarray] = []  # the eligible pairs as keys, made when first needed

        def added(other: EligibleRoutes) -> dict[int, tuple[np.ndarray, np.ndarray]]:
            """Per region, the warehouses eligible in `other` and not now, in dispatcher's
            order, with their pair positions in `other`."""
            positions = np.flatnonzero(other.eligible)
            w_map = np.array([wh_pos.get(c, -1) for c in other.warehouse_codes], dtype=np.int64)
            j_map = np.array([rg_pos.get(c, -1) for c in other.region_codes], dtype=np.int64)
            w = w_map[other.pair_w[positions]] if len(positions) else positions
            j = j_map[other.pair_j[positions]] if len(positions) else positions
            if not now_keys:
                now = routes.eligible
                now_keys.append(
                    np.unique(routes.pair_j[now].astype(np.int64) * n_w + routes.pair_w[now])
                )
            keep = (w >= 0) & (j >= 0) & ~np.isin(j * n_w + w, now_keys[0])
            positions, w, j = positions[keep], w[keep], j[keep]
            order = np.lexsort((w, self.tier_rank[w], other.time_c[positions], j))
            positions, w, j = positions[order], w[order], j[order]
            out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
            for region in np.unique(j).tolist():
                mine = j == region
                out[region] = (w[mine], positions[mine])
            return out

        found: dict[tuple[int, int], dict] = {}
        extra: dict[tuple[int, int], set[int]] = {}
        pending = {(j, k) for j, k, reason in shorts if reason != "no_route"}
        for level in range(int(inp.level) - 1, 0, -1):
            if not pending:
                break
            other = eligible_routes_on(
                routes.index,
                inp.warehouses,
                inp.regions,
                inp.policy,
                level,
                region_codes=sorted({self.region_codes[j] for j, _ in pending}),
            )
            new = added(other)
            for j, k in sorted(pending):
                ws = new.get(j, (np.empty(0, dtype=np.int64),))[0]
                ws = ws[remaining[ws, k] > 0]
                if len(ws):
                    found[(j, k)] = {"unlocked_at_level": level}
                    extra[(j, k)] = set(ws.tolist())
                    pending.discard((j, k))

        for (j, k), roads in self._reopenings(shorts, remaining, added).items():
            found.setdefault((j, k), {})["unlocked_by_reopening"] = roads[0]
            extra.setdefault((j, k), set()).update(roads[1])
        for key, ws in extra.items():
            found[key]["available_outside"] = int(remaining[sorted(ws), key[1]].sum())
        return found

    def _reopenings(
        self,
        shorts: list[tuple[int, int, str]],
        remaining: np.ndarray,
        added: Callable[[EligibleRoutes], dict[int, tuple[np.ndarray, np.ndarray]]],
    ) -> dict[tuple[int, int], tuple[list[tuple[str, str, int | str | None]], set[int]]]:
        """Per unmet (region, item) that reopening closed roads would serve at the plan's
        level: the closed roads on the way in, and the warehouses reopening adds."""
        inp = self.input
        ids = {str(i) for i in inp.closed_road_ids}
        pairs = {tuple(sorted((str(a), str(b)))) for a, b in inp.closed_pairs}
        if not inp.roads or not (ids or pairs or any(road.status != "open" for road in inp.roads)):
            return {}
        graph, other = self._reopened_routes({self.region_codes[j] for j, _, _ in shorts})
        new = added(other)
        by_id = {str(road.id): road for road in inp.roads if road.id is not None}
        planned = self.routes.index.graph
        firsts: dict[tuple[int, int], tuple[int, set[int]]] = {}
        for j, k, _ in shorts:
            ws, positions = new.get(j, (np.empty(0, dtype=np.int64), np.empty(0)))
            holds = remaining[ws, k] > 0 if len(ws) else np.zeros(0, dtype=bool)
            if holds.any():
                firsts[(j, k)] = (int(positions[holds][0]), set(ws[holds].tolist()))
        paths = other.paths_at(sorted({pos for pos, _ in firsts.values()}))
        out: dict[tuple[int, int], tuple[list, set]] = {}
        for key, (pos, ws) in firsts.items():
            roads: list[tuple[str, str, int | str | None]] = []
            path = paths[pos]
            for a, b in zip(path, path[1:], strict=False):
                edge = graph.edges[a, b]
                now = planned.edges[a, b] if planned.has_edge(a, b) else None
                if now is not None and (now["time_c"], now["dist_c"], now["road_id"]) == (
                    edge["time_c"],
                    edge["dist_c"],
                    edge["road_id"],
                ):
                    continue  # open in the plan's network as it is
                road = by_id.get(str(edge["road_id"])) if edge["road_id"] is not None else None
                ends = (road.from_code, road.to_code) if road is not None else (a, b)
                roads.append((*ends, edge["road_id"]))
            if roads:
                out[key] = (roads, ws)
        return out

    def _reopened_routes(self, needed: set[str]) -> tuple[Any, EligibleRoutes]:
        """The graph with every road open and its eligible routes for (at least) the
        ``needed`` regions. No closure changes them, so with a warm store (``inp.warm``)
        they are computed once, for every demand region, and reused by later plans."""
        inp = self.input
        warm = inp.warm
        key = f"reopened:{inp.level}"
        if warm is not None and key in warm:
            regions, other = warm[key]
            if needed <= regions:
                return other.index.graph, other
        regions = set(self.region_codes) | needed if warm is not None else needed
        reopened = [dataclasses.replace(road, status="open") for road in inp.roads]
        graph = build_graph(inp.regions, inp.warehouses, reopened)
        other = eligible_routes(
            graph,
            inp.warehouses,
            inp.regions,
            inp.policy,
            inp.level,
            region_codes=sorted(regions),
        )
        if warm is not None:
            warm[key] = (regions, other)
        return graph, other

    def _eligible_lists(
        self, regions: np.ndarray, k: int, remaining: np.ndarray, codes: np.ndarray
    ) -> list[list[tuple[str, int]]]:
        """Per region of ``regions``: its eligible warehouses that keep item k, with what
        they still have available once this plan is reserved, in dispatcher's order (all
        regions at once, in a few array steps)."""
        starts = self.by_region_start[regions]
        counts = self.by_region_start[regions + 1] - starts
        total = int(counts.sum())
        ends = np.cumsum(counts)
        # The candidates of every region, one after the other.
        idx = np.arange(total) - np.repeat(ends - counts, counts) + np.repeat(starts, counts)
        w = self.routes.pair_w[self.by_region[idx]]
        keep = self.stocked[w, k]
        owner = np.repeat(np.arange(len(regions)), counts)[keep]
        w = w[keep]
        every = list(zip(codes[w].tolist(), remaining[w, k].tolist(), strict=True))
        bounds = np.searchsorted(owner, np.arange(len(regions) + 1)).tolist()
        return [every[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def model_counts(self) -> dict[str, int]:
        return {
            "items": len(self.item_codes),
            "demand_lines": int(sum(len(i.demand) for i in self.items)),
            "demand_regions": int(sum(1 for _ in self._demand_regions())),
            "warehouses": len(self.warehouse_codes),
            "pairs_in_time": int(len(self.routes.pair_w)),
            "eligible_pairs": int(len(self.eligible_positions)),
        }

    def _demand_regions(self) -> Iterable[int]:
        seen: set[int] = set()
        for need in self.items:
            seen.update(need.region.tolist())
        return seen


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


class ItemOutputs:
    """The lines (with routes) and the unmet needs (with reasons) of a plan, made one item
    at a time: the optimal solver makes each item's as soon as a worker process has solved
    it, while the others are still being solved, instead of all after the last one
    (``Problem.result`` makes the rest and puts them together). Routes and the pair data
    of the lines are shared by the items (``EligibleRoutes.paths_at``'s memo)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.done: set[int] = set()
        self.paths: dict[int, list[str]] = {}
        self.memo: dict[int, dict[int, int]] = {}
        # Per pair, once (the items of a pair share them): codes, distance, time.
        self.pair: dict[int, tuple[str, str, Decimal, Decimal]] = {}
        self.remaining = problem.available.copy()  # once this plan is reserved
        self.codes = np.array(problem.warehouse_codes, dtype=object)
        self.lines: dict[int, list[PlanLine]] = {}
        self.line_j: dict[int, np.ndarray] = {}
        self.line_w: dict[int, np.ndarray] = {}
        self.got: dict[int, np.ndarray] = {}  # per need of the item
        self.unmet: dict[int, list[Unmet]] = {}
        self.shorts: dict[int, list[tuple[int, int, str]]] = {}
        self.paths_s = 0.0
        self.explain_s = 0.0

    def add(self, k: int, positions: np.ndarray, quantities: np.ndarray) -> None:
        """Item k's allocation: pair positions and quantities."""
        started = time.perf_counter()
        problem = self.problem
        routes = problem.routes
        keep = quantities > 0
        positions, quantities = positions[keep], quantities[keep]
        new = [p for p in np.unique(positions).tolist() if p not in self.paths]
        self.paths.update(routes.paths_at(new, self.memo))
        for pos in new:
            self.pair[pos] = (
                problem.warehouse_codes[int(routes.pair_w[pos])],
                problem.region_codes[int(routes.pair_j[pos])],
                from_hundredths(int(routes.dist_c[pos])),
                from_hundredths(int(routes.time_c[pos])),
            )
        explain_started = time.perf_counter()
        self.paths_s += explain_started - started

        pj, pw = routes.pair_j[positions], routes.pair_w[positions]
        order = np.lexsort((pw, pj))
        item_code = problem.item_codes[k]
        paths, pair = self.paths, self.pair
        self.lines[k] = [
            PlanLine(w, j, item_code, q, dist, eta, paths[pos])
            for pos, q, (w, j, dist, eta) in (
                (pos, q, pair[pos])
                for pos, q in zip(
                    positions[order].tolist(), quantities[order].tolist(), strict=True
                )
            )
        ]
        self.line_j[k], self.line_w[k] = pj[order], pw[order]

        need = problem.items[k]
        got = np.zeros(len(problem.region_codes), dtype=np.int64)
        np.add.at(got, pj, quantities)
        used = np.zeros(len(problem.warehouse_codes), dtype=np.int64)
        np.add.at(used, pw, quantities)
        if np.any(used > problem.available[:, k]):
            raise RuntimeError("allocation exceeds available stock")  # a solver bug, never data
        self.remaining[:, k] = problem.available[:, k] - used
        x = got[need.region]
        if np.any(x > need.demand):
            raise RuntimeError("allocation exceeds demand")
        self.got[k] = x
        u = need.demand - x
        short = np.flatnonzero(u > 0)
        self.unmet[k], self.shorts[k] = [], []
        if len(short):
            reasons = problem._reasons(k, need.region[short])
            lists = problem._eligible_lists(need.region[short], k, self.remaining, self.codes)
            for s, reason, eligible in zip(short.tolist(), reasons, lists, strict=True):
                j = int(need.region[s])
                self.shorts[k].append((j, k, reason))
                self.unmet[k].append(
                    Unmet(
                        region_code=problem.region_codes[j],
                        item_code=need.item_code,
                        demand=int(need.demand[s]),
                        allocated=int(x[s]),
                        shortfall=int(u[s]),
                        reason=reason,
                        eligible=eligible,
                    )
                )
        self.done.add(k)
        self.explain_s += time.perf_counter() - explain_started
