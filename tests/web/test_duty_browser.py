"""The duty officer's main path in a real browser (Debian chromium, Playwright): the
Hohhot snowstorm from a telephoned report through the assessment to triggering the
response, then running both plans and approving one. Fixtures as in test_browser.py
(skipped with one line without /usr/bin/chromium, a failure in CI)."""

from __future__ import annotations

import re

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}


def _number(page, selector: str) -> int:
    return int(page.locator(selector).inner_text())


def test_duty_officer_reports_assesses_triggers_plans_and_approves(visit):  # noqa: F811
    visit.sign_in("duty")
    page = visit.page
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)

    # From the header to the event.
    page.get_by_role("link", name="灾害事件").first.click()
    page.get_by_role("link", name=re.compile("暴雪")).click()
    assert page.locator('[data-testid="event"]').is_visible()
    relocated = _number(page, '[data-total="relocated"]')

    # A report taken on the phone: region, kind and two counts; the time defaults to now.
    page.get_by_label("所在区划").select_option("150125200")
    page.get_by_label("类型").select_option("update")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d", page.get_by_label("报告时间（北京时间）").input_value()
    )
    page.get_by_label("紧急转移安置人数").fill("200")
    page.get_by_label("需紧急生活救助人数").fill("400")
    page.get_by_label("数字变动原因").fill("电话补报：转移人数增加")
    with page.expect_navigation():
        page.get_by_role("button", name="保存报告").click()
    # 150125200's previous report said 70 relocated.
    assert _number(page, '[data-total="relocated"]') == relocated + 130
    recommended_text = page.locator('[data-testid="recommended"]').inner_text()
    level = next(n for n, r in ROMAN.items() if f"{r}级响应" in recommended_text)
    assert page.locator('[data-testid="exceeded"] tbody tr').count() >= 1

    # The override reason appears only for a level above the recommendation.
    reason = page.get_by_label("高于建议级别的理由")
    level_select = page.locator("#tr-level")
    level_select.select_option(str(level))
    assert not reason.is_visible()
    if level > 1:
        level_select.select_option(str(level - 1))
        assert reason.is_visible()
        assert reason.evaluate("el => el.required")
        level_select.select_option(str(level))
        assert not reason.is_visible()
    page.get_by_label("说明").fill("按评估建议启动")
    with page.expect_navigation():
        page.get_by_role("button", name="启动响应").click()
    assert dialogs and "启动" in dialogs[-1]  # confirmed before an irreversible action
    heading = page.locator('[data-testid="response"]')
    assert heading.get_attribute("data-status") == "active"
    assert f"{ROMAN[level]}级响应" in heading.inner_text()
    assert page.locator('[data-testid="deadlines"]').is_visible()

    # Both plans side by side, then approve the optimal one (after a confirmation).
    with page.expect_navigation():
        page.get_by_role("button", name="计算方案（最优与贪心）").click()
    optimal = page.locator('[data-testid="plan-optimal"]')
    assert optimal.is_visible() and page.locator('[data-testid="plan-greedy"]').is_visible()
    asked = len(dialogs)
    with page.expect_navigation():
        page.locator('[data-testid="approve-optimal"]').click()
    assert len(dialogs) == asked + 1
    assert page.locator('[data-testid="approved-plan"]').is_visible()
    assert page.locator('[data-testid="plan-optimal"]').get_attribute("data-state") == "approved"
    assert page.locator("#response-map .flow").count() > 0


def test_plans_show_a_busy_state_fulfilment_follows_and_the_manager_acknowledges(visit):  # noqa: F811
    visit.sign_in("duty")
    page = visit.page
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(visit.origin + "/events")
    page.get_by_role("link", name=re.compile("暴雪")).click()
    page.get_by_label("说明").fill("按评估建议启动")
    with page.expect_navigation():
        page.get_by_role("button", name="启动响应").click()
    fulfilment = page.locator('[data-testid="fulfilment"]')
    assert fulfilment.is_visible() and "到货跟踪" in fulfilment.inner_text()

    # While the solver runs the button is disabled and says so (busy.js).
    state = visit.busy_while_sent(
        '[data-testid="run-plans"]',
        "**/plans",
        lambda: page.get_by_role("button", name="计算方案（最优与贪心）").click(no_wait_after=True),
    )
    assert state == {"disabled": True, "text": "正在计算方案…", "status": "正在计算方案…"}
    assert page.locator('[data-testid="plan-optimal"]').is_visible()
    with page.expect_navigation():
        page.locator('[data-testid="approve-optimal"]').click()
    rows = page.locator('[data-testid="fulfilment-row"]')
    assert rows.count() > 0 and not rows.first.is_visible()  # all lines folded
    page.locator("#fulfilment summary").click()
    assert rows.first.is_visible()
    assert page.locator('[data-testid="response-orders"] a').count() > 0
    assert page.locator('[data-testid="fulfilment-summary"]').get_attribute("data-late") == "0"

    # The manager of an eligible depot acknowledges the notice from the inbox.
    page.context.clear_cookies()
    visit.sign_in("manager")
    page.get_by_role("link", name="通知", exact=True).click()
    count = page.locator('[data-testid="inbox-unacked-count"]')
    before = int(count.inner_text())
    assert before >= 1
    with page.expect_navigation():
        page.get_by_role("button", name="确认收到").first.click()
    assert page.get_by_role("status").first.inner_text() == "已确认收到。"
    assert int(count.inner_text()) == before - 1
