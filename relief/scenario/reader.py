"""Reading a scenario folder into plain records (SCENARIOS.md, "Scenario folders").

This module owns the folder format: which files and columns exist, how each value is
spelled (codes stay strings, decimals are exact, times carry an offset) and where in the
folder each record came from. It reports every problem it meets, with its file and line,
and goes on reading; a record with a problem is left out of the scenario. Rules that need
more than one record or file (unknown and duplicate codes, the region tree, the report
rules) belong to relief.scenario.validate, which uses the locations kept here.

Choices where SCENARIOS.md is silent:
- Values are stripped of surrounding spaces; a CSV row with no values at all (as
  spreadsheets leave at the end of a sheet) is skipped; a column that the format does
  not name is a problem (a misspelt optional column such as `id` would otherwise be
  silently ignored).
- A road without an `id` column is known as `A~B#N`: its two ends in code order, then its
  1-based position among the roads with the same two ends in file order, e.g.
  `150125~150125101#1`. Codes may therefore not contain `~`, `#`, `:` (the CLI's
  `--close FROM:TO`) or spaces.
- "At most 2 decimals" is about the value: `1.50` and `1.500` are both 1.5.
- A report without one of the ten counts is a problem (never a silent 0).
- Report.seq is the report's 0-based position in its event file.
- In policy.yaml, `thresholds` and `deadlines_h` are required (without them a policy can
  neither recommend a level nor plan), `deadlines_h` names all four levels, a
  `priority_weight` is a non-negative integer, and `subsidies` is returned as a plain
  dict in the shape of the programme API: codes as strings, money as strings with
  exactly two decimals (`"20000.00"`), dates as `date`. `loading_h` (optional, hours with
  at most 2 decimals, not negative; default 2) is the time from a plan's approval until its
  trucks can leave: an undispatched order is due at approval + loading_h + travel.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from relief.emergency.figures import DECIMAL_FIELDS, FIGURE_FIELDS, NEW_FIELDS, figure_problems
from relief.emergency.records import (
    COUNT_FIELDS,
    HAZARDS,
    LEVELS,
    REPORT_KINDS,
    SEASON_MONTHS,
    EventSpec,
    Norm,
    Policy,
    Report,
)
from relief.emergency.reporting import KEYS as reporting_keys
from relief.emergency.reporting import LEVELS_UP, rules_from
from relief.network.records import REGION_LEVELS, TIERS, Item, Region, Road, StockLevel, Warehouse
from relief.scenario.records import Problem, Scenario

T = TypeVar("T")

REGIONS = "regions.csv"
WAREHOUSES = "warehouses.csv"
ROADS = "roads.csv"
ITEMS = "items.csv"
STOCK = "stock.csv"
POLICY = "policy.yaml"
EVENTS = "events"
SCENARIO_FILE = "scenario.yaml"
# The longest scenario code (the events' and policies' columns are this wide).
SCENARIO_CODE_LENGTH = 64

# Required and optional columns of each CSV, as SCENARIOS.md names them.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    REGIONS: (
        ("code", "name", "level", "parent_code", "lat", "lon", "population"),
        ("rural_population",),
    ),
    WAREHOUSES: (("code", "name", "tier", "region_code", "lat", "lon", "capacity_m3"), ()),
    ROADS: (("from_code", "to_code", "distance_km", "travel_time_h", "status"), ("id",)),
    ITEMS: (("code", "name_zh", "name_en", "unit", "weight_kg", "volume_m3", "category"), ()),
    STOCK: (("warehouse_code", "item_code", "on_hand", "floor"), ()),
}
ROAD_STATUSES = ("open", "closed")
DAMAGES = ("collapsed", "severe", "general")
# A programme's eligibility may also name undamaged houses (a grain programme for 低保户).
HOUSEHOLD_DAMAGES = (*DAMAGES, "none")
ELIGIBILITY_FIELDS = ("damage", "categories", "in_survey", "season")
CATEGORIES = ("general", "dibao", "tekun", "poverty_registered")
PROGRAMME_KINDS = ("rebuild", "grain", "transitional", "winter_spring", "temporary")
# The living kinds of issue 15 (过渡期, 冬春, 临时救助): one basis per standard.
LIVING_KINDS = ("transitional", "winter_spring", "temporary")
LIVING_BASES = (
    "per_household",
    "per_person",
    "per_person_month",
    "per_person_month_kg",
    "share_of",
)
# `subsidies.reference_standards`: named policy values a `share_of` standard takes a
# percent of, e.g. {code: dibao_urban, per_person_month: "745.00", effective_from: …}.
REFERENCE_FIELDS = ("code", "name", "per_person_month", "effective_from", "region_code", "source")
RESPONSE_DEADLINES = ("situation_report", "funds_allocated")

SCENARIO_FIELDS = ("code",)
POLICY_FIELDS = (
    "effective_from",
    "criteria",
    "thresholds",
    "deadlines_h",
    "response_deadlines_h",
    "cross_jurisdiction_levels",
    "tier_penalty_ton_km",
    "cross_jurisdiction_penalty_ton_km",
    "update_jump_share",
    "loading_h",
    "norms",
    "subsidies",
    "reporting",
    "temporary_relief",
    "winter_spring",
    "distribution",
    "funds",
)
REPORTING_KEYS = reporting_keys
REPORTING_LEVELS = LEVELS_UP
NORM_FIELDS = ("item", "basis", "per_person", "priority_weight")
# Optional: when in the year the norm applies (one of the two; absent = all year).
NORM_SEASON_FIELDS = ("months", "season")
EVENT_FIELDS = ("name", "hazard", "started_at", "level", "region_codes", "closed_roads", "reports")
REPORT_FIELDS = ("region_code", "kind", "reported_at", *COUNT_FIELDS)
# The quick report's other figures (issue 14) may be given too; each is optional.
# `explanation`: why a 续报 moved a figure much, as a posted report's (issue 14).
REPORT_OPTIONAL_FIELDS = (*NEW_FIELDS, "explanation")
# A share criterion's population (a regions.csv column) and the level of its regions.
SHARE_OF = ("rural_population", "population")
SHARE_WITHIN = ("province", "prefecture", "county", "township")
PROGRAMME_FIELDS = (
    "code",
    "name",
    "kind",
    "region_code",
    "event",
    "budget",
    "notice_days",
    "supervision_phone",
    "eligibility",
    "standards",
)
# Standard fields of the programme API (API.md, "Houses and subsidies"), by programme kind.
STANDARD_FIELDS = {
    "rebuild": ("effective_from", "damage", "category", "per_household", "per_room"),
    "grain": (
        "effective_from",
        "category",
        "per_person_month",
        "months",
        "per_household",
        "per_person_month_kg",
        "price_per_kg",
    ),
}
for _kind in LIVING_KINDS:
    STANDARD_FIELDS[_kind] = (
        "effective_from",
        "category",
        *LIVING_BASES,
        "price_per_kg",
        "months",
        "percent",
        "cap_per_household",
    )

_NULL_TAG = "tag:yaml.org,2002:null"


def road_key(a: str, b: str) -> str:
    """The unordered ends of a road, `A~B` with the ends in code order."""
    return "~".join(sorted((a, b)))


# --- values ----------------------------------------------------------------------------


class _Invalid(ValueError):
    """A value that does not read; its text is the problem's message."""


