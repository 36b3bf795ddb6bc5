"""The `grain` kind (口粮救助) end to end in a real browser. No shipped scenario has a grain
programme any more (issue 15 split Guizhou's QXN-GRAIN into a 冬春 and a 过渡期 programme),
so the administrator creates one through the API, as a county would for its own 口粮
subsidy; then county staff register a household on the form, open its case from the
household list, see the amount with its kilograms, and pay it on the case page. Fixtures as
in test_browser.py."""

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

pytestmark = pytest.mark.browser

PROGRAMME = "XCQ-GRAIN-2026"
TOWNSHIP = "150102101"  # 保合少镇, in 新城区


def test_a_grain_subsidy_from_registration_to_payment(visit, client, login, engine):  # noqa: F811
    with transaction(engine) as session:
        flood = session.get(Programme, "HHHT-REBUILD-2026-FLOOD")
        event_id = flood.event_id  # type: ignore[union-attr]
    programme = {
        "code": PROGRAMME,
        "name": "新城区2026年山洪受灾群众口粮救助",
        "kind": "grain",
        "region_code": "150102",
        "event_id": event_id,
        "budget": "20000.00",
        "standards": [
            {
                "effective_from": "2025-01-01",
                "per_person_month_kg": 15,
                "price_per_kg": "6.00",
                "months": 3,
            }
        ],
    }
    reply = client.post("/api/v1/programmes", json=programme, headers=login("admin"))
    assert reply.status_code == 201, reply.text

    page = visit.page
    visit.sign_in("county")
    page.goto(visit.origin + "/subsidies/households/new")
    page.get_by_label("按名称查找乡镇/村").fill("保合少")
    assert page.get_by_label("所在乡镇/村", exact=True).input_value() == TOWNSHIP
    page.get_by_label("灾害事件").select_option(str(event_id))
    page.get_by_label("户主姓名").fill("米满仓")
    body = "15010219750505033"
    page.get_by_label("身份证号码").fill(body + ric.calc_check_digit(body + "0"))
    page.get_by_label("家庭人口").fill("4")
    page.get_by_label("房屋损坏程度").select_option("none")
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()
    assert page.get_by_role("status").inner_text() == "已登记受灾户。"
    with transaction(engine) as session:
        (household,) = session.exec(select(Household).where(Household.head_name == "米满仓"))
        household_id = household.id

    page.goto(visit.origin + "/subsidies/households")
    page.get_by_label("查找").fill("米满仓")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    page.get_by_label("批量建立案件的项目").select_option(PROGRAMME)
    with page.expect_navigation():
        page.get_by_role("button", name="为筛选出的 1 户批量建案").click()
    assert page.get_by_test_id("bulk-result").inner_text().startswith("已建立 1 个案件")

    with transaction(engine) as session:
        (case,) = session.exec(select(Case).where(Case.household_id == household_id))
        case_id = case.id
    # 4 people × 15 kg × 3 months = 180 kg at 6.00 元/kg.
    page.goto(visit.origin + f"/subsidies/cases/{case_id}")
    assert page.get_by_test_id("case-amount").inner_text() == "1,080.00 元 (180.000 kg)"

    # Reviewed, published (the notice ended days ago) and approved, through the services.
    with clock.shifted(timedelta(days=-10)):
        for action in ("village_review", "publish"):
            with transaction(engine) as session:
                subsidies.transition_case(session, SYSTEM, case_id, TransitionIn(action=action))
    for action in ("township_review", "approve"):
        with transaction(engine) as session:
            subsidies.transition_case(session, SYSTEM, case_id, TransitionIn(action=action))

    page.goto(visit.origin + f"/subsidies/cases/{case_id}")
    page.on("dialog", lambda d: d.accept())
    page.get_by_label("金额（元）").fill("1080")
    page.get_by_label("支付日期").fill(clock.today().isoformat())
    page.get_by_label("单据号").fill("KL-2026-001")
    with page.expect_navigation():
        page.get_by_role("button", name="登记支付").click()
    assert page.get_by_role("status").inner_text() == "已登记支付。"
    with transaction(engine) as session:
        (payment,) = session.exec(select(Payment).where(Payment.case_id == case_id))
        assert payment.amount_fen == 108_000

    page.goto(visit.origin + f"/subsidies/programmes/{PROGRAMME}")
    assert page.get_by_test_id("summary-paid").inner_text() == "1,080.00 元"
    assert page.get_by_test_id("summary-remaining").inner_text() == "18,920.00 元"
    assert visit.foreign == []
