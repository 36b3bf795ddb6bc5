"""Issue 15, the 冬春 part: the needs survey (台账) and the county's totals due to the city,
the survey rule of a case, the village review record (村评), rounds with the per-person
minimum and the equal-shares warning, paying a round to the 一卡通 and the bank batch, the
已救助 ledger and the two 统计表."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from relief import clock

T0 = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)  # 2026-10-01 10:00 in Beijing: the survey is open

WINTER = {
    "code": "W-2026",
    "name": "新城区2026-2027年度冬春受灾人员生活救助",
    "kind": "winter_spring",
    "region_code": "150100",
    "budget": "100000.00",
    "eligibility": {"in_survey": True},
    "standards": [{"effective_from": "2025-10-01", "per_person": "300.00"}],
}
POLICY = {
    "region_code": "150100",
    "survey_from": "09-20",
    "totals_due": "10-15",
    "season_months": [12, 1, 2, 3, 4, 5],
    "single_crop_counties": ["150103"],
    "min_per_person": "150.00",
    "source": "test",
}


@pytest.fixture
def now(world):
    for name in ("clerk", "approver", "other_clerk", "township"):
        getattr(world, name)

    class Clock:
        at = T0

        def advance(self, **delta) -> None:
            self.at = self.at + timedelta(**delta)

    c = Clock()
    clock.set_clock(lambda: c.at)
    yield c
    clock.set_clock(None)


@pytest.fixture
def winter(client, world, now):
    reply = client.post("/api/v1/winter-spring/policy", json=POLICY, headers=world.admin)
    assert reply.status_code == 201, reply.text
    reply = client.post("/api/v1/programmes", json=WINTER, headers=world.admin)
    assert reply.status_code == 201, reply.text
    return reply.json()


def survey(client, headers, household_id, **extra):
    body = {"household_id": household_id, "season": 2026, "people": 2, **extra}
    return client.post("/api/v1/winter-spring/survey", json=body, headers=headers)


def open_case(client, world, household_id):
    return client.post(
        "/api/v1/cases",
        json={"household_id": household_id, "programme_code": "W-2026"},
        headers=world.clerk,
    )


def act(client, headers, case_id, action, note=""):
    return client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"action": action, "note": note},
        headers=headers,
    )


def review(client, headers, case_id, result="agreed", reviewed_on="2026-09-30"):
    body = {
        "reviewed_on": reviewed_on,
        "participants": "村两委5人、村民代表12人",
        "result": result,
        "note": "",
    }
    return client.post(
        f"/api/v1/winter-spring/cases/{case_id}/village-review", json=body, headers=headers
    )


def approved_case(client, world, now, household_id):
    """户报 → 村评 → 公示 → 乡审 → 县定."""
    case = open_case(client, world, household_id)
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    assert review(client, world.township, case_id).status_code == 201
    assert act(client, world.township, case_id, "publish").status_code == 200
    now.advance(days=7, seconds=1)
    assert act(client, world.township, case_id, "township_review").status_code == 200
    reply = act(client, world.approver, case_id, "approve")
    assert reply.status_code == 200, reply.text
    return case_id


# --- the survey -------------------------------------------------------------------------------


def test_a_township_clerk_surveys_a_household_and_corrects_it_by_a_new_version(
    client, world, winter, register
):
    household = register(1, size=4)
    reply = survey(client, world.township, household["id"], people=3, grain_kg="90", heating=True)
    assert reply.status_code == 201, reply.text
    entry = reply.json()
    assert (entry["people"], entry["grain_kg"], entry["heating"]) == (3, "90.0", True)
    again = survey(client, world.township, household["id"])
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_in_survey"

    fix = client.post(
        f"/api/v1/winter-spring/survey/{entry['id']}/correction",
        json={"people": 4, "grain_kg": "120", "heating": True, "reason": "漏报1人"},
        headers=world.township,
    )
    assert fix.status_code == 201, fix.text
    assert fix.json()["supersedes_id"] == entry["id"]
    # The old version cannot be corrected again, and the list shows the new one only.
    stale = client.post(
        f"/api/v1/winter-spring/survey/{entry['id']}/correction",
        json={"people": 1, "reason": "x"},
        headers=world.township,
    )
    assert stale.json()["detail"]["code"] == "entry_superseded"
    listed = client.get("/api/v1/winter-spring/survey?season=2026", headers=world.clerk).json()
    assert [e["people"] for e in listed] == [4]
    history = client.get(
        "/api/v1/winter-spring/survey?season=2026&history=true", headers=world.clerk
    ).json()
    assert len(history) == 2


def test_the_survey_refuses_more_people_than_the_household_and_other_townships(
    client, world, winter, register
):
    household = register(1, size=2)
    reply = survey(client, world.township, household["id"], people=3)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "people"
    reply = survey(client, world.other_township, household["id"])
    assert reply.status_code == 403, reply.text
    assert client.get("/api/v1/winter-spring/survey?season=2026", headers=world.clerk).json() == []


def test_the_survey_is_not_open_before_survey_from(client, world, winter, register):
    household = register(1)
    reply = survey(client, world.clerk, household["id"], season=2027)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["code"] == "survey_not_open"


def test_a_withdrawn_entry_leaves_the_survey(client, world, winter, register):
    household = register(1)
    entry = survey(client, world.clerk, household["id"]).json()
    reply = client.post(
        f"/api/v1/winter-spring/survey/{entry['id']}/withdrawal",
        json={"reason": "已外出务工"},
        headers=world.clerk,
    )
    assert reply.status_code == 201 and reply.json()["withdrawn"] is True
    assert client.get("/api/v1/winter-spring/survey?season=2026", headers=world.clerk).json() == []
    assert open_case(client, world, household["id"]).json()["detail"]["code"] == "not_in_survey"


def test_county_totals_are_due_to_the_city_and_late_after_the_due_date(
    client, world, winter, register, now
):
    one, two = register(1, size=4), register(2, size=3)
    survey(client, world.clerk, one["id"], people=4, grain_kg="60", clothing_pieces=2)
    survey(client, world.clerk, two["id"], people=3, water=True)
    due = client.get("/api/v1/winter-spring/due", headers=world.clerk).json()
    assert [(d["county_code"], d["due_on"], d["late"]) for d in due] == [
        ("150102", "2026-10-15", False)
    ]
    now.advance(days=20)  # 2026-10-21
    assert client.get("/api/v1/winter-spring/due", headers=world.clerk).json()[0]["late"] is True
    reply = client.post(
        "/api/v1/winter-spring/counties/150102/totals?season=2026", headers=world.clerk
    )
    assert reply.status_code == 201, reply.text
    got = reply.json()
    assert got["late"] is True and got["submitted_at"] is not None
    assert (got["totals"]["households"], got["totals"]["people"]) == (2, 7)
    assert (got["totals"]["grain_people"], got["totals"]["grain_kg"]) == (4, "60.0")
    assert (got["totals"]["clothing_pieces"], got["totals"]["water_people"]) == (2, 3)
    assert client.get("/api/v1/winter-spring/due", headers=world.clerk).json() == []
    again = client.post(
        "/api/v1/winter-spring/counties/150102/totals?season=2026", headers=world.clerk
    )
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "totals_already_submitted"
    # Township staff survey, the county submits.
    other = client.post(
        "/api/v1/winter-spring/counties/150102/totals?season=2026", headers=world.township
    )
    assert other.status_code == 403


def test_the_needs_sheet_has_a_row_per_township_and_the_county_total(
    client, world, winter, register
):
    one = register(1, size=4)
    two = register(2, size=2, region_code="150102002")
    survey(client, world.clerk, one["id"], people=4, grain_kg="60")
    survey(client, world.clerk, two["id"], people=2, medical=True)
    reply = client.get(
        "/api/v1/winter-spring/counties/150102/needs-sheet?season=2026", headers=world.clerk
    )
    assert reply.status_code == 200, reply.text
    sheet = load_workbook(io.BytesIO(reply.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "受灾人员冬春生活需救助情况统计表"
    header = values.index(next(r for r in values if r[0] == "地区"))
    body = values[header + 1 : -1]  # the last row: the signatures and 报出日期
    assert str(values[-1][0]).startswith("单位负责人")
    assert [r[0] for r in body] == ["海拉尔东路街道", "锡林路街道", "新城区合计"]
    assert body[-1][1:3] == (2, 6) or list(body[-1][1:3]) == [2, 6]


# --- eligibility and the village review --------------------------------------------------------


def test_a_winter_case_needs_the_household_in_the_survey(client, world, winter, register):
    household = register(1)
    reply = open_case(client, world, household["id"])
    assert reply.status_code == 422, reply.text
    assert (reply.json()["detail"]["code"], reply.json()["detail"]["field"]) == (
        "not_in_survey",
        "household_id",
    )
    survey(client, world.clerk, household["id"])
    assert open_case(client, world, household["id"]).status_code == 201


def test_village_review_needs_its_record_and_a_refusal_rejects_the_case(
    client, world, winter, register
):
    one, two = register(1), register(2)
    survey(client, world.clerk, one["id"])
    survey(client, world.clerk, two["id"])
    case = open_case(client, world, one["id"]).json()
    bare = act(client, world.clerk, case["id"], "village_review")
    assert bare.status_code == 422
    assert bare.json()["detail"]["code"] == "village_review_record_missing"
    reply = review(client, world.township, case["id"])
    assert reply.status_code == 201, reply.text
    assert reply.json()["participants"] == "村两委5人、村民代表12人"
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=world.clerk).json()
    assert detail["status"] == "village_reviewed"
    assert "村评 2026-09-30" in detail["history"][-1]["note"]
    future = review(
        client,
        world.clerk,
        open_case(client, world, two["id"]).json()["id"],
        reviewed_on="2026-12-01",
    )
    assert future.status_code == 422 and future.json()["detail"]["field"] == "reviewed_on"
    case_two = client.get("/api/v1/cases?programme=W-2026", headers=world.clerk).json()["items"]
    second = next(c for c in case_two if c["household_id"] == two["id"])
    refused = review(client, world.clerk, second["id"], result="not_agreed")
    assert refused.status_code == 201
    assert (
        client.get(f"/api/v1/cases/{second['id']}", headers=world.clerk).json()["status"]
        == "rejected"
    )
    listed = client.get(
        f"/api/v1/winter-spring/cases/{second['id']}/village-reviews", headers=world.clerk
    ).json()
    assert [r["result"] for r in listed] == ["not_agreed"]


# --- rounds ----------------------------------------------------------------------------------


def make_round(client, headers, **extra):
    body = {
        "programme_code": "W-2026",
        "county_code": "150102",
        "name": "第一轮（春节前）",
        "month": 1,
        "basis": "per_person",
        "amount": "150.00",
        **extra,
    }
    return client.post("/api/v1/winter-spring/rounds", json=body, headers=headers)


def test_a_round_below_the_per_person_minimum_is_refused(client, world, winter, register, now):
    household = register(1, size=4)
    survey(client, world.clerk, household["id"], people=4)
    approved_case(client, world, now, household["id"])
    reply = make_round(client, world.clerk, amount="100.00")
    assert reply.status_code == 422, reply.text
    assert (reply.json()["detail"]["code"], reply.json()["detail"]["field"]) == (
        "below_minimum",
        "amount",
    )
    # per household: 400 for 4 people is 100 per person, below 150 too
    reply = make_round(client, world.clerk, basis="per_household", amount="400.00")
    assert reply.json()["detail"]["code"] == "below_minimum"
    assert (
        make_round(client, world.clerk, basis="per_household", amount="600.00").status_code == 201
    )


def test_a_round_outside_the_season_is_refused_but_july_is_allowed_in_single_crop_counties(
    client, world, winter, register, now
):
    household = register(1)
    survey(client, world.clerk, household["id"])
    approved_case(client, world, now, household["id"])
    reply = make_round(client, world.clerk, month=7)
    assert reply.status_code == 422 and reply.json()["detail"]["code"] == "month_out_of_season"
    # 回民区 (150103) is a single-crop county in the policy: its season runs to July.
    got = client.get("/api/v1/winter-spring/policy?region_code=150103", headers=world.clerk)
    assert got.json()["single_crop_counties"] == ["150103"]
    other = make_round(client, world.other_clerk, county_code="150103", month=7)
    assert other.json()["detail"]["code"] == "no_approved_cases"  # in season, but no case


def test_equal_amounts_for_every_household_give_a_warning_not_a_refusal(
    client, world, winter, register, now
):
    one, two = register(1, size=2), register(2, size=2)
    for h in (one, two):
        survey(client, world.clerk, h["id"])
        approved_case(client, world, now, h["id"])
    reply = make_round(client, {**world.clerk, "Accept-Language": "zh-CN"})
    assert reply.status_code == 201, reply.text
    got = reply.json()
    assert got["warning"] == "equal_shares"
    assert "平均分配" in got["warning_message"]
    assert got["households"] == 2 and got["total"] == "600.00"


def test_paying_a_round_records_todays_payments_and_the_bank_batch_and_ledger(
    client, world, winter, register, now
):
    one, two = register(1, size=2), register(2, size=3)
    for h in (one, two):
        survey(client, world.clerk, h["id"], people=h["size"])
        approved_case(client, world, now, h["id"])
    created = make_round(client, world.clerk, amount="200.00")
    assert created.status_code == 201, created.text
    round_ = created.json()
    assert round_["warning"] is None  # 400 and 600: not equal
    paid = client.post(f"/api/v1/winter-spring/rounds/{round_['id']}/payment", headers=world.clerk)
    assert paid.status_code == 201, paid.text
    assert paid.json()["paid_on"] == clock.to_cst(now.at).date().isoformat()
    assert all(line["payment_id"] for line in paid.json()["lines"])
    twice = client.post(f"/api/v1/winter-spring/rounds/{round_['id']}/payment", headers=world.clerk)
    assert twice.status_code == 409 and twice.json()["detail"]["code"] == "round_already_paid"
    case_id = paid.json()["lines"][0]["case_id"]
    payments = client.get(f"/api/v1/cases/{case_id}/payments", headers=world.clerk).json()
    assert [p["amount"] for p in payments] == ["400.00"]

    batch = client.get(
        f"/api/v1/winter-spring/rounds/{round_['id']}/payments?format=csv", headers=world.clerk
    )
    assert batch.status_code == 200
    text = batch.content.decode("utf-8-sig")
    assert "62284800" in text and "400.00" in text and "600.00" in text

    ledger = client.get(
        "/api/v1/winter-spring/programmes/W-2026/assisted", headers=world.clerk
    ).json()
    assert sorted(r["paid"] for r in ledger) == ["400.00", "600.00"]
    assert ledger[0]["rounds"] == ["第一轮（春节前）"]
    sheet = client.get(
        "/api/v1/winter-spring/programmes/W-2026/assisted-sheet", headers=world.clerk
    )
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "受灾人员冬春生活已救助情况统计表"
    total = rows[-2]  # the last row: the signatures and 报出日期
    assert total[0] == "合计" and total[1:3] == (2, 5) and float(total[3]) == 1000.0


def test_rounds_are_made_by_county_staff_of_the_county_only(client, world, winter, register, now):
    household = register(1)
    survey(client, world.clerk, household["id"])
    approved_case(client, world, now, household["id"])
    assert make_round(client, world.township).status_code == 403
    assert make_round(client, world.other_clerk).status_code == 403
    assert make_round(client, world.clerk, programme_code="NOPE").status_code == 422


def test_a_round_beyond_a_cases_approved_amount_is_refused_before_anything_is_paid(
    client, world, winter, register, now
):
    household = register(1, size=2)
    survey(client, world.clerk, household["id"])
    approved_case(client, world, now, household["id"])  # 2 × 300 = 600 approved
    reply = make_round(client, world.clerk, amount="400.00")
    assert reply.status_code == 409, reply.text
    assert (reply.json()["detail"]["code"], reply.json()["detail"]["field"]) == (
        "overpayment",
        "amount",
    )
    listed = client.get("/api/v1/winter-spring/rounds?programme=W-2026", headers=world.clerk)
    assert listed.json() == []


def test_an_unpaid_round_counts_against_the_approved_amount_of_the_next_round(
    client, world, winter, register, now
):
    """A second round whose lines with the first's unpaid ones exceed a case's approved
    amount could never be paid: it is refused when created, naming the household."""
    household = register(1, size=2)
    survey(client, world.clerk, household["id"])
    approved_case(client, world, now, household["id"])  # 2 × 300 = 600 approved
    assert make_round(client, world.clerk, amount="150.00").status_code == 201  # 300
    second = make_round(client, world.clerk, name="第二轮", month=2, amount="150.00")
    assert second.status_code == 201, second.text  # 300 + 300 = 600: still within
    third = make_round(client, world.clerk, name="第三轮", month=3, amount="150.00")
    assert third.status_code == 409, third.text
    detail = third.json()["detail"]
    assert (detail["code"], detail["field"]) == ("overpayment", "amount")
    assert household["head_name"] in detail["message"]
    assert (detail["pending"], detail["approved"]) == ("600.00", "600.00")
    rounds = client.get("/api/v1/winter-spring/rounds?programme=W-2026", headers=world.clerk)
    assert len(rounds.json()) == 2


def test_a_paid_round_counts_once_against_the_approved_amount(client, world, winter, register, now):
    household = register(1, size=3)
    survey(client, world.clerk, household["id"], people=3)
    approved_case(client, world, now, household["id"])  # 3 × 300 = 900 approved
    first = make_round(client, world.clerk).json()  # 450
    paid = client.post(f"/api/v1/winter-spring/rounds/{first['id']}/payment", headers=world.clerk)
    assert paid.status_code == 201, paid.text
    again = make_round(client, world.clerk, name="第二轮", month=2)
    assert again.status_code == 201, again.text  # 450 paid + 450 = 900
    over = make_round(client, world.clerk, name="第三轮", month=3)
    assert over.status_code == 409, over.text
    assert (over.json()["detail"]["paid"], over.json()["detail"]["pending"]) == (
        "450.00",
        "450.00",
    )


def test_paying_a_round_after_a_payment_by_hand_is_refused_naming_the_household(
    client, world, winter, register, now
):
    household = register(1, size=2)
    survey(client, world.clerk, household["id"])
    case_id = approved_case(client, world, now, household["id"])  # 600 approved
    made = make_round(client, world.clerk, amount="300.00").json()  # all of it
    by_hand = client.post(
        f"/api/v1/cases/{case_id}/payments",
        json={
            "amount": "0.01",
            "paid_on": clock.to_cst(now.at).date().isoformat(),
            "reference": "手工-1",
        },
        headers=world.clerk,
    )
    assert by_hand.status_code == 201, by_hand.text
    paid = client.post(f"/api/v1/winter-spring/rounds/{made['id']}/payment", headers=world.clerk)
    assert paid.status_code == 409, paid.text
    detail = paid.json()["detail"]
    assert detail["code"] == "overpayment" and detail["field"] is None
    assert household["head_name"] in detail["message"] and detail["paid"] == "0.01"
    payments = client.get(f"/api/v1/cases/{case_id}/payments", headers=world.clerk).json()
    assert len(payments) == 1  # nothing of the round was paid


@pytest.mark.parametrize("field", ["survey_from", "totals_due"])
@pytest.mark.parametrize("day", ["02-30", "04-31", "02-29"])
def test_a_policy_date_that_is_not_a_day_of_every_year_is_refused(client, world, field, day):
    """Review (session 7): 02-30 was stored and then every inbox of the region answered 500."""
    body = {"region_code": "150100", field: day}
    reply = client.post("/api/v1/winter-spring/policy", json=body, headers=world.admin)
    assert reply.status_code == 422, reply.text
    assert field in reply.text
