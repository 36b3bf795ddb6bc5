"""The quick form's import attacked (issue 14 review, "Forms in and out"): a file that would
be filed wrong is refused whole (422 `import_rejected`, row and column errors), never filed
as 0 and never a 500; an export of an event with several reports per township, of
different kinds, imported into an empty event gives the same reports."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from relief.emergency import forms
from relief.emergency.figures import FIGURE_FIELDS, MAX_COUNT
from relief.subsidies import imports

HEADER = ["乡镇代码", "乡镇名称", "因灾死亡人口", "受灾人口", "直接经济损失（万元）"]


def _import(api, event_id, content, name="quick.xlsx", user="duty", lang=None):
    headers = dict(api.users[user])
    if lang:
        headers["Accept-Language"] = lang
    return api.client.post(
        f"/api/v1/events/{event_id}/statistics/import",
        files={"file": (name, content, "application/octet-stream")},
        headers=headers,
    )


def _sheet(*rows, merge: str | None = None, second: list | None = None) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    if merge:
        book.active.merge_cells(merge)
    if second is not None:
        other = book.create_sheet("第二页")
        other.append(second)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(*rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def _problems(reply) -> set[tuple]:
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "import_rejected"
    return {(e["row"], e["column"], e["field"], e["code"]) for e in detail["rejected"]}


def _reports(api, event_id):
    return api.get(f"/events/{event_id}/reports").json()["items"]


def _event(api, regions=("150125",)):
    reply = api.create_event(list(regions))
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


# --- 1: unknown columns, formulas, the township column -----------------------------------


def test_a_misspelled_header_is_refused_naming_its_column_not_filed_as_zero(api):
    event_id = _event(api)
    content = _sheet(["乡镇代码", "乡镇名称", "因灾死亡人品", "受灾人口"], ["150125101", "", 3, 10])
    problems = _problems(_import(api, event_id, content))
    assert problems == {(1, "C", None, "unknown_column")}
    assert _reports(api, event_id) == []


def test_an_unknown_column_is_worded_in_chinese_with_its_header(api):
    event_id = _event(api)
    content = _csv(["乡镇代码", "备注", "因灾死亡人口"], ["150125101", "x", 1])
    reply = _import(api, event_id, content, name="quick.csv", lang="zh-CN")
    assert _problems(reply) == {(1, "B", None, "unknown_column")}
    assert "备注" in reply.json()["detail"]["rejected"][0]["message"]


def test_a_formula_cell_is_refused_not_filed_as_zero(api):
    event_id = _event(api)
    content = _sheet(HEADER, ["150125101", "可可以力更镇", "=1+1", 10, 5])
    assert _problems(_import(api, event_id, content)) == {(2, "C", "deaths", "formula_cell")}
    as_csv = _csv(HEADER, ["150125101", "可可以力更镇", 1, "=SUM(A1:A2)", 5])
    reply = _import(api, event_id, as_csv, name="quick.csv")
    assert _problems(reply) == {(2, "D", "affected", "formula_cell")}
    assert _reports(api, event_id) == []


def test_a_file_without_the_township_column_is_refused(api):
    event_id = _event(api)
    content = _sheet(["乡镇名称", "因灾死亡人口", "受灾人口"], ["可可以力更镇", 1, 10])
    assert _problems(_import(api, event_id, content)) == {
        (1, None, "region_code", "missing_region_column")
    }


def test_a_blank_optional_figure_stays_not_reported(api):
    event_id = _event(api)
    content = _sheet(HEADER, ["150125101", "可可以力更镇", None, None, " "])
    reply = _import(api, event_id, content)
    assert reply.status_code == 201, reply.text
    report = reply.json()[0]
    assert report["deaths"] == 0  # one of today's ten: blank is 0, as a posted report's
    assert report["affected"] is None and report["loss_total"] is None


# --- 2: the round trip keeps every report, its kind and its time -------------------------


def _post(api, event_id, region, kind="initial", at=None, explanation=None, **figures):
    body = api.report_body(region, kind=kind, at=at, explanation=explanation)
    reply = api.client.post(
        f"/api/v1/events/{event_id}/reports", json=body | figures, headers=api.users["duty"]
    )
    assert reply.status_code == 201, reply.text


def _several(api, event_id):
    """Two townships, each with an 初报 and 续报s (one a 零报告, one with an explanation)."""
    at = api.now - timedelta(hours=5)
    _post(api, event_id, "150125101", at=at, deaths=1, relocated=300, affected=5000)
    _post(api, event_id, "150125102", at=at, relocated=40, loss_total=12.5)
    _post(
        api,
        event_id,
        "150125101",
        kind="update",
        at=at + timedelta(hours=1, seconds=30),
        deaths=3,
        relocated=100,
        affected=5200,
        explanation="=转移人员已返回 (a formula-looking reason)",
    )
    _post(api, event_id, "150125102", kind="update", at=at + timedelta(hours=2), relocated=40)
    _post(
        api,
        event_id,
        "150125101",
        kind="update",
        at=at + timedelta(hours=3),
        deaths=3,
        relocated=100,
        affected=5200,
        zero_report=True,
    )


def _as_filed(api, event_id):
    keep = ("region_code", "kind", "reported_at", "explanation", "zero_report", *FIGURE_FIELDS)
    return sorted(
        (tuple(r[k] for k in keep) for r in _reports(api, event_id)), key=lambda t: (t[0], t[2])
    )


def _stable(api, event_id, at):
    reply = api.client.post(
        f"/api/v1/events/{event_id}/stable", json={"at": at.isoformat()}, headers=api.users["duty"]
    )
    assert reply.status_code in (200, 201), reply.text


def test_an_event_with_several_reports_per_township_round_trips_report_for_report(api):
    source = _event(api)
    _several(api, source)
    # …and a 核报 after the disaster is declared stable.
    _stable(api, source, api.now - timedelta(minutes=50))
    _post(api, source, "150125102", kind="final", at=api.now - timedelta(minutes=30), relocated=40)
    assert len(_as_filed(api, source)) == 6
    for fmt in ("xlsx", "csv"):
        content = api.get(f"/events/{source}/statistics?table=quick&format={fmt}").content
        empty = _event(api)
        _stable(api, empty, api.now - timedelta(minutes=50))
        reply = _import(api, empty, content, name=f"quick.{fmt}", user="wc_staff")
        assert reply.status_code == 201, reply.text
        kinds = [r["kind"] for r in reply.json()]
        assert (kinds.count("initial"), kinds.count("update"), kinds.count("final")) == (2, 3, 1)
        assert _as_filed(api, empty) == _as_filed(api, source)


def test_the_export_has_a_kind_and_time_per_row(api):
    source = _event(api)
    _several(api, source)
    content = api.get(f"/events/{source}/statistics?table=quick&format=xlsx").content
    rows = [list(r) for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]
    header = rows[3]
    assert header[:3] == ["乡镇代码", "乡镇名称", "受灾人口"]  # the form's own order first
    kind, at = header.index("报告类型"), header.index("报告时间")
    assert [(r[0], r[kind], r[at]) for r in rows[4:]] == [
        ("150125101", "初报", "2026-07-01 07:00"),
        ("150125101", "续报", "2026-07-01 08:00:30"),
        ("150125101", "续报", "2026-07-01 10:00"),
        ("150125102", "初报", "2026-07-01 07:00"),
        ("150125102", "续报", "2026-07-01 09:00"),
    ]
    as_json = api.get(f"/events/{source}/statistics?table=quick&format=json").json()
    assert as_json["rows"][2]["zero_report"] == "是"


def test_without_per_row_columns_the_title_rows_kind_and_time_apply(api):
    event_id = _event(api)
    content = _sheet(
        ["报告类型：续报", None, "报告时间：2026-07-01 11:00"],
        HEADER,
        ["150125101", "可可以力更镇", 1, 10, 5],
    )
    reply = _import(api, event_id, content)
    assert reply.status_code == 201, reply.text
    assert reply.json()[0]["kind"] == "update"
    assert reply.json()[0]["reported_at"] == "2026-07-01T11:00:00+08:00"
    # Neither: an 初报 at the time of import.
    other = _event(api)
    reply = _import(api, other, _sheet(HEADER, ["150125101", "", 1, 10, 5]))
    assert reply.json()[0]["kind"] == "initial"
    assert reply.json()[0]["reported_at"] == api.now.isoformat()


def test_a_per_row_kind_or_time_that_is_not_one_is_a_row_error(api):
    event_id = _event(api)
    content = _sheet(
        ["乡镇代码", "报告类型", "报告时间", "因灾死亡人口"],
        ["150125101", "快报", "2026-07-01 10:00", 1],
        ["150125102", "初报", "昨天", 1],
        ["150125102", "初报", datetime(2026, 7, 1, 9, 30), 1],  # Excel made it a date: fine
    )
    assert _problems(_import(api, event_id, content)) == {
        (2, "B", "kind", "unknown_kind"),
        (3, "C", "reported_at", "bad_time"),
    }


# --- 3: one limit, the duplicate's words, GBK, the three region problems -----------------


def test_the_import_takes_what_the_api_takes_up_to_the_shared_limit(api):
    assert forms.MAX_COUNT == MAX_COUNT == 1_000_000_000
    event_id = _event(api)
    content = _sheet(HEADER, ["150125101", "", 0, 200_000_000, 5])
    reply = _import(api, event_id, content)
    assert reply.status_code == 201, reply.text
    assert reply.json()[0]["affected"] == 200_000_000
    over = _sheet(HEADER, ["150125102", "", 0, MAX_COUNT + 1, 5])
    reply = _import(api, event_id, over)
    assert _problems(reply) == {(2, "D", "affected", "out_of_range")}
    assert reply.json()["detail"]["rejected"][0]["params"] == {"min": 0, "max": MAX_COUNT}


def test_a_township_twice_at_the_same_time_is_worded_as_a_duplicate_township(api):
    event_id = _event(api)
    content = _sheet(HEADER, ["150125101", "", 1, 10, 5], ["150125101", "", 2, 10, 5])
    reply = _import(api, event_id, content, lang="zh-CN")
    assert _problems(reply) == {(3, "A", "region_code", "duplicate_township")}
    problem = reply.json()["detail"]["rejected"][0]
    assert problem["params"] == {"code": "150125101", "first_row": 2, "row": 3}
    assert "乡镇重复" in problem["message"] and "第 2 行" in problem["message"]
    assert "第 3 行" in problem["message"] and "号码" not in problem["message"]


def test_a_csv_saved_by_excel_on_chinese_windows_gbk_imports(api):
    event_id = _event(api)
    content = _csv(HEADER, ["150125101", "可可以力更镇", 1, "1,234", 5], encoding="gbk")
    reply = _import(api, event_id, content, name="quick.csv")
    assert reply.status_code == 201, reply.text
    assert reply.json()[0]["affected"] == 1234


def test_a_csv_in_utf16_is_refused_naming_the_encoding(api):
    event_id = _event(api)
    content = "\t".join(HEADER).encode("utf-16")
    reply = _import(api, event_id, content, name="quick.csv")
    assert reply.status_code == 400, reply.text
    assert "UTF-16" in reply.json()["detail"]["message"]


def test_unknown_outside_the_event_and_outside_the_clerks_county_are_three_problems(api):
    event_id = _event(api, ["150125"])
    content = _sheet(HEADER, ["999999999", "", 1, 1, 1], ["150122100", "双河镇", 1, 1, 1])
    assert _problems(_import(api, event_id, content, user="wc_staff")) == {
        (2, "A", "region_code", "unknown_region"),
        (3, "A", "region_code", "region_outside_event"),
    }
    both = _event(api, ["150125", "150122"])
    reply = _import(api, both, content, user="wc_staff", lang="zh-CN")
    assert _problems(reply) == {
        (2, "A", "region_code", "unknown_region"),
        (3, "A", "region_code", "region_out_of_scope"),
    }
    said = {e["code"]: e["message"] for e in reply.json()["detail"]["rejected"]}
    assert "管辖范围" in said["region_out_of_scope"]


# --- 4: the outsider's files ---------------------------------------------------------------


def test_cells_an_outsider_types_are_row_errors_never_a_500(api):
    event_id = _event(api)
    content = _sheet(
        [*HEADER, "报告时间"],
        ["150125101", "", -1, 10, 5, "2026-07-01 08:00"],
        ["150125102", "", 2.5, 10, 5, "2026-07-01 08:00"],
        ["150125101", "", datetime(2026, 7, 1), 10, 5, "2026-07-01 09:00"],
        ["150125102", "", True, "1,2345", "-3", "2026-07-01 09:00"],
    )
    assert _problems(_import(api, event_id, content)) == {
        (2, "C", "deaths", "out_of_range"),
        (3, "C", "deaths", "not_whole_number"),
        (4, "C", "deaths", "not_whole_number"),
        (5, "C", "deaths", "not_whole_number"),
        (5, "D", "affected", "not_whole_number"),
        (5, "E", "loss_total", "not_amount"),
    }


def test_numbers_as_text_with_thousands_separators_are_numbers(api):
    event_id = _event(api)
    content = _sheet(HEADER, ["150125101", "", "1", "12,345", "1,234.50"])
    reply = _import(api, event_id, content)
    assert reply.status_code == 201, reply.text
    assert reply.json()[0]["affected"] == 12345 and reply.json()[0]["loss_total"] == 1234.5


def test_a_merged_header_cell_leaves_no_column_unread(api):
    event_id = _event(api)
    content = _sheet(
        ["乡镇代码", "乡镇名称", "因灾死亡人口", None, "受灾人口"],
        ["150125101", "", 1, 7, 10],
        merge="C1:D1",
    )
    assert _problems(_import(api, event_id, content)) == {(2, "D", None, "no_header")}


def test_a_header_given_twice_is_refused(api):
    event_id = _event(api)
    content = _csv(["乡镇代码", "因灾死亡人口", "deaths"], ["150125101", 1, 2])
    reply = _import(api, event_id, content, name="quick.csv")
    assert _problems(reply) == {(1, "C", "deaths", "duplicate_column")}


def test_a_second_sheet_with_data_is_refused_an_empty_one_is_not(api):
    event_id = _event(api)
    rows = (HEADER, ["150125101", "", 1, 10, 5])
    reply = _import(api, event_id, _sheet(*rows, second=["150125102", "", 9]))
    assert _problems(reply) == {(1, None, None, "extra_sheet")}
    assert reply.json()["detail"]["rejected"][0]["params"] == {"sheet": "第二页"}
    assert _import(api, event_id, _sheet(*rows, second=[])).status_code == 201


def test_a_sheet_of_empty_formatted_rows_stops_at_the_row_limit(api, monkeypatch):
    monkeypatch.setattr(forms, "MAX_QUICK_ROWS", 50)
    event_id = _event(api)
    rows = "".join(f'<row r="{n}" s="1" customFormat="1" ht="15"/>' for n in range(3, 1003))
    content = _hand_made(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>乡镇代码</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>因灾死亡人口</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>150125101</t></is></c>'
        '<c r="B2"><v>1</v></c></row>' + rows
    )
    problems = _problems(_import(api, event_id, content))
    assert {code for *_, code in problems} == {"too_many_rows"}
    assert _reports(api, event_id) == []
    # The same for a CSV of blank lines.
    lines = "乡镇代码,因灾死亡人口\n150125101,1\n" + "\n" * 1000
    reply = _import(api, event_id, lines.encode(), name="quick.csv")
    assert {code for *_, code in _problems(reply)} == {"too_many_rows"}


def test_a_zip_bomb_is_refused_by_the_household_imports_guards(api, monkeypatch):
    monkeypatch.setattr(imports, "MAX_XLSX_UNPACKED", 200_000)
    event_id = _event(api)
    filler = '<row r="3"><c r="A3" t="inlineStr"><is><t>' + "0" * 300_000 + "</t></is></c></row>"
    content = _hand_made(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>乡镇代码</t></is></c></row>' + filler
    )
    assert len(content) < 20_000
    reply = _import(api, event_id, content)
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"


def _hand_made(rows_xml: str) -> bytes:
    """A minimal .xlsx with one sheet written by hand (no styles: s="1" is only an attribute)."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows_xml}</sheetData></worksheet>"
    )
    from tests.subsidies.test_import_bombs import xlsx_from_sheet_xml

    return xlsx_from_sheet_xml(sheet.encode())


