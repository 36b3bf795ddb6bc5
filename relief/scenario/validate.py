"""Validating a scenario folder: every problem the reader meets plus the rules that span
records and files (SCENARIOS.md): unknown and duplicate codes, the region tree, warehouse
tiers, stock rows, norms, and the report rules of each event.

A reference to a code whose own row has a problem is not reported again as unknown: the
reader keeps every code it saw (Reading.declared), so that one broken row gives one
problem, not one per reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from relief.network.records import REGION_LEVELS, TIER_REGION_LEVEL, Region
from relief.scenario.reader import (
    ITEMS,
    POLICY,
    REGIONS,
    ROADS,
    STOCK,
    WAREHOUSES,
    EventParts,
    Reading,
    read_with_sources,
    road_key,
)
from relief.scenario.records import Problem, Scenario


def validate_scenario(path: str | Path, *, now: datetime | None = None) -> list[Problem]:
    """Every problem of a scenario folder, sorted by file, line, field and message.

    `now` (default: the current time) is the time a report may not be after.
    """
    return check_scenario(path, now=now)[1]


def check_scenario(
    path: str | Path, *, now: datetime | None = None
) -> tuple[Scenario, list[Problem]]:
    """Read and validate in one pass: the scenario as read and its sorted problems.

    For callers that go on to use the scenario when there is no problem (load, plan).
    """
    reading = read_with_sources(path)
    problems = set(reading.problems)
    problems.update(cross_file_problems(reading, now=now or datetime.now(UTC)))
    return reading.scenario, sorted(problems)


def format_problems(problems: list[Problem]) -> str:
    """What `relief scenario validate` prints: one problem a line, or `OK` with none."""
    if not problems:
        return "OK"
    return "\n".join(str(problem) for problem in sorted(problems))


def cross_file_problems(reading: Reading, *, now: datetime) -> list[Problem]:
    """The problems that need more than one record or file to see."""
    tree = _RegionTree(reading)
    problems = list(tree.problems())
    problems += _warehouse_problems(reading, tree)
    problems += _road_problems(reading)
    problems += _unique_codes(reading, ITEMS, [item.code for item in reading.scenario.items])
    problems += _stock_problems(reading)
    problems += _policy_problems(reading)
    for parts in reading.events.values():
        problems += _event_problems(reading, tree, parts, now)
    return problems


def _unique_codes(reading: Reading, file: str, codes: list[str]) -> Iterator[Problem]:
    lines = reading.row_lines[file]
    first: dict[str, int] = {}
    for code, line in zip(codes, lines, strict=True):
        if code in first:
            yield Problem(file, line, "code", f"duplicate code {code}; first at line {first[code]}")
        else:
            first[code] = line


class _RegionTree:
    """The regions by code (first row of each code), with the tree's own problems."""

    def __init__(self, reading: Reading):
        self.reading = reading
        self.by_code: dict[str, Region] = {}
        self.line: dict[str, int] = {}
        for region, line in zip(reading.scenario.regions, reading.row_lines[REGIONS], strict=True):
            if region.code not in self.by_code:
                self.by_code[region.code] = region
                self.line[region.code] = line

    def known(self, code: str) -> bool:
        """Named in regions.csv (a row with a problem counts: it is reported already)."""
        return code in self.reading.declared[REGIONS]

    def ancestors(self, code: str) -> list[str]:
        """The parent, its parent, … up to the root (stops at a cycle or an unknown code)."""
        chain: list[str] = []
        region = self.by_code.get(code)
        while region is not None and region.parent_code is not None:
            if region.parent_code in chain or region.parent_code == code:
                break
            chain.append(region.parent_code)
            region = self.by_code.get(region.parent_code)
        return chain

    def problems(self) -> Iterator[Problem]:
        reading = self.reading
        regions = reading.scenario.regions
        yield from _unique_codes(reading, REGIONS, [region.code for region in regions])
        roots = []
        for code, region in self.by_code.items():
            line = self.line[code]
            if region.parent_code is None:
                roots.append(code)
                continue
            parent = self.by_code.get(region.parent_code)
            if parent is None:
                if not self.known(region.parent_code):
                    yield Problem(
                        REGIONS, line, "parent_code", f"unknown region {region.parent_code}"
                    )
                continue
            if REGION_LEVELS.index(region.level) <= REGION_LEVELS.index(parent.level):
                yield Problem(
                    REGIONS,
                    line,
                    "level",
                    f"a {region.level} is not below its parent {parent.code}, a {parent.level}",
                )
        # With rows that did not read, the root may be among them: say nothing then.
        if not roots and self.by_code and reading.declared[REGIONS] <= self.by_code.keys():
            yield Problem(REGIONS, 0, "parent_code", "no root region (one with parent_code empty)")
        for code in roots[1:]:
            yield Problem(
                REGIONS,
                self.line[code],
                "parent_code",
                f"a second root region; {roots[0]} (line {self.line[roots[0]]}) is the root",
            )
        yield from self._cycles()

    def _cycles(self) -> Iterator[Problem]:
        done: set[str] = set()
        for start in self.by_code:
            path: list[str] = []
            code: str | None = start
            while code in self.by_code and code not in done and code not in path:
                path.append(code)
                code = self.by_code[code].parent_code
            if code in path:
                cycle = path[path.index(code) :]
                first = min(cycle, key=self.line.__getitem__)
                # Name the cycle from its first row, so that each cycle is reported once.
                at = cycle.index(first)
                names = " → ".join([*cycle[at:], *cycle[:at], first])
                yield Problem(
                    REGIONS,
                    self.line[first],
                    "parent_code",
                    f"the region tree has a cycle: {names}",
                )
            done.update(path)


