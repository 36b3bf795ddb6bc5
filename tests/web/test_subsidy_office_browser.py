"""Issue 13, the county office in a real browser (Debian chromium via Playwright): correcting
and deleting households, searching them by the ID's last digits, opening cases in bulk,
the household form that keeps what was typed and shows every error at once, the payment
form's checks before its confirmation, and the sorted, filtered case list.

Run with `.venv/bin/pytest -m browser tests/web`; skipped without /usr/bin/chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select
from stdnum.cn import ric

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.subsidies import service
from relief.subsidies.ids import vault_for
from relief.subsidies.models import Case, Household, HouseholdIn, Payment, Programme, TransitionIn
from tests.web.test_browser import (
    DESKTOP,
    Visit,
    browser,  # noqa: F401 - fixture
)
from tests.web.test_browser import _visit as open_visit

pytestmark = pytest.mark.browser

PROGRAMME = "HHHT-REBUILD-2026-FLOOD"
TOWNSHIP = "150102101"  # 保合少镇, in the clerk's 新城区 and the flash flood's area
OTHER_TOWNSHIP = "150102001"  # 海拉尔东路街道, 新城区
OUT_OF_SCOPE = "150103001"  # 回民区: not the clerk's county


def _id_number(seq: int) -> str:
    body = f"150102198001010{seq:02d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def clerk(browser, live_server, web_users) -> Iterator[Visit]:  # noqa: F811
    yield from open_visit(browser, live_server, DESKTOP)


def _event_id(engine) -> int:
    with transaction(engine) as session:
        programme = session.get(Programme, PROGRAMME)
        assert programme is not None and programme.event_id is not None
        return programme.event_id


def _register(engine, app, seq: int, name: str, **overrides) -> int:
    with transaction(engine) as session:
        body = HouseholdIn(
            event_id=_event_id(engine),
            region_code=overrides.pop("region_code", TOWNSHIP),
            head_name=name,
            id_number=_id_number(seq),
            size=overrides.pop("size", 4),
            damage=overrides.pop("damage", "collapsed"),
            rooms=overrides.pop("rooms", 2),
        )
        vault = vault_for(app.state.settings.secret_key)
        return service.create_household(session, SYSTEM, body, vault).id


def _open_case(engine, household_id: int) -> int:
    with transaction(engine) as session:
        return service.create_case(session, SYSTEM, household_id, PROGRAMME).id


def _act(engine, case_id: int, *actions: str) -> None:
    for action in actions:
        with transaction(engine) as session:
            service.transition_case(session, SYSTEM, case_id, TransitionIn(action=action))


def _approved_case(engine, household_id: int) -> int:
    case_id = _open_case(engine, household_id)
    with clock.shifted(timedelta(days=-10)):  # the public notice ended days ago
        _act(engine, case_id, "village_review", "publish")
    _act(engine, case_id, "township_review", "approve")
    return case_id


def _row(page, name: str):
    return page.locator("tr[data-household]").filter(has_text=name)


def test_clerk_corrects_a_household_with_a_reason_and_deletes_only_one_without_a_case(
    clerk, engine, app
):
    page = clerk.page
    typo = _register(engine, app, 1, "张建囯")
    mistake = _register(engine, app, 2, "重复登记户")
    with_case = _register(engine, app, 3, "李有案")
    _open_case(engine, with_case)
    clerk.sign_in("county")
    page.goto(clerk.origin + "/subsidies/households")

    # A household with a case: marked, no delete, and its programme no longer offered (the
    # programmes of no particular event, 冬春 and 临时救助 since issue 15, still are).
    case_row = _row(page, "李有案")
    assert case_row.get_by_test_id("has-case").inner_text() == "已建案"
    assert case_row.get_by_role("button", name="删除").count() == 0
    assert case_row.locator(f'option[value="{PROGRAMME}"]').count() == 0
    assert _row(page, "张建囯").locator(f'option[value="{PROGRAMME}"]').count() == 1

    with page.expect_navigation():
        _row(page, "张建囯").get_by_role("link", name="更正").click()
    page.get_by_label("户主姓名").fill("张建国")
    page.get_by_label("家庭人口").fill("5")
    with page.expect_navigation():
        page.get_by_role("button", name="保存更正").click()
    # No reason: refused on the form, with what was typed kept.
    assert page.get_by_test_id("error-summary").is_visible()
    assert page.get_by_label("户主姓名").input_value() == "张建国"
    page.get_by_label("更正原因").fill("录入错字")
    with page.expect_navigation():
        page.get_by_role("button", name="保存更正").click()
    assert page.get_by_test_id("done").inner_text() == "已更正受灾户信息。"
    with transaction(engine) as session:
        corrected = session.get(Household, typo)
        assert (corrected.head_name, corrected.size) == ("张建国", 5)

    # Delete: the reason is asked for before the "cannot be undone" question.
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    row = _row(page, "重复登记户")
    row.get_by_role("button", name="删除").click()
    assert row.get_by_role("alert").inner_text() == "删除前请填写原因"
    assert dialogs == []
    row.get_by_label("删除原因").fill("重复登记")
    with page.expect_navigation():
        row.get_by_role("button", name="删除").click()
    assert dialogs == ["删除受灾户「重复登记户」？删除后不能恢复。"]
    assert page.get_by_test_id("done").inner_text() == "已删除受灾户。"
    with transaction(engine) as session:
        assert session.get(Household, mistake) is None
        assert session.get(Household, with_case) is not None
    assert clerk.foreign == []


def test_clerk_finds_a_household_by_the_ids_last_four_and_opens_cases_for_a_filtered_list(
    clerk, engine, app
):
    page = clerk.page
    for seq, name in ((11, "王秀英"), (12, "赵一"), (13, "钱二")):
        _register(engine, app, seq, name)
    _register(engine, app, 14, "孙三", damage="general")
    _open_case(engine, _register(engine, app, 15, "周已建"))
    clerk.sign_in("county")
    page.goto(clerk.origin + "/subsidies/households")

    page.get_by_label("查找").fill(_id_number(12)[-4:])
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    names = page.locator("tr[data-household] td:nth-child(2)").all_inner_texts()
    assert names == ["赵一"]

    page.get_by_label("查找").fill("")
    page.locator("#hh-damage-filter").select_option("collapsed")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    assert page.locator("tr[data-household]").count() == 4
    page.get_by_label("批量建立案件的项目").select_option(PROGRAMME)
    with page.expect_navigation():
        page.get_by_role("button", name="为筛选出的 4 户批量建案").click()
    assert (
        page.get_by_test_id("bulk-result").inner_text()
        == "已建立 3 个案件；已有案件跳过 1 户；不符合条件 0 户。"
    )
    with transaction(engine) as session:
        cased = {
            h.head_name
            for h in session.exec(select(Household).join(Case, Case.household_id == Household.id))
        }
    assert cased == {"王秀英", "赵一", "钱二", "周已建"}


def test_the_household_form_keeps_everything_typed_and_shows_every_error_at_once(clerk, engine):
    page = clerk.page
    clerk.sign_in("county")
    page.goto(clerk.origin + "/subsidies/households/new")
    # Places are chosen by name: the search narrows the picker to 保合少镇.
    page.get_by_label("按名称查找乡镇/村").fill("保合少")
    assert page.get_by_label("所在乡镇/村", exact=True).input_value() == TOWNSHIP

    # Several mistakes at once: all listed in a summary that takes focus.
    page.get_by_label("灾害事件").select_option(index=1)
    page.get_by_label("户主姓名").fill("")
    page.get_by_label("身份证号码").fill("123")
    page.get_by_label("家庭人口").fill("abc")
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()
    summary = page.get_by_test_id("error-summary")
    assert summary.locator("li").count() >= 4
    assert page.evaluate("document.activeElement.dataset.testid") == "error-summary"
    assert page.get_by_label("家庭人口").input_value() == "abc"

    # A region outside the county (a stale or tampered form): an inline message under the
    # field, and every typed value kept — not a page of its own.
    page.get_by_label("户主姓名").fill("张建国")
    page.get_by_label("身份证号码").fill(_id_number(21))
    page.get_by_label("家庭人口").fill("4")
    page.get_by_label("房屋损坏程度").select_option("collapsed")
    page.get_by_label("联系电话").fill("13904710001")
    page.locator("#hh-region_code").evaluate(
        f"s => {{ const o = new Option('回民区', '{OUT_OF_SCOPE}', true, true); s.add(o); }}"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()
    assert page.locator("#hh-region_code-error").inner_text() == (
        "该区划不在您的管辖范围内，请选择本县的乡镇/村"
    )
    assert page.get_by_label("户主姓名").input_value() == "张建国"
    assert page.get_by_label("身份证号码").input_value() == _id_number(21)
    assert page.get_by_label("联系电话").input_value() == "13904710001"
    assert page.get_by_label("房屋损坏程度").input_value() == "collapsed"
    with transaction(engine) as session:
        assert session.exec(select(Household)).all() == []


def test_a_future_payment_date_is_refused_before_the_confirmation_and_8100_with_a_comma_is_accepted(
    clerk, engine, app
):
    page = clerk.page
    case_id = _approved_case(engine, _register(engine, app, 31, "吴付款"))
    clerk.sign_in("county")
    page.goto(clerk.origin + f"/subsidies/cases/{case_id}")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    today = clock.to_cst(clock.now()).date()
    page.get_by_label("金额（元）").fill("8,100")
    page.get_by_label("支付日期").fill((today + timedelta(days=3)).isoformat())
    page.get_by_label("单据号").fill("ZF-001")
    page.get_by_role("button", name="登记支付").click()
    assert page.locator("#pay-on-error").inner_text() == "支付日期晚于今天；如确需登记，请填写原因"
    assert dialogs == []

    page.get_by_label("支付日期").fill(today.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="登记支付").click()
    assert len(dialogs) == 1
    assert page.get_by_role("status").inner_text() == "已登记支付。"
    with transaction(engine) as session:
        (payment,) = session.exec(select(Payment)).all()
        assert payment.amount_fen == 810000 and payment.paid_on == today


def test_the_case_list_sorts_by_a_column_click_and_filters_by_status_programme_and_name(
    clerk, engine, app
):
    page = clerk.page
    big = _open_case(engine, _register(engine, app, 41, "甲大户"))  # collapsed: 25000.00
    _open_case(engine, _register(engine, app, 42, "乙小户", damage="general", rooms=1))  # 3000
    _act(engine, big, "village_review", "publish")
    clerk.sign_in("county")
    page.goto(clerk.origin + "/subsidies/cases")

    names = page.get_by_test_id("case-name")
    with page.expect_navigation():
        page.get_by_role("link", name="金额").click()
    assert names.all_inner_texts() == ["乙小户", "甲大户"]
    with page.expect_navigation():
        page.get_by_role("link", name="金额").click()
    assert names.all_inner_texts() == ["甲大户", "乙小户"]
    assert page.get_by_test_id("case-programme").first.inner_text() == (
        "呼和浩特市2026年山洪倒损住房恢复重建补助"
    )
    assert page.get_by_role("columnheader", name="公示截止").count() == 1
    assert page.get_by_test_id("notice-ends").first.inner_text() != "—"

    page.get_by_label("状态").select_option("published")
    page.get_by_label("补助项目").select_option(PROGRAMME)
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    assert names.all_inner_texts() == ["甲大户"]
    page.get_by_label("状态").select_option("")
    page.get_by_label("查找").fill("乙小")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    assert names.all_inner_texts() == ["乙小户"]
