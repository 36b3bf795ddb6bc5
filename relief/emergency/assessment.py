"""Assessing an event: which report of each region counts, the totals, the roll-up through
the region tree, the criteria and the response level that the policy's thresholds call for.

Pure functions over plain records (relief.emergency.records, relief.network.records): the
event API, `relief assess` and the allocation's demand estimate all call `assess`, so the
figures are the same wherever they are shown. Rules (SCENARIOS.md): the latest report of a
region is the one with the greatest `reported_at`, ties going to the later submission;
totals sum the latest report of each region; level L is reached when ANY of its criteria
is at or above its threshold (含本数); the recommended level is the numerically smallest
level reached (1 is the most severe), or None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


def criterion_values(counts: Mapping[str, int], criteria: Criteria) -> dict[str, int]:
    """Each criterion's value: the sum of its report fields (a missing field counts 0)."""
    return {name: sum(counts.get(f, 0) for f in fields) for name, fields in criteria.items()}


def _with_criteria(counts: Mapping[str, int], criteria: Criteria) -> dict[str, int]:
    result = {name: counts.get(name, 0) for name in COUNT_FIELDS}
    result.update(criterion_values(result, criteria))
    return result


def _add(into: dict[str, int], counts: Mapping[str, int]) -> None:
    for name in COUNT_FIELDS:
        into[name] += counts.get(name, 0)


def totals(latest: Mapping[str, Report], criteria: Criteria) -> dict[str, int]:
    """The ten count fields summed over the latest report of each region, then every
    criterion's value (criteria are sums, so summing first gives the same figure)."""
    summed = dict.fromkeys(COUNT_FIELDS, 0)
    for report in latest.values():
        _add(summed, report.counts)
    return _with_criteria(summed, criteria)


def _ancestors(code: str, parents: Mapping[str, str | None]) -> list[str]:
    chain: list[str] = []
    parent = parents.get(code)
    # A cycle in the tree is a validation problem; stop rather than loop if one slips in.
    while parent is not None and parent not in chain and parent != code:
        chain.append(parent)
        parent = parents.get(parent)
    return chain


def rollup(
    latest: Mapping[str, Report], regions: Iterable[Region], criteria: Criteria | None = None
) -> dict[str, dict[str, int]]:
    """Totals of every reported region and of every ancestor of one (township → county →
    prefecture → province): each latest report counts in its region and in each region
    above it. With `criteria`, each region's totals carry the criterion values too.

    A reported region missing from `regions` counts in itself only.
    """
    parents = {region.code: region.parent_code for region in regions}
    summed: dict[str, dict[str, int]] = {}
    for code, report in latest.items():
        for region_code in (code, *_ancestors(code, parents)):
            _add(summed.setdefault(region_code, dict.fromkeys(COUNT_FIELDS, 0)), report.counts)
    return {code: _with_criteria(counts, criteria or {}) for code, counts in summed.items()}


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
            "totals": dict(self.totals),
            "by_region": [
                {"region_code": entry["region_code"], "totals": dict(entry["totals"])}
                for entry in self.by_region
            ],
            "recommended_level": self.recommended_level,
            "exceeded": [dict(entry) for entry in self.exceeded],
        }


def assess(reports: list[Report], policy: Policy, regions: list[Region]) -> Assessment:
    """Assess an event's reports (all of them; the latest of each region counts) against
    a policy (the one in force at the event's start: the caller picks it)."""
    latest = latest_reports(reports)
    event_totals = totals(latest, policy.criteria)
    by_region = rollup(latest, regions, policy.criteria)
    return Assessment(
        totals=event_totals,
        by_region=[{"region_code": code, "totals": by_region[code]} for code in sorted(by_region)],
        recommended_level=recommended_level(event_totals, policy.thresholds),
        exceeded=exceeded(event_totals, policy.thresholds),
    )
