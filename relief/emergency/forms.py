"""The quick report's form in and out (issue 14, "Forms in and out").

- `quick`: 自然灾害损失情况统计快报表（分乡镇）, one row per report of the event (every one, by
  region and then time: the latest row of a region is its figures that count), in the
  form's column order (relief.emergency.figures) under the form's Chinese headers grouped as
  the form groups them (人口, 房屋, 农作物, 经济损失), then per row the report's kind, time,
  explanation and 零报告 (报告信息). Above them: the title, and a row saying the reporting unit
  (填报单位), the latest report's kind (报告类型: 初报/续报/核报) and time (报告时间, China time).
- `daily`: the 24-hour summary of one day (default yesterday, China time), 0:00 to 24:00:
  per region, the latest report up to 24:00 and the change of the main figures over the
  24 hours (against the latest report before 0:00).

Import (`import_quick`) reads the `quick` sheet back (.xlsx or .csv, with the households
import's size guards, formulas kept as formulas; a CSV in UTF-8 or GB18030): each row's kind
and time from its own cells, else the title rows', else an `initial` report at the time of
import. All or nothing: every column must be the form's, every row is checked (region known,
in the event, in the caller's scope, not twice at one time; figures whole numbers or numbers
with at most 2 decimals up to figures.MAX_COUNT; the form's checks) and the rows are then
filed in time order through the same service as a posted report; a row the event already has
is skipped. Any problem rejects the whole file with `{row, column, field, message, code,
params}` as the households import does.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pydantic import ValidationError
from sqlmodel import Session

from relief import clock
from relief.auth.deps import region_in_scope
from relief.auth.models import Actor
from relief.emergency import service as events
from relief.emergency.figures import (
    DECIMAL_FIELDS,
    FIGURE_FIELDS,
    FIGURE_GROUPS,
    MAX_COUNT,
    MAX_DECIMAL,
    figure_problems,
)
from relief.emergency.models import ReportIn, ReportRow
from relief.emergency.records import COUNT_FIELDS, REPORT_KINDS
from relief.errors import DomainError
from relief.exports import FORMULA_STARTS, safe_row, text_cells
from relief.i18n import translate
from relief.network import service as network
from relief.subsidies.imports import (
    MAX_COLUMNS,
    MAX_REPORTED,
    CellError,
    RowError,
    _check_xlsx_parts,
    csv_rows,
)
from relief.subsidies.imports import _integer as whole_number
from relief.subsidies.imports import _rejected as rejected
from relief.subsidies.models import CONTROL_CHARS

QUICK_TITLE = "自然灾害损失情况统计快报表（分乡镇）"
DAILY_TITLE = "自然灾害情况24小时汇总"
KIND_ZH = {"initial": "初报", "update": "续报", "final": "核报"}
UNIT_LABEL = "填报单位："
KIND_LABEL = "报告类型："
TIME_LABEL = "报告时间："
TIME_FORMAT = "%Y-%m-%d %H:%M"
# Rows of a file, empty ones too. Assumed: a county's townships (10-40) with every report of
# one event (a few a day for a couple of weeks) stay well under it. Each row is filed through
# the service one by one (about 30 ms a row on SQLite, more as the event's reports grow:
# 500 rows took 16 s, measured), so the limit also bounds how long one request may hold the
# event.
MAX_QUICK_ROWS = 2_000

# Per row, after the form's figures: the report's kind and time (so that an event with 初报
# and 续报 comes back as it was), why a 续报 moved a figure, and whether it was a 零报告.
ROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("kind", "报告类型"),
    ("reported_at", "报告时间"),
    ("explanation", "数字变动原因"),
    ("zero_report", "零报告"),
)
ROW_GROUP = "报告信息"
YES = "是"
QUICK_KEYS: tuple[str, ...] = (
    "region_code",
    "region_name",
    *FIGURE_FIELDS,
    *(key for key, _ in ROW_COLUMNS),
)


# The form's own words where the UI's differ (死亡人数 on the pages, 因灾死亡人口 on the form).
FORM_HEADERS = {
    "deaths": "因灾死亡人口",
    "missing": "因灾失踪人口",
    "relocated": "紧急转移安置人口",
    "needing_aid": "需紧急生活救助人口",
}


def figure_header(name: str) -> str:
    return FORM_HEADERS.get(name) or translate(f"count.{name}", "zh")


def quick_headers() -> tuple[str, ...]:
    return (
        "乡镇代码",
        "乡镇名称",
        *(figure_header(name) for name in FIGURE_FIELDS),
        *(header for _, header in ROW_COLUMNS),
    )


def quick_groups() -> list[tuple[str, int]]:
    """(group words, columns) of the grouped header row, after the two region columns."""
    groups = [(translate(f"report.group.{g}", "zh"), len(f)) for g, f in FIGURE_GROUPS.items()]
    return [*groups, (ROW_GROUP, len(ROW_COLUMNS))]


def format_time(at: datetime) -> str:
    """China time to the minute, or to the second when it has seconds (so that two reports
    in one minute stay two)."""
    local = clock.to_cst(at)
    return local.strftime(TIME_FORMAT if local.second == 0 else TIME_FORMAT + ":%S")


def _report_rows(session: Session, actor: Actor, event_id: int) -> list[ReportRow]:
    """Every report of the event in the caller's scope, by region, then as filed in time."""
    cache: dict[str, bool] = {}

    def in_scope(code: str) -> bool:
        if code not in cache:
            cache[code] = region_in_scope(session, actor, code)
        return cache[code]

    rows = [row for row in events.list_reports(session, event_id) if in_scope(row.region_code)]
    return sorted(rows, key=lambda r: (r.region_code, clock.as_utc(r.reported_at), r.id or 0))


