"""Findings of the issue-14 review (reporting rules): 核报 only after stable and per county,
deadlines per reporting unit and scoped, the explanation rule not dodged, timeliness by the
time of filing, stable once, the daily summary's 24 hours, reads in scope, the inbox's
deadline rows in the API."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from relief import clock

CST = clock.CST


def post(api, event_id, region, user="duty", **kwargs):
    return api.report(event_id, region, user=user, **kwargs)


def stable(api, event_id, user="duty"):
    return api.client.post(f"/api/v1/events/{event_id}/stable", json={}, headers=api.users[user])


def due(api, event_id, user="duty"):
    reply = api.get(f"/events/{event_id}/reporting", user=user)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.fixture
def two_counties(api) -> int:
    """An event over 武川县 (150125) and 托克托县 (150122)."""
    reply = api.create_event(["150125", "150122"])
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


# --- 1. 核报 ---------------------------------------------------------------------------------


def test_a_final_report_before_the_event_is_stable_is_refused_on_kind(api, event):
    assert post(api, event["id"], "150125101", relocated=5).status_code == 201
    reply = post(api, event["id"], "150125101", kind="final", relocated=5)
    assert reply.status_code == 422
    assert (reply.json()["detail"]["code"], reply.json()["detail"]["field"]) == (
        "final_before_stable",
        "kind",
    )
    assert stable(api, event["id"]).status_code == 200
    assert post(api, event["id"], "150125101", kind="final", relocated=5).status_code == 201


def test_one_townships_final_does_not_complete_the_countys(api, event):
    t = api.now - timedelta(hours=3)
    for town in ("150125101", "150125102"):
        assert post(api, event["id"], town, at=t, relocated=5).status_code == 201
    assert stable(api, event["id"]).status_code == 200
    assert post(api, event["id"], "150125101", kind="final", relocated=5).status_code == 201
    final = [d for d in due(api, event["id"]) if d["kind"] == "final"]
    assert [(d["unit"], d["status"]) for d in final] == [("150125", "open")]
    assert post(api, event["id"], "150125102", kind="final", relocated=5).status_code == 201
    final = [d for d in due(api, event["id"]) if d["kind"] == "final"]
    assert [(d["unit"], d["status"]) for d in final] == [("150125", "done")]


# --- 2. per county, scoped -------------------------------------------------------------------


def test_deadlines_are_per_county_with_city_and_province_rows(api, two_counties):
    t = api.started + timedelta(hours=1)
    assert post(api, two_counties, "150125101", at=t, relocated=5).status_code == 201
    items = due(api, two_counties)
    initial = {d["unit"]: d["status"] for d in items if d["kind"] == "initial"}
    assert initial == {"150125": "late", "150122": "overdue"}  # filed at NOW (start + 6 h)
    by = {(d["by"], d["unit"]) for d in items if d["kind"] == "update"}
    assert ("city", "150100") in by and ("province", "150000") in by
    city = next(d for d in items if d["by"] == "city")
    assert city["to"] == "province" and city["due_at"].endswith("T10:00:00+08:00")
    province = next(d for d in items if d["by"] == "province")
    assert province["to"] == "ministry" and province["due_at"].endswith("T12:00:00+08:00")
    assert items[-1]["kind"] == "final"  # the 核报 stay last, as before


def test_county_staff_see_their_own_countys_rows_only(api, two_counties):
    mine = due(api, two_counties, user="wc_staff")
    assert mine and {d["unit"] for d in mine} == {"150125"}
    city = due(api, two_counties, user="approver")  # scoped to 呼和浩特市
    assert {d["unit"] for d in city} == {"150125", "150122", "150100"}
    assert due(api, two_counties, user="wc_manager") == []


def test_the_quick_forms_reporting_unit_is_the_callers_own(api, two_counties):
    url = f"/api/v1/events/{two_counties}/statistics?table=quick&format=json"
    assert post(api, two_counties, "150125101", relocated=5).status_code == 201
    reply = api.client.get(url, headers=api.users["wc_staff"])
    assert reply.status_code == 200
    import io

    from openpyxl import load_workbook

    xlsx = api.client.get(url.replace("json", "xlsx"), headers=api.users["wc_staff"])
    cells = " ".join(
        str(c.value)
        for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows()
        for c in row
    )
    assert "武川县" in cells and "托克托县" not in cells
    duty = api.client.get(url.replace("json", "xlsx"), headers=api.users["duty"])
    cells = " ".join(
        str(c.value)
        for row in load_workbook(io.BytesIO(duty.content)).active.iter_rows()
        for c in row
    )
    assert "武川县" in cells and "托克托县" in cells


# --- 3. the explanation rule ------------------------------------------------------------------


def test_a_figure_left_out_of_an_update_is_compared_with_its_last_value(api, event):
    t = api.now - timedelta(hours=4)
    body = api.report_body("150125101", at=t) | {"affected": 100}
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports", json=body, headers=api.users["duty"]
    )
    assert reply.status_code == 201, reply.text
    # A 续报 without `affected`: nothing to explain.
    assert (
        post(
            api,
            event["id"],
            "150125101",
            kind="update",
            explanation=None,
            at=t + timedelta(hours=1),
        ).status_code
        == 201
    )
    # The next raises it from 100 to 300: against the last value given, a jump.
    body = api.report_body(
        "150125101", kind="update", explanation=None, at=t + timedelta(hours=2)
    ) | {"affected": 300}
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports", json=body, headers=api.users["duty"]
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["code"] == "explanation_required"
    assert reply.json()["detail"]["fields"] == ["affected"]


def test_a_second_initial_report_of_a_township_is_filed_as_an_update(api, event):
    t = api.now - timedelta(hours=2)
    assert post(api, event["id"], "150125101", at=t, relocated=5).status_code == 201
    # A second 初报 is a 续报: raising a figure that much needs an explanation.
    jump = post(api, event["id"], "150125101", relocated=500)
    assert jump.status_code == 422
    assert jump.json()["detail"]["code"] == "explanation_required"
    same = post(api, event["id"], "150125101", relocated=6)
    assert same.status_code == 201 and same.json()["kind"] == "update"
    # Another township's first report is still an initial one.
    first = post(api, event["id"], "150125102", relocated=5)
    assert first.status_code == 201 and first.json()["kind"] == "initial"


# --- 4. timeliness by the time of filing --------------------------------------------------------


def test_a_backdated_report_is_judged_by_when_it_was_filed(api, event):
    claimed = api.started + timedelta(hours=1)  # inside the 2 h; filed at NOW (start + 6 h)
    assert post(api, event["id"], "150125101", at=claimed, relocated=5).status_code == 201
    initial = due(api, event["id"])[0]
    assert initial["kind"] == "initial" and initial["status"] == "late"
    assert initial["done_at"] == api.now.isoformat()
    assert initial["reported_at"] == claimed.isoformat()


def test_a_reported_at_long_before_the_event_is_refused(api, event):
    early = api.started - timedelta(days=1, minutes=1)
    reply = post(api, event["id"], "150125101", at=early, relocated=5)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "reported_at"
    ok = post(api, event["id"], "150125101", at=api.started - timedelta(hours=23), relocated=5)
    assert ok.status_code == 201
    future = post(api, event["id"], "150125102", at=api.now + timedelta(minutes=5), relocated=5)
    assert future.status_code == 422 and future.json()["detail"]["field"] == "reported_at"


# --- 6. lows ------------------------------------------------------------------------------------


def test_declaring_stable_twice_is_a_conflict_and_keeps_the_deadline(api, event):
    assert stable(api, event["id"]).status_code == 200
    before = [d for d in due(api, event["id"]) if d["kind"] == "final"]
    again = api.client.post(
        f"/api/v1/events/{event['id']}/stable",
        json={"at": (api.now - timedelta(hours=1)).isoformat()},
        headers=api.users["duty"],
    )
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_stable"
    assert [d for d in due(api, event["id"]) if d["kind"] == "final"] == before


def test_the_daily_summary_covers_the_24_hours_of_the_day_given(api, event):
    def daily(day=None):
        url = f"/api/v1/events/{event['id']}/statistics?table=daily&format=json"
        reply = api.client.get(url + (f"&day={day}" if day else ""), headers=api.users["duty"])
        assert reply.status_code == 200, reply.text
        return reply.json()

    assert (
        post(
            api, event["id"], "150125101", at=api.started + timedelta(hours=1), relocated=100
        ).status_code
        == 201
    )
    later = datetime(2026, 7, 3, 12, 0, tzinfo=CST)
    clock.set_clock(lambda: later)
    api.users.relogin()
    for at, value in (
        (datetime(2026, 7, 2, 10, 0, tzinfo=CST), 130),
        (datetime(2026, 7, 3, 8, 0, tzinfo=CST), 500),
    ):
        reply = post(api, event["id"], "150125101", kind="update", at=at, relocated=value)
        assert reply.status_code == 201, reply.text
    summary = daily()  # default: yesterday, 2 July
    assert "2026-07-02 0时至24时" in summary["title"]
    row = summary["rows"][0]
    assert (row["relocated"], row["relocated_change"]) == (130, 30)
    first = daily("2026-07-01")
    assert (first["rows"][0]["relocated"], first["rows"][0]["relocated_change"]) == (100, 100)
    future = api.client.get(
        f"/api/v1/events/{event['id']}/statistics?table=daily&format=json&day=2026-07-04",
        headers=api.users["duty"],
    )
    assert future.status_code == 422 and future.json()["detail"]["field"] == "day"


def test_reports_are_read_in_scope(api, two_counties):
    assert post(api, two_counties, "150125101", relocated=5).status_code == 201
    assert post(api, two_counties, "150122100", relocated=5).status_code == 201

    def listed(user):
        reports = api.get(f"/events/{two_counties}/reports", user=user).json()["items"]
        return sorted(r["region_code"] for r in reports)

    assert listed("duty") == ["150122100", "150125101"]
    assert listed("approver") == ["150122100", "150125101"]
    assert listed("wc_staff") == ["150125101"]
    assert listed("wc_manager") == []


def test_the_api_inbox_lists_the_reports_the_county_owes_as_the_page_does(api, two_counties):
    import re

    entries = [n for n in api.get("/inbox", user="wc_staff").json() if n["kind"] == "report_due"]
    assert entries and {n["unit"] for n in entries} == {"150125"}
    assert all(n["id"] is None and n["status"] in ("open", "overdue") for n in entries)
    assert "武川县" in entries[0]["message"]
    token = api.users["wc_staff"]["Authorization"].removeprefix("Bearer ")
    api.client.cookies.set("relief_token", token)
    try:
        page = api.client.get("/inbox").text
        event_page = api.client.get(f"/events/{two_counties}").text
    finally:
        api.client.cookies.clear()
    # The event page shows the county's own rows only, named by its 填报单位.
    units = set(re.findall(r'data-testid="due-row"[^>]*data-unit="(\w*)"', event_page))
    assert units == {"150125"} and "武川县" in event_page.split('data-testid="reporting-due"')[1]
    rows = re.findall(
        r'data-testid="due-row" data-kind="(\w+)" data-status="(\w+)" data-unit="(\w*)"', page
    )
    assert sorted(rows) == sorted((n["report_kind"], n["status"], n["unit"]) for n in entries)
    # Other users' API inbox carries no such rows.
    assert [n for n in api.get("/inbox", user="duty").json() if n["kind"] == "report_due"] == []


# --- 7. one list of figures ------------------------------------------------------------------------


def test_the_report_models_take_their_figure_fields_from_figures_py():
    from relief.emergency.figures import DECIMAL_FIELDS, FIGURE_FIELDS
    from relief.emergency.models import ReportIn, ReportOut, ReportRow
    from relief.emergency.records import COUNT_FIELDS

    for model in (ReportRow, ReportIn, ReportOut):
        assert set(FIGURE_FIELDS) <= set(model.model_fields), model
    columns = {c.name: c for c in ReportRow.__table__.columns}
    for name in FIGURE_FIELDS:
        assert columns[name].nullable is (name not in COUNT_FIELDS), name
        if name in DECIMAL_FIELDS:
            assert str(columns[name].type) == "NUMERIC(14, 2)", name
    assert all(ReportIn.model_fields[name].is_required() for name in COUNT_FIELDS)
    assert not any(
        ReportIn.model_fields[name].is_required()
        for name in FIGURE_FIELDS
        if name not in COUNT_FIELDS
    )