_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_CODE_FORBIDDEN = re.compile(r"[\s~#:]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(text: str) -> str:
    return text


_PHONE = re.compile(r"[0-9+()\- ]{3,32}")


def _phone(text: str) -> str:
    """A 监督电话 as the programme API takes it (ProgrammeIn.supervision_phone)."""
    if not _PHONE.fullmatch(text):
        raise _Invalid(f"{text!r} is not a phone number (digits, spaces, + - ( ), 3-32)")
    return text


def _code(text: str) -> str:
    if _CODE_FORBIDDEN.search(text):
        raise _Invalid(f"{text!r}: a code may not contain spaces, '~', '#' or ':'")
    return text


def _count(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise _Invalid(f"{text!r} is not a whole number")
    value = int(text)
    if value < 0:
        raise _Invalid(f"{value} is negative")
    return value


def _decimal(text: str, places: int | None = None) -> Decimal:
    if not _DECIMAL.fullmatch(text):
        raise _Invalid(f"{text!r} is not a decimal number")
    value = Decimal(text)
    if value < 0:
        raise _Invalid(f"{text} is negative")
    if places is not None and value != value.quantize(Decimal(1).scaleb(-places)):
        raise _Invalid(f"{text} has more than {places} decimals")
    return value


def _hundredths(text: str) -> Decimal:
    # Distances, times and deadlines: route times are summed and compared exactly in
    # hundredths of an hour, so a third decimal would be silently lost.
    return _decimal(text, 2)


def _money(text: str) -> str:
    return f"{_decimal(text, 2):.2f}"


def _coordinate(limit: int) -> Callable[[str], float]:
    def parse(text: str) -> float:
        if not _DECIMAL.fullmatch(text):
            raise _Invalid(f"{text!r} is not a decimal number")
        value = float(text)
        if not -limit <= value <= limit:
            raise _Invalid(f"{text} is outside -{limit}..{limit}")
        return value

    return parse


def _choice(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = tuple(choices)

    def parse(text: str) -> str:
        if text not in allowed:
            raise _Invalid(f"{text!r} is not one of {', '.join(allowed)}")
        return text

    return parse


def _level(text: str) -> int:
    if not _INTEGER.fullmatch(text) or int(text) not in LEVELS:
        raise _Invalid(f"{text!r} is not a response level (1..4)")
    return int(text)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Invalid(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid(f"{text!r} is not an ISO 8601 time") from None
    if value.utcoffset() is None:
        raise _Invalid(f"{text} has no UTC offset (write e.g. 2026-07-01T06:00:00+08:00)")
    return value


def _boolean(text: str) -> bool:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise _Invalid(f"{text!r} is not true or false")


def _money_or_boolean(text: str) -> str | bool:
    try:
        return _boolean(text)
    except _Invalid:
        return _money(text)


# --- where records came from -----------------------------------------------------------


@dataclass(slots=True)
class EventParts:
    """What one event file said, kept even when its header does not read, so that its
    reports are still checked against the network. Paths are YAML field paths."""

    file: str  # e.g. events/flood.yaml
    regions_given: bool  # False: region_codes defaulted to the regions of the reports
    region_codes: list[tuple[str, str]] = field(default_factory=list)  # (code, path)
    closed_roads: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, path)
    reports: list[Report] = field(default_factory=list)  # path: reports[seq]


@dataclass(slots=True)
class Reading:
    """A scenario as read, with the problems met and where each record came from."""

    scenario: Scenario
    problems: list[Problem] = field(default_factory=list)
    # CSV file -> the line of each record of its list in the scenario (same order).
    row_lines: dict[str, list[int]] = field(default_factory=dict)
    # CSV file -> every code its rows name, rows with problems included, so that a row
    # already reported does not also make every reference to it "unknown". For roads.csv:
    # the unordered ends (road_key) of every row.
    declared: dict[str, set[str]] = field(default_factory=dict)
    # (YAML file, field path) -> line.
    lines: dict[tuple[str, str], int] = field(default_factory=dict)
    # The field path of each norm of scenario.policy.norms (same order).
    norm_paths: list[str] = field(default_factory=list)
    # Every events/*.yaml by stem, files with problems included.
    events: dict[str, EventParts] = field(default_factory=dict)

    def line(self, file: str, path: str) -> int:
        """The line of a YAML field path, else of its nearest enclosing path, else 0."""
        while path:
            if (file, path) in self.lines:
                return self.lines[(file, path)]
            # Drop the last `.key` or `[i]`; a top-level key has none and ends the search.
            shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
            path = "" if shorter == path else shorter
        return 0


def read_scenario(path: str | Path) -> tuple[Scenario, list[Problem]]:
    """Read a scenario folder; the problems are in reading order (validate sorts them)."""
    reading = read_with_sources(path)
    return reading.scenario, reading.problems


def read_with_sources(path: str | Path) -> Reading:
    """Read a scenario folder, keeping where each record came from (for the validator)."""
    folder = Path(path)
    reading = Reading(Scenario(name=folder.name, path=folder))
    for file in COLUMNS:
        reading.row_lines[file] = []
        reading.declared[file] = set()
    if not folder.is_dir():
        reading.problems.append(Problem(str(folder), 0, "folder", "not a folder"))
        return reading
    _read_regions(reading, folder)
    _read_warehouses(reading, folder)
    _read_roads(reading, folder)
    _read_items(reading, folder)
    _read_stock(reading, folder)
    if (folder / SCENARIO_FILE).exists():
        _read_scenario_file(reading, folder)
    if (folder / POLICY).exists():
        _read_policy(reading, folder)
    if (folder / EVENTS).exists():
        _read_events(reading, folder)
    return reading


# --- CSV -------------------------------------------------------------------------------


def _decode(path: Path, file: str, problems: list[Problem]) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as error:
        problems.append(Problem(file, 0, "file", f"cannot read: {error.strerror}"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append(Problem(file, line, "encoding", "not UTF-8"))
        return None


class _Row:
    """One CSV row being read: each getter records a problem and returns None on failure."""

    def __init__(self, file: str, line: int, values: dict[str, str], problems: list[Problem]):
        self.file = file
        self.line = line
        self.values = values
        self.problems = problems
        self.ok = True

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.line, column, message))
        self.ok = False

    def get(self, column: str, parse: Callable[[str], T], *, optional: bool = False) -> T | None:
        text = self.values.get(column, "")
        if text == "":
            if not optional:
                self.fail(column, "required")
            return None
        try:
            return parse(text)
        except _Invalid as error:
            self.fail(column, str(error))
            return None


def _rows(reading: Reading, folder: Path, file: str) -> list[_Row]:
    """The data rows of a CSV, or none when the file or its header does not read."""
    problems = reading.problems
    path = folder / file
    if not path.is_file():
        problems.append(Problem(file, 0, "file", "missing"))
        return []
    text = _decode(path, file, problems)
    if text is None:
        return []
    required, optional = COLUMNS[file]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_Row] = []
    header: list[str] | None = None
    try:
        # line_num is the last physical line read, so a row starts one after the previous.
        start = 1
        for values in reader:
            line, start = start, reader.line_num + 1
            values = [value.strip() for value in values]
            if not any(values):
                continue
            if header is None:
                header = values
                if not _header_ok(file, line, header, required, optional, problems):
                    return []
                continue
            if len(values) != len(header):
                problems.append(
                    Problem(
                        file, line, "row", f"{len(values)} values; the header has {len(header)}"
                    )
                )
                continue
            rows.append(_Row(file, line, dict(zip(header, values, strict=True)), problems))
    except csv.Error as error:
        problems.append(Problem(file, reader.line_num, "row", f"not CSV: {error}"))
        return []
    if header is None:
        problems.append(
            Problem(file, 0, "file", f"empty; expected the header {','.join(required)}")
        )
    return rows


def _header_ok(
    file: str,
    line: int,
    header: list[str],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    problems: list[Problem],
) -> bool:
    ok = True
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(file, line, name, "duplicate column"))
            ok = False
        elif name not in required and name not in optional:
            problems.append(
                Problem(
                    file, line, name or "(empty)", f"unknown column; expected {','.join(required)}"
                )
            )
            ok = False
        seen.add(name)
    for name in required:
        if name not in seen:
            problems.append(Problem(file, line, name, "missing column"))
            ok = False
    return ok


def _keep(reading: Reading, file: str, row: _Row, records: list[T], record: T) -> None:
    # The record is built from whatever read; only a row without problems is kept.
    if row.ok:
        records.append(record)
        reading.row_lines[file].append(row.line)


def _declare(reading: Reading, file: str, row: _Row, column: str = "code") -> None:
    code = row.values.get(column, "")
    if code:
        reading.declared[file].add(code)


def _read_regions(reading: Reading, folder: Path) -> None:
    for row in _rows(reading, folder, REGIONS):
        _declare(reading, REGIONS, row)
        code = row.get("code", _code)
        name = row.get("name", _text)
        level = row.get("level", _choice(REGION_LEVELS))
        parent_code = row.get("parent_code", _code, optional=True)
        lat = row.get("lat", _coordinate(90))
        lon = row.get("lon", _coordinate(180))
        population = row.get("population", _count, optional=True)
        rural = row.get("rural_population", _count, optional=True)
        _keep(
            reading,
            REGIONS,
            row,
            reading.scenario.regions,
            Region(code, name, level, parent_code, lat, lon, population, rural),
        )


def _read_warehouses(reading: Reading, folder: Path) -> None:
    for row in _rows(reading, folder, WAREHOUSES):
        _declare(reading, WAREHOUSES, row)
        code = row.get("code", _code)
        name = row.get("name", _text)
        tier = row.get("tier", _choice(TIERS))
        region_code = row.get("region_code", _code)
        lat = row.get("lat", _coordinate(90))
        lon = row.get("lon", _coordinate(180))
        capacity = row.get("capacity_m3", _decimal)
        _keep(
            reading,
            WAREHOUSES,
            row,
            reading.scenario.warehouses,
            Warehouse(code, name, tier, region_code, lat, lon, capacity),
        )


def _read_roads(reading: Reading, folder: Path) -> None:
    # Position of each road among the roads with the same ends, counted over every row
    # that names both ends, so that fixing a broken row does not renumber the others.
    positions: dict[str, int] = {}
    for row in _rows(reading, folder, ROADS):
        from_code = row.get("from_code", _code)
        to_code = row.get("to_code", _code)
        road_id: str | None = None
        if "id" in row.values:
            road_id = row.get("id", _text)
        elif from_code is not None and to_code is not None:
            key = road_key(from_code, to_code)
            positions[key] = positions.get(key, 0) + 1
            road_id = f"{key}#{positions[key]}"
        if from_code is not None and to_code is not None:
            reading.declared[ROADS].add(road_key(from_code, to_code))
            if from_code == to_code:
                row.fail("to_code", f"a road from {from_code} to itself")
        distance = row.get("distance_km", _hundredths)
        time = row.get("travel_time_h", _hundredths)
        status = row.get("status", _choice(ROAD_STATUSES))
        _keep(
            reading,
            ROADS,
            row,
            reading.scenario.roads,
            Road(road_id, from_code, to_code, distance, time, status),
        )


def _read_items(reading: Reading, folder: Path) -> None:
    for row in _rows(reading, folder, ITEMS):
        _declare(reading, ITEMS, row)
        code = row.get("code", _code)
        name_zh = row.get("name_zh", _text)
        # An English name and a category are not always at hand; the Chinese name is.
        name_en = row.get("name_en", _text, optional=True) or ""
        unit = row.get("unit", _text)
        weight = row.get("weight_kg", _decimal)
        volume = row.get("volume_m3", _decimal)
        category = row.get("category", _text, optional=True) or ""
        _keep(
            reading,
            ITEMS,
            row,
            reading.scenario.items,
            Item(code, name_zh, name_en, unit, weight, volume, category),
        )


def _read_stock(reading: Reading, folder: Path) -> None:
    for row in _rows(reading, folder, STOCK):
        warehouse_code = row.get("warehouse_code", _code)
        item_code = row.get("item_code", _code)
        on_hand = row.get("on_hand", _count)
        floor = row.get("floor", _count)
        if on_hand is not None and floor is not None and floor > on_hand:
            row.fail("floor", f"floor {floor} is above on_hand {on_hand}")
        _keep(
            reading,
            STOCK,
            row,
            reading.scenario.stock,
            StockLevel(warehouse_code, item_code, on_hand, floor),
        )


# --- YAML ------------------------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


class _Yaml:
    """One YAML file being read from its composed nodes, which keep each value's line and
    its text as written (so `0.1` is Decimal("0.1") and `0520` stays the code "0520")."""

    def __init__(self, reading: Reading, file: str):
        self.reading = reading
        self.file = file
        self.failures = 0

    def compose(self, path: Path) -> Node | None:
        text = _decode(path, self.file, self.reading.problems)
        if text is None:
            return None
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else 0
            self.reading.problems.append(Problem(self.file, line, "yaml", str(error.problem)))
            return None
        except yaml.YAMLError as error:
            self.reading.problems.append(Problem(self.file, 0, "yaml", str(error)))
            return None
        if root is None or _is_null(root):
            self.reading.problems.append(Problem(self.file, 0, "file", "empty"))
            return None
        return root

    def fail(self, where: Node | int, path: str, message: str) -> None:
        line = where if isinstance(where, int) else _line(where)
        self.reading.problems.append(Problem(self.file, line, path or "file", message))
        self.failures += 1

    def mark(self, node: Node, path: str) -> None:
        self.reading.lines[(self.file, path)] = _line(node)

    def mapping(
        self,
        node: Node,
        path: str,
        fields: Sequence[str] | None = None,
        required: Sequence[str] = (),
    ) -> dict[str, Node] | None:
        """A mapping's non-null values by key; unknown, duplicate and missing keys fail."""
        if not isinstance(node, MappingNode):
            self.fail(node, path, "expected a mapping (key: value)")
            return None
        known = None if fields is None else set(fields)
        values: dict[str, Node] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, path, "a key must be a single value")
                continue
            key = key_node.value.strip()
            sub = _join(path, key)
            if key in seen:
                self.fail(key_node, sub, f"duplicate key; first at line {seen[key]}")
                continue
            seen[key] = _line(key_node)
            if known is not None and key not in known:
                self.fail(key_node, sub, f"unknown field; expected one of {', '.join(fields)}")
                continue
            self.mark(value_node, sub)
            if not _is_null(value_node):
                values[key] = value_node
        for key in required:
            if key not in values:
                sub = _join(path, key)
                self.fail(self.reading.lines.get((self.file, sub), _line(node)), sub, "required")
        return values

    def sequence(self, node: Node, path: str) -> list[tuple[Node, str]] | None:
        """A sequence's items with their paths."""
        if not isinstance(node, SequenceNode):
            self.fail(node, path, "expected a list")
            return None
        items = []
        for index, item in enumerate(node.value):
            sub = _join(path, index)
            self.mark(item, sub)
            items.append((item, sub))
        return items

    def scalar(self, node: Node, path: str, parse: Callable[[str], T]) -> T | None:
        if not isinstance(node, ScalarNode):
            self.fail(node, path, "expected a single value")
            return None
        text = node.value.strip()
        if text == "":
            self.fail(node, path, "required")
            return None
        try:
            return parse(text)
        except _Invalid as error:
            self.fail(node, path, str(error))
            return None

    def field(
        self, values: dict[str, Node], key: str, path: str, parse: Callable[[str], T]
    ) -> T | None:
        """values[key] parsed, or None when absent (a missing required key already failed)."""
        if key not in values:
            return None
        return self.scalar(values[key], _join(path, key), parse)

    def by_level(self, node: Node, path: str, parse: Callable[[str], T]) -> dict[int, T]:
        """A mapping of response levels (1..4) to values."""
        result: dict[int, T] = {}
        for key, value_node in (self.mapping(node, path) or {}).items():
            sub = _join(path, key)
            level = self.key(value_node, key, sub, _level)
            value = self.scalar(value_node, sub, parse)
            if level is not None and value is not None:
                result[level] = value
        return result

    def key(self, at: Node, text: str, path: str, parse: Callable[[str], T]) -> T | None:
        """A mapping key parsed; a problem with it is reported at its value's line."""
        try:
            return parse(text)
        except _Invalid as error:
            self.fail(at, path, str(error))
            return None


