"""临时救助 (issue 15 part C): months × the urban 低保 standard up to the policy's cap, once a
year per cause unless an approver overrides, the township's delegated limit (stored with
the policy), help first from the reserve fund within 24 h, the paperwork and 支出型 clocks in
working days, and recovery of help first when the case is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from relief import clock
from relief.auth.models import SYSTEM
from relief.clock import CST
from relief.db import transaction
from relief.emergency import service as emergency
from relief.emergency.models import EventIn
from tests.subsidies.conftest import id_number

# Monday 3 August 2026, 09:00 China time.
MONDAY = datetime(2026, 8, 3, 9, 0, tzinfo=CST)
FUND = "/api/v1/townships/150102001/reserve"
RULES = {
    "delegated_limit": "3000.00",
    "cap": "50000.00",
    "help_first_hours": 24,
    "paperwork_working_days": 5,
    "support_township_working_days": 10,
    "support_county_working_days": 10,
    "holidays": ["2026-08-05"],
}
PROGRAMME = {
    "code": "L-TEMP",
    "name": "临时救助",
    "kind": "temporary",
    "region_code": "150100",
    "budget": "100000.00",
    "standards": [
        {
            "effective_from": "2025-01-01",
            "share_of": "dibao_urban",
            "percent": "100",
            "months": 6,
            "per_household": True,
        }
    ],
}


def policy_body(**rules):
    return {
        "source": "test",
        "effective_from": "2020-01-01",
        "thresholds": {},
        "deadlines_h": {"1": 8, "2": 10, "3": 12, "4": 12},
        "subsidies": {
            "reference_standards": [
                {
                    "code": "dibao_urban",
                    "name": "城市低保标准",
                    "per_person_month": "745.00",
                    "effective_from": "2025-07-01",
                }
            ]
        },
        "temporary_relief": {**RULES, **rules},
    }


@pytest.fixture
def now(world):
    for name in ("clerk", "approver", "township", "other_township"):
        getattr(world, name)  # tokens are issued against the real clock

    class Clock:
        at = MONDAY

        def advance(self, **delta) -> None:
            self.at = self.at + timedelta(**delta)

    c = Clock()
    clock.set_clock(lambda: c.at)
    yield c
    clock.set_clock(None)


@pytest.fixture
def setup(client, world, now):
    reply = client.post("/api/v1/policies", json=policy_body(), headers=world.admin)
    assert reply.status_code == 201, reply.text
    assert client.post("/api/v1/programmes", json=PROGRAMME, headers=world.admin).status_code == 201
    top = client.post(
        f"{FUND}/top-ups",
        json={"amount": "10000.00", "document_no": "新民发〔2026〕1号"},
        headers=world.clerk,
    )
    assert top.status_code == 201, top.text
    return reply.json()["id"]


def open_temp(client, who, household_id, months=4, relief_type="emergency", cause="火灾", **extra):
    return client.post(
        "/api/v1/temporary-cases",
        json={
            "household_id": household_id,
            "programme_code": "L-TEMP",
            "relief_type": relief_type,
            "cause": cause,
            "months": months,
            **extra,
        },
        headers=who,
    )


def act(client, who, case_id, action, note=""):
    return client.post(
        f"/api/v1/cases/{case_id}/transitions", json={"action": action, "note": note}, headers=who
    )


def review(client, world, now, case_id):
    """Village review, notice (7 days), township review, by the township's staff."""
    for action in ("village_review", "publish"):
        assert act(client, world.township, case_id, action).status_code == 200
    now.advance(days=7, seconds=1)
    assert act(client, world.township, case_id, "township_review").status_code == 200


def help_first(client, who, case_id, **body):
    return client.post(
        f"/api/v1/cases/{case_id}/help-first", json={"reason": "火灾先行救助", **body}, headers=who
    )


def balance(client, world):
    return client.get(FUND, headers=world.township).json()["balance"]


# --- amount --------------------------------------------------------------------------------


def test_the_amount_is_months_times_the_urban_dibao_standard(client, world, register, setup):
    household = register(1)
    reply = open_temp(client, world.township, household["id"], months=3, cause=" 火灾 ")
    assert reply.status_code == 201, reply.text
    case = reply.json()
    assert (case["amount"], case["months"], case["reference"]) == ("2235.00", 3, "745.00")
    extra = case["temporary"]
    assert (extra["relief_type"], extra["cause"]) == ("emergency", "fire")
    assert extra["cause_name"] == {"zh": "火灾", "en": "fire"}
    assert extra["applied_at"].startswith("2026-08-03T09:00")


