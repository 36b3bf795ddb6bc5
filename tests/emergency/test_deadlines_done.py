"""Deadlines marked done: every deadline of the timeline (supplies_arrive, situation_report,
funds_allocated) can be marked done by a duty officer or admin, with time, actor and note;
a done deadline is never overdue, stays done across level changes, is marked once (also
under parallel requests), and the marking is audited."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from relief import clock
from relief.audit.models import AuditRecord
from relief.db import session_for


@pytest.fixture
def rid(api, event) -> int:
    """A level IV response triggered at NOW (supplies 13:00, report +24 h, funds +96.5 h)."""
    reply = api.report(event["id"], "150125101", deaths=1, relocated=800, needing_aid=300)
    assert reply.status_code == 201, reply.text
    reply = api.trigger(event["id"], 4)
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def move_clock(api, delta: timedelta) -> None:
    clock.set_clock(lambda: api.now + delta)
    api.users.relogin()


def mark_done(api, rid: int, name: str, *, user: str = "duty", **body):
    return api.client.post(
        f"/api/v1/responses/{rid}/deadlines/{name}/done", json=body, headers=api.users[user]
    )


def deadlines(api, rid: int) -> dict[str, dict]:
    timeline = api.get(f"/responses/{rid}/timeline").json()
    return {e["name"]: e for e in timeline if e["kind"] == "deadline"}


@pytest.mark.parametrize("name", ["supplies_arrive", "situation_report", "funds_allocated"])
def test_every_deadline_can_be_marked_done_with_time_actor_and_note(api, rid, name):
    move_clock(api, timedelta(hours=2))

    reply = mark_done(api, rid, name, note="已报送")

    assert reply.status_code == 200, reply.text
    entry = reply.json()
    assert (entry["kind"], entry["name"], entry["overdue"]) == ("deadline", name, False)
    assert (entry["done_at"], entry["done_by"]) == ("2026-07-01T14:00:00+08:00", "duty")
    assert "已报送" in entry["note"]
    assert deadlines(api, rid)[name] == entry


def test_a_done_deadline_is_not_overdue_while_open_ones_past_due_are(api, rid):
    mark_done(api, rid, "situation_report")

    move_clock(api, timedelta(days=10))
    after = deadlines(api, rid)

    assert after["situation_report"]["overdue"] is False
    assert after["situation_report"]["done_by"] == "duty"
    assert (after["supplies_arrive"]["overdue"], after["supplies_arrive"]["done_at"]) == (
        True,
        None,
    )
    assert (after["funds_allocated"]["overdue"], after["funds_allocated"]["done_by"]) == (
        True,
        None,
    )


def test_marking_a_done_deadline_again_is_a_conflict_and_keeps_the_first(api, rid):
    first = mark_done(api, rid, "funds_allocated", note="first")
    move_clock(api, timedelta(hours=1))

    again = mark_done(api, rid, "funds_allocated", user="admin", note="second")

    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "deadline_already_done"
    assert deadlines(api, rid)["funds_allocated"] == first.json()


def test_unknown_deadlines_and_responses_are_404(api, rid):
    assert mark_done(api, rid, "lunch").status_code == 404
    assert mark_done(api, 12345, "situation_report").status_code == 404
    assert mark_done(api, 0, "situation_report").status_code == 404


def test_a_deadline_the_policy_does_not_set_cannot_be_marked(api):
    event = api.create_event(["150125"], started_at="2020-07-01T06:00:00+08:00").json()
    response = api.trigger(event["id"], 4, override_reason="no thresholds in force").json()

    reply = mark_done(api, response["id"], "situation_report")

    assert reply.status_code == 404
    assert reply.json()["detail"]["code"] == "not_found"


@pytest.mark.parametrize("note", ["x" * 2001, "bad\x00note", 5])
def test_a_bad_note_is_422_and_marks_nothing(api, rid, note):
    reply = mark_done(api, rid, "situation_report", note=note)

    assert reply.status_code == 422
    assert deadlines(api, rid)["situation_report"]["done_at"] is None


def test_a_deadline_can_be_marked_without_a_body(api, rid):
    reply = api.client.post(
        f"/api/v1/responses/{rid}/deadlines/supplies_arrive/done", headers=api.users["duty"]
    )

    assert reply.status_code == 200, reply.text
    assert reply.json()["done_by"] == "duty"


@pytest.mark.parametrize("user", ["wc_manager", "wc_staff", "approver"])
def test_only_duty_officers_and_admins_mark_deadlines_done(api, rid, user):
    assert mark_done(api, rid, "situation_report", user=user).status_code == 403
    assert deadlines(api, rid)["situation_report"]["done_at"] is None
    assert mark_done(api, rid, "situation_report", user="admin").status_code == 200


def test_an_ended_response_takes_no_more_markings(api, rid):
    api.patch(rid, "end")

    reply = mark_done(api, rid, "situation_report")

    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "invalid_transition"


def test_a_level_change_rebases_open_deadlines_and_keeps_done_ones(api, rid):
    mark_done(api, rid, "supplies_arrive", note="到达")
    move_clock(api, timedelta(hours=2))

    api.patch(rid, "escalate", level=3, override_reason="more villages cut off")
    after = deadlines(api, rid)

    # Done at 12:00 against the level IV deadline of 13:00: it stays so.
    supplies = after["supplies_arrive"]
    assert (supplies["due_at"], supplies["done_at"], supplies["level"]) == (
        "2026-07-01T13:00:00+08:00",
        "2026-07-01T12:00:00+08:00",
        4,
    )
    # Open ones run again from the escalation at 14:00, level III.
    assert after["situation_report"]["due_at"] == "2026-07-02T14:00:00+08:00"
    assert after["situation_report"]["level"] == 3


def test_marking_a_deadline_done_is_audited(api, rid, engine):
    mark_done(api, rid, "situation_report", note="报告已报送")

    with session_for(engine, write=False) as session:
        records = session.exec(
            select(AuditRecord).where(AuditRecord.entity == "response_deadline")
        ).all()

    assert [(r.action, r.actor) for r in records] == [("done", "duty")]
    assert records[0].after["response_id"] == rid
    assert records[0].after["name"] == "situation_report"
    assert records[0].after["note"] == "报告已报送"


def test_parallel_markings_of_one_deadline_let_exactly_one_through(api, rid, live_server, parallel):
    headers = api.users["duty"]
    url = f"{live_server}/api/v1/responses/{rid}/deadlines/situation_report/done"

    def mark(i: int):
        def call():
            with httpx.Client(timeout=60) as http:
                return http.post(url, json={"note": f"try {i}"}, headers=headers)

        return call

    replies = parallel([mark(i) for i in range(6)])

    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200, 409, 409, 409, 409, 409], [r.text for r in replies]
    assert {r.json()["detail"]["code"] for r in replies if r.status_code == 409} == {
        "deadline_already_done"
    }
