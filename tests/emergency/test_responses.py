"""Responses: the override rule, one active response per event (also under parallel
triggers), escalate/downgrade/end, deadlines and the timeline against the injectable
clock, and retries with an Idempotency-Key."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from relief import clock
from relief.audit.models import AuditRecord
from relief.db import session_for


def detail(reply) -> dict:
    return reply.json()["detail"]


@pytest.fixture
def level4_event(api, event) -> dict:
    """800 + 300 relocated or aided: level 4 is recommended (>= 1000, < 5000)."""
    reply = api.report(event["id"], "150125101", deaths=1, relocated=800, needing_aid=300)
    assert reply.status_code == 201, reply.text
    return event


def move_clock(api, delta: timedelta) -> None:
    clock.set_clock(lambda: api.now + delta)
    api.users.relogin()  # tokens expire against the same clock


# --- the override rule -----------------------------------------------------------------------


def test_triggering_at_the_recommended_level_needs_no_reason(api, level4_event):
    reply = api.trigger(level4_event["id"], 4)

    assert reply.status_code == 201, reply.text
    response = reply.json()
    assert response["event_id"] == level4_event["id"]
    assert (response["level"], response["status"]) == (4, "active")
    assert response["recommended_level"] == 4
    # Level 4: supplies within 1 h, situation report 24 h, funds 96.5 h after the trigger.
    assert response["deadlines"] == {
        "supplies_arrive": "2026-07-01T13:00:00+08:00",
        "situation_report": "2026-07-02T12:00:00+08:00",
        "funds_allocated": "2026-07-05T12:30:00+08:00",
    }
    assert response["unacknowledged"] == []
    assert api.get(f"/events/{level4_event['id']}").json()["active_response_id"] == response["id"]
    assert api.get(f"/responses/{response['id']}", user="wc_manager").json() == response


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_level_higher_than_recommended_needs_an_override_reason(api, level4_event, reason):
    body = {} if reason is None else {"override_reason": reason}

    refused = api.trigger(level4_event["id"], 3, **body)

    assert refused.status_code == 422
    assert (detail(refused)["code"], detail(refused)["field"]) == (
        "validation_error",
        "override_reason",
    )
    assert api.get(f"/responses?event_id={level4_event['id']}").json() == []
    accepted = api.trigger(level4_event["id"], 3, override_reason="dam upstream at risk")
    assert accepted.status_code == 201
    assert accepted.json()["override_reason"] == "dam upstream at risk"


def test_a_level_lower_than_recommended_needs_no_reason(api, event):
    api.report(event["id"], "150125101", relocated=5000, needing_aid=300)  # level 3

    reply = api.trigger(event["id"], 4)

    assert reply.status_code == 201
    assert reply.json()["recommended_level"] == 3


def test_with_no_recommendation_every_level_needs_a_reason(api, event):
    for level in (1, 2, 3, 4):
        reply = api.trigger(event["id"], level)
        assert reply.status_code == 422
        assert detail(reply)["field"] == "override_reason"

    assert api.trigger(event["id"], 4, override_reason="precaution").status_code == 201


@pytest.mark.parametrize("level", [0, 5, "3", None, 2.5])
def test_a_bad_level_is_refused(api, level4_event, level):
    reply = api.trigger(level4_event["id"], level)

    assert reply.status_code == 422
    assert detail(reply)["field"] == "level"


# --- one active response per event ------------------------------------------------------------


def test_a_second_active_response_is_a_conflict_until_the_first_ends(api, level4_event):
    first = api.trigger(level4_event["id"], 4).json()

    second = api.trigger(level4_event["id"], 4)

    assert second.status_code == 409
    assert detail(second)["code"] == "response_already_active"
    assert api.patch(first["id"], "end").status_code == 200
    third = api.trigger(level4_event["id"], 4)
    assert third.status_code == 201
    listed = api.get(f"/responses?event_id={level4_event['id']}").json()
    assert [(r["id"], r["status"]) for r in listed] == [
        (first["id"], "ended"),
        (third.json()["id"], "active"),
    ]


def test_parallel_triggers_make_exactly_one_active_response(
    api, level4_event, live_server, parallel
):
    headers = api.users["duty"]
    url = f"{live_server}/api/v1/events/{level4_event['id']}/responses"

    def trigger(i: int):
        def call():
            with httpx.Client(timeout=60) as http:
                return http.post(url, json={"level": 4, "note": f"try {i}"}, headers=headers)

        return call

    replies = parallel([trigger(i) for i in range(6)])

    statuses = sorted(r.status_code for r in replies)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in replies]
    assert all(
        r.json()["detail"]["code"] == "response_already_active"
        for r in replies
        if r.status_code == 409
    )
    listed = api.get(f"/responses?event_id={level4_event['id']}").json()
    assert [r["status"] for r in listed] == ["active"]


def test_a_retried_trigger_with_the_same_key_has_the_effect_of_one(api, level4_event):
    headers = {**api.users["duty"], "Idempotency-Key": "trigger-wuchuan-1"}
    url = f"/api/v1/events/{level4_event['id']}/responses"
    body = {"level": 4, "note": "first"}

    first = api.client.post(url, json=body, headers=headers)
    retry = api.client.post(url, json=body, headers=headers)
    other = api.client.post(url, json={**body, "note": "other"}, headers=headers)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert other.status_code == 409
    assert detail(other)["code"] == "idempotency_key_reused"
    assert len(api.get(f"/responses?event_id={level4_event['id']}").json()) == 1


# --- escalate, downgrade, end ---------------------------------------------------------------


def test_escalating_needs_a_smaller_level_and_downgrading_a_larger_one(api, level4_event):
    response = api.trigger(level4_event["id"], 3, override_reason="forecast").json()
    rid = response["id"]

    for action, level in (("escalate", 3), ("escalate", 4), ("downgrade", 3), ("downgrade", 2)):
        reply = api.patch(rid, action, level=level)
        assert reply.status_code == 422, (action, level)
        assert detail(reply)["field"] == "level"
    assert detail(api.patch(rid, "escalate"))["field"] == "level"  # no level at all

    down = api.patch(rid, "downgrade", level=4)
    assert (down.status_code, down.json()["level"]) == (200, 4)


def test_escalating_above_the_recommendation_needs_a_reason_and_moves_the_deadlines(
    api, level4_event
):
    rid = api.trigger(level4_event["id"], 4).json()["id"]
    move_clock(api, timedelta(minutes=30))

    refused = api.patch(rid, "escalate", level=3)
    accepted = api.patch(rid, "escalate", level=3, override_reason="roads cut")

    assert refused.status_code == 422
    assert detail(refused)["field"] == "override_reason"
    assert accepted.status_code == 200
    response = accepted.json()
    assert response["level"] == 3
    assert response["level_changed_at"] == "2026-07-01T12:30:00+08:00"
    # Level 3 from 12:30: supplies 4 h, situation report 24 h, funds 72 h.
    assert response["deadlines"] == {
        "supplies_arrive": "2026-07-01T16:30:00+08:00",
        "situation_report": "2026-07-02T12:30:00+08:00",
        "funds_allocated": "2026-07-04T12:30:00+08:00",
    }


def test_escalating_to_a_newly_recommended_level_needs_no_reason(api, level4_event):
    rid = api.trigger(level4_event["id"], 4).json()["id"]
    # 800 + 300 + 5000 = 6100 relocated or aided: level 3 is now recommended.
    api.report(level4_event["id"], "150125102", relocated=5000)

    reply = api.patch(rid, "escalate", level=3)

    assert reply.status_code == 200, reply.text
    assert (reply.json()["level"], reply.json()["recommended_level"]) == (3, 3)


def test_an_ended_response_cannot_change(api, level4_event):
    rid = api.trigger(level4_event["id"], 4).json()["id"]

    ended = api.patch(rid, "end")

    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert ended.json()["ended_at"] == "2026-07-01T12:00:00+08:00"
    for action, level in (("escalate", 3), ("downgrade", 4), ("end", None)):
        reply = api.patch(rid, action, level=level)
        assert reply.status_code == 409
        assert detail(reply)["code"] == "invalid_transition"
    assert api.get(f"/events/{level4_event['id']}").json()["active_response_id"] is None


@pytest.mark.parametrize("user", ["wc_manager", "wc_staff", "approver"])
def test_only_duty_officers_and_admins_act_on_responses(api, level4_event, user):
    assert api.trigger(level4_event["id"], 4, user=user).status_code == 403
    rid = api.trigger(level4_event["id"], 4, user="admin").json()["id"]

    reply = api.patch(rid, "end", user=user)

    assert reply.status_code == 403
    assert api.get(f"/responses/{rid}", user=user).json()["status"] == "active"


def test_unknown_responses_are_404(api, level4_event):
    assert api.get("/responses/12345").status_code == 404
    assert api.get("/responses/12345/timeline").status_code == 404
    assert api.patch(12345, "end").status_code == 404
    assert api.trigger(12345, 4).status_code == 404


def test_actions_are_audited(api, level4_event, engine):
    rid = api.trigger(level4_event["id"], 4).json()["id"]
    api.patch(rid, "escalate", level=3, override_reason="roads cut")
    api.patch(rid, "end")

    with session_for(engine, write=False) as session:
        records = session.exec(
            select(AuditRecord).where(
                AuditRecord.entity == "response", AuditRecord.entity_id == str(rid)
            )
        ).all()

    assert [(r.action, r.actor) for r in records] == [
        ("trigger", "duty"),
        ("escalate", "duty"),
        ("end", "duty"),
    ]
    assert records[1].before["level"] == 4
    assert records[1].after["level"] == 3
    assert records[1].after["override_reason"] == "roads cut"


# --- deadlines and the timeline ------------------------------------------------------------


def deadlines_of(timeline: list[dict]) -> dict[str, tuple[str, bool]]:
    return {e["name"]: (e["due_at"], e["overdue"]) for e in timeline if e["kind"] == "deadline"}


def test_the_timeline_shows_actions_and_deadlines_overdue_against_the_clock(api, level4_event):
    rid = api.trigger(level4_event["id"], 4, note="县级IV级响应").json()["id"]

    start = api.get(f"/responses/{rid}/timeline").json()

    assert [(e["kind"], e["name"]) for e in start] == [
        ("action", "trigger"),
        ("deadline", "supplies_arrive"),
        ("deadline", "situation_report"),
        ("deadline", "funds_allocated"),
    ]
    trigger = start[0]
    assert (trigger["at"], trigger["actor"], trigger["note"]) == (
        "2026-07-01T12:00:00+08:00",
        "duty",
        "县级IV级响应",
    )
    assert trigger["overdue"] is False
    assert "due_at" not in trigger
    assert start[1]["at"] == start[1]["due_at"] == "2026-07-01T13:00:00+08:00"
    assert not any(e["overdue"] for e in start)

    # One minute past the supplies deadline: only that one is overdue.
    move_clock(api, timedelta(hours=1, minutes=1))
    assert deadlines_of(api.get(f"/responses/{rid}/timeline").json()) == {
        "supplies_arrive": ("2026-07-01T13:00:00+08:00", True),
        "situation_report": ("2026-07-02T12:00:00+08:00", False),
        "funds_allocated": ("2026-07-05T12:30:00+08:00", False),
    }

    # Escalating at 13:01 restarts the deadlines from then at level 3.
    api.patch(rid, "escalate", level=3, override_reason="more villages cut off")
    after = api.get(f"/responses/{rid}/timeline").json()
    assert [(e["kind"], e["name"]) for e in after][:2] == [
        ("action", "trigger"),
        ("action", "escalate"),
    ]
    assert after[1]["note"] == "test (override: more villages cut off)"
    assert deadlines_of(after) == {
        "supplies_arrive": ("2026-07-01T17:01:00+08:00", False),
        "situation_report": ("2026-07-02T13:01:00+08:00", False),
        "funds_allocated": ("2026-07-04T13:01:00+08:00", False),
    }

    # Exactly at a deadline is not overdue; a second later is.
    move_clock(api, timedelta(hours=25, minutes=1))
    assert (
        deadlines_of(api.get(f"/responses/{rid}/timeline").json())["situation_report"][1] is False
    )
    move_clock(api, timedelta(hours=25, minutes=1, seconds=1))
    late = deadlines_of(api.get(f"/responses/{rid}/timeline").json())
    assert (late["supplies_arrive"][1], late["situation_report"][1]) == (True, True)
    assert late["funds_allocated"][1] is False

    # An ended response has nothing overdue.
    api.patch(rid, "end")
    ended = api.get(f"/responses/{rid}/timeline").json()
    assert [e["name"] for e in ended if e["kind"] == "action"] == ["trigger", "escalate", "end"]
    assert not any(e["overdue"] for e in ended)


def test_without_a_policy_in_force_the_deadlines_are_null(api):
    # The test policy is in force from 2024-01-20; an event of 2020 has none.
    event = api.create_event(["150125"], started_at="2020-07-01T06:00:00+08:00").json()

    reply = api.trigger(event["id"], 4, override_reason="no thresholds in force")

    assert reply.status_code == 201
    assert reply.json()["deadlines"] == {
        "supplies_arrive": None,
        "situation_report": None,
        "funds_allocated": None,
    }
    timeline = api.get(f"/responses/{reply.json()['id']}/timeline").json()
    assert [e["kind"] for e in timeline] == ["action"]
