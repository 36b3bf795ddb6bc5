"""The quick report's form in and out (issue 14): `table=quick` as the form's .xlsx (title,
reporting unit, kind and time, grouped headers, one row per township), imported back all or
nothing with row and column errors; `table=daily` the 24-hour summary."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import Workbook, load_workbook

from relief import clock
from relief.emergency.figures import FIGURE_FIELDS

FULL = {
    "affected": 5000,
    "injured": 10,
    "injured_severe": 2,
    "relocated_central": 200,
    "relocated_dispersed": 100,
    "crop_affected_ha": 1200.5,
    "crop_affected_grain_ha": 800,
    "loss_total": 1520.5,
    "loss_housing": 800.25,
}


def _stats(api, event_id, table, fmt, user="duty"):
    return api.client.get(
        f"/api/v1/events/{event_id}/statistics?table={table}&format={fmt}",
        headers=api.users[user],
    )


def _import(api, event_id, content, name="quick.xlsx", user="duty", lang=None):
    headers = dict(api.users[user])
    if lang:
        headers["Accept-Language"] = lang
    return api.client.post(
        f"/api/v1/events/{event_id}/statistics/import",
        files={"file": (name, content, "application/octet-stream")},
        headers=headers,
    )


def _filed(api, event_id):
    event = api.create_event(["150125"]).json() if event_id is None else {"id": event_id}
    at = api.now - timedelta(hours=2)
    for region, deaths in (("150125101", 1), ("150125102", 0)):
        body = api.report_body(region, at=at, relocated=300, deaths=deaths) | FULL
        reply = api.client.post(
            f"/api/v1/events/{event['id']}/reports", json=body, headers=api.users["duty"]
        )
        assert reply.status_code == 201, reply.text
    return event["id"]


def _figures(api, event_id):
    reports = api.get(f"/events/{event_id}/reports").json()["items"]
    return {r["region_code"]: {f: r[f] for f in FIGURE_FIELDS} for r in reports}


def test_the_quick_form_has_the_forms_layout(api):
    event_id = _filed(api, None)
    reply = _stats(api, event_id, "quick", "xlsx")
    assert reply.status_code == 200, reply.text
    sheet = load_workbook(io.BytesIO(reply.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0].endswith("自然灾害损失情况统计快报表（分乡镇）")
    assert rows[1][0] == "填报单位：武川县应急管理局"
    assert "报告类型：初报" in rows[1] and "报告时间：2026-07-01 10:00" in rows[1]
    assert [c for c in rows[2] if c] == ["人口", "房屋", "农作物", "经济损失", "报告信息"]
    assert rows[3][:4] == ["乡镇代码", "乡镇名称", "受灾人口", "因灾死亡人口"]
    assert [r[0] for r in rows[4:]] == ["150125101", "150125102"]
    assert rows[4][1] == "可可以力更镇" and rows[4][2] == 5000

    as_json = _stats(api, event_id, "quick", "json").json()
    assert as_json["rows"][0]["loss_housing"] == 800.25
    assert as_json["columns"][2] == {"key": "affected", "header": "受灾人口"}


def test_an_export_imported_into_an_empty_event_gives_the_same_reports(api):
    source = _filed(api, None)
    for fmt in ("xlsx", "csv"):
        content = _stats(api, source, "quick", fmt).content
        empty = api.create_event(["150125"]).json()["id"]
        reply = _import(api, empty, content, name=f"quick.{fmt}", user="wc_staff")
        assert reply.status_code == 201, reply.text
        assert [r["kind"] for r in reply.json()] == ["initial", "initial"]
        assert reply.json()[0]["reported_at"] == "2026-07-01T10:00:00+08:00"
        assert _figures(api, empty) == _figures(api, source)


def _sheet(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_bad_file_is_rejected_whole_with_rows_and_columns(api):
    event_id = api.create_event(["150125"]).json()["id"]
    content = _sheet(
        ["快报表"],
        ["填报单位：武川县", None, "报告类型：续报", None, "报告时间：2026-07-01 11:00"],
        ["乡镇代码", "乡镇名称", "因灾受伤人口", "其中重伤人口", "直接经济损失（万元）"],
        ["150125101", "可可以力更镇", 3, 1, "12.5"],
        ["150125102", "哈乐镇", 1, 2, "x"],
        ["999999999", "?", 0, 0, 0],
        ["150125101", "可可以力更镇", 0, 0, 0],
    )
    reply = _import(api, event_id, content, lang="zh-CN")
    assert reply.status_code == 422
    detail = reply.json()["detail"]
    assert detail["code"] == "import_rejected"
    found = {(e["row"], e["column"], e["code"]) for e in detail["rejected"]}
    assert found == {
        (5, "D", "refused"),
        (5, "E", "not_amount"),
        (6, "A", "unknown_region"),
        (7, "A", "duplicate_township"),
    }
    said = {e["code"]: e["message"] for e in detail["rejected"]}
    assert "重伤" in said["refused"] and "不能超过" in said["refused"]
    assert api.get(f"/events/{event_id}/reports").json()["items"] == []  # nothing filed

    good = _sheet(
        ["报告类型：续报", "报告时间：2026-07-01 11:00"],
        ["乡镇代码", "乡镇名称", "因灾受伤人口", "injured_severe"],
        ["150125101", "可可以力更镇", 3, 1],
    )
    reply = _import(api, event_id, good)
    assert reply.status_code == 201, reply.text
    assert reply.json()[0]["kind"] == "update" and reply.json()[0]["injured"] == 3


def test_a_row_outside_the_clerks_county_is_a_row_error(api):
    event_id = api.create_event(["150125", "150122"]).json()["id"]
    content = _sheet(["乡镇代码", "乡镇名称", "因灾死亡人口"], ["150122100", "双河镇", 1])
    reply = _import(api, event_id, content, user="wc_staff")
    assert reply.status_code == 422
    assert reply.json()["detail"]["rejected"][0]["code"] == "region_out_of_scope"


def test_the_daily_summary_gives_yesterdays_latest_and_its_change(api):
    event_id = api.create_event(["150125"]).json()["id"]
    yesterday = api.now - timedelta(days=1)
    api.report(event_id, "150125101", at=yesterday - timedelta(hours=2), relocated=100)
    api.report(event_id, "150125101", kind="update", at=yesterday, relocated=130)
    api.report(event_id, "150125101", kind="update", at=api.now - timedelta(hours=1), relocated=500)
    rows = _stats(api, event_id, "daily", "json").json()["rows"]
    assert len(rows) == 1
    # Both reports fall on yesterday (0:00–24:00): first reported that day, its whole figure.
    assert rows[0]["relocated"] == 130 and rows[0]["relocated_change"] == 130
    assert rows[0]["kind"] == "续报"
    assert _stats(api, event_id, "daily", "csv").status_code == 200
    xlsx = _stats(api, event_id, "daily", "xlsx")
    assert xlsx.status_code == 200
    # Issue 13 review #22: 报告时间 is a date cell, not text.
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header_row = next(r for r in sheet.iter_rows() if any(c.value == "报告时间" for c in r))
    column = next(c.column for c in header_row if c.value == "报告时间")
    cell = sheet.cell(row=header_row[0].row + 1, column=column)
    assert cell.is_date and cell.value.strftime("%H:%M") == clock.to_cst(yesterday).strftime(
        "%H:%M"
    )
    assert rows[0]["reported_at"] == clock.to_cst(yesterday).strftime("%Y-%m-%d %H:%M")
