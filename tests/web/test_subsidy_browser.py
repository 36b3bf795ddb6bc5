"""A county clerk's main path in a real browser (Debian chromium via Playwright): the
header link, registering a household with the ID number checked as it is typed, opening a
case and moving it through village review and publication.

Run with `.venv/bin/pytest -m browser tests/web`; skipped with one line without
/usr/bin/chromium (a failure in CI), like tests/web/test_browser.py, whose helpers it uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select
from stdnum.cn import ric

from relief.db import transaction
from relief.subsidies.models import Case
from tests.web.test_browser import (
    DESKTOP,
    Visit,
    _no_sideways_scroll,
    browser,  # noqa: F401 - fixture
)
from tests.web.test_browser import _visit as open_visit

pytestmark = pytest.mark.browser

TOWNSHIP = "150102101"  # 保合少镇, in the clerk's 新城区 and the flash flood's area


@pytest.fixture
def clerk(browser, live_server, web_users) -> Iterator[Visit]:  # noqa: F811
    yield from open_visit(browser, live_server, DESKTOP)


def test_clerk_registers_a_household_and_publishes_its_case(clerk, engine):
    page = clerk.page
    clerk.sign_in("county")
    with page.expect_navigation():
        page.get_by_role("link", name="救助补助").click()
    with page.expect_navigation():
        page.get_by_role("link", name="登记受灾户").click()

    body = "15010219800101061"
    good = body + ric.calc_check_digit(body + "0")
    wrong = body + ("1" if good[-1] != "1" else "2")
    page.get_by_label("灾害事件").select_option(index=1)
    page.get_by_label("所在乡镇/村", exact=True).select_option(TOWNSHIP)
    page.get_by_label("户主姓名").fill("张建国")
    # The check digit is checked while typing (idcheck.js), before anything is sent.
    page.get_by_label("身份证号码").fill(wrong)
    assert page.get_by_test_id("id-live").inner_text() == "身份证号码校验位错误，请核对"
    page.get_by_label("身份证号码").fill(good)
    assert page.get_by_test_id("id-live").inner_text() == "✓"
    page.get_by_label("家庭人口").fill("4")
    page.get_by_label("房屋损坏程度").select_option("collapsed")
    page.get_by_label("损坏间数").fill("3")
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()
    assert page.get_by_role("status").inner_text() == "已登记受灾户。"
    assert _no_sideways_scroll(page)

    with page.expect_navigation():
        page.get_by_role("button", name="建立案件").click()
    assert page.get_by_test_id("case-amount").inner_text() == "25,000.00 元"
    with page.expect_navigation():
        page.get_by_role("button", name="村级评议通过").click()
    with page.expect_navigation():
        page.get_by_role("button", name="张榜公示").click()
    assert page.get_by_role("status").inner_text() == "已张榜公示。"
    assert page.get_by_test_id("case-status").inner_text() == "公示中"
    with transaction(engine) as session:
        (case,) = session.exec(select(Case)).all()
        assert case.status == "published"
    assert clerk.foreign == []


def test_the_import_shows_it_is_busy_and_then_every_row_error_in_chinese(clerk, engine):
    """While the file uploads and is checked, the button is disabled and says so; the reply
    lists the bad rows in Chinese and nothing is registered."""
    from relief.subsidies.models import Household

    page = clerk.page
    clerk.sign_in("county")
    page.goto(clerk.origin + "/subsidies/import")
    good = "15010219800101062"
    good += ric.calc_check_digit(good + "0")
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    header = (
        "户主姓名,身份证号码,家庭人口,行政区划代码,房屋损坏程度,损坏间数,户类别,联系电话,一卡通账号"
    )
    content = "\n".join(
        [header, f"李四,{good},3,{TOWNSHIP},倒塌,2,,,", f"王五,{bad},3,{TOWNSHIP},倒塌,2,,,"]
    ).encode("utf-8")
    page.get_by_label("灾害事件").select_option(index=1)
    page.get_by_label("文件").set_input_files(
        {"name": "households.csv", "mimeType": "text/csv", "buffer": content}
    )
    state = clerk.busy_while_sent(
        '[data-testid="import-form"]',
        "**/subsidies/import",
        lambda: (
            page.get_by_test_id("import-form")
            .locator('button[type="submit"]')
            .click(no_wait_after=True)
        ),
    )
    assert state == {"disabled": True, "text": "正在导入…", "status": "正在导入…"}
    rows = page.get_by_test_id("row-errors").locator("tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").nth(2).inner_text() == "第 3 行「身份证号码」：校验位不正确"
    # The answer page's form is usable again.
    assert page.get_by_test_id("import-form").get_attribute("aria-busy") is None
    assert page.get_by_test_id("import-form").locator('button[type="submit"]').is_enabled()
    with transaction(engine) as session:
        assert session.exec(select(Household)).all() == []


def test_clerk_opens_a_temporary_assistance_case_from_the_household_list(clerk, engine):
    """Issue 15: a case of a new kind (临时救助, HHHT-TEMP: the urban 低保 standard × 6
    months per household) opened on the household list shows its kind and amount basis."""
    from relief.auth.models import SYSTEM
    from relief.config import get_settings
    from relief.subsidies import service
    from relief.subsidies.ids import vault_for
    from relief.subsidies.models import HouseholdIn, Programme

    body = "15010219800101063"
    with transaction(engine) as session:
        event_id = session.get(Programme, "HHHT-REBUILD-2026-FLOOD").event_id
        household = service.create_household(
            session,
            SYSTEM,
            HouseholdIn(
                event_id=event_id,
                region_code=TOWNSHIP,
                head_name="刘秀英",
                id_number=body + ric.calc_check_digit(body + "0"),
                size=3,
                damage="general",
            ),
            vault_for(get_settings().secret_key),
        )
        household_id = household.id
    page = clerk.page
    clerk.sign_in("county")
    page.goto(clerk.origin + "/subsidies/households")
    # A programme of no event is opened with the bulk form for the households ticked, not
    # offered in every row (issue 15 review).
    page.locator(f"#pick-{household_id}").check()
    page.locator("#bulk-programme").select_option("HHHT-TEMP")
    with page.expect_navigation():
        page.locator('#bulk-form button[value="selected"]').click()
    from relief.subsidies.models import Case

    with transaction(engine) as session:
        case = session.exec(
            select(Case).where(
                Case.household_id == household_id, Case.programme_code == "HHHT-TEMP"
            )
        ).one()
    page.goto(f"{clerk.origin}/subsidies/cases/{case.id}")
    assert page.get_by_test_id("case-kind").inner_text() == "临时救助"
    assert page.get_by_test_id("case-amount").inner_text() == "6,000.00 元"
    assert page.get_by_test_id("case-basis").inner_text() == (
        "呼和浩特市城市居民最低生活保障标准 × 100% × 6 个月（参照标准 1,000.00 元/人·月），"
        "按户计（不乘人数），每户最多 20,000.00 元"
    )
    assert clerk.foreign == []
