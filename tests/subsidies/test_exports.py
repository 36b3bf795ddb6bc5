"""Spreadsheets that leave the system never carry a live formula: a text cell that a
spreadsheet would read as a formula (= + - @, tab, CR) gets a leading apostrophe, in xlsx
and csv alike, while numbers, amounts and dates stay what they are."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from relief import clock
from relief.exports import safe_cell

LINK = '=HYPERLINK("http://evil.example/x","点我领取")'


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("张三", "张三"),
        ("150102********0011", "150102********0011"),
        ("", ""),
        (-25000, -25000),
        (Decimal("-25000.00"), Decimal("-25000.00")),
        (date(2026, 8, 20), date(2026, 8, 20)),
        (None, None),
    ],
)
def test_only_text_that_a_spreadsheet_would_run_gets_an_apostrophe(value, shown):
    assert safe_cell(value) == shown


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def _header_row(sheet) -> int:
    """The row of the column headers, under the document's title lines."""
    return next(row[0].row for row in sheet.iter_rows() if row[0].value == "序号")


def test_a_formula_in_a_head_name_or_reference_comes_out_as_text_in_every_export(
    client, world, rebuild, register
):
    headers = {"clerk": world.clerk, "approver": world.approver}  # log in before the clock moves
    at = [datetime(2026, 8, 1, 1, 0, tzinfo=UTC)]
    clock.set_clock(lambda: at[0])
    household = register(1, head_name=LINK)
    case = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": "HHHT-REBUILD"},
        headers=headers["clerk"],
    ).json()

    def act(action, who="clerk"):
        reply = client.post(
            f"/api/v1/cases/{case['id']}/transitions",
            json={"action": action, "note": ""},
            headers=headers[who],
        )
        assert reply.status_code == 200, reply.text

    act("village_review")
    act("publish")
    at[0] += timedelta(days=7, seconds=1)
    act("township_review")
    act("approve", who="approver")
    payment = client.post(
        f"/api/v1/cases/{case['id']}/payments",
        json={"amount": "25000.00", "paid_on": "2026-08-08", "reference": "@SUM(1+1)*cmd"},
        headers=headers["approver"],
    ).json()
    reply = client.post(
        f"/api/v1/payments/{payment['id']}/reversal",
        json={"reason": "=1+1"},
        headers=headers["approver"],
    )
    assert reply.status_code == 201, reply.text

    notice_url = "/api/v1/public-notice?programme=HHHT-REBUILD&format="
    bank_url = "/api/v1/programmes/HHHT-REBUILD/payments?format="

    notice = _xlsx(client.get(notice_url + "xlsx", headers=headers["clerk"]).content)
    first = _header_row(notice) + 1  # title lines above the header (relief/sheets.py)
    name = notice.cell(row=first, column=2)
    # A string cell shows the text as typed, no apostrophe, and is never evaluated.
    assert (name.value, name.data_type) == (LINK, "s")
    assert notice.cell(row=first, column=10).value == 25000  # the amount stays a number
    assert _csv(client.get(notice_url + "csv", headers=headers["clerk"]).content)[1][1] == (
        "'" + LINK
    )

    bank = _xlsx(client.get(bank_url + "xlsx", headers=headers["approver"]).content)
    rows = [[c.value for c in row] for row in bank.iter_rows(min_row=_header_row(bank) + 1)]
    assert [r[1] for r in rows] == [LINK] * 2
    assert [r[7] for r in rows] == ["@SUM(1+1)*cmd"] * 2
    assert [r[5] for r in rows] == [25000, -25000]  # a reversal stays a negative number
    assert all(c.data_type != "f" for row in bank.iter_rows() for c in row)
    table = _csv(client.get(bank_url + "csv", headers=headers["approver"]).content)
    assert [(r[1], r[5], r[6], r[7]) for r in table[1:]] == [
        ("'" + LINK, "25000.00", "2026-08-08", "'@SUM(1+1)*cmd"),
        ("'" + LINK, "-25000.00", "2026-08-08", "'@SUM(1+1)*cmd"),
    ]
