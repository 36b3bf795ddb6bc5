"""Event-scoped road closures: what they cost (lost routes), that they stay within their
event, that reopening restores the routes, and that eligibility follows them.

Times by hand (conftest's map): the only way into 武川县 (150125 and its townships) is the
road WH-HHT—WH-WC; 150125—150125102 is the only road to 哈乐镇 (150125102).
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from relief.audit.models import AuditRecord
from relief.db import session_for
from relief.emergency import service as events
from relief.network import service as network


def detail(reply) -> dict:
    return reply.json()["detail"]


def close(api, event_id: int, user: str = "duty", **body):
    return api.client.post(
        f"/api/v1/events/{event_id}/road-closures", json=body, headers=api.users[user]
    )


def reopen(api, event_id: int, road_id: int, user: str = "duty"):
    return api.client.delete(
        f"/api/v1/events/{event_id}/road-closures/{road_id}", headers=api.users[user]
    )


def road_between(engine, a: str, b: str) -> int:
    with session_for(engine, write=False) as session:
        [road] = [r for r in network.list_roads(session) if {r.from_code, r.to_code} == {a, b}]
        return road.id


def closed_ids(engine, event_id: int) -> set[int]:
    with session_for(engine, write=False) as session:
        return events.closed_road_ids(session, event_id)


def test_closing_the_pass_into_the_county_loses_every_route_across_it(api, event, engine):
    reply = close(api, event["id"], from_code="WH-WC", to_code="WH-HHT", note="塌方")

    assert reply.status_code == 201, reply.text
    body = reply.json()
    road_id = road_between(engine, "WH-HHT", "WH-WC")
    assert [(r["id"], r["from_code"], r["to_code"]) for r in body["roads"]] == [
        (road_id, "WH-HHT", "WH-WC")
    ]
    assert body["roads"][0]["closed_by"] == "duty"
    assert (body["roads"][0]["status"], body["roads"][0]["network_status"]) == ("closed", "open")
    lost = {
        (r["warehouse_code"], r["region_code"]): (r["before_h"], r["after_h"])
        for r in body["lost_routes"]
    }
    # Into the county from outside, and out of the county depot: all cut.
    assert lost == {
        ("WH-HHT", "150125"): (1.12, None),
        ("WH-HHT", "150125101"): (1.22, None),
        ("WH-HHT", "150125102"): (2.02, None),
        ("WH-NM", "150125"): (1.37, None),
        ("WH-NM", "150125101"): (1.47, None),
        ("WH-NM", "150125102"): (2.27, None),
        ("WH-TKT", "150125"): (2.77, None),
        ("WH-TKT", "150125101"): (2.87, None),
        ("WH-TKT", "150125102"): (3.67, None),
        ("WH-WC", "150100"): (1.15, None),
        ("WH-WC", "150122"): (2.65, None),
        ("WH-WC", "150122100"): (2.85, None),
    }
    assert [r["region_code"] for r in body["lost_routes"]] == sorted(
        r["region_code"] for r in body["lost_routes"]
    )
    assert closed_ids(engine, event["id"]) == {road_id}
    # The closure is the event's, not the network's.
    with session_for(engine, write=False) as session:
        assert network.get_road(session, road_id).status == "open"
    other = api.create_event(["150122"]).json()
    assert closed_ids(engine, other["id"]) == set()


def test_closing_a_road_by_id_and_reopening_it_restores_its_routes(api, event, engine):
    road_id = road_between(engine, "150125", "150125102")

    closed = close(api, event["id"], road_id=road_id)
    again = close(api, event["id"], road_id=road_id)
    reopened = reopen(api, event["id"], road_id)

    assert closed.status_code == 201
    lost = [
        (r["warehouse_code"], r["before_h"], r["after_h"]) for r in closed.json()["lost_routes"]
    ]
    assert lost == [
        ("WH-HHT", 2.02, None),
        ("WH-NM", 2.27, None),
        ("WH-TKT", 3.67, None),
        ("WH-WC", 0.92, None),
    ]
    assert again.status_code == 201
    assert again.json()["lost_routes"] == []  # already closed for this event: no change
    assert reopened.status_code == 200
    assert reopened.json()["restored_routes"] == closed.json()["lost_routes"]
    assert reopened.json()["lost_routes"] == []
    assert reopened.json()["roads"][0]["status"] == "open"
    assert closed_ids(engine, event["id"]) == set()
    assert reopen(api, event["id"], road_id).status_code == 404


def test_closures_are_listed_and_audited(api, event, engine):
    close(api, event["id"], from_code="150125", to_code="150125102", note="山体滑坡")
    road_id = road_between(engine, "150125", "150125102")
    reopen(api, event["id"], road_id)
    close(api, event["id"], road_id=road_id)

    listed = api.get(f"/events/{event['id']}/road-closures", user="wc_staff").json()

    assert [r["id"] for r in listed] == [road_id]
    with session_for(engine, write=False) as session:
        actions = [
            (r.action, r.actor)
            for r in session.exec(
                select(AuditRecord).where(AuditRecord.entity == "road_closure")
            ).all()
        ]
    assert actions == [("create", "duty"), ("delete", "duty"), ("create", "duty")]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"road_id": 99999}, "unknown_code", "road_id"),
        ({"from_code": "NOPE", "to_code": "150125"}, "unknown_code", "from_code"),
        ({"from_code": "150125", "to_code": "150122"}, "validation_error", "to_code"),
        ({"from_code": "150125", "to_code": "150125"}, "validation_error", "to_code"),
        ({"from_code": "150125"}, "validation_error", None),
        ({}, "validation_error", None),
        ({"road_id": 1, "from_code": "150125", "to_code": "WH-WC"}, "validation_error", None),
        ({"road_id": "1"}, "validation_error", "road_id"),
    ],
)
def test_a_bad_closure_is_refused_and_closes_nothing(api, event, engine, body, code, field):
    reply = close(api, event["id"], **body)

    assert reply.status_code == 422
    assert detail(reply)["code"] == code
    assert detail(reply)["field"] == field
    assert closed_ids(engine, event["id"]) == set()


@pytest.mark.parametrize("user", ["wc_manager", "wc_staff", "approver"])
def test_only_duty_officers_close_and_reopen_roads(api, event, engine, user):
    road_id = road_between(engine, "150125", "150125102")

    assert close(api, event["id"], user=user, road_id=road_id).status_code == 403
    assert closed_ids(engine, event["id"]) == set()
    close(api, event["id"], road_id=road_id)
    assert reopen(api, event["id"], road_id, user=user).status_code == 403
    assert closed_ids(engine, event["id"]) == {road_id}


def test_closures_of_an_unknown_event_are_404(api, engine):
    road_id = road_between(engine, "150125", "150125102")

    assert close(api, 4242, road_id=road_id).status_code == 404
    assert reopen(api, 4242, road_id).status_code == 404
    assert api.get("/events/4242/road-closures").status_code == 404


def test_a_closure_changes_who_is_notified(api, event):
    api.users.create("wc_manager", "hht_manager", "nm_manager")
    api.report(event["id"], "150125101", relocated=5000, needing_aid=300)  # level 3
    close(api, event["id"], from_code="WH-HHT", to_code="WH-WC")

    response = api.trigger(event["id"], 3).json()

    # At level 3 (4 h) WH-HHT and WH-NM would be eligible, but not with the pass closed.
    assert response["unacknowledged"] == ["wc_manager"]
