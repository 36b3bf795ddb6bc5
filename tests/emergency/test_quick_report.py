"""The quick report's figures (issue 14): today's body still posts; the other figures are
optional, checked as the form checks them, carried into the assessment; a 续报 that moves a
figure much needs an explanation; a criterion may be a share of a region's population."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from relief.emergency.assessment import assess
from relief.emergency.figures import FIGURE_FIELDS, NEW_FIELDS, figure_problems, jumps
from relief.emergency.records import Policy, Report
from relief.network.records import Region

TODAY = {
    "region_code": "150125101",
    "kind": "initial",
    "deaths": 1,
    "missing": 2,
    "relocated": 300,
    "needing_aid": 500,
    "collapsed_households": 3,
    "collapsed_rooms": 8,
    "severe_households": 5,
    "severe_rooms": 12,
    "general_households": 20,
    "general_rooms": 44,
}
FULL = {
    "affected": 5000,
    "injured": 10,
    "injured_severe": 2,
    "evacuated": 800,
    "relocated_central": 200,
    "relocated_dispersed": 100,
    "shelters": 3,
    "needing_transitional_aid": 40,
    "drought_needing_aid": 0,
    "drought_water_shortage": 0,
    "collapsed_dwelling_rooms": 6,
    "severe_dwelling_rooms": 10,
    "general_dwelling_rooms": 40,
    "crop_affected_ha": 1200.5,
    "crop_affected_grain_ha": 800,
    "crop_damaged_ha": 600.25,
    "crop_damaged_grain_ha": 400,
    "crop_lost_ha": 100,
    "crop_lost_grain_ha": 50.5,
    "loss_total": 1520.5,
    "loss_housing": 800,
    "loss_agriculture": 300.5,
    "loss_industry": 100,
    "loss_infrastructure": 250,
    "loss_public_services": 50,
    "loss_other": 20,
}


def post(api, event_id, body, user="duty"):
    at = (api.now - timedelta(hours=1)).isoformat()
    return api.client.post(
        f"/api/v1/events/{event_id}/reports",
        json={"reported_at": at, **body},
        headers=api.users[user],
    )


def test_todays_body_posts_as_before_and_the_new_figures_read_null(api, event):
    reply = post(api, event["id"], TODAY, user="wc_staff")

    assert reply.status_code == 201, reply.text
    report = reply.json()
    assert {k: report[k] for k in TODAY} == TODAY
    assert all(report[name] is None for name in NEW_FIELDS)
    assert report["explanation"] is None
    totals = api.get(f"/events/{event['id']}/assessment").json()["totals"]
    # Only figures some report gave are totalled: today's ten (and the criteria).
    assert not set(NEW_FIELDS) & set(totals)
    assert totals["relocated"] == 300


def test_every_figure_of_the_quick_report_is_stored_and_totalled(api, event):
    reply = post(api, event["id"], TODAY | FULL)

    assert reply.status_code == 201, reply.text
    report = reply.json()
    assert {k: report[k] for k in FIGURE_FIELDS} == {k: (TODAY | FULL)[k] for k in FIGURE_FIELDS}
    assert isinstance(report["crop_affected_ha"], float)
    part = post(api, event["id"], TODAY | {"region_code": "150125102", "loss_total": "0.75"})
    assert part.status_code == 201, part.text
    totals = api.get(f"/events/{event['id']}/assessment").json()["totals"]
    assert totals["loss_total"] == 1521.25
    assert totals["crop_lost_grain_ha"] == 50.5
    assert totals["affected"] == 5000
    assert totals["relocated"] == 600


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"injured_severe": 11}, "injured_severe"),
        ({"collapsed_dwelling_rooms": 9}, "collapsed_dwelling_rooms"),
        ({"severe_dwelling_rooms": 13}, "severe_dwelling_rooms"),
        ({"general_dwelling_rooms": 45}, "general_dwelling_rooms"),
        ({"crop_lost_grain_ha": 101}, "crop_lost_grain_ha"),
        ({"crop_damaged_ha": 1300}, "crop_damaged_ha"),
        ({"crop_lost_ha": 700, "crop_lost_grain_ha": 50}, "crop_lost_ha"),
        ({"loss_other": 21}, "loss_total"),
        ({"relocated_central": 201}, "relocated"),
        ({"crop_affected_ha": -1}, "crop_affected_ha"),
        ({"crop_affected_ha": 1.234}, "crop_affected_ha"),
        ({"shelters": 1.5}, "shelters"),
    ],
)
def test_the_forms_checks_answer_422_on_the_field(api, event, change, field):
    reply = post(api, event["id"], TODAY | FULL | change)

    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == field
    assert reply.json()["detail"]["code"] == "validation_error"
    assert api.get(f"/events/{event['id']}/assessment").json()["totals"]["relocated"] == 0


def test_a_check_is_skipped_until_all_its_figures_are_given():
    assert figure_problems({"relocated": 10, "relocated_central": 4}) == []
    assert figure_problems({"loss_total": Decimal(5), "loss_housing": Decimal(9)})[0][0] == (
        "loss_housing"
    )
    assert figure_problems({"loss_housing": Decimal(9)}) == []


def test_the_check_message_is_in_the_catalogue_in_chinese(api, event):
    reply = api.client.post(
        f"/api/v1/events/{event['id']}/reports",
        json={"reported_at": (api.now - timedelta(hours=1)).isoformat(), **TODAY}
        | {"injured": 1, "injured_severe": 2},
        headers=api.users["duty"] | {"Accept-Language": "zh-CN"},
    )

    assert reply.status_code == 422
    assert reply.json()["detail"]["message"] == "重伤人口（2）不能超过因灾受伤人口（1）"


def test_an_update_that_jumps_needs_an_explanation(api, event):
    assert post(api, event["id"], TODAY | {"affected": 1000}).status_code == 201
    later = (api.now - timedelta(minutes=10)).isoformat()
    update = TODAY | {"kind": "update", "reported_at": later}

    # Raised by more than half, lowered, or both: 422 on `explanation`, naming the figures.
    for change in ({"relocated": 451}, {"deaths": 0}, {"affected": 1501}):
        reply = post(api, event["id"], update | change)
        assert reply.status_code == 422, reply.text
        assert reply.json()["detail"]["code"] == "explanation_required"
        assert reply.json()["detail"]["field"] == "explanation"
        assert reply.json()["detail"]["fields"] == list(change)
    # Raised by at most half, or a figure reported for the first time: no explanation.
    ok = post(api, event["id"], update | {"relocated": 450, "affected": 1500, "injured": 90})
    assert ok.status_code == 201, ok.text
    # With an explanation a jump is accepted and kept.
    reply = post(api, event["id"], update | {"relocated": 2000, "explanation": "新增两个村"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["explanation"] == "新增两个村"


def test_an_initial_or_final_report_needs_no_explanation():
    assert jumps({"deaths": 5}, {"deaths": 1}) == ["deaths"]
    assert jumps({"deaths": 0}, {"deaths": 1}) == ["deaths"]
    assert jumps({"deaths": 2}, {"deaths": 3}) == []
    assert jumps({}, {"deaths": 3}) == []
    assert jumps({"crop_lost_ha": Decimal(2)}, {"crop_lost_ha": Decimal(4)}, Decimal(1)) == []


# --- share criteria -------------------------------------------------------------------------

REGIONS = [
    Region("520000", "贵州省", "province", None, 26.6, 106.7, 38562148, 18000000),
    Region("522300", "黔西南州", "prefecture", "520000", 25.1, 104.9, 3000000, None),
    Region("522324", "晴隆县", "county", "522300", 25.8, 105.2, 250000, 200000),
    Region("522323", "普安县", "county", "522300", 25.8, 104.9, 250000, None),
]
SHARE_POLICY = Policy(
    criteria={"drought_share": ["drought_needing_aid"], "dead_missing": ["deaths", "missing"]},
    criterion_shares={"drought_share": ("rural_population", "province")},
    thresholds={4: {"drought_share": 5}, 3: {"drought_share": 10}, 2: {"dead_missing": 1000}},
)


def drought(code: str, needing: int, seq: int) -> Report:
    from datetime import UTC, datetime

    counts = dict.fromkeys(("deaths", "missing"), 0) | {"drought_needing_aid": needing}
    return Report(code, "initial", datetime(2026, 3, 1, tzinfo=UTC), counts, seq)


def test_a_share_criterion_is_a_per_cent_of_the_provinces_rural_population():
    reports = [drought("522324", 600_000, 1), drought("522323", 300_000, 2)]

    result = assess(reports, SHARE_POLICY, REGIONS)

    assert result.totals["drought_share"] == Decimal("5.00")  # 900,000 of 18,000,000
    assert result.recommended_level == 4
    by_region = {entry["region_code"]: entry["totals"] for entry in result.by_region}
    assert by_region["522324"]["drought_share"] == Decimal("300.00")
    # Without a rural population a region has no share (and reaches nothing by it).
    assert "drought_share" not in by_region["522323"]
    assert result.to_dict()["totals"]["drought_share"] == 5
    # Just below the threshold (4.99995 %): rounded down, not reached.
    below = assess([drought("522324", 899_999, 1)], SHARE_POLICY, REGIONS)
    assert below.recommended_level is None


def test_a_share_without_a_denominator_is_never_reached():
    regions = [Region(r.code, r.name, r.level, r.parent_code, r.lat, r.lon) for r in REGIONS]

    result = assess([drought("522324", 10**7, 1)], SHARE_POLICY, regions)

    assert "drought_share" not in result.totals
    assert result.recommended_level is None


# --- the shipped drought -----------------------------------------------------------------


def test_the_shipped_guizhou_drought_loads_and_triggers_at_the_level_of_its_share(engine):
    from pathlib import Path

    from relief import clock
    from relief.auth.models import SYSTEM
    from relief.db import session_for, transaction
    from relief.emergency import responses
    from relief.emergency import service as events
    from relief.emergency.models import ResponseIn
    from relief.scenario.loader import load_scenario

    clock.set_clock(None)  # the shipped reports are dated in the past
    folder = Path(__file__).resolve().parents[2] / "scenarios" / "guizhou"
    with transaction(engine) as session:
        load_scenario(session, SYSTEM, folder)
    with transaction(engine) as session:
        event = events.event_by_key(session, "guizhou/drought")
        assessment = events.assess_event(session, event.id)
        # 950,000 needing aid of Guizhou's 18,066,366 乡村人口 (assumed): 5.25 % ≥ 5 %.
        assert assessment.totals["drought_share"] == Decimal("5.25")
        assert assessment.totals["drought_needing_aid"] == 950_000
        assert assessment.recommended_level == 4
        assert [e["criterion"] for e in assessment.exceeded] == ["drought_share"]
        response = responses.trigger_response(
            session, SYSTEM, event.id, ResponseIn(level=4, note="旱情")
        )
        assert response.recommended_level == 4
    with session_for(engine, write=False) as session:
        reports = events.list_reports(session, event.id)
        assert {r.region_code for r in reports} == {"520200", "520400", "522300"}
        assert all(r.drought_water_shortage and r.crop_affected_ha for r in reports)


def test_the_reports_export_as_csv_with_the_field_names_as_headers(api, event):
    assert post(api, event["id"], TODAY | FULL).status_code == 201
    assert post(api, event["id"], TODAY | {"region_code": "150125102"}).status_code == 201

    reply = api.client.get(
        f"/api/v1/events/{event['id']}/reports?format=csv", headers=api.users["wc_staff"]
    )

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert list(rows[0])[:4] == ["id", "region_code", "kind", "reported_at"]
    assert set(FIGURE_FIELDS) <= set(rows[0])
    assert rows[0]["crop_affected_ha"] == "1200.5" and rows[0]["loss_housing"] == "800"
    assert rows[1]["affected"] == "" and rows[1]["relocated"] == "300"
