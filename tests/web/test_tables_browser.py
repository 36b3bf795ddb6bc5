"""Issue 13 ("every long list sorts by column and searches"), the tables drawn whole on one
page: the response's fulfilment and the event's reports sort by a click on a column head
(tables.js; numbers as numbers, again the other way) and a search box hides the rows that
do not contain what is typed. Debian chromium through Playwright."""

from __future__ import annotations

import re

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures
from tests.web.test_pictures_browser import _respond_plan_and_approve

pytestmark = pytest.mark.browser


def _column(page, testid: str, index: int) -> list[str]:
    cells = page.locator(f'[data-testid="{testid}"] tbody tr:not([hidden]) td:nth-child({index})')
    return [text.strip() for text in cells.all_inner_texts()]


def _number(text: str) -> float:
    return float(re.match(r"-?[\d,]+(\.\d+)?", text).group(0).replace(",", ""))


def test_fulfilment_sorts_by_a_column_and_filters_by_place(visit):  # noqa: F811
    _respond_plan_and_approve(visit)
    page = visit.page
    page.locator("#fulfilment summary").click()
    table = page.get_by_test_id("fulfilment-table")
    demand_head = table.locator("thead th").nth(2)
    demand_head.locator("button").click()
    assert demand_head.get_attribute("aria-sort") == "ascending"
    demand = [_number(text) for text in _column(page, "fulfilment-table", 3)]
    assert len(demand) > 10 and demand == sorted(demand)
    demand_head.locator("button").click()
    assert demand_head.get_attribute("aria-sort") == "descending"
    demand = [_number(text) for text in _column(page, "fulfilment-table", 3)]
    assert demand == sorted(demand, reverse=True)

    rows = page.locator('[data-testid="fulfilment-row"]')
    total = rows.count()
    place = _column(page, "fulfilment-table", 1)[0].split()[0]
    page.get_by_test_id("fulfilment-filter").fill(place)
    shown = _column(page, "fulfilment-table", 1)
    assert 0 < len(shown) < total
    assert all(place in text for text in shown)
    page.get_by_test_id("fulfilment-filter").fill("")
    assert len(_column(page, "fulfilment-table", 1)) == total


def test_event_reports_sort_by_time_and_filter_by_kind(visit):  # noqa: F811
    visit.sign_in("duty")
    page = visit.page
    page.goto(visit.origin + "/events")
    page.get_by_role("link", name=re.compile("暴雪")).click()
    table = page.get_by_test_id("reports")
    assert table.count() == 1
    region_head = table.locator("thead th").nth(0)
    region_head.locator("button").click()
    regions = _column(page, "reports", 1)
    assert len(regions) > 1 and region_head.get_attribute("aria-sort") == "ascending"
    region_head.locator("button").click()
    assert region_head.get_attribute("aria-sort") == "descending"
    assert _column(page, "reports", 1) == list(reversed(regions)) or len(set(regions)) < len(
        regions
    )
    kinds = _column(page, "reports", 2)
    wanted = kinds[0].split()[0]
    page.get_by_test_id("reports-filter").fill(wanted)
    assert all(wanted in text for text in _column(page, "reports", 2))
    page.get_by_test_id("reports-filter").fill("没有这样的地方")
    assert _column(page, "reports", 1) == []