# --- scenario.yaml ---------------------------------------------------------------------


def _scenario_code(text: str) -> str:
    code = _code(text)
    if len(code) > SCENARIO_CODE_LENGTH:
        raise _Invalid(f"at most {SCENARIO_CODE_LENGTH} characters")
    return code


def _read_scenario_file(reading: Reading, folder: Path) -> None:
    """scenario.yaml: the scenario's `code`, which scopes its events and keys its policy
    (without the file, or without `code`, the folder's name is the code)."""
    y = _Yaml(reading, SCENARIO_FILE)
    root = y.compose(folder / SCENARIO_FILE)
    if root is None:
        return
    top = y.mapping(root, "", SCENARIO_FIELDS)
    if top is None:
        return
    if (code := y.field(top, "code", "", _scenario_code)) is not None:
        reading.scenario.code = code


# --- policy.yaml -----------------------------------------------------------------------


def _read_policy(reading: Reading, folder: Path) -> None:
    y = _Yaml(reading, POLICY)
    root = y.compose(folder / POLICY)
    if root is None:
        return
    top = y.mapping(root, "", POLICY_FIELDS, required=("thresholds", "deadlines_h"))
    if top is None:
        return
    policy = Policy()
    if (effective_from := y.field(top, "effective_from", "", _date)) is not None:
        policy.effective_from = effective_from
    criterion_names: set[str] = set()
    if "criteria" in top:
        criterion_names = _read_criteria(y, top["criteria"], policy)
    if "thresholds" in top:
        _read_thresholds(y, top["thresholds"], policy, criterion_names)
    if "deadlines_h" in top:
        node = top["deadlines_h"]
        policy.deadlines_h = y.by_level(node, "deadlines_h", _hundredths)
        if isinstance(node, MappingNode):
            given = {key.value.strip() for key, _ in node.value if isinstance(key, ScalarNode)}
            missing = [str(level) for level in LEVELS if str(level) not in given]
            if missing:
                y.fail(node, "deadlines_h", f"no deadline for level {', '.join(missing)}")
    if "response_deadlines_h" in top:
        names = y.mapping(top["response_deadlines_h"], "response_deadlines_h", RESPONSE_DEADLINES)
        for name, node in (names or {}).items():
            policy.response_deadlines_h[name] = y.by_level(
                node, _join("response_deadlines_h", name), _hundredths
            )
    if "cross_jurisdiction_levels" in top:
        levels = y.sequence(top["cross_jurisdiction_levels"], "cross_jurisdiction_levels") or []
        parsed = (y.scalar(node, path, _level) for node, path in levels)
        policy.cross_jurisdiction_levels = frozenset(level for level in parsed if level)
    if "tier_penalty_ton_km" in top:
        tiers = y.mapping(top["tier_penalty_ton_km"], "tier_penalty_ton_km", TIERS) or {}
        for tier, node in tiers.items():
            penalty = y.scalar(node, _join("tier_penalty_ton_km", tier), _decimal)
            if penalty is not None:
                policy.tier_penalty_ton_km[tier] = penalty
    penalty = y.field(top, "cross_jurisdiction_penalty_ton_km", "", _decimal)
    if penalty is not None:
        policy.cross_jurisdiction_penalty_ton_km = penalty
    jump = y.field(top, "update_jump_share", "", _decimal)
    if jump is not None:
        policy.update_jump_share = jump
    loading = y.field(top, "loading_h", "", _hundredths)
    if loading is not None:
        policy.loading_h = loading
    if "norms" in top:
        _read_norms(y, top["norms"], policy)
    if "subsidies" in top:
        policy.subsidies = _read_subsidies(y, top["subsidies"])
    if "reporting" in top:
        policy.reporting = _read_reporting(y, top["reporting"])
    if "temporary_relief" in top:
        policy.temporary_relief = _read_temporary_relief(y, top["temporary_relief"])
    if "winter_spring" in top:
        policy.winter_spring = _read_winter_spring(y, top["winter_spring"])
    if "distribution" in top:
        policy.distribution = _read_distribution(y, top["distribution"])
    if "funds" in top:
        policy.funds = _read_funds(y, top["funds"])
    reading.scenario.policy = policy