@pytest.mark.parametrize("months", [0, 7, "六"])
def test_months_outside_one_to_six_are_refused_naming_months(
    client, world, register, setup, months
):
    household = register(1)
    reply = open_temp(client, world.township, household["id"], months=months)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == "months"


def test_the_policy_cap_limits_the_amount(client, world, register, setup):
    reply = client.put(
        f"/api/v1/policies/{setup}", json=policy_body(cap="2000.00"), headers=world.admin
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["temporary_relief"]["cap"] == "2000.00"
    household = register(1)
    assert open_temp(client, world.clerk, household["id"], months=6).json()["amount"] == "2000.00"


def test_a_non_temporary_programme_is_refused_naming_programme(client, world, register, setup):
    body = {**PROGRAMME, "code": "L-WINTER", "kind": "winter_spring"}
    body["standards"] = [{"effective_from": "2025-01-01", "per_person": "150.00"}]
    assert client.post("/api/v1/programmes", json=body, headers=world.admin).status_code == 201
    household = register(1)
    reply = client.post(
        "/api/v1/temporary-cases",
        json={
            "household_id": household["id"],
            "programme_code": "L-WINTER",
            "relief_type": "support",
            "cause": "illness",
            "months": 1,
        },
        headers=world.clerk,
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["field"] == "programme_code"


# --- once a year per cause -----------------------------------------------------------------


@pytest.mark.parametrize("cause", ["fire", "火灾", " 火  灾 ", "Fire", "ｆｉｒｅ"])
def test_a_cause_is_a_code_or_one_of_its_names(client, world, register, setup, cause):
    reply = open_temp(client, world.township, register(1)["id"], cause=cause)
    assert reply.status_code == 201, reply.text
    assert reply.json()["temporary"]["cause"] == "fire"


@pytest.mark.parametrize("cause", ["火灾事故", "房屋火灾", "bogus"])
def test_a_cause_that_is_not_listed_is_refused_naming_cause_with_the_codes(
    client, world, register, setup, cause
):
    reply = open_temp(client, world.township, register(1)["id"], cause=cause)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert detail["field"] == "cause"
    assert "fire" in detail["codes"] and "other" in detail["codes"]
    assert "fire" in detail["message"]


def test_the_cause_detail_is_kept_with_whitespace_collapsed(client, world, register, setup):
    reply = open_temp(
        client, world.township, register(1)["id"], cause="other", cause_detail="  房屋  失火\n "
    )
    assert reply.status_code == 201, reply.text
    extra = reply.json()["temporary"]
    assert (extra["cause"], extra["cause_detail"]) == ("other", "房屋 失火")


def test_a_name_of_the_same_cause_is_a_repeat(engine, client, world, register, setup, now):
    assert open_temp(client, world.township, register(1)["id"], cause="火灾").status_code == 201
    again = _second_registration(engine, client, world)
    reply = open_temp(client, world.township, again["id"], cause=" 火  灾 ")
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "temporary_repeat"


def test_applied_at_further_back_than_the_policy_allows_is_refused(
    client, world, register, setup, now
):
    household = register(1)
    old = (MONDAY - timedelta(days=91)).isoformat()
    reply = open_temp(client, world.township, household["id"], applied_at=old)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert detail["field"] == "applied_at" and "90" in detail["message"]
    ok = (MONDAY - timedelta(days=89)).isoformat()
    assert open_temp(client, world.township, household["id"], applied_at=ok).status_code == 201
    late = (MONDAY + timedelta(minutes=10)).isoformat()
    reply = open_temp(client, world.township, register(2)["id"], applied_at=late)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "applied_at"


def test_backdate_days_is_a_policy_rule(client, world, register, setup, now):
    reply = client.put(
        f"/api/v1/policies/{setup}", json=policy_body(backdate_days=10), headers=world.admin
    )
    assert reply.status_code == 200, reply.text
    old = (MONDAY - timedelta(days=11)).isoformat()
    reply = open_temp(client, world.township, register(1)["id"], applied_at=old)
    assert reply.status_code == 422 and "10" in reply.json()["detail"]["message"]


def test_a_backdated_case_within_a_year_before_a_later_one_is_a_repeat(
    engine, client, world, register, setup, now
):
    first = open_temp(client, world.township, register(1)["id"]).json()
    again = _second_registration(engine, client, world)
    before = (now.at - timedelta(days=80)).isoformat()
    reply = open_temp(client, world.township, again["id"], applied_at=before)
    assert reply.status_code == 409, reply.text
    assert reply.json()["detail"]["existing_id"] == first["id"]


def _second_registration(engine, client, world):
    """The same person registered again for a later event (a household per event)."""
    with transaction(engine) as session:
        event = emergency.create_event(
            session,
            SYSTEM,
            EventIn(
                name="2026年8月火灾",
                hazard="flood",
                started_at=MONDAY - timedelta(days=1),
                region_codes=["150102"],
            ),
        )
        event_id = event.id
    body = {
        "event_id": event_id,
        "region_code": "150102001",
        "head_name": "户主1",
        "id_number": id_number(1),
        "size": 4,
        "damage": "general",
    }
    reply = client.post("/api/v1/households", json=body, headers=world.clerk)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_a_second_case_for_the_same_cause_within_a_year_is_refused_naming_the_first(
    engine, client, world, register, setup, now
):
    first = open_temp(client, world.township, register(1)["id"]).json()
    again = _second_registration(engine, client, world)
    now.advance(days=20)
    reply = open_temp(client, world.township, again["id"], cause="火灾")
    assert reply.status_code == 409, reply.text
    detail = reply.json()["detail"]
    assert (detail["code"], detail["field"], detail["existing_id"]) == (
        "temporary_repeat",
        "cause",
        first["id"],
    )
    # Township staff may not override, even with a reason.
    reply = open_temp(
        client, world.township, again["id"], repeat_override_reason="再次受灾，情况特殊"
    )
    assert reply.status_code == 403 and reply.json()["detail"]["code"] == "role_forbidden"
    # An approver may, with a reason; it is kept and audited.
    reply = open_temp(
        client, world.approver, again["id"], repeat_override_reason="再次受灾，情况特殊"
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["temporary"]["repeat_override_reason"] == "再次受灾，情况特殊"
    audit = client.get(
        f"/api/v1/audit?entity=subsidy_case&entity_id={reply.json()['id']}", headers=world.admin
    )
    if audit.status_code == 200:
        assert "temporary_open" in audit.text


def test_another_cause_or_a_year_later_is_not_a_repeat(engine, client, world, register, setup, now):
    assert open_temp(client, world.township, register(1)["id"]).status_code == 201
    again = _second_registration(engine, client, world)
    assert open_temp(client, world.township, again["id"], cause="illness").status_code == 201


def test_the_same_household_and_cause_again_is_a_repeat(client, world, register, setup):
    household = register(1)
    first = open_temp(client, world.township, household["id"]).json()
    reply = open_temp(client, world.clerk, household["id"], cause="火灾")
    assert reply.status_code == 409
    assert reply.json()["detail"]["existing_id"] == first["id"]


# --- approval tiers ------------------------------------------------------------------------


def test_township_staff_approve_up_to_the_delegated_limit(client, world, register, setup, now):
    small = open_temp(client, world.township, register(1)["id"], months=4).json()  # 2,980
    large = open_temp(client, world.township, register(2)["id"], months=5).json()  # 3,725
    for case in (small, large):
        review(client, world, now, case["id"])
    assert act(client, world.township, small["id"], "approve").status_code == 200
    reply = act(client, world.township, large["id"], "approve")
    assert reply.status_code == 403, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "above_delegated_limit" and detail["limit"] == "3000.00"
    assert "3000.00" in detail["message"]
    # County staff do as before (no approval); the approver approves any amount.
    reply = act(client, world.clerk, large["id"], "approve")
    assert reply.status_code == 403 and reply.json()["detail"]["code"] == "role_forbidden"
    assert act(client, world.approver, large["id"], "approve").status_code == 200


def test_township_staff_may_not_approve_beyond_the_budget_even_with_a_reason(
    client, world, register, setup, now
):
    small = {**PROGRAMME, "code": "L-SMALL", "budget": "2000.00"}
    assert client.post("/api/v1/programmes", json=small, headers=world.admin).status_code == 201
    body = {"programme_code": "L-SMALL", "relief_type": "emergency", "cause": "fire"}
    reply = client.post(
        "/api/v1/temporary-cases",
        json={**body, "household_id": register(1)["id"], "months": 4},  # 2,980 > 2,000
        headers=world.township,
    )
    assert reply.status_code == 201, reply.text
    case_id = reply.json()["id"]
    review(client, world, now, case_id)
    reply = client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"action": "approve", "note": "", "override_reason": "我说超就超"},
        headers=world.township,
    )
    assert reply.status_code == 409, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "budget_exceeded" and "approver" in detail["message"]
    assert client.get(f"/api/v1/cases/{case_id}", headers=world.township).json()["status"] == (
        "township_reviewed"
    )
    reply = client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"action": "approve", "note": "", "override_reason": "县政府同意追加"},
        headers=world.approver,
    )
    assert reply.status_code == 200, reply.text


