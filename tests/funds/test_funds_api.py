"""Relief funds passed down (issue 16): receipts into the top account, allocations down to a
county and a township's reserve fund, never below zero, reversals, scopes, the reserve hook,
proposals split by need, the summary, and `relief check`."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from relief.cli import app as cli_app
from relief.config import get_settings

DOC = {"document_no": "内财社〔2026〕88号", "document_date": "2026-07-22", "purpose": "山洪救灾"}


def receive(client, who, amount="100000.00", code="150000", source="central"):
    body = {"region_code": code, "source": source, "amount": amount, **DOC}
    return client.post("/api/v1/funds/receipts", json=body, headers=who)


def allocate(client, who, src, dst, amount, source="central"):
    body = {"from_code": src, "to_code": dst, "source": source, "amount": amount, **DOC}
    return client.post("/api/v1/funds/allocations", json=body, headers=who)


def account(client, who, code):
    return client.get(f"/api/v1/funds/regions/{code}", headers=who).json()


def test_central_money_passes_down_to_a_county_and_a_township_reserve(client, world):
    assert receive(client, world.admin).status_code == 201
    assert allocate(client, world.admin, "150000", "150100", "60000.00").status_code == 201
    assert allocate(client, world.admin, "150100", "150102", "40000.00").status_code == 201
    reply = allocate(client, world.clerk, "150102", "150102001", "5000.00")
    assert reply.status_code == 201, reply.text
    assert account(client, world.admin, "150000")["balance"] == "40000.00"
    assert account(client, world.admin, "150100")["balances"] == {"central": "20000.00"}
    county = account(client, world.clerk, "150102")
    assert county["balance"] == "35000.00"
    assert [e["kind"] for e in county["items"]] == ["reserve_draw", "allocation_in"]
    fund = client.get("/api/v1/townships/150102001/reserve", headers=world.clerk).json()
    assert fund["balance"] == "5000.00"


def test_an_allocation_beyond_the_balance_is_refused_naming_the_amount(client, world):
    receive(client, world.admin, "100.00")
    reply = allocate(client, world.admin, "150000", "150100", "100.01")
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "funds_insufficient"
    assert reply.json()["detail"]["field"] == "amount"
    assert account(client, world.admin, "150000")["balance"] == "100.00"
    assert account(client, world.admin, "150100")["total"] == 0


def test_an_allocation_skipping_a_level_is_refused(client, world):
    receive(client, world.admin)
    reply = allocate(client, world.admin, "150000", "150102", "1.00")
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "to_code"


def test_a_receipt_of_central_money_is_booked_only_at_the_province(client, world):
    reply = receive(client, world.admin, code="150102")
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "source"
    own = receive(client, world.clerk, "300.00", code="150102", source="county")
    assert own.status_code == 201, own.text


def test_county_staff_cannot_allocate_from_another_region(client, world):
    receive(client, world.admin)
    reply = allocate(client, world.clerk, "150000", "150100", "1.00")
    assert reply.status_code == 403


def test_bad_amounts_are_refused_naming_the_field(client, world):
    for amount in ("-1.00", "0", "abc"):
        reply = receive(client, world.admin, amount)
        assert reply.status_code == 422, amount
        assert "amount" in reply.text


def test_a_reversed_allocation_gives_the_money_back_once(client, world):
    receive(client, world.admin)
    out = allocate(client, world.admin, "150000", "150100", "600.00").json()["out"]
    back = client.post(
        f"/api/v1/funds/entries/{out['id']}/reversal",
        json={"reason": "文号错误"},
        headers=world.admin,
    )
    assert back.status_code == 201, back.text
    assert account(client, world.admin, "150000")["balance"] == "100000.00"
    assert account(client, world.admin, "150100")["balance"] == "0.00"
    again = client.post(
        f"/api/v1/funds/entries/{out['id']}/reversal", json={"reason": "x"}, headers=world.admin
    )
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_reversed"


def test_a_spent_allocation_cannot_be_reversed(client, world):
    receive(client, world.admin)
    out = allocate(client, world.admin, "150000", "150100", "600.00").json()["out"]
    allocate(client, world.admin, "150100", "150102", "500.00")
    back = client.post(
        f"/api/v1/funds/entries/{out['id']}/reversal", json={"reason": "错拨"}, headers=world.admin
    )
    assert back.status_code == 409 and back.json()["detail"]["code"] == "funds_insufficient"


def test_a_reserve_top_up_draws_on_the_county_funds_where_they_are_recorded(client, world):
    top = {"amount": "100.00", "document_no": "新民发〔2026〕12号"}
    url = "/api/v1/townships/150102001/reserve/top-ups"
    # No funds recorded for 新城区: the top-up is as before.
    assert client.post(url, json=top, headers=world.clerk).status_code == 201
    receive(client, world.clerk, "150.00", code="150102", source="county")
    assert client.post(url, json=top, headers=world.clerk).status_code == 201
    assert account(client, world.clerk, "150102")["balance"] == "50.00"
    refused = client.post(url, json=top, headers=world.clerk)
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "funds_insufficient"
    fund = client.get("/api/v1/townships/150102001/reserve", headers=world.clerk).json()
    assert fund["balance"] == "200.00"


def test_a_proposal_splits_by_need_within_floor_and_cap_and_approval_books_it(client, world):
    receive(client, world.admin)
    allocate(client, world.admin, "150000", "150100", "100000.00")
    counties = [
        {
            "code": "150102",
            "needing_aid": 900,
            "collapsed_households": 10,
            "severe_households": 0,
            "general_households": 0,
            "households": 100,
            "dibao_households": 40,
            "poverty_registered_households": 0,
        },
        {
            "code": "150103",
            "needing_aid": 10,
            "collapsed_households": 0,
            "severe_households": 0,
            "general_households": 0,
            "households": 0,
            "dibao_households": 0,
            "poverty_registered_households": 0,
        },
    ]
    body = {
        "from_code": "150100",
        "source": "central",
        "total": "80000.00",
        "floor": "10000.00",
        "cap": "60000.00",
        "counties": counties,
    }
    proposal = client.post("/api/v1/funds/proposals", json=body, headers=world.admin)
    assert proposal.status_code == 200, proposal.text
    items = {i["code"]: i for i in proposal.json()["items"]}
    assert items["150102"]["amount"] == "60000.00" and items["150102"]["bound"] == "cap"
    assert items["150103"]["amount"] == "20000.00"
    assert proposal.json()["weights_assumed"] is True
    # The officer changes the shares before approving.
    approve = {
        "from_code": "150100",
        "source": "central",
        **DOC,
        "shares": [
            {"code": "150102", "amount": "55000.00"},
            {"code": "150103", "amount": "25000.00"},
        ],
    }
    booked = client.post("/api/v1/funds/proposals/approve", json=approve, headers=world.admin)
    assert booked.status_code == 201, booked.text
    assert account(client, world.admin, "150103")["balance"] == "25000.00"
    assert account(client, world.admin, "150100")["balance"] == "20000.00"


def test_a_proposal_whose_floors_exceed_the_total_is_refused_on_floor(client, world):
    body = {"from_code": "150100", "source": "central", "total": "100.00", "floor": "60.00"}
    reply = client.post("/api/v1/funds/proposals", json=body, headers=world.admin)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "floor"


def test_an_approval_beyond_the_balance_books_nothing(client, world):
    receive(client, world.admin)
    allocate(client, world.admin, "150000", "150100", "100.00")
    approve = {
        "from_code": "150100",
        "source": "central",
        **DOC,
        "shares": [{"code": "150102", "amount": "60.00"}, {"code": "150103", "amount": "60.00"}],
    }
    reply = client.post("/api/v1/funds/proposals/approve", json=approve, headers=world.admin)
    assert reply.status_code == 409
    assert account(client, world.admin, "150102")["total"] == 0


def test_summary_shows_received_passed_down_left_overdue_and_budgets_beyond_funds(
    client, world, rebuild
):
    receive(client, world.admin)  # dated 2026-07-22: long past the 10 days
    allocate(client, world.admin, "150000", "150100", "30000.00")
    summary = client.get("/api/v1/funds/summary/150000", headers=world.admin).json()
    top = summary["regions"][0]
    assert summary["pass_down_days"] == 10
    assert top["received"] == "100000.00" and top["passed_down"] == "30000.00"
    assert top["left"] == "70000.00" and top["overdue"] == "70000.00"
    city = client.get("/api/v1/funds/summary/150100", headers=world.admin).json()["regions"][0]
    # The rebuild programme (100,000 元 at 呼和浩特市) is beyond the 30,000 that reached it.
    assert city["programme_budgets"] == "100000.00" and city["budget_beyond_funds"] is True


@pytest.fixture
def run_check(monkeypatch, database_url):
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield lambda: CliRunner().invoke(cli_app, ["check"])
    get_settings.cache_clear()


def test_relief_check_finds_a_funds_balance_that_differs_from_its_ledger(
    client, world, engine, run_check
):
    receive(client, world.admin, "100.00")
    assert run_check().exit_code == 0
    with engine.begin() as conn:
        conn.execute(text("UPDATE fund_balances SET balance_fen = 1 WHERE region_code='150000'"))
    result = run_check()
    assert result.exit_code == 1 and "funds 150000 (central)" in result.output


def test_the_ledger_refuses_updates(client, world, engine):
    receive(client, world.admin, "100.00")
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE fund_entries SET amount_fen = 5"))


def test_a_reversed_reserve_top_up_gives_the_money_back_to_the_county_funds(client, world):
    receive(client, world.clerk, "150.00", code="150102", source="county")
    top = {"amount": "100.00", "document_no": "新民发〔2026〕12号"}
    url = "/api/v1/townships/150102001/reserve"
    entry = client.post(f"{url}/top-ups", json=top, headers=world.clerk).json()
    assert account(client, world.clerk, "150102")["balance"] == "50.00"
    back = client.post(
        f"{url}/entries/{entry['id']}/reversal", json={"reason": "错拨"}, headers=world.clerk
    )
    assert back.status_code == 201, back.text
    county = account(client, world.clerk, "150102")
    assert county["balance"] == "150.00" and county["items"][0]["kind"] == "reversal"
    summary = client.get("/api/v1/funds/summary/150102", headers=world.clerk).json()
    assert summary["regions"][0]["passed_down"] == "0.00"


def report(client, world, code, needing_aid, collapsed=0, at="2026-07-20T12:00:00+08:00"):
    body = {"region_code": code, "kind": "initial", "reported_at": at}
    body |= dict.fromkeys(
        (
            "deaths",
            "missing",
            "relocated",
            "collapsed_rooms",
            "severe_households",
            "severe_rooms",
            "general_households",
            "general_rooms",
        ),
        0,
    )
    body |= {"needing_aid": needing_aid, "collapsed_households": collapsed}
    reply = client.post(f"/api/v1/events/{world.event_id}/reports", json=body, headers=world.admin)
    assert reply.status_code == 201, reply.text


def test_a_city_splits_among_its_counties_with_need_read_from_their_reports(client, world):
    report(client, world, "150102", 300)
    report(client, world, "150103", 100)
    body = {"from_code": "150100", "source": "central", "total": "40000.00"}
    reply = client.post("/api/v1/funds/proposals", json=body, headers=world.admin)
    assert reply.status_code == 200, reply.text
    items = {i["code"]: i for i in reply.json()["items"]}
    assert items["150102"]["amount"] == "30000.00" and items["150102"]["needing_aid"] == 300
    assert items["150103"]["amount"] == "10000.00"


def test_a_province_splits_among_its_cities_with_need_summed_over_each_subtree(client, world):
    report(client, world, "150102", 300)
    report(client, world, "150103", 100, collapsed=2)
    body = {"from_code": "150000", "source": "central", "total": "50000.00"}
    reply = client.post("/api/v1/funds/proposals", json=body, headers=world.admin)
    assert reply.status_code == 200, reply.text
    (city,) = reply.json()["items"]
    assert city["code"] == "150100" and city["amount"] == "50000.00"
    assert (city["needing_aid"], city["collapsed_households"]) == (400, 2)


def test_a_county_splits_among_its_townships_and_approval_tops_up_their_reserves(client, world):
    report(client, world, "150102001", 30)
    report(client, world, "150102002", 10)
    receive(client, world.admin)
    allocate(client, world.admin, "150000", "150100", "100000.00")
    allocate(client, world.admin, "150100", "150102", "100000.00")
    body = {"from_code": "150102", "source": "central", "total": "8000.00", "floor": "1000.00"}
    reply = client.post("/api/v1/funds/proposals", json=body, headers=world.clerk)
    assert reply.status_code == 200, reply.text
    shares = {i["code"]: i["amount"] for i in reply.json()["items"]}
    assert shares == {"150102001": "6000.00", "150102002": "2000.00"}
    approve = {
        "from_code": "150102",
        "source": "central",
        **DOC,
        "shares": [{"code": c, "amount": a} for c, a in shares.items()],
    }
    booked = client.post("/api/v1/funds/proposals/approve", json=approve, headers=world.clerk)
    assert booked.status_code == 201, booked.text
    fund = client.get("/api/v1/townships/150102001/reserve", headers=world.clerk).json()
    assert fund["balance"] == "6000.00"
    assert account(client, world.admin, "150102")["balance"] == "92000.00"


def test_a_proposal_naming_a_region_not_directly_under_is_refused(client, world):
    need = {
        "code": "150102",
        "needing_aid": 1,
        "collapsed_households": 0,
        "severe_households": 0,
        "general_households": 0,
        "households": 0,
        "dibao_households": 0,
        "poverty_registered_households": 0,
    }
    body = {"from_code": "150000", "source": "central", "total": "1.00", "counties": [need]}
    reply = client.post("/api/v1/funds/proposals", json=body, headers=world.admin)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "counties"


def test_the_programme_summary_flags_a_budget_beyond_the_funds_that_reached_its_region(
    client, world, rebuild
):
    code = rebuild["code"]
    before = client.get(f"/api/v1/programmes/{code}/summary", headers=world.admin).json()
    assert "funds" not in before  # no funds recorded: budgets set directly, nothing to flag
    receive(client, world.admin)
    allocate(client, world.admin, "150000", "150100", "30000.00")
    summary = client.get(f"/api/v1/programmes/{code}/summary", headers=world.admin).json()
    assert summary["funds"] == {
        "region_code": "150100",
        "received": "30000.00",
        "programme_budgets": "100000.00",
        "budget_beyond_funds": True,
    }
    allocate(client, world.admin, "150000", "150100", "70000.00")
    summary = client.get(f"/api/v1/programmes/{code}/summary", headers=world.admin).json()
    assert summary["funds"]["budget_beyond_funds"] is False
