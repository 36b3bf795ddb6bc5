"""Notifications: triggering or escalating a response tells the managers of the warehouses
eligible to serve the event's regions at that level; acknowledging clears them from the
response's `unacknowledged`.

Eligibility by hand (conftest's map; the event covers 150125 with a report of 150125101):
WH-WC reaches them in 0.02 / 0.12 h, WH-HHT in 1.12 / 1.22 h, WH-NM in 1.37 / 1.47 h,
WH-TKT in 2.77 / 2.87 h but is outside their jurisdiction (托克托县). Level 4 (1 h): WH-WC;
level 3 (4 h): WH-WC, WH-HHT, WH-NM; level 1 (8 h, any jurisdiction): all four.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from relief.auth.models import User
from relief.db import transaction


def detail(reply) -> dict:
    return reply.json()["detail"]


MANAGERS = ("wc_manager", "hht_manager", "nm_manager", "tkt_manager")


@pytest.fixture
def response(api, event) -> dict:
    api.users.create(*MANAGERS)
    api.report(event["id"], "150125101", relocated=800, needing_aid=300)  # level 4
    reply = api.trigger(event["id"], 4)
    assert reply.status_code == 201, reply.text
    return reply.json()


def inbox(api, user: str) -> list[dict]:
    reply = api.get("/inbox", user=user)
    assert reply.status_code == 200
    return reply.json()


def test_a_trigger_notifies_only_the_managers_of_eligible_warehouses(api, event, response):
    assert response["unacknowledged"] == ["wc_manager"]
    [note] = inbox(api, "wc_manager")
    assert note["response_id"] == response["id"]
    assert (note["event_id"], note["event_name"]) == (event["id"], "武川县暴雨")
    assert (note["kind"], note["level"]) == ("response_triggered", 4)
    assert note["warehouse_codes"] == ["WH-WC"]
    assert "Ⅳ级" in note["message"]
    assert note["acked_at"] is None
    for user in ("hht_manager", "nm_manager", "tkt_manager", "duty"):
        assert inbox(api, user) == []


def test_acknowledging_clears_the_user_from_unacknowledged(api, response):
    [note] = inbox(api, "wc_manager")

    reply = api.client.post(f"/api/v1/inbox/{note['id']}/ack", headers=api.users["wc_manager"])

    assert reply.status_code == 200
    acked = reply.json()
    assert acked["acked_at"] == "2026-07-01T12:00:00+08:00"
    assert api.get(f"/responses/{response['id']}").json()["unacknowledged"] == []
    assert inbox(api, "wc_manager")[0]["acked_at"] == acked["acked_at"]
    assert api.get("/inbox?unacked=true", user="wc_manager").json() == []
    again = api.client.post(f"/api/v1/inbox/{note['id']}/ack", headers=api.users["wc_manager"])
    assert again.json()["acked_at"] == acked["acked_at"]


@pytest.mark.parametrize("user", ["tkt_manager", "duty", "admin"])
def test_only_the_addressee_acknowledges_a_notification(api, response, user):
    [note] = inbox(api, "wc_manager")

    reply = api.client.post(f"/api/v1/inbox/{note['id']}/ack", headers=api.users[user])

    assert reply.status_code == 403
    assert detail(reply)["code"] == "scope_forbidden"
    assert api.get(f"/responses/{response['id']}").json()["unacknowledged"] == ["wc_manager"]


def test_acknowledging_an_unknown_notification_is_404(api, response):
    for inbox_id in (999, 10**15):
        reply = api.client.post(f"/api/v1/inbox/{inbox_id}/ack", headers=api.users["wc_manager"])
        assert reply.status_code == 404


def test_escalating_notifies_the_managers_eligible_at_the_new_level(api, response):
    [first] = inbox(api, "wc_manager")
    api.client.post(f"/api/v1/inbox/{first['id']}/ack", headers=api.users["wc_manager"])

    escalated = api.patch(response["id"], "escalate", level=3, override_reason="bridge down")

    assert escalated.json()["unacknowledged"] == ["hht_manager", "nm_manager", "wc_manager"]
    latest = inbox(api, "wc_manager")[0]  # newest first
    assert (latest["kind"], latest["level"]) == ("response_escalated", 3)
    assert [n["warehouse_codes"] for n in inbox(api, "hht_manager")] == [["WH-HHT"]]
    assert inbox(api, "tkt_manager") == []

    # Level 1 is cross-jurisdiction: 托克托县's depot is within 8 h and now eligible.
    top = api.patch(response["id"], "escalate", level=1, override_reason="national support")
    assert "tkt_manager" in top.json()["unacknowledged"]
    assert [n["level"] for n in inbox(api, "tkt_manager")] == [1]


def test_downgrading_and_ending_notify_nobody(api, response):
    api.patch(response["id"], "escalate", level=3, override_reason="bridge down")
    counts = {user: len(inbox(api, user)) for user in MANAGERS}

    api.patch(response["id"], "downgrade", level=4)
    api.patch(response["id"], "end")

    assert {user: len(inbox(api, user)) for user in MANAGERS} == counts


def test_inactive_or_unrelated_users_get_nothing(api, event, engine):
    api.users.create("wc_manager", "wc_staff")
    with transaction(engine) as session:
        user = session.exec(select(User).where(User.username == "wc_manager")).one()
        user.active = False
        session.add(user)
    api.report(event["id"], "150125101", relocated=800, needing_aid=300)

    response = api.trigger(event["id"], 4).json()

    assert response["unacknowledged"] == []
    # No notification; the county staff's entries are the reports their county owes.
    assert [n for n in inbox(api, "wc_staff") if n["kind"] != "report_due"] == []
