"""Races on a real server: parallel payments never overpay a case, and a payment is reversed
at most once (row locks on PostgreSQL, serialised writes on SQLite)."""

from __future__ import annotations

import httpx

from relief import clock
from tests.subsidies.conftest import id_number


def approved_case(client, world) -> int:
    programme = {
        "code": "RACE",
        "name": "并发",
        "kind": "rebuild",
        "region_code": "150100",
        "budget": "1000000",
        "notice_days": 0,  # no window to wait out: the real clock runs in this test
        "standards": [
            {"effective_from": "2025-01-01", "damage": "collapsed", "per_household": "25000"}
        ],
    }
    assert client.post("/api/v1/programmes", json=programme, headers=world.admin).status_code == 201
    body = {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": "张三",
        "id_number": id_number(1),
        "size": 3,
        "damage": "collapsed",
    }
    household = client.post("/api/v1/households", json=body, headers=world.clerk).json()
    case = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": "RACE"},
        headers=world.clerk,
    ).json()
    for action, who in (
        ("village_review", world.clerk),
        ("publish", world.clerk),
        ("township_review", world.clerk),
        ("approve", world.approver),
    ):
        reply = client.post(
            f"/api/v1/cases/{case['id']}/transitions", json={"action": action}, headers=who
        )
        assert reply.status_code == 200, reply.text
    return case["id"]


def _today() -> str:
    # A payment is dated no earlier than its case's approval (issue 13 review #13): today.
    return clock.to_cst(clock.now()).date().isoformat()


def test_parallel_payments_never_pay_more_than_approved(
    client, world, live_server, parallel, monkeypatch
):
    """Each payment pauses after it has read (and, with the lock, holds) the case row, as
    the reserve fund's race test does: without the row lock every payment sums the paid
    amount before any other has written, and all six go through; with it they queue.
    (On SQLite writers queue anyway; on PostgreSQL, RELIEF_TEST_DATABASE_URL, this fails
    without the lock.)"""
    import time

    from relief.subsidies import service

    case_id = approved_case(client, world)
    url = f"{live_server}/api/v1/cases/{case_id}/payments"
    locked = service._locked_case

    def slow_lock(session, case_id):
        case = locked(session, case_id)
        time.sleep(0.2)  # widens the window between reading what was paid and paying
        return case

    monkeypatch.setattr(service, "_locked_case", slow_lock)

    def pay(i: int):
        def call() -> int:
            body = {"amount": "10000.00", "paid_on": _today(), "reference": f"P{i}"}
            who = world.clerk if i % 2 else world.approver
            return httpx.post(url, json=body, headers=who, timeout=60).status_code

        return call

    statuses = parallel([pay(i) for i in range(6)])
    assert sorted(statuses) == [201, 201, 409, 409, 409, 409]
    detail = client.get(f"/api/v1/cases/{case_id}", headers=world.clerk).json()
    assert detail["paid"] == "20000.00"
    assert len(detail["payments"]) == 2


def test_a_payment_is_reversed_once_even_when_two_approvers_race(
    client, world, live_server, parallel, make_user, login
):
    case_id = approved_case(client, world)
    make_user("approver2", "approver", regions=["150100"])
    second = login("approver2")
    payment = client.post(
        f"/api/v1/cases/{case_id}/payments",
        json={"amount": "5000", "paid_on": _today(), "reference": "P1"},
        headers=world.clerk,
    ).json()
    url = f"{live_server}/api/v1/payments/{payment['id']}/reversal"

    def reverse(headers):
        return lambda: httpx.post(url, json={"reason": "退回"}, headers=headers, timeout=60)

    replies = parallel([reverse(world.approver), reverse(second), reverse(world.approver)])
    assert sorted(r.status_code for r in replies) == [201, 409, 409]
    detail = client.get(f"/api/v1/cases/{case_id}", headers=world.clerk).json()
    assert [p["amount"] for p in detail["payments"]] == ["5000.00", "-5000.00"]
    assert detail["paid"] == "0.00"


def test_eight_parallel_registrations_of_one_id_number_create_one_household(
    client, world, live_server, parallel
):
    body = {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": "李四",
        "id_number": id_number(2),
        "size": 3,
        "damage": "collapsed",
    }
    url = f"{live_server}/api/v1/households"
    clerk = world.clerk  # the user is created on first use: before the threads start

    def register():
        return httpx.post(url, json=body, headers=clerk, timeout=60)

    replies = parallel([register] * 8)
    assert sorted(r.status_code for r in replies) == [201] + [409] * 7, [r.text for r in replies]
    assert {r.json()["detail"]["code"] for r in replies if r.status_code == 409} == {
        "duplicate_registration"
    }
    listing = client.get(
        "/api/v1/households", params={"event_id": world.event_id}, headers=world.clerk
    ).json()
    assert listing["total"] == 1


def test_eight_parallel_cases_for_one_household_create_one_case(
    client, world, live_server, parallel
):
    programme = {
        "code": "RACE2",
        "name": "并发",
        "kind": "rebuild",
        "region_code": "150100",
        "budget": "1000000",
        "standards": [
            {"effective_from": "2025-01-01", "damage": "collapsed", "per_household": "25000"}
        ],
    }
    assert client.post("/api/v1/programmes", json=programme, headers=world.admin).status_code == 201
    household = client.post(
        "/api/v1/households",
        json={
            "event_id": world.event_id,
            "region_code": "150102001",
            "head_name": "王五",
            "id_number": id_number(3),
            "size": 2,
            "damage": "collapsed",
        },
        headers=world.clerk,
    ).json()
    url = f"{live_server}/api/v1/cases"
    body = {"household_id": household["id"], "programme_code": "RACE2"}

    def open_case():
        return httpx.post(url, json=body, headers=world.clerk, timeout=60)

    replies = parallel([open_case] * 8)
    assert sorted(r.status_code for r in replies) == [201] + [409] * 7, [r.text for r in replies]
    cases = client.get("/api/v1/cases", params={"programme": "RACE2"}, headers=world.clerk).json()
    assert cases["total"] == 1
