"""The warehouse manager's main path in a real browser (Debian chromium via Playwright):
sign in, receive goods, restock another warehouse, dispatch with the pick list, print.

Run with `.venv/bin/pytest -m browser tests/web`; skipped with one line without
/usr/bin/chromium (a failure in CI), like tests/web/test_browser.py, whose helpers it uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from relief.db import transaction
from relief.stock import service as stock
from tests.web.conftest import MANAGED_WAREHOUSE, OTHER_WAREHOUSE
from tests.web.test_browser import (
    DESKTOP,
    Visit,
    _no_sideways_scroll,
    browser,  # noqa: F401 - fixture
)
from tests.web.test_browser import _visit as open_visit

pytestmark = pytest.mark.browser


@pytest.fixture
def manager(browser, live_server, web_users) -> Iterator[Visit]:  # noqa: F811
    yield from open_visit(browser, live_server, DESKTOP)


def _on_hand(engine, warehouse: str, item: str) -> int:
    with transaction(engine) as session:
        (row,) = stock.stock_of(session, warehouse, [item])
        return row.on_hand


def test_manager_receives_restocks_and_dispatches_with_the_pick_list(manager, engine):
    page = manager.page
    manager.sign_in("manager")
    water_before = _on_hand(engine, MANAGED_WAREHOUSE, "water")

    # Receipt: from the keyboard-labelled fields of the warehouse page.
    page.goto(f"{manager.origin}/warehouses/{MANAGED_WAREHOUSE}")
    assert _no_sideways_scroll(page)
    page.get_by_label("入库单号").fill("GR-2026-0801")
    page.get_by_label("物资 1", exact=True).select_option("water")
    page.get_by_label("数量 1", exact=True).fill("120")
    page.get_by_label("批次 1", exact=True).fill("W2501")
    page.get_by_label("到期日 1", exact=True).fill("2036-12-05")
    with page.expect_navigation():
        page.get_by_role("button", name="登记入库").click()
    assert page.get_by_role("status").inner_text() == "已登记入库。"
    assert _on_hand(engine, MANAGED_WAREHOUSE, "water") == water_before + 120

    # Transfer to another warehouse.
    with page.expect_navigation():
        page.get_by_role("link", name="新建调拨补库").click()
    page.get_by_label("调入仓库").select_option(OTHER_WAREHOUSE)
    page.get_by_label("物资 1", exact=True).select_option("water")
    page.get_by_label("数量 1", exact=True).fill("150")
    page.get_by_label("原因").fill("补充回民区片区库")
    with page.expect_navigation():
        page.get_by_role("button", name="生成调拨单").click()
    assert page.locator('[data-testid="order-status"]').get_attribute("data-status") == "reserved"

    # The pick list takes the lot that expires first: the one just received, then the rest.
    lots = page.locator('[data-testid="order-lines"] tr[data-item="water"] [data-testid="lots"]')
    assert lots.inner_text().splitlines()[0] == "W2501 · 2036-12-05 × 120"

    # Dispatch asks for confirmation first; quantities default to what was ordered.
    assert page.get_by_label("实发数量 饮用水（瓶装）").input_value() == "150"
    page.get_by_label("车辆").fill("东风 EQ1090")
    page.get_by_label("驾驶员").fill("王师傅")
    page.get_by_label("车牌号").fill("蒙A·12345")
    questions: list[str] = []

    def answer(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    with page.expect_navigation():
        page.get_by_role("button", name="确认发运").click()
    assert questions == ["发运后不能撤销，库存将出库。确认发运？"]
    assert page.locator('[data-testid="order-status"]').get_attribute("data-status") == "dispatched"
    assert _on_hand(engine, MANAGED_WAREHOUSE, "water") == water_before + 120 - 150
    assert _no_sideways_scroll(page)

    # The printable 调拨单 carries the order's number, the vehicle and the lots that left.
    number = re.search(r"DB-\d{8}-\d{4}", page.get_by_role("heading", level=1).inner_text())
    assert number is not None
    with page.expect_navigation():
        page.get_by_role("link", name="打印调拨单").click()
    assert page.title() == f"调拨单 {number[0]}"
    text = page.locator("body").inner_text()
    assert "蒙A·12345" in text and "W2501" in text


def test_an_action_outside_the_managers_scope_is_a_403_page_and_books_nothing(manager, engine):
    """A receipt posted to another warehouse (a stale tab, an edited form): the rendered 403
    page in the user's language, and the other warehouse's stock is unchanged."""
    manager.sign_in("manager")
    page = manager.page
    page.goto(f"{manager.origin}/warehouses/{MANAGED_WAREHOUSE}")
    before = _on_hand(engine, OTHER_WAREHOUSE, "water")
    form = page.get_by_test_id("receipt-form")
    form.evaluate(f"f => f.setAttribute('action', '/warehouses/{OTHER_WAREHOUSE}/receipts')")
    page.get_by_label("入库单号").fill("RK-ELSEWHERE")
    page.get_by_label("物资 1", exact=True).select_option("water")
    page.get_by_label("数量 1", exact=True).fill("50")
    with page.expect_navigation() as navigation:
        form.locator('button[type="submit"]').click()
    assert navigation.value.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "无权访问"
    assert _on_hand(engine, OTHER_WAREHOUSE, "water") == before
