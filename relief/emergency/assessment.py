"""Assessing an event: which report of each region counts, the totals, the roll-up through
the region tree, the criteria and the response level that the policy's thresholds call for.

Pure functions over plain records (relief.emergency.records, relief.network.records): the
event API, `relief assess` and the allocation's demand estimate all call `assess`, so the
figures are the same wherever they are shown. Rules (SCENARIOS.md): the latest report of a
region is the one with the greatest `reported_at`, ties going to the later submission;
totals sum the latest report of each region; level L is reached when ANY of its criteria
is at or above its threshold (含本数); a share criterion (policy `criterion_shares`) is the
per cent of a population (region data: `rural_population`, `population`) that its sum makes,
for the event of the regions at its level holding the reported regions, for each region of
its own; the recommended level is the numerically smallest
level reached (1 is the most severe), or None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from relief.emergency.figures import FIGURE_FIELDS, as_json_number
from relief.emergency.records import COUNT_FIELDS, Policy, Report
from relief.network.records import Region

Criteria = Mapping[str, Sequence[str]]
Thresholds = Mapping[int, Mapping[str, int]]


def latest_reports(reports: Iterable[Report]) -> dict[str, Report]:
    """The report that counts for each region: greatest reported_at, then greatest seq."""
    latest: dict[str, Report] = {}
    for report in reports:
        current = latest.get(report.region_code)
        if current is None or (report.reported_at, report.seq) > (
            current.reported_at,
            current.seq,
        ):
            latest[report.region_code] = report
    return latest


Figure = int | Decimal


def criterion_values(counts: Mapping[str, Figure], criteria: Criteria) -> dict[str, Figure]:
    """Each criterion's value: the sum of its report fields (a missing field counts 0)."""
    return {name: sum(counts.get(f, 0) for f in fields) for name, fields in criteria.items()}


def _with_criteria(counts: Mapping[str, Figure], criteria: Criteria) -> dict[str, Figure]:
    result: dict[str, Figure] = {name: counts.get(name, 0) for name in COUNT_FIELDS}
    result.update((name, counts[name]) for name in FIGURE_FIELDS if name in counts)
    result.update(criterion_values(result, criteria))
    return result


def _add(into: dict[str, Figure], counts: Mapping[str, Figure]) -> None:
    """Add a report's figures: today's ten always, any other figure the report gave."""
    for name in FIGURE_FIELDS:
        value = counts.get(name)
        if value is not None:
            into[name] = into.get(name, 0) + value


def _empty() -> dict[str, Figure]:
    return dict.fromkeys(COUNT_FIELDS, 0)


def totals(latest: Mapping[str, Report], criteria: Criteria) -> dict[str, Figure]:
    """Today's ten count fields and every other figure any counted report gave, summed over
    the latest report of each region, then every criterion's value (criteria are sums, so
    summing first gives the same figure)."""
    summed = _empty()
    for report in latest.values():
        _add(summed, report.counts)
    return _with_criteria(summed, criteria)


def share(numerator: Figure, denominator: int | None) -> Decimal | None:
    """`numerator` as a per cent of `denominator`, rounded down to 0.01 (so that a share
    reaches a whole-number threshold exactly when the exact share does); None without a
    denominator."""
    if not denominator:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def _population(region: Region | None, attribute: str) -> int | None:
    return getattr(region, attribute, None) if region is not None else None


def apply_shares(
    figures: dict[str, Figure],
    denominators: Mapping[str, int | None],
    shares: Mapping[str, tuple[str, str]],
) -> dict[str, Figure]:
    """Replace each share criterion's sum by its per cent of the criterion's denominator;
    a criterion without a denominator is left out (never reached)."""
    for name in shares:
        if name not in figures:
            continue
        value = share(figures[name], denominators.get(name))
        if value is None:
            del figures[name]
        else:
            figures[name] = value
    return figures


def event_denominators(
    latest: Mapping[str, Report], regions: Iterable[Region], shares: Mapping[str, tuple[str, str]]
) -> dict[str, int | None]:
    """Each share criterion's denominator for an event: the attribute (rural_population…)
    summed over the regions at the criterion's level (`within`) that hold the reported
    regions. None when a reported region has no region at that level at or above it, or
    one of those regions does not give the attribute."""
    by_code = {region.code: region for region in regions}
    parents = {region.code: region.parent_code for region in regions}
    out: dict[str, int | None] = {}
    for name, (attribute, within) in shares.items():
        holders: set[str] = set()
        for code in latest:
            holder = next(
                (
                    c
                    for c in (code, *_ancestors(code, parents))
                    if c in by_code and by_code[c].level == within
                ),
                None,
            )
            if holder is None:
                holders = set()
                break
            holders.add(holder)
        values = [_population(by_code.get(code), attribute) for code in sorted(holders)]
        out[name] = (
            sum(v for v in values if v is not None)
            if values and all(v is not None for v in values)
            else None
        )
    return out


