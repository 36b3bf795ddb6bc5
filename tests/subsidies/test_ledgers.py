"""The two ledgers of the statistics rules: the deaths and missing ledger (因灾死亡失踪人口台账:
entries, scope, masked and encrypted ID numbers, audited corrections, the report flag) and
the damaged-housing ledger (倒损住房户台账: the household fields it needs), and both as
.xlsx, .csv and JSON from `/events/{id}/statistics`."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.subsidies.conftest import id_number

COUNTS = (
    "deaths",
    "missing",
    "relocated",
    "needing_aid",
    "collapsed_households",
    "collapsed_rooms",
    "severe_households",
    "severe_rooms",
    "general_households",
    "general_rooms",
)


@pytest.fixture
def enter(client, world):
    """POST a ledger entry as `who` (default the clerk); returns the reply."""

    def _enter(who: str = "clerk", **overrides: Any):
        body = {
            "region_code": "150102001",
            "name": "张三",
            "sex": "male",
            "id_number": id_number(7),
            "status": "dead",
            "occurred_on": "2026-07-20",
            "cause": "山洪冲毁房屋",
            **overrides,
        }
        return client.post(
            f"/api/v1/events/{world.event_id}/casualties",
            json=body,
            headers=getattr(world, who),
        )

    return _enter


def _report(client, world, region: str, deaths: int, missing: int, at: str) -> None:
    body = {name: 0 for name in COUNTS}
    body.update(region_code=region, kind="initial", reported_at=at, deaths=deaths, missing=missing)
    reply = client.post(f"/api/v1/events/{world.event_id}/reports", json=body, headers=world.duty)
    assert reply.status_code == 201, reply.text


def test_an_entry_keeps_the_id_number_masked_encrypted_and_hashed(engine, client, world, enter):
    reply = enter()
    assert reply.status_code == 201, reply.text
    entry = reply.json()
    number = id_number(7)
    assert entry["id_number"] == number[:6] + "********" + number[-4:]
    assert entry["age"] == 46  # from the birth date in the number (1980-01-01) on the date
    assert entry["region_name"] == "海拉尔东路街道"
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM casualties")).mappings().one()
        audit = " ".join(str(a) for a in conn.execute(text("SELECT after FROM audit_records")))
    stored = " ".join(str(v) for v in row.values())
    assert number not in stored and number[6:14] not in stored
    assert number not in audit
    listed = client.get(f"/api/v1/events/{world.event_id}/casualties", headers=world.duty).json()
    assert [e["id_number"] for e in listed] == [entry["id_number"]]
    # The audited read: clear for county staff in scope, masked for the duty officer.
    url = f"/api/v1/events/{world.event_id}/casualties/{entry['id']}"
    assert client.get(url, headers=world.clerk).json()["id_number"] == number
    assert client.get(url, headers=world.duty).json()["id_number"] == entry["id_number"]
    with engine.connect() as conn:
        reads = conn.execute(
            text("SELECT count(*) FROM audit_records WHERE action = 'read_id_number'")
        ).scalar()
    assert reads == 1


def test_bad_entries_are_refused_naming_the_field(client, world, enter):
    bad = enter(id_number="150102198001010010")  # wrong check digit
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "id_number"
    assert enter(region_code="150102").json()["detail"]["field"] == "region_code"  # a county
    assert enter(occurred_on="2099-01-01").json()["detail"]["field"] == "occurred_on"
    assert enter(sex="x").status_code == 422
    assert enter().status_code == 201
    duplicate = enter(name="张三二")
    assert duplicate.status_code == 409 and duplicate.json()["detail"]["field"] == "id_number"
    # An unidentified person has no number yet: accepted.
    assert enter(id_number=None, name="无名氏", status="missing").status_code == 201


def test_scope_county_staff_in_their_county_duty_officer_everywhere(client, world, enter):
    outside = enter(who="other_clerk")
    assert outside.status_code == 403
    assert enter(who="approver").status_code == 403  # not a role that keeps the ledger
    assert enter(who="duty", region_code="150103001", id_number=id_number(8)).status_code == 201
    assert enter().status_code == 201
    url = f"/api/v1/events/{world.event_id}/casualties"
    assert len(client.get(url, headers=world.clerk).json()) == 1
    assert len(client.get(url, headers=world.other_clerk).json()) == 1
    assert len(client.get(url, headers=world.duty).json()) == 2


def test_corrections_and_deletions_need_a_reason_and_are_audited(engine, client, world, enter):
    entry = enter().json()
    url = f"/api/v1/events/{world.event_id}/casualties/{entry['id']}"
    assert client.patch(url, json={"status": "missing"}, headers=world.clerk).status_code == 422
    reply = client.patch(
        url, json={"status": "missing", "reason": "尸体未找到"}, headers=world.clerk
    )
    assert reply.status_code == 200 and reply.json()["status"] == "missing"
    assert client.patch(url, json={"reason": "x"}, headers=world.other_clerk).status_code == 403
    assert client.delete(url, headers=world.clerk).status_code == 422
    assert client.delete(url, params={"reason": "重复录入"}, headers=world.clerk).status_code == 204
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action, after FROM audit_records WHERE entity = 'casualty' ORDER BY id")
        ).all()
    assert [r[0] for r in rows] == ["create", "update", "delete"]
    after = [r[1] if isinstance(r[1], dict) else json.loads(r[1]) for r in rows]
    assert after[1]["reason"] == "尸体未找到" and after[2]["reason"] == "重复录入"
    assert client.get(url, headers=world.clerk).status_code == 404


def test_reports_that_differ_from_the_ledger_are_flagged_not_refused(client, world, enter):
    _report(client, world, "150102001", 2, 1, "2026-07-20T12:00:00+08:00")
    _report(client, world, "150103", 0, 0, "2026-07-20T12:00:00+08:00")
    assert enter().status_code == 201
    url = f"/api/v1/events/{world.event_id}/assessment"
    flagged = client.get(url, headers=world.duty).json()["ledger_differences"]
    assert flagged == [
        {
            "region_code": "150102",
            "region_name": "新城区",
            "reported_deaths": 2,
            "ledger_deaths": 1,
            "reported_missing": 1,
            "ledger_missing": 0,
        }
    ]
    assert enter(name="李四", id_number=id_number(9)).status_code == 201
    assert enter(name="王五", id_number=None, status="missing").status_code == 201
    assert client.get(url, headers=world.duty).json()["ledger_differences"] == []


def test_households_take_the_ledger_fields_all_optional(client, world, register):
    plain = register(1)
    assert plain["structure"] is None and plain["address"] is None
    full = register(
        2,
        address="海拉尔东路街道幸福村3组12号",
        structure="earth_wood",
        collapsed_rooms=2,
        severe_rooms=1,
        general_rooms=0,
    )
    assert full["structure"] == "earth_wood" and full["collapsed_rooms"] == 2
    bad = client.post(
        "/api/v1/households",
        json={**_household(world, 3), "structure": "stone"},
        headers=world.clerk,
    )
    assert bad.status_code == 422 and "structure" in bad.text
    patched = client.patch(
        f"/api/v1/households/{plain['id']}",
        json={"reason": "补登台账", "structure": "brick_wood", "severe_rooms": 3},
        headers=world.clerk,
    ).json()
    assert patched["structure"] == "brick_wood" and patched["severe_rooms"] == 3
    cleared = client.patch(
        f"/api/v1/households/{plain['id']}",
        json={"reason": "更正", "structure": None},
        headers=world.clerk,
    ).json()
    assert cleared["structure"] is None and cleared["severe_rooms"] == 3


def _household(world, seq: int) -> dict[str, Any]:
    return {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": f"户主{seq}",
        "id_number": id_number(seq),
        "size": 3,
        "damage": "collapsed",
    }


def test_the_ledgers_as_xlsx_csv_and_json(client, world, enter, register):
    assert enter(cause="=HYPERLINK(1)").status_code == 201
    register(1, address="幸福村3组", structure="brick_wood", collapsed_rooms=3)
    register(2, damage="none", rooms=0)  # not damaged: not in the ledger
    url = f"/api/v1/events/{world.event_id}/statistics"

    deaths = client.get(url, params={"table": "deaths"}, headers=world.clerk).json()
    assert deaths["title"].endswith("因灾死亡失踪人口台账")
    assert deaths["rows"][0]["status"] == "死亡" and deaths["rows"][0]["sex"] == "男"

    reply = client.get(url, params={"table": "deaths", "format": "xlsx"}, headers=world.clerk)
    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(reply.content)).active
    assert "因灾死亡失踪人口台账" in sheet["A1"].value
    assert sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]][:5] == ["序号", "姓名", "性别", "年龄", "身份证号码"]
    id_cell = sheet["E3"]
    assert id_cell.data_type == "s" and id_cell.value.endswith(id_number(7)[-4:])
    # A string cell, never a live formula, shown as typed (no apostrophe).
    assert (sheet["J3"].value, sheet["J3"].data_type) == ("=HYPERLINK(1)", "s")

    houses = client.get(
        url, params={"table": "houses", "format": "csv"}, headers=world.clerk
    ).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(houses)))
    assert rows[0][:3] == ["序号", "户编号", "户主姓名"]
    assert len(rows) == 2
    assert rows[1][rows[0].index("房屋结构")] == "砖木"
    assert rows[1][rows[0].index("住址")] == "幸福村3组"
    assert rows[1][rows[0].index("倒塌间数")] == "3"

    # Another county's staff see none of these rows.
    other = client.get(url, params={"table": "houses"}, headers=world.other_clerk).json()
    assert other["rows"] == []

    unknown = client.get(url, params={"table": "crops"}, headers=world.clerk)
    assert unknown.status_code == 422 and unknown.json()["detail"]["field"] == "table"
    assert (
        client.get(
            url, params={"table": "deaths", "format": "pdf"}, headers=world.clerk
        ).status_code
        == 422
    )


def test_the_household_form_as_html_and_pdf(client, world, register):
    from pypdf import PdfReader

    household = register(
        1, address="幸福村3组12号", structure="earth_wood", collapsed_rooms=3, severe_rooms=1
    )
    # The page takes the UI's cookie (the token the API's header carries).
    client.cookies.set("relief_token", world.clerk["Authorization"].removeprefix("Bearer "))
    html = client.get(f"/subsidies/households/{household['id']}/form")
    client.cookies.clear()
    assert html.status_code == 200
    assert "倒损住房户一户一表" in html.text and "幸福村3组12号" in html.text
    assert "土木" in html.text and household["id_number"] in html.text
    assert id_number(1) not in html.text  # masked on paper too

    reply = client.get(f"/api/v1/households/{household['id']}/form.pdf", headers=world.clerk)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pdf"
    text_ = "".join(page.extract_text() for page in PdfReader(io.BytesIO(reply.content)).pages)
    for words in ("倒损住房户一户一表", "户主1", "幸福村3组12号", "土木", "倒塌", "户主签字"):
        assert words in text_, words
    assert id_number(1) not in text_
    other = client.get(f"/api/v1/households/{household['id']}/form.pdf", headers=world.other_clerk)
    assert other.status_code == 403


def test_the_bundled_font_has_every_character_the_household_form_prints():
    from pathlib import Path

    from reportlab.pdfbase import pdfmetrics

    from relief.dispatch.pdf import FONT
    from relief.subsidies import household_form
    from relief.subsidies.models import CATEGORY_ZH, DAMAGE_ZH, STRUCTURE_ZH

    glyphs = pdfmetrics.getFont(FONT).face.charToGlyph
    source = Path(household_form.__file__).read_text(encoding="utf-8")
    words = "".join(c for c in source if ord(c) > 0x2000)  # the form's fixed Chinese words
    words += "".join([*CATEGORY_ZH.values(), *DAMAGE_ZH.values(), *STRUCTURE_ZH.values()])
    missing = sorted({c for c in words if ord(c) not in glyphs})
    assert missing == []


def test_the_import_takes_the_ledger_columns_and_old_files_still_import(client, world):
    def send(content: str):
        return client.post(
            "/api/v1/households/import",
            data={"event_id": str(world.event_id)},
            files={"file": ("h.csv", ("\ufeff" + content).encode(), "text/csv")},
            headers=world.clerk,
        )

    old = f"户主姓名,身份证号码,家庭人口,行政区划代码,房屋损坏程度\n甲,{id_number(1)},3,150102001,倒塌\n"
    assert send(old).status_code == 201
    header = "户主姓名,身份证号码,家庭人口,行政区划代码,房屋损坏程度,住址,房屋结构,倒塌间数,严重损坏间数,一般损坏间数\n"
    bad = send(header + f"乙,{id_number(2)},3,150102001,倒塌,一村,石木,2,x,\n")
    assert bad.status_code == 422
    problems = {(p["field"], p["code"]) for p in bad.json()["detail"]["rejected"]}
    assert problems == {("structure", "unknown_structure"), ("severe_rooms", "not_whole_number")}
    assert send(header + f"乙,{id_number(2)},3,150102001,倒塌,一村,砖混,2,1,\n").status_code == 201
    listed = client.get("/api/v1/households", headers=world.clerk).json()["items"]
    second = next(h for h in listed if h["head_name"] == "乙")
    assert (second["address"], second["structure"], second["collapsed_rooms"]) == (
        "一村",
        "brick_concrete",
        2,
    )
    assert second["severe_rooms"] == 1 and second["general_rooms"] is None


def test_the_household_form_names_the_programme_of_each_case(client, world, rebuild, register):
    """Issue 13 review #7: 补助项目 is the programme's name, not its code."""
    household = register(1)
    case = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": rebuild["code"]},
        headers=world.clerk,
    )
    assert case.status_code == 201, case.text
    client.cookies.set("relief_token", world.clerk["Authorization"].removeprefix("Bearer "))
    html = client.get(f"/subsidies/households/{household['id']}/form").text
    client.cookies.clear()
    assert rebuild["name"] in html
    assert f">{rebuild['code']}<" not in html