def _names(session: Session, codes: set[str]) -> dict[str, str]:
    names = {}
    for code in codes:
        region = network.get_region(session, code)
        names[code] = region.name if region else code
    return names


def reporting_unit(session: Session, event_id: int, actor: Actor | None = None) -> str:
    """The county (or higher) office whose regions the event covers: 某县应急管理局; with
    `actor`, only the offices in their scope (a county's staff: their own county)."""
    codes = events.event_region_codes(session, event_id)
    names = []
    for code in codes:
        for up in network.region_lineage(session, code):
            region = network.get_region(session, up)
            if region is not None and region.level in ("county", "prefecture", "province"):
                if actor is not None and not region_in_scope(session, actor, up):
                    break
                if region.name not in names:
                    names.append(region.name)
                break
    return "、".join(names) + "应急管理局" if names else ""


def quick_form(session: Session, actor: Actor, event_id: int) -> dict[str, Any]:
    """The quick form's parts: title, unit, kind, time, headers, keys, groups, rows.

    Every report of the event (in the caller's scope), one row each, by township and then
    time: imported into an empty event they give the same reports. The latest row of a
    township is its figures that count; the title row's kind and time are the latest
    report's."""
    event = events.get_event(session, event_id)
    rows = _report_rows(session, actor, event_id)
    names = _names(session, {row.region_code for row in rows})
    last = max(rows, key=lambda r: (clock.as_utc(r.reported_at), r.id or 0), default=None)
    at = clock.to_cst(last.reported_at) if last else clock.to_cst(clock.now())
    data = []
    for row in rows:
        figures = events.row_figures(row)
        data.append(
            [
                row.region_code,
                names[row.region_code],
                *(figures.get(f) for f in FIGURE_FIELDS),
                KIND_ZH[row.kind],
                format_time(row.reported_at),
                row.explanation,
                YES if row.zero_report else None,
            ]
        )
    return {
        "title": f"{event.name} {QUICK_TITLE}",
        "unit": reporting_unit(session, event_id, actor),
        "kind": last.kind if last else "initial",
        "at": at,
        "headers": quick_headers(),
        "keys": QUICK_KEYS,
        "rows": data,
    }


