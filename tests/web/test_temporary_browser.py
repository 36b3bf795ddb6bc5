"""临时救助 (issue 15 part C) in a real browser: the township's 民政助理 registers a 急难型
case after a fire, pays help first from the township's reserve fund, and sees the paperwork
clock on the case page and on the home page. Fixtures as in test_browser.py."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures
from tests.web.test_reserve_pages import PAGE, household  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def test_the_township_helps_first_and_sees_the_paperwork_clock(visit, household):  # noqa: F811
    visit.sign_in("township")
    page = visit.page
    page.goto(visit.origin + "/")
    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role("link", name="临时救助").click()
    form = page.locator('[data-testid="temporary-form"]')
    form.get_by_label("户编号").fill(str(household))
    form.get_by_label("急难型").check()
    form.get_by_label("救助事由", exact=True).select_option(label="火灾")
    # Seven months is not offered; a refused form keeps what was typed (months 2 here).
    form.get_by_label("救助月数").select_option("2")
    with page.expect_navigation():
        form.get_by_role("button", name="登记").click()
    assert page.locator('[data-testid="done"]').inner_text() == "临时救助案件已登记。"
    # 2 months × the urban 低保 standard (1,000 元, assumed in the Hohhot policy).
    assert page.locator('[data-testid="temporary-amount"]').inner_text() == "2,000.00 元"

    help_first = page.locator('[data-testid="help-first-form"]')
    assert help_first.get_by_label("金额（元）").input_value() == "2,000.00"
    help_first.get_by_label("事由").fill("火灾后先行救助")
    with page.expect_navigation():
        help_first.get_by_role("button", name="支付先行救助").click()
    assert page.locator('[data-testid="done"]').inner_text() == "先行救助已从乡镇备用金支付。"
    assert "2000.00" in page.locator('[data-testid="help-first-paid"]').inner_text()
    clock = page.locator('[data-testid="temporary-clock"]')
    assert clock.get_attribute("data-overdue") == "no"
    assert page.locator('[data-testid="clock-left"]').inner_text() == "5"
    due = page.locator('[data-testid="clock-due"]').inner_text()

    page.goto(visit.origin + "/")
    row = page.locator('[data-testid="temporary-due-row"]')
    assert row.count() == 1 and due in row.inner_text()
    page.goto(visit.origin + PAGE)
    # The scenario's policy starts the township's fund with 20,000 (assumed).
    assert page.locator('[data-testid="reserve-balance"]').inner_text() == "18,000.00 元"


def test_the_form_shows_the_amount_when_the_months_change(visit, household):  # noqa: F811
    visit.sign_in("township")
    page = visit.page
    page.goto(visit.origin + "/temporary")
    form = page.locator('[data-testid="temporary-form"]')
    form.get_by_label("户编号").fill(str(household))
    form.get_by_label("救助事由", exact=True).select_option(label="火灾")
    form.get_by_label("救助月数").select_option("4")
    line = page.locator('[data-testid="temporary-preview"]')
    line.filter(has_text="4,000.00 元").wait_for(timeout=10000)
    assert line.inner_text() == "预计救助金额：4,000.00 元（4 个月 × 救助标准）"
    assert page.url.endswith("/temporary")  # no navigation: asked in the background
    # Without the script's help the 试算 button gives the same line on a full page.
    with page.expect_navigation():
        form.get_by_role("button", name="试算金额").click()
    assert "4,000.00 元" in page.locator('[data-testid="temporary-preview"]').inner_text()
    assert form.get_by_label("救助事由", exact=True).input_value() == "fire"
