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


def _snowstorm_with_labelled_criteria(engine):
    """The Hohhot snowstorm under its policy with one criterion labelled in Chinese and one
    unknown to the UI (`aid_only`, reached at level Ⅳ by any report)."""
    from relief.auth.models import SYSTEM
    from relief.db import transaction
    from relief.emergency import service as emergency
    from relief.emergency.policy import load_policy
    from relief.scenario.validate import check_scenario
    from tests.web.conftest import SCENARIO

    scenario, problems = check_scenario(SCENARIO)
    assert problems == [] and scenario.policy is not None
    policy = scenario.policy
    policy.criterion_labels["dead_missing"] = "死亡和失踪人口"
    policy.criteria["aid_only"] = ["needing_aid"]
    policy.thresholds[4]["aid_only"] = 1
    with transaction(engine) as session:
        load_policy(session, SYSTEM, policy, scenario.code)
        event, _ = emergency.load_event(
            session, SYSTEM, scenario.events["snowstorm"], "snowstorm", scenario.code
        )
    return event


def test_criteria_are_shown_by_chinese_label_never_by_key(visit, engine):  # noqa: F811
    event = _snowstorm_with_labelled_criteria(engine)
    visit.sign_in("duty")
    page = visit.page
    page.goto(f"{visit.origin}/events/{event.id}")
    exceeded = page.locator('[data-testid="exceeded"]').inner_text()
    assert "需紧急生活救助人数" in exceeded
    text = page.locator("main").inner_text()
    assert "死亡和失踪人口" in text
    for key in ("aid_only", "needing_aid", "dead_missing", "relocated_or_aided"):
        assert key not in text


def test_a_superseded_report_is_marked_and_the_form_says_updates_are_cumulative(visit, engine):  # noqa: F811
    from tests.web.test_pages import _snowstorm

    event, _ = _snowstorm(engine, respond=False)
    visit.sign_in("duty")
    page = visit.page
    page.goto(f"{visit.origin}/events/{event.id}")
    assert "续报数字为累计数" in page.locator('[data-testid="cumulative-note"]').inner_text()
    page.get_by_label("所在区划").select_option("150125200")
    page.get_by_label("类型").select_option("update")
    page.get_by_label("紧急转移安置人数").fill("200")
    page.get_by_label("数字变动原因").fill("电话补报")  # a 续报 that moves figures much
    with page.expect_navigation():
        page.get_by_role("button", name="保存报告").click()
    rows = page.locator('[data-testid="reports"] tbody tr')
    newest = rows.first  # newest first
    assert newest.get_attribute("data-superseded") is None
    marked = page.locator('[data-testid="reports"] tr[data-superseded="true"]')
    assert marked.count() >= 1
    assert "已被后续报告取代" in marked.first.inner_text()
    # Every superseded row is an earlier report of a region that has a later one.
    assert marked.count() < rows.count()
    grey = marked.first.locator("td").first.evaluate("el => getComputedStyle(el).color")
    plain = newest.locator("td").first.evaluate("el => getComputedStyle(el).color")
    assert grey != plain
    # Dates and numbers keep to one line at 768 px.
    page.set_viewport_size({"width": 768, "height": 1024})
    for cell in (newest.locator("td time"), newest.locator("td.num").first):
        height = cell.evaluate("el => el.getBoundingClientRect().height")
        line = cell.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 24")
        assert height < 2 * line


def test_the_response_page_and_duty_inbox_show_who_to_call_with_unacknowledged_marked(
    visit,  # noqa: F811
    engine,
):
    from sqlmodel import select

    from relief.auth.models import SYSTEM, User
    from relief.db import transaction
    from relief.emergency import responses
    from relief.emergency.models import ResponseIn
    from tests.web.test_pages import _snowstorm

    event, _ = _snowstorm(engine, respond=False)
    with transaction(engine) as session:
        manager = session.exec(select(User).where(User.username == "manager")).one()
        manager.full_name, manager.phone = "王库管", "0471-6921234"
        county = session.exec(select(User).where(User.username == "county")).one()
        county.full_name, county.phone = "李民政", "138 0471 0000"
        session.add_all([manager, county])
        body = ResponseIn(level=4, note="演练", override_reason="演练")
        response = responses.trigger_response(session, SYSTEM, event.id, body)
    visit.sign_in("duty")
    page = visit.page
    page.goto(f"{visit.origin}/responses/{response.id}")
    row = page.locator('[data-testid="involved"] tr[data-username="manager"]')
    assert row.get_attribute("data-acknowledged") == "no"
    text = row.inner_text()
    assert "王库管" in text and "0471-6921234" in text and "未确认" in text
    assert row.locator('a[href="tel:0471-6921234"]').count() == 1
    staff = page.locator('[data-testid="involved"] tr[data-username="county"]')
    assert "李民政" in staff.inner_text() and "138 0471 0000" in staff.inner_text()
    page.goto(f"{visit.origin}/inbox")
    awaiting = page.locator('[data-testid="awaiting"]')
    assert "王库管" in awaiting.inner_text() and "0471-6921234" in awaiting.inner_text()
    assert awaiting.locator('tr[data-username="county"]').count() == 0  # never notified