def _clock_time(text: str) -> str:
    try:
        return time.fromisoformat(text).isoformat(timespec="minutes")
    except ValueError:
        raise _Invalid(f"{text!r} is not a time of day (HH:MM)") from None


def _read_reporting(y: _Yaml, node: Node) -> dict[str, Any]:
    """policy.yaml's `reporting:` (when statistics reports are due) as plain data; the
    rules' ranges are checked by relief.emergency.reporting.rules_from."""
    values = y.mapping(node, "reporting", REPORTING_KEYS) or {}
    out: dict[str, Any] = {}
    for key in ("initial_h", "escalate_h"):
        if (hours := y.field(values, key, "reporting", _hundredths)) is not None:
            out[key] = hours
    for key in ("escalate_dead_missing", "drought_update_days", "final_working_days"):
        if (number := y.field(values, key, "reporting", _count)) is not None:
            out[key] = number
    if "update_due" in values:
        due = y.mapping(values["update_due"], "reporting.update_due", REPORTING_LEVELS) or {}
        times = {
            level: y.scalar(at, _join("reporting.update_due", level), _clock_time)
            for level, at in due.items()
        }
        out["update_due"] = {level: at for level, at in times.items() if at is not None}
    if "holidays" in values:
        days = y.sequence(values["holidays"], "reporting.holidays") or []
        parsed = (y.scalar(day, path, _date) for day, path in days)
        out["holidays"] = [day for day in parsed if day is not None]
    try:
        rules_from(out)
    except ValueError as exc:
        y.fail(node, "reporting", str(exc))
    return out


