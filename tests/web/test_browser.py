"""The web UI in a real browser: Debian's chromium driven by Playwright for Python.

Run with `.venv/bin/pytest -m browser tests/web`. Without /usr/bin/chromium the tests are
skipped with one line, except in CI (`CI=true`), where a missing browser is a failure.
`playwright install` is never used: its browser download needs the internet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from relief.config import TestSettings
from tests.web.conftest import COUNTY, MANAGED_WAREHOUSE, SCENARIO

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}
HOMES = {"admin": "duty", "duty": "duty", "manager": "manager", "county": "regions"}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = "no /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)"
        if TestSettings().ci:
            pytest.fail(f"browser tests need Debian chromium in CI: {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A browser tab on the live server, recording every request it makes."""

    page: object
    origin: str
    requests: list[str] = field(default_factory=list)

    @property
    def foreign(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.origin + "/")]

    def sign_in(self, username: str, password: str | None = None) -> None:
        from tests.conftest import PASSWORD

        page = self.page
        page.goto(self.origin + "/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password or PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()

    def busy_while_sent(self, form_selector: str, url_glob: str, submit) -> dict:
        """Send a form with `submit()` while its request is held at the network, and return
        the form's busy state as busy.js left it: {disabled, text, status}. Then let the
        request go and wait for the answer page.

        A page whose navigation is pending cannot be read from the test, so the form
        reports its own state (a MutationObserver calling an exposed function)."""
        page = self.page
        seen: list[dict] = []
        page.expose_function("reportBusy", lambda state: seen.append(state))
        page.locator(form_selector).evaluate(
            """form => new MutationObserver(() => {
              if (form.getAttribute("aria-busy") !== "true") return;
              const button = form.querySelector("button[type=submit]");
              const status = form.querySelector("[role=status]");
              window.reportBusy({disabled: button.disabled, text: button.textContent,
                                 status: status ? status.textContent : null});
            }).observe(form, {attributes: true, subtree: true, childList: true})"""
        )
        held: list = []
        page.route(url_glob, lambda route: held.append(route))
        submit()
        for _ in range(200):  # until the form has reported and the request is held
            if seen and held:
                break
            page.wait_for_timeout(50)
        assert held, "the form was not sent"
        with page.expect_navigation():
            held[0].continue_()
        page.unroute(url_glob)
        assert seen, "the form never showed it was busy"
        return seen[-1]


def _visit(browser, origin: str, viewport: dict[str, int]) -> Iterator[Visit]:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    visit = Visit(page, origin)
    page.on("request", lambda request: visit.requests.append(request.url))
    yield visit
    context.close()
    # Whatever a test did, its pages asked nothing of another host (the UI runs offline).
    assert visit.foreign == []


@pytest.fixture
def visit(browser, live_server, web_users) -> Iterator[Visit]:
    yield from _visit(browser, live_server, DESKTOP)


@pytest.fixture
def tablet(browser, live_server, web_users) -> Iterator[Visit]:
    yield from _visit(browser, live_server, TABLET)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("username", list(HOMES))
def test_each_role_signs_in_and_sees_their_home_page(visit, username):
    visit.sign_in(username)
    page = visit.page
    home = page.locator('[data-testid="home"]')
    assert home.get_attribute("data-home") == HOMES[username]
    assert page.locator('[data-testid="username"]').get_attribute("data-username") == username
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert _no_sideways_scroll(page)


def test_wrong_password_shows_a_chinese_error_and_keeps_the_username(visit):
    visit.sign_in("duty", password="wrong-password-1")
    page = visit.page
    assert page.get_by_label("用户名").input_value() == "duty"
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误"
    assert page.locator('[data-testid="home"]').count() == 0


def test_sign_in_works_from_the_keyboard_alone(visit):
    from tests.conftest import PASSWORD

    page = visit.page
    page.goto(visit.origin + "/")
    # The username field has focus on arrival; Tab moves on to the password, Enter submits.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type("county")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator('[data-testid="home"]').get_attribute("data-home") == "regions"


def test_language_switch_flips_lang_and_its_own_text(visit):
    visit.sign_in("duty")
    page = visit.page
    with page.expect_navigation():
        page.get_by_role("link", name="English", exact=True).click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="中文", exact=True).count() == 1
    assert page.get_by_role("heading", level=1).inner_text() == "Stockpile network"
    with page.expect_navigation():
        page.get_by_role("link", name="中文", exact=True).click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("link", name="English", exact=True).count() == 1


