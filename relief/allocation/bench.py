"""The allocation benchmark: a seeded synthetic network at county, province or national
scale, planned end to end (demand, graph, eligibility, both stages, routes), with stage
timings, peak memory and model size. ``relief bench allocation`` calls
``run_allocation_bench``; docs/benchmarks.md records its numbers.

The synthetic country is built like the real one, only random: townships scattered over
the land, grouped into counties, prefectures and provinces as Voronoi cells around seed
townships; one warehouse per province (provincial core), prefecture (backbone) and county
(area depot) at the seed; township roads to the nearest neighbours at 30–50 km/h;
expressways (70–90 km/h) from each depot to its prefecture's backbone, from backbones to
their provincial core, and between nearby depots, backbones and cores. The event hits a
contiguous share of townships around a few epicentres, as a flood or an earthquake does.
"""

from __future__ import annotations

import os
import platform
import resource
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from relief.allocation.model import PlanResult
from relief.allocation.planning import PlanRun, run_plan
from relief.allocation.replan import changed_pairs, item_objectives
from relief.emergency.records import EventSpec, Norm, Policy, Report
from relief.network.records import Item, Region, Road, StockLevel, Warehouse
from relief.scenario.records import Scenario


@dataclass(frozen=True)
class BenchSize:
    provinces: int
    prefectures: int
    counties: int
    townships: int
    side_km: float  # the land is a square of this side
    level: int
    affected_share: float
    epicentres: int
    # The whole network holds this many times the event's need of each item (drawn per
    # item between the two); only the part near the event can reach it in time.
    stock_ratio: tuple[float, float]
    # With a single county the only warehouse is its depot (no backbone, no core).
    county_only: bool = False


SIZES = {
    # One county depot and ~20 townships (a county of ~4,800 km²).
    "county": BenchSize(1, 1, 1, 20, 70.0, 3, 1.0, 1, (0.3, 1.2), county_only=True),
    # Guizhou: 1 provincial core, 9 prefecture backbones, 88 county depots, ~1,500
    # townships over 176,000 km²; a level-3 flood over a tenth of the townships.
    "province": BenchSize(1, 9, 88, 1500, 420.0, 3, 0.10, 2, (1.5, 6.0)),
    # China: 31 provinces, ~340 prefectures, ~2,900 counties, ~40,000 townships over
    # 9.6 million km²; a level-1 event hitting 5 % of townships, cross-jurisdiction on.
    "national": BenchSize(31, 340, 2900, 40000, 3100.0, 1, 0.05, 3, (1.5, 6.0)),
}

ITEMS = [
    # code, weight kg, basis, per person, priority
    ("rice", "25", "needing_aid", "0.6", 10),
    ("flour", "25", "needing_aid", "0.3", 9),
    ("water", "12", "needing_aid", "0.5", 10),
    ("instant_noodles", "8", "needing_aid", "0.2", 7),
    ("cooking_oil", "5", "needing_aid", "0.05", 5),
    ("tent", "30", "relocated", "0.25", 8),
    ("cotton_tent", "40", "relocated", "0.05", 6),
    ("folding_bed", "12", "relocated", "0.5", 6),
    ("quilt", "3", "relocated", "1", 7),
    ("blanket", "2", "relocated", "0.5", 6),
    ("coat", "1.5", "relocated", "0.5", 5),
    ("sleeping_bag", "2", "relocated", "0.3", 5),
    ("stove", "15", "relocated", "0.05", 4),
    ("tarp", "4", "relocated", "0.1", 6),
    ("toilet", "20", "relocated", "0.02", 5),
    ("floodlight", "18", "relocated", "0.005", 3),
    ("generator", "60", "relocated", "0.002", 4),
    ("lifejacket", "1.2", "relocated", "0.1", 6),
    ("medicine_kit", "2.5", "needing_aid", "0.02", 9),
    ("hygiene_kit", "1.5", "needing_aid", "0.1", 5),
]
T0 = datetime(2026, 7, 1, 6, tzinfo=timezone(timedelta(hours=8)))
TIER_SHARE = {"provincial": 20.0, "prefecture": 5.0, "county": 1.0}


