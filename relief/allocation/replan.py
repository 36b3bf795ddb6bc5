"""Replanning after a road closure, reusing the items the closure does not touch.

Closing a road only takes routes away: a pair (warehouse, region) either keeps its fastest
route, or gets a slower one (possibly past the deadline, so no longer eligible) whose
distance may differ. Per item, the new min-cost-flow network is therefore the old one
with some arcs removed and some transport costs changed. If the item's previous optimal
flow uses none of those arcs, and no arc the item could use got cheaper, that flow is
still optimal in both stages:

- stage 1: the new network's flows are a subset of the old ones and the previous flow is
  one of them, with the same deprivation, so the optimal deprivation is unchanged;
- stage 2: every new stage-1 optimum was an old one, and costs at least what it cost
  before (no cost went down), which is at least the previous flow's transport cost,
  unchanged since it uses no changed arc.

``reusable_items`` applies this rule; ``relief.allocation.solver.solve(keep=...)`` takes
the kept items as given and solves the others. Anything else that differs (demand, stock,
level, a previous plan that was not proven optimal, a pair that became eligible) reuses
nothing for the items concerned.
"""

from __future__ import annotations

import numpy as np

from relief.allocation.model import AllocationInput, PlanResult
from relief.allocation.problem import Problem, deprivation
from relief.network.graph import EligibleRoutes


def _pair_table(routes: EligibleRoutes, problem: Problem) -> dict[tuple[str, str], int]:
    """(warehouse, region) → stage-2 unit cost, of every eligible pair."""
    ep = problem.eligible_positions
    cost, _ = problem.stage2_unit_costs(ep)
    w, j = routes.warehouse_codes, routes.region_codes
    return {
        (w[a], j[b]): c
        for a, b, c in zip(
            routes.pair_w[ep].tolist(), routes.pair_j[ep].tolist(), cost.tolist(), strict=True
        )
    }


def reusable_items(
    previous_input: AllocationInput,
    previous: PlanResult,
    inp: AllocationInput,
) -> dict[str, list[tuple[str, str, int]]]:
    """Item code → the previous plan's (warehouse, region, quantity) rows, for every item
    whose previous flow is still optimal for ``inp`` (see the module docstring)."""
    if previous.method != "optimal" or previous.status != "optimal":
        return {}
    if (
        previous_input.level != inp.level
        or previous_input.demand != inp.demand
        or previous_input.stock != inp.stock
        or previous_input.covered != inp.covered
        or previous_input.policy != inp.policy
    ):
        return {}
    old_problem, new_problem = Problem.of(previous_input), Problem.of(inp)
    if old_problem.item_codes != new_problem.item_codes:
        return {}
    old = _pair_table(old_problem.routes, old_problem)
    new = _pair_table(new_problem.routes, new_problem)
    # Pairs whose arc is gone or costs something else now; a pair that is new or cheaper
    # could improve any item that may use it.
    changed = {pair for pair, cost in old.items() if new.get(pair) != cost}
    better = [pair for pair, cost in new.items() if pair not in old or cost < old[pair]]

    rows: dict[str, list[tuple[str, str, int]]] = {k: [] for k in new_problem.item_codes}
    touched: set[str] = set()
    for line in previous.lines:
        rows[line.item_code].append((line.warehouse_code, line.region_code, line.quantity))
        if (line.warehouse_code, line.region_code) in changed:
            touched.add(line.item_code)
    if better:
        w_pos = {c: i for i, c in enumerate(new_problem.warehouse_codes)}
        for k, need in enumerate(new_problem.items):
            regions = {new_problem.region_codes[j] for j in need.region.tolist()}
            for w, j in better:
                if j in regions and new_problem.available[w_pos[w], k] > 0:
                    touched.add(need.item_code)
                    break
    return {k: r for k, r in rows.items() if k not in touched}


def item_objectives(inp: AllocationInput, plan: PlanResult) -> dict[str, tuple[int, int]]:
    """Item code → (deprivation, stage-2 transport cost) of a plan of ``inp``: what two
    optimal plans of one input have in common even when their lines differ."""
    problem = Problem.of(inp)
    cost = dict(_pair_table(problem.routes, problem).items())
    transport = dict.fromkeys(problem.item_codes, 0)
    for line in plan.lines:
        transport[line.item_code] += line.quantity * cost[(line.warehouse_code, line.region_code)]
    got = {(u.region_code, u.item_code): u.shortfall for u in plan.unmet}
    out = {}
    for need in problem.items:
        codes = [problem.region_codes[j] for j in need.region.tolist()]
        unmet = np.array([got.get((c, need.item_code), 0) for c in codes], dtype=np.int64)
        out[need.item_code] = (
            deprivation(unmet, need.demand, need.priority),
            transport[need.item_code],
        )
    return out


def changed_pairs(before: EligibleRoutes, after: EligibleRoutes) -> int:
    """How many eligible pairs of ``before`` are gone or have another route's length in
    ``after`` (for reports)."""
    w0, j0 = before.warehouse_codes, before.region_codes
    e0 = np.flatnonzero(before.eligible)
    lookup = {
        (after.warehouse_codes[a], after.region_codes[b]): d
        for a, b, d, e in zip(
            after.pair_w.tolist(),
            after.pair_j.tolist(),
            after.dist_c.tolist(),
            after.eligible.tolist(),
            strict=True,
        )
        if e
    }
    return sum(
        1
        for a, b, d in zip(
            before.pair_w[e0].tolist(),
            before.pair_j[e0].tolist(),
            before.dist_c[e0].tolist(),
            strict=True,
        )
        if lookup.get((w0[a], j0[b])) != d
    )