def _read_criteria(y: _Yaml, node: Node, policy: Policy) -> set[str]:
    """Read the criteria into the policy; returns every name given, valid or not."""
    names: set[str] = set()
    for name, fields_node in (y.mapping(node, "criteria") or {}).items():
        path = _join("criteria", name)
        names.add(name)
        ok = True
        if name in FIGURE_FIELDS:
            y.fail(fields_node, path, "a criterion may not be named like a report field")
            ok = False
        if isinstance(fields_node, MappingNode):
            # `name: {fields: [...], label: 死亡和失踪人口}`; `name: [fields]` stays valid.
            # `share_of: rural_population` (and `within: province`) make it a share, in per
            # cent, of that population of the regions at that level (issue 14).
            parts = (
                y.mapping(
                    fields_node,
                    path,
                    ("fields", "label", "share_of", "within"),
                    required=("fields",),
                )
                or {}
            )
            label = y.field(parts, "label", path, str)
            if label:
                policy.criterion_labels[name] = label
            share_of = y.field(parts, "share_of", path, _choice(SHARE_OF))
            within = y.field(parts, "within", path, _choice(SHARE_WITHIN))
            if share_of is not None:
                policy.criterion_shares[name] = (share_of, within or "province")
            elif within is not None:
                y.fail(parts["within"], _join(path, "within"), "needs share_of")
            if "fields" not in parts:
                continue
            path = _join(path, "fields")
            fields_node = parts["fields"]
        fields: list[str] = []
        for item, sub in y.sequence(fields_node, path) or []:
            count_field = y.scalar(item, sub, _choice(FIGURE_FIELDS))
            if count_field is None:
                ok = False
            elif count_field in fields:
                y.fail(item, sub, f"{count_field} is listed twice")
                ok = False
            else:
                fields.append(count_field)
        if not fields:
            if isinstance(fields_node, SequenceNode):
                y.fail(fields_node, path, "needs at least one report field")
            ok = False
        if ok:
            policy.criteria[name] = fields
    return names


def _read_thresholds(y: _Yaml, node: Node, policy: Policy, criterion_names: set[str]) -> None:
    for key, limits_node in (y.mapping(node, "thresholds") or {}).items():
        path = _join("thresholds", key)
        level = y.key(limits_node, key, path, _level)
        limits: dict[str, int] = {}
        for name, value_node in (y.mapping(limits_node, path) or {}).items():
            sub = _join(path, name)
            if name not in criterion_names and name not in FIGURE_FIELDS:
                y.fail(value_node, sub, "neither a criterion nor a report field")
                continue
            value = y.scalar(value_node, sub, _count)
            if value is not None:
                limits[name] = value
        if level is not None:
            policy.thresholds[level] = limits


def _read_norms(y: _Yaml, node: Node, policy: Policy) -> None:
    for item, path in y.sequence(node, "norms") or []:
        values = y.mapping(item, path, (*NORM_FIELDS, *NORM_SEASON_FIELDS), required=NORM_FIELDS)
        if values is None:
            continue
        failures = y.failures
        item_code = y.field(values, "item", path, _code)
        basis = y.field(values, "basis", path, _choice(FIGURE_FIELDS))
        per_person = y.field(values, "per_person", path, _decimal)
        weight = y.field(values, "priority_weight", path, _count)
        months = _norm_months(y, values, path)
        if y.failures == failures and all(f in values for f in NORM_FIELDS):
            policy.norms.append(Norm(item_code, basis, per_person, weight, months))
            y.reading.norm_paths.append(path)


def _days_or_hours(text: str) -> int:
    value = _count(text)
    if not 0 < value <= 366:
        raise _Invalid(f"{value} is not a whole number from 1 to 366")
    return value