def test_roads_are_chosen_by_their_ends_place_names_and_length(visit, engine):  # noqa: F811
    import re

    from tests.web.test_pages import _snowstorm

    _, response = _snowstorm(engine)
    visit.sign_in("duty")
    page = visit.page
    page.goto(f"{visit.origin}/responses/{response.id}")
    page.locator('[data-testid="closure-details"] summary').click()  # the form is folded
    options = page.locator("#cl-road option").all_inner_texts()[1:]  # after 请选择
    assert options
    for label in options:
        assert re.fullmatch(r"[^\d—]+—[^\d—]+ \d+(\.\d)? km", label), label
    closed = page.locator('[data-testid="closures"] tbody td:first-child').all_inner_texts()
    assert closed
    for label in closed:
        assert re.fullmatch(r"[^\d—]+—[^\d—]+ \d+(\.\d)? km", label), label


def _demand(engine, response_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    from relief.db import session_for
    from relief.emergency import responses

    with session_for(engine, write=False) as session:
        return {
            (d.region_code, d.item_code): (int(d.quantity), int(d.priority))
            for d in responses.demand_lines(session, response_id)
        }


def test_the_demand_editor_groups_by_region_filters_and_sends_only_the_changed_row(
    visit,  # noqa: F811
    engine,
):
    from tests.web.test_pages import _snowstorm

    _, response = _snowstorm(engine)
    before = _demand(engine, response.id)
    visit.sign_in("duty")
    page = visit.page
    page.goto(f"{visit.origin}/responses/{response.id}#demand")
    page.locator("#demand summary").click()
    heads = page.locator('[data-testid="demand"] tr[data-region-head]')
    regions = {code for code, _ in before}
    assert heads.count() == len(regions) + 1  # one per region, and the new row's
    assert page.locator('[data-testid="demand-item-name"]').first.inner_text() != ""
    assert page.locator('[data-testid="demand-unit"]').first.inner_text() != ""
    # The filter keeps one region's rows.
    first_region = sorted(regions)[0]
    page.get_by_label("筛选（区划名称、代码或物资）").fill(first_region)
    shown = page.locator('[data-testid="demand"] tr[data-demand-row]:visible')
    assert shown.count() == sum(1 for code, _ in before if code == first_region)
    page.get_by_label("筛选（区划名称、代码或物资）").fill("")
    # Change one row's quantity; watch what the form sends.
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if r.method == "POST" else None)
    page.locator("#dm-0-qty").fill("777")
    with page.expect_navigation():
        page.get_by_role("button", name="保存需求").click()
    assert sent and sent[-1].count("region_code=") == 1
    after = _demand(engine, response.id)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert len(changed) == 1 and after[next(iter(changed))][0] == 777


def test_an_invalid_demand_row_is_summarised_at_the_top_with_focus_and_typing_kept(
    visit,  # noqa: F811
    engine,
):
    from tests.web.test_pages import _snowstorm

    _, response = _snowstorm(engine)
    before = _demand(engine, response.id)
    visit.sign_in("duty")
    page = visit.page
    page.goto(f"{visit.origin}/responses/{response.id}#demand")
    page.locator("#demand summary").click()
    page.locator("#dm-1-qty").fill("12345")
    page.locator("#dm-2-qty").fill("很多")
    with page.expect_navigation():
        page.get_by_role("button", name="保存需求").click()
    summary = page.locator('[data-testid="demand-summary"]')
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "dm-summary"
    # The row is named by its place and item (issue 13 review, finding 32), not "第 3 行".
    assert "第 3 行" not in summary.inner_text() and " · " in summary.inner_text()
    top = summary.evaluate("el => el.getBoundingClientRect().top")
    assert 0 <= top < page.viewport_size["height"]
    assert page.locator("#dm-2-qty").input_value() == "很多"
    assert page.locator("#dm-1-qty").input_value() == "12345"  # the other change is kept
    assert _demand(engine, response.id) == before  # nothing written


def test_an_incomplete_closure_form_is_refused_before_the_cannot_be_undone_question(
    visit,  # noqa: F811
    engine,
):
    from tests.web.test_pages import _snowstorm

    _, response = _snowstorm(engine)
    visit.sign_in("duty")
    page = visit.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{visit.origin}/responses/{response.id}")
    page.locator('[data-testid="closure-details"] summary').click()  # the form is folded
    page.locator("#cl-note").fill("雪崩")
    page.get_by_role("button", name="标记中断").click()
    assert dialogs == []  # no confirmation for a form that cannot be sent
    assert page.evaluate("document.activeElement.id") == "cl-road"
    assert page.locator("#cl-note").input_value() == "雪崩"
    page.locator("#cl-road").select_option(index=1)
    page.get_by_role("button", name="标记中断").click()
    assert len(dialogs) == 1  # now it asks (and is dismissed: nothing sent)


def test_the_report_region_is_picked_by_searching_its_name(visit, engine):  # noqa: F811
    from tests.web.test_pages import _snowstorm

    event, _ = _snowstorm(engine, respond=False)
    visit.sign_in("duty")
    page = visit.page
    page.goto(f"{visit.origin}/events/{event.id}")
    region = page.get_by_label("所在区划")
    name = region.locator("option").nth(2).inner_text().split("（")[0]
    page.get_by_placeholder("按名称搜索").first.fill(name)
    assert region.locator("option:checked").inner_text().startswith(name)
    visible = region.evaluate("s => [...s.options].filter(o => o.value && !o.hidden).length")
    assert 1 <= visible < region.locator("option").count() - 1
