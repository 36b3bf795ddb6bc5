"""The 冬春 pages (issue 15) without a browser: the survey ledger (add, a refused form kept,
correct), the county totals with their due date, the village review form on a 冬春 case, and
the rounds page (the equal-shares warning shown, pay, the 已救助 ledger). Hohhot scenario:
HHHT-WINTER-2026 takes households in the survey; the policy's minimum is 150 元 per person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from relief import clock
from relief.auth import service as auth
from relief.auth.models import SYSTEM, UserCreate
from relief.db import transaction
from relief.emergency import service as emergency
from relief.emergency.models import EventIn
from relief.subsidies import service as subsidies
from relief.subsidies.ids import vault_for
from relief.subsidies.models import Case, HouseholdIn
from tests.subsidies.conftest import EVENT_STARTED, id_number
from tests.web.conftest import TOWNSHIP

ORIGIN = {"Origin": "http://testserver"}
PROGRAMME = "HHHT-WINTER-2026"


@pytest.fixture
def households(engine, web_users, settings) -> list[int]:
    """Two households of the township with 一卡通 accounts, and an approver of 新城区."""
    with transaction(engine) as session:
        event = emergency.create_event(
            session,
            SYSTEM,
            EventIn(
                name="2026年7月山洪",
                hazard="flood",
                started_at=EVENT_STARTED,
                region_codes=["150102"],
            ),
        )
        ids = []
        for seq, (name, size) in enumerate((("王建国", 2), ("李秀英", 2)), start=1):
            body = HouseholdIn(
                event_id=event.id,
                region_code=TOWNSHIP,
                head_name=name,
                id_number=id_number(seq),
                size=size,
                damage="collapsed",
                bank_account=f"62284800{seq:011d}",
            )
            row = subsidies.create_household(session, SYSTEM, body, vault_for(settings.secret_key))
            ids.append(row.id)
        from tests.conftest import PASSWORD

        auth.create_user(
            session,
            SYSTEM,
            UserCreate(
                username="approver", password=PASSWORD, role="approver", region_codes=["150102"]
            ),
        )
    return ids


def post(client, url, data):
    return client.post(url, data=data, headers=ORIGIN, follow_redirects=False)


def end_notice(engine) -> None:
    """The public notice has run its days (the clock is not moved: sessions would expire)."""
    with transaction(engine) as session:
        for case in session.exec(select(Case).where(Case.notice_ends_at.is_not(None))).all():
            case.notice_ends_at = clock.now() - timedelta(seconds=1)
            session.add(case)


def test_the_survey_page_adds_keeps_a_refused_form_and_corrects(client, sign_in, households):
    sign_in("township")
    season = 2026
    page = client.get(f"/winter-spring/survey?season={season}")
    assert page.status_code == 200, page.text
    assert "冬春需救助台账" in page.text
    refused = post(
        client,
        f"/winter-spring/survey?season={season}",
        {"household_id": str(households[0]), "people": "9", "grain_kg": "60", "note": "独居"},
    )
    assert refused.status_code == 422
    assert "超过该户人口 2 人" in refused.text
    assert 'value="独居"' in refused.text  # what was typed is kept
    done = post(
        client,
        f"/winter-spring/survey?season={season}",
        {"household_id": str(households[0]), "people": "2", "grain_kg": "60", "heating": "1"},
    )
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"])
    assert "已录入台账" in page.text and "王建国" in page.text
    # The county's totals and their due date show on the survey page.
    sign_in("county")
    page = client.get(f"/winter-spring/survey?season={season}")
    assert "2026-10-15" in page.text
    assert 'data-testid="submit-totals"' in page.text


def test_a_winter_case_goes_through_the_village_review_form_and_a_round_is_paid(
    client, sign_in, households, engine
):
    sign_in("county")
    for household_id in households:
        post(
            client,
            "/winter-spring/survey?season=2026",
            {"household_id": str(household_id), "people": "2"},
        )
    case_ids = []
    for household_id in households:
        reply = client.post(
            "/api/v1/cases",
            json={"household_id": household_id, "programme_code": PROGRAMME},
            headers=ORIGIN,
        )
        assert reply.status_code == 201, reply.text
        case_ids.append(reply.json()["id"])
    case_page = client.get(f"/subsidies/cases/{case_ids[0]}")
    assert 'data-testid="winter-review-link"' in case_page.text
    assert 'data-testid="action-village_review"' not in case_page.text
    for case_id in case_ids:
        refused = post(
            client,
            f"/winter-spring/cases/{case_id}/village-review",
            {"reviewed_on": "2026-11-30", "participants": "", "result": "agreed"},
        )
        assert refused.status_code == 422
        done = post(
            client,
            f"/winter-spring/cases/{case_id}/village-review",
            {"reviewed_on": "2026-11-30", "participants": "村两委5人", "result": "agreed"},
        )
        assert done.status_code == 303, done.text
        shown = client.get(f"/subsidies/cases/{case_id}").text
        assert "村民主评议：2026-11-30，参加人员 村两委5人，评议通过" in shown
        post(client, f"/subsidies/cases/{case_id}/transitions", {"action": "publish"})
    end_notice(engine)
    for case_id in case_ids:
        post(client, f"/subsidies/cases/{case_id}/transitions", {"action": "township_review"})
    sign_in("approver")
    for case_id in case_ids:
        reply = post(client, f"/subsidies/cases/{case_id}/transitions", {"action": "approve"})
        assert reply.status_code == 303, reply.text
    sign_in("county")
    rounds = f"/winter-spring/programmes/{PROGRAMME}/rounds"
    low = post(
        client,
        rounds,
        {
            "county_code": "150102",
            "name": "第一轮",
            "month": "1",
            "basis": "per_person",
            "amount": "100",
        },
    )
    assert low.status_code == 422 and "每人最低 150.00 元" in low.text
    made = post(
        client,
        rounds,
        {
            "county_code": "150102",
            "name": "第一轮",
            "month": "1",
            "basis": "per_household",
            "amount": "300",
        },
    )
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    assert 'data-testid="round-warning"' in page.text and "平均分配" in page.text
    round_id = page.text.split('data-round="', 1)[1].split('"', 1)[0]
    paid = post(client, f"/winter-spring/rounds/{round_id}/payment", {})
    assert paid.status_code == 303, paid.text
    page = client.get(paid.headers["location"])
    assert 'data-testid="round-paid"' in page.text
    ledger = page.text.split('data-testid="winter-assisted"', 1)[1]
    assert ledger.count("300.00") == 2  # the two households in the 已救助 ledger
    # The cases are paid up: a second round could never be paid. It is refused when made,
    # the message next to the amount, naming the household (not only 「有 1 处需要更正」).
    over = post(
        client,
        rounds,
        {
            "county_code": "150102",
            "name": "第二轮",
            "month": "2",
            "basis": "per_household",
            "amount": "300",
        },
    )
    assert over.status_code == 422, over.text
    message = over.text.split('id="rd-amount-error"', 1)[1].split("</p>", 1)[0]
    assert "王建国" in message and "300.00" in message
    assert 'value="300"' in over.text  # what was typed is kept


def test_the_county_home_shows_the_overdue_totals_and_the_winter_pages(client, sign_in):
    """Today is after 15 October of the season: the county's totals are overdue until sent."""
    sign_in("county")
    home = client.get("/")
    assert home.status_code == 200
    assert 'href="/winter-spring/survey"' in home.text
    assert f'href="/winter-spring/programmes/{PROGRAMME}/rounds"' in home.text
    today = clock.to_cst(clock.now()).date()
    due = [line for line in home.text.splitlines() if 'data-testid="winter-due"' in line]
    if (today.month, today.day) > (10, 15) or today.month < 8:
        assert len(due) == 1 and "已逾期" in due[0] and "新城区" in due[0]
    reply = client.post(
        "/winter-spring/counties/150102/totals",
        data={"season": str(today.year if today.month >= 8 else today.year - 1)},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    assert 'data-testid="winter-due"' not in client.get("/").text


@pytest.mark.parametrize(
    ("field", "typed", "words"),
    [
        ("month", "13", "请选择 1 至 12 月中的一个月"),
        ("basis", "bogus", "请选择按人发放或按户发放"),
    ],
)
def test_a_wrong_round_field_says_what_is_allowed(client, sign_in, households, field, typed, words):
    """Review of issue 15 (finding 10): not 「填写有误，请检查」 but what the field takes."""
    sign_in("county")
    data = {
        "county_code": "150102",
        "name": "第一轮",
        "month": "1",
        "basis": "per_person",
        "amount": "200",
        field: typed,
    }
    reply = post(client, f"/winter-spring/programmes/{PROGRAMME}/rounds", data)
    assert reply.status_code == 422, reply.text
    assert words in reply.text