def _iso_date(text: str) -> str:
    return _date(text).isoformat()


TEMPORARY_RELIEF_COUNTS = (
    "help_first_hours",
    "paperwork_working_days",
    "support_township_working_days",
    "support_county_working_days",
    "notice_days",
    "backdate_days",
)
TEMPORARY_RELIEF_KEYS = (
    "delegated_limit",
    "reserve_fund_initial",
    "cap",
    *TEMPORARY_RELIEF_COUNTS,
    "holidays",
    "causes",
)


def _month(text: str) -> int:
    if not _INTEGER.fullmatch(text) or not 1 <= int(text) <= 12:
        raise _Invalid(f"{text!r} is not a month (1..12)")
    return int(text)


def _norm_months(y: _Yaml, values: dict[str, Node], path: str) -> tuple[int, ...]:
    """A norm's `months: [11, 12, 1, 2, 3]` or `season: winter` as sorted months; () = all year."""
    if "months" in values and "season" in values:
        y.fail(values["season"], _join(path, "season"), "give months or season, not both")
        return ()
    if "season" in values:
        season = y.field(values, "season", path, _choice(SEASON_MONTHS))
        return SEASON_MONTHS[season] if season is not None else ()
    if "months" not in values:
        return ()
    sub = _join(path, "months")
    items = y.sequence(values["months"], sub)
    if items is None:
        return ()
    months: list[int] = []
    for month_node, month_path in items:
        month = y.scalar(month_node, month_path, _month)
        if month is not None and month in months:
            y.fail(month_node, month_path, f"month {month} twice")
        elif month is not None:
            months.append(month)
    if not items:
        y.fail(values["months"], sub, "an empty list: leave months out for all year")
    return tuple(sorted(months))


def _read_temporary_relief(y: _Yaml, node: Node) -> dict[str, Any]:
    """policy.yaml's `temporary_relief:` (临时救助, issue 15) as plain data: the township's
    delegated approval limit, and each county's initial reserve fund per township (yuan)."""
    path = "temporary_relief"
    values = y.mapping(node, path, TEMPORARY_RELIEF_KEYS) or {}
    out: dict[str, Any] = {}
    if (limit := y.field(values, "delegated_limit", path, _money)) is not None:
        out["delegated_limit"] = limit
    # Part C: the cap on a case, the help-first window and the paperwork clocks.
    if (cap := y.field(values, "cap", path, _money)) is not None:
        out["cap"] = cap
    for key in TEMPORARY_RELIEF_COUNTS:
        if (number := y.field(values, key, path, _days_or_hours)) is not None:
            out[key] = number
    if "holidays" in values:
        days = values["holidays"]
        if not isinstance(days, SequenceNode):
            y.fail(days, _join(path, "holidays"), "a list of dates (YYYY-MM-DD)")
        else:
            out["holidays"] = [
                d
                for i, node_ in enumerate(days.value)
                if (d := y.scalar(node_, f"{path}.holidays[{i}]", _iso_date)) is not None
            ]
    if "causes" in values:  # the coded causes: [{code, zh, en}, …]
        from relief.subsidies.temporary import check_rules

        sub = _join(path, "causes")
        causes = []
        for item, item_path in y.sequence(values["causes"], sub) or []:
            fields = y.mapping(item, item_path, ("code", "zh", "en"), required=("code", "zh", "en"))
            if fields is None or len(fields) < 3:
                continue
            causes.append({k: y.scalar(fields[k], _join(item_path, k), _text) for k in fields})
        try:
            out["causes"] = check_rules({"causes": causes})["causes"]
        except ValueError as exc:
            y.fail(values["causes"], sub, str(exc))
    if "reserve_fund_initial" in values:
        sub = _join(path, "reserve_fund_initial")
        counties = y.mapping(values["reserve_fund_initial"], sub) or {}
        initial = {}
        for code, amount in counties.items():
            money = y.scalar(amount, _join(sub, code), _money)
            if money is not None and money.startswith("-"):
                y.fail(amount, _join(sub, code), "an initial balance is not negative")
            elif money is not None:
                initial[code] = money
        out["reserve_fund_initial"] = initial
    return out


WINTER_SPRING_FIELDS = (
    "region_code",
    "survey_from",
    "totals_due",
    "season_months",
    "single_crop_counties",
    "min_per_person",
    "source",
)


def _month_day(text: str) -> str:
    """`MM-DD` (a day of the year: 09-20), as the policy's survey and due dates are given."""
    try:
        month, day = (int(part) for part in text.split("-"))
        date(2001, month, day)  # not a leap year: 02-29 is no day of most seasons
    except ValueError:
        raise _Invalid("expected a day of every year as MM-DD, e.g. 09-20 (02-29 is not)") from None
    return f"{month:02d}-{day:02d}"


def _read_winter_spring(y: _Yaml, node: Node) -> dict[str, Any]:
    """policy.yaml's `winter_spring:` (冬春生活救助, issue 15) as plain data: the region it
    covers, when the needs survey opens and the county's totals are due (MM-DD), the
    season's months, the single-crop counties (season to July) and the per-person minimum
    of a round (yuan). Stored in the database when the scenario loads (winter_policies)."""
    path = "winter_spring"
    values = y.mapping(node, path, WINTER_SPRING_FIELDS, required=("region_code",)) or {}
    out: dict[str, Any] = {}
    for key, parse in (
        ("region_code", _code),
        ("survey_from", _month_day),
        ("totals_due", _month_day),
        ("min_per_person", _money),
        ("source", _text),
    ):
        if (value := y.field(values, key, path, parse)) is not None:
            out[key] = value
    if "season_months" in values:
        sub = _join(path, "season_months")
        months = []
        for item, item_path in y.sequence(values["season_months"], sub) or []:
            month = y.scalar(item, item_path, _count)
            if month is not None and not 1 <= month <= 12:
                y.fail(item, item_path, "a month is 1 to 12")
            elif month is not None:
                months.append(month)
        out["season_months"] = months
    if "single_crop_counties" in values:
        sub = _join(path, "single_crop_counties")
        out["single_crop_counties"] = [
            code
            for item, item_path in y.sequence(values["single_crop_counties"], sub) or []
            if (code := y.scalar(item, item_path, _code)) is not None
        ]
    return out


def _read_distribution(y: _Yaml, node: Node) -> dict[str, Any]:
    """policy.yaml's `distribution:` (goods to households, issue 16): after how many days a
    household given nothing is listed (`nothing_after_days`)."""
    values = y.mapping(node, "distribution", ("nothing_after_days",)) or {}
    out: dict[str, Any] = {}
    if (days := y.field(values, "nothing_after_days", "distribution", _day_count)) is not None:
        out["nothing_after_days"] = days
    return out


