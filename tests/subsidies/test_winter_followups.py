"""Issue 15 part D follow-ups of 冬春: the county totals in the inbox, the survey tied to
the programme's season, township staff reading their township's rounds, ledger and totals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relief import clock
from tests.subsidies import test_winter as base
from tests.subsidies.test_winter import survey

# The fixture of the 冬春 tests: the policy with W-2026.
winter = base.winter


@pytest.fixture
def now(world):
    """The clock at 2026-10-01 (as test_winter's), every user signed in before it is set
    (their tokens are issued at the real time, so moving the clock does not expire them)."""
    for name in ("clerk", "approver", "other_clerk", "township", "other_township"):
        getattr(world, name)

    class Clock:
        at = base.T0

        def advance(self, **delta) -> None:
            self.at = self.at + timedelta(**delta)

    c = Clock()
    clock.set_clock(lambda: c.at)
    yield c
    clock.set_clock(None)


def winter_rows(client, headers):
    reply = client.get("/api/v1/inbox", headers=headers)
    assert reply.status_code == 200, reply.text
    return [r for r in reply.json() if r["kind"] == "winter_totals_due"]


def test_the_county_totals_due_then_late_appear_in_the_inbox_until_sent(
    client, world, winter, register, now
):
    survey(client, world.clerk, register(1, size=3)["id"], people=3)
    rows = winter_rows(client, world.clerk)
    assert [(r["unit"], r["status"], r["due_at"][:10]) for r in rows] == [
        ("150102", "due", "2026-10-15")
    ]
    assert "新城区" in rows[0]["message"] and "2026-10-15" in rows[0]["message"]
    assert rows[0]["id"] is None
    now.advance(days=20)  # 2026-10-21
    rows = winter_rows(client, world.clerk)
    assert [r["status"] for r in rows] == ["late"]
    assert "逾期" in rows[0]["message"]
    sent = client.post(
        "/api/v1/winter-spring/counties/150102/totals?season=2026", headers=world.clerk
    )
    assert sent.status_code == 201, sent.text
    assert winter_rows(client, world.clerk) == []


def test_other_counties_get_no_winter_totals_row(client, world, winter, now):
    rows = winter_rows(client, world.other_clerk)
    assert all(r["unit"] != "150102" for r in rows)


# --- the survey of the programme's season -----------------------------------------------------


def test_a_household_surveyed_for_another_season_is_not_in_the_programmes_survey(
    client, world, winter, register, now
):
    """W-2026 names no season: the current one (2026—2027 on 2026-10-01). W-2027 names
    2027: an entry of 2026 does not open its case."""
    body = {**base.WINTER, "code": "W-2027", "eligibility": {"in_survey": True, "season": 2027}}
    reply = client.post("/api/v1/programmes", json=body, headers=world.admin)
    assert reply.status_code == 201, reply.text
    assert reply.json()["eligibility"]["season"] == 2027
    household = register(1)
    assert survey(client, world.clerk, household["id"]).status_code == 201  # season 2026
    refused = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": "W-2027"},
        headers=world.clerk,
    )
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert (detail["code"], detail["field"]) == ("not_in_survey", "household_id")
    assert "2027-2028" in detail["message"]
    opened = client.post(
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": "W-2026"},
        headers=world.clerk,
    )
    assert opened.status_code == 201, opened.text


def test_last_seasons_survey_does_not_open_a_case_of_this_season(
    client, world, winter, register, now
):
    """A household surveyed for 2025—2026 only is not in the 2026—2027 programme's survey."""
    body = {**base.WINTER, "code": "W-2026B", "eligibility": {"in_survey": True, "season": 2026}}
    assert client.post("/api/v1/programmes", json=body, headers=world.admin).status_code == 201
    household = register(1)
    last = survey(client, world.clerk, household["id"], season=2025)
    assert last.status_code == 201, last.text
    for code in ("W-2026", "W-2026B"):
        reply = client.post(
            "/api/v1/cases",
            json={"household_id": household["id"], "programme_code": code},
            headers=world.clerk,
        )
        assert reply.status_code == 422, (code, reply.text)
        assert reply.json()["detail"]["code"] == "not_in_survey"


def test_an_eligibility_season_without_the_survey_rule_is_refused(client, world, winter):
    body = {
        **base.WINTER,
        "code": "W-BAD",
        "eligibility": {"damage": ["collapsed"], "season": 2026},
    }
    reply = client.post("/api/v1/programmes", json=body, headers=world.admin)
    assert reply.status_code == 422, reply.text
    assert "eligibility" in str(reply.json()["detail"])


# --- township staff read their township's part -----------------------------------------------


def approved(client, world, now, household_id, township):
    """户报 → 村评 → 公示 → 乡审 (by the household's township) → 县定."""
    case = base.open_case(client, world, household_id)
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    assert base.review(client, township, case_id).status_code == 201
    assert base.act(client, township, case_id, "publish").status_code == 200
    now.advance(days=7, seconds=1)
    assert base.act(client, township, case_id, "township_review").status_code == 200
    assert base.act(client, world.approver, case_id, "approve").status_code == 200
    return case_id


def test_township_staff_read_the_rounds_ledger_and_totals_of_their_township_only(
    client, world, winter, register, now
):
    mine = register(1, size=2)
    other = register(2, size=3, region_code="150102002")
    for household in (mine, other):
        assert (
            survey(client, world.clerk, household["id"], people=household["size"]).status_code
            == 201
        )
    cases = [
        approved(client, world, now, mine["id"], world.township),
        approved(client, world, now, other["id"], world.other_township),
    ]
    made = base.make_round(client, world.clerk, month=1, basis="per_person", amount="200.00")
    assert made.status_code == 201, made.text
    round_id = made.json()["id"]
    paid = client.post(f"/api/v1/winter-spring/rounds/{round_id}/payment", headers=world.clerk)
    assert paid.status_code == 201, paid.text

    listed = client.get("/api/v1/winter-spring/rounds?programme=W-2026", headers=world.township)
    assert listed.status_code == 200, listed.text
    assert [r["id"] for r in listed.json()] == [round_id]
    seen = listed.json()[0]
    assert [line["case_id"] for line in seen["lines"]] == [cases[0]]
    assert (seen["households"], seen["people"], seen["total"]) == (1, 2, "400.00")
    one = client.get(f"/api/v1/winter-spring/rounds/{round_id}", headers=world.township)
    assert one.status_code == 200, one.text
    assert [line["case_id"] for line in one.json()["lines"]] == [cases[0]]
    # The county sees both lines.
    whole = client.get(f"/api/v1/winter-spring/rounds/{round_id}", headers=world.clerk).json()
    assert whole["households"] == 2

    ledger = client.get("/api/v1/winter-spring/programmes/W-2026/assisted", headers=world.township)
    assert ledger.status_code == 200, ledger.text
    assert [r["case_id"] for r in ledger.json()] == [cases[0]]

    totals = client.get(
        "/api/v1/winter-spring/counties/150102/totals?season=2026", headers=world.township
    )
    assert totals.status_code == 200, totals.text
    got = totals.json()
    assert got["part"] is True
    assert (got["totals"]["households"], got["totals"]["people"]) == (1, 2)
    county = client.get(
        "/api/v1/winter-spring/counties/150102/totals?season=2026", headers=world.clerk
    ).json()
    assert (county["part"], county["totals"]["households"]) == (False, 2)
    # The other township's staff see their own line; another county's staff nothing.
    theirs = client.get(f"/api/v1/winter-spring/rounds/{round_id}", headers=world.other_township)
    assert [line["case_id"] for line in theirs.json()["lines"]] == [cases[1]]
    refused = client.get(f"/api/v1/winter-spring/rounds/{round_id}", headers=world.other_clerk)
    assert refused.status_code == 403


# --- the two 统计表: the header rows and units of the official forms ----------------------------


def sheet_values(content: bytes) -> list[tuple]:
    import io

    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_the_two_statistics_forms_carry_the_official_header_rows_units_and_signatures(
    client, world, winter, register, now
):
    household = register(1, size=2)
    survey(client, world.clerk, household["id"], people=2, grain_kg="30", clothing_pieces=2)
    needs = client.get(
        "/api/v1/winter-spring/counties/150102/needs-sheet?season=2026", headers=world.clerk
    )
    assert needs.status_code == 200, needs.text
    rows = sheet_values(needs.content)
    texts = [str(r[0]) for r in rows if r[0] is not None]
    assert rows[0][0] == "受灾人员冬春生活需救助情况统计表"
    assert any(t.startswith("填报单位（盖章）：新城区") for t in texts)
    assert any("制定机关：应急管理部" in t and "批准机关：国家统计局" in t for t in texts)
    assert any("报出日期：2026年10月1日" in t and "单位负责人：" in t for t in texts)
    header = next(r for r in rows if r[0] == "地区")
    assert "需衣被(件)" in header and "需口粮(公斤)" in header and "需救助户数(户)" in header

    case_id = base.approved_case(client, world, now, household["id"])
    made = base.make_round(client, world.clerk, month=1, amount="150.00")
    assert made.status_code == 201, made.text
    client.post(f"/api/v1/winter-spring/rounds/{made.json()['id']}/payment", headers=world.clerk)
    assert case_id
    assisted = client.get(
        "/api/v1/winter-spring/programmes/W-2026/assisted-sheet", headers=world.clerk
    )
    rows = sheet_values(assisted.content)
    texts = [str(r[0]) for r in rows if r[0] is not None]
    assert rows[0][0] == "受灾人员冬春生活已救助情况统计表"
    assert any(t.startswith("填报单位（盖章）：新城区") for t in texts)
    assert any("报出日期：2026年10月" in t for t in texts)
    header = next(r for r in rows if r[0] == "地区")
    assert header[1:] == ("已救助户数(户)", "已救助人口(人)", "救助资金(元)")
