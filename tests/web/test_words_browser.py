"""Issue 13, everything in the user's language: a browser signs in as every role of the
test scenario, crawls every page it can reach from the navigation and from the links on
those pages (same-origin GET links, bounded; no downloads, sign-out or language switch) and
fails on any visible internal code (snake_case) or run of two or more English words in
Chinese mode, and on Chinese words that are not names from the data in English mode. Fixtures as in
test_browser.py (skipped with one line without /usr/bin/chromium)."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import COUNTY, MANAGED_WAREHOUSE, OTHER_WAREHOUSE
from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

APPROVER = "approver"
ROLES = ("admin", "duty", "manager", "county", APPROVER, "township")

# Links the crawl does not follow: they download, sign out, switch the language or leave
# the pages (the API, static files).
SKIP = re.compile(
    r"^/(logout|lang|api/|static/|docs|openapi)|\.(csv|xlsx|pdf|json|svg|png)$|/(export|download|template|pdf)\b"
)
# The 调拨单 and the 一户一表 are Chinese documents in either mode (signed and filed in Chinese); their
# words come from the catalogue's Chinese side (relief/dispatch/documents.py, relief/subsidies/household_form.py).
CHINESE_DOCUMENTS = re.compile(r"^(/orders/\d+/print|/subsidies/households/\d+/form)$")
# Pages per role, and pages per shape of address (/orders/1, /orders/2 … are one shape).
MAX_PAGES = 60
PER_SHAPE = 2

SNAKE = re.compile(r"(?<![A-Za-z0-9_./-])[a-z]+_[a-z_]+(?![A-Za-z0-9_.-])")
# Two or more English words in a row (`scenario load`, `eligible warehouses`).
ENGLISH = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){1,}")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def _setup(engine, settings) -> None:
    """A level Ⅳ response with its notices, an approved and a what-if plan, an order of the
    managed warehouse, practice subsidy cases in the county, and an approver of the county."""
    from relief.allocation import service as allocation
    from relief.auth import service as auth
    from relief.auth.models import SYSTEM, UserCreate
    from relief.db import transaction
    from relief.demo import seed_practice_cases
    from relief.dispatch import service as dispatch
    from tests.conftest import PASSWORD
    from tests.web.test_pages import _snowstorm

    _, response = _snowstorm(engine, respond=True)
    with transaction(engine) as session:
        # An approved plan (its orders) and a what-if plan at another level.
        plan = allocation.create_plan(session, SYSTEM, response.id, "optimal")
        allocation.approve_plan(session, SYSTEM, plan.id)
        allocation.create_plan(session, SYSTEM, response.id, "greedy", level=3)
    with transaction(engine) as session:
        dispatch.create_order(
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
        auth.create_user(
            session,
            SYSTEM,
            UserCreate(
                username=APPROVER,
                password=PASSWORD,
                role="approver",
                region_codes=[COUNTY],
            ),
        )
    seed_practice_cases(engine, settings.secret_key, COUNTY)


def _data_names(engine) -> list[str]:
    """Names that come from the data (places, warehouses, items, events, programmes,
    households, notes typed by people): they stay as they were written."""
    from sqlalchemy import text

    names: set[str] = {"演练", "web test", "drill: level IV", "browser test"}
    queries = [
        "select name from regions",
        "select name from warehouses",
        "select name from items",
        "select name from events",
        "select name from programmes",
        "select head_name from households",
        "select note from response_actions",
        "select note from subsidy_case_transitions",
    ]
    with engine.connect() as connection:
        for query in queries:
            try:
                names.update(str(v) for (v,) in connection.execute(text(query)) if v)
            except Exception:  # a table the schema names otherwise: skip it
                connection.rollback()
    return sorted(names, key=len, reverse=True)


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _crawl(visit, username: str) -> dict[str, str]:  # noqa: F811
    """Path → visible text of every page reached from the home page."""
    page = visit.page
    origin = visit.origin
    seen: dict[str, str] = {}
    shapes: dict[str, int] = {}
    # The home page, and the error pages (not found; another warehouse, out of scope for
    # most roles), which no link leads to.
    queue = ["/", "/no-such-page", "/orders/999999", f"/warehouses/{OTHER_WAREHOUSE}"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        shape = _shape(urlsplit(path).path)
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        reply = page.goto(origin + path)
        assert reply is not None
        seen[path] = page.locator("body").inner_text()
        # Titles and labels a screen reader says are words too.
        seen[path] += "\n" + "\n".join(
            page.eval_on_selector_all(
                "[title], [aria-label], input[placeholder]",
                "els => els.map(e => [e.getAttribute('title'), e.getAttribute('aria-label'),"
                " e.getAttribute('placeholder')].filter(Boolean).join('\\n'))",
            )
        )
        seen[path] += "\n" + page.title()
        # The choices of every list box and the pictures' tooltips (SVG <title>) too.
        seen[path] += "\n" + "\n".join(
            page.eval_on_selector_all(
                "select option, svg title", "els => els.map(e => e.textContent)"
            )
        )
        hrefs = page.eval_on_selector_all(
            "a[href]", "els => els.map(e => new URL(e.getAttribute('href'), document.baseURI).href)"
        )
        for href in hrefs:
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != origin:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if SKIP.search(parts.path) or target in seen or target in queue:
                continue
            queue.append(target)
    return seen


def _strip(text: str, names: list[str]) -> str:
    for name in names:
        text = text.replace(name, " ")
    return text


# Latin words that are legitimately on a Chinese page: codes (WH-150100-A, 150102),
# units and symbols, the users' names.
LATIN_WORDS = re.compile(
    r"\b(?:WH-[0-9A-Z-]+|km|kg|m²|m³|h|ID|PDF|CSV|xlsx|Excel|WPS|OR-Tools|SVG|GB|relief)\b"
)


def _problems_zh(text: str, usernames: set[str]) -> list[str]:
    found = []
    clean = LATIN_WORDS.sub(" ", text)
    for match in SNAKE.finditer(clean):
        if match.group(0) not in usernames:
            found.append(match.group(0))
    for match in ENGLISH.finditer(clean):
        words = [w for w in re.split(r"[ ,]+", match.group(0)) if w not in usernames]
        if len(words) >= 2:
            found.append(match.group(0))
    return found


@pytest.fixture
def crawl_data(engine, settings, web_users):
    _setup(engine, settings)
    return _data_names(engine)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_every_role_is_in_chinese(visit, engine, crawl_data, username):  # noqa: F811
    usernames = {*ROLES, "system"}
    visit.sign_in(username)
    pages = _crawl(visit, username)
    assert len(pages) >= 2, "the crawl reached no page but the home page"
    problems = {}
    for path, text in pages.items():
        found = _problems_zh(_strip(text, crawl_data), usernames)
        if found:
            problems[path] = sorted(set(found))
    assert problems == {}


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_every_role_is_in_english_but_the_names(visit, engine, crawl_data, username):  # noqa: F811
    visit.sign_in(username)
    visit.page.goto(visit.origin + "/lang?to=en&next=/")
    pages = _crawl(visit, username)
    # The switch to Chinese names its language in that language, as language switches do.
    names = [*crawl_data, "中文"]
    problems = {}
    for path, text in pages.items():
        if CHINESE_DOCUMENTS.match(path):
            continue
        found = CJK.findall(_strip(text, names))
        if found:
            problems[path] = sorted(set(found))
    assert problems == {}