def _ancestors(code: str, parents: Mapping[str, str | None]) -> list[str]:
    chain: list[str] = []
    parent = parents.get(code)
    # A cycle in the tree is a validation problem; stop rather than loop if one slips in.
    while parent is not None and parent not in chain and parent != code:
        chain.append(parent)
        parent = parents.get(parent)
    return chain


def rollup(
    latest: Mapping[str, Report],
    regions: Iterable[Region],
    criteria: Criteria | None = None,
    shares: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, dict[str, Figure]]:
    """Totals of every reported region and of every ancestor of one (township → county →
    prefecture → province): each latest report counts in its region and in each region
    above it. With `criteria`, each region's totals carry the criterion values too.

    A reported region missing from `regions` counts in itself only.
    """
    regions = list(regions)
    parents = {region.code: region.parent_code for region in regions}
    by_code = {region.code: region for region in regions}
    summed: dict[str, dict[str, Figure]] = {}
    for code, report in latest.items():
        for region_code in (code, *_ancestors(code, parents)):
            _add(summed.setdefault(region_code, _empty()), report.counts)
    out = {code: _with_criteria(counts, criteria or {}) for code, counts in summed.items()}
    for code, figures in out.items():
        # A region's share criteria are shares of its own population.
        apply_shares(
            figures,
            {
                name: _population(by_code.get(code), attribute)
                for name, (attribute, _) in (shares or {}).items()
            },
            shares or {},
        )
    return out


def _reached(totals: Mapping[str, int], thresholds: Thresholds) -> list[dict[str, Any]]:
    reached = [
        {"criterion": name, "value": totals.get(name, 0), "threshold": limit, "level": level}
        for level, limits in thresholds.items()
        for name, limit in limits.items()
        if totals.get(name, 0) >= limit
    ]
    return sorted(reached, key=lambda entry: (entry["level"], entry["criterion"]))


def recommended_level(totals: Mapping[str, int], thresholds: Thresholds) -> int | None:
    """The most severe (numerically smallest) level with a criterion at or above its
    threshold; None when no level is reached."""
    levels = [entry["level"] for entry in _reached(totals, thresholds)]
    return min(levels, default=None)


def exceeded(totals: Mapping[str, int], thresholds: Thresholds) -> list[dict[str, Any]]:
    """`{criterion, value, threshold, level}` for every criterion reached at every level,
    sorted by level then criterion. A threshold's key is a criterion or a report field."""
    return _reached(totals, thresholds)


def _numbers(figures: Mapping[str, Figure]) -> dict[str, int | float]:
    return {name: as_json_number(value) for name, value in figures.items()}


@dataclass(frozen=True, slots=True)
class Assessment:
    """An event's assessment as API.md's GET /events/{id}/assessment replies it."""

    totals: dict[str, int]
    # The reported regions and all their ancestors, sorted by region code (for real
    # 行政区划代码 that lists each region before the ones under it).
    by_region: list[dict[str, Any]]
    recommended_level: int | None
    exceeded: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "totals": _numbers(self.totals),
            "by_region": [
                {"region_code": entry["region_code"], "totals": _numbers(entry["totals"])}
                for entry in self.by_region
            ],
            "recommended_level": self.recommended_level,
            "exceeded": [
                entry | {"value": as_json_number(entry["value"])} for entry in self.exceeded
            ],
        }


def assess(reports: list[Report], policy: Policy, regions: list[Region]) -> Assessment:
    """Assess an event's reports (all of them; the latest of each region counts) against
    a policy (the one in force at the event's start: the caller picks it)."""
    latest = latest_reports(reports)
    event_totals = apply_shares(
        totals(latest, policy.criteria),
        event_denominators(latest, regions, policy.criterion_shares),
        policy.criterion_shares,
    )
    by_region = rollup(latest, regions, policy.criteria, policy.criterion_shares)
    return Assessment(
        totals=event_totals,
        by_region=[{"region_code": code, "totals": by_region[code]} for code in sorted(by_region)],
        recommended_level=recommended_level(event_totals, policy.thresholds),
        exceeded=exceeded(event_totals, policy.thresholds),
    )