def test_a_damaged_xlsx_is_400_not_500(api):
    event_id = _event(api)
    good = _sheet(HEADER, ["150125101", "", 1, 10, 5])
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as z, zipfile.ZipFile(broken, "w") as out:
        for item in z.infolist():
            if item.filename != "xl/workbook.xml":
                out.writestr(item, z.read(item))
    reply = _import(api, event_id, broken.getvalue())
    assert reply.status_code == 400, reply.text


def test_the_downloaded_form_with_a_new_row_files_only_the_new_row(api):
    event_id = _event(api)
    _several(api, event_id)
    content = api.get(f"/events/{event_id}/statistics?table=quick&format=csv").content
    again = _import(api, event_id, content, name="quick.csv")
    assert again.status_code == 201, again.text
    assert again.json() == [] and len(_reports(api, event_id)) == 5  # nothing twice

    text = content.decode("utf-8-sig").rstrip("\r\n").splitlines()
    new = text[-1].split(",")
    new[0], new[-3] = "150125102", "2026-07-01 11:00"
    more = "\n".join([*text, ",".join(new)]).encode()
    reply = _import(api, event_id, more, name="quick.csv")
    assert reply.status_code == 201, reply.text
    assert [(r["region_code"], r["reported_at"]) for r in reply.json()] == [
        ("150125102", "2026-07-01T11:00:00+08:00")
    ]


