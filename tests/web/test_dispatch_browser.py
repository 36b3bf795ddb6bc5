"""Issue 13, the dispatch pages in a real browser (Debian chromium via Playwright): the late
rule on every page, over-dispatch said with the ordered quantity, cancelling with a reason,
a stale tab told what changed and who changed it, the orders list sorted and searched, the
manager's home with its to-dos, and the pickers of the transfer form.

Run with `.venv/bin/pytest -m browser tests/web/test_dispatch_browser.py`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from relief import clock
from relief.auth import service as auth
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.dispatch import service as dispatch
from tests.web.conftest import MANAGED_WAREHOUSE, OTHER_WAREHOUSE
from tests.web.test_browser import (
    DESKTOP,
    Visit,
    browser,  # noqa: F401 - fixture
)
from tests.web.test_browser import _visit as open_visit

pytestmark = pytest.mark.browser

# The clock is frozen near the real time (the browser keeps cookies against its own clock).
T0 = datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
def manager(browser, live_server, web_users) -> Iterator[Visit]:  # noqa: F811
    yield from open_visit(browser, live_server, DESKTOP)


@pytest.fixture
def duty(browser, live_server, web_users) -> Iterator[Visit]:  # noqa: F811
    yield from open_visit(browser, live_server, DESKTOP)


def _at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


def _order(engine, destination: str = "150102001", kind: str = "region") -> tuple[int, str]:
    """An order of 30 tents from the managed depot, as plan approval makes it."""
    with transaction(engine) as session:
        order = dispatch.create_order(
            session,
            SYSTEM,
            source_warehouse_code=MANAGED_WAREHOUSE,
            destination_code=destination,
            destination_kind=kind,
            lines=[dispatch.OrderLine("tent", 30)],
            route=[MANAGED_WAREHOUSE, destination],
            eta_h=Decimal(1),
            distance_km=Decimal(30),
            reference="plan 1",
            loading_h=Decimal(2),
        )
        return order.id, order.number  # type: ignore[return-value]


def _accept_dialogs(page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_an_order_reads_late_only_after_approval_plus_loading_plus_travel(manager, engine):
    _at(T0)
    order_id, number = _order(engine)
    _at(T0 + timedelta(minutes=50))
    page = manager.page
    manager.sign_in("manager")
    todo = page.get_by_test_id("todo-dispatch")
    row = todo.locator(f'tr[data-order="{order_id}"]')
    assert row.get_attribute("data-late") is None
    assert number in row.inner_text() and "已逾期" not in row.inner_text()
    page.goto(f"{manager.origin}/orders")
    assert "已逾期" not in page.locator(f'tr[data-order="{order_id}"]').inner_text()

    _at(T0 + timedelta(hours=3, minutes=1))  # approval + 2 h loading + 1 h travel has passed
    page.goto(f"{manager.origin}/")
    assert (
        "已逾期"
        in page.get_by_test_id("todo-dispatch").locator(f'tr[data-order="{order_id}"]').inner_text()
    )
    page.goto(f"{manager.origin}/orders")
    assert "已逾期" in page.locator(f'tr[data-order="{order_id}"]').inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name=number).first.click()
    assert "已逾期" in page.get_by_role("heading", level=1).inner_text()


def test_over_dispatch_is_said_under_the_field_with_the_ordered_quantity(manager, engine):
    order_id, _ = _order(engine)
    page = manager.page
    manager.sign_in("manager")
    page.goto(f"{manager.origin}/orders/{order_id}")
    _accept_dialogs(page)
    quantity = page.get_by_label("实发数量 帐篷（12 m² 单帐篷）")
    quantity.fill("31")
    page.get_by_label("车辆").fill("东风 EQ1090")
    page.get_by_label("驾驶员").fill("王师傅")
    page.get_by_label("车牌号").fill("蒙A·12345")
    with page.expect_navigation():
        page.get_by_role("button", name="确认发运").click()
    quantity = page.get_by_label("实发数量 帐篷（12 m² 单帐篷）")
    assert quantity.input_value() == "31"
    assert quantity.get_attribute("aria-invalid") == "true"
    assert page.locator("#d0-quantity-error").inner_text() == "超过调拨数量（30 顶）"
    assert page.get_by_label("车牌号").input_value() == "蒙A·12345"
    assert page.locator('[data-testid="order-status"]').get_attribute("data-status") == "reserved"


def test_cancelling_needs_a_reason_and_the_order_shows_who_cancelled_when_and_why(duty, engine):
    with transaction(engine) as session:
        user = auth.user_by_username(session, "duty")
        user.full_name = "张值班"
        session.add(user)
    order_id, _ = _order(engine)
    page = duty.page
    duty.sign_in("duty")
    page.goto(f"{duty.origin}/orders/{order_id}")
    questions: list[str] = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    # Empty: the browser says the reason is missing before any "cannot be undone" question.
    page.get_by_role("button", name="取消调拨单").click()
    reason = page.get_by_label("取消原因")
    assert reason.evaluate("e => e.validity.valueMissing") is True
    assert questions == []
    # Without the browser's check (no JavaScript, an old browser) the server says it inline.
    reason.evaluate("e => e.removeAttribute('required')")
    with page.expect_navigation():
        page.get_by_role("button", name="取消调拨单").click()
    reason = page.get_by_label("取消原因")
    assert reason.get_attribute("aria-invalid") == "true"
    assert page.locator("#cancel-reason-error").inner_text() == "请填写取消原因"
    assert page.locator('[data-testid="order-status"]').get_attribute("data-status") == "reserved"
    reason.fill("灾情缓解，改由县库供应")
    with page.expect_navigation():
        page.get_by_role("button", name="取消调拨单").click()
    assert page.locator('[data-testid="order-status"]').get_attribute("data-status") == "cancelled"
    assert "由 张值班 取消" in page.get_by_test_id("cancelled").inner_text()
    assert page.get_by_test_id("cancel-reason").inner_text() == "灾情缓解，改由县库供应"


def test_a_stale_tab_is_told_what_changed_and_who_changed_it(manager, duty, engine):
    with transaction(engine) as session:
        user = auth.user_by_username(session, "duty")
        user.full_name = "张值班"
        session.add(user)
    order_id, _ = _order(engine)
    manager.sign_in("manager")
    duty.sign_in("duty")
    # The manager opens the order and starts filling the dispatch form …
    mpage = manager.page
    mpage.goto(f"{manager.origin}/orders/{order_id}")
    _accept_dialogs(mpage)
    mpage.get_by_label("车辆").fill("东风 EQ1090")
    mpage.get_by_label("驾驶员").fill("王师傅")
    mpage.get_by_label("车牌号").fill("蒙A·12345")
    # … while the duty officer cancels it in another browser.
    dpage = duty.page
    dpage.goto(f"{duty.origin}/orders/{order_id}")
    _accept_dialogs(dpage)
    dpage.get_by_label("取消原因").fill("灾情缓解")
    with dpage.expect_navigation():
        dpage.get_by_role("button", name="取消调拨单").click()
    with mpage.expect_navigation() as navigation:
        mpage.get_by_role("button", name="确认发运").click()
    assert navigation.value.status == 409
    message = mpage.locator(".form-error").first.inner_text()
    assert re.fullmatch(r"该调拨单已于 \d{4}-\d\d-\d\d \d\d:\d\d 由 张值班 取消，.*", message)
    assert mpage.locator('[data-testid="order-status"]').get_attribute("data-status") == "cancelled"


def test_the_orders_list_sorts_by_a_column_click_and_searches_number_and_destination(
    manager, engine
):
    first, first_number = _order(engine, "150102001")  # 海拉尔东路街道
    second, _ = _order(engine, "150102002")  # 锡林北路街道
    third, _ = _order(engine, OTHER_WAREHOUSE, "warehouse")
    page = manager.page
    manager.sign_in("manager")
    page.goto(f"{manager.origin}/orders")
    outgoing = page.get_by_test_id("orders.outgoing")

    def listed() -> list[int]:
        rows = outgoing.locator("tbody tr")
        return [int(rows.nth(i).get_attribute("data-order")) for i in range(rows.count())]

    assert listed() == [third, second, first]
    with page.expect_navigation():
        outgoing.get_by_role("link", name=re.compile("^单号")).click()
    assert listed() == [first, second, third]
    assert outgoing.locator('th[aria-sort="ascending"]').count() == 1
    with page.expect_navigation():
        outgoing.get_by_role("link", name=re.compile("^单号")).click()
    assert listed() == [third, second, first]
    page.get_by_label("查找").fill("锡林")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert listed() == [second]
    page.get_by_label("查找").fill(first_number[-4:])
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert first in listed()


def test_the_transfer_form_chooses_the_warehouse_by_name_and_shows_the_items_unit(manager, engine):
    page = manager.page
    manager.sign_in("manager")
    page.goto(f"{manager.origin}/warehouses/{MANAGED_WAREHOUSE}/transfer")
    page.get_by_placeholder("查找仓库").fill("回民")
    assert page.get_by_label("调入仓库").input_value() == OTHER_WAREHOUSE
    page.get_by_label("物资 1", exact=True).select_option("tent")
    unit = page.locator('[data-unit-of="t0-item"]')
    assert unit.inner_text() == "顶"
    # No option offers an English code to type: items are named in Chinese with their unit.
    options = page.get_by_label("物资 1", exact=True).locator("option").all_inner_texts()
    assert "帐篷（12 m² 单帐篷）（顶）" in options
    assert not any(re.search(r"[a-z]{3,}_|^WH-", text) for text in options)
