"""冬春生活救助 (issue 15) end to end in a real browser: the township's staff survey a
household into the 台账; county staff open the case, record the village review (村评), publish
it (公示) and review it for the township (乡审); the approver decides (县定); county staff make
a round, pay it to the 一卡通 and find the household in the 已救助 ledger. Fixtures as in
test_browser.py; the households and the approver from test_winter_pages.py."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures
from tests.web.test_winter_pages import PROGRAMME, end_notice, households  # noqa: F401

pytestmark = pytest.mark.browser


def test_survey_case_review_round_paid_and_the_assisted_ledger(visit, households, engine):  # noqa: F811
    household = households[0]
    page = visit.page
    visit.sign_in("township")
    page.goto(visit.origin + "/winter-spring/survey?season=2026")
    form = page.locator('[data-testid="winter-entry-form"]')
    form.get_by_label("户编号").fill(str(household))
    form.get_by_label("需救助人口（人）").fill("2")
    form.get_by_label("口粮（公斤）").fill("60")
    form.locator('[data-testid="need-heating"]').check()
    with page.expect_navigation():
        form.get_by_role("button", name="录入台账").click()
    assert page.locator('[data-testid="done"]').inner_text() == "已录入台账。"
    assert "王建国" in page.locator('[data-testid="winter-ledger"]').inner_text()

    page.context.clear_cookies()
    visit.sign_in("county")
    reply = page.request.post(
        visit.origin + "/api/v1/cases",
        data={"household_id": household, "programme_code": PROGRAMME},
        headers={"Origin": visit.origin},
    )
    assert reply.status == 201, reply.text()
    case_id = reply.json()["id"]
    page.goto(f"{visit.origin}/subsidies/cases/{case_id}")
    with page.expect_navigation():
        page.locator('[data-testid="winter-review-link"]').click()
    form = page.locator('[data-testid="winter-review-form"]')
    form.get_by_label("参加人员").fill("村两委5人、村民代表12人")
    with page.expect_navigation():
        form.get_by_role("button", name="保存评议记录").click()
    assert page.url.endswith(f"/subsidies/cases/{case_id}")
    with page.expect_navigation():
        page.locator('[data-testid="action-publish"]').click()
    end_notice(engine)
    page.reload()
    with page.expect_navigation():
        page.locator('[data-testid="action-township_review"]').click()

    page.context.clear_cookies()
    visit.sign_in("approver")
    page.goto(f"{visit.origin}/subsidies/cases/{case_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator('[data-testid="action-approve"]').click()

    page.context.clear_cookies()
    visit.sign_in("county")
    page.goto(f"{visit.origin}/winter-spring/programmes/{PROGRAMME}/rounds")
    form = page.locator('[data-testid="winter-round-form"]')
    form.get_by_label("批次名称").fill("第一轮（春节前）")
    form.get_by_label("发放月份").select_option("1")
    form.get_by_label("金额（元）").fill("150")
    with page.expect_navigation():
        form.get_by_role("button", name="生成发放批次").click()
    assert page.locator('[data-testid="done"]').inner_text() == "已生成发放批次。"
    with page.expect_navigation():
        page.locator('[data-testid="pay-round"]').click()
    assert "已于" in page.locator('[data-testid="round-paid"]').inner_text()
    ledger = page.locator('[data-testid="winter-assisted"]').inner_text()
    assert "王建国" in ledger and "300.00" in ledger and "第一轮（春节前）" in ledger
    assert visit.foreign == []