def _day_count(text: str) -> int:
    """Days from 0 to 366 (as the policies API takes `distribution.nothing_after_days`)."""
    value = _count(text)
    if value > 366:
        raise _Invalid(f"{value} is not a whole number from 0 to 366")
    return value


def _read_funds(y: _Yaml, node: Node) -> dict[str, Any]:
    """policy.yaml's `funds:` (relief funds passed down, issue 16): `pass_down_days`, the
    split's `weights` (per_person, collapsed, severe, general in yuan; dibao,
    poverty_registered), `source` and `assumed`; the bounds are relief.funds.rules's."""
    from relief.funds.rules import FUNDS_KEYS, WEIGHT_KEYS, check_funds

    path = "funds"
    values = y.mapping(node, path, FUNDS_KEYS) or {}
    raw: dict[str, Any] = {}
    if (days := y.field(values, "pass_down_days", path, _count)) is not None:
        raw["pass_down_days"] = days
    if (source := y.field(values, "source", path, _text)) is not None:
        raw["source"] = source
    if (assumed := y.field(values, "assumed", path, _boolean)) is not None:
        raw["assumed"] = assumed
    if "weights" in values:
        sub = _join(path, "weights")
        weights = y.mapping(values["weights"], sub, WEIGHT_KEYS) or {}
        raw["weights"] = {
            key: str(number)
            for key in weights
            if (number := y.field(weights, key, sub, _decimal)) is not None
        }
    try:
        return check_funds(raw)
    except ValueError as error:
        y.fail(node, str(error).split(":", 1)[0], str(error).split(": ", 1)[-1])
        return {}


def _read_subsidies(y: _Yaml, node: Node) -> dict[str, Any]:
    values = y.mapping(node, "subsidies", ("notice_days", "reference_standards", "programmes"))
    if values is None:
        return {}
    subsidies: dict[str, Any] = {}
    if (notice_days := y.field(values, "notice_days", "subsidies", _count)) is not None:
        subsidies["notice_days"] = notice_days
    if "reference_standards" in values:
        items = y.sequence(values["reference_standards"], "subsidies.reference_standards") or []
        subsidies["reference_standards"] = [
            reference
            for item, path in items
            if (reference := _read_reference(y, item, path)) is not None
        ]
    if "programmes" in values:
        programmes = y.sequence(values["programmes"], "subsidies.programmes") or []
        subsidies["programmes"] = [
            programme
            for item, path in programmes
            if (programme := _read_programme(y, item, path)) is not None
        ]
    return subsidies


def _read_reference(y: _Yaml, node: Node, path: str) -> dict[str, Any] | None:
    """A reference standard: `code`, `per_person_month` (yuan), `effective_from`, and
    optionally `name`, `region_code` (where it applies; else everywhere) and `source`."""
    required = ("code", "per_person_month", "effective_from")
    values = y.mapping(node, path, REFERENCE_FIELDS, required=required)
    if values is None:
        return None
    parsers: dict[str, Callable[[str], Any]] = {
        "code": _code,
        "name": _text,
        "per_person_month": _money,
        "effective_from": _date,
        "region_code": _code,
        "source": _text,
    }
    reference: dict[str, Any] = {}
    for key, parse in parsers.items():
        if (value := y.field(values, key, path, parse)) is not None:
            reference[key] = value
    return reference


def _read_programme(y: _Yaml, node: Node, path: str) -> dict[str, Any] | None:
    required = ("code", "name", "kind", "region_code", "budget")
    values = y.mapping(node, path, PROGRAMME_FIELDS, required=required)
    if values is None:
        return None
    parsers: dict[str, Callable[[str], Any]] = {
        "code": _code,
        "name": _text,
        "kind": _choice(PROGRAMME_KINDS),
        "region_code": _code,
        "event": _code,
        "budget": _money,
        "notice_days": _count,
        "supervision_phone": _phone,
    }
    programme: dict[str, Any] = {}
    for key, parse in parsers.items():
        if (value := y.field(values, key, path, parse)) is not None:
            programme[key] = value
    if "eligibility" in values:
        rule = _read_eligibility(y, values["eligibility"], _join(path, "eligibility"))
        if rule is not None:
            programme["eligibility"] = rule
    kind = programme.get("kind")
    standards: list[dict[str, Any]] = []
    if "standards" in values:
        for item, sub in y.sequence(values["standards"], _join(path, "standards")) or []:
            if (standard := _read_standard(y, item, sub, kind)) is not None:
                standards.append(standard)
    programme["standards"] = standards
    return programme


def _season_year(text: str) -> int:
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise _Invalid(f"{text!r} is not a year between 2000 and 2100")
    return int(text)


def _read_eligibility(y: _Yaml, node: Node, path: str) -> dict[str, Any] | None:
    """`{damage: [...], categories: [...], in_survey: true}`: the households the programme
    covers (any of them; a household must match each given)."""
    failures = y.failures
    values = y.mapping(node, path, ELIGIBILITY_FIELDS)
    if values is None:
        return None
    if not values:
        if y.failures == failures:  # an unknown key is problem enough
            y.fail(node, path, "names damage, categories or in_survey")
        return None
    rule: dict[str, Any] = {}
    if "in_survey" in values:
        rule["in_survey"] = y.field(values, "in_survey", path, _boolean)
    if "season" in values:  # 冬春: the year the programme's season starts (2026 = 2026—2027)
        rule["season"] = y.field(values, "season", path, _season_year)
    for key, choices in (("damage", HOUSEHOLD_DAMAGES), ("categories", CATEGORIES)):
        if key not in values:
            continue
        sub = _join(path, key)
        items = y.sequence(values[key], sub)
        if items is None:
            continue
        if not items:
            y.fail(values[key], sub, "an empty list; leave the key out to cover any")
            continue
        rule[key] = [y.scalar(item, item_path, _choice(choices)) for item, item_path in items]
    return rule if y.failures == failures else None