def test_a_row_at_the_time_of_a_filed_report_with_other_figures_is_refused(api):
    event_id = _event(api)
    _post(api, event_id, "150125101", at=api.now - timedelta(hours=2), deaths=1)
    content = _sheet(
        ["乡镇代码", "报告类型", "报告时间", "因灾死亡人口"],
        ["150125101", "初报", "2026-07-01 10:00", 2],
    )
    reply = _import(api, event_id, content, lang="zh-CN")
    assert _problems(reply) == {(2, "C", "reported_at", "already_filed")}
    assert "已有一份数字不同的报告" in reply.json()["detail"]["rejected"][0]["message"]


def test_a_ten_kilobyte_township_code_is_a_row_error(api):
    event_id = _event(api)
    content = _csv(
        HEADER,
        ["1" * 10_000, "", 1, 1, 1],
        ["150125101\x07", "", 1, 1, 1],
        ["1.50125E+11", "", 1, 1, 1],  # what Excel saves for a 12-digit code it took for a number
    )
    reply = _import(api, event_id, content, name="quick.csv")
    assert _problems(reply) == {
        (2, "A", "region_code", "too_long_or_control"),
        (3, "A", "region_code", "too_long_or_control"),
        (4, "A", "region_code", "stored_as_number"),
    }
    assert len(reply.text) < 5_000  # the code is not echoed back


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("quick.csv", b"\x00\x01\x02,\xff\xfe\xfd\n" * 50),
        ("quick.csv", "乡镇代码,因灾死亡人口\n150125101,1\x00\n".encode()),
        ("quick.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),  # an old .xls
        ("quick.xlsx", b"PK\x03\x04" + b"\x00" * 100),
        ("quick", b""),
        ("quick.csv", "乡镇代码,因灾死亡人口\n150125101,１２\n150125102,²\n".encode()),
    ],
)
def test_junk_is_a_4xx_never_a_500_and_files_nothing(api, name, content):
    event_id = _event(api)
    reply = _import(api, event_id, content, name=name)
    assert reply.status_code in (400, 422), reply.text
    assert _reports(api, event_id) == []


