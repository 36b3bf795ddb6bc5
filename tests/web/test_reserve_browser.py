"""The township reserve fund (备用金, issue 15) in a real browser: county staff find it on
their home and top it up; the township's staff pay a household from it, a payment beyond the
balance is refused next to the amount with what was typed kept. Fixtures as in
test_browser.py."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures
from tests.web.test_reserve_pages import PAGE, household  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def test_county_tops_up_and_the_township_pays_from_its_reserve_fund(visit, household):  # noqa: F811
    visit.sign_in("county")
    page = visit.page
    page.goto(visit.origin + "/")
    with page.expect_navigation():
        page.locator('[data-testid="reserve-links"]').get_by_role(
            "link", name="海拉尔东路街道"
        ).click()
    assert page.url.endswith(PAGE)
    page.get_by_label("金额（元）").first.fill("8100")
    page.get_by_label("拨付文号").fill("新民发〔2026〕12号")
    with page.expect_navigation():
        page.get_by_role("button", name="拨付", exact=True).click()
    # The scenario's policy starts each township of 新城区 with 20,000 (assumed).
    assert page.locator('[data-testid="reserve-balance"]').inner_text() == "28,100.00 元"

    page.context.clear_cookies()
    visit.sign_in("township")
    page.goto(visit.origin + "/")
    with page.expect_navigation():
        # the township's fund (its 发放到户 page is linked beside it)
        page.locator('[data-testid="reserve-links"]').get_by_role("link").first.click()
    form = page.locator('[data-testid="reserve-payment-form"]')
    form.get_by_label("金额（元）").fill("30000")
    form.get_by_label("户编号").fill(str(household))
    form.get_by_label("事由").fill("先行救助")
    with page.expect_navigation():
        form.get_by_role("button", name="先行支付").click()
    assert "28,100.00 元" in page.locator("#pay-amount-error").inner_text()
    assert form.get_by_label("事由").input_value() == "先行救助"
    form.get_by_label("金额（元）").fill("1500.50")
    with page.expect_navigation():
        form.get_by_role("button", name="先行支付").click()
    assert page.locator('[data-testid="reserve-balance"]').inner_text() == "26,599.50 元"
    assert page.locator('[data-testid="done"]').inner_text() == "已支付。"