def quick_xlsx(form: dict[str, Any]) -> bytes:
    """The form as the paper has it: title, the unit/kind/time row, grouped headers, rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "快报表"
    width = len(form["headers"])
    sheet.append([form["title"]])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(
        [
            UNIT_LABEL + form["unit"],
            None,
            KIND_LABEL + KIND_ZH[form["kind"]],
            None,
            TIME_LABEL + form["at"].strftime(TIME_FORMAT),
        ]
    )
    groups = ["", ""]
    column = 3
    for words, span in quick_groups():
        groups.extend([words] + [None] * (span - 1))
        column += span
    sheet.append(groups)
    column = 3
    for _, span in quick_groups():
        sheet.merge_cells(start_row=3, start_column=column, end_row=3, end_column=column + span - 1)
        sheet.cell(3, column).alignment = Alignment(horizontal="center")
        column += span
    sheet.append(list(form["headers"]))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in form["rows"]:
        sheet.append(list(row))
        text_cells(sheet[sheet.max_row])  # a text beginning with = stays text
    # Region codes as text, so that Excel keeps them whole.
    for (cell,) in sheet.iter_rows(min_row=5, min_col=1, max_col=1):
        cell.number_format = "@"
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 16
    for index in range(3, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 12
    sheet.freeze_panes = "C5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def quick_csv(form: dict[str, Any]) -> bytes:
    """The same as CSV: the title and unit rows, then the headers and rows (no merged cells)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([form["title"]])
    writer.writerow(
        [
            UNIT_LABEL + form["unit"],
            KIND_LABEL + KIND_ZH[form["kind"]],
            TIME_LABEL + form["at"].strftime(TIME_FORMAT),
        ]
    )
    writer.writerow(form["headers"])
    for row in form["rows"]:
        writer.writerow(["" if v is None else v for v in safe_row(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- the daily summary --------------------------------------------------------------------

DAILY_FIELDS = (
    "affected",
    "deaths",
    "missing",
    "relocated",
    "needing_aid",
    "collapsed_rooms",
    "severe_rooms",
    "general_rooms",
    "loss_total",
)


def daily_window(day: date | None = None) -> tuple[date, datetime, datetime]:
    """The 24 hours a daily summary covers: the day given (default yesterday, China time)
    from 0:00 to 24:00, as the 续报 rules count them."""
    if day is None:
        day = clock.to_cst(clock.now()).date() - timedelta(days=1)
    start = datetime.combine(day, datetime.min.time(), tzinfo=clock.CST)
    return day, start, start + timedelta(days=1)


def daily_summary(
    session: Session, actor: Actor, event_id: int, day: date | None = None
) -> dict[str, Any]:
    """The 24 小时汇总 of one day (default yesterday, China time), 0:00 to 24:00: per region in
    scope, its latest report up to 24:00 and the change of the main figures over those 24
    hours (against its latest report before 0:00; a region first reported that day changes
    by its whole figure)."""
    event = events.get_event(session, event_id)
    day, start, end = daily_window(day)
    by_region: dict[str, list[ReportRow]] = {}
    for row in events.list_reports(session, event_id):
        if clock.as_utc(row.reported_at) < end and region_in_scope(session, actor, row.region_code):
            by_region.setdefault(row.region_code, []).append(row)
    names = _names(session, set(by_region))
    keys = ["region_code", "region_name", "kind", "reported_at"]
    headers = ["行政区划代码", "地区", "报告类型", "报告时间"]
    for name in DAILY_FIELDS:
        keys += [name, f"{name}_change"]
        headers += [figure_header(name), f"{figure_header(name)}（24小时变化）"]
    rows = []
    for code in sorted(by_region):
        ordered = sorted(by_region[code], key=lambda r: (clock.as_utc(r.reported_at), r.id or 0))
        now_row = ordered[-1]
        earlier = [r for r in ordered if clock.as_utc(r.reported_at) < start]
        before = events.row_figures(earlier[-1]) if earlier else {}
        figures = events.row_figures(now_row)
        line: list[Any] = [
            code,
            names[code],
            KIND_ZH[now_row.kind],
            # A date cell in the .xlsx (issue 13 review #22); CSV and JSON say it as text.
            clock.to_cst(now_row.reported_at).replace(tzinfo=None),
        ]
        for name in DAILY_FIELDS:
            value = figures.get(name)
            old = before.get(name, 0)
            line += [value, None if value is None or old is None else value - old]
        rows.append(line)
    return {
        "title": f"{event.name} {DAILY_TITLE}（{day.isoformat()} 0时至24时）",
        "headers": tuple(headers),
        "keys": tuple(keys),
        "rows": rows,
    }


# --- import --------------------------------------------------------------------------------
# A file is read with the household import's guards (relief.subsidies.imports: the .xlsx's
# parts are sized before openpyxl parses them, rows are streamed and cut at MAX_COLUMNS
# cells, a row of more than MAX_ROW_CELLS cells is refused) but with formulas kept as
# formulas, so that a computed cell is refused rather than read as its cached value or,
# when the file holds none, as blank (= 0 dead).

_KIND_WORDS = {**{zh: kind for kind, zh in KIND_ZH.items()}, **{k: k for k in REPORT_KINDS}}
_YES_NO = {"是": True, "否": False, "yes": True, "no": False, "true": True, "false": False}
_TIME_FORMATS = (
    TIME_FORMAT,
    TIME_FORMAT + ":%S",
    "%Y/%m/%d %H:%M",  # what Excel writes back when it opened the CSV and took it for a time
    "%Y/%m/%d %H:%M:%S",
)
# Numbers as Excel shows them with a thousands separator (1,234 or 1,234.50) are numbers.
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?[eE]\+?\d+")
_HEADER_SEARCH_ROWS = 10  # the header row is one of the first rows (under the title rows)
_HEADER_FIELDS: dict[str, str] = {}


class Formula(str):
    """A cell that holds a formula: its text, never a value."""


def _norm(text: str) -> str:
    """A header as compared: no spaces or line breaks, full-width brackets, lower case."""
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）").lower()


def _header_fields() -> dict[str, str]:
    if not _HEADER_FIELDS:
        names = {}
        for key, header in zip(QUICK_KEYS, quick_headers(), strict=True):
            names[header] = key
            names[key] = key
        for name in FIGURE_FIELDS:  # the pages' words too
            names[translate(f"count.{name}", "zh")] = name
        names["行政区划代码"] = "region_code"
        names["地区"] = "region_name"
        names["explanation"] = "explanation"
        _HEADER_FIELDS.update({_norm(text): key for text, key in names.items()})
    return _HEADER_FIELDS


def read_quick(filename: str | None, content: bytes) -> Iterator[list[Any]]:
    """The first sheet's rows, formulas as `Formula`; DomainError `bad_request` for a file
    that cannot be read (naming the CSV's encoding when that is why), `too_large` for an
    .xlsx that unpacks to too much, `import_rejected` for a second sheet with data."""
    name = (filename or "").lower()
    is_xlsx = name.endswith(".xlsx") or (not name.endswith(".csv") and content[:2] == b"PK")
    try:
        yield from (_xlsx_cells(content) if is_xlsx else _csv_cells(content))
    except DomainError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged file
        raise DomainError(
            "bad_request",
            "the file is not a readable .xlsx or .csv ({name})",
            "file",
            params={"name": type(exc).__name__},
        ) from None


def _csv_cells(content: bytes) -> Iterator[list[Any]]:
    # The households' reader decodes (UTF-8 with or without BOM, then GB18030; UTF-16
    # refused): one rule for every import.
    for cells in csv_rows(content):
        yield [Formula(c) if c.strip().startswith("=") else c for c in cells]


def _xlsx_cells(content: bytes) -> Iterator[list[Any]]:
    _check_xlsx_parts(content)
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        for other in workbook.worksheets[1:]:
            if _has_values(other):
                raise rejected(
                    [
                        RowError(
                            1,
                            None,
                            None,
                            f"the workbook has another sheet with data ({other.title}): only "
                            "the first sheet is read; move its rows there or delete the sheet",
                            "extra_sheet",
                            {"sheet": other.title},
                        )
                    ]
                )
        sheet = workbook.worksheets[0]
        # The declared <dimension> is the sender's word, not the data (as for households).
        sheet.reset_dimensions()
        for cells in sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS):
            yield [
                Formula(str(getattr(c.value, "text", c.value))) if c.data_type == "f" else c.value
                for c in cells
            ]
    finally:
        workbook.close()


def _has_values(sheet: Any) -> bool:
    """Whether a sheet has any value (an empty Sheet2 of an old Excel workbook is fine);
    one of more rows than a form may have counts as having some."""
    sheet.reset_dimensions()
    for number, cells in enumerate(
        sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True), start=1
    ):
        if number > MAX_QUICK_ROWS or not all(_blank(c) for c in cells):
            return True
    return False


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _title_facts(cells: list[Any], row: int) -> tuple[str | None, datetime | None, list[RowError]]:
    kind = at = None
    errors: list[RowError] = []
    for index, cell in enumerate(cells):
        text = _cell_text(cell).replace(":", "：")
        column = get_column_letter(index + 1)
        if text.startswith(KIND_LABEL):
            word = text[len(KIND_LABEL) :].strip()
            kind = _KIND_WORDS.get(word)
            if kind is None:
                errors.append(_unknown_kind(row, column, word))
        elif text.startswith(TIME_LABEL):
            word = text[len(TIME_LABEL) :].strip().replace("：", ":")
            at = _parse_time(word)
            if at is None:
                errors.append(_bad_time(row, column, word))
    return kind, at, errors


def _unknown_kind(row: int, column: str, word: str) -> RowError:
    return RowError(
        row, column, "kind", f"kind not recognised: {word!r}", "unknown_kind", {"value": word}
    )


def _bad_time(row: int, column: str, word: str) -> RowError:
    return RowError(
        row,
        column,
        "reported_at",
        f"not a time (YYYY-MM-DD HH:MM): {word!r}",
        "bad_time",
        {"value": word},
    )


def _parse_time(value: Any) -> datetime | None:
    """A report time: China time as text, or a date-time cell (Excel turns the text into
    one when it opens a CSV); None when it is not one."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=clock.CST) if value.tzinfo is None else value
    text = _cell_text(value).replace("：", ":")
    for form in _TIME_FORMATS:
        try:
            return datetime.strptime(text, form).replace(tzinfo=clock.CST)
        except ValueError:
            continue
    return None


def _number_text(value: Any) -> str:
    text = _cell_text(value)
    return text.replace(",", "") if _GROUPED.fullmatch(text) else text


def _figure(name: str, value: Any) -> int | Decimal:
    """A figure cell's value; CellError (with its row error's code) when it is not one."""
    if isinstance(value, Formula):
        raise CellError("a formula is not a figure: type the number", "formula_cell")
    if isinstance(value, bool | date | time | timedelta):
        # A date typed (or formatted) into a count: never a number of people.
        if name in DECIMAL_FIELDS:
            raise CellError("a number ≥ 0 with at most 2 decimals is required", "not_amount")
        raise CellError("a whole number is required", "not_whole_number")
    if name not in DECIMAL_FIELDS:
        return whole_number(_number_text(value) if isinstance(value, str) else value, 0, MAX_COUNT)
    try:
        number = Decimal(_number_text(value))
    except InvalidOperation:
        number = None
    if (
        number is None
        or not number.is_finite()
        or number < 0
        or number > MAX_DECIMAL
        or number != number.quantize(Decimal("0.01"))
    ):
        raise CellError("a number ≥ 0 with at most 2 decimals is required", "not_amount")
    return number.quantize(Decimal("0.01")) if number.as_tuple().exponent < -2 else number


def _header(number: int, cells: list[Any]) -> tuple[dict[int, str], list[RowError]] | None:
    """The header row's columns (index → field) and its problems (a column the form does not
    have, a column twice, no township column); None when the row is not the header."""
    fields = _header_fields()
    texts = [_norm(_cell_text(c)) for c in cells]
    mapped = {i: fields[t] for i, t in enumerate(texts) if t in fields}
    if "region_code" not in mapped.values() and len(mapped) < 2:
        return None
    problems: list[RowError] = []
    columns: dict[int, str] = {}
    first: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = get_column_letter(index + 1)
        if index not in mapped:
            if not _blank(cell):
                header = _cell_text(cell)
                problems.append(
                    RowError(
                        number,
                        column,
                        None,
                        f"unknown column {header!r}: use the form's headers (乡镇代码, 因灾死亡人口 …)",
                        "unknown_column",
                        {"header": header},
                    )
                )
            continue
        name = mapped[index]
        if name in first:
            before = get_column_letter(first[name] + 1)
            problems.append(
                RowError(
                    number,
                    column,
                    name,
                    f"the same column as {before}",
                    "duplicate_column",
                    {"first_column": before},
                )
            )
            continue
        first[name] = index
        columns[index] = name
    if "region_code" not in first:
        problems.append(
            RowError(
                number,
                None,
                "region_code",
                "missing column 乡镇代码 (region_code): the township of each row",
                "missing_region_column",
            )
        )
    return columns, problems


def _parse_row(
    number: int, cells: list[Any], columns: dict[int, str], unnamed: set[int]
) -> tuple[dict[str, Any], list[RowError]]:
    """One data row's values by field, and its cells' problems."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for index, value in enumerate(cells):
        column = get_column_letter(index + 1)
        name = columns.get(index)
        if name is None:
            if not _blank(value) and index not in unnamed:
                # A merged header cell leaves the columns after its first without a name.
                unnamed.add(index)
                errors.append(
                    RowError(
                        number,
                        column,
                        None,
                        "this column has no header: its figures would be lost",
                        "no_header",
                    )
                )
            continue
        if name == "region_name":
            # Checked against the township's name once its code is known (import_quick).
            if named := _cell_text(value):
                values["region_name"] = named
            continue
        if isinstance(value, Formula) and name not in FIGURE_FIELDS:
            errors.append(
                RowError(number, column, name, "a formula is not a value", "formula_cell")
            )
            continue
        text = _cell_text(value)
        if name == "region_code":
            if text:
                values[name] = text
            else:
                errors.append(RowError(number, column, name, "required", "required"))
        elif name == "kind":
            if text:
                kind = _KIND_WORDS.get(text)
                if kind is None:
                    errors.append(_unknown_kind(number, column, text))
                values[name] = kind
        elif name == "reported_at":
            if text:
                at = _parse_time(value)
                if at is None:
                    errors.append(_bad_time(number, column, text))
                values[name] = at
        elif name == "explanation":
            # The CSV export (and .xlsx files exported before text cells) writes a text
            # that Excel would take for a formula with an apostrophe before it
            # (relief.exports.safe_cell): taken off again here.
            if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
                text = text[1:]
            if len(text) > 2000 or CONTROL_CHARS.search(text):
                errors.append(
                    RowError(
                        number,
                        column,
                        name,
                        "at most 2000 characters, no control characters",
                        "too_long_or_control",
                        {"max": 2000},
                    )
                )
            values[name] = text or None
        elif name == "zero_report":
            flag = _YES_NO.get(text.lower()) if text else False
            if flag is None:
                errors.append(
                    RowError(
                        number,
                        column,
                        name,
                        f"是 or 否 (yes or no), not {text!r}",
                        "not_yes_no",
                        {"value": text},
                    )
                )
            values[name] = bool(flag)
        elif _blank(value):
            values[name] = 0 if name in COUNT_FIELDS else None
        else:
            try:
                values[name] = _figure(name, value)
            except CellError as exc:
                errors.append(RowError(number, column, name, str(exc), exc.code, exc.params))
    return values, errors