def _warehouse_problems(reading: Reading, tree: _RegionTree) -> Iterator[Problem]:
    warehouses = reading.scenario.warehouses
    lines = reading.row_lines[WAREHOUSES]
    yield from _unique_codes(reading, WAREHOUSES, [w.code for w in warehouses])
    for warehouse, line in zip(warehouses, lines, strict=True):
        if tree.known(warehouse.code):
            where = tree.line.get(warehouse.code)
            also = f" (line {where})" if where else ""
            yield Problem(WAREHOUSES, line, "code", f"{warehouse.code} is also a region code{also}")
        region = tree.by_code.get(warehouse.region_code)
        if region is None:
            if not tree.known(warehouse.region_code):
                yield Problem(
                    WAREHOUSES, line, "region_code", f"unknown region {warehouse.region_code}"
                )
            continue
        wanted = TIER_REGION_LEVEL[warehouse.tier]
        if region.level != wanted:
            yield Problem(
                WAREHOUSES,
                line,
                "tier",
                f"a {warehouse.tier} warehouse belongs to a {wanted}; "
                f"{region.code} is a {region.level}",
            )


def _road_problems(reading: Reading) -> Iterator[Problem]:
    nodes = reading.declared[REGIONS] | reading.declared[WAREHOUSES]
    first: dict[str, int] = {}
    for road, line in zip(reading.scenario.roads, reading.row_lines[ROADS], strict=True):
        for end in ("from_code", "to_code"):
            code = getattr(road, end)
            if code not in nodes:
                yield Problem(
                    ROADS, line, end, f"unknown code {code} (neither region nor warehouse)"
                )
        road_id = str(road.id)
        if road_id in first:
            yield Problem(
                ROADS, line, "id", f"duplicate id {road_id}; first at line {first[road_id]}"
            )
        else:
            first[road_id] = line


def _stock_problems(reading: Reading) -> Iterator[Problem]:
    first: dict[tuple[str, str], int] = {}
    for stock, line in zip(reading.scenario.stock, reading.row_lines[STOCK], strict=True):
        if stock.warehouse_code not in reading.declared[WAREHOUSES]:
            yield Problem(
                STOCK, line, "warehouse_code", f"unknown warehouse {stock.warehouse_code}"
            )
        if stock.item_code not in reading.declared[ITEMS]:
            yield Problem(STOCK, line, "item_code", f"unknown item {stock.item_code}")
        key = (stock.warehouse_code, stock.item_code)
        if key in first:
            yield Problem(
                STOCK,
                line,
                "item_code",
                f"a second row for {key[0]} × {key[1]}; first at line {first[key]}",
            )
        else:
            first[key] = line


