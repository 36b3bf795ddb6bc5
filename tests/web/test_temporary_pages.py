"""临时救助 pages (issue 15 part C) without a browser: the township's staff register a case
(months refused outside 1–6 with what was typed kept), pay help first from the reserve fund,
and the clock shows on the case page, the 临时救助 list and the homes, red when overdue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from relief import clock
from relief.db import transaction
from relief.subsidies.models import Case
from tests.web.test_reserve_pages import household  # noqa: F401 - fixture

PROGRAMME = "HHHT-TEMP"  # the Hohhot scenario's 临时救助 programme (urban 低保 1,000 元 assumed)


def register(client, household_id, months="2", cause="火灾", relief_type="emergency"):
    return client.post(
        "/temporary/cases",
        data={
            "household_id": str(household_id),
            "programme_code": PROGRAMME,
            "relief_type": relief_type,
            "cause": cause,
            "months": months,
        },
        follow_redirects=False,
    )


def test_months_outside_one_to_six_come_back_with_what_was_typed(client, sign_in, household):  # noqa: F811
    sign_in("township")
    reply = register(client, household, months="7", cause="traffic")
    assert reply.status_code == 422, reply.text
    assert 'id="tc-months-error"' in reply.text or "tc-months" in reply.text
    assert '<option value="traffic" selected>交通事故</option>' in reply.text
    assert "请选择 1 至 6 个月" in reply.text


def test_the_township_registers_pays_help_first_and_sees_the_clock(
    engine,
    client,
    sign_in,
    household,  # noqa: F811
):
    sign_in("township")
    page = client.get("/temporary")
    assert page.status_code == 200 and "登记临时救助申请" in page.text
    reply = register(client, household)
    assert reply.status_code == 303, reply.text
    url = reply.headers["location"].split("?")[0]
    case_id = int(url.rsplit("/", 1)[1])
    page = client.get(url)
    assert page.status_code == 200
    assert "2,000.00 元" in page.text and "急难型" in page.text
    assert 'data-testid="help-first-form"' in page.text
    reply = client.post(
        f"{url}/help-first",
        data={"amount": "2000", "reason": "火灾先行救助"},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    page = client.get(url)
    assert 'data-testid="help-first-paid"' in page.text
    assert 'data-overdue="no"' in page.text and 'data-testid="help-first-form"' not in page.text
    home = client.get("/")
    assert f'href="/temporary/cases/{case_id}"' in home.text
    # Help first ten days ago: the paperwork is overdue, red on the case page and the lists.
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.help_first_entry_id is not None
        case.help_first_at = clock.now() - timedelta(days=10)
        session.add(case)
    page = client.get(url)
    assert 'data-overdue="yes"' in page.text and "已超期" in page.text
    listed = client.get("/temporary")
    assert re.search(rf'data-case="{case_id}" data-overdue="yes"', listed.text)


def test_help_first_beyond_the_case_amount_is_refused_next_to_the_amount(
    client,
    sign_in,
    household,  # noqa: F811
):
    sign_in("township")
    url = register(client, household).headers["location"].split("?")[0]
    reply = client.post(f"{url}/help-first", data={"amount": "2500", "reason": "先行救助"})
    assert reply.status_code == 422
    assert 'id="hf-amount-error"' in reply.text and 'value="先行救助"' in reply.text


@pytest.mark.parametrize("who", ["county", "township"])
def test_the_page_is_linked_in_the_header(client, sign_in, who):
    sign_in(who)
    assert 'href="/temporary"' in client.get("/").text


def test_the_programme_page_counts_the_running_clocks(client, sign_in, household):  # noqa: F811
    sign_in("township")
    url = register(client, household).headers["location"].split("?")[0]
    client.post(f"{url}/help-first", data={"amount": "", "reason": "先行救助"})
    page = client.get(f"/subsidies/programmes/{PROGRAMME}")
    assert page.status_code == 200
    assert "计时中 1 件，其中超期 0 件" in page.text


def test_the_inbox_page_lists_overdue_paperwork_and_recoveries_due(
    engine,
    client,
    sign_in,
    household,  # noqa: F811
):
    """The HTML inbox, like GET /api/v1/inbox: a 临时救助 case whose paperwork is overdue,
    and one refused after help first whose money is owed back; a case still in time is not
    listed."""
    sign_in("township")
    in_time = register(client, household, cause="illness", relief_type="support")
    assert in_time.status_code == 303, in_time.text
    in_time_id = int(in_time.headers["location"].split("?")[0].rsplit("/", 1)[1])
    reply = register(client, household)
    url = reply.headers["location"].split("?")[0]
    case_id = int(url.rsplit("/", 1)[1])
    paid = client.post(f"{url}/help-first", data={"amount": "2000", "reason": "火灾先行救助"})
    assert paid.status_code == 200, paid.text
    page = client.get("/inbox")
    assert page.status_code == 200 and 'data-testid="inbox-temporary"' in page.text
    assert f'data-case="{case_id}"' not in page.text  # five working days left
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.help_first_at = clock.now() - timedelta(days=10)
        session.add(case)
    page = client.get("/inbox")
    assert re.search(rf'data-case="{case_id}" data-overdue="yes"', page.text)
    assert f'data-case="{in_time_id}"' not in page.text
    assert "临时救助：补办手续逾期及先行救助资金待追回" in page.text
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.status, case.recovery = "rejected", "due"
        session.add(case)
    page = client.get("/inbox")
    assert re.search(rf'data-case="{case_id}" data-overdue="no"', page.text)
    assert "待追回" in page.text


def test_the_form_previews_the_amount_and_keeps_what_was_typed_writing_nothing(
    engine,
    client,
    sign_in,
    household,  # noqa: F811
):
    """试算: months × the urban 低保 standard (1,000 元 assumed in Hohhot), capped at the
    policy's 20,000 元 cap; the form comes back with what was typed, and no case is made."""
    from sqlmodel import func, select

    sign_in("township")
    page = client.get("/temporary")
    assert 'data-testid="temporary-preview-button"' in page.text
    assert "/static/web/temporary.js" in page.text
    data = {
        "household_id": str(household),
        "programme_code": PROGRAMME,
        "relief_type": "emergency",
        "cause": "traffic",
        "months": "3",
        "repeat_override_reason": "",
    }
    reply = client.post("/temporary/preview", data=data)
    assert reply.status_code == 200, reply.text
    assert "预计救助金额：3,000.00 元（3 个月 × 救助标准）" in reply.text
    assert '<option value="traffic" selected>' in reply.text and "封顶" not in reply.text
    with transaction(engine) as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 0
    refused = client.post("/temporary/preview", data={**data, "months": "9"})
    assert refused.status_code == 422 and 'id="tc-months-error"' in refused.text
    script = client.get("/static/web/temporary.js")
    assert script.status_code == 200 and "/temporary/preview" in script.text