def test_another_townships_staff_may_not_approve(client, world, register, setup, now):
    case = open_temp(client, world.township, register(1)["id"], months=1).json()
    review(client, world, now, case["id"])
    reply = act(client, world.other_township, case["id"], "approve")
    assert reply.status_code in (403, 404)
    assert reply.json()["detail"]["code"] != "above_delegated_limit"


def test_the_delegated_limit_is_read_from_the_stored_policy(client, world, register, setup, now):
    case = open_temp(client, world.township, register(1)["id"], months=5).json()  # 3,725
    review(client, world, now, case["id"])
    assert act(client, world.township, case["id"], "approve").status_code == 403
    reply = client.put(
        f"/api/v1/policies/{setup}",
        json=policy_body(delegated_limit="5000.00"),
        headers=world.admin,
    )
    assert reply.status_code == 200, reply.text
    assert act(client, world.township, case["id"], "approve").status_code == 200


def test_a_rebuild_case_is_still_approved_by_approvers_only(
    client, world, rebuild, register, setup, now
):
    household = register(1, damage="general", rooms=0)  # 2,000.00 rebuild
    case = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": "HHHT-REBUILD"},
        headers=world.clerk,
    ).json()
    review(client, world, now, case["id"])
    reply = act(client, world.township, case["id"], "approve")
    assert reply.status_code == 403 and reply.json()["detail"]["code"] == "role_forbidden"


