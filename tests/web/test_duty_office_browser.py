"""Issue 13, the duty officer's office standard in a real browser (Debian chromium,
Playwright): sign-in that returns to the page asked for and says what is missing, Roman
numerals one way, criteria by their Chinese labels, superseded reports marked. Fixtures as
in test_browser.py (skipped with one line without /usr/bin/chromium)."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_a_signed_out_response_page_signs_in_and_lands_on_it(visit):  # noqa: F811
    from tests.conftest import PASSWORD

    page = visit.page
    page.goto(visit.origin + "/responses/1")
    assert page.get_by_role("button", name="登录").is_visible()
    page.get_by_label("用户名").fill("duty")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url == visit.origin + "/responses/1"


def test_an_empty_sign_in_says_which_fields_are_missing(visit):  # noqa: F811
    page = visit.page
    page.goto(visit.origin + "/")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    alerts = page.get_by_role("alert").all_inner_texts()
    assert alerts == ["请输入用户名", "请输入密码"]
    assert page.evaluate("document.activeElement.id") == "username"
    page.get_by_label("用户名").fill("duty")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").all_inner_texts() == ["请输入密码"]
    assert page.get_by_label("用户名").input_value() == "duty"
    assert page.evaluate("document.activeElement.id") == "password"


def test_chinese_duty_pages_write_levels_only_in_roman_numerals_with_ji(visit, engine):  # noqa: F811
    import re

    from relief.auth.models import SYSTEM
    from relief.db import transaction
    from relief.emergency import responses
    from relief.emergency.models import ResponseIn
    from tests.web.test_pages import _snowstorm

    event, _ = _snowstorm(engine, respond=False)
    with transaction(engine) as session:
        body = ResponseIn(level=4, note="演练", override_reason="演练")
        response = responses.trigger_response(session, SYSTEM, event.id, body)
    visit.sign_in("manager")  # the manager's inbox holds the notice of the level Ⅳ response
    page = visit.page
    page.goto(visit.origin + "/inbox")
    assert "Ⅳ级" in page.locator("main").inner_text()
    page.context.clear_cookies()
    visit.sign_in("duty")
    for path in ("/", "/inbox", f"/events/{event.id}", f"/responses/{response.id}"):
        page.goto(visit.origin + path)
        text = page.locator("main").inner_text()
        assert not re.search(r"(?<![A-Za-z])(IV|III|II)(?![A-Za-z])", text), path
    assert "Ⅳ级" in page.locator("main").inner_text()
