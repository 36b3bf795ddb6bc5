"""Issue 13's pictures in a real browser (Debian chromium, Playwright; skipped with one line
without /usr/bin/chromium, a failure in CI): the response page's fill-rate bars, progress
bars and deadline time line above folded tables; the warehouse's stock line charts; the
maps' legend, place names, zoom and pan, closed-road marks and flows along their roads."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import MANAGED_WAREHOUSE
from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

# The response page of the Hohhot snowstorm with both plans computed and the optimal one
# approved (20 dispatch orders, 12 regions × 13 items), at 1366×768. Before issue 13 it
# measured 4,578 px (the figure; 4,690 px on this branch before the change), all
# of it tables. The pictures add about 700 px on top, and the list of the people a response
# involves (to call the unacknowledged) about 190 px, yet the page must end at least a
# quarter shorter than before: three quarters of 4,578 px. It measures about 3,150 px now;
# a table that comes back unfolded (the coverage alone is ~470 px) fails the test.
RESPONSE_PAGE_MAX_PX = 4578 * 3 // 4


def _respond_plan_and_approve(visit) -> None:  # noqa: F811
    visit.sign_in("duty")
    page = visit.page
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(visit.origin + "/events")
    page.get_by_role("link", name=re.compile("暴雪")).click()
    page.get_by_label("说明").fill("按评估建议启动")
    with page.expect_navigation():
        page.get_by_role("button", name="启动响应").click()
    with page.expect_navigation():
        page.get_by_role("button", name="计算方案（最优与贪心）").click()
    with page.expect_navigation():
        page.locator('[data-testid="approve-optimal"]').click()
    assert page.locator('[data-testid="approved-plan"]').is_visible()


def _points(text: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in pair.split(",")) for pair in text.split()]


def test_response_page_draws_fill_per_region_progress_per_item_and_the_deadlines(visit):  # noqa: F811
    _respond_plan_and_approve(visit)
    page = visit.page

    # One bar per region with demand, worst first, each saying its fill in its tooltip.
    rows = page.locator('[data-testid="fulfilment-row"]')
    regions = {rows.nth(i).get_attribute("data-region") for i in range(rows.count())}
    items = {rows.nth(i).get_attribute("data-item") for i in range(rows.count())}
    chart = page.locator('[data-testid="fill-chart"] svg')
    assert chart.is_visible()
    assert chart.get_attribute("role") == "img" and chart.get_attribute("aria-label")
    bars = chart.locator("g.bar")
    assert bars.count() == len(regions) == 12
    assert {bars.nth(i).get_attribute("data-key") for i in range(bars.count())} == regions
    values = [float(bars.nth(i).get_attribute("data-value")) for i in range(bars.count())]
    assert values == sorted(values)
    assert values[-1] == 1.0  # the approved plan fills every line (walkthrough, step 8)
    assert "计划满足 100%" in bars.first.locator("title").text_content()

    # Progress bars: one per item, planned as long as the track (everything is planned).
    progress = page.locator('[data-testid="progress-chart"] svg g.progress')
    assert progress.count() == len(items) == 13
    first = progress.first
    track = float(first.locator("rect.track").get_attribute("width"))
    assert float(first.locator("rect.series-0").get_attribute("width")) == pytest.approx(track)
    assert float(first.locator("rect.series-2").get_attribute("width")) == 0  # nothing arrived

    # The three deadlines on a time line, none done yet; the timeline table folded below.
    marks = page.locator('[data-testid="deadline-timeline"] svg g.mark')
    assert marks.count() == 3
    assert {marks.nth(i).get_attribute("data-state") for i in range(3)} == {"open"}
    assert page.locator('[data-testid="deadline-timeline"] svg g.now').count() == 1
    assert not page.locator('[data-testid="timeline"]').is_visible()
    page.locator('[data-testid="timeline-details"] summary').click()
    assert page.locator('[data-testid="timeline"]').is_visible()

    # A deadline marked done turns grey with a tick on the time line.
    done = page.locator('[data-testid="done-situation_report"]')
    with page.expect_navigation():
        done.get_by_role("button").click()
    mark = page.locator('[data-testid="deadline-timeline"] g.mark[data-key="situation_report"]')
    assert mark.get_attribute("data-state") == "done"
    assert "✓" in mark.text_content()


def test_the_response_page_is_much_shorter_than_its_tables_were(visit):  # noqa: F811
    _respond_plan_and_approve(visit)
    page = visit.page
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < RESPONSE_PAGE_MAX_PX, height
    # The pictures come before the tables: the fill chart is above the fulfilment section.
    chart_top = page.locator('[data-testid="fill-chart"]').bounding_box()["y"]
    tables_top = page.locator('[data-testid="fulfilment"]').bounding_box()["y"]
    assert chart_top < tables_top


def test_response_map_draws_each_flow_along_the_roads_of_its_path(visit):  # noqa: F811
    _respond_plan_and_approve(visit)
    page = visit.page
    roads = page.locator("#response-map line.road")
    ends = set()
    for i in range(roads.count()):
        road = roads.nth(i)
        a = (float(road.get_attribute("x1")), float(road.get_attribute("y1")))
        b = (float(road.get_attribute("x2")), float(road.get_attribute("y2")))
        ends |= {(a, b), (b, a)}
    flows = page.locator("#response-map polyline.flow")
    assert flows.count() > 0
    longest = max(
        (flows.nth(i) for i in range(flows.count())),
        key=lambda f: int(f.get_attribute("data-path-nodes")),
    )
    points = _points(longest.get_attribute("points"))
    assert len(points) == int(longest.get_attribute("data-path-nodes")) >= 3
    # Every leg of the polyline is a road of the network, not a straight line across it.
    assert all((points[i], points[i + 1]) in ends for i in range(len(points) - 1))
    legend = page.locator('[data-testid="map-legend"]')
    assert "调拨路线" in legend.inner_text() and "受灾区划" in legend.inner_text()


def test_network_map_has_a_legend_place_names_and_zooms_and_pans(visit):  # noqa: F811
    visit.sign_in("duty")
    page = visit.page
    page.goto(visit.origin + "/map")
    svg = page.locator("#network-map")
    legend = page.locator('[data-testid="map-legend"]').inner_text()
    for word in ("省级中心库", "市州骨干库", "县级片区库", "行政区划", "乡镇街道", "通行", "中断"):
        assert word in legend
    labels = page.locator("#network-map .labels text")
    assert labels.count() == page.locator("#network-map circle.region").count()
    assert page.locator("#network-map .labels text", has_text="武川县").is_visible()
    minor = page.locator("#network-map .labels text.minor").first
    assert not minor.is_visible()  # townships' names wait for a zoom

    home = svg.get_attribute("viewBox")
    assert home == "0 0 960 640"
    page.get_by_role("button", name="放大").click()
    zoomed = [float(v) for v in svg.get_attribute("viewBox").split()]
    assert zoomed[2] == pytest.approx(960 / 1.5, abs=0.2) and zoomed[0] > 0
    assert not minor.is_visible()
    page.get_by_role("button", name="放大").click()
    assert minor.is_visible()  # from zoom 2 on
    # Names keep their size on screen: the labels' font shrinks as the map grows.
    assert float(page.locator("#network-map .labels").get_attribute("font-size")) < 11

    # Dragging pans (and does not open what it started on).
    before = [float(v) for v in svg.get_attribute("viewBox").split()]
    box = svg.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + 60, steps=5)
    page.mouse.up()
    after = [float(v) for v in svg.get_attribute("viewBox").split()]
    assert after[0] < before[0] and after[2] == pytest.approx(before[2])
    assert page.url.endswith("/map")

    # The wheel zooms out around the pointer; 复位 shows the whole network again.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 200)
    page.wait_for_function(
        "w => parseFloat(document.getElementById('network-map').getAttribute('viewBox')"
        ".split(' ')[2]) > w",
        arg=after[2],
    )
    page.get_by_role("button", name="复位").click()
    assert svg.get_attribute("viewBox") == home
    assert not minor.is_visible()


def test_warehouse_page_draws_each_items_stock_over_time_and_a_receipt_moves_it(visit):  # noqa: F811
    visit.sign_in("manager")
    page = visit.page
    page.goto(f"{visit.origin}/warehouses/{MANAGED_WAREHOUSE}")
    history = page.locator('[data-testid="stock-history"]')
    assert history.is_visible() and "近 30 天库存变化" in history.inner_text()
    charts = history.locator("svg.line-chart")
    assert charts.count() > 0
    tent = history.locator('svg.line-chart[data-key="tent"]')
    assert tent.get_attribute("role") == "img" and "帐篷" in tent.get_attribute("aria-label")
    points = tent.locator("circle.point")
    assert points.count() == 30
    before = int(points.last.get_attribute("data-value"))

    page.get_by_label("入库单号").fill("RK-PIC-1")
    page.get_by_label("物资 1", exact=True).select_option("tent")
    page.get_by_label("数量 1", exact=True).fill("7")
    with page.expect_navigation():
        page.get_by_role("button", name="登记入库").click()
    points = page.locator(
        '[data-testid="stock-history"] svg.line-chart[data-key="tent"] circle.point'
    )
    assert int(points.last.get_attribute("data-value")) == before + 7
