"""Demand from the latest reports and the norms, in exact decimals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from relief.emergency.needs import estimate_demand, latest_reports, norms_in_force
from relief.emergency.records import DemandLine, Norm, Report

T0 = datetime(2026, 7, 1, 6, tzinfo=timezone(timedelta(hours=8)))


def report(region: str, seq: int = 0, at: datetime = T0, **counts: int) -> Report:
    return Report(region, "initial", at, counts, seq)


def test_a_tenth_of_thirty_is_exactly_three():
    norms = [Norm("water", "relocated", Decimal("0.1"), 5)]
    assert estimate_demand({"t1": report("t1", relocated=30)}, norms) == [
        DemandLine("t1", "water", 3, 5)
    ]


def test_each_norm_is_rounded_up_then_summed_per_item():
    norms = [
        Norm("rice", "relocated", Decimal("0.25"), 10),  # ceil(0.25 × 5) = 2
        Norm("rice", "needing_aid", Decimal("1.5"), 10),  # ceil(1.5 × 3) = 5
        Norm("tent", "collapsed_households", Decimal("0.333"), 8),  # ceil(0.333 × 3) = 1
    ]
    lines = estimate_demand(
        {"t1": report("t1", relocated=5, needing_aid=3, collapsed_households=3)}, norms
    )
    assert lines == [DemandLine("t1", "rice", 7, 10), DemandLine("t1", "tent", 1, 8)]


def test_zero_lines_are_left_out_and_lines_are_sorted_by_region_then_item():
    norms = [
        Norm("tent", "relocated", Decimal("0.25"), 8),
        Norm("rice", "needing_aid", Decimal("5"), 10),
    ]
    latest = {
        "t2": report("t2", relocated=4, needing_aid=0),
        "t1": report("t1", relocated=0, needing_aid=2),
        "t3": report("t3"),  # no fields at all: nothing needed
    }
    assert estimate_demand(latest, norms) == [
        DemandLine("t1", "rice", 10, 10),
        DemandLine("t2", "tent", 1, 8),
    ]


def test_no_norms_or_no_reports_give_no_demand():
    assert estimate_demand({"t1": report("t1", relocated=10)}, []) == []
    assert estimate_demand({}, [Norm("tent", "relocated", Decimal(1), 1)]) == []


def test_latest_report_is_the_greatest_reported_at_then_the_later_submission():
    early = report("t1", seq=5, at=T0, relocated=1)
    late = report("t1", seq=1, at=T0 + timedelta(hours=1), relocated=2)
    tie_first = report("t2", seq=2, at=T0, relocated=3)
    tie_second = report("t2", seq=3, at=T0, relocated=4)
    latest = latest_reports([late, early, tie_second, tie_first])
    assert latest["t1"] is late
    assert latest["t2"] is tie_second


def test_a_norm_of_the_winter_months_counts_for_a_january_event_not_a_july_one():
    norms = [
        Norm("coat", "relocated", Decimal(1), 6, (10, 11, 12, 1, 2, 3, 4)),
        Norm("water", "relocated", Decimal(9), 10),
    ]
    latest = {"t1": report("t1", relocated=10)}

    july = estimate_demand(latest, norms, datetime(2026, 7, 28, 3, tzinfo=UTC))
    january = estimate_demand(latest, norms, datetime(2026, 1, 17, 12, tzinfo=UTC))

    assert [line.item_code for line in july] == ["water"]
    assert [line.item_code for line in january] == ["coat", "water"]
    # 30 September 20:00 UTC is 1 October 04:00 in Asia/Shanghai: the heating season.
    assert len(norms_in_force(norms, datetime(2026, 9, 30, 20, tzinfo=UTC))) == 2