def _split(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """total children spread over parents in proportion to weights, at least one each."""
    base = np.ones(len(weights), dtype=np.int64)
    extra = total - len(weights)
    if extra > 0:
        base += rng.multinomial(extra, weights / weights.sum())
    return base


def _cells(
    rng: np.random.Generator, points: np.ndarray, members: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``members`` (point indices) into ``count`` Voronoi cells around seed members;
    returns (seed point index per cell, cell of each member)."""
    count = min(count, len(members))
    seeds = rng.choice(members, size=count, replace=False)
    _, cell = cKDTree(points[seeds]).query(points[members])
    # A seed always lies in its own cell, so no cell is empty.
    return seeds, np.asarray(cell, dtype=np.int64)


def _township_links(rng: np.random.Generator, pts: np.ndarray) -> np.ndarray:
    """Pairs of township indices joined by a road."""
    n = len(pts)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    if n < 4:
        return np.array([(i, i + 1) for i in range(n - 1)], dtype=np.int64)
    tri = Delaunay(pts)
    s = tri.simplices
    edges = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    length = np.linalg.norm(pts[edges[:, 0]] - pts[edges[:, 1]], axis=1)
    graph = sp.coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    in_tree = set(
        zip(
            np.minimum(tree.row, tree.col).tolist(),
            np.maximum(tree.row, tree.col).tolist(),
            strict=True,
        )
    )
    extra = np.array([(a, b) not in in_tree for a, b in edges.tolist()]) & (
        rng.random(len(edges)) < 0.5
    )
    tree_edges = np.array(sorted(in_tree), dtype=np.int64).reshape(-1, 2)
    return np.concatenate([tree_edges, edges[extra]])


def _road(rng: np.random.Generator, a: str, b: str, km: float, speed: float, i: int) -> Road:
    km = max(km, 0.5)
    hours = max(0.01, km / speed)
    return Road(f"r{i}", a, b, Decimal(f"{km:.2f}"), Decimal(f"{hours:.2f}"), "open")


def synthetic_scenario(size: str, seed: int) -> Scenario:
    """A seeded synthetic scenario (regions, warehouses, roads, items, stock, policy and one
    event named ``bench``) at the given size."""
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    n_t = spec.townships
    pts = rng.random((n_t, 2)) * spec.side_km

    regions: list[Region] = []
    warehouses: list[Warehouse] = []
    roads: list[Road] = []
    # Province → prefecture → county cells, each a Voronoi split of its parent's townships.
    prov_seed, prov_of = _cells(rng, pts, np.arange(n_t), spec.provinces)
    county_of = np.empty(n_t, dtype=np.int64)
    county_seed: list[int] = []
    county_code: list[str] = []
    county_pref: list[int] = []
    pref_seed: list[int] = []
    pref_code: list[str] = []
    pref_prov: list[int] = []
    sizes_p = np.bincount(prov_of, minlength=len(prov_seed)).astype(float)
    prefs_per_prov = _split(rng, spec.prefectures, sizes_p)
    for p in range(len(prov_seed)):
        pcode = f"{11 + p:02d}0000"
        regions.append(Region(pcode, f"Province {p + 1}", "province", None, 0.0, 0.0))
        members = np.flatnonzero(prov_of == p)
        seeds, cell = _cells(rng, pts, members, int(prefs_per_prov[p]))
        sizes_f = np.bincount(cell, minlength=len(seeds)).astype(float)
        counties_per_pref = _split(
            rng, max(len(seeds), spec.counties * len(members) // n_t), sizes_f
        )
        for f in range(len(seeds)):
            fcode = f"{pcode[:2]}{f + 1:02d}00"
            regions.append(Region(fcode, f"Prefecture {fcode}", "prefecture", pcode, 0.0, 0.0))
            pref_seed.append(int(seeds[f]))
            pref_code.append(fcode)
            pref_prov.append(p)
            fmembers = members[cell == f]
            cseeds, ccell = _cells(rng, pts, fmembers, int(counties_per_pref[f]))
            for c in range(len(cseeds)):
                ccode = f"{fcode[:4]}{c + 1:02d}"
                regions.append(Region(ccode, f"County {ccode}", "county", fcode, 0.0, 0.0))
                county_of[fmembers[ccell == c]] = len(county_seed)
                county_seed.append(int(cseeds[c]))
                county_code.append(ccode)
                county_pref.append(len(pref_seed) - 1)
    township_code = [""] * n_t
    per_county: dict[int, int] = {}
    for t in range(n_t):
        c = int(county_of[t])
        per_county[c] = per_county.get(c, 0) + 1
        township_code[t] = f"{county_code[c]}{per_county[c]:03d}"
        regions.append(
            Region(township_code[t], township_code[t], "township", county_code[c], 0.0, 0.0)
        )

    # Warehouses at the seeds; each joined to its own region node by a short road.
    road_i = 0
    tiers: list[tuple[str, str, str, int]] = []
    if not spec.county_only:
        for p in range(len(prov_seed)):
            tiers.append((f"WP{p:02d}", "provincial", f"{11 + p:02d}0000", int(prov_seed[p])))
        for f, fcode in enumerate(pref_code):
            tiers.append((f"WF{f:03d}", "prefecture", fcode, pref_seed[f]))
    for c, ccode in enumerate(county_code):
        tiers.append((f"WC{c:04d}", "county", ccode, county_seed[c]))
    wh_point = {}
    for code, tier, region_code, at in tiers:
        warehouses.append(Warehouse(code, code, tier, region_code, 0.0, 0.0))
        wh_point[code] = pts[at] + rng.normal(0, 1.0, 2)
        roads.append(_road(rng, code, region_code, 1.0, 40.0, road_i))
        road_i += 1

    # Township roads: a planar mesh like a real rural network: the Delaunay triangulation's
    # minimum spanning tree (so every township is connected) plus half of its other edges.
    for a, b in _township_links(rng, pts).tolist():
        d = float(np.linalg.norm(pts[a] - pts[b]))
        roads.append(
            _road(
                rng,
                township_code[a],
                township_code[b],
                d * rng.uniform(1.2, 1.5),
                rng.uniform(30, 50),
                road_i,
            )
        )
        road_i += 1
    # Each depot to the 3 nearest townships of its county.
    for c in range(len(county_seed)):
        members = np.flatnonzero(county_of == c)
        here = wh_point[f"WC{c:04d}"]
        d = np.linalg.norm(pts[members] - here, axis=1)
        for m in np.argsort(d)[:3].tolist():
            roads.append(
                _road(
                    rng,
                    f"WC{c:04d}",
                    township_code[int(members[m])],
                    d[m] * 1.3,
                    rng.uniform(35, 55),
                    road_i,
                )
            )
            road_i += 1

    def expressway(a: str, b: str) -> None:
        nonlocal road_i
        d = float(np.linalg.norm(wh_point[a] - wh_point[b]))
        roads.append(_road(rng, a, b, d * rng.uniform(1.1, 1.3), rng.uniform(70, 90), road_i))
        road_i += 1

    def mesh(codes: list[str], k: int) -> None:
        if len(codes) < 2:
            return
        at = np.array([wh_point[c] for c in codes])
        _, near = cKDTree(at).query(at, k=min(k + 1, len(codes)))
        done: set[tuple[int, int]] = set()
        for a in range(len(codes)):
            for b in near[a, 1:].tolist():
                key = (min(a, b), max(a, b))
                if key not in done:
                    done.add(key)
                    expressway(codes[a], codes[b])

    if not spec.county_only:
        for c in range(len(county_seed)):
            expressway(f"WC{c:04d}", f"WF{county_pref[c]:03d}")
        for f in range(len(pref_code)):
            expressway(f"WF{f:03d}", f"WP{pref_prov[f]:02d}")
        mesh([f"WP{p:02d}" for p in range(len(prov_seed))], 3)
        mesh([f"WF{f:03d}" for f in range(len(pref_code))], 3)
    mesh([f"WC{c:04d}" for c in range(len(county_seed))], 3)

    # Items, norms and stock: each item's total stock is a random multiple of what the
    # event needs, spread over warehouses by tier; some depots do not keep every item.
    items = [
        Item(code, code, code, "piece", Decimal(w), Decimal("0.05"), "") for code, w, *_ in ITEMS
    ]
    norms = [Norm(code, basis, Decimal(pp), prio) for code, _, basis, pp, prio in ITEMS]

    affected = int(round(spec.affected_share * n_t))
    centres = rng.choice(n_t, size=spec.epicentres, replace=False)
    d_centre, _ = cKDTree(pts[centres]).query(pts)
    hit = np.sort(np.argsort(d_centre)[:affected])
    population = rng.lognormal(np.log(25_000), 0.5, n_t).astype(np.int64)
    reports = []
    relocated = (population[hit] * rng.uniform(0.01, 0.08, len(hit))).astype(np.int64)
    aided = (population[hit] * rng.uniform(0.03, 0.2, len(hit))).astype(np.int64)
    for s, (t, r, a) in enumerate(
        zip(hit.tolist(), relocated.tolist(), aided.tolist(), strict=True)
    ):
        counts = dict.fromkeys(
            ("deaths", "missing", "collapsed_households", "collapsed_rooms", "severe_households")
            + ("severe_rooms", "general_households", "general_rooms"),
            0,
        )
        counts.update(relocated=r, needing_aid=a)
        reports.append(Report(township_code[t], "initial", T0, counts, s))
    basis_total = {"relocated": int(relocated.sum()), "needing_aid": int(aided.sum())}

    stock: list[StockLevel] = []
    share = np.array([TIER_SHARE[w.tier] for w in warehouses])
    keep_p = np.array([1.0 if w.tier != "county" else 0.7 for w in warehouses])
    for code, _, basis, pp, _ in ITEMS:
        need = float(Decimal(pp) * basis_total[basis])
        total = need * rng.uniform(*spec.stock_ratio)
        kept = rng.random(len(warehouses)) < keep_p
        weights = share * rng.uniform(0.5, 1.5, len(warehouses)) * kept
        if weights.sum() == 0:
            continue
        on_hand = np.floor(total * weights / weights.sum()).astype(np.int64)
        floor = (on_hand * rng.uniform(0.0, 0.15, len(warehouses))).astype(np.int64)
        for w, q, fl, k_ in zip(
            warehouses, on_hand.tolist(), floor.tolist(), kept.tolist(), strict=True
        ):
            if k_:
                stock.append(StockLevel(w.code, code, q, fl))

    policy = Policy(
        deadlines_h={1: Decimal(8), 2: Decimal(10), 3: Decimal(12), 4: Decimal(12)},
        cross_jurisdiction_levels=frozenset({1, 2}),
        tier_penalty_ton_km={
            "county": Decimal(0),
            "prefecture": Decimal(20),
            "provincial": Decimal(60),
        },
        cross_jurisdiction_penalty_ton_km=Decimal(30),
        norms=norms,
    )
    event = EventSpec(
        "bench",
        "Synthetic event",
        "flood",
        T0,
        spec.level,
        sorted({township_code[t] for t in hit}),
        [],
        reports,
    )
    return Scenario(
        name=f"bench-{size}-{seed}",
        path=Path("."),
        regions=regions,
        warehouses=warehouses,
        roads=roads,
        items=items,
        stock=stock,
        policy=policy,
        events={"bench": event},
    )


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        # Other work on the machine inflates wall times; the load says how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": memory_gb,
        "python": platform.python_version(),
    }


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the solver's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_memory_mb() -> float:
    """Peak resident set size of this process so far (getrusage ru_maxrss; KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_allocation_bench(
    size: str = "province",
    seed: int = 0,
    replan_after_closure: bool = False,
    workers: int | None = None,
) -> dict[str, Any]:
    """Generate the synthetic ``size`` network with ``seed`` and plan it (method optimal).

    Returns the network and event sizes, per-stage wall seconds, the model's size and the
    peak memory of the process (``ru_maxrss``: measured since the process started, so run
    it in a fresh process, as ``relief bench allocation`` does). ``timings_s.plan_total``
    is the wall time from the scenario record to the finished plan, the solver's worker
    processes started and stopped included. ``workers``: the solver's processes (None:
    the solver settings).

    With ``replan_after_closure``, one road the plan uses (drawn with the seed) is then
    closed and the event replanned twice: reusing the first plan (``replan``) and from
    scratch; ``replan`` gives both times and whether the two plans are the same."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    started = time.perf_counter()
    scenario = synthetic_scenario(size, seed)
    generated = time.perf_counter() - started

    cpu_started = cpu_seconds()
    plan_started = time.perf_counter()
    run = run_plan(scenario, "bench", "optimal", workers=workers)
    plan_total = time.perf_counter() - plan_started
    plan_cpu = cpu_seconds() - cpu_started
    plan = run.plans["optimal"]
    timings = {
        "generate": generated,
        "demand": run.timings["demand"],
        "graph": run.timings["graph"],
        "eligibility": run.timings["eligibility"],
        "prepare": plan.timings.get("prepare", 0.0),
        "stage1": plan.timings.get("stage1", 0.0),
        "stage2": plan.timings.get("stage2", 0.0),
        # Wall time of both stages of all items (in the workers when there are several:
        # then stage1 and stage2 above are summed over the workers).
        "items": plan.timings.get("items", 0.0),
        "paths": plan.timings.get("paths", 0.0),
        "explain": plan.timings.get("explain", 0.0),
        "plan_total": plan_total,
    }
    tiers = {
        t: sum(1 for w in scenario.warehouses if w.tier == t)
        for t in ("provincial", "prefecture", "county")
    }
    size_info = dict(plan.model_size)
    n_items = max(1, size_info.get("items", 0))
    size_info["mean_item_nodes"] = round(size_info.get("nodes_total", 0) / n_items, 1)
    size_info["mean_item_arcs"] = round(size_info.get("arcs_total", 0) / n_items, 1)
    size_info["searched_from"] = run.routes.searched_from
    size_info["dijkstra_searches"] = run.routes.searches
    return {
        "size": size,
        "seed": seed,
        "network": {
            "regions": len(scenario.regions),
            "townships": sum(1 for r in scenario.regions if r.level == "township"),
            "warehouses": tiers,
            "roads": len(scenario.roads),
            "graph_edges": run.routes.index.graph.number_of_edges(),
        },
        "event": {
            "level": run.level,
            "affected_regions": len(scenario.events["bench"].reports),
            "demand_lines": len(run.demand),
            "items": len({d.item_code for d in run.demand}),
        },
        "model": size_info,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        # CPU seconds of the plan (graph to routes), the solver's worker processes
        # included: unlike wall time, not inflated when other work shares the machine.
        "plan_cpu_s": round(plan_cpu, 3),
        "peak_memory_mb": peak_memory_mb(),
        # The largest worker process's peak (0 when the items were solved in-process).
        "peak_memory_worker_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "memory_measure": "getrusage(RUSAGE_SELF).ru_maxrss: peak resident set of the process",
        "result": {
            "status": plan.status,
            "deprivation": plan.stats["deprivation"],
            "demand": plan.stats["demand"],
            "allocated": plan.stats["allocated"],
            "min_fill_rate": round(plan.stats["min_fill_rate"], 4),
            "regions_unserved": plan.stats["regions_unserved"],
            "ton_km": round(plan.stats["ton_km"], 1),
            "lines": len(plan.lines),
            "unmet": len(plan.unmet),
        },
        "machine": machine(),
        **({"replan": _replan(scenario, run, seed, workers)} if replan_after_closure else {}),
    }


def closure_for(scenario: Scenario, plan: PlanResult, seed: int) -> tuple[str, str] | None:
    """The ends of a road on the routes of the plan's lines, drawn with ``seed``."""
    used = sorted(
        {
            tuple(sorted(hop))
            for line in plan.lines
            for hop in zip(line.path, line.path[1:], strict=False)
        }
    )
    if not used:
        return None
    a, b = used[int(np.random.default_rng(seed).integers(len(used)))]
    return (a, b)


def _replan(scenario: Scenario, run: PlanRun, seed: int, workers: int | None) -> dict[str, Any]:
    """Close one road the plan uses and plan again, reusing ``run`` and from scratch."""
    plan = run.plans["optimal"]
    ends = closure_for(scenario, plan, seed)
    if ends is None:
        return {"closed": None}
    t0, c0 = time.perf_counter(), cpu_seconds()
    reused = run_plan(
        scenario, "bench", "optimal", extra_closures=[ends], workers=workers, previous=run
    )
    replan_total, replan_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    t0, c0 = time.perf_counter(), cpu_seconds()
    scratch = run_plan(scenario, "bench", "optimal", extra_closures=[ends], workers=workers)
    scratch_total, scratch_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    a, b = reused.plans["optimal"], scratch.plans["optimal"]
    return {
        "closed": list(ends),
        "pairs_changed": changed_pairs(run.routes, reused.routes),
        "items": a.model_size.get("items", 0),
        "items_reused": a.model_size.get("items_reused", 0),
        "timings_s": {
            "replan_total": round(replan_total, 3),
            "reuse_check": round(reused.timings.get("reuse", 0.0), 3),
            "scratch_total": round(scratch_total, 3),
        },
        "cpu_s": {"replan": round(replan_cpu, 3), "scratch": round(scratch_cpu, 3)},
        # Both optimal: the same deprivation and transport per item. Where an item has
        # several optima the kept flow may be another of them than the fresh solve's.
        "same_optimum": item_objectives(reused.input, a) == item_objectives(scratch.input, b),
        "same_lines": a.lines == b.lines and a.unmet == b.unmet,
        "result": {
            "deprivation": a.stats["deprivation"],
            "ton_km": round(a.stats["ton_km"], 1),
            "lines": len(a.lines),
        },
    }
