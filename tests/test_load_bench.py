"""`relief bench load`'s own arithmetic: percentiles, generated ID numbers, the report."""

from __future__ import annotations

from pathlib import Path

from relief import load_bench
from relief.load_bench import Tally, _id_number, percentile, report
from relief.subsidies.ids import normalise_id_number


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0


def test_generated_id_numbers_are_valid_and_distinct():
    serials = [0, 1, 999, 1000, 17_999_999, 4_321_000]
    numbers = [_id_number(s) for s in serials]
    assert [normalise_id_number(n) for n in numbers] == numbers  # check digit, birth date
    assert len(set(numbers)) == len(numbers)


def test_the_report_gives_throughput_percentiles_by_group_and_statuses():
    tally = Tally()
    for ms in (10, 20, 30):
        tally.add("read orders", ms / 1000, 200)
    tally.add("write receipt", 0.5, 201)
    tally.add("write receipt", 0.7, 503)
    tally.chains["stock broken"] += 1
    lines = report(tally, 2.0, workers=4, clients=50)
    assert lines[0].startswith("5 requests in 2.0 s: 2.5 requests/s (4 workers, 50 clients)")
    orders = next(line for line in lines if line.startswith("read orders"))
    assert orders.split()[2:] == ["3", "20", "30", "30"]
    assert "statuses: 200: 3, 201: 1, 503: 1" in lines
    assert "chains: stock broken: 1" in lines


def test_the_subsidy_chain_pays_on_chinas_date_not_the_machines():
    """From 16:00 UTC it is already tomorrow in Beijing, where a case's approval is dated:
    a payment dated by the machine's (UTC) calendar was refused as before its approval
    (all 240 payments of a run started at 16:55 UTC)."""
    from datetime import UTC, date, datetime

    from relief import clock

    clock.set_clock(lambda: datetime(2026, 12, 7, 16, 55, tzinfo=UTC))
    try:
        assert clock.today() == date(2026, 12, 8)
        source = Path(load_bench.__file__).read_text(encoding="utf-8")
        assert "date.today()" not in source and '"paid_on": clock.today()' in source
    finally:
        clock.set_clock(None)
