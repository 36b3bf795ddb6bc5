"""A programme's budget changed on its page, in a real browser (issue 16): the administrator
records 4,000,000 元 reaching 呼和浩特市, lowers the city programme's budget so that the
city's programmes fit the funds (no flag), then raises it beyond them (flagged, not
refused); a negative budget is refused next to the field, keeping what was typed. Fixtures
as in test_browser.py."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures
from tests.web.test_funds_browser import _allocate
from tests.web.test_funds_to_case_browser import _receive

pytestmark = pytest.mark.browser

PROGRAMME = "HHHT-REBUILD-2026-FLOOD"  # at 呼和浩特市, budget 30,000,000 元


def _change(page, budget: str) -> None:
    form = page.get_by_test_id("budget-form")
    form.get_by_label("新预算（元）").fill(budget)
    with page.expect_navigation():
        form.get_by_role("button", name="修改预算").click()


def test_the_administrator_changes_a_programmes_budget_on_its_page(visit):  # noqa: F811
    page = visit.page
    visit.sign_in("admin")
    page.goto(visit.origin + "/funds/150000")
    _receive(page, "5000000")
    _allocate(page, "呼和浩特市", "4000000")

    page.goto(visit.origin + f"/subsidies/programmes/{PROGRAMME}")
    assert page.get_by_test_id("summary-budget").inner_text() == "30,000,000.00 元"
    assert page.get_by_test_id("budget-beyond-funds").count() == 1

    _change(page, "250,000")
    assert page.get_by_test_id("done").inner_text() == "已修改预算。"
    assert page.get_by_test_id("summary-budget").inner_text() == "250,000.00 元"
    assert page.get_by_test_id("budget-beyond-funds").count() == 0

    _change(page, "600000")
    assert page.get_by_test_id("summary-budget").inner_text() == "600,000.00 元"
    assert page.get_by_test_id("budget-beyond-funds").count() == 1

    _change(page, "-5")
    field = page.get_by_label("新预算（元）")
    assert field.input_value() == "-5" and field.get_attribute("aria-invalid") == "true"
    assert page.get_by_test_id("error-summary").is_visible()
    assert page.get_by_test_id("summary-budget").inner_text() == "600,000.00 元"
