"""Events, reports and the assessment through the API; loading an event from a scenario
file; and `relief assess` on every shipped event."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from typer.testing import CliRunner

from relief.audit.models import AuditRecord
from relief.auth.models import SYSTEM
from relief.cli import app as cli
from relief.db import session_for, transaction
from relief.emergency import service as events
from relief.emergency.records import COUNT_FIELDS, EventSpec, Report

REPO = Path(__file__).resolve().parents[2]


def detail(reply) -> dict:
    return reply.json()["detail"]


# --- events ------------------------------------------------------------------------------


def test_a_duty_officer_creates_an_event_that_every_user_reads(api):
    reply = api.create_event(["150125", "150125"])

    assert reply.status_code == 201
    event = reply.json()
    assert event["name"] == "武川县暴雨"
    assert event["hazard"] == "flood"
    assert event["started_at"] == "2026-07-01T06:00:00+08:00"
    assert event["region_codes"] == ["150125"]
    assert event["active_response_id"] is None
    for user in ("wc_manager", "wc_staff", "approver"):
        assert api.get(f"/events/{event['id']}", user=user).json() == event
    assert [e["id"] for e in api.get("/events", user="wc_manager").json()] == [event["id"]]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"region_codes": ["150125", "999999"]}, "unknown_code", "region_codes[1]"),
        ({"region_codes": []}, "validation_error", "region_codes"),
        ({"started_at": "2026-07-01T06:00:00"}, "validation_error", "started_at"),
        ({"started_at": "0001-01-01T00:00:00+08:00"}, "validation_error", "started_at"),
        ({"hazard": "meteor"}, "validation_error", "hazard"),
        ({"name": ""}, "validation_error", "name"),
        ({"name": "bad\x00name"}, "validation_error", "name"),
        ({"level": 5}, "validation_error", "level"),
    ],
)
def test_a_bad_event_is_refused_on_its_field_and_nothing_is_created(api, change, code, field):
    body = {
        "name": "x",
        "hazard": "flood",
        "started_at": api.started.isoformat(),
        "region_codes": ["150125"],
        **change,
    }
    reply = api.client.post("/api/v1/events", json=body, headers=api.users["duty"])

    assert reply.status_code == 422
    assert (detail(reply)["code"], detail(reply)["field"]) == (code, field)
    assert api.get("/events").json() == []


@pytest.mark.parametrize("user", ["wc_manager", "wc_staff", "approver"])
def test_only_duty_officers_and_admins_create_events(api, user):
    assert api.create_event(["150125"], user=user).status_code == 403
    assert api.create_event(["150125"], user="admin").status_code == 201
    assert len(api.get("/events").json()) == 1


def test_an_unknown_event_is_404(api):
    for path in ("/events/999", "/events/99999999999999999", "/events/999/assessment"):
        reply = api.get(path)
        assert reply.status_code == 404, path
        assert detail(reply)["code"] == "not_found"
    assert api.report(999, "150125101", relocated=1).status_code == 404


def test_reading_needs_a_token(client, event):
    assert client.get("/api/v1/events").status_code == 401
    assert client.get(f"/api/v1/events/{event['id']}/assessment").status_code == 401


# --- reports -----------------------------------------------------------------------------


def test_a_report_is_stored_and_listed_with_china_time(api, event):
    reply = api.report(event["id"], "150125101", relocated=800, needing_aid=300)

    assert reply.status_code == 201
    report = reply.json()
    assert report["region_code"] == "150125101"
    assert report["reported_at"] == "2026-07-01T11:00:00+08:00"
    assert report["relocated"] == 800
    assert report["created_by"] == "duty"
    assert api.get(f"/events/{event['id']}/reports", user="wc_staff").json()["items"] == [report]
    # Reports are read in scope (issue 14 review): a user without regions sees none.
    assert api.get(f"/events/{event['id']}/reports", user="wc_manager").json()["items"] == []


def test_a_report_outside_the_event_regions_is_refused_on_region_code(api, event):
    reply = api.report(event["id"], "150122100", relocated=5)

    assert reply.status_code == 422
    assert detail(reply)["field"] == "region_code"
    assert api.get(f"/events/{event['id']}/reports").json()["items"] == []


def test_an_unknown_region_is_an_unknown_code(api, event):
    reply = api.report(event["id"], "159999", relocated=5)

    assert reply.status_code == 422
    assert (detail(reply)["code"], detail(reply)["field"]) == ("unknown_code", "region_code")


def test_a_region_above_or_below_a_reported_region_is_refused(api, event):
    assert api.report(event["id"], "150125101", relocated=10).status_code == 201

    above = api.report(event["id"], "150125", relocated=10)
    sibling = api.report(event["id"], "150125102", relocated=10)
    again = api.report(event["id"], "150125101", kind="update", relocated=12)

    assert above.status_code == 422
    assert detail(above)["field"] == "region_code"
    assert "would count twice" in detail(above)["message"]
    assert (sibling.status_code, again.status_code) == (201, 201)

    other = api.create_event(["150125"]).json()
    assert api.report(other["id"], "150125", relocated=10).status_code == 201
    below = api.report(other["id"], "150125102", relocated=10)
    assert below.status_code == 422
    assert detail(below)["field"] == "region_code"


def test_after_a_final_report_only_another_final_is_accepted(api, event):
    t = api.now - timedelta(hours=3)
    assert api.report(event["id"], "150125101", at=t, relocated=10).status_code == 201
    stable = api.client.post(
        f"/api/v1/events/{event['id']}/stable", json={}, headers=api.users["duty"]
    )
    assert stable.status_code == 200
    final = api.report(event["id"], "150125101", kind="final", at=t, relocated=11)
    assert final.status_code == 201

    update = api.report(event["id"], "150125101", kind="update", relocated=12)
    correction = api.report(event["id"], "150125101", kind="final", relocated=13)

    assert update.status_code == 422
    assert detail(update)["field"] == "kind"
    assert correction.status_code == 201
    # Other regions are not affected by this region's final report.
    assert api.report(event["id"], "150125102", kind="update", relocated=1).status_code == 201


@pytest.mark.parametrize("value", [-1, 1.5, "3", True, None, 10**12])
@pytest.mark.parametrize("field", ["deaths", "general_rooms"])
def test_counts_are_non_negative_integers(api, event, field, value):
    body = api.report_body("150125101")
    body[field] = value
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports", json=body, headers=api.users["duty"]
    )

    assert reply.status_code == 422
    assert detail(reply)["field"] == field


def test_every_count_is_required(api, event):
    body = api.report_body("150125101")
    del body["missing"]
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports", json=body, headers=api.users["duty"]
    )

    assert reply.status_code == 422
    assert detail(reply)["field"] == "missing"


def test_reported_at_needs_an_offset_and_is_not_in_the_future(api, event):
    naive = api.report_body("150125101")
    naive["reported_at"] = "2026-07-01T10:00:00"
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports", json=naive, headers=api.users["duty"]
    )
    assert reply.status_code == 422
    assert detail(reply)["field"] == "reported_at"

    future = api.report(event["id"], "150125101", at=api.now + timedelta(minutes=1))
    assert future.status_code == 422
    assert detail(future)["field"] == "reported_at"

    # "Now" is not the future; the same instant in UTC is the same time.
    assert api.report(event["id"], "150125101", at=api.now).status_code == 201
    assert api.get(f"/events/{event['id']}/reports").json()["items"][0]["reported_at"] == (
        "2026-07-01T12:00:00+08:00"
    )


def test_county_staff_report_only_for_regions_in_their_scope(api, event):
    tkt = api.create_event(["150122"]).json()

    mine = api.report(event["id"], "150125101", user="wc_staff", relocated=3)
    other = api.report(tkt["id"], "150122100", user="wc_staff", relocated=3)

    assert mine.status_code == 201
    assert other.status_code == 403
    assert detail(other)["code"] == "scope_forbidden"
    assert api.get(f"/events/{tkt['id']}/reports").json()["items"] == []


@pytest.mark.parametrize("user", ["wc_manager", "approver"])
def test_managers_and_approvers_file_no_reports(api, event, user):
    reply = api.report(event["id"], "150125101", user=user, relocated=3)

    assert reply.status_code == 403
    assert detail(reply)["code"] == "role_forbidden"
    assert api.get(f"/events/{event['id']}/reports").json()["items"] == []


# --- assessment ----------------------------------------------------------------------------


def test_the_assessment_rolls_up_the_latest_report_of_each_region(api, event):
    early = api.now - timedelta(hours=5)
    api.report(
        event["id"], "150125101", at=early, deaths=1, missing=1, relocated=800, needing_aid=300
    )
    api.report(event["id"], "150125102", at=early, relocated=200, needing_aid=100)

    first = api.get(f"/events/{event['id']}/assessment", user="wc_manager").json()

    # 1 + 1 dead or missing; 800 + 300 + 200 + 100 relocated or aided: level 4 (>= 1000).
    assert first["totals"]["dead_missing"] == 2
    assert first["totals"]["relocated_or_aided"] == 1400
    assert first["totals"]["relocated"] == 1000
    assert first["recommended_level"] == 4
    assert first["exceeded"] == [
        {"criterion": "relocated_or_aided", "value": 1400, "threshold": 1000, "level": 4}
    ]
    by_region = {entry["region_code"]: entry["totals"] for entry in first["by_region"]}
    assert list(by_region) == ["150000", "150100", "150125", "150125101", "150125102"]
    assert by_region["150125"]["relocated"] == 1000
    assert by_region["150100"]["relocated_or_aided"] == 1400
    assert by_region["150125102"]["needing_aid"] == 100

    # A later update replaces the township's figures; an older one changes nothing.
    api.report(event["id"], "150125101", kind="update", relocated=5000, needing_aid=300)
    api.report(event["id"], "150125101", kind="update", at=early - timedelta(hours=1), relocated=1)
    second = api.get(f"/events/{event['id']}/assessment").json()

    # 5000 + 300 + 200 + 100 = 5600 >= 5000: level 3; dead_missing now 0.
    assert second["totals"]["relocated_or_aided"] == 5600
    assert second["totals"]["dead_missing"] == 0
    assert second["recommended_level"] == 3
    assert [(e["level"], e["criterion"]) for e in second["exceeded"]] == [
        (3, "relocated_or_aided"),
        (4, "relocated_or_aided"),
    ]


def test_of_two_reports_at_the_same_time_the_later_submission_counts(api, event):
    api.report(event["id"], "150125101", kind="update", relocated=10)
    api.report(event["id"], "150125101", kind="update", relocated=7)

    totals = api.get(f"/events/{event['id']}/assessment").json()["totals"]

    assert totals["relocated"] == 7


def test_an_event_without_reports_recommends_nothing(api, event):
    assessment = api.get(f"/events/{event['id']}/assessment").json()

    assert assessment["recommended_level"] is None
    assert assessment["exceeded"] == []
    assert assessment["by_region"] == []
    assert all(assessment["totals"][name] == 0 for name in COUNT_FIELDS)


json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    # NaN and infinities are not JSON: the client refuses to send them.
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    field=st.sampled_from(["region_code", "kind", "reported_at", *COUNT_FIELDS]), value=json_values
)
def test_bad_report_input_never_gets_a_server_error(api, event, field, value):
    body = api.report_body("150125101", relocated=1)
    body[field] = value
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports", json=body, headers=api.users["duty"]
    )

    assert reply.status_code < 500, reply.text


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    field=st.sampled_from(["name", "hazard", "started_at", "region_codes", "level"]),
    value=json_values,
)
def test_bad_event_input_never_gets_a_server_error(api, field, value):
    body = {
        "name": "x",
        "hazard": "flood",
        "started_at": api.started.isoformat(),
        "region_codes": ["150125"],
        field: value,
    }
    reply = api.client.post("/api/v1/events", json=body, headers=api.users["duty"])

    assert reply.status_code < 500, reply.text


def test_a_body_that_is_not_json_is_a_bad_request(api, event):
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports",
        content=b"{not json",
        headers={**api.users["duty"], "Content-Type": "application/json"},
    )

    assert reply.status_code == 400


# --- loading an event from a scenario file -------------------------------------------------


def _spec(api) -> EventSpec:
    at = api.now - timedelta(hours=2)
    counts = dict.fromkeys(COUNT_FIELDS, 0)
    return EventSpec(
        name="flood",
        title="武川县山洪",
        hazard="flood",
        started_at=api.started,
        level=3,
        region_codes=["150125"],
        closed_roads=[("150125", "150125102")],
        reports=[
            Report("150125101", "initial", at, {**counts, "relocated": 4000}, 0),
            Report("150125102", "initial", at, {**counts, "needing_aid": 1500}, 1),
        ],
    )


def _audit_count(engine) -> int:
    with session_for(engine, write=False) as session:
        return len(session.exec(select(AuditRecord)).all())


def test_loading_an_event_twice_creates_it_once_and_records_nothing_the_second_time(api, engine):
    spec = _spec(api)
    with transaction(engine) as session:
        event, outcome = events.load_event(session, SYSTEM, spec, "small/flood")
    assert outcome == "created"
    audits = _audit_count(engine)

    with transaction(engine) as session:
        again, outcome = events.load_event(session, SYSTEM, spec, "small/flood")

    assert (again.id, outcome) == (event.id, "unchanged")
    assert _audit_count(engine) == audits
    loaded = api.get(f"/events/{event.id}").json()
    assert (loaded["name"], loaded["level"], loaded["key"]) == ("武川县山洪", 3, "small/flood")
    assert len(api.get(f"/events/{event.id}/reports").json()["items"]) == 2
    closures = api.get(f"/events/{event.id}/road-closures").json()
    assert [(c["from_code"], c["to_code"]) for c in closures] == [("150125", "150125102")]
    # 4000 relocated + 1500 needing aid = 5500 >= 5000: level 3.
    assert api.get(f"/events/{event.id}/assessment").json()["recommended_level"] == 3


def test_reloading_a_changed_event_file_updates_the_event_audited(api, engine):
    spec = _spec(api)
    with transaction(engine) as session:
        event, _ = events.load_event(session, SYSTEM, spec, "small/flood")
    api_report = api.report(event.id, "150125", kind="initial", relocated=1)
    assert api_report.status_code == 422  # 150125 is above the file's townships

    changed = replace(
        spec,
        title="武川县山洪（续）",
        closed_roads=[],
        reports=[replace(spec.reports[0], counts={**spec.reports[0].counts, "relocated": 100})],
    )
    with transaction(engine) as session:
        _, outcome = events.load_event(session, SYSTEM, changed, "small/flood")

    assert outcome == "updated"
    assert api.get(f"/events/{event.id}").json()["name"] == "武川县山洪（续）"
    reports = api.get(f"/events/{event.id}/reports").json()["items"]
    assert [(r["region_code"], r["relocated"]) for r in reports] == [("150125101", 100)]
    assert api.get(f"/events/{event.id}/road-closures").json() == []
    with session_for(engine, write=False) as session:
        actions = {
            (r.entity, r.action)
            for r in session.exec(select(AuditRecord).where(AuditRecord.actor == "system")).all()
        }
    assert {("event", "update"), ("report", "update"), ("report", "delete")} <= actions
    assert ("road_closure", "delete") in actions


# --- relief assess ---------------------------------------------------------------------------

# The level each shipped event's README states (scenarios/check_expected.py holds the same).
SHIPPED = {
    ("hohhot", "flashflood"): (2, "relocated_or_aided"),
    ("hohhot", "snowstorm"): (4, "relocated_or_aided"),
    ("guizhou", "flood"): (2, "relocated_or_aided"),
    ("guizhou", "landslide"): (4, "dead_missing"),
    # The national plan's drought criterion: a share of the province's 乡村人口 (issue 14).
    ("guizhou", "drought"): (4, "drought_share"),
}


def test_every_shipped_event_has_an_expected_level():
    shipped = {
        (path.parent.parent.name, path.stem)
        for path in (REPO / "scenarios").glob("*/events/*.yaml")
    }
    assert shipped == set(SHIPPED)


@pytest.mark.parametrize(("scenario", "event"), sorted(SHIPPED))
def test_relief_assess_gives_each_shipped_event_its_stated_level(scenario, event):
    level, criterion = SHIPPED[(scenario, event)]
    folder = REPO / "scenarios" / scenario

    text = CliRunner().invoke(cli, ["assess", "--scenario", str(folder), "--event", event])
    as_json = CliRunner().invoke(
        cli, ["assess", "--scenario", str(folder), "--event", event, "--json", "-"]
    )

    assert text.exit_code == 0, text.output
    assert f"recommended level: {level} " in text.output
    assert as_json.exit_code == 0, as_json.output
    result = json.loads(as_json.output)
    assert result["recommended_level"] == level
    reaching = {e["criterion"] for e in result["exceeded"] if e["level"] == level}
    assert reaching == {criterion}
    assert set(result) == {"totals", "by_region", "recommended_level", "exceeded"}


def test_relief_assess_writes_json_to_a_file(tmp_path):
    out = tmp_path / "assessment.json"
    folder = REPO / "scenarios" / "hohhot"

    result = CliRunner().invoke(
        cli, ["assess", "--scenario", str(folder), "--event", "snowstorm", "--json", str(out)]
    )

    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["totals"]["relocated_or_aided"] == 4100


def test_relief_assess_exits_2_with_the_problems_of_an_invalid_scenario(tmp_path):
    folder = tmp_path / "hohhot"
    shutil.copytree(REPO / "scenarios" / "hohhot", folder)
    (folder / "items.csv").unlink()

    result = CliRunner().invoke(cli, ["assess", "--scenario", str(folder), "--event", "snowstorm"])

    assert result.exit_code == 2
    assert "items.csv:0: file: missing" in result.output


def test_relief_assess_exits_2_for_an_unknown_event():
    folder = REPO / "scenarios" / "hohhot"

    result = CliRunner().invoke(cli, ["assess", "--scenario", str(folder), "--event", "quake"])

    assert result.exit_code == 2
    assert "flashflood, snowstorm" in result.output


def test_the_reports_list_is_paged_and_costs_the_same_statements_for_any_page(
    api, event, count_statements
):
    filed = []
    for n in range(8):
        kind = "initial" if n == 0 else "update"
        at = api.now - timedelta(hours=9 - n)
        reply = api.report(event["id"], "150125101", kind=kind, at=at, relocated=10 * (n + 1))
        assert reply.status_code == 201, reply.text
        filed.append(reply.json()["id"])
    url = f"/events/{event['id']}/reports"
    page = api.get(f"{url}?limit=3&offset=3", user="wc_staff").json()
    assert [r["id"] for r in page["items"]] == filed[3:6]
    assert (page["total"], page["limit"], page["offset"]) == (8, 3, 3)
    assert api.get(url, user="wc_manager").json()["total"] == 0  # no regions, no reports

    def listed(limit: int):
        return lambda: api.get(f"{url}?limit={limit}", user="wc_staff")

    listed(1)()
    small, large = count_statements(listed(1)), count_statements(listed(8))
    assert small > 0
    assert large == small, f"{small} statements for 1 report, {large} for 8"
