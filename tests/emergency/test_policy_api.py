"""Policy versions: loading is idempotent, the version in force at an event's start is the
one used, and administrators edit thresholds, norms and deadlines (audited)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlmodel import select

from relief.audit.models import AuditRecord
from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.emergency.policy import load_policy, policy_for

CST = timezone(timedelta(hours=8))


def detail(reply) -> dict:
    return reply.json()["detail"]


def policy_audits(engine) -> list[AuditRecord]:
    with session_for(engine, write=False) as session:
        return list(session.exec(select(AuditRecord).where(AuditRecord.entity == "policy")).all())


def in_force(api, policy_id: int | None = None) -> dict:
    reply = api.get("/policy" if policy_id is None else f"/policies/{policy_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_every_user_reads_the_policy_in_force(api):
    policy = api.get("/policy", user="wc_manager").json()

    assert (policy["source"], policy["effective_from"]) == ("small", "2024-01-20")
    assert policy["thresholds"]["4"] == {"dead_missing": 3, "relocated_or_aided": 1000}
    assert policy["deadlines_h"] == {"1": 8.0, "2": 6.0, "3": 4.0, "4": 1.0}
    assert policy["response_deadlines_h"]["funds_allocated"]["4"] == 96.5
    assert policy["cross_jurisdiction_levels"] == [1]
    assert policy["norms"][0] == {
        "item": "tent",
        "basis": "relocated",
        "per_person": "0.25",
        "priority_weight": 8,
        "months": [],
    }
    assert api.get("/policies", user="wc_staff").json() == [policy]
    before = api.get("/policy?at=2024-01-19T23:59:59%2B08:00")
    assert before.status_code == 404


def test_loading_the_same_policy_again_changes_nothing(api, engine):
    audits = len(policy_audits(engine))

    with transaction(engine) as session:
        _, outcome = load_policy(session, SYSTEM, api.policy, "small")

    assert outcome == "unchanged"
    assert len(policy_audits(engine)) == audits


def test_loading_a_changed_policy_updates_its_version_audited(api, engine):
    changed = replace(api.policy, deadlines_h={**api.policy.deadlines_h, 4: Decimal("1.5")})

    with transaction(engine) as session:
        row, outcome = load_policy(session, SYSTEM, changed, "small")

    assert outcome == "updated"
    assert in_force(api)["deadlines_h"]["4"] == 1.5
    record = policy_audits(engine)[-1]
    assert (record.action, record.entity_id) == ("update", str(row.id))
    assert record.before["document"]["deadlines_h"]["4"] == "1"
    assert record.after["document"]["deadlines_h"]["4"] == "1.5"


def test_the_version_in_force_at_an_event_start_is_chosen_by_china_date(api, engine):
    newer = replace(
        api.policy,
        effective_from=date(2026, 7, 1),
        thresholds={**api.policy.thresholds, 4: {"relocated_or_aided": 10}},
    )
    with transaction(engine) as session:
        load_policy(session, SYSTEM, newer, "small")

    with session_for(engine, write=False) as session:
        # 2026-07-01 00:00 in China is 2026-06-30 16:00 UTC: the new version is in force.
        at_midnight = policy_for(session, datetime(2026, 7, 1, 0, 0, tzinfo=CST))
        just_before = policy_for(session, datetime(2026, 6, 30, 23, 59, tzinfo=CST))
        long_before = policy_for(session, datetime(2020, 1, 1, tzinfo=CST))

    assert at_midnight.effective_from == date(2026, 7, 1)
    assert at_midnight.thresholds[4] == {"relocated_or_aided": 10}
    assert just_before.effective_from == date(2024, 1, 20)
    assert [n.per_person for n in just_before.norms] == [
        Decimal("0.25"),
        Decimal("1.5"),
        Decimal("0.1"),
    ]
    assert long_before.thresholds == {}  # none in force: nothing can be recommended


def policy_body(api, **change) -> dict:
    body = in_force(api)
    for key in ("id", "created_at", "updated_at"):
        body.pop(key)
    body.update(change)
    return body


def test_an_admin_edits_the_thresholds_and_the_assessment_follows(api, event, engine):
    api.report(event["id"], "150125101", relocated=500, needing_aid=100)  # 600 < 1000
    assert api.get(f"/events/{event['id']}/assessment").json()["recommended_level"] is None
    policy = in_force(api)
    thresholds = {**policy["thresholds"], "4": {"relocated_or_aided": 600, "deaths": 1}}

    reply = api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, thresholds=thresholds),
        headers=api.users["admin"],
    )

    assert reply.status_code == 200, reply.text
    assert reply.json()["thresholds"]["4"] == {"relocated_or_aided": 600, "deaths": 1}
    assessment = api.get(f"/events/{event['id']}/assessment").json()
    assert assessment["recommended_level"] == 4
    record = policy_audits(engine)[-1]
    assert (record.action, record.actor) == ("update", "admin")
    assert record.before["document"]["thresholds"]["4"] == {
        "dead_missing": 3,
        "relocated_or_aided": 1000,
    }


def test_an_edited_deadline_moves_an_active_response(api, event):
    api.report(event["id"], "150125101", relocated=800, needing_aid=300)
    rid = api.trigger(event["id"], 4).json()["id"]
    policy = in_force(api)

    api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, deadlines_h={"1": 8, "2": 6, "3": 4, "4": 2.25}),
        headers=api.users["admin"],
    )

    deadlines = api.get(f"/responses/{rid}").json()["deadlines"]
    assert deadlines["supplies_arrive"] == "2026-07-01T14:15:00+08:00"


def test_a_new_version_is_created_and_its_key_is_unique(api):
    body = policy_body(api, effective_from="2026-06-01", source="市应急局 2026")

    created = api.client.post("/api/v1/policies", json=body, headers=api.users["admin"])
    duplicate = api.client.post("/api/v1/policies", json=body, headers=api.users["admin"])

    assert created.status_code == 201, created.text
    assert in_force(api)["id"] == created.json()["id"]
    assert duplicate.status_code == 409
    assert detail(duplicate)["field"] == "effective_from"
    assert len(api.get("/policies").json()) == 2


def test_subsidies_are_kept_when_an_edit_leaves_them_out(api, engine):
    with_subsidies = replace(api.policy, subsidies={"notice_days": 5, "programmes": []})
    with transaction(engine) as session:
        load_policy(session, SYSTEM, with_subsidies, "small")
    body = policy_body(api)
    body.pop("subsidies")

    reply = api.client.put(
        f"/api/v1/policies/{in_force(api)['id']}", json=body, headers=api.users["admin"]
    )

    assert reply.json()["subsidies"] == {"notice_days": 5, "programmes": []}


@pytest.mark.parametrize("user", ["duty", "wc_manager", "wc_staff"])
def test_only_admins_edit_the_policy(api, user):
    policy = in_force(api)

    put = api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, deadlines_h={"1": 1, "2": 1, "3": 1, "4": 1}),
        headers=api.users[user],
    )
    post = api.client.post(
        "/api/v1/policies",
        json=policy_body(api, effective_from="2026-01-01"),
        headers=api.users[user],
    )

    assert (put.status_code, post.status_code) == (403, 403)
    assert in_force(api) == policy


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (
            {
                "norms": [
                    {"item": "soap", "basis": "relocated", "per_person": 1, "priority_weight": 1}
                ]
            },
            "unknown_code",
            "norms[0].item",
        ),
        (
            {"norms": [{"item": "tent", "basis": "people", "per_person": 1, "priority_weight": 1}]},
            "validation_error",
            "norms[0].basis",
        ),
        (
            {
                "norms": [
                    {"item": "tent", "basis": "relocated", "per_person": -1, "priority_weight": 1}
                ]
            },
            "validation_error",
            "norms[0].per_person",
        ),
        (
            {
                "norms": [
                    {"item": "tent", "basis": "relocated", "per_person": 1, "priority_weight": 1},
                    {"item": "tent", "basis": "needing_aid", "per_person": 1, "priority_weight": 2},
                ]
            },
            "validation_error",
            "norms[1].priority_weight",
        ),
        ({"thresholds": {"4": {"bogus": 1}}}, "validation_error", "thresholds.4.bogus"),
        ({"thresholds": {"5": {"deaths": 1}}}, "validation_error", "thresholds.5.[key]"),
        ({"deadlines_h": {"1": 8, "2": 6, "3": 4}}, "validation_error", "deadlines_h"),
        (
            {"deadlines_h": {"1": 8, "2": 6, "3": 4, "4": 1.001}},
            "validation_error",
            "deadlines_h.4",
        ),
        ({"criteria": {"deaths": ["missing"]}}, "validation_error", "criteria.deaths"),
        ({"region_code": "159999"}, "unknown_code", "region_code"),
        ({"effective_from": "2024-13-01"}, "validation_error", "effective_from"),
        ({"loading_h": -1}, "validation_error", "loading_h"),
    ],
)
def test_a_bad_policy_edit_is_refused_and_changes_nothing(api, change, code, field):
    policy = in_force(api)

    reply = api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, **change),
        headers=api.users["admin"],
    )

    assert reply.status_code == 422
    assert detail(reply)["code"] == code
    assert detail(reply)["field"] == field
    assert in_force(api) == policy


def test_the_loading_time_defaults_to_two_hours_and_an_admin_sets_it(api):
    policy = in_force(api)
    assert policy["loading_h"] == 2.0
    reply = api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, loading_h="0.75"),
        headers=api.users["admin"],
    )
    assert reply.status_code == 200, reply.text
    assert in_force(api)["loading_h"] == 0.75


def test_an_admin_gives_a_norm_months_or_a_season_and_the_reply_has_its_months(api):
    policy = in_force(api)
    norms = [
        {"item": "tent", "basis": "relocated", "per_person": 1, "priority_weight": 8},
        {
            "item": "rice",
            "basis": "needing_aid",
            "per_person": 1,
            "priority_weight": 10,
            "months": [12, 1, 2],
        },
        {
            "item": "rice",
            "basis": "relocated",
            "per_person": 1,
            "priority_weight": 10,
            "season": "summer",
        },
    ]

    reply = api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, norms=norms),
        headers=api.users["admin"],
    )

    assert reply.status_code == 200, reply.text
    assert [n["months"] for n in in_force(api)["norms"]] == [[], [1, 2, 12], [6, 7, 8]]


@pytest.mark.parametrize(
    ("when", "field"),
    [
        ({"months": [13]}, "norms[0].months[0]"),
        ({"months": [1, 1]}, "norms[0]"),
        ({"months": [7], "season": "summer"}, "norms[0]"),
        ({"season": "monsoon"}, "norms[0].season"),
    ],
)
def test_a_bad_norm_season_is_refused_naming_the_field(api, when, field):
    policy = in_force(api)
    norm = {"item": "tent", "basis": "relocated", "per_person": 1, "priority_weight": 8, **when}

    reply = api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, norms=[norm]),
        headers=api.users["admin"],
    )

    assert reply.status_code == 422
    assert detail(reply)["field"] == field
    assert in_force(api) == policy


def test_an_unknown_policy_is_404(api):
    assert api.get("/policies/999").status_code == 404
    reply = api.client.put(
        "/api/v1/policies/999", json=policy_body(api), headers=api.users["admin"]
    )
    assert reply.status_code == 404


def test_an_admin_sets_the_reporting_deadlines_and_the_event_follows(api):
    policy = in_force(api)
    assert policy["reporting"] == {}  # the national defaults
    bad = api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, reporting={"final_working_days": 0}),
        headers=api.users["admin"],
    )
    assert bad.status_code == 422 and "final_working_days" in bad.text
    reply = api.client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(api, reporting={"initial_h": 1, "final_working_days": 3}),
        headers=api.users["admin"],
    )
    assert reply.status_code == 200, reply.text
    assert in_force(api)["reporting"] == {"initial_h": "1", "final_working_days": 3}
    event = api.create_event(["150125"]).json()
    first = api.get(f"/events/{event['id']}/reporting").json()[0]
    assert first["due_at"] == (api.started + timedelta(hours=1)).isoformat()
