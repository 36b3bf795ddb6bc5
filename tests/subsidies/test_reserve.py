"""The township reserve fund (备用金, issue 15): top-ups from the county, payments out to a
household of the township, reversals; the balance never below zero, scopes, `relief check`."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from relief.cli import app as cli_app
from relief.config import get_settings
from tests.subsidies.conftest import id_number

FUND = "/api/v1/townships/150102001/reserve"


def top_up(client, who, amount="8100.00", code="150102001"):
    return client.post(
        f"/api/v1/townships/{code}/reserve/top-ups",
        json={"amount": amount, "document_no": "新民发〔2026〕12号", "note": "首拨"},
        headers=who,
    )


def pay(client, who, household_id, amount="500.00", code="150102001"):
    return client.post(
        f"/api/v1/townships/{code}/reserve/payments",
        json={"amount": amount, "household_id": household_id, "reason": "先行救助"},
        headers=who,
    )


def test_top_up_pay_and_reverse_keep_a_ledger_and_a_balance(client, world, register):
    household = register(1)
    entry = top_up(client, world.clerk)
    assert entry.status_code == 201, entry.text
    assert entry.json()["amount"] == "8100.00"
    paid = pay(client, world.township, household["id"], "1500.50")
    assert paid.status_code == 201, paid.text
    assert paid.json()["amount"] == "-1500.50"
    assert paid.json()["household_id"] == household["id"]
    fund = client.get(FUND, headers=world.township).json()
    assert fund["balance"] == "6599.50"
    assert fund["total"] == 2 and [e["kind"] for e in fund["items"]] == ["payment", "top_up"]
    back = client.post(
        f"{FUND}/entries/{paid.json()['id']}/reversal", json={"reason": "重复"}, headers=world.clerk
    )
    assert back.status_code == 201, back.text
    assert back.json()["amount"] == "1500.50" and back.json()["reverses_id"] == paid.json()["id"]
    again = client.post(
        f"{FUND}/entries/{paid.json()['id']}/reversal", json={"reason": "重复"}, headers=world.clerk
    )
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_reversed"
    fund = client.get(f"{FUND}?limit=1&offset=1", headers=world.clerk).json()
    assert fund["balance"] == "8100.00" and fund["total"] == 3 and fund["limit"] == 1
    assert fund["items"][0]["reversed_by_id"] == back.json()["id"]


def test_a_payment_beyond_the_balance_is_refused_and_changes_nothing(client, world, register):
    household = register(1)
    top_up(client, world.admin, "100.00")
    reply = pay(client, world.township, household["id"], "100.01")
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "reserve_insufficient"
    assert reply.json()["detail"]["field"] == "amount"
    fund = client.get(FUND, headers=world.township).json()
    assert fund["balance"] == "100.00" and fund["total"] == 1


def test_a_spent_top_up_cannot_be_reversed_below_zero(client, world, register):
    household = register(1)
    entry = top_up(client, world.approver, "100.00").json()
    pay(client, world.township, household["id"], "60.00")
    reply = client.post(
        f"{FUND}/entries/{entry['id']}/reversal", json={"reason": "错拨"}, headers=world.approver
    )
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "reserve_insufficient"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0", "household_id": 1, "reason": "x"}, "amount"),
        ({"amount": "-5.00", "household_id": 1, "reason": "x"}, "amount"),
        ({"amount": "1.001", "household_id": 1, "reason": "x"}, "amount"),
        ({"amount": "5.00", "household_id": 1, "reason": ""}, "reason"),
        ({"amount": "5.00", "household_id": 99999, "reason": "x"}, "household_id"),
    ],
)
def test_bad_payments_are_4xx_naming_the_field(client, world, register, body, field):
    register(1)
    top_up(client, world.clerk)
    reply = client.post(f"{FUND}/payments", json=body, headers=world.township)
    assert 400 <= reply.status_code < 500, reply.text
    assert field in str(reply.json()["detail"].get("field") or reply.json()), reply.text
    assert client.get(FUND, headers=world.township).json()["total"] == 1


def test_a_household_of_another_township_is_not_paid_from_this_fund(client, world, register):
    elsewhere = register(1, region_code="150102002")
    top_up(client, world.clerk)
    reply = pay(client, world.clerk, elsewhere["id"])
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "household_id"


def test_scopes_and_roles(client, world, register):
    household = register(1)
    top_up(client, world.clerk)
    # Township staff: their own township only; they do not top up.
    assert pay(client, world.other_township, household["id"]).status_code == 403
    assert client.get(FUND, headers=world.other_township).status_code == 403
    assert top_up(client, world.township).status_code == 403
    # County staff of another county; duty officers: nothing.
    assert client.get(FUND, headers=world.other_clerk).status_code == 403
    assert top_up(client, world.other_approver).status_code == 403
    assert client.get(FUND, headers=world.duty).status_code == 403
    # Approvers top up but do not pay.
    assert pay(client, world.approver, household["id"]).status_code == 403
    # A county is not a township.
    reply = client.get("/api/v1/townships/150102/reserve", headers=world.clerk)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "code"
    assert client.get("/api/v1/townships/159999001/reserve", headers=world.admin).status_code == 404


def test_a_repeated_top_up_with_the_same_idempotency_key_books_once(client, world):
    body = {"amount": "100.00", "document_no": "X-1"}
    headers = world.clerk | {"Idempotency-Key": "top-up-1"}
    first = client.post(f"{FUND}/top-ups", json=body, headers=headers)
    second = client.post(f"{FUND}/top-ups", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert client.get(FUND, headers=world.clerk).json()["balance"] == "100.00"


def test_parallel_payments_never_take_the_balance_below_zero(
    client, world, register, live_server, parallel
):
    household = register(1)
    top_up(client, world.clerk, "1000.00")
    url = f"{live_server}{FUND}/payments"
    township, clerk = world.township, world.clerk  # signed in before the threads start

    def payment(i: int):
        def call() -> int:
            body = {"amount": "400.00", "household_id": household["id"], "reason": f"P{i}"}
            who = township if i % 2 else clerk
            return httpx.post(url, json=body, headers=who, timeout=60).status_code

        return call

    statuses = parallel([payment(i) for i in range(6)])
    assert sorted(statuses) == [201, 201, 409, 409, 409, 409]
    fund = client.get(FUND, headers=world.clerk).json()
    assert fund["balance"] == "200.00" and fund["total"] == 3


@pytest.fixture
def run_check(database_url, monkeypatch):
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield lambda: CliRunner().invoke(cli_app, ["check"])
    get_settings.cache_clear()


def test_relief_check_sees_a_balance_that_disagrees_with_its_ledger(
    client, world, engine, register, run_check
):
    household = register(1)
    top_up(client, world.clerk, "300.00")
    pay(client, world.township, household["id"], "100.00")
    result = run_check()
    assert result.exit_code == 0, result.output
    with engine.begin() as conn:  # a balance changed behind the service's back
        conn.execute(text("UPDATE reserve_balances SET balance_fen = 50000"))
    result = run_check()
    assert result.exit_code == 1
    assert "reserve fund 150102001: balance 500.00, ledger 200.00 (difference 300.00)" in (
        result.output
    )


def test_the_ledger_is_append_only(client, world, engine):
    top_up(client, world.clerk, "300.00")
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE reserve_entries SET amount_fen = 1"))


def test_township_staff_are_created_for_one_township(client, world):
    body = {"username": "wang", "password": "long-password-1", "role": "township_staff"}
    for regions in ([], ["150102"], ["150102001", "150102002"]):
        reply = client.post(
            "/api/v1/users", json=body | {"region_codes": regions}, headers=world.admin
        )
        assert reply.status_code == 422, reply.text
        assert reply.json()["detail"]["field"] == "region_codes"
    reply = client.post(
        "/api/v1/users", json=body | {"region_codes": ["150102001"]}, headers=world.admin
    )
    assert reply.status_code == 201, reply.text


def test_township_staff_do_county_work_in_their_township_only(client, world, register, rebuild):
    mine = client.post(
        "/api/v1/households",
        json={
            "event_id": world.event_id,
            "region_code": "150102001",
            "head_name": "王五",
            "id_number": id_number(9),
            "size": 2,
            "damage": "collapsed",
        },
        headers=world.township,
    )
    assert mine.status_code == 201, mine.text
    household = register(2)
    case = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": rebuild["code"]},
        headers=world.township,
    )
    assert case.status_code == 201, case.text
    step = client.post(
        f"/api/v1/cases/{case.json()['id']}/transitions",
        json={"action": "village_review"},
        headers=world.township,
    )
    assert step.status_code == 200, step.text
    # Approval stays with approvers (the delegated limit comes with 临时救助, issue 15 C).
    for action in ("publish", "township_review"):
        client.post(
            f"/api/v1/cases/{case.json()['id']}/transitions",
            json={"action": action},
            headers=world.township,
        )
    approve = client.post(
        f"/api/v1/cases/{case.json()['id']}/transitions",
        json={"action": "approve"},
        headers=world.township,
    )
    assert approve.status_code == 403
    # Another township's household, cases list: out of scope.
    other = register(3, region_code="150102002")
    assert (
        client.get(f"/api/v1/households/{other['id']}", headers=world.township).status_code == 403
    )
    listed = client.get("/api/v1/households", headers=world.township).json()
    assert {h["region_code"] for h in listed["items"]} == {"150102001"}
    # Not warehouse, not duty.
    assert client.post("/api/v1/events", json={}, headers=world.township).status_code == 403


def test_township_staff_read_their_townships_statistics(client, world, register):
    register(1)  # a collapsed house in 150102001
    register(2, region_code="150102002")
    url = f"/api/v1/events/{world.event_id}/statistics?table=houses"
    mine = client.get(url, headers=world.township)
    assert mine.status_code == 200, mine.text
    county = client.get(url, headers=world.clerk).json()["rows"]
    assert len(mine.json()["rows"]) == 1 and len(county) == 2


def test_payments_racing_inside_the_service_queue_for_the_townships_row(
    client, world, register, engine, monkeypatch, parallel
):
    """The same race with a wide window: each payment pauses after it has read (and, with
    the lock, holds) the balance row. Without the row lock every payment reads 1000.00 and
    all but one update is lost; with it they queue and exactly two fit."""
    import time

    from relief.auth.models import SYSTEM
    from relief.db import session_for, transaction
    from relief.errors import DomainError
    from relief.reserve import service as reserve

    household = register(1)
    top_up(client, world.clerk, "1000.00")
    locked = reserve._lock_balance

    def slow_lock(session, code):
        row = locked(session, code)
        time.sleep(0.3)  # widens the window between reading the balance and writing it
        return row

    monkeypatch.setattr(reserve, "_lock_balance", slow_lock)

    def payment():
        try:
            with transaction(engine) as session:
                reserve.pay(session, SYSTEM, "150102001", 40_000, household["id"], "先行")
            return "paid"
        except DomainError as exc:
            return exc.code

    results = parallel([payment] * 4)
    assert sorted(results) == ["paid", "paid", "reserve_insufficient", "reserve_insufficient"]
    with session_for(engine, write=False) as session:
        assert reserve.balance_fen(session, "150102001") == 20_000
        assert reserve.check_balances(session) == []
