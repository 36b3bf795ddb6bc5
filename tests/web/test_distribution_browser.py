"""Goods to households (发放到户, issue 16) in a real browser, from a received order to a
household's fulfilment: the township's staff find the page on their home, see the rice and
quilts they signed for, issue more rice than they hold (refused next to the rice, what was
typed kept), correct it, and see the household given its share while the other has nothing
yet. Fixtures as in test_browser.py."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures
from tests.web.test_distribution_pages import PAGE, delivered  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def test_from_a_received_order_to_goods_signed_for_by_a_household(visit, delivered):  # noqa: F811
    visit.sign_in("township")
    page = visit.page
    page.goto(visit.origin + "/")
    with page.expect_navigation():
        page.locator('[data-testid="distribution-link"]').click()
    assert page.url.split("?")[0].endswith(PAGE)
    holdings = page.locator('[data-testid="holdings"]')
    assert "大米" in holdings.inner_text() and "20" in holdings.inner_text()

    form = page.locator('[data-testid="issue-form"]')
    form.get_by_label("受灾户").select_option(str(delivered["first"]))
    form.get_by_label("大米（kg）").fill("25")
    form.get_by_label("棉被（床）").fill("3")
    form.get_by_label("领取人签字").fill("王建国")
    with page.expect_navigation():
        form.get_by_role("button", name="登记发放").click()
    assert "不能发放 25" in page.locator("#issue-q-rice-error").inner_text()
    form = page.locator('[data-testid="issue-form"]')
    assert form.get_by_label("领取人签字").input_value() == "王建国"
    assert form.get_by_label("棉被（床）").input_value() == "3"

    form.get_by_label("大米（kg）").fill("5")
    with page.expect_navigation():
        form.get_by_role("button", name="登记发放").click()
    assert "已登记发放" in page.locator('[data-testid="done"]').inner_text()
    rows = page.locator('[data-testid="fulfilment"] tbody tr')
    first = rows.filter(has_text="王建国").inner_text()
    assert "大米 5/5" in first and "棉被 3/3" in first and "已发放" in first
    assert "尚未发放" in rows.filter(has_text="李秀英").inner_text()
    assert "大米" in page.locator('[data-testid="issues"]').inner_text()
    assert page.locator('[data-testid="roster-pdf"]').is_visible()
