"""The allocation benchmark runs end to end and is reproducible from its seed."""

from __future__ import annotations

import networkx as nx
import pytest

from relief.allocation.bench import run_allocation_bench, synthetic_scenario
from relief.network.graph import build_graph


def test_county_bench_reports_timings_memory_and_model_size():
    result = run_allocation_bench("county", 3)
    assert result["network"]["warehouses"] == {"provincial": 0, "prefecture": 0, "county": 1}
    assert result["network"]["townships"] == 20
    assert result["event"]["affected_regions"] == 20
    assert result["result"]["status"] == "optimal"
    assert result["model"]["arcs_total"] > 0 and result["model"]["eligible_pairs"] > 0
    assert {"graph", "eligibility", "stage1", "stage2", "paths", "plan_total"} <= set(
        result["timings_s"]
    )
    assert result["peak_memory_mb"] > 0
    assert result["machine"]["cpus"] >= 1


def test_same_seed_same_network_and_plan():
    one, two = synthetic_scenario("county", 7), synthetic_scenario("county", 7)
    assert one.roads == two.roads and one.stock == two.stock
    assert (
        run_allocation_bench("county", 7)["result"] == run_allocation_bench("county", 7)["result"]
    )
    assert synthetic_scenario("county", 8).roads != one.roads


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_synthetic_road_network_joins_every_township_and_warehouse(seed):
    sc = synthetic_scenario("county", seed)
    graph = build_graph(sc.regions, sc.warehouses, sc.roads)
    ends = {r.from_code for r in sc.roads} | {r.to_code for r in sc.roads}
    assert nx.is_connected(graph.subgraph(ends))
    assert {r.code for r in sc.regions if r.level == "township"} <= ends
    assert {w.code for w in sc.warehouses} <= ends


def test_unknown_size_is_refused():
    with pytest.raises(ValueError, match="size must be one of"):
        run_allocation_bench("planet", 0)
