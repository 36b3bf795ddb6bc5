"""A plan made in the background, seen by the duty officer in a real browser (Hohhot, a
small scenario): the 后台计算 box on the plan form, the page showing both plans computing
with a progress bar that plan_progress.js moves by polling /api/v1/plans/{id}/progress,
then, once the jobs have run, the finished plans as every other plan."""

from __future__ import annotations

import re

import pytest

from relief.allocation import jobs
from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_a_background_plan_shows_its_progress_then_the_finished_plan(
    visit,  # noqa: F811
    engine,
    monkeypatch,
):
    # The jobs wait until the test runs them, so that the computing state can be seen.
    held: list[int] = []
    monkeypatch.setattr(jobs, "submit", lambda state, plan_id: held.append(plan_id))
    visit.sign_in("duty")
    page = visit.page
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(visit.origin + "/events")
    page.get_by_role("link", name=re.compile("暴雪")).click()
    page.get_by_label("说明").fill("按评估建议启动")
    with page.expect_navigation():
        page.get_by_role("button", name="启动响应").click()

    page.get_by_label(re.compile("在后台计算")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="计算方案（最优与贪心）").click()
    computing = page.locator('[data-testid="plan-computing"]')
    assert computing.count() == 2 and len(held) == 2
    assert computing.first.get_attribute("data-state") == "computing"
    assert computing.first.locator("progress").is_visible()
    assert "排队等待" in computing.first.inner_text()
    assert page.locator('[data-testid="plan-optimal"]').count() == 0

    # The worker runs the jobs; the page notices through its polling and reloads.
    for plan_id in held:
        assert jobs.run_plan_job(engine, plan_id) == "draft"
    page.locator('[data-testid="plan-optimal"]').wait_for(timeout=10_000)
    assert page.locator('[data-testid="plan-greedy"]').is_visible()
    assert page.locator('[data-testid="plan-computing"]').count() == 0
    assert page.locator('[data-testid="approve-optimal"]').is_visible()
