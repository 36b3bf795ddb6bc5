"""Solving items in worker processes gives the serial plan, and a replan after a road
closure that keeps the untouched items is as good as a plan made from scratch."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relief.allocation import pipeline
from relief.allocation.bench import closure_for, run_allocation_bench, synthetic_scenario
from relief.allocation.planning import run_plan
from relief.allocation.replan import item_objectives, reusable_items
from relief.allocation.solver import solve
from relief.config import get_solver_settings
from relief.network import graph as graph_module

from .test_solver_properties import instances


@pytest.fixture
def parallel_always(monkeypatch):
    """Every model counts as large: the pool is used whatever the size."""
    monkeypatch.setenv("RELIEF_SOLVER_PARALLEL_MIN_ARCS", "0")
    get_solver_settings.cache_clear()
    yield
    get_solver_settings.cache_clear()


@pytest.fixture(scope="module")
def province():
    scenario = synthetic_scenario("province", 0)
    return scenario, run_plan(scenario, "bench", workers=1)


def test_parallel_and_serial_solves_give_identical_plans(parallel_always, province):
    _, run = province
    serial = run.plans["optimal"]
    parallel = solve(run.input, workers=2)
    assert parallel.model_size["workers"] == 2
    assert serial.model_size["workers"] == 1
    assert parallel.lines == serial.lines
    assert parallel.unmet == serial.unmet
    assert parallel.stats == serial.stats
    assert parallel.status == serial.status == "optimal"


def test_routes_searched_in_a_forked_process_equal_those_searched_here(monkeypatch, province):
    """The eligibility searches shared with a forked process (national scale) give the
    same routes, kept labels and graph as searching here, and so the same plan."""
    scenario, run = province
    monkeypatch.setattr(pipeline, "_BESIDE_MIN_CELLS", 0)
    # Runs of a few sources each, so that both processes take some.
    monkeypatch.setattr(graph_module, "_BATCH_CELLS", 5 * len(run.routes.index.codes))
    forked = run_plan(scenario, "bench", workers=1)
    a, b = forked.routes, run.routes
    for name in ("pair_w", "pair_j", "time_c", "dist_c", "in_jurisdiction"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert (a.warehouse_codes, a.region_codes) == (b.warehouse_codes, b.region_codes)
    assert (a.searched_from, a.searches, a.level) == (b.searched_from, b.searches, b.level)
    assert a.labels is not None and b.labels is not None and a.labels.keys() == b.labels.keys()
    for v, (idx, lab) in b.labels.items():
        assert np.array_equal(a.labels[v][0], idx) and np.array_equal(a.labels[v][1], lab)
    assert nx.utils.edges_equal(a.index.graph.edges(data=True), b.index.graph.edges(data=True))
    assert dict(a.index.graph.nodes(data=True)) == dict(b.index.graph.nodes(data=True))
    assert forked.plans["optimal"].lines == run.plans["optimal"].lines
    assert forked.plans["optimal"].unmet == run.plans["optimal"].unmet


def test_a_small_model_is_solved_in_this_process():
    result = run_allocation_bench("county", 3, workers=4)
    assert result["model"]["workers"] == 1


def test_the_workers_setting_defaults_to_one_per_cpu(parallel_always, province):
    _, run = province
    plan = solve(run.input)  # workers from the settings: 0, one per CPU
    assert plan.model_size["workers"] >= 1
    assert plan.lines == run.plans["optimal"].lines


def test_replan_after_a_closure_keeps_untouched_items_and_equals_a_fresh_plan(province):
    scenario, run = province
    # Seed 4 draws a township road that only some items' flows use.
    ends = closure_for(scenario, run.plans["optimal"], 4)
    reused = run_plan(scenario, "bench", extra_closures=[ends], workers=1, previous=run)
    fresh = run_plan(scenario, "bench", extra_closures=[ends], workers=1)
    a, b = reused.plans["optimal"], fresh.plans["optimal"]
    assert a.model_size["items_reused"] >= 1
    assert a.status == b.status == "optimal"
    assert item_objectives(reused.input, a) == item_objectives(fresh.input, b)
    assert a.stats["deprivation"] == b.stats["deprivation"]
    assert {(u.region_code, u.item_code, u.shortfall) for u in a.unmet} == {
        (u.region_code, u.item_code, u.shortfall) for u in b.unmet
    }


def test_a_replan_with_other_demand_reuses_nothing(province):
    _, run = province
    inp = run.input
    changed = dataclasses.replace(inp, demand=inp.demand[1:], warm=None)
    assert reusable_items(inp, run.plans["optimal"], changed) == {}
    assert len(reusable_items(inp, run.plans["optimal"], inp)) == len(run.plans["optimal"].by_item)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_reused_replan_has_the_fresh_optimum_on_random_networks(inp, data):
    before = solve(inp, workers=1)
    open_roads = [r for r in inp.roads if r.status == "open"]
    if not open_roads:
        return
    road = data.draw(st.sampled_from(open_roads))
    after = dataclasses.replace(inp, closed_pairs=[(road.from_code, road.to_code)])
    keep = reusable_items(inp, before, after)
    reused = solve(after, workers=1, keep=keep)
    fresh = solve(after, workers=1)
    assert item_objectives(after, reused) == item_objectives(after, fresh)
    assert reused.stats["deprivation"] == fresh.stats["deprivation"]


def test_the_bench_replans_after_a_closure():
    result = run_allocation_bench("county", 3, replan_after_closure=True)
    replan = result["replan"]
    assert replan["closed"] is not None and len(replan["closed"]) == 2
    assert replan["same_optimum"] is True
    assert {"replan_total", "scratch_total"} <= set(replan["timings_s"])
    assert result["timings_s"]["plan_total"] > 0


def test_spawned_workers_give_the_serial_plan_too(parallel_always, province, monkeypatch):
    # A threaded process (the web server) spawns its workers instead of forking them.
    import multiprocessing

    from relief.allocation import solver

    monkeypatch.setattr(solver, "_pool_context", lambda: multiprocessing.get_context("spawn"))
    _, run = province
    parallel = solve(run.input, workers=2)
    assert parallel.model_size["workers"] == 2
    assert parallel.lines == run.plans["optimal"].lines


def test_a_pool_that_breaks_falls_back_to_solving_here(parallel_always, province, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    from relief.allocation import solver

    def broken():
        raise BrokenProcessPool("a worker was killed")

    monkeypatch.setattr(solver, "_pool_context", broken)
    _, run = province
    plan = solve(run.input, workers=2)
    assert plan.lines == run.plans["optimal"].lines


@pytest.mark.parametrize("workers", [1, 2])
def test_the_solver_reports_progress_through_a_plain_callback_serial_or_parallel(
    parallel_always, province, workers
):
    _, run = province
    seen: list[tuple[str, int, int]] = []
    result = solve(run.input, workers=workers, progress=lambda *step: seen.append(step))
    items = len({d.item_code for d in run.input.demand})
    assert result.model_size["workers"] == workers
    stages = [stage for stage, _, _ in seen]
    assert stages[0] == "stage1" and stages[-1] == "explain"
    assert ("stage2", items, items) in seen  # every item counted once done
    # The callback changes nothing: the plan is the serial plan without one.
    assert result.lines == run.plans["optimal"].lines


def test_a_replan_makes_the_arrays_of_each_input_once(monkeypatch):
    """reusable_items and solve share one Problem per input through the warm store."""
    from relief.allocation import problem as problem_module
    from relief.allocation.bench import synthetic_scenario
    from relief.allocation.planning import run_plan

    made = []
    init = problem_module.Problem.__init__

    def counting(self, inp):
        made.append(inp)
        init(self, inp)

    scenario = synthetic_scenario("county", 0)
    first = run_plan(scenario, "bench", "optimal", workers=1)
    monkeypatch.setattr(problem_module.Problem, "__init__", counting)
    road = scenario.roads[0]
    again = run_plan(
        scenario,
        "bench",
        "optimal",
        workers=1,
        previous=first,
        extra_closures=[(road.from_code, road.to_code)],
    )
    assert len(made) == 1 and made[0] is again.input