def test_map_draws_every_warehouse_and_a_click_shows_its_stock(visit):
    import csv

    with (SCENARIO / "warehouses.csv").open(encoding="utf-8") as f:
        warehouses = {row["code"]: row for row in csv.DictReader(f)}
    visit.sign_in("manager")
    page = visit.page
    with page.expect_navigation():
        page.get_by_role("link", name="路网地图").click()
    assert page.locator("#network-map .warehouse").count() == len(warehouses)
    assert page.locator("#network-map .warehouse.tier-provincial").count() == 1
    # The drawing has a size on screen (the SVG was laid out, not just sent).
    box = page.locator("#network-map").bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 300

    page.locator(f'#network-map .warehouse[data-code="{MANAGED_WAREHOUSE}"]').click()
    panel = page.locator(f'[data-testid="panel-warehouse"][data-code="{MANAGED_WAREHOUSE}"]')
    panel.wait_for()
    assert warehouses[MANAGED_WAREHOUSE]["name"] in panel.inner_text()
    assert page.url.endswith(f"/map?warehouse={MANAGED_WAREHOUSE}")
    assert _no_sideways_scroll(page)


def test_map_symbols_are_in_the_tab_order_and_open_with_enter(visit):
    visit.sign_in("duty")
    page = visit.page
    page.goto(f"{visit.origin}/map")
    href = f"/map?warehouse={MANAGED_WAREHOUSE}"
    link = page.locator(f'#network-map a[href="{href}"]')
    assert link.evaluate("el => el.tabIndex") == 0
    link.focus()
    assert page.evaluate("document.activeElement.getAttribute('href')") == href
    page.keyboard.press("Enter")
    page.locator(f'[data-testid="panel-warehouse"][data-code="{MANAGED_WAREHOUSE}"]').wait_for()


def test_map_region_details_on_a_tablet(tablet):
    tablet.sign_in("county")
    page = tablet.page
    page.goto(f"{tablet.origin}/map?region={COUNTY}")
    assert page.locator(f'[data-testid="panel-region"][data-code="{COUNTY}"]').is_visible()
    # On a narrow screen the panel goes below the map rather than squeezing it.
    map_box = page.locator("#network-map").bounding_box()
    panel_box = page.locator("#map-panel").bounding_box()
    assert map_box is not None and panel_box is not None
    assert panel_box["y"] >= map_box["y"] + map_box["height"]
    assert _no_sideways_scroll(page)


def test_a_page_outside_the_role_is_a_403_page(visit):
    visit.sign_in("duty")
    page = visit.page
    reply = page.goto(f"{visit.origin}/users")
    assert reply is not None and reply.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "无权访问"
    assert page.get_by_role("link", name="English", exact=True).count() == 1


def test_pages_of_every_role_request_only_the_local_server(visit):
    for username in HOMES:
        visit.sign_in(username)
        for path in ("/", "/map", f"/warehouses/{MANAGED_WAREHOUSE}"):
            visit.page.goto(visit.origin + path)
        with visit.page.expect_navigation():
            visit.page.get_by_role("button", name="退出登录").click()
    assert any(url.endswith("/static/web/relief.css") for url in visit.requests)
    assert any(url.endswith("/static/web/map.js") for url in visit.requests)
    assert visit.foreign == []


# The main pages of each role, on a tablet held upright: nothing makes the page scroll
# sideways (wide tables scroll inside their own box).
TABLET_PAGES = {
    "duty": ("/", "/events", "/map", "/inbox", "/orders"),
    "manager": ("/", f"/warehouses/{MANAGED_WAREHOUSE}", "/orders", "/inbox"),
    "county": (
        "/",
        "/subsidies/households",
        "/subsidies/households/new",
        "/subsidies/import",
        "/subsidies/cases",
    ),
}


@pytest.mark.parametrize("username", list(TABLET_PAGES))
def test_each_roles_main_pages_fit_a_tablet(tablet, username):
    tablet.sign_in(username)
    page = tablet.page
    for path in TABLET_PAGES[username]:
        reply = page.goto(tablet.origin + path)
        assert reply is not None and reply.status == 200, path
        assert _no_sideways_scroll(page), path
    if username == "duty":  # an event's page, then the response page with its plans
        page.goto(tablet.origin + "/events")
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile("暴雪")).click()
        assert "/events/" in page.url and _no_sideways_scroll(page)
        page.on("dialog", lambda dialog: dialog.accept())
        page.get_by_label("说明").fill("平板上启动")
        with page.expect_navigation():
            page.get_by_role("button", name="启动响应").click()
        with page.expect_navigation():
            page.get_by_role("button", name="计算方案（最优与贪心）").click()
        assert page.locator('[data-testid="plan-optimal"]').is_visible()
        assert _no_sideways_scroll(page), page.url
