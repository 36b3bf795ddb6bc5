"""County staff keep the deaths and missing ledger in a real browser (Debian chromium,
Playwright): from the event page's flag to the ledger, an entry refused inline with what was
typed kept, then added, listed masked, and the flag gone once the ledger agrees; the
downloads are offered. Fixtures as in test_browser.py."""

from __future__ import annotations

import re

import pytest
from stdnum.cn import ric

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _number(seq: int) -> str:
    body = f"150102199003{seq:02d}456"
    return body + ric.calc_check_digit(body + "0")


def _add(page, name: str, status: str, place: str, number: str = "") -> None:
    page.get_by_label("姓名").fill(name)
    page.get_by_label("性别").select_option("female")
    page.get_by_label("身份证号码").fill(number)
    page.get_by_label("死亡/失踪").select_option(status)
    page.get_by_label("死亡（失踪）日期").fill("2026-07-28")
    page.get_by_label("死亡（失踪）地点").select_option(place)
    page.get_by_label("死亡（失踪）原因").fill("山洪冲毁房屋")
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()


def test_county_staff_keep_the_deaths_and_missing_ledger(visit):  # noqa: F811
    visit.sign_in("county")
    page = visit.page
    page.goto(visit.origin + "/events")
    page.get_by_role("link", name=re.compile("山洪")).first.click()
    flag = page.locator('[data-testid="ledger-flag"]')
    assert "新城区" in flag.inner_text()
    page.locator('[data-testid="ledger-link"]').click()
    page.wait_for_selector('[data-testid="ledgers"]')
    assert page.locator('[data-testid="ledger-differences"]').is_visible()
    assert (
        page.locator('[data-testid="deaths-xlsx"]')
        .get_attribute("href")
        .endswith("table=deaths&format=xlsx")
    )

    # A wrong check digit: refused next to the input, everything typed is still there.
    good = _number(1)
    wrong = good[:-1] + ("1" if good[-1] == "0" else "0")
    _add(page, "李秀兰", "dead", "150102101", wrong)
    assert page.locator("#cs-id-error").inner_text() == "身份证号码校验位错误，请核对"
    assert page.get_by_label("姓名").input_value() == "李秀兰"
    assert page.get_by_label("死亡（失踪）地点").input_value() == "150102101"
    page.get_by_label("身份证号码").fill(good)
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()
    assert page.locator('[data-testid="added"]').is_visible()
    assert page.locator('[data-testid="entry-id"]').first.inner_text() == (
        good[:6] + "********" + good[-4:]
    )

    # The scenario reports 3 dead and 1 missing in 新城区: enter the rest, the flag goes.
    _add(page, "张桂芳", "dead", "150102401", _number(2))
    _add(page, "赵德明", "dead", "150102101")
    _add(page, "孙玉珍", "missing", "150102101")
    assert page.locator('[data-testid="entry-count"]').inner_text() == "4"
    assert page.locator('[data-testid="ledger-differences"]').count() == 0
    page.locator('[data-testid="event-link"]').click()
    page.wait_for_selector('[data-testid="event"]')
    assert page.locator('[data-testid="ledger-flag"]').count() == 0