def test_a_file_over_the_upload_limit_is_413_before_it_is_read(api, settings, engine):
    from fastapi.testclient import TestClient

    from relief.app import create_app

    event_id = _event(api)
    content = _csv(HEADER, ["150125101", "", 1, 1, 1]) + b"\n" * (2 * 1024 * 1024)
    app = create_app(settings.model_copy(update={"max_upload_mb": 1}), engine)
    with TestClient(app) as small:
        reply = small.post(
            f"/api/v1/events/{event_id}/statistics/import",
            files={"file": ("quick.csv", content, "text/csv")},
            headers=api.users["duty"],
        )
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"
    assert _reports(api, event_id) == []


def test_a_township_name_that_is_not_the_codes_is_refused_naming_both(api):
    event_id = _event(api)
    content = _sheet(
        HEADER,
        ["150125101", "可可以力更镇", 1, 10, 5],  # the code's own name: fine
        ["150125102", "可可以力更镇", 1, 10, 5],  # a row copied and its code changed
    )

    reply = _import(api, event_id, content, lang="zh-CN")

    assert _problems(reply) == {(3, "B", "region_name", "region_name_mismatch")}
    problem = reply.json()["detail"]["rejected"][0]
    assert problem["params"]["code"] == "150125102" and problem["params"]["name"] == "可可以力更镇"
    assert "不符" in problem["message"] and problem["params"]["expected"] in problem["message"]
    assert _reports(api, event_id) == []


def test_an_import_reads_the_events_reports_once_not_once_per_row(api):
    """Filing n rows used to read every report of the event again for each row (n queries,
    n²/2 rows read); now they are read once and kept up to date as rows are filed."""
    from sqlalchemy import event as sql_event
    from sqlalchemy.engine import Engine

    event_id = _event(api)
    rows = [
        [code, "", 0, 10, 5, f"2026-07-01 {7 + i // 60:02d}:{i % 60:02d}"]
        for i in range(60)
        for code in ["150125101" if i % 2 else "150125102"]
    ]
    reads = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM event_reports" in statement:
            reads.append(statement)

    sql_event.listen(Engine, "before_cursor_execute", count)
    try:
        reply = _import(api, event_id, _sheet([*HEADER, "报告时间"], *rows))
    finally:
        sql_event.remove(Engine, "before_cursor_execute", count)

    assert reply.status_code == 201, reply.text
    assert len(reply.json()) == 60
    assert len(reads) <= 2, len(reads)
