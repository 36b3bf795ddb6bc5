"""When statistics reports are due (issue 14, Deadlines): 初报 within 2 h (to the province
too with 10+ dead or missing), 续报 daily at 09:00 (drought: every 10 days), 核报 within N
working days of the event being declared stable; the policy's `reporting:` overrides the
national defaults; a 零报告 repeats the previous report."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from relief.emergency.records import COUNT_FIELDS, Report
from relief.emergency.reporting import add_working_days, due_reports, rules_from

CST = timezone(timedelta(hours=8))
START = datetime(2026, 7, 1, 6, 0, tzinfo=CST)  # a Wednesday


def report(kind: str, at: datetime, deaths: int = 0, region: str = "150125101") -> Report:
    counts = dict.fromkeys(COUNT_FIELDS, 0) | {"deaths": deaths}
    return Report(region, kind, at, counts)


def due(reports, now, *, hazard="flood", stable_at=None, rules=None):
    items = due_reports(
        rules or rules_from({}),
        hazard=hazard,
        started_at=START,
        reports=reports,
        stable_at=stable_at,
        now=now,
    )
    return [item.to_dict() for item in items]


def test_national_defaults():
    rules = rules_from({})
    assert rules.initial_h == 2 and rules.escalate_dead_missing == 10
    assert rules.update_due == {"county": time(9), "city": time(10), "province": time(12)}
    assert rules.final_working_days == 5 and rules.drought_update_days == 10


def test_policy_overrides_and_bad_values_name_the_key():
    rules = rules_from({"final_working_days": 3, "update_due": {"county": "08:30"}})
    assert rules.final_working_days == 3 and rules.update_due["county"] == time(8, 30)
    assert rules.update_due["city"] == time(10)
    with pytest.raises(ValueError, match="final_working_days"):
        rules_from({"final_working_days": 0})
    with pytest.raises(ValueError, match="update_due"):
        rules_from({"update_due": {"county": "9 o'clock"}})
    with pytest.raises(ValueError, match="nonsense"):
        rules_from({"nonsense": 1})


def test_initial_report_due_two_hours_after_learning_and_overdue_when_missed():
    items = due([], START + timedelta(hours=3))
    assert items[0]["kind"] == "initial"
    assert items[0]["due_at"] == (START + timedelta(hours=2)).isoformat()
    assert items[0]["status"] == "overdue" and items[0]["overdue"]
    on_time = due([report("initial", START + timedelta(hours=1))], START + timedelta(hours=3))
    assert on_time[0]["status"] == "done"
    late = due(
        [report("initial", START + timedelta(hours=2, minutes=5))], START + timedelta(hours=3)
    )
    assert late[0]["status"] == "late"


def test_ten_dead_or_missing_go_straight_to_the_province():
    now = START + timedelta(hours=1)
    assert [i["kind"] for i in due([report("initial", now, deaths=9)], now)][:2] == [
        "initial",
        "update",
    ]
    items = due([report("initial", now, deaths=10)], now)
    assert items[1]["kind"] == "initial_province" and items[1]["to"] == "province"


def test_daily_update_due_at_nine_covering_the_day_before_and_zero_counts():
    now = datetime(2026, 7, 3, 9, 30, tzinfo=CST)
    reports = [
        report("initial", START + timedelta(hours=1)),
        report("update", datetime(2026, 7, 2, 8, 0, tzinfo=CST)),
    ]
    updates = [i for i in due(reports, now) if i["kind"] == "update"]
    assert [(u["due_at"], u["status"]) for u in updates] == [
        ("2026-07-02T09:00:00+08:00", "done"),
        ("2026-07-03T09:00:00+08:00", "overdue"),
        ("2026-07-04T09:00:00+08:00", "open"),
    ]
    assert updates[0]["covers_until"] == "2026-07-02T00:00:00+08:00"


def test_drought_updates_every_ten_days():
    now = datetime(2026, 7, 12, 8, 0, tzinfo=CST)
    updates = [i for i in due([], now, hazard="drought") if i["kind"] == "update"]
    assert [u["due_at"] for u in updates] == [
        "2026-07-11T09:00:00+08:00",
        "2026-07-21T09:00:00+08:00",
    ]


def test_working_days_skip_weekends_and_holidays():
    friday = date(2026, 7, 3)
    assert add_working_days(friday, 1, frozenset()) == date(2026, 7, 6)
    assert add_working_days(friday, 5, frozenset({date(2026, 7, 6)})) == date(2026, 7, 13)


def test_final_report_waits_for_stable_then_due_in_working_days():
    now = datetime(2026, 7, 3, 12, 0, tzinfo=CST)
    assert due([], now)[-1] == {
        "kind": "final",
        "by": "county",
        "to": "city",
        "unit": None,
        "due_at": None,
        "covers_until": None,
        "done_at": None,
        "reported_at": None,
        "status": "waiting",
        "overdue": False,
    }
    stable = datetime(2026, 7, 3, 10, 0, tzinfo=CST)  # Friday: 5 working days → Friday 10th
    items = due([], now, stable_at=stable)
    assert items[-1]["due_at"] == "2026-07-11T00:00:00+08:00"
    # No 续报 falls due after the stable day.
    assert max(i["due_at"] for i in items if i["kind"] == "update") == "2026-07-03T09:00:00+08:00"
    three = rules_from({"final_working_days": 3, "holidays": ["2026-07-06"]})
    assert due([], now, stable_at=stable, rules=three)[-1]["due_at"] == "2026-07-10T00:00:00+08:00"
    late = datetime(2026, 7, 12, 0, 0, tzinfo=CST)
    assert due([], late, stable_at=stable)[-1]["status"] == "overdue"


# --- through the API ------------------------------------------------------------------------


def test_api_lists_what_is_due_and_the_duty_officer_declares_stable(api):
    event = api.create_event(["150125"]).json()
    items = api.get(f"/events/{event['id']}/reporting").json()
    assert items[0]["kind"] == "initial" and items[0]["status"] == "overdue"  # NOW = start + 6 h
    assert items[-1]["status"] == "waiting"

    refused = api.client.post(
        f"/api/v1/events/{event['id']}/stable", json={}, headers=api.users["wc_staff"]
    )
    assert refused.status_code == 403
    future = api.client.post(
        f"/api/v1/events/{event['id']}/stable",
        json={"at": (api.now + timedelta(hours=1)).isoformat()},
        headers=api.users["duty"],
    )
    assert future.status_code == 422 and future.json()["detail"]["field"] == "at"
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/stable", json={}, headers=api.users["duty"]
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["stable_at"] == api.now.isoformat()
    final = api.get(f"/events/{event['id']}/reporting").json()[-1]
    assert final["kind"] == "final" and final["due_at"] == "2026-07-09T00:00:00+08:00"
    assert api.get(f"/events/{event['id']}").json()["stable_at"] == api.now.isoformat()


def test_zero_report_repeats_the_previous_report(api):
    event = api.create_event(["150125"]).json()
    first = api.report(event["id"], "150125101", relocated=30, at=api.now - timedelta(hours=3))
    assert first.status_code == 201, first.text
    body = api.report_body(
        "150125101", kind="update", relocated=30, explanation=None, at=api.now - timedelta(hours=1)
    )
    changed = api.client.post(
        f"/api/v1/events/{event['id']}/reports",
        json=body | {"zero_report": True, "relocated": 31},
        headers=api.users["wc_staff"],
    )
    assert changed.status_code == 422
    assert changed.json()["detail"]["code"] == "zero_report_changed"
    assert changed.json()["detail"]["field"] == "relocated"
    assert "relocated differs" in changed.json()["detail"]["message"]
    in_chinese = api.client.post(
        f"/api/v1/events/{event['id']}/reports",
        json=body | {"zero_report": True, "relocated": 31},
        headers=api.users["wc_staff"] | {"Accept-Language": "zh-CN"},
    )
    # The figure by the form's word, never the API's field name, in Chinese.
    assert "紧急转移安置人数" in in_chinese.json()["detail"]["message"]
    assert "relocated" not in in_chinese.json()["detail"]["message"]
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports",
        json=body | {"zero_report": True},
        headers=api.users["wc_staff"],
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["zero_report"] is True
    assert Decimal(reply.json()["relocated"]) == 30
    no_previous = api.client.post(
        f"/api/v1/events/{event['id']}/reports",
        json=api.report_body("150125102", kind="update", explanation=None) | {"zero_report": True},
        headers=api.users["wc_staff"],
    )
    assert no_previous.status_code == 422 and no_previous.json()["detail"]["field"] == "zero_report"
