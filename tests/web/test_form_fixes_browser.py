"""Issue 13 review, the form findings in a real browser (Debian chromium, Playwright): Back
and submit again registers nothing twice (#9, #35: the form's one-time token comes back with
the page), and the language switch of a refused form keeps the user on its page (#1)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from relief.db import transaction
from relief.stock.models import StockMovement
from tests.web.conftest import MANAGED_WAREHOUSE
from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _receipts(engine, reference: str) -> int:
    with transaction(engine) as session:
        query = select(StockMovement).where(StockMovement.reference == reference)
        return len(session.exec(query).all())


def test_back_and_submit_again_registers_the_receipt_once(visit, engine):  # noqa: F811
    visit.sign_in("manager")
    page = visit.page
    page.goto(visit.origin + f"/warehouses/{MANAGED_WAREHOUSE}")
    form = page.get_by_test_id("receipt-form")
    page.locator("#receipt-reference").fill("RK-DUP-1")
    page.locator("#r0-item").select_option("water")
    page.locator("#r0-quantity").fill("600")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "done=receipt" in page.url
    assert _receipts(engine, "RK-DUP-1") == 1

    page.go_back()
    assert page.locator("#receipt-reference").input_value() == "RK-DUP-1"  # kept by the browser
    with page.expect_navigation():
        page.get_by_test_id("receipt-form").locator("button[type=submit]").click()
    assert _receipts(engine, "RK-DUP-1") == 1
    assert page.get_by_test_id("resubmitted").is_visible()
    assert "未重复登记" in page.get_by_test_id("resubmitted").inner_text()


def test_the_language_switch_of_a_refused_sign_in_shows_the_sign_in_form(
    visit,  # noqa: F811
):
    page = visit.page
    page.goto(visit.origin + "/")
    page.get_by_label("用户名").fill("duty")
    page.get_by_label("密码").fill("wrong password")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    with page.expect_navigation():
        page.get_by_test_id("lang-switch").click()
    assert page.get_by_label("Username").is_visible()
    page.goto(visit.origin + "/login")  # a reload or a bookmark of the POST address
    assert page.get_by_label("Username").is_visible()