def _read_standard(y: _Yaml, node: Node, path: str, kind: str | None) -> dict[str, Any] | None:
    if kind in STANDARD_FIELDS:
        fields = STANDARD_FIELDS[kind]
    else:  # the kind is already reported; check the fields any kind allows
        fields = tuple(dict.fromkeys(f for names in STANDARD_FIELDS.values() for f in names))
    required = ("effective_from", "damage") if kind == "rebuild" else ("effective_from",)
    values = y.mapping(node, path, fields, required=required)
    if values is None:
        return None
    parsers: dict[str, Callable[[str], Any]] = {
        "effective_from": _date,
        "damage": _choice(DAMAGES),
        "category": _choice(CATEGORIES),
        # Money in a rebuild standard, a flag in a grain one.
        "per_household": {"rebuild": _money, "grain": _boolean}.get(kind, _money_or_boolean),
        "per_room": _money,
        "per_person_month": _money,
        "months": _count,
        "per_person_month_kg": _decimal,
        "price_per_kg": _money,
        "per_person": _money,
        "share_of": _code,
        "percent": _hundredths,
        "cap_per_household": _money,
    }
    standard: dict[str, Any] = {}
    for key in fields:
        if (value := y.field(values, key, path, parsers[key])) is not None:
            standard[key] = value
    if kind == "rebuild" and "per_household" not in values and "per_room" not in values:
        y.fail(node, path, "needs per_household or per_room")
    if kind == "grain":
        if "months" not in values:
            y.fail(node, _join(path, "months"), "required")
        by_money = "per_person_month" in values
        by_grain = "per_person_month_kg" in values or "price_per_kg" in values
        if by_money == by_grain:
            y.fail(node, path, "needs per_person_month, or per_person_month_kg with price_per_kg")
        elif by_grain and not ("per_person_month_kg" in values and "price_per_kg" in values):
            y.fail(node, path, "per_person_month_kg and price_per_kg go together")
    if kind in LIVING_KINDS:
        _check_living_standard(y, node, path, values, standard)
    return standard


def _check_living_standard(
    y: _Yaml, node: Node, path: str, values: dict[str, Any], standard: dict[str, Any]
) -> None:
    """The rules of a living kind's standard (the service checks them again): one basis,
    months with a monthly one, percent with share_of, price with kilograms."""
    flag = isinstance(standard.get("per_household"), bool)
    bases = [b for b in LIVING_BASES if b in values and not (b == "per_household" and flag)]
    if len(bases) != 1:
        y.fail(node, path, f"needs exactly one of {', '.join(LIVING_BASES)}")
        return
    monthly = bases[0] in ("per_person_month", "per_person_month_kg", "share_of")
    if monthly != ("months" in values):
        y.fail(node, _join(path, "months"), "required" if monthly else f"not with {bases[0]}")
    if (bases[0] == "share_of") != ("percent" in values):
        y.fail(node, path, "share_of and percent go together")
    if (bases[0] == "per_person_month_kg") != ("price_per_kg" in values):
        y.fail(node, path, "per_person_month_kg and price_per_kg go together")


# --- events/*.yaml ---------------------------------------------------------------------


def _read_events(reading: Reading, folder: Path) -> None:
    events_dir = folder / EVENTS
    if not events_dir.is_dir():
        reading.problems.append(Problem(EVENTS, 0, "file", "not a folder"))
        return
    for path in sorted(events_dir.iterdir()):
        file = f"{EVENTS}/{path.name}"
        if path.suffix == ".yml":
            reading.problems.append(Problem(file, 0, "file", "event files end in .yaml"))
        elif path.suffix == ".yaml" and path.is_file():
            _read_event(reading, path, file)


def _read_event(reading: Reading, path: Path, file: str) -> None:
    y = _Yaml(reading, file)
    parts = EventParts(file=file, regions_given=False)
    reading.events[path.stem] = parts
    root = y.compose(path)
    if root is None:
        return
    values = y.mapping(root, "", EVENT_FIELDS, required=("name", "hazard", "started_at"))
    if values is None:
        return
    failures = y.failures
    title = y.field(values, "name", "", _text)
    hazard = y.field(values, "hazard", "", _choice(HAZARDS))
    started_at = y.field(values, "started_at", "", _time)
    level = y.field(values, "level", "", _level)
    header_ok = y.failures == failures

    if "region_codes" in values:
        parts.regions_given = True
        for item, sub in y.sequence(values["region_codes"], "region_codes") or []:
            if (code := y.scalar(item, sub, _code)) is not None:
                parts.region_codes.append((code, sub))
    if "closed_roads" in values:
        for item, sub in y.sequence(values["closed_roads"], "closed_roads") or []:
            pair = y.sequence(item, sub)
            if pair is None:
                continue
            if len(pair) != 2:
                y.fail(item, sub, "expected [from_code, to_code]")
                continue
            ends = [y.scalar(node, end_path, _code) for node, end_path in pair]
            if None not in ends:
                parts.closed_roads.append((ends[0], ends[1], sub))
    if "reports" in values:
        for seq, (item, sub) in enumerate(y.sequence(values["reports"], "reports") or []):
            report = _read_report(y, item, sub, seq)
            if report is not None:
                parts.reports.append(report)

    if not parts.regions_given:
        # SCENARIOS.md: without region_codes the affected regions are those of the reports.
        for report in parts.reports:
            if report.region_code not in {code for code, _ in parts.region_codes}:
                parts.region_codes.append((report.region_code, f"reports[{report.seq}]"))
    if header_ok and None not in (title, hazard, started_at):
        reading.scenario.events[path.stem] = EventSpec(
            name=path.stem,
            title=title,
            hazard=hazard,
            started_at=started_at,
            level=level,
            region_codes=[code for code, _ in parts.region_codes],
            closed_roads=[(a, b) for a, b, _ in parts.closed_roads],
            reports=list(parts.reports),
        )


def _read_report(y: _Yaml, node: Node, path: str, seq: int) -> Report | None:
    values = y.mapping(
        node, path, (*REPORT_FIELDS, *REPORT_OPTIONAL_FIELDS), required=REPORT_FIELDS
    )
    if values is None:
        return None
    failures = y.failures
    region_code = y.field(values, "region_code", path, _code)
    kind = y.field(values, "kind", path, _choice(REPORT_KINDS))
    reported_at = y.field(values, "reported_at", path, _time)
    counts: dict[str, int | Decimal] = {}
    for name in FIGURE_FIELDS:
        parse = _area_or_loss if name in DECIMAL_FIELDS else _count
        value = y.field(values, name, path, parse)
        if value is not None:
            counts[name] = value
    explanation = y.field(values, "explanation", path, _note)
    if y.failures != failures or not set(REPORT_FIELDS) <= values.keys():
        return None
    for name, template, params in figure_problems(counts):
        y.fail(values[name], _join(path, name), template.format(**params))
    if y.failures != failures:
        return None
    return Report(region_code, kind, reported_at, counts, seq, explanation or None)


def _note(text: str) -> str:
    """A report's explanation as the API takes it: at most 2000 characters, no control
    characters."""
    if len(text) > 2000 or _CONTROL.search(text):
        raise _Invalid("at most 2000 characters, no control characters")
    return text.strip()


def _area_or_loss(text: str) -> Decimal:
    # Hectares and 万元: at most 2 decimals, as the API takes them.
    return _decimal(text, 2)
