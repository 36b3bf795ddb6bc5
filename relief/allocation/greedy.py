"""The greedy baseline (method ``greedy``): what a dispatcher does by hand, kept so that
the optimal plan can be compared with it on the same inputs.

Demand lines are taken by priority descending, then region code, then item code; each is
filled from its eligible warehouses in order of travel time, then tier (county →
prefecture → provincial), then warehouse code, as much as each still has, until the line
is met or nothing is left. Nothing is proven about it, so its status is ``feasible``.
"""

from __future__ import annotations

import time

import numpy as np

from relief.allocation.model import AllocationInput, PlanResult
from relief.allocation.problem import Problem


def greedy(inp: AllocationInput) -> PlanResult:
    """The greedy plan for ``inp`` (same stats and explanations as the optimal one)."""
    started = time.perf_counter()
    problem = Problem(inp)
    t0 = time.perf_counter()
    routes = problem.routes
    remaining = problem.available.copy()
    order = sorted(
        (
            (
                -int(need.priority[s]),
                problem.region_codes[int(need.region[s])],
                need.item_code,
                k,
                s,
            )
            for k, need in enumerate(problem.items)
            for s in range(len(need.region))
        )
    )
    out_item: list[int] = []
    out_pos: list[int] = []
    out_qty: list[int] = []
    pair_w = routes.pair_w
    for _, _, _, k, s in order:
        need = problem.items[k]
        left = int(need.demand[s])
        for pos in problem.candidates(int(need.region[s])).tolist():
            w = int(pair_w[pos])
            take = min(left, int(remaining[w, k]))
            if take <= 0:
                continue
            remaining[w, k] -= take
            left -= take
            out_item.append(k)
            out_pos.append(pos)
            out_qty.append(take)
            if left == 0:
                break
    timings = {"prepare": problem.prepare_seconds, "greedy": time.perf_counter() - t0}
    result = problem.result(
        "greedy",
        "feasible",
        np.array(out_item, dtype=np.int64),
        np.array(out_pos, dtype=np.int64),
        np.array(out_qty, dtype=np.int64),
        timings,
        problem.model_counts(),
    )
    result.solve_seconds = time.perf_counter() - started
    result.timings["solve"] = result.solve_seconds
    return result