def _name_problem(
    session: Session, number: int, columns: dict[int, str], code: str, named: str
) -> RowError | None:
    """A 乡镇名称 that is not the name of the row's 乡镇代码 (a code typed into the wrong
    row, or a row copied from another township): the row is refused, naming both."""
    region = network.get_region(session, code)
    if region is None or _norm(named) == _norm(region.name):
        return None
    return RowError(
        number,
        _column_of(columns, "region_name"),
        "region_name",
        f"{named} is not the name of {code} ({region.name}): check the code and the name",
        "region_name_mismatch",
        {"code": code, "name": named, "expected": region.name},
    )


def _region_problem(
    session: Session, actor: Actor, event_regions: set[str], code: str
) -> tuple[str, str] | None:
    """Why a row's township cannot be filed, as (English message, code): unknown, not in
    the event, or outside the caller's regions (three problems, each its own code)."""
    if len(code) > 64 or CONTROL_CHARS.search(code):
        return "at most 64 characters, no control characters", "too_long_or_control"
    if _SCIENTIFIC.fullmatch(code):
        # Excel shows a 12-digit village code as 1.50125E+11 and saves the CSV so.
        return (
            "the code was stored as a number and lost digits; format the column as text",
            "stored_as_number",
        )
    if network.get_region(session, code) is None:
        return f"unknown region {code}", "unknown_region"
    if not event_regions.intersection(network.region_lineage(session, code)):
        return f"{code} is not one of the event's regions nor under one", "region_outside_event"
    if not region_in_scope(session, actor, code):
        return f"{code} is outside your regions", "region_out_of_scope"
    return None


