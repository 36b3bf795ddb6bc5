"""The documents of issue 13 in a real browser (Debian chromium via Playwright): the printable
调拨单 with its print button and its way back to the order page; the subsidy exports offered
as .xlsx documents first.

Run with `.venv/bin/pytest -m browser tests/web`; skipped with one line without
/usr/bin/chromium, like tests/web/test_browser.py, whose helpers it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.dispatch import service as dispatch
from tests.web.conftest import COUNTY, MANAGED_WAREHOUSE
from tests.web.test_browser import (
    DESKTOP,
    Visit,
    browser,  # noqa: F401 - fixture
)
from tests.web.test_browser import _visit as open_visit

pytestmark = pytest.mark.browser


@pytest.fixture
def manager(browser, live_server, web_users) -> Iterator[Visit]:  # noqa: F811
    yield from open_visit(browser, live_server, DESKTOP)


def _order(engine) -> int:
    with transaction(engine) as session:
        order = dispatch.create_order(
            session,
            SYSTEM,
            source_warehouse_code=MANAGED_WAREHOUSE,
            destination_code=COUNTY,
            destination_kind="region",
            lines=[dispatch.OrderLine("tent", 10)],
            route=[MANAGED_WAREHOUSE, COUNTY],
            eta_h=Decimal("0.5"),
            distance_km=Decimal("8"),
            reference="browser test",
        )
        return order.id  # type: ignore[return-value]


def test_print_view_prints_with_its_button_and_leads_back_to_the_order(manager, engine):
    order_id = _order(engine)
    page = manager.page
    manager.sign_in("manager")
    # window.print opens the system dialog, which a headless browser cannot show: count calls.
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    page.goto(f"{manager.origin}/orders/{order_id}/print")
    text = page.locator("body").inner_text()
    assert "帐篷（12 m² 单帐篷）" in text and "（tent）" not in text
    assert "总重量 500.00 千克" in text and "总体积 2.500 立方米" in text
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") == 1
    # The buttons are not on the paper.
    page.emulate_media(media="print")
    assert not page.get_by_test_id("print-button").is_visible()
    page.emulate_media(media="screen")
    with page.expect_navigation():
        page.get_by_role("link", name="返回调拨单").click()
    assert page.url == f"{manager.origin}/orders/{order_id}"


def test_print_view_buttons_follow_the_english_switch(manager, engine):
    order_id = _order(engine)
    page = manager.page
    manager.sign_in("manager")
    page.goto(f"{manager.origin}/lang?to=en&next=/orders/{order_id}")
    page.goto(f"{manager.origin}/orders/{order_id}/print")
    assert page.get_by_role("button", name="Print").is_visible()
    assert page.get_by_role("link", name="Back to the order").is_visible()


@pytest.fixture
def clerk(browser, live_server, web_users) -> Iterator[Visit]:  # noqa: F811
    yield from open_visit(browser, live_server, DESKTOP)


def test_programme_page_offers_the_xlsx_documents_first_and_the_notice_names_the_phone(clerk):
    page = clerk.page
    clerk.sign_in("county")
    page.goto(f"{clerk.origin}/subsidies/programmes/HHHT-REBUILD-2026-FLOOD")
    section = page.locator("section", has=page.locator("#exp-h"))
    links = section.get_by_role("link")
    assert links.first.get_attribute("data-testid") == "notice-xlsx"
    assert links.nth(1).get_attribute("data-testid") == "payments-xlsx"
    assert "CSV（供其他系统导入）" in section.inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("notice-xlsx").click()
    book = load_workbook(BytesIO(download.value.path().read_bytes()))
    lines = [row[0] for sheet in book for row in sheet.iter_rows(values_only=True)]
    assert lines[0] == "呼和浩特市2026年山洪倒损住房恢复重建补助 公示名单"
    assert "监督电话：0471-6901234" in lines