# --- help first ----------------------------------------------------------------------------


def test_help_first_pays_from_the_reserve_fund_within_24_hours(client, world, register, setup, now):
    case = open_temp(client, world.township, register(1)["id"], months=2).json()  # 1,490
    now.advance(hours=23, minutes=59)
    reply = help_first(client, world.township, case["id"], amount="1000.00")
    assert reply.status_code == 201, reply.text
    extra = reply.json()["temporary"]
    assert (extra["help_first_amount"], reply.json()["status"]) == ("1000.00", "registered")
    assert balance(client, world) == "9000.00"
    ledger = client.get(FUND, headers=world.township).json()["items"][0]
    assert (ledger["kind"], ledger["case_id"]) == ("payment", case["id"])
    again = help_first(client, world.township, case["id"])
    assert again.status_code == 409 and again.json()["detail"]["code"] == "help_first_already_paid"
    assert balance(client, world) == "9000.00"


def test_help_first_after_24_hours_is_refused(client, world, register, setup, now):
    case = open_temp(client, world.township, register(1)["id"]).json()
    now.advance(hours=24, seconds=1)
    reply = help_first(client, world.township, case["id"])
    assert reply.status_code == 409
    assert (reply.json()["detail"]["code"], reply.json()["detail"]["field"]) == (
        "help_first_window_closed",
        "applied_at",
    )
    assert balance(client, world) == "10000.00"


def test_help_first_is_for_emergency_cases_and_within_the_amount_and_balance(
    client, world, register, setup
):
    support = open_temp(client, world.township, register(1)["id"], relief_type="support").json()
    reply = help_first(client, world.township, support["id"])
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "help_first_emergency_only"
    case = open_temp(client, world.township, register(2)["id"], months=1).json()  # 745
    reply = help_first(client, world.township, case["id"], amount="745.01")
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "amount"
    big = open_temp(client, world.approver, register(3)["id"], months=6, cause="illness").json()
    client.post(  # leave 100.00 in the fund
        f"{FUND}/payments",
        json={"amount": "9900.00", "household_id": register(4)["id"], "reason": "其他"},
        headers=world.township,
    )
    reply = help_first(client, world.township, big["id"])
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "reserve_insufficient"
    assert (
        client.get(f"/api/v1/cases/{big['id']}", headers=world.clerk).json()["temporary"][
            "help_first_amount"
        ]
        is None
    )
    assert balance(client, world) == "100.00"