def test_help_first_beyond_the_case_amount_says_the_case_amount_in_yuan(
    client,
    sign_in,
    household,  # noqa: F811
):
    sign_in("township")
    url = register(client, household).headers["location"].split("?")[0]
    reply = client.post(f"{url}/help-first", data={"amount": "2500", "reason": "先行救助"})
    assert reply.status_code == 422
    assert "不超过案件金额 2,000.00 元" in reply.text


def test_a_second_help_first_shows_the_refusal_and_keeps_what_was_typed(
    client,
    sign_in,
    household,  # noqa: F811
):
    sign_in("township")
    url = register(client, household).headers["location"].split("?")[0]
    assert (
        client.post(f"{url}/help-first", data={"amount": "", "reason": "先行"}).status_code == 200
    )
    reply = client.post(f"{url}/help-first", data={"amount": "100", "reason": "再付一次"})
    assert reply.status_code == 409, reply.text
    assert 'value="再付一次"' in reply.text
    assert "已先行救助（备用金流水" in reply.text


def test_township_staff_are_offered_returned_only(
    engine,
    client,
    sign_in,
    household,  # noqa: F811
):
    sign_in("township")
    url = register(client, household).headers["location"].split("?")[0]
    assert (
        client.post(f"{url}/help-first", data={"amount": "", "reason": "先行"}).status_code == 200
    )
    with transaction(engine) as session:
        case = session.get(Case, int(url.rsplit("/", 1)[1]))
        assert case is not None
        case.status, case.recovery = "rejected", "due"
        session.add(case)
    page = client.get(url)
    assert 'value="returned"' in page.text and 'value="written_off"' not in page.text
    # The cause by its name, never its code (registered as 火灾, stored as `fire`).
    assert '<dd data-testid="temporary-cause">火灾</dd>' in page.text
    listed = client.get("/temporary").text
    assert "<td>火灾</td>" in listed and "<td>fire</td>" not in listed


@pytest.mark.parametrize(
    ("field", "typed", "words"),
    [
        ("household_id", "abc", "请从户的列表中选择，或填写户的编号（整数）"),
        ("months", "13", "请选择 1 至 6 个月"),
        ("cause", "bogus", "救助原因须为以下之一：火灾、交通事故"),
    ],
)
def test_a_wrong_field_says_what_is_allowed(client, sign_in, household, field, typed, words):  # noqa: F811
    sign_in("township")
    data = {
        "household_id": str(household),
        "programme_code": PROGRAMME,
        "relief_type": "emergency",
        "cause": "fire",
        "cause_detail": "",
        "months": "2",
        "repeat_override_reason": "",
        field: typed,
    }
    reply = client.post("/temporary/cases", data=data, follow_redirects=False)
    assert reply.status_code == 422, reply.text
    assert words in reply.text


def test_township_staff_over_the_budget_are_told_to_ask_the_county_approver(
    engine,
    client,
    sign_in,
    household,  # noqa: F811
):
    from relief.subsidies.models import Programme

    sign_in("township")
    url = register(client, household).headers["location"].split("?")[0]
    case_id = int(url.rsplit("/", 1)[1])
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        programme = session.get(Programme, PROGRAMME)
        assert case is not None and programme is not None
        case.status, case.notice_ends_at = "township_reviewed", None
        programme.budget_fen = 100
        session.add(case)
        session.add(programme)
    page = client.get(f"/subsidies/cases/{case_id}")
    assert 'data-testid="dec-form"' in page.text and 'name="override_reason"' not in page.text
    reply = client.post(
        f"/subsidies/cases/{case_id}/transitions",
        data={"action": "approve", "note": "", "override_reason": "我说超就超"},
    )
    assert reply.status_code == 409, reply.text
    assert "请报县级审批人" in reply.text
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.status == "township_reviewed"


def test_the_english_case_and_reserve_pages_have_no_chinese_brackets(client, sign_in, household):  # noqa: F811
    from relief.web.shell import LANG_COOKIE

    sign_in("township")
    url = register(client, household).headers["location"].split("?")[0]
    assert (
        client.post(f"{url}/help-first", data={"amount": "2000", "reason": "x"}).status_code == 200
    )
    client.cookies.set(LANG_COOKIE, "en")
    for page in (url, "/townships/150102001/reserve"):
        text = client.get(page).text
        assert "（" not in text and "）" not in text, page


def test_months_typed_in_full_width_digits_are_read(client, sign_in, household):  # noqa: F811
    sign_in("township")
    reply = register(client, household, months="２")
    assert reply.status_code == 303, reply.text
