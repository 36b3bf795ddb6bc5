"""The statistics tables of an event as the 自然灾害情况统计调查制度 asks for them:
`GET /api/v1/events/{id}/statistics?table=…&format=xlsx|csv|json`.

Each table is an entry of `TABLES`: a function giving its title, headers (Chinese, the form's
column order) and rows for the caller. The two ledgers:
- `deaths`: 因灾死亡失踪人口台账 (relief/emergency/casualties.py);
- `houses`: 倒损住房户台账, the event's registered households with damaged houses
  (relief/subsidies), with address, structure and rooms by degree of damage.
- `quick`: 自然灾害损失情况统计快报表（分乡镇）, importable back (`POST …/statistics/import`);
- `daily`: the 24-hour summary (relief/emergency/forms.py).

Scope: rows in the caller's regions (duty officers and admins: all). ID numbers are masked;
the .xlsx keeps them as text cells (relief/sheets.py); every cell passes safe_cell.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from sqlmodel import Session, col, select

from relief import clock
from relief.auth.deps import region_in_scope, require, sees_everything
from relief.auth.models import Actor
from relief.db import get_session
from relief.emergency import casualties
from relief.emergency import service as events
from relief.emergency.models import ReportOut
from relief.subsidies.exports import render
from relief.subsidies.models import DAMAGE_ZH, STRUCTURE_ZH, Household


@dataclass
class Table:
    """A statistics table: title, headers and rows (and the JSON keys of its columns)."""

    title: str
    headers: tuple[str, ...]
    keys: tuple[str, ...]
    rows: list[list[Any]] = field(default_factory=list)
    sheet: str = "Sheet"
    # A table with its own layout (the quick report's grouped headers and title rows):
    # format → bytes; None = the generic sheet of `render`.
    layout: Callable[[str], bytes] | None = None


TableBuilder = Callable[[Session, Actor, int], Table]

DEATHS_COLUMNS = (
    ("seq", "序号"),
    ("name", "姓名"),
    ("sex", "性别"),
    ("age", "年龄"),
    ("id_number", "身份证号码"),
    ("status", "死亡/失踪"),
    ("occurred_on", "死亡（失踪）日期"),
    ("region_code", "行政区划代码"),
    ("place", "死亡（失踪）地点"),
    ("cause", "死亡（失踪）原因"),
)

HOUSES_COLUMNS = (
    ("seq", "序号"),
    ("household_id", "户编号"),
    ("head_name", "户主姓名"),
    ("id_number", "身份证号码"),
    ("region_code", "行政区划代码"),
    ("place", "乡镇（村）"),
    ("address", "住址"),
    ("size", "家庭人口"),
    ("structure", "房屋结构"),
    ("damage", "房屋损坏程度"),
    ("collapsed_rooms", "倒塌间数"),
    ("severe_rooms", "严重损坏间数"),
    ("general_rooms", "一般损坏间数"),
    ("phone", "联系电话"),
)


def _in_scope(session: Session, actor: Actor, code: str, cache: dict[str, bool]) -> bool:
    if code not in cache:
        cache[code] = region_in_scope(session, actor, code)
    return cache[code]


def deaths_table(session: Session, actor: Actor, event_id: int) -> Table:
    event = events.get_event(session, event_id)
    rows = casualties.list_casualties(session, actor, event_id)
    names = casualties.region_names(session, {row.region_code for row in rows})
    out = [
        [
            i,
            row.name,
            casualties.SEX_ZH[row.sex],
            row.age,
            row.id_masked or "",
            casualties.STATUS_ZH[row.status],
            row.occurred_on,
            row.region_code,
            names.get(row.region_code, row.region_code),
            row.cause,
        ]
        for i, row in enumerate(rows, start=1)
    ]
    return Table(
        f"{event.name} 因灾死亡失踪人口台账",
        tuple(h for _, h in DEATHS_COLUMNS),
        tuple(k for k, _ in DEATHS_COLUMNS),
        out,
        "因灾死亡失踪人口台账",
    )


def houses_table(session: Session, actor: Actor, event_id: int) -> Table:
    """The households of the event whose house is damaged (collapsed, severe, general)."""
    event = events.get_event(session, event_id)
    query = (
        select(Household)
        .where(Household.event_id == event_id, col(Household.damage) != "none")
        .order_by(col(Household.region_code), col(Household.id))
    )
    households = list(session.exec(query).all())
    if not sees_everything(actor):
        cache: dict[str, bool] = {}
        households = [h for h in households if _in_scope(session, actor, h.region_code, cache)]
    names = casualties.region_names(session, {h.region_code for h in households})
    out = [
        [
            i,
            h.id,
            h.head_name,
            h.id_masked,
            h.region_code,
            names.get(h.region_code, h.region_code),
            h.address or "",
            h.size,
            STRUCTURE_ZH.get(h.structure or "", ""),
            DAMAGE_ZH.get(h.damage, h.damage),
            h.collapsed_rooms,
            h.severe_rooms,
            h.general_rooms,
            h.phone or "",
        ]
        for i, h in enumerate(households, start=1)
    ]
    return Table(
        f"{event.name} 倒损住房户台账",
        tuple(h for _, h in HOUSES_COLUMNS),
        tuple(k for k, _ in HOUSES_COLUMNS),
        out,
        "倒损住房户台账",
    )


def quick_table(session: Session, actor: Actor, event_id: int) -> Table:
    """自然灾害损失情况统计快报表（分乡镇） (relief.emergency.forms)."""
    from relief.emergency import forms

    form = forms.quick_form(session, actor, event_id)
    return Table(
        form["title"],
        form["headers"],
        form["keys"],
        form["rows"],
        "快报表",
        layout=lambda fmt: forms.quick_xlsx(form) if fmt == "xlsx" else forms.quick_csv(form),
    )


def daily_table(session: Session, actor: Actor, event_id: int, day: date | None = None) -> Table:
    """The 24-hour summary of `day` (default yesterday, China time; relief.emergency.forms)."""
    from relief.emergency import forms

    summary = forms.daily_summary(session, actor, event_id, day)
    return Table(
        summary["title"], summary["headers"], summary["keys"], summary["rows"], "24小时汇总"
    )


# The tables by name.
TABLES: dict[str, TableBuilder] = {
    "deaths": deaths_table,
    "houses": houses_table,
    "quick": quick_table,
    "daily": daily_table,
}

MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def build(
    session: Session, actor: Actor, event_id: int, table: str, day: date | None = None
) -> Table:
    if table == "daily" and day is not None:
        return daily_table(session, actor, event_id, day)
    builder = TABLES.get(table)
    if builder is None:
        from relief.errors import DomainError

        raise DomainError(
            "validation_error",
            "unknown table {table}: use one of {tables}",
            "table",
            params={"table": table, "tables": ", ".join(TABLES)},
        )
    return builder(session, actor, event_id)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M")  # a shown (China) time, as in the CSV
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


router = APIRouter(tags=["emergency"])


@router.post("/events/{event_id}/statistics/import", status_code=201)
def import_statistics(
    event_id: int,
    file: UploadFile = File(...),
    actor: Actor = Depends(require("duty_officer", "county_staff")),
    session: Session = Depends(get_session),
) -> list[ReportOut]:
    """The quick form (.xlsx or .csv, as exported) filed as reports, all or nothing: 201
    with the reports created, or 422 `import_rejected` with row and column errors."""
    from relief.emergency import forms

    content = file.file.read()
    rows = forms.import_quick(session, actor, event_id, file.filename, content)
    reply = [events.report_out(row) for row in rows]
    session.commit()
    return reply


@router.get("/events/{event_id}/statistics")
def statistics(
    event_id: int,
    table: str = Query(..., max_length=32, description="deaths | houses | quick | daily"),
    format: str = Query("json", pattern="^(xlsx|csv|json)$"),
    day: date | None = Query(None, description="daily: the day (YYYY-MM-DD), default yesterday"),
    actor: Actor = Depends(require("duty_officer", "county_staff", "approver", "township_staff")),
    session: Session = Depends(get_session),
) -> Response:
    """A statistics table of the event as .xlsx, .csv or JSON (`{table, title, columns,
    rows}` with one object per row). `daily` covers `day` 0:00 to 24:00 (China time)."""
    if day is not None and day > clock.to_cst(clock.now()).date():
        from relief.errors import DomainError

        raise DomainError("validation_error", "day is in the future", "day")
    result = build(session, actor, event_id, table, day)
    if format == "json":
        body = {
            "table": table,
            "title": result.title,
            "columns": [
                {"key": k, "header": h} for k, h in zip(result.keys, result.headers, strict=True)
            ],
            "rows": [
                {k: _json_value(v) for k, v in zip(result.keys, row, strict=True)}
                for row in result.rows
            ],
        }
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")
    if result.layout is not None:
        content = result.layout(format)
    else:
        content = render(result.headers, result.rows, format, result.sheet, result.title)
    filename = f"{result.sheet}-{event_id}.{format}"
    return Response(
        content,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
