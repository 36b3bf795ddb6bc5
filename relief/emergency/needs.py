"""Needs: the latest report of each region × the policy's per-capita norms.

The emergency domain owns needs end to end (which report counts, the norms, the estimate
and the response's demand table); the allocation only consumes the resulting
``DemandLine``s, so no import runs from emergency to allocation and back.

Exact decimals throughout (per_person is read from its text), so 0.1 × 30 is 3, never
3.0000000000000004 rounded up to 4.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal

from relief.clock import CST

# "Which report counts" (greatest reported_at, ties to the later submission) is the
# assessment's rule; needs use the very same one so that needs and assessment never disagree.
from relief.emergency.assessment import latest_reports
from relief.emergency.records import DemandLine, Norm, Report

__all__ = ["estimate_demand", "latest_reports", "norm_quantity", "norms_in_force"]


def norm_quantity(norm: Norm, report: Report) -> int:
    """``ceil(per_person × basis)`` in exact decimals; a basis the report lacks counts 0."""
    basis = int(report.counts.get(norm.basis, 0) or 0)
    per_person = (
        norm.per_person if isinstance(norm.per_person, Decimal) else Decimal(str(norm.per_person))
    )
    return int((per_person * basis).to_integral_value(rounding=ROUND_CEILING))


def norms_in_force(norms: Iterable[Norm], on: date | datetime) -> list[Norm]:
    """The norms that apply in the month of `on` (a datetime is read in Asia/Shanghai): a
    norm with `months` applies only in them (the season of the event's start)."""
    if isinstance(on, datetime):
        on = on.astimezone(CST).date()
    return [n for n in norms if n.applies_in(on.month)]


def estimate_demand(
    latest: Mapping[str, Report], norms: Iterable[Norm], on: date | datetime | None = None
) -> list[DemandLine]:
    """Demand lines per SCENARIOS.md: per region and item, the sum over the item's norms of
    ``ceil(per_person × basis)``; priority is the item's priority weight (all norms of one
    item share it; should they not, the largest counts). Zero lines are left out; sorted by
    region, then item. With `on` (the event's start) only the norms of its month count."""
    if on is not None:
        norms = norms_in_force(norms, on)
    by_item: dict[str, list[Norm]] = {}
    for norm in norms:
        by_item.setdefault(norm.item_code, []).append(norm)
    lines: list[DemandLine] = []
    for region_code in sorted(latest):
        report = latest[region_code]
        for item_code in sorted(by_item):
            item_norms = by_item[item_code]
            quantity = sum(norm_quantity(n, report) for n in item_norms)
            if quantity > 0:
                priority = max(int(n.priority_weight) for n in item_norms)
                lines.append(DemandLine(region_code, item_code, quantity, priority))
    return lines