def import_quick(
    session: Session, actor: Actor, event_id: int, filename: str | None, content: bytes
) -> list[ReportRow]:
    """File the quick form's rows as reports of the event, all or nothing.

    Each row's kind and time come from its own 报告类型 and 报告时间 cells; a file without
    them (or a blank cell) takes the title rows' (报告类型：续报, 报告时间：…), else an
    `initial` report at the time of import. The rows are filed in time order, so that a
    续报 is checked against the reports before it as when it was first filed."""
    events.get_event(session, event_id)
    event_regions = set(events.event_region_codes(session, event_id))
    errors: list[RowError] = []
    kind: str | None = None
    at: datetime | None = None
    columns: dict[int, str] | None = None
    header_row = 0
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[str, datetime | None], int] = {}
    unnamed: set[int] = set()
    regions: dict[str, tuple[str, str] | None] = {}
    for number, cells in enumerate(read_quick(filename, content), start=1):
        if number > MAX_QUICK_ROWS:
            # Every row counts, an empty one too: a sheet of a million formatted empty rows
            # is refused here, not read to its end.
            errors.append(
                RowError(
                    number,
                    None,
                    None,
                    f"at most {MAX_QUICK_ROWS} rows per file (empty rows count)",
                    "too_many_rows",
                    {"max": MAX_QUICK_ROWS},
                )
            )
            break
        if columns is None:
            found = _header(number, cells)
            if found is not None:
                columns, problems = found
                header_row = number
                errors += problems
                # A column refused in the header is not reported again on every row.
                unnamed.update(i for i, c in enumerate(cells) if i not in columns and not _blank(c))
                if "region_code" not in columns.values():
                    break
                continue
            k, t, problems = _title_facts(cells, number)
            kind, at, errors = k or kind, t or at, errors + problems
            if number >= _HEADER_SEARCH_ROWS:
                break
            continue
        if all(_blank(c) for c in cells):
            continue
        values, problems = _parse_row(number, cells, columns, unnamed)
        errors += problems
        code = values.get("region_code")
        named = values.pop("region_name", None)
        if code:
            if code not in regions:  # looked up once per township, not once per row
                regions[code] = _region_problem(session, actor, event_regions, code)
            problem = regions[code]
            if problem is None and named is not None:
                mismatch = _name_problem(session, number, columns, code, named)
                if mismatch is not None:
                    errors.append(mismatch)
            if problem is not None:
                message, reason = problem
                params = {"too_long_or_control": {"max": 64}, "stored_as_number": {}}.get(
                    reason, {"code": code}
                )
                column = _column_of(columns, "region_code")
                errors.append(RowError(number, column, "region_code", message, reason, params))
                del values["region_code"]
            else:
                key = (code, values.get("reported_at") or at)
                if key in seen:
                    errors.append(
                        RowError(
                            number,
                            _column_of(columns, "region_code"),
                            "region_code",
                            f"township {code} twice at the same time: rows {seen[key]} and {number}",
                            "duplicate_township",
                            {"code": code, "first_row": seen[key], "row": number},
                        )
                    )
                else:
                    seen[key] = number
        if "region_code" in values:
            for field, template, params in figure_problems(values):
                errors.append(
                    RowError(
                        number,
                        _column_of(columns, field),
                        field,
                        translate(template, "en", **params),
                        "refused",
                        {"zh": translate(template, "zh", **params)},
                    )
                )
        parsed.append((number, values))
        if len(errors) >= MAX_REPORTED:
            break
    if columns is None:
        errors.append(
            RowError(
                1,
                None,
                "region_code",
                "the header row (乡镇代码 …) is missing",
                "missing_region_column",
            )
        )
    elif not parsed and not errors:
        errors.append(RowError(header_row + 1, None, None, "no rows", "no_report_rows"))
    if errors:
        raise rejected(errors[:MAX_REPORTED])
    now = clock.now()
    filing = []
    for number, values in parsed:
        values["kind"] = values.get("kind") or kind or "initial"
        values["reported_at"] = values.get("reported_at") or at or now
        filing.append((clock.as_utc(values["reported_at"]), number, values))
    # A report already filed in this event (the same township at the same time) is not
    # filed twice: the downloaded form with new rows added imports only the new rows.
    # The event's row lock first (as add_report takes it): no other filing can add a report
    # between this read and the last row filed.
    events.get_event(session, event_id, lock=True)
    rows = events.list_reports(session, event_id)
    filed = {(row.region_code, clock.as_utc(row.reported_at)): row for row in rows}
    # The event's reports read once for every row filed (not once per row: n² rows read).
    known = events.FiledReports(rows)
    created: list[ReportRow] = []
    for when, number, values in sorted(filing, key=lambda f: (f[0], f[1])):
        for name in COUNT_FIELDS:  # a count the file leaves out is 0, as a blank one
            values.setdefault(name, 0)
        try:
            body = ReportIn(**values)
            before = filed.get((body.region_code, when))
            if before is not None:
                if before.kind != body.kind or events.row_figures(before) != body.counts():
                    errors.append(_already_filed(number, columns, body.region_code, before))
                continue
            created.append(events.add_report(session, actor, event_id, body, known))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else None
            message = str(first["msg"])
            errors.append(
                RowError(
                    number, _column_of(columns, field), field, message, "refused", {"zh": message}
                )
            )
        except DomainError as exc:
            if exc.status in (401, 403):
                raise
            errors.append(
                RowError(
                    number,
                    _column_of(columns, exc.field),
                    exc.field,
                    exc.message,
                    "refused",
                    {"zh": exc.text("zh")},
                )
            )
    if errors:
        session.rollback()
        raise rejected(sorted(errors, key=lambda e: (e.row, e.column or ""))[:MAX_REPORTED])
    return created


def _already_filed(number: int, columns: dict[int, str], code: str, before: ReportRow) -> RowError:
    at = format_time(before.reported_at)
    return RowError(
        number,
        _column_of(columns, "reported_at") or _column_of(columns, "region_code"),
        "reported_at",
        f"{code} already has a report at {at} (report {before.id}) with other figures: "
        "a correction is a new report with its own time",
        "already_filed",
        {"code": code, "at": at, "report_id": before.id},
    )


def _column_of(columns: dict[int, str], field: str | None) -> str | None:
    for index, name in columns.items():
        if name == field:
            return get_column_letter(index + 1)
    return None
