"""A programme's budget changed after it was created (PATCH /api/v1/programmes/{code}, issue
16): admin only, as creating one; audited; never negative, never below what the programme
has already approved or paid (409 with the figures)."""

from __future__ import annotations

from tests.subsidies.test_concurrency import _today, approved_case


def test_the_budget_changes_and_is_audited(client, world):
    approved_case(client, world)  # RACE: budget 1,000,000, one case of 25,000 approved
    reply = client.patch("/api/v1/programmes/RACE", json={"budget": "30,000"}, headers=world.admin)
    assert reply.status_code == 200, reply.text
    assert reply.json()["budget"] == "30000.00" and reply.json()["code"] == "RACE"
    summary = client.get("/api/v1/programmes/RACE/summary", headers=world.admin).json()
    assert summary["budget"] == "30000.00" and summary["remaining"] == "5000.00"
    trail = client.get("/api/v1/audit?entity=programme&entity_id=RACE", headers=world.admin).json()[
        "items"
    ]
    update = [e for e in trail if e["action"] == "update"]
    assert len(update) == 1
    assert update[0]["before"]["budget_fen"] == 100_000_000
    assert update[0]["after"]["budget_fen"] == 3_000_000


def test_a_budget_below_what_is_approved_is_refused_with_the_figures(client, world):
    case_id = approved_case(client, world)
    reply = client.patch(
        "/api/v1/programmes/RACE", json={"budget": "24999.99"}, headers=world.admin
    )
    assert reply.status_code == 409, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "budget_below_spent" and detail["field"] == "budget"
    assert (detail["budget"], detail["approved"], detail["paid"]) == (
        "24999.99",
        "25000.00",
        "0.00",
    )
    reply = client.post(
        f"/api/v1/cases/{case_id}/payments",
        json={"amount": "25000", "paid_on": _today(), "reference": "ZF-1"},
        headers=world.approver,
    )
    assert reply.status_code == 201, reply.text
    reply = client.patch("/api/v1/programmes/RACE", json={"budget": "100"}, headers=world.admin)
    assert reply.status_code == 409 and reply.json()["detail"]["paid"] == "25000.00"
    # Exactly what is approved is a budget still.
    reply = client.patch("/api/v1/programmes/RACE", json={"budget": "25000"}, headers=world.admin)
    assert reply.status_code == 200, reply.text
    summary = client.get("/api/v1/programmes/RACE/summary", headers=world.admin).json()
    assert summary["budget"] == "25000.00"


def test_bad_budgets_name_the_field_and_change_nothing(client, world):
    approved_case(client, world)
    for bad in ("-1", "abc", None, "1.001"):
        reply = client.patch("/api/v1/programmes/RACE", json={"budget": bad}, headers=world.admin)
        assert reply.status_code == 422, (bad, reply.text)
        assert "budget" in reply.text
    reply = client.patch("/api/v1/programmes/RACE", json={}, headers=world.admin)
    assert reply.status_code == 422
    reply = client.patch("/api/v1/programmes/NOPE", json={"budget": "1"}, headers=world.admin)
    assert reply.status_code == 404
    summary = client.get("/api/v1/programmes/RACE/summary", headers=world.admin).json()
    assert summary["budget"] == "1000000.00"


def test_only_the_administrator_changes_a_budget(client, world):
    approved_case(client, world)
    for who in (world.clerk, world.approver, world.duty):
        reply = client.patch("/api/v1/programmes/RACE", json={"budget": "2000000"}, headers=who)
        assert reply.status_code == 403, reply.text
    summary = client.get("/api/v1/programmes/RACE/summary", headers=world.admin).json()
    assert summary["budget"] == "1000000.00"
