"""Issue 15, part A: the programme kinds transitional (过渡期生活救助), winter_spring (冬春生活
救助) and temporary (临时救助): their standards (one basis each, a cap), who qualifies, the
amount (months counted per case, a share of the policy's reference standard) and the
existing workflow, payments and bank export on top."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.subsidies import service
from relief.subsidies.models import ProgrammeIn
from tests.subsidies.test_cases import approve_case, now  # noqa: F401 (fixture)

TRANSITIONAL = {
    "code": "T-GUODU",
    "name": "过渡期生活救助",
    "kind": "transitional",
    "region_code": "150100",
    "budget": "100000.00",
    "standards": [{"effective_from": "2020-01-01", "per_person_month": "600.00", "months": 3}],
}
# The least a policy version needs besides its subsidies.
POLICY_BASE = {"thresholds": {}, "deadlines_h": {"1": 8, "2": 10, "3": 12, "4": 12}}
DIBAO_URBAN = {
    "code": "dibao_urban",
    "name": "城市低保标准",
    "per_person_month": "745.00",
    "effective_from": "2025-07-01",
    "source": "assumed",
}


def post(client, world, body, headers=None):
    return client.post("/api/v1/programmes", json=body, headers=headers or world.admin)


def open_case(client, world, household_id, code, **extra):
    return client.post(
        "/api/v1/cases",
        json={"household_id": household_id, "programme_code": code, **extra},
        headers=world.clerk,
    )


@pytest.fixture
def references(client, world):
    """A policy whose `subsidies.reference_standards` name the urban 低保 standard: an old
    value, the one in force when the event started, and one from after it."""
    body = {
        "source": "test",
        "effective_from": "2020-01-01",
        **POLICY_BASE,
        "subsidies": {
            "reference_standards": [
                {**DIBAO_URBAN, "per_person_month": "600.00", "effective_from": "2020-01-01"},
                DIBAO_URBAN,
                {**DIBAO_URBAN, "per_person_month": "999.00", "effective_from": "2027-01-01"},
            ]
        },
    }
    reply = client.post("/api/v1/policies", json=body, headers=world.admin)
    assert reply.status_code == 201, reply.text


# --- transitional ---------------------------------------------------------------------------


def test_a_transitional_programme_covers_collapsed_and_severe_houses_by_default(
    client, world, register
):
    reply = post(client, world, TRANSITIONAL)
    assert reply.status_code == 201, reply.text
    got = reply.json()
    assert got["kind"] == "transitional"
    assert got["eligibility"] == {"damage": ["collapsed", "severe"], "categories": None}
    assert got["standards"][0]["basis"] == "per_person_month"

    general = register(1, damage="general", size=4)
    reply = open_case(client, world, general["id"], "T-GUODU")
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert (detail["code"], detail["field"]) == ("not_eligible", "household_id")
    assert "collapsed, severe" in detail["message"] and "general" in detail["message"]

    severe = register(2, damage="severe", size=4)
    case = open_case(client, world, severe["id"], "T-GUODU")
    assert case.status_code == 201, case.text
    # people × per_person_month × months: 4 × 600 × 3
    assert (case.json()["amount"], case.json()["months"]) == ("7200.00", 3)


def test_a_transitional_rule_of_categories_keeps_the_damage_default(client, world, register):
    body = {**TRANSITIONAL, "eligibility": {"categories": ["dibao"]}}
    got = post(client, world, body).json()
    assert got["eligibility"] == {"damage": ["collapsed", "severe"], "categories": ["dibao"]}
    # The policy may name the damage itself (e.g. the plan's other groups).
    wider = {**TRANSITIONAL, "code": "T-WIDE", "eligibility": {"damage": ["general"]}}
    assert post(client, world, wider).json()["eligibility"]["damage"] == ["general"]
    household = register(1, damage="general")
    assert open_case(client, world, household["id"], "T-WIDE").status_code == 201


def test_a_case_counts_fewer_months_than_the_standard_but_never_more(client, world, register):
    assert post(client, world, TRANSITIONAL).status_code == 201
    one, two = register(1, size=3), register(2, size=3)
    reply = open_case(client, world, one["id"], "T-GUODU", months=2)
    assert reply.status_code == 201, reply.text
    assert (reply.json()["amount"], reply.json()["months"]) == ("3600.00", 2)
    reply = open_case(client, world, two["id"], "T-GUODU", months=4)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert (detail["code"], detail["field"]) == ("validation_error", "months")
    assert "at most 3 months" in detail["message"]
    assert client.get("/api/v1/cases?programme=T-GUODU", headers=world.clerk).json()["total"] == 1


def test_months_are_refused_where_the_amount_is_not_monthly(client, world, rebuild, register):
    household = register(1)
    reply = open_case(client, world, household["id"], "HHHT-REBUILD", months=2)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == "months"


def test_a_transitional_case_goes_through_notice_approval_payment_and_the_bank_export(
    client,
    world,
    register,
    now,  # noqa: F811 (the fixture of test_cases)
):
    assert post(client, world, TRANSITIONAL).status_code == 201
    household = register(1, damage="collapsed", size=2)
    case = open_case(client, world, household["id"], "T-GUODU").json()
    assert case["amount"] == "3600.00"
    reply = approve_case(client, world, now, case["id"])
    assert reply.status_code == 200, reply.text
    paid = client.post(
        f"/api/v1/cases/{case['id']}/payments",
        json={"amount": "3600.00", "paid_on": "2026-08-08", "reference": "YKT-1"},
        headers=world.clerk,
    )
    assert paid.status_code == 201, paid.text
    export = client.get("/api/v1/programmes/T-GUODU/payments?format=csv", headers=world.clerk)
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert any("3600.00" in row and "YKT-1" in row for row in rows), rows
    summary = client.get("/api/v1/programmes/T-GUODU/summary", headers=world.clerk).json()
    assert (summary["approved"], summary["paid"]) == ("3600.00", "3600.00")


# --- winter_spring --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("standard", "size", "amount", "kg"),
    [
        ({"per_person": "200.00"}, 4, "800.00", None),
        ({"per_household": "1000.00"}, 4, "1000.00", None),
        ({"per_person_month": "150.00", "months": 5}, 2, "1500.00", None),
        # 1 斤 a day = 15 kg a month, 6 months, at 6.00 a kg
        (
            {"per_person_month_kg": "15", "price_per_kg": "6.00", "months": 6},
            3,
            "1620.00",
            "270.000",
        ),
        ({"per_person": "2000.00", "cap_per_household": "5000.00"}, 4, "5000.00", None),
    ],
)
def test_a_winter_spring_amount_follows_its_basis_and_cap(
    client, world, register, standard, size, amount, kg
):
    body = {
        **TRANSITIONAL,
        "code": "W-DONGCHUN",
        "kind": "winter_spring",
        "standards": [{"effective_from": "2025-01-01", **standard}],
    }
    reply = post(client, world, body)
    assert reply.status_code == 201, reply.text
    assert reply.json()["eligibility"] is None  # any household by default
    household = register(1, damage="none", size=size)
    case = open_case(client, world, household["id"], "W-DONGCHUN")
    assert case.status_code == 201, case.text
    assert (case.json()["amount"], case.json()["grain_kg"]) == (amount, kg)


def test_a_winter_spring_rule_may_ask_for_the_survey_and_says_so(client, world):
    body = {**TRANSITIONAL, "code": "W-1", "kind": "winter_spring"}
    body["eligibility"] = {"in_survey": True}
    body["standards"] = [{"effective_from": "2025-01-01", "per_person": "200.00"}]
    reply = post(client, world, body)
    assert reply.status_code == 201, reply.text
    assert reply.json()["eligibility"] == {"damage": None, "categories": None, "in_survey": True}


# --- temporary --------------------------------------------------------------------------------

TEMPORARY = {
    **TRANSITIONAL,
    "code": "L-LINSHI",
    "name": "临时救助",
    "kind": "temporary",
    "standards": [
        {
            "effective_from": "2025-01-01",
            "share_of": "dibao_urban",
            "percent": "100",
            "months": 6,
            "per_household": True,
            "cap_per_household": "50000.00",
        },
        {
            "effective_from": "2025-01-01",
            "category": "dibao",
            "share_of": "dibao_urban",
            "percent": "130",
            "months": 6,
            "per_household": True,
        },
    ],
}


def test_a_temporary_amount_is_months_times_the_urban_dibao_standard_in_force(
    client, world, register, references
):
    reply = post(client, world, TEMPORARY)
    assert reply.status_code == 201, reply.text
    standard = reply.json()["standards"][0]
    assert (standard["basis"], standard["share_of"], standard["percent"]) == (
        "share_of",
        "dibao_urban",
        "100.00",
    )
    assert (standard["per_household"], standard["cap_per_household"]) == (True, "50000.00")
    general, dibao, six = register(1, size=4), register(2, size=4, category="dibao"), register(3)
    # The standard in force on the event's day (2026-07-20): 745.00, not 600 nor 999.
    case = open_case(client, world, general["id"], "L-LINSHI", months=2).json()
    assert (case["amount"], case["months"], case["reference"]) == ("1490.00", 2, "745.00")
    # A 低保户 gets 130 % of it (968.50) × 3 months.
    case = open_case(client, world, dibao["id"], "L-LINSHI", months=3).json()
    assert case["amount"] == "2905.50"
    # Without months: the standard's (6), and 7 is over the 1–6 the standard allows.
    assert open_case(client, world, six["id"], "L-LINSHI", months=7).status_code == 422
    assert open_case(client, world, six["id"], "L-LINSHI").json()["amount"] == "4470.00"


def test_a_temporary_amount_stops_at_the_cap(client, world, register, references):
    body = {**TEMPORARY, "code": "L-CAP", "standards": [dict(TEMPORARY["standards"][0])]}
    body["standards"][0].update(per_household=False, cap_per_household="3000.00")
    assert post(client, world, body).status_code == 201
    household = register(1, size=5)  # 5 × 745 × 6 = 22,350 before the cap
    assert open_case(client, world, household["id"], "L-CAP").json()["amount"] == "3000.00"


def test_a_share_of_a_reference_no_policy_names_is_refused(client, world):
    reply = post(client, world, TEMPORARY)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert detail["field"] == "standards[0].share_of"
    assert "dibao_urban" in detail["message"]
    assert client.get("/api/v1/programmes/L-LINSHI", headers=world.admin).status_code == 404


def test_a_share_without_a_reference_in_force_for_the_event_is_no_standard(client, world, register):
    body = {
        "source": "test",
        "effective_from": "2020-01-01",
        **POLICY_BASE,
        "subsidies": {"reference_standards": [{**DIBAO_URBAN, "effective_from": "2026-12-01"}]},
    }
    assert client.post("/api/v1/policies", json=body, headers=world.admin).status_code == 201
    assert post(client, world, TEMPORARY).status_code == 201
    reply = open_case(client, world, register(1)["id"], "L-LINSHI")
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert (detail["code"], detail["field"]) == ("no_standard", "programme_code")
    assert "dibao_urban" in detail["message"]


# --- the standards' rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("standard", "field"),
    [
        ({}, "standards[0].per_person_month"),
        ({"per_person": "10.00", "per_household": "20.00"}, "standards[0].per_person"),
        ({"per_person_month": "10.00"}, "standards[0].months"),
        ({"per_person": "10.00", "months": 2}, "standards[0].months"),
        ({"share_of": "dibao_urban", "months": 2}, "standards[0].percent"),
        ({"per_person_month": "10.00", "months": 2, "percent": "50"}, "standards[0].percent"),
        ({"per_person_month_kg": "15", "months": 2}, "standards[0].price_per_kg"),
        ({"per_person": "10.00", "per_household": True}, "standards[0].per_household"),
        ({"per_person": "10.00", "damage": "collapsed"}, "standards[0].damage"),
        ({"per_person": "10.00", "per_room": "5.00"}, "standards[0].per_room"),
        ({"per_person": "-1.00"}, "standards[0].per_person"),
        ({"per_person": "10.00", "percent": "0"}, "standards[0].percent"),
    ],
)
def test_a_living_standard_needs_exactly_one_basis_and_its_companions(
    client, world, standard, field
):
    for kind in ("transitional", "winter_spring", "temporary"):
        body = {
            **TRANSITIONAL,
            "kind": kind,
            "standards": [{"effective_from": "2025-01-01", **standard}],
        }
        reply = post(client, world, body)
        assert reply.status_code == 422, (kind, reply.text)
        detail = reply.json()["detail"]
        fields = [detail.get("field")] + [e.get("field") for e in detail.get("errors", [])]
        assert any(f and f.startswith(field) for f in fields), (kind, detail)
    assert client.get("/api/v1/programmes/T-GUODU", headers=world.admin).status_code == 404


def test_rebuild_and_grain_standards_refuse_the_new_fields(client, world):
    grain = {
        **TRANSITIONAL,
        "kind": "grain",
        "standards": [
            {
                "effective_from": "2025-01-01",
                "per_person_month": "1.00",
                "months": 1,
                "per_person": "1.00",
            }
        ],
    }
    reply = post(client, world, grain)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == "standards[0].per_person"
    unknown = {**TRANSITIONAL, "kind": "relief"}
    assert post(client, world, unknown).status_code == 422


def test_programmes_of_the_new_kinds_are_created_by_admins_only(client, world):
    assert post(client, world, TRANSITIONAL, headers=world.clerk).status_code == 403


# --- a grain programme that was really 过渡期 --------------------------------------------------


def test_a_reload_may_make_a_grain_programme_transitional_keeping_its_code_and_cases(
    engine, client, world, register
):
    grain = {**TRANSITIONAL, "code": "QDN-GRAIN-2026-FLOOD", "kind": "grain"}
    grain["eligibility"] = {"damage": ["collapsed", "severe"]}
    assert post(client, world, grain).status_code == 201
    case = open_case(client, world, register(1, size=2)["id"], "QDN-GRAIN-2026-FLOOD").json()
    assert case["amount"] == "3600.00"
    with transaction(engine) as session:
        body = ProgrammeIn(**{**grain, "kind": "transitional"})
        assert service.upsert_programme(session, SYSTEM, body) == "updated"
        # Back to grain is not a reclassification the reload makes.
        with pytest.raises(Exception, match="transitional"):
            service.upsert_programme(session, SYSTEM, ProgrammeIn(**grain))
    got = client.get("/api/v1/programmes/QDN-GRAIN-2026-FLOOD", headers=world.clerk).json()
    assert got["kind"] == "transitional" and len(got["standards"]) == 1
    kept = client.get(f"/api/v1/cases/{case['id']}", headers=world.clerk).json()
    assert kept["amount"] == "3600.00"
    # New cases compute as before from the stored standard.
    again = open_case(client, world, register(2, size=2)["id"], "QDN-GRAIN-2026-FLOOD").json()
    assert (again["amount"], again["months"]) == ("3600.00", 3)


def test_a_grain_programme_paid_per_household_stays_grain(engine, client, world):
    grain = {**TRANSITIONAL, "code": "G-HH", "kind": "grain"}
    grain["standards"] = [
        {
            "effective_from": "2025-01-01",
            "per_person_month": "100.00",
            "months": 1,
            "per_household": True,
        }
    ]
    assert post(client, world, grain).status_code == 201
    with transaction(engine) as session, pytest.raises(Exception, match="grain"):
        service.upsert_programme(session, SYSTEM, ProgrammeIn(**{**grain, "kind": "transitional"}))


def test_the_share_is_rounded_to_the_fen():
    assert service.share_monthly_fen(74500, Decimal("110")) == 81950
    assert service.share_monthly_fen(74533, Decimal("33.33")) == 24842  # 24841.85