def _policy_problems(reading: Reading) -> Iterator[Problem]:
    policy = reading.scenario.policy
    if policy is None:
        return
    weights: dict[str, tuple[int, int]] = {}  # item -> (priority_weight, line)
    for norm, path in zip(policy.norms, reading.norm_paths, strict=True):
        if norm.item_code not in reading.declared[ITEMS]:
            field = f"{path}.item"
            yield Problem(
                POLICY, reading.line(POLICY, field), field, f"unknown item {norm.item_code}"
            )
        field = f"{path}.priority_weight"
        line = reading.line(POLICY, field)
        if norm.item_code not in weights:
            weights[norm.item_code] = (norm.priority_weight, line)
        elif weights[norm.item_code][0] != norm.priority_weight:
            weight, first = weights[norm.item_code]
            yield Problem(
                POLICY,
                line,
                field,
                f"the norms of {norm.item_code} share one priority_weight; "
                f"line {first} gives {weight}",
            )
    references = set()
    for index, reference in enumerate(policy.subsidies.get("reference_standards", [])):
        references.add(reference["code"])
        region_code = reference.get("region_code")
        if region_code is not None and region_code not in reading.declared[REGIONS]:
            field = f"subsidies.reference_standards[{index}].region_code"
            yield Problem(
                POLICY, reading.line(POLICY, field), field, f"unknown region {region_code}"
            )
    for index, programme in enumerate(policy.subsidies.get("programmes", [])):
        path = f"subsidies.programmes[{index}]"
        for number, standard in enumerate(programme.get("standards", [])):
            share_of = standard.get("share_of")
            if share_of is not None and share_of not in references:
                field = f"{path}.standards[{number}].share_of"
                yield Problem(
                    POLICY,
                    reading.line(POLICY, field),
                    field,
                    f"no reference standard {share_of} in subsidies.reference_standards",
                )
        region_code = programme.get("region_code")
        if region_code is not None and region_code not in reading.declared[REGIONS]:
            field = f"{path}.region_code"
            yield Problem(
                POLICY, reading.line(POLICY, field), field, f"unknown region {region_code}"
            )
        event = programme.get("event")
        if event is not None and event not in reading.events:
            field = f"{path}.event"
            yield Problem(
                POLICY, reading.line(POLICY, field), field, f"no event file events/{event}.yaml"
            )


def _event_problems(
    reading: Reading, tree: _RegionTree, parts: EventParts, now: datetime
) -> Iterator[Problem]:
    file = parts.file

    def problem(path: str, message: str) -> Problem:
        return Problem(file, reading.line(file, path), path, message)

    event_regions = set()
    if parts.regions_given:
        for code, path in parts.region_codes:
            event_regions.add(code)
            if not tree.known(code):
                yield problem(path, f"unknown region {code}")
    for from_code, to_code, path in parts.closed_roads:
        if road_key(from_code, to_code) not in reading.declared[ROADS]:
            yield problem(path, f"no road between {from_code} and {to_code}")

    # The report rules, in submission (file) order.
    reported: dict[str, int] = {}  # region -> line of its first report
    above: dict[str, str] = {}  # ancestor of a reported region -> that region
    final: dict[str, int] = {}  # region -> line of its first final report
    for report in sorted(parts.reports, key=lambda r: r.seq):
        path = f"reports[{report.seq}]"
        code = report.region_code
        line = reading.line(file, path)
        if report.reported_at > now:
            yield problem(f"{path}.reported_at", f"in the future (now is {now.isoformat()})")
        if code in final and report.kind != "final":
            yield problem(
                f"{path}.kind",
                f"{code} has a final report (line {final[code]}); only another final may follow",
            )
        if report.kind == "final":
            final.setdefault(code, line)
        if not tree.known(code):
            yield problem(f"{path}.region_code", f"unknown region {code}")
            continue
        ancestors = tree.ancestors(code)
        outside = code not in event_regions and not event_regions.intersection(ancestors)
        if parts.regions_given and outside:
            yield problem(
                f"{path}.region_code", f"{code} is not one of the event's regions nor under one"
            )
        if code not in reported:
            conflict = next((a for a in ancestors if a in reported), None)
            if conflict is not None:
                yield problem(
                    f"{path}.region_code",
                    f"{code} is under {conflict}, already reported (line {reported[conflict]}): "
                    "its figures would count twice",
                )
                continue
            if code in above:
                below = above[code]
                yield problem(
                    f"{path}.region_code",
                    f"{code} is above {below}, already reported (line {reported[below]}): "
                    "its figures would count twice",
                )
                continue
            reported[code] = line
            for ancestor in ancestors:
                above.setdefault(ancestor, code)
