"""`relief bench import` imports what it generates: every row valid, all created."""

from __future__ import annotations

from relief.subsidies.bench import household_rows, run_import_bench


def test_the_benchmark_imports_every_generated_row():
    result = run_import_bench(120)
    assert (result["rows"], result["created"]) == (120, 120)
    assert result["import_seconds"] >= 0


def test_generated_id_numbers_are_distinct():
    numbers = [row[1] for row in household_rows(30_000, ["150125100"])]
    assert len(set(numbers)) == len(numbers)
