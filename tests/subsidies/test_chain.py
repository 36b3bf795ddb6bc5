"""The whole chain a county runs: import households → cases → village review → publish →
the notice window closes (injectable clock) → township review → approve → two tranches →
summary, public notice and bank list."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from relief import clock
from tests.subsidies.conftest import id_number
from tests.subsidies.test_imports import ZH, as_csv, upload


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_import_to_payment_and_exports(client, world, rebuild):
    headers = {"clerk": world.clerk, "approver": world.approver}  # log in before the clock moves
    at = [datetime(2026, 8, 1, 1, 0, tzinfo=UTC)]
    clock.set_clock(lambda: at[0])

    rows = [
        ZH,
        ["张三", id_number(1), 4, "150102001", "倒塌", 3, "一般户", "", "6228480000000000011"],
        ["李四", id_number(2), 2, "150102002", "倒塌", 2, "低保户", "", "6228480000000000022"],
        ["王五", id_number(3), 3, "150102001", "一般损坏", 2, "一般户", "", "6228480000000000033"],
    ]
    assert upload(client, world, as_csv(rows), "village.csv").json()["created"] == 3
    waiting = client.get(
        f"/api/v1/households?event_id={world.event_id}&without_case=HHHT-REBUILD",
        headers=headers["clerk"],
    ).json()
    assert waiting["total"] == 3

    cases = []
    for household in waiting["items"]:
        reply = client.post(
            "/api/v1/cases",
            json={"household_id": household["id"], "programme_code": "HHHT-REBUILD"},
            headers=headers["clerk"],
        )
        assert reply.status_code == 201
        cases.append(reply.json())
    assert [c["amount"] for c in cases] == ["25000.00", "35000.00", "4000.00"]
    assert (
        client.get("/api/v1/households?without_case=HHHT-REBUILD", headers=headers["clerk"]).json()[
            "total"
        ]
        == 0
    )

    def act(case_id, action, who="clerk", **extra):
        reply = client.post(
            f"/api/v1/cases/{case_id}/transitions",
            json={"action": action, "note": "", **extra},
            headers=headers[who],
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    for case in cases:
        act(case["id"], "village_review")
        act(case["id"], "publish")
    notice = client.get(
        "/api/v1/public-notice?programme=HHHT-REBUILD&format=csv", headers=headers["clerk"]
    )
    assert notice.status_code == 200
    table = _csv(notice.content)
    assert table[0][:4] == ["序号", "户主姓名", "身份证号码", "行政区划代码"]
    assert [r[1] for r in table[1:]] == ["张三", "李四", "王五"]
    assert [r[2] for r in table[1:]] == [
        id_number(i)[:6] + "********" + id_number(i)[-4:] for i in (1, 2, 3)
    ]
    assert [r[9] for r in table[1:]] == ["25000.00", "35000.00", "4000.00"]
    for i in (1, 2, 3):
        assert id_number(i) not in notice.content.decode("utf-8-sig")

    at[0] += timedelta(days=7)  # the public notice closes
    for case in cases:
        act(case["id"], "township_review")
        assert act(case["id"], "approve", who="approver")["status"] == "approved"

    first = cases[0]["id"]
    for amount, reference in (("15000.00", "BANK-001"), ("10000.00", "BANK-002")):
        reply = client.post(
            f"/api/v1/cases/{first}/payments",
            json={"amount": amount, "paid_on": "2026-08-08", "reference": reference},
            headers=headers["approver"],
        )
        assert reply.status_code == 201, reply.text
    client.post(
        f"/api/v1/cases/{cases[2]['id']}/payments",
        json={"amount": "4000", "paid_on": "2026-08-08", "reference": "BANK-003"},
        headers=headers["clerk"],
    )

    summary = client.get("/api/v1/programmes/HHHT-REBUILD/summary", headers=headers["clerk"]).json()
    assert summary == {
        "budget": "100000.00",
        "committed": "0.00",
        "approved": "64000.00",
        "paid": "29000.00",
        "remaining": "36000.00",
        "cases_by_status": {
            "registered": 0,
            "village_reviewed": 0,
            "published": 0,
            "township_reviewed": 0,
            "approved": 3,
            "rejected": 0,
        },
        "region_codes": ["150102"],
    }

    bank = client.get(
        "/api/v1/programmes/HHHT-REBUILD/payments?format=xlsx", headers=headers["approver"]
    )
    assert bank.status_code == 200
    sheet = load_workbook(io.BytesIO(bank.content)).active
    # Under the title row "<programme> 救助资金发放名单" (relief/sheets.py).
    lines = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert lines[0][:6] == [
        "序号",
        "户主姓名",
        "身份证号码",
        "一卡通账号",
        "行政区划代码",
        "金额（元）",
    ]
    assert [(r[1], r[3], float(r[5]), r[7]) for r in lines[1:]] == [
        ("张三", "6228480000000000011", 15000.0, "BANK-001"),
        ("张三", "6228480000000000011", 10000.0, "BANK-002"),
        ("王五", "6228480000000000033", 4000.0, "BANK-003"),
    ]
    assert all("********" in r[2] for r in lines[1:])
    bank_csv = client.get(
        "/api/v1/programmes/HHHT-REBUILD/payments?format=csv", headers=headers["approver"]
    )
    assert [r[5] for r in _csv(bank_csv.content)[1:]] == ["15000.00", "10000.00", "4000.00"]
    # The one export with accounts in clear: each one leaves an audit record.
    exports = client.get(
        "/api/v1/audit?entity=programme&entity_id=HHHT-REBUILD", headers=world.admin
    ).json()["items"]
    assert [e["action"] for e in exports].count("export_payment_list") == 2
    assert "6228480000000000011" not in str(exports)

    # Scoped: the other county's clerk sees an empty notice and cannot read the cases.
    other = client.get(
        "/api/v1/public-notice?programme=HHHT-REBUILD&format=csv", headers=world.other_clerk
    )
    assert len(_csv(other.content)) == 1
    assert (
        client.get("/api/v1/public-notice?programme=NOPE", headers=headers["clerk"]).status_code
        == 422
    )
