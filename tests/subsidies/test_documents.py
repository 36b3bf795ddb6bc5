"""The .xlsx exports are documents (issue 13): a title row, the header frozen under it,
column widths set, dates as date cells, ID and account numbers as text cells, amounts as
numbers; the public notice has a sheet per village with the notice period and the
programme's 监督电话. The CSV files for other systems keep their columns."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from relief import clock
from tests.subsidies.conftest import REBUILD

PHONE = "0471-6901234"


def _through_notice(client, world, register, villages):
    """One household per village, each case published on 1 August (notice 7 days), then
    reviewed and approved; returns the case ids."""
    headers = {"clerk": world.clerk, "approver": world.approver, "admin": world.admin}
    at = [datetime(2026, 8, 1, 1, 0, tzinfo=UTC)]
    clock.set_clock(lambda: at[0])
    body = {**REBUILD, "supervision_phone": PHONE}
    reply = client.post("/api/v1/programmes", json=body, headers=headers["admin"])
    assert reply.status_code == 201, reply.text
    assert reply.json()["supervision_phone"] == PHONE
    cases = []
    for seq, village in enumerate(villages, start=1):
        household = register(seq, region_code=village, bank_account=f"62170000{seq:011d}")
        case = client.post(
            "/api/v1/cases",
            json={"household_id": household["id"], "programme_code": "HHHT-REBUILD"},
            headers=headers["clerk"],
        ).json()
        cases.append(case["id"])
    for action, who in (("village_review", "clerk"), ("publish", "clerk")):
        for case_id in cases:
            reply = client.post(
                f"/api/v1/cases/{case_id}/transitions",
                json={"action": action, "note": ""},
                headers=headers[who],
            )
            assert reply.status_code == 200, reply.text
    return cases, at, headers


def _header_row(sheet) -> int:
    return next(row[0].row for row in sheet.iter_rows() if row[0].value == "序号")


def test_payment_list_xlsx_has_a_title_frozen_header_widths_dates_and_accounts_as_text(
    client, world, register
):
    cases, at, headers = _through_notice(client, world, register, ["150102001"])
    at[0] += timedelta(days=7, seconds=1)
    for action, who in (("township_review", "clerk"), ("approve", "approver")):
        client.post(
            f"/api/v1/cases/{cases[0]}/transitions",
            json={"action": action, "note": ""},
            headers=headers[who],
        )
    reply = client.post(
        f"/api/v1/cases/{cases[0]}/payments",
        json={"amount": "25000.00", "paid_on": "2026-08-08", "reference": "0012345"},
        headers=headers["approver"],
    )
    assert reply.status_code == 201, reply.text

    url = "/api/v1/programmes/HHHT-REBUILD/payments?format="
    sheet = load_workbook(io.BytesIO(client.get(url + "xlsx", headers=headers["approver"]).content)).active  # fmt: skip
    assert sheet["A1"].value == f"{REBUILD['name']} 救助资金发放名单"
    header = _header_row(sheet)
    assert header == 2 and sheet.freeze_panes == "A3"
    assert all(sheet.column_dimensions[c].width >= 10 for c in "BCDEFG")
    # The 19-digit account: the exact text in a text cell, never 6.217E+18.
    account = sheet.cell(row=3, column=4)
    assert (account.value, account.data_type, account.number_format) == (
        "6217000000000000001",
        "s",
        "@",
    )
    masked = sheet.cell(row=3, column=3)
    assert masked.data_type == "s" and masked.number_format == "@"
    paid_on = sheet.cell(row=3, column=7)
    assert paid_on.is_date and paid_on.value == datetime(2026, 8, 8)
    amount = sheet.cell(row=3, column=6)
    assert amount.value == 25000 and amount.data_type == "n" and "0.00" in amount.number_format
    reference = sheet.cell(row=3, column=8)
    assert (reference.value, reference.data_type) == ("0012345", "s")
    # The CSV for the bank's system keeps its columns and ISO dates.
    text = client.get(url + "csv", headers=headers["approver"]).content.decode("utf-8-sig")
    first, second = text.splitlines()[:2]
    assert first.startswith("序号,户主姓名,身份证号码,一卡通账号")
    assert ",6217000000000000001,150102001,25000.00,2026-08-08,0012345," in second


def test_public_notice_xlsx_has_a_sheet_per_village_with_the_period_and_the_phone(
    client, world, register
):
    _through_notice(client, world, register, ["150102001", "150102002", "150102001"])
    url = "/api/v1/public-notice?programme=HHHT-REBUILD&format="
    book = load_workbook(io.BytesIO(client.get(url + "xlsx", headers=world.clerk).content))
    assert book.sheetnames == ["海拉尔东路街道", "锡林路街道"]
    for sheet, households in ((book["海拉尔东路街道"], 2), (book["锡林路街道"], 1)):
        lines = [row[0] for row in sheet.iter_rows(values_only=True)]
        assert lines[0] == f"{REBUILD['name']} 公示名单"
        # Registered at township level: labelled 乡镇（街道）, not 村 (issue 13 review #23).
        assert any(line and sheet.title in line and "乡镇（街道）" in line for line in lines)
        assert not any(line and "村（社区）" in str(line) for line in lines)
        # Published 1 August 09:00 CST, notice 7 days: ends 8 August.
        assert "公示期：2026年8月1日至2026年8月8日" in lines
        assert lines[-1] == f"监督电话：{PHONE}"
        header = _header_row(sheet)
        assert sheet.freeze_panes == f"A{header + 1}"
        body = [r for r in sheet.iter_rows(min_row=header + 1) if isinstance(r[0].value, int)]
        assert len(body) == households
        # No 状态 column on the posted notice (#23): 公示截止 is the 11th column.
        assert "状态" not in [c.value for c in sheet[header]]
        ends = body[0][10]
        assert ends.is_date and ends.value == datetime(2026, 8, 8, 9, 0)
        assert body[0][2].data_type == "s"  # the masked ID number
    # The CSV for other systems: one list, the same columns as before.
    text = client.get(url + "csv", headers=world.clerk).content.decode("utf-8-sig").splitlines()
    assert len(text) == 4 and text[1].endswith(",公示中,2026-08-08 09:00")


def test_programme_without_a_phone_says_so_on_the_notice(client, world):
    reply = client.post("/api/v1/programmes", json=REBUILD, headers=world.admin)
    assert reply.status_code == 201 and reply.json()["supervision_phone"] is None
    url = "/api/v1/public-notice?programme=HHHT-REBUILD&format=xlsx"
    sheet = load_workbook(io.BytesIO(client.get(url, headers=world.clerk).content)).active
    lines = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert lines[-1] == "监督电话：（未设置）"


def test_a_supervision_phone_that_is_not_a_phone_number_is_a_422_and_creates_nothing(client, world):
    for phone in ("call me", "=1+1", "1" * 40, ""):
        body = {**REBUILD, "supervision_phone": phone}
        reply = client.post("/api/v1/programmes", json=body, headers=world.admin)
        assert reply.status_code == 422, (phone, reply.text)
    summary = client.get("/api/v1/programmes/HHHT-REBUILD/summary", headers=world.admin)
    assert summary.status_code == 404