def test_other_townships_staff_may_not_pay_help_first(client, world, register, setup):
    case = open_temp(client, world.township, register(1)["id"]).json()
    reply = help_first(client, world.other_township, case["id"])
    assert reply.status_code in (403, 404)
    assert balance(client, world) == "10000.00"


# --- clocks, overdue ---------------------------------------------------------------------------


def test_paperwork_is_due_five_working_days_after_help_first_and_shows_when_overdue(
    client, world, register, setup, now
):
    case = open_temp(client, world.township, register(1)["id"]).json()
    assert help_first(client, world.township, case["id"]).status_code == 201
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=world.township).json()
    running = detail["temporary"]["clock"]
    # Mon 3 Aug + 5 working days, Wed 5 Aug a holiday: Tue, Thu, Fri, Mon, Tue 11 Aug.
    assert (running["stage"], running["due_on"], running["working_days_left"]) == (
        "paperwork",
        "2026-08-11",
        5,
    )
    assert running["overdue"] is False
    inbox = client.get("/api/v1/inbox", headers=world.township).json()
    assert not [r for r in inbox if r["kind"] == "temporary_overdue"]
    now.advance(days=9)  # Wednesday 12 August
    running = client.get(f"/api/v1/cases/{case['id']}", headers=world.township).json()["temporary"][
        "clock"
    ]
    assert running["overdue"] is True and running["working_days_left"] == -1
    for who in (world.township, world.clerk, world.approver):
        rows = [r for r in client.get("/api/v1/inbox", headers=who).json() if r.get("case_id")]
        assert [(r["kind"], r["case_id"]) for r in rows] == [("temporary_overdue", case["id"])]
    assert "户主1" in rows[0]["message"]
    summary = client.get("/api/v1/programmes/L-TEMP/summary", headers=world.clerk).json()
    assert summary["temporary"] == {"running": 1, "overdue": 1, "recovery_due": 0}
    due = client.get("/api/v1/temporary-cases/due", headers=world.clerk).json()
    assert [(d["case_id"], d["clock"]["overdue"]) for d in due] == [(case["id"], True)]
    # Approved: the clock stops and the case leaves the lists.
    case_id = case["id"]
    for action in ("village_review", "publish"):
        act(client, world.township, case_id, action)
    now.advance(days=7, seconds=1)
    act(client, world.township, case_id, "township_review")
    assert act(client, world.township, case_id, "approve").status_code == 200
    assert client.get("/api/v1/temporary-cases/due", headers=world.clerk).json() == []
    assert not [
        r for r in client.get("/api/v1/inbox", headers=world.clerk).json() if r.get("case_id")
    ]


def test_other_counties_do_not_see_the_overdue_case(client, world, register, setup, now):
    case = open_temp(client, world.township, register(1)["id"]).json()
    help_first(client, world.township, case["id"])
    now.advance(days=20)
    assert client.get("/api/v1/temporary-cases/due", headers=world.other_clerk).json() == []
    rows = client.get("/api/v1/inbox", headers=world.other_township).json()
    assert not [r for r in rows if r.get("case_id")]


def test_support_cases_have_ten_working_days_for_the_township_then_ten_for_the_county(
    client, world, register, setup, now
):
    case = open_temp(client, world.township, register(1)["id"], relief_type="support").json()
    running = case["temporary"]["clock"]
    # Mon 3 Aug + 10 working days less Wed 5 Aug: Tue 18 Aug.
    assert (running["stage"], running["due_on"]) == ("township", "2026-08-18")
    review(client, world, now, case["id"])  # township_review on Mon 10 Aug
    running = client.get(f"/api/v1/cases/{case['id']}", headers=world.clerk).json()["temporary"][
        "clock"
    ]
    assert (running["stage"], running["started_on"], running["due_on"]) == (
        "county",
        "2026-08-10",
        "2026-08-24",
    )
    now.advance(days=15)  # Tue 25 Aug
    due = client.get("/api/v1/temporary-cases/due", headers=world.approver).json()
    assert due[0]["clock"]["overdue"] is True and due[0]["clock"]["stage"] == "county"


