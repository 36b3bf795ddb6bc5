"""Relief funds (救灾资金, issue 16) from a central allocation to a paid case, in a real
browser: the administrator records 中央 money received by 内蒙古自治区 and allocates it down
to 呼和浩特市 and 新城区 with its 文号 and date; a county programme's budget is set (API) and
seen on its page; the county's staff register a household on the household form, open its
case from the household list and, once it is approved, pay it on the case page; the funds
summary then shows the money spent and what is left. Fixtures as in test_browser.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from stdnum.cn import ric

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.subsidies import service as subsidies
from relief.subsidies.models import Case, Household, Payment, Programme, TransitionIn
from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures
from tests.web.test_funds_browser import _allocate

pytestmark = pytest.mark.browser

PROGRAMME = "XCQ-REBUILD-2026"
TOWNSHIP = "150102101"  # 保合少镇, in 新城区


def _id_number(seq: int) -> str:
    body = f"150102198001010{seq:02d}"
    return body + ric.calc_check_digit(body + "0")


def _receive(page, amount: str) -> None:
    receipt = page.locator('[data-testid="receipt-form"]')
    receipt.get_by_label("资金来源").select_option(label="中央")
    receipt.get_by_label("金额（元）").fill(amount)
    receipt.get_by_label("文号").fill("财社〔2026〕12号")
    receipt.get_by_label("发文日期").fill("2026-07-21")
    receipt.get_by_label("用途").fill("中央自然灾害救灾资金")
    with page.expect_navigation():
        receipt.get_by_role("button", name="登记到账").click()


def test_from_a_central_allocation_to_a_paid_case(visit, client, login, engine):  # noqa: F811
    page = visit.page
    visit.sign_in("admin")
    page.goto(visit.origin + "/funds/150000")
    _receive(page, "500000")
    assert page.locator('[data-testid="funds-balance"]').inner_text() == "500,000.00 元"
    _allocate(page, "呼和浩特市", "300000")
    page.goto(visit.origin + "/funds/150100")
    _allocate(page, "新城区", "80000")
    county = page.locator('[data-testid="funds-summary"] tr[data-region="150102"]')
    assert "80,000.00" in county.inner_text()
    ledger = page.locator('[data-testid="funds-ledger"]').inner_text()
    assert "内财社〔2026〕88号" in ledger and "2026-07-22" in ledger

    # The county's programme and its budget (set through the API).
    with transaction(engine) as session:
        flood = session.get(Programme, "HHHT-REBUILD-2026-FLOOD")
        event_id = flood.event_id  # type: ignore[union-attr]
    reply = client.post(
        "/api/v1/programmes",
        json={
            "code": PROGRAMME,
            "name": "新城区2026年山洪倒损住房恢复重建补助",
            "kind": "rebuild",
            "region_code": "150102",
            "event_id": event_id,
            "budget": "50000.00",
            "standards": [
                {"effective_from": "2025-01-01", "damage": "collapsed", "per_household": "8100.00"}
            ],
        },
        headers=login("admin"),
    )
    assert reply.status_code == 201, reply.text
    page.goto(visit.origin + f"/subsidies/programmes/{PROGRAMME}")
    assert page.get_by_test_id("summary-budget").inner_text() == "50,000.00 元"

    # The county's staff register the household and open its case.
    page.context.clear_cookies()
    visit.sign_in("county")
    page.goto(visit.origin + "/subsidies/households/new")
    page.get_by_label("按名称查找乡镇/村").fill("保合少")
    assert page.get_by_label("所在乡镇/村", exact=True).input_value() == TOWNSHIP
    page.get_by_label("灾害事件").select_option(str(event_id))
    page.get_by_label("户主姓名").fill("高付清")
    page.get_by_label("身份证号码").fill(_id_number(41))
    page.get_by_label("家庭人口").fill("4")
    page.get_by_label("房屋损坏程度").select_option("collapsed")
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()
    with transaction(engine) as session:
        (household,) = session.exec(select(Household).where(Household.head_name == "高付清"))
        household_id = household.id
    page.goto(visit.origin + "/subsidies/households")
    page.get_by_label("查找").fill("高付清")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    page.get_by_label("批量建立案件的项目").select_option(PROGRAMME)
    with page.expect_navigation():
        page.get_by_role("button", name="为筛选出的 1 户批量建案").click()
    assert page.get_by_test_id("bulk-result").inner_text().startswith("已建立 1 个案件")

    # Reviewed, published and approved (the notice ended days ago: through the services).
    with transaction(engine) as session:
        (case,) = session.exec(select(Case).where(Case.household_id == household_id))
        case_id = case.id
    with clock.shifted(timedelta(days=-10)):
        for action in ("village_review", "publish"):
            with transaction(engine) as session:
                subsidies.transition_case(session, SYSTEM, case_id, TransitionIn(action=action))
    for action in ("township_review", "approve"):
        with transaction(engine) as session:
            subsidies.transition_case(session, SYSTEM, case_id, TransitionIn(action=action))

    # Paid on the case page.
    page.goto(visit.origin + f"/subsidies/cases/{case_id}")
    page.on("dialog", lambda d: d.accept())
    page.get_by_label("金额（元）").fill("8100")
    page.get_by_label("支付日期").fill(clock.to_cst(clock.now()).date().isoformat())
    page.get_by_label("单据号").fill("ZF-2026-001")
    with page.expect_navigation():
        page.get_by_role("button", name="登记支付").click()
    assert page.get_by_role("status").inner_text() == "已登记支付。"
    with transaction(engine) as session:
        (payment,) = session.exec(select(Payment))
        assert payment.amount_fen == 810_000

    # The programme's page and the county's funds summary show it spent.
    page.goto(visit.origin + f"/subsidies/programmes/{PROGRAMME}")
    assert page.get_by_test_id("summary-paid").inner_text() == "8,100.00 元"
    assert page.get_by_test_id("summary-remaining").inner_text() == "41,900.00 元"
    page.goto(visit.origin + "/funds/150102")
    summary = page.locator('[data-testid="funds-summary"]')
    cells = summary.locator('tr[data-region="150102"] td').all_inner_texts()
    # region, received, passed down, spent, left
    assert cells[1:4] == ["80,000.00", "0.00", "8,100.00"], cells
    assert cells[4] == "71,900.00", cells  # left: received less passed down less paid
    township = summary.locator(f'tr[data-region="{TOWNSHIP}"] td').all_inner_texts()
    assert township[3] == "8,100.00", township
