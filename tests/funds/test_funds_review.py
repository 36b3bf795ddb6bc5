"""Review of issue 16's funds: what the summary shows after households are paid."""

from __future__ import annotations

from tests.funds.test_funds_api import allocate, receive
from tests.subsidies.test_cases import approve_case, now, open_case  # noqa: F401


def test_left_takes_off_what_the_regions_programmes_paid_out_and_nothing_below(
    client,
    world,
    rebuild,
    register,
    now,  # noqa: F811
):
    receive(client, world.admin)
    allocate(client, world.admin, "150000", "150100", "30000.00")
    allocate(client, world.admin, "150100", "150102", "5000.00")
    cid = open_case(client, world, register(1)["id"])["id"]  # 呼和浩特市's programme, 25000
    assert approve_case(client, world, now, cid).status_code == 200
    pay = {"amount": "10000.00", "paid_on": "2026-08-08", "reference": "PAY-1"}
    reply = client.post(f"/api/v1/cases/{cid}/payments", json=pay, headers=world.clerk)
    assert reply.status_code == 201, reply.text
    rows = client.get("/api/v1/funds/summary/150100", headers=world.admin).json()["regions"]
    city, county = rows[0], next(r for r in rows if r["region_code"] == "150102")
    assert city["received"] == "30000.00" and city["passed_down"] == "5000.00"
    # The city's programme paid 10,000 out of the city's 25,000: 15,000 is left, none overdue
    # beyond it; the county paid nothing out of its 5,000.
    assert city["left"] == "15000.00"
    assert city["overdue"] == "15000.00"
    assert county["left"] == "5000.00"
    assert county["overdue"] == "5000.00"
    province = client.get("/api/v1/funds/summary/150000", headers=world.admin).json()
    top = province["regions"][0]
    # Payments under the province came out of money it had passed down: not again.
    assert top["left"] == "70000.00" and top["overdue"] == "70000.00"


def test_a_document_dated_after_today_is_refused_naming_the_date(client, world):
    # A 发文日期 in the future would keep the money from ever counting as overdue.
    body = {"region_code": "150000", "source": "central", "amount": "1.00"}
    body |= {"document_no": "内财社〔2026〕88号", "document_date": "2099-01-01", "purpose": "救灾"}
    reply = client.post("/api/v1/funds/receipts", json=body, headers=world.admin)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == "document_date"
    receive(client, world.admin)
    body = {"from_code": "150000", "to_code": "150100", "source": "central", "amount": "1.00"}
    body |= {"document_no": "x", "document_date": "2099-01-01", "purpose": "救灾"}
    reply = client.post("/api/v1/funds/allocations", json=body, headers=world.admin)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "document_date"
    account = client.get("/api/v1/funds/regions/150000", headers=world.admin).json()
    assert account["total"] == 1
