"""The quick report's form in and out (issue 14, "Forms in and out").

- `quick`: 自然灾害损失情况统计快报表（分乡镇）, one row per reported region (the latest report of
  each: the figures that count), in the form's column order (relief.emergency.figures) under
  the form's Chinese headers grouped as the form groups them (人口, 房屋, 农作物, 经济损失). Above
  them: the title, and a row saying the reporting unit (填报单位), the report kind (报告类型:
  初报/续报/核报, the latest report's) and its time (报告时间, China time).
- `daily`: the 24-hour summary of one day (default yesterday, China time), 0:00 to 24:00:
  per region, the latest report up to 24:00 and the change of the main figures over the
  24 hours (against the latest report before 0:00).

Import (`import_quick`) reads the `quick` sheet back (.xlsx or .csv, the households import's
reader with its size limits: relief.subsidies.imports.read_rows): the kind and time from the
title rows (default: an `initial` report at the time of import), one report per data row.
All or nothing: every row is checked (region known, in the event and the caller's scope,
not twice; figures whole numbers or numbers with at most 2 decimals; the form's checks) and
then filed through the same service as a posted report; any problem rejects the whole file
with `{row, column, field, message, code, params}` as the households import does.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
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
    MAX_DECIMAL,
    figure_problems,
)
from relief.emergency.models import ReportIn, ReportRow
from relief.emergency.records import COUNT_FIELDS, REPORT_KINDS
from relief.errors import DomainError
from relief.exports import safe_row
from relief.i18n import translate
from relief.network import service as network
from relief.subsidies.imports import MAX_REPORTED, CellError, RowError, read_rows
from relief.subsidies.imports import _integer as whole_number
from relief.subsidies.imports import _rejected as rejected

QUICK_TITLE = "自然灾害损失情况统计快报表（分乡镇）"
DAILY_TITLE = "自然灾害情况24小时汇总"
KIND_ZH = {"initial": "初报", "update": "续报", "final": "核报"}
UNIT_LABEL = "填报单位："
KIND_LABEL = "报告类型："
TIME_LABEL = "报告时间："
TIME_FORMAT = "%Y-%m-%d %H:%M"
MAX_QUICK_ROWS = 10_000  # townships of one event: far more than any county has
MAX_COUNT = 100_000_000

QUICK_KEYS: tuple[str, ...] = ("region_code", "region_name", *FIGURE_FIELDS)


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
    return ("乡镇代码", "乡镇名称", *(figure_header(name) for name in FIGURE_FIELDS))


def quick_groups() -> list[tuple[str, int]]:
    """(group words, columns) of the grouped header row, after the two region columns."""
    return [(translate(f"report.group.{g}", "zh"), len(f)) for g, f in FIGURE_GROUPS.items()]


def _latest_rows(session: Session, actor: Actor, event_id: int) -> list[ReportRow]:
    latest: dict[str, ReportRow] = {}
    for row in events.list_reports(session, event_id):
        held = latest.get(row.region_code)
        if held is None or (clock.as_utc(row.reported_at), row.id or 0) >= (
            clock.as_utc(held.reported_at),
            held.id or 0,
        ):
            latest[row.region_code] = row
    cache: dict[str, bool] = {}

    def in_scope(code: str) -> bool:
        if code not in cache:
            cache[code] = region_in_scope(session, actor, code)
        return cache[code]

    return [latest[code] for code in sorted(latest) if in_scope(code)]


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
    """The quick form's parts: title, unit, kind, time, headers, keys, groups, rows."""
    event = events.get_event(session, event_id)
    rows = _latest_rows(session, actor, event_id)
    names = _names(session, {row.region_code for row in rows})
    last = max(rows, key=lambda r: (clock.as_utc(r.reported_at), r.id or 0), default=None)
    at = clock.to_cst(last.reported_at) if last else clock.to_cst(clock.now())
    data = []
    for row in rows:
        figures = events.row_figures(row)
        data.append(
            [row.region_code, names[row.region_code], *(figures.get(f) for f in FIGURE_FIELDS)]
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
        sheet.append(safe_row(row))
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
            clock.to_cst(now_row.reported_at).strftime(TIME_FORMAT),
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

_KIND_WORDS = {**{zh: kind for kind, zh in KIND_ZH.items()}, **{k: k for k in REPORT_KINDS}}
_HEADER_FIELDS: dict[str, str] = {}


def _header_fields() -> dict[str, str]:
    if not _HEADER_FIELDS:
        for key, header in zip(QUICK_KEYS, quick_headers(), strict=True):
            _HEADER_FIELDS[header] = key
            _HEADER_FIELDS[key] = key
        for name in FIGURE_FIELDS:  # the pages' words too
            _HEADER_FIELDS[translate(f"count.{name}", "zh")] = name
        _HEADER_FIELDS["行政区划代码"] = "region_code"
        # Optional: why a 续报 moves a figure much (else 422 explanation_required on the row).
        _HEADER_FIELDS["数字变动原因"] = "explanation"
        _HEADER_FIELDS["explanation"] = "explanation"
    return _HEADER_FIELDS


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
                errors.append(
                    RowError(
                        row,
                        column,
                        "kind",
                        f"kind not recognised: {word!r}",
                        "unknown_kind",
                        {"value": word},
                    )
                )
        elif text.startswith(TIME_LABEL):
            word = text[len(TIME_LABEL) :].strip().replace("：", ":")
            try:
                at = datetime.strptime(word, TIME_FORMAT).replace(tzinfo=clock.CST)
            except ValueError:
                errors.append(
                    RowError(
                        row,
                        column,
                        "reported_at",
                        f"not a time (YYYY-MM-DD HH:MM): {word!r}",
                        "bad_time",
                        {"value": word},
                    )
                )
    return kind, at, errors


def _figure(name: str, value: Any) -> int | Decimal:
    if name not in DECIMAL_FIELDS:
        return whole_number(value, 0, MAX_COUNT)
    text = _cell_text(value)
    try:
        number = Decimal(text)
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


def import_quick(
    session: Session, actor: Actor, event_id: int, filename: str | None, content: bytes
) -> list[ReportRow]:
    """File the quick form's rows as reports of the event, all or nothing."""
    events.get_event(session, event_id)
    errors: list[RowError] = []
    kind: str | None = None
    at: datetime | None = None
    columns: dict[int, str] | None = None
    header_row = 0
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    fields = _header_fields()
    for number, cells in enumerate(read_rows(filename, content), start=1):
        if columns is None:
            texts = [_cell_text(c) for c in cells]
            mapped = {i: fields[t] for i, t in enumerate(texts) if t in fields}
            if "region_code" in mapped.values() and len(mapped) > 2:
                columns, header_row = mapped, number
                continue
            k, t, problems = _title_facts(cells, number)
            kind, at, errors = k or kind, t or at, errors + problems
            if number > 10:
                break
            continue
        if all(_cell_text(c) == "" for c in cells):
            continue
        if len(parsed) >= MAX_QUICK_ROWS:
            errors.append(
                RowError(
                    number,
                    None,
                    None,
                    f"at most {MAX_QUICK_ROWS} rows per file",
                    "too_many_rows",
                    {"max": MAX_QUICK_ROWS},
                )
            )
            break
        values: dict[str, Any] = {}
        for index, name in columns.items():
            value = cells[index] if index < len(cells) else None
            column = get_column_letter(index + 1)
            if name == "region_name":
                continue
            if name == "explanation":
                text = _cell_text(value)
                if len(text) > 2000:
                    errors.append(
                        RowError(
                            number,
                            column,
                            name,
                            "at most 2000 characters",
                            "too_long",
                            {"max": 2000},
                        )
                    )
                values[name] = text or None
                continue
            if name == "region_code":
                code = _cell_text(value)
                if not code:
                    errors.append(RowError(number, column, name, "required", "required"))
                elif code in seen:
                    errors.append(
                        RowError(
                            number,
                            column,
                            name,
                            f"also in row {seen[code]}",
                            "duplicate_in_file",
                            {"first_row": seen[code]},
                        )
                    )
                elif network.get_region(session, code) is None:
                    errors.append(
                        RowError(
                            number,
                            column,
                            name,
                            f"unknown region {code}",
                            "unknown_region",
                            {"code": code},
                        )
                    )
                else:
                    seen[code] = number
                    values[name] = code
                continue
            if _cell_text(value) == "":
                values[name] = 0 if name in COUNT_FIELDS else None
                continue
            try:
                values[name] = _figure(name, value)
            except CellError as exc:
                errors.append(RowError(number, column, name, str(exc), exc.code, exc.params))
        if "region_code" in values:
            for field, template, params in figure_problems(values):
                column = _column_of(columns, field)
                errors.append(
                    RowError(
                        number,
                        column,
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
            RowError(1, None, None, "the header row (乡镇代码 …) is missing", "missing_column")
        )
    elif not parsed and not errors:
        errors.append(RowError(header_row + 1, None, None, "no rows", "no_rows"))
    if errors:
        raise rejected(errors)
    at = at or clock.now()
    kind = kind or "initial"
    created: list[ReportRow] = []
    for number, values in parsed:
        code = values.pop("region_code")
        for name in COUNT_FIELDS:  # a count the file leaves out is 0, as a blank one
            values.setdefault(name, 0)
        try:
            body = ReportIn(region_code=code, kind=kind, reported_at=at, **values)
            created.append(events.add_report(session, actor, event_id, body))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else None
            errors.append(
                RowError(
                    number, _column_of(columns, field), field, first["msg"], "out_of_range", {}
                )
            )
        except DomainError as exc:
            if exc.status == 403:
                errors.append(
                    RowError(
                        number,
                        _column_of(columns, "region_code"),
                        "region_code",
                        f"{code} is outside your regions",
                        "region_out_of_scope",
                        {"code": code},
                    )
                )
                continue
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
        raise rejected(errors)
    return created


def _column_of(columns: dict[int, str], field: str | None) -> str | None:
    for index, name in columns.items():
        if name == field:
            return get_column_letter(index + 1)
    return None