# --- recovery ------------------------------------------------------------------------------


def _refused_after_help_first(client, world, register, seq=1):
    case = open_temp(client, world.township, register(seq)["id"], months=2).json()
    assert help_first(client, world.township, case["id"]).status_code == 201
    reply = act(client, world.township, case["id"], "reject", note="核查不符合条件")
    assert reply.status_code == 200, reply.text
    assert reply.json()["temporary"]["recovery"] == "due"
    return case


def test_a_case_refused_after_help_first_is_listed_until_the_money_is_returned(
    client, world, register, setup
):
    case = _refused_after_help_first(client, world, register)
    assert balance(client, world) == "8510.00"
    rows = [r for r in client.get("/api/v1/inbox", headers=world.clerk).json() if r.get("case_id")]
    assert [r["kind"] for r in rows] == ["temporary_recovery_due"]
    summary = client.get("/api/v1/programmes/L-TEMP/summary", headers=world.clerk).json()
    assert summary["temporary"]["recovery_due"] == 1
    reply = client.post(
        f"/api/v1/cases/{case['id']}/recovery",
        json={"how": "returned", "reason": "已退回备用金"},
        headers=world.township,
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["temporary"]["recovery"] == "returned"
    assert balance(client, world) == "10000.00"
    assert client.get("/api/v1/temporary-cases/due", headers=world.clerk).json() == []
    again = client.post(
        f"/api/v1/cases/{case['id']}/recovery",
        json={"how": "returned", "reason": "再退"},
        headers=world.township,
    )
    assert again.status_code == 409 and again.json()["detail"]["code"] == "recovery_not_due"


def test_only_an_approver_writes_off_a_recovery_with_a_reason(client, world, register, setup):
    case = _refused_after_help_first(client, world, register)
    url = f"/api/v1/cases/{case['id']}/recovery"
    body = {"how": "written_off", "reason": "户主已故，无法追回"}
    reply = client.post(url, json=body, headers=world.township)
    assert reply.status_code == 403
    reply = client.post(url, json={"how": "written_off", "reason": ""}, headers=world.approver)
    assert reply.status_code == 422
    reply = client.post(url, json=body, headers=world.approver)
    assert reply.status_code == 201, reply.text
    extra = reply.json()["temporary"]
    assert (extra["recovery"], extra["recovery_reason"]) == ("written_off", body["reason"])
    assert balance(client, world) == "8510.00"  # written off: the fund is not refilled


def test_a_refusal_without_help_first_owes_nothing(client, world, register, setup):
    case = open_temp(client, world.township, register(1)["id"]).json()
    reply = act(client, world.township, case["id"], "reject", note="不符合条件")
    assert reply.json()["temporary"]["recovery"] is None


def test_help_first_counts_as_paid_when_the_approved_case_is_paid(
    client, world, register, setup, now
):
    case = open_temp(client, world.township, register(1)["id"], months=2).json()  # 1,490
    assert help_first(client, world.township, case["id"], amount="1000.00").status_code == 201
    review(client, world, now, case["id"])
    assert act(client, world.township, case["id"], "approve").status_code == 200
    today = clock.to_cst(clock.now()).date().isoformat()
    url = f"/api/v1/cases/{case['id']}/payments"
    body = {"amount": "1490.00", "paid_on": today, "reference": "NX-1"}
    reply = client.post(url, json=body, headers=world.clerk)
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "overpayment"
    reply = client.post(url, json={**body, "amount": "490.00"}, headers=world.clerk)
    assert reply.status_code == 201, reply.text


# --- several cases per registration (issue 15 part C follow-up) -----------------------------


def test_one_registration_may_have_temporary_cases_for_another_cause_and_a_year_later(
    client, world, register, setup, now
):
    # An old paper case entered late (the policy lets dates go back 366 days here).
    reply = client.put(
        f"/api/v1/policies/{setup}", json=policy_body(backdate_days=366), headers=world.admin
    )
    assert reply.status_code == 200, reply.text
    household = register(1)["id"]
    year_ago = (MONDAY - timedelta(days=366)).isoformat()
    first = open_temp(client, world.township, household, cause="火灾", applied_at=year_ago)
    assert first.status_code == 201, first.text
    other = open_temp(client, world.township, household, cause="illness", relief_type="support")
    assert other.status_code == 201, other.text
    later = open_temp(client, world.township, household, cause="火灾")
    assert later.status_code == 201, later.text
    ids = {first.json()["id"], other.json()["id"], later.json()["id"]}
    assert len(ids) == 3


def test_an_approver_may_open_the_same_cause_again_on_the_same_registration(
    client, world, register, setup
):
    household = register(1)["id"]
    assert open_temp(client, world.township, household).status_code == 201
    reply = open_temp(client, world.approver, household, repeat_override_reason="再次失火")
    assert reply.status_code == 201, reply.text
    assert reply.json()["temporary"]["repeat_override_reason"] == "再次失火"


def test_other_kinds_keep_one_case_per_registration(engine, client, world, register, setup):
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import Session

    from relief.subsidies.models import Case

    household = register(1)["id"]
    case_id = open_temp(client, world.township, household).json()["id"]
    with Session(engine) as session:
        template = session.get(Case, case_id)
        row = {
            k: v
            for k, v in template.model_dump().items()
            if k not in ("id", "relief_type", "cause", "applied_at")
        }
        session.add(Case(**row))
        session.commit()  # a case without relief_type beside a temporary one is fine
        session.add(Case(**row))
        with pytest.raises(IntegrityError):
            session.commit()  # the second such case breaks the partial unique index


# --- notice days (issue 15 part C follow-up) ------------------------------------------------


def test_help_first_paperwork_with_its_public_notice_fits_the_five_working_days(
    client, world, register, setup, now
):
    """The notice of a 临时救助 case lasts the policy's `temporary_relief.notice_days`
    (default 3), not the programme's 7 days: reviewed, published, reviewed by the township
    and approved before the paperwork clock runs out."""
    case_id = open_temp(client, world.township, register(1)["id"]).json()["id"]
    assert help_first(client, world.township, case_id).status_code == 201  # Mon 3 Aug
    for action in ("village_review", "publish"):
        assert act(client, world.township, case_id, action).status_code == 200
    detail = client.get(f"/api/v1/cases/{case_id}", headers=world.township).json()
    assert detail["notice_ends_at"].startswith("2026-08-06")  # Thursday
    now.advance(days=3, seconds=1)
    reply = act(client, world.township, case_id, "township_review")
    assert reply.status_code == 200, reply.text
    running = client.get(f"/api/v1/cases/{case_id}", headers=world.township).json()["temporary"]
    assert running["clock"]["overdue"] is False
    assert act(client, world.township, case_id, "approve").status_code == 200


def test_the_notice_days_of_temporary_cases_are_read_from_the_policy(client, world, register, now):
    reply = client.post("/api/v1/policies", json=policy_body(notice_days=1), headers=world.admin)
    assert reply.status_code == 201, reply.text
    assert client.post("/api/v1/programmes", json=PROGRAMME, headers=world.admin).status_code == 201
    case_id = open_temp(client, world.township, register(1)["id"]).json()["id"]
    for action in ("village_review", "publish", "township_review"):
        assert act(client, world.township, case_id, action).status_code == 200
    early = act(client, world.township, case_id, "approve")
    assert early.status_code == 409 and early.json()["detail"]["code"] == "notice_window_open"
    now.advance(days=1, seconds=1)
    assert act(client, world.township, case_id, "approve").status_code == 200
    bad = client.post("/api/v1/policies", json=policy_body(notice_days=0), headers=world.admin)
    assert bad.status_code == 422 and "notice_days" in bad.text


def test_a_reserve_payment_naming_a_case_is_refused_so_help_first_keeps_its_rules(
    client, world, register, setup, now
):
    """Review (session 7), high: the fund's own payment route with `case_id` skipped every
    help-first rule (once, 24 h, the case's amount) and paid the household twice."""
    household = register(1)["id"]
    case = open_temp(client, world.township, household, months=2).json()
    assert help_first(client, world.township, case["id"]).status_code == 201
    now.advance(hours=30)
    reply = client.post(
        FUND + "/payments",
        json={"amount": "1490.00", "household_id": household, "reason": "x", "case_id": case["id"]},
        headers=world.township,
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == "case_id"
    assert balance(client, world) == "8510.00"


def test_a_help_first_entry_comes_back_only_as_the_cases_recovery(client, world, register, setup):
    """Review (session 7): reversing the help-first entry on the fund left the case owing
    money it had already returned."""
    case = _refused_after_help_first(client, world, register)
    entry = client.get(f"/api/v1/cases/{case['id']}", headers=world.township).json()["temporary"][
        "help_first_entry_id"
    ]
    reply = client.post(
        f"{FUND}/entries/{entry}/reversal", json={"reason": "退回"}, headers=world.township
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == "entry_id"
    assert balance(client, world) == "8510.00"
    returned = client.post(
        f"/api/v1/cases/{case['id']}/recovery",
        json={"how": "returned", "reason": "已退回备用金"},
        headers=world.township,
    )
    assert returned.status_code == 201, returned.text
    assert balance(client, world) == "10000.00"


@pytest.mark.parametrize("applied_at", ["0001-01-01T00:00:00+14:00", "1990-01-01T00:00:00+08:00"])
def test_an_impossible_application_time_is_422_naming_applied_at(
    client, world, register, setup, applied_at
):
    """Review (session 7): year 1 at +14:00 was a 500 (no UTC time); 1990 was accepted."""
    reply = open_temp(client, world.township, register(1)["id"], applied_at=applied_at)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == "applied_at"


def test_returned_is_recorded_by_township_or_county_staff_not_approvers(
    client, world, register, setup
):
    """Route and service agree (RECOVERY_ROLES): the money back in the reserve fund is booked
    by those who book its payments; an approver is refused before anything is read."""
    case = _refused_after_help_first(client, world, register)
    url = f"/api/v1/cases/{case['id']}/recovery"
    body = {"how": "returned", "reason": "已退回备用金"}
    reply = client.post(url, json=body, headers=world.approver)
    assert reply.status_code == 403 and reply.json()["detail"]["code"] == "role_forbidden"
    reply = client.post(url, json=body, headers=world.clerk)  # county staff of the county
    assert reply.status_code == 201, reply.text
    assert reply.json()["temporary"]["recovery"] == "returned"
    assert balance(client, world) == "10000.00"


def test_a_help_first_amount_as_a_json_number_is_read_naming_amount(client, world, register, setup):
    case = open_temp(client, world.township, register(1)["id"]).json()
    reply = help_first(client, world.township, case["id"], amount=[1])
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "amount"
    reply = help_first(client, world.township, case["id"], amount=99999.5)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert detail["field"] == "amount" and "2,980.00 yuan" in detail["message"]
    reply = help_first(client, world.township, case["id"], amount=1.5)
    assert reply.status_code == 201, reply.text
    assert reply.json()["temporary"]["help_first_amount"] == "1.50"


@pytest.mark.parametrize(
    "causes",
    [
        [{"code": "fire", "zh": "火灾", "en": "fire"}],  # no `other`
        [{"code": "Fire!", "zh": "火灾", "en": "fire"}, {"code": "other", "zh": "其他", "en": "o"}],
        [{"code": "fire", "zh": "其他", "en": "fire"}, {"code": "other", "zh": "其他", "en": "o"}],
        "fire",
    ],
)
def test_a_policy_cause_list_is_checked(client, world, setup, causes):
    reply = client.put(
        f"/api/v1/policies/{setup}", json=policy_body(causes=causes), headers=world.admin
    )
    assert reply.status_code == 422, reply.text
    assert "causes" in reply.text


def test_a_policy_may_list_its_own_causes(client, world, register, setup):
    causes = [
        {"code": "flood", "zh": "洪涝", "en": "flood"},
        {"code": "other", "zh": "其他", "en": "other"},
    ]
    reply = client.put(
        f"/api/v1/policies/{setup}", json=policy_body(causes=causes), headers=world.admin
    )
    assert reply.status_code == 200, reply.text
    household = register(1)["id"]
    assert open_temp(client, world.township, household, cause="fire").status_code == 422
    reply = open_temp(client, world.township, household, cause="洪涝")
    assert reply.status_code == 201, reply.text
    assert reply.json()["temporary"]["cause_name"] == {"zh": "洪涝", "en": "flood"}
