"""Cases: the amount fixed from the standard in force, the transitions of API.md with their
roles and scope, the notice window, the budget, payments and reversals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from relief import clock
from tests.subsidies.conftest import id_number

T0 = datetime(2026, 8, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def now(world):
    """A hand-driven clock: tests move time with `now.advance(days=…)` instead of sleeping.

    Tokens are issued against the clock, so everyone logs in before it is replaced."""
    for name in ("clerk", "approver", "other_clerk", "other_approver"):
        getattr(world, name)

    class Clock:
        at = T0

        def advance(self, **delta) -> None:
            self.at = self.at + timedelta(**delta)

    c = Clock()
    clock.set_clock(lambda: c.at)
    return c


def open_case(client, world, household_id, programme="HHHT-REBUILD"):
    reply = client.post(
        "/api/v1/cases",
        json={"household_id": household_id, "programme_code": programme},
        headers=world.clerk,
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def act(client, headers, case_id, action, note="", **extra):
    return client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"action": action, "note": note, **extra},
        headers=headers,
    )


def approve_case(client, world, now, case_id, **extra):
    for action in ("village_review", "publish"):
        assert act(client, world.clerk, case_id, action).status_code == 200
    now.advance(days=7, seconds=1)
    assert act(client, world.clerk, case_id, "township_review").status_code == 200
    return act(client, world.approver, case_id, "approve", **extra)


@pytest.mark.parametrize(
    ("overrides", "amount"),
    [
        ({"damage": "collapsed", "category": "general"}, "25000.00"),
        ({"damage": "collapsed", "category": "dibao"}, "35000.00"),
        # No 特困 standard: the one without a category applies.
        ({"damage": "collapsed", "category": "tekun"}, "25000.00"),
        ({"damage": "general", "rooms": 3}, "5000.00"),
        ({"damage": "general", "rooms": 0}, "2000.00"),
    ],
)
def test_amount_comes_from_the_standard_in_force_when_the_event_started(
    client, world, rebuild, register, overrides, amount
):
    household = register(1, **overrides)
    case = open_case(client, world, household["id"])
    assert case["amount"] == amount
    assert case["status"] == "registered"
    standard = next(s for s in rebuild["standards"] if s["id"] == case["standard_id"])
    assert standard["effective_from"] == "2025-01-01"


def test_no_standard_or_undamaged_house_is_422_no_standard(client, world, rebuild, register):
    for seq, damage in ((1, "severe"), (2, "none")):
        household = register(seq, damage=damage)
        reply = client.post(
            "/api/v1/cases",
            json={"household_id": household["id"], "programme_code": "HHHT-REBUILD"},
            headers=world.clerk,
        )
        assert reply.status_code == 422
        assert reply.json()["detail"]["code"] == "no_standard"
        assert reply.json()["detail"]["field"] == "programme_code"


def test_one_case_per_household_and_programme(client, world, rebuild, register):
    household = register(1)
    first = open_case(client, world, household["id"])
    reply = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": "HHHT-REBUILD"},
        headers=world.clerk,
    )
    assert reply.status_code == 409
    assert reply.json()["detail"]["existing_id"] == first["id"]


@pytest.mark.parametrize(
    ("standard", "size", "amount", "grain_kg"),
    [
        ({"per_person_month": "600.00", "months": 3}, 4, "7200.00", None),
        ({"per_person_month": "600.00", "months": 3, "per_household": True}, 4, "1800.00", None),
        ({"per_person_month_kg": 15, "price_per_kg": "6.00", "months": 3}, 4, "1080.00", "180.000"),
        ({"per_person_month_kg": "7.5", "price_per_kg": 3.33, "months": 1}, 3, "74.93", "22.500"),
    ],
)
def test_grain_amounts(client, world, register, standard, size, amount, grain_kg):
    programme = {
        "code": "GRAIN",
        "name": "口粮救助",
        "kind": "grain",
        "region_code": "150100",
        "event_id": world.event_id,
        "budget": 50000,
        "standards": [{"effective_from": "2020-01-01", **standard}],
    }
    reply = client.post("/api/v1/programmes", json=programme, headers=world.admin)
    assert reply.status_code == 201, reply.text
    assert reply.json()["budget"] == "50000.00"
    assert reply.json()["notice_days"] == 7
    household = register(1, size=size, damage="none")
    case = open_case(client, world, household["id"], "GRAIN")
    assert case["amount"] == amount
    assert case["grain_kg"] == grain_kg


def test_programme_and_standard_validation(client, world, rebuild):
    base = {"code": "P2", "name": "x", "kind": "rebuild", "region_code": "150100"}
    for body, field in (
        ({**base, "budget": "1.234"}, "budget"),
        ({**base, "budget": "abc"}, "budget"),
        ({**base, "budget": "-1"}, "budget"),
        ({**base, "budget": "10", "notice_days": -1}, "notice_days"),
        ({**base, "budget": "10", "region_code": "nowhere"}, "region_code"),
        (
            {
                **base,
                "budget": "10",
                "standards": [{"effective_from": "2025-01-01", "per_household": "1"}],
            },
            "standards[0].damage",
        ),
        (
            {
                **base,
                "kind": "grain",
                "budget": "10",
                "standards": [{"effective_from": "2025-01-01", "per_person_month": "1"}],
            },
            "standards[0].months",
        ),
    ):
        reply = client.post("/api/v1/programmes", json=body, headers=world.admin)
        assert reply.status_code == 422, body
        assert reply.json()["detail"]["field"] == field, reply.json()
    assert (
        client.post(
            "/api/v1/programmes", json=base | {"budget": 1}, headers=world.clerk
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/programmes",
            json=base | {"budget": 1, "code": "HHHT-REBUILD"},
            headers=world.admin,
        ).status_code
        == 409
    )
    reply = client.post(
        "/api/v1/programmes/HHHT-REBUILD/standards",
        json={"effective_from": "2026-01-01", "damage": "severe", "per_household": 12000.5},
        headers=world.admin,
    )
    assert reply.status_code == 201
    assert reply.json()["per_household"] == "12000.50"
    listed = client.get("/api/v1/programmes", headers=world.clerk).json()
    assert [p["code"] for p in listed] == ["HHHT-REBUILD"]
    assert client.get("/api/v1/programmes", headers=world.duty).status_code == 403


def test_the_workflow_with_notice_window_and_history(client, world, rebuild, register, now):
    case = open_case(client, world, register(1)["id"])
    cid = case["id"]
    # Out of order → 409 invalid_transition, and the status is unchanged.
    reply = act(client, world.clerk, cid, "publish")
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "invalid_transition"
    assert act(client, world.clerk, cid, "village_review").json()["status"] == "village_reviewed"
    published = act(client, world.clerk, cid, "publish").json()
    assert published["status"] == "published"
    ends = datetime.fromisoformat(published["notice_ends_at"])
    assert ends == T0 + timedelta(days=7)
    assert published["notice_ends_at"].endswith("+08:00")
    # An objection sends it back for village review; the note is required.
    assert act(client, world.clerk, cid, "object").status_code == 422
    assert (
        act(client, world.clerk, cid, "object", note="邻居提出异议").json()["status"]
        == "village_reviewed"
    )
    assert act(client, world.clerk, cid, "publish").status_code == 200
    assert act(client, world.clerk, cid, "township_review").status_code == 200
    now.advance(days=6)
    reply = act(client, world.approver, cid, "approve")
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "notice_window_open"
    now.advance(days=1)
    approved = act(client, world.approver, cid, "approve").json()
    assert approved["status"] == "approved"
    assert [h["action"] for h in approved["history"]] == [
        "village_review",
        "publish",
        "object",
        "publish",
        "township_review",
        "approve",
    ]
    assert approved["history"][2]["note"] == "邻居提出异议"
    assert {h["actor"] for h in approved["history"]} == {"clerk", "approver"}
    # approved is final: neither reject nor anything else.
    reply = act(client, world.approver, cid, "reject", note="晚了")
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "invalid_transition"
    audit = client.get(f"/api/v1/audit?entity=subsidy_case&entity_id={cid}", headers=world.admin)
    assert {r["action"] for r in audit.json()["items"]} >= {
        "create",
        "publish",
        "object",
        "approve",
    }


def test_reject_needs_a_note_and_ends_the_case(client, world, rebuild, register):
    cid = open_case(client, world, register(1)["id"])["id"]
    assert act(client, world.clerk, cid, "reject").status_code == 422
    assert act(client, world.clerk, cid, "reject", note="不符合条件").json()["status"] == "rejected"
    assert act(client, world.clerk, cid, "village_review").status_code == 409


def test_roles_and_scope_of_transitions(client, world, rebuild, register, now):
    cid = open_case(client, world, register(1)["id"])["id"]
    assert act(client, world.approver, cid, "village_review").status_code == 403
    reply = act(client, world.other_clerk, cid, "village_review")
    assert reply.status_code == 403 and reply.json()["detail"]["code"] == "scope_forbidden"
    assert client.get(f"/api/v1/cases/{cid}", headers=world.clerk).json()["status"] == "registered"
    for action in ("village_review", "publish"):
        act(client, world.clerk, cid, action)
    now.advance(days=8)
    act(client, world.clerk, cid, "township_review")
    assert act(client, world.clerk, cid, "approve").status_code == 403
    assert act(client, world.other_approver, cid, "approve").status_code == 403
    assert (
        client.get(f"/api/v1/cases/{cid}", headers=world.clerk).json()["status"]
        == "township_reviewed"
    )
    assert client.get(f"/api/v1/cases/{cid}", headers=world.other_clerk).status_code == 403
    assert client.get("/api/v1/cases", headers=world.other_clerk).json()["total"] == 0


def test_budget_is_enforced_unless_overridden_with_a_reason(client, world, register, now):
    programme = {
        "code": "SMALL",
        "name": "小额",
        "kind": "rebuild",
        "region_code": "150100",
        "budget": "30000.00",
        "notice_days": 0,
        "standards": [
            {"effective_from": "2025-01-01", "damage": "collapsed", "per_household": "20000"}
        ],
    }
    assert client.post("/api/v1/programmes", json=programme, headers=world.admin).status_code == 201
    first = open_case(client, world, register(1)["id"], "SMALL")["id"]
    second = open_case(client, world, register(2)["id"], "SMALL")["id"]
    assert approve_case(client, world, now, first).status_code == 200
    reply = approve_case(client, world, now, second)
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "budget_exceeded"
    assert (
        client.get(f"/api/v1/cases/{second}", headers=world.clerk).json()["status"]
        == "township_reviewed"
    )
    reply = act(client, world.approver, second, "approve", override_reason="县政府常务会议同意追加")
    assert reply.status_code == 200
    assert reply.json()["history"][-1]["override_reason"] == "县政府常务会议同意追加"
    summary = client.get("/api/v1/programmes/SMALL/summary", headers=world.approver).json()
    assert summary["approved"] == "40000.00"
    assert summary["remaining"] == "-10000.00"


def test_payments_tranches_overpayment_and_reversal_once(client, world, rebuild, register, now):
    cid = open_case(client, world, register(1)["id"])["id"]  # 25000.00
    pay = {"amount": "10000.00", "paid_on": "2026-08-08", "reference": "PAY-1"}
    reply = client.post(f"/api/v1/cases/{cid}/payments", json=pay, headers=world.clerk)
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "case_not_approved"
    assert approve_case(client, world, now, cid).status_code == 200
    for amount in ("0", "-5", "1.001", "abc"):
        reply = client.post(
            f"/api/v1/cases/{cid}/payments", json={**pay, "amount": amount}, headers=world.clerk
        )
        assert reply.status_code == 422, amount
    first = client.post(f"/api/v1/cases/{cid}/payments", json=pay, headers=world.clerk)
    assert first.status_code == 201 and first.json()["amount"] == "10000.00"
    reply = client.post(
        f"/api/v1/cases/{cid}/payments",
        json={**pay, "amount": "15000.01", "reference": "PAY-2"},
        headers=world.approver,
    )
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "overpayment"
    assert (
        client.post(
            f"/api/v1/cases/{cid}/payments", json=pay, headers=world.other_clerk
        ).status_code
        == 403
    )
    pid = first.json()["id"]
    url = f"/api/v1/payments/{pid}/reversal"
    assert client.post(url, json={"reason": "账号错误"}, headers=world.clerk).status_code == 403
    assert (
        client.post(url, json={"reason": "账号错误"}, headers=world.other_approver).status_code
        == 403
    )
    assert client.post(url, json={"reason": " "}, headers=world.approver).status_code == 422
    reversal = client.post(url, json={"reason": "账号错误"}, headers=world.approver)
    assert reversal.status_code == 201
    assert reversal.json()["amount"] == "-10000.00"
    assert reversal.json()["reverses_id"] == pid
    again = client.post(url, json={"reason": "再次"}, headers=world.approver)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_reversed"
    back = client.post(
        f"/api/v1/payments/{reversal.json()['id']}/reversal",
        json={"reason": "x"},
        headers=world.approver,
    )
    assert back.status_code == 409
    # After the reversal the whole amount can be paid again, but not a fen more.
    full = client.post(
        f"/api/v1/cases/{cid}/payments", json={**pay, "amount": 25000}, headers=world.clerk
    )
    assert full.status_code == 201
    detail = client.get(f"/api/v1/cases/{cid}", headers=world.clerk).json()
    assert detail["paid"] == "25000.00"
    assert [p["amount"] for p in detail["payments"]] == ["10000.00", "-10000.00", "25000.00"]
    assert detail["payments"][0]["reversed_by_id"] == reversal.json()["id"]


def test_stuck_days_finds_cases_that_have_not_moved(client, world, rebuild, register, now):
    old = open_case(client, world, register(1)["id"])["id"]
    now.advance(days=10)
    fresh = open_case(client, world, register(2)["id"])["id"]
    rejected = open_case(client, world, register(3, damage="general")["id"])["id"]
    act(client, world.clerk, rejected, "reject", note="重复申报")
    now.advance(days=5)
    stuck = client.get("/api/v1/cases?stuck_days=7", headers=world.clerk).json()
    assert [c["id"] for c in stuck["items"]] == [old]
    assert client.get("/api/v1/cases?stuck_days=1", headers=world.clerk).json()["total"] == 2
    assert {
        c["id"]
        for c in client.get("/api/v1/cases?status=registered", headers=world.clerk).json()["items"]
    } == {old, fresh}
    assert client.get("/api/v1/cases?status=bogus", headers=world.clerk).status_code == 422


def test_upsert_programme_for_the_scenario_loader_is_idempotent(engine, world):
    from relief.auth.models import SYSTEM
    from relief.db import transaction
    from relief.subsidies import service
    from relief.subsidies.models import ProgrammeIn
    from tests.subsidies.conftest import REBUILD

    body = ProgrammeIn(**REBUILD)
    outcomes = []
    for programme in (body, body, body.model_copy(update={"name": "改名"})):
        with transaction(engine) as session:
            outcomes.append(service.upsert_programme(session, SYSTEM, programme))
    assert outcomes == ["created", "unchanged", "updated"]
    more = ProgrammeIn(
        **{
            **REBUILD,
            "standards": [
                *REBUILD["standards"],
                {"effective_from": "2026-01-01", "damage": "severe", "per_household": "18000"},
            ],
        }
    )
    with transaction(engine) as session:
        assert service.upsert_programme(session, SYSTEM, more) == "updated"
        assert len(service.standards_of(session, REBUILD["code"])) == len(REBUILD["standards"]) + 1


def test_a_county_sees_the_programme_summary_of_its_own_regions_only(
    client, world, rebuild, register, now
):
    mine = open_case(client, world, register(1)["id"])  # 新城区, 25,000
    other_household = client.post(
        "/api/v1/households",
        json={
            "event_id": world.event_id,
            "region_code": "150103001",
            "head_name": "回民区户",
            "id_number": id_number(2, place="150103"),
            "size": 3,
            "damage": "collapsed",
            "rooms": 2,
            "category": "dibao",
        },
        headers=world.other_clerk,
    )
    assert other_household.status_code == 201, other_household.text
    theirs = client.post(
        "/api/v1/cases",
        json={"household_id": other_household.json()["id"], "programme_code": "HHHT-REBUILD"},
        headers=world.other_clerk,
    ).json()  # 回民区, 35,000
    assert approve_case(client, world, now, mine["id"]).status_code == 200
    paid = client.post(
        f"/api/v1/cases/{mine['id']}/payments",
        json={"amount": "10000.00", "paid_on": "2026-08-08", "reference": "B-1"},
        headers=world.clerk,
    )
    assert paid.status_code == 201, paid.text

    def summary(headers):
        reply = client.get("/api/v1/programmes/HHHT-REBUILD/summary", headers=headers)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        return (
            body["region_codes"],
            body["committed"],
            body["approved"],
            body["paid"],
            {k: v for k, v in body["cases_by_status"].items() if v},
            (body["budget"], body["remaining"]),
        )

    # The budget and what is left of it are the programme's; the rest is the caller's scope.
    budget = ("100000.00", "75000.00")
    assert summary(world.clerk) == (
        ["150102"],
        "0.00",
        "25000.00",
        "10000.00",
        {"approved": 1},
        budget,
    )
    assert summary(world.other_clerk) == (
        ["150103"],
        "35000.00",
        "0.00",
        "0.00",
        {"registered": 1},
        budget,
    )
    assert summary(world.approver)[:5] == (
        ["150102"],
        "0.00",
        "25000.00",
        "10000.00",
        {"approved": 1},
    )
    assert summary(world.admin) == (
        ["150100"],
        "35000.00",
        "25000.00",
        "10000.00",
        {"approved": 1, "registered": 1},
        budget,
    )
    assert theirs["status"] == "registered"


GRAIN_FOR_DAMAGED = {
    "code": "QXN-GRAIN",
    "name": "过渡期生活救助",
    "kind": "grain",
    "region_code": "150100",
    "budget": 50000,
    "eligibility": {"damage": ["collapsed", "severe"]},
    "standards": [{"effective_from": "2020-01-01", "per_person_month": "600.00", "months": 3}],
}


def test_a_case_outside_the_programmes_eligibility_is_422_not_eligible_naming_the_rule(
    client, world, register
):
    reply = client.post("/api/v1/programmes", json=GRAIN_FOR_DAMAGED, headers=world.admin)
    assert reply.status_code == 201, reply.text
    assert reply.json()["eligibility"] == {"damage": ["collapsed", "severe"], "categories": None}
    got = client.get("/api/v1/programmes/QXN-GRAIN", headers=world.clerk).json()
    assert got["eligibility"] == {"damage": ["collapsed", "severe"], "categories": None}

    undamaged = register(1, damage="none", size=3)
    for language, words in (
        ("en", ("QXN-GRAIN", "collapsed, severe", "none")),
        ("zh-CN", ("QXN-GRAIN", "倒塌、严重损坏", "未损坏")),
    ):
        reply = client.post(
            "/api/v1/cases",
            json={"household_id": undamaged["id"], "programme_code": "QXN-GRAIN"},
            headers={**world.clerk, "Accept-Language": language},
        )
        assert reply.status_code == 422, reply.text
        detail = reply.json()["detail"]
        assert (detail["code"], detail["field"]) == ("not_eligible", "household_id")
        assert all(word in detail["message"] for word in words), detail["message"]
    listed = client.get("/api/v1/cases?programme=QXN-GRAIN", headers=world.clerk).json()
    assert listed["total"] == 0

    collapsed = register(2, damage="collapsed", size=3)
    case = open_case(client, world, collapsed["id"], "QXN-GRAIN")
    assert case["amount"] == "5400.00"


def test_a_category_rule_refuses_other_categories(client, world, register):
    body = {
        **GRAIN_FOR_DAMAGED,
        "code": "DIBAO-GRAIN",
        "eligibility": {"categories": ["dibao", "tekun"]},
    }
    assert client.post("/api/v1/programmes", json=body, headers=world.admin).status_code == 201
    general = register(1, category="general")
    reply = client.post(
        "/api/v1/cases",
        json={"household_id": general["id"], "programme_code": "DIBAO-GRAIN"},
        headers=world.clerk,
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["code"] == "not_eligible"
    assert "dibao, tekun" in reply.json()["detail"]["message"]
    assert "general" in reply.json()["detail"]["message"]
    dibao = register(2, category="dibao", damage="none")
    assert open_case(client, world, dibao["id"], "DIBAO-GRAIN")["status"] == "registered"


def test_a_rebuild_case_for_an_undamaged_house_stays_no_standard_under_a_rule(
    client, world, register
):
    body = {**REBUILD_RULED, "eligibility": {"damage": ["collapsed", "severe", "none"]}}
    assert client.post("/api/v1/programmes", json=body, headers=world.admin).status_code == 201
    household = register(1, damage="none")
    reply = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": "RB"},
        headers=world.clerk,
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["code"] == "no_standard"


REBUILD_RULED = {
    "code": "RB",
    "name": "重建",
    "kind": "rebuild",
    "region_code": "150100",
    "budget": 50000,
    "standards": [
        {"effective_from": "2020-01-01", "damage": "collapsed", "per_household": "20000.00"}
    ],
}


@pytest.mark.parametrize(
    ("eligibility", "field"),
    [
        ({}, "eligibility"),
        ({"damage": []}, "eligibility.damage"),
        ({"damage": ["destroyed"]}, "eligibility.damage[0]"),
        ({"categories": ["wubao"]}, "eligibility.categories[0]"),
        ({"damage": ["collapsed"], "income": ["low"]}, "eligibility.income"),
        ("collapsed", "eligibility"),
    ],
)
def test_a_bad_eligibility_rule_is_422_on_its_field(client, world, eligibility, field):
    body = {**REBUILD_RULED, "eligibility": eligibility}
    reply = client.post("/api/v1/programmes", json=body, headers=world.admin)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == field
    assert client.get("/api/v1/programmes/RB", headers=world.admin).status_code == 404


def test_a_programme_without_a_rule_replies_eligibility_null(client, world, rebuild):
    assert rebuild["eligibility"] is None


def test_a_payment_repeating_a_reference_on_the_case_is_refused_unless_reversed(
    client, world, rebuild, register, now
):
    """Issue 13 review #9/#21: a form posted twice must not put one payment twice on the
    bank list. An idempotent retry (same Idempotency-Key) still gets its first reply."""
    cid = open_case(client, world, register(1)["id"])["id"]
    assert approve_case(client, world, now, cid).status_code == 200
    url = f"/api/v1/cases/{cid}/payments"
    pay = {"amount": "100.00", "paid_on": "2026-08-08", "reference": "DUP-1"}
    key = {**world.clerk, "Idempotency-Key": "pay-dup-1"}
    first = client.post(url, json=pay, headers=key)
    assert first.status_code == 201, first.text
    retry = client.post(url, json=pay, headers=key)
    assert (retry.status_code, retry.json()["id"]) == (201, first.json()["id"])
    again = client.post(url, json=pay, headers=world.clerk)
    assert again.status_code == 409
    detail = again.json()["detail"]
    assert (detail["code"], detail["field"]) == ("duplicate_reference", "reference")
    zh = client.post(url, json=pay, headers={**world.clerk, "Accept-Language": "zh-CN"})
    assert "DUP-1" in zh.json()["detail"]["message"] and "单据号" in zh.json()["detail"]["message"]
    other = client.post(url, json={**pay, "reference": "DUP-2"}, headers=world.clerk)
    assert other.status_code == 201
    rows = client.get(url.replace("/payments", ""), headers=world.clerk).json()
    assert [p["reference"] for p in rows["payments"]] == ["DUP-1", "DUP-2"]
    # Once reversed, the reference may be paid again (the corrected payment).
    reversal = client.post(
        f"/api/v1/payments/{first.json()['id']}/reversal",
        json={"reason": "账号错误"},
        headers=world.approver,
    )
    assert reversal.status_code == 201
    assert client.post(url, json=pay, headers=world.clerk).status_code == 201


@pytest.mark.parametrize("paid_on", ["2026-08-07", "1900-01-01"])
def test_a_payment_dated_before_the_case_was_approved_is_refused(
    client, world, rebuild, register, now, paid_on
):
    """Issue 13 review #13: a payment date before the approval (2026-08-08 here) is a typo."""
    cid = open_case(client, world, register(1)["id"])["id"]
    assert approve_case(client, world, now, cid).status_code == 200
    pay = {"amount": "100.00", "paid_on": paid_on, "reference": "EARLY-1"}
    reply = client.post(f"/api/v1/cases/{cid}/payments", json=pay, headers=world.clerk)
    assert reply.status_code == 422
    detail = reply.json()["detail"]
    assert (detail["code"], detail["field"]) == ("paid_on_too_early", "paid_on")
    assert "2026-08-08" in detail["message"]


def test_two_steps_from_the_same_seen_status_let_exactly_one_through(
    client, world, rebuild, register
):
    """Both tabs opened the case while it was published; one reviews it, the other rejects
    it. Reject is allowed from township_reviewed too, so only the seen status, checked in
    the service under the case's lock, stops the second."""
    case = open_case(client, world, register(1)["id"])
    for action in ("village_review", "publish"):
        assert act(client, world.clerk, case["id"], action).status_code == 200

    first = act(client, world.clerk, case["id"], "township_review", status="published")
    second = act(client, world.clerk, case["id"], "reject", "不符合", status="published")

    assert first.status_code == 200
    assert second.status_code == 409
    detail = second.json()["detail"]
    assert (detail["code"], detail["field"]) == ("case_stale", "status")
    assert detail["current_status"] == "township_reviewed"
    reply = client.get(f"/api/v1/cases/{case['id']}", headers=world.clerk).json()
    assert reply["status"] == "township_reviewed"
    # Without the seen status (the API as before), the step is taken as the case is now.
    assert act(client, world.clerk, case["id"], "reject", "不符合").status_code == 200
