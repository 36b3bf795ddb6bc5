"""docs/walkthrough.md, step by step, in a real browser (Debian chromium via Playwright).

The Hohhot scenario is loaded and the demo accounts are created by `relief.demo.run_demo`,
the function behind `make demo`, and the passwords are read from the lines it prints, as a
newcomer reads them from the terminal. Every step below names the section of the
walkthrough it follows (same order); what the doc says the user sees is what is asserted.

Skipped with one line without /usr/bin/chromium (a failure in CI), like the other browser
tests, whose helpers it uses.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from relief.clock import CST
from relief.demo import run_demo
from tests.web.conftest import SCENARIO
from tests.web.test_browser import (
    DESKTOP,
    Visit,
    browser,  # noqa: F401 - fixture
)
from tests.web.test_browser import _visit as open_visit

pytestmark = pytest.mark.browser

EVENT = "暴雪"
TOWNSHIP = "150125200"  # 大青山乡, 武川县
# The update report of step 3 (the township's first report said 70 relocated, 160 in need).
UPDATE = {
    "紧急转移安置人数": 110,
    "需紧急生活救助人数": 240,
    "倒塌房屋户数": 2,
    "倒塌房屋间数": 5,
    "严重损坏房屋户数": 4,
    "严重损坏房屋间数": 10,
    "一般损坏房屋户数": 20,
    "一般损坏房屋间数": 45,
}
ID_NUMBER = "15012519850315002X"  # check digit X (python-stdnum's calc_check_digit)
ID_WRONG = "150125198503150021"
GRAIN = "呼和浩特市2026年雪灾过渡期生活救助"


@pytest.fixture
def walker(browser, live_server) -> Iterator[Visit]:  # noqa: F811
    yield from open_visit(browser, live_server, DESKTOP)


def _demo_accounts(lines: list[str]) -> dict[str, tuple[str, str, str]]:
    """username → (role, scope, password), from the table `make demo` prints."""
    start = next(i for i, line in enumerate(lines) if line.startswith("demo users")) + 2
    accounts = {}
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        username, role, scope, password = line.split()
        accounts[username] = (role, scope, password)
    return accounts


def _int(page, selector: str) -> int:
    return int(page.locator(selector).inner_text().split()[0])


def _practice_cases(lines: list[str]) -> dict[str, tuple[int, str]]:
    """head name → (case id, status), from the practice cases `make demo` prints."""
    start = next(i for i, line in enumerate(lines) if line.startswith("practice subsidy"))
    cases = {}
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        _, case_id, status, _, name = line.split()
        cases[name] = (int(case_id), status)
    return cases


def test_walkthrough_from_first_report_to_paid_subsidy(walker, engine, database_url, settings):
    page = walker.page
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)

    # 第 1 步 · 启动演示: `make demo` prints six accounts with one-time passwords and the
    # practice cases whose public notice has ended.
    printed = run_demo(database_url, engine, SCENARIO, settings.secret_key)
    accounts = _demo_accounts(printed)
    practice = _practice_cases(printed)
    assert {name: status for name, (_, status) in practice.items()} == {
        "王桂兰": "published",
        "李俊峰": "published",
        "赵秀梅": "published",
    }
    assert {name: account[:2] for name, account in accounts.items()} == {
        "admin": ("admin", "everything"),
        "duty": ("duty_officer", "everything"),
        "manager_backbone": ("warehouse_manager", "WH-150100-B"),
        "manager_depot": ("warehouse_manager", "WH-150125-C"),
        "county_staff": ("county_staff", "150125"),
        "approver": ("approver", "150100"),
    }

    chosen: dict[str, str] = {}

    def sign_in(username: str) -> None:
        page.goto(walker.origin + "/")
        if page.get_by_role("button", name="退出登录").count():
            with page.expect_navigation():
                page.get_by_role("button", name="退出登录").click()
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(accounts[username][2])
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
        if username not in chosen:
            # 第 1 步 (cont.): the printed password is one-time: the first sign-in goes to
            # 修改密码, and nothing else opens until the user has chosen their own.
            assert page.url.endswith("/password")
            assert page.get_by_role("heading", level=1).inner_text() == "修改密码"
            chosen[username] = f"{username}-own-passphrase"
            page.get_by_label("当前密码", exact=True).fill(accounts[username][2])
            page.get_by_label("新密码", exact=True).fill(chosen[username])
            page.get_by_label("再次输入新密码", exact=True).fill(chosen[username])
            with page.expect_navigation():
                page.get_by_role("button", name="保存新密码").click()
            accounts[username] = (*accounts[username][:2], chosen[username])
        assert page.locator('[data-testid="username"]').get_attribute("data-username") == username

    # 第 2 步 · 值班员打开暴雪事件: 16 reports, the totals and a level Ⅳ recommendation.
    sign_in("duty")
    assert page.get_by_role("heading", level=1).inner_text() == "储备网络概况"
    with page.expect_navigation():
        page.get_by_role("link", name="灾害事件").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(EVENT)).click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "2026年1月武川县及大青山北麓暴雪（白灾）"
    )
    assert page.locator('[data-testid="reports"] tbody tr').count() == 16
    assert _int(page, '[data-total="relocated"]') == 1120
    assert _int(page, '[data-total="needing_aid"]') == 2980
    assert page.locator('[data-testid="recommended"]').inner_text() == "建议响应级别: Ⅳ级响应"

    # 第 3 步 · 录入一份续报 for 大青山乡.
    page.get_by_label("所在区划").select_option(TOWNSHIP)
    page.get_by_label("类型").select_option(label="续报")
    for label, value in UPDATE.items():
        page.get_by_label(label, exact=True).fill(str(value))
    # 70 → 110 relocated is more than half again: the 续报 says why (issue 14).
    page.get_by_label("数字变动原因").fill("又有两个嘎查报来转移人数")
    with page.expect_navigation():
        page.get_by_role("button", name="保存报告").click()
    assert page.locator('[data-testid="reports"] tbody tr').count() == 17
    # The update replaces the township's first report (70 → 110, 160 → 240) in the totals.
    assert _int(page, '[data-total="relocated"]') == 1160
    assert _int(page, '[data-total="needing_aid"]') == 3060

    # 第 4 步 · 读评估: one criterion exceeded, 4220 against the level Ⅳ threshold 1200.
    exceeded = page.locator('[data-testid="exceeded"] tbody tr')
    assert exceeded.count() == 1
    assert exceeded.first.inner_text().split("\t") == [
        "紧急转移安置和需紧急生活救助人数",
        "4220",
        "1200",
        "Ⅳ级响应",
    ]
    assert "Ⅳ级响应" in page.locator('[data-testid="recommended"]').inner_text()

    # 第 5 步 · 按建议级别启动响应 (confirmed).
    page.locator("#tr-level").select_option(label="Ⅳ级响应")
    assert not page.get_by_label("高于建议级别的理由").is_visible()
    page.get_by_label("说明").fill("按评估建议启动Ⅳ级响应")
    with page.expect_navigation():
        page.get_by_role("button", name="启动响应").click()
    assert dialogs and "启动" in dialogs[-1]
    heading = page.locator('[data-testid="response"]')
    assert heading.get_attribute("data-status") == "active"
    assert heading.inner_text() == "Ⅳ级响应 2026年1月武川县及大青山北麓暴雪（白灾）"
    assert page.get_by_test_id("response-status").inner_text() == "进行中"
    response_url = page.url
    deadlines = page.locator('[data-testid="deadlines"] tbody th')
    assert deadlines.all_inner_texts() == ["物资送达时限", "灾情报送时限", "资金下拨时限"]

    # 第 6 步 · 道路中断: the two passes over the 大青山 closed by the event.
    closures = page.locator('[data-testid="closures"] tbody tr')
    assert closures.count() == 2
    roads = sorted(row.inner_text().split("\t")[0] for row in closures.all())
    # Named by their ends' places and length (大青山 passes: 武川县—新城区, the backbone depot).
    assert all(re.fullmatch(r"[^\d—]+—[^\d—]+ \d+(\.\d)? km", road) for road in roads), roads
    assert any("武川县" in road and "新城区" in road for road in roads), roads
    assert any("骨干库" in road for road in roads), roads
    assert all(row.inner_text().split("\t")[2] == "中断" for row in closures.all())
    assert page.locator("#response-map .road.closed").count() == 2  # red and dashed

    # 第 7 步 · 查看和修改需求清单: 大青山乡's water 990 → 1000, saved as a new version.
    page.get_by_test_id("coverage-details").locator("summary").click()  # folded (issue 13)
    assert page.locator('[data-testid="coverage"] tbody tr').count() == 13
    water = page.locator('[data-testid="coverage"] tbody tr', has_text="饮用水")
    assert water.inner_text().split("\t")[1] == "10440 L"
    page.get_by_text("查看和修改需求清单").click()
    # Grouped by region (a heading row each): count the lines by their quantity fields.
    demand_rows = page.locator('[data-testid="demand"] tbody input[id$="-qty"]')
    assert demand_rows.count() == 13 * 12 + 1  # 12 regions × 13 items, and a blank row
    # A line in force names its place and item; its codes travel in hidden inputs (issue 13
    # review, finding 29).
    line = page.locator(
        '[data-testid="demand"] tr[data-demand-row]',
        has=page.locator(f'input[name="key"][value="{TOWNSHIP}|water"]'),
    )
    assert "饮用水" in line.inner_text()
    quantity = line.locator('input[name="quantity"]')
    assert quantity.input_value() == "990"
    quantity.fill("1000")
    page.get_by_label("修改理由").fill("大青山乡来电：饮用水还差 10 升")
    with page.expect_navigation():
        page.get_by_role("button", name="保存需求清单").click()
    page.get_by_test_id("coverage-details").locator("summary").click()
    water = page.locator('[data-testid="coverage"] tbody tr', has_text="饮用水")
    assert water.inner_text().split("\t")[1] == "10450 L"
    with page.expect_navigation():
        page.get_by_test_id("demand-versions-link").click()
    newest = page.get_by_test_id("demand-version").first
    assert "修改理由: 大青山乡来电：饮用水还差 10 升" in newest.inner_text()
    change = newest.locator(f'tr[data-region="{TOWNSHIP}"][data-item="water"]')
    assert change.inner_text().split("\t")[2:5] == ["990", "1000", "+10"]
    with page.expect_navigation():
        page.go_back()

    # 第 8 步 · 计算方案并排比较: both fill every line; the table gives each plan's measures.
    with page.expect_navigation():
        page.get_by_role("button", name="计算方案（最优与贪心）").click()
    for method in ("optimal", "greedy"):
        plan = page.locator(f'[data-testid="plan-{method}"]')
        assert plan.is_visible()
        assert plan.get_attribute("data-state") == "draft"
        demand = _int(plan, '[data-stat="demand"]')
        assert _int(plan, '[data-stat="allocated"]') == demand == 21265
        assert _int(plan, '[data-stat="shortfall"]') == 0
        assert plan.locator('[data-stat="min_fill_rate"]').inner_text() == "100.0%"
        assert float(plan.locator('[data-stat="ton_km"]').inner_text()) > 0

    # 第 9 步 · 批准最优方案: confirmed; 20 dispatch orders, the flows on the map.
    asked = len(dialogs)
    with page.expect_navigation():
        page.locator('[data-testid="approve-optimal"]').click()
    assert len(dialogs) == asked + 1
    assert page.locator('[data-testid="approved-plan"]').inner_text() == (
        "已批准方案 #1（最优方案）。"
    )
    assert page.locator('[data-testid="plan-optimal"]').get_attribute("data-state") == "approved"
    assert page.locator("#response-map .flow").count() > 0
    orders = page.locator('[data-testid="response-orders"] li')
    assert orders.count() == 20
    sources = [o.inner_text().split(" · ")[1].split(" → ")[0] for o in orders.all()]
    assert {name: sources.count(name) for name in set(sources)} == {
        "呼和浩特市救灾物资骨干库": 12,
        "武川县救灾物资片区库": 5,
        "新城区救灾物资片区库": 1,
        "赛罕区救灾物资片区库": 1,
        "土默特左旗救灾物资片区库": 1,
    }
    assert all("已预留" in o.inner_text() for o in orders.all())
    ours = [o.inner_text() for o in orders.all() if "→ 大青山乡" in o.inner_text()]
    assert len(ours) == 1 and "呼和浩特市救灾物资骨干库 → 大青山乡" in ours[0]
    number = re.search(r"DB-\d{8}-\d{4}", ours[0])[0]

    # 第 10 步 · 骨干库管理员：入库一个批次，看拣货单（先到期先出）.
    sign_in("manager_backbone")
    assert page.get_by_role("heading", level=1).inner_text() == "我的仓库"
    with page.expect_navigation():
        page.get_by_role("link", name="呼和浩特市救灾物资骨干库").click()
    assert page.url == walker.origin + "/warehouses/WH-150100-B"
    expires = (datetime.now(CST) + timedelta(days=60)).date().isoformat()
    page.get_by_label("入库单号").fill("RK-2026-001")
    page.get_by_label("物资 1", exact=True).select_option("water")
    page.get_by_label("数量 1", exact=True).fill("600")
    page.get_by_label("批次 1", exact=True).fill("SN2601")
    page.get_by_label("到期日 1", exact=True).fill(expires)
    with page.expect_navigation():
        page.get_by_role("button", name="登记入库").click()
    assert page.get_by_role("status").inner_text() == "已登记入库。"
    with page.expect_navigation():
        page.get_by_role("link", name="调拨单").first.click()
    outgoing = page.locator('[data-testid="orders.outgoing"] tbody tr')
    assert outgoing.count() == 12
    with page.expect_navigation():
        page.get_by_role("link", name=number).click()
    assert page.locator('[data-testid="order-status"]').get_attribute("data-status") == "reserved"
    assert page.get_by_role("heading", name="拣货单（先到期先出）").is_visible()
    route = page.locator("dt:has-text('路线') + dd").inner_text()
    assert route == "呼和浩特市救灾物资骨干库 → 新城区救灾物资片区库 → 新城区 → 东河街道 → 大青山乡"
    lots = page.locator('[data-testid="order-lines"] tr[data-item="water"] [data-testid="lots"]')
    assert lots.inner_text().splitlines() == [f"SN2601 · {expires} × 600", "默认批次 × 400"]

    # 第 11 步 · 发运 (confirmed) and print the 调拨单.
    assert page.get_by_label("实发数量 饮用水（瓶装）").input_value() == "1000"
    page.get_by_label("车辆").fill("厢式货车")
    page.get_by_label("驾驶员").fill("张师傅")
    page.get_by_label("车牌号").fill("蒙A·12345")
    asked = len(dialogs)
    with page.expect_navigation():
        page.get_by_role("button", name="确认发运").click()
    assert dialogs[asked:] == ["发运后不能撤销，库存将出库。确认发运？"]
    assert page.get_by_role("status").inner_text() == "已发运。"
    assert page.locator('[data-testid="order-status"]').get_attribute("data-status") == (
        "dispatched"
    )
    order_url = page.url.split("?")[0]
    assert page.get_by_role("link", name="下载 PDF").get_attribute("href") == (
        f"/api/v1/dispatch-orders/{order_url.rsplit('/', 1)[1]}/pdf"
    )
    with page.expect_navigation():
        page.get_by_role("link", name="打印调拨单").click()
    assert page.title() == f"调拨单 {number}"
    printed = page.locator("body").inner_text()
    assert "蒙A·12345" in printed and "SN2601" in printed and "大青山乡" in printed
    assert all(word in printed for word in ("发货人", "承运人", "收货人"))

    # 第 12 步 · 县里到货签收, 10 L short: a discrepancy.
    sign_in("county_staff")
    with page.expect_navigation():
        page.get_by_role("link", name="调拨单").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name=number).click()
    assert page.url == order_url
    page.get_by_label("实收 饮用水（瓶装）").fill("990")
    page.get_by_label("差异原因 饮用水（瓶装）").fill("途中冻裂 10 瓶")
    page.get_by_label("签收备注").fill("大青山乡政府院内清点")
    asked = len(dialogs)
    with page.expect_navigation():
        page.get_by_role("button", name="确认签收").click()
    assert dialogs[asked:] == ["确认签收？实收数量将入账，签收后不能撤销。"]
    assert page.get_by_role("status").inner_text() == "已签收。"
    status = page.locator('[data-testid="order-status"]')
    assert status.get_attribute("data-status") == "partially_delivered"
    assert status.inner_text() == "部分送达"
    assert page.get_by_role("heading", name="差异记录").is_visible()
    assert "途中冻裂 10 瓶" in page.locator('[data-testid="discrepancies"]').inner_text()

    # 第 13 步 · 值班员跟踪到货 (到货跟踪 on the response page).
    sign_in("duty")
    with page.expect_navigation():
        page.get_by_role("link", name="灾害事件").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(EVENT)).click()
    with page.expect_navigation():
        page.get_by_role("link", name="查看应急响应").click()
    assert page.url == response_url
    assert page.locator('[data-testid="fulfilment"]').is_visible()
    page.get_by_text("全部 156 行：需求、已安排调拨、已发运、实收").click()
    row = page.locator(
        f'[data-testid="fulfilment-row"][data-region="{TOWNSHIP}"][data-item="water"]'
    )
    cells = row.inner_text().split("\t")
    assert cells[2:6] == ["1000 L", "1000", "1000", "990"]
    assert row.get_attribute("data-overdue") is None
    assert page.locator('[data-testid="fulfilment-summary"]').inner_text() == (
        "没有超时未到齐的物资。"
    )

    # 第 14 步 · 县级民政登记受灾户 (the ID number checked while typing).
    sign_in("county_staff")
    with page.expect_navigation():
        page.get_by_role("link", name="救助补助").click()
    with page.expect_navigation():
        page.get_by_role("link", name="登记受灾户").click()
    page.get_by_label("灾害事件").select_option(label="2026年1月武川县及大青山北麓暴雪（白灾）")
    page.get_by_label("所在乡镇/村", exact=True).select_option(TOWNSHIP)  # chosen by name
    page.get_by_label("户主姓名").fill("王秀兰")
    page.get_by_label("身份证号码").fill(ID_WRONG)
    assert page.get_by_test_id("id-live").inner_text() == "身份证号码校验位错误，请核对"
    page.get_by_label("身份证号码").fill(ID_NUMBER)
    assert page.get_by_test_id("id-live").inner_text() == "✓"
    page.get_by_label("家庭人口").fill("4")
    page.get_by_label("房屋损坏程度").select_option(label="严重损坏")
    page.get_by_label("损坏间数").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()
    assert page.get_by_role("status").inner_text() == "已登记受灾户。"
    household = page.locator("tr[data-household]", has_text="王秀兰")
    assert household.locator('[data-testid="masked-id"]').inner_text() == "150125********002X"

    # 第 15 步 · 建立案件 in the snowstorm's programme: 4 persons × 900 元 × 3 months.
    household.get_by_label("补助项目").select_option(label=GRAIN)
    with page.expect_navigation():
        household.get_by_role("button", name="建立案件").click()
    assert page.get_by_role("status").inner_text() == "已建立案件。"
    assert page.get_by_test_id("case-amount").inner_text() == "10,800.00 元"
    assert page.get_by_test_id("case-status").inner_text() == "已登记"
    case_url = page.url.split("?")[0]

    # 第 16 步 · 村级评议 → 张榜公示 (7 days) → 乡镇审核.
    with page.expect_navigation():
        page.get_by_role("button", name="村级评议通过").click()
    assert page.get_by_test_id("case-status").inner_text() == "村级评议"
    with page.expect_navigation():
        page.get_by_role("button", name="张榜公示").click()
    assert page.get_by_test_id("case-status").inner_text() == "公示中"
    ends = page.locator("dt:has-text('公示截止') + dd time").get_attribute("datetime")
    notice_ends = datetime.fromisoformat(ends)
    assert timedelta(days=7) - (notice_ends - datetime.now(UTC)) < timedelta(hours=1)
    with page.expect_navigation():
        page.get_by_role("button", name="乡镇审核通过").click()
    assert page.get_by_test_id("case-status").inner_text() == "乡镇审核"

    # … and the practice case of 王桂兰, whose notice ended yesterday, to township review.
    practice_url = f"{walker.origin}/subsidies/cases/{practice['王桂兰'][0]}"
    with page.expect_navigation():
        page.get_by_role("link", name="补助案件").first.click()
    with page.expect_navigation():
        page.locator(f'tr[data-case="{practice["王桂兰"][0]}"]').get_by_role("link").click()
    assert page.url == practice_url
    assert page.get_by_test_id("case-status").inner_text() == "公示中"
    ended = page.locator("dt:has-text('公示截止') + dd time").get_attribute("datetime")
    assert datetime.fromisoformat(ended) < datetime.now(UTC)
    with page.expect_navigation():
        page.get_by_role("button", name="乡镇审核通过").click()
    assert page.get_by_test_id("case-status").inner_text() == "乡镇审核"

    # 第 17 步 · 审批: 王秀兰's is refused while her notice runs; 王桂兰's is approved.
    sign_in("approver")
    with page.expect_navigation():
        page.get_by_role("link", name="救助补助").click()
    with page.expect_navigation():
        page.locator("tr[data-case]", has_text="王秀兰").get_by_role("link").click()
    assert page.url == case_url
    asked = len(dialogs)
    with page.expect_navigation():
        page.get_by_role("button", name="审批通过").click()
    assert len(dialogs) == asked + 1
    assert "公示期尚未结束，公示期满后才能审批" in page.locator("main").inner_text()
    assert page.get_by_test_id("case-status").inner_text() == "乡镇审核"
    with page.expect_navigation():
        page.get_by_role("link", name="补助案件").first.click()
    with page.expect_navigation():
        page.locator(f'tr[data-case="{practice["王桂兰"][0]}"]').get_by_role("link").click()
    page.get_by_label("意见").last.fill("公示无异议，同意")
    with page.expect_navigation():
        page.get_by_role("button", name="审批通过").click()
    assert page.get_by_role("status").inner_text() == "已审批。"
    assert page.get_by_test_id("case-status").inner_text() == "已审批"
    assert page.get_by_test_id("case-amount").inner_text() == "8,100.00 元"

    # 第 18 步 · 登记支付 (county staff, confirmed).
    sign_in("county_staff")
    with page.expect_navigation():
        page.get_by_role("link", name="救助补助").click()
    case_row = page.locator(f'tr[data-case="{practice["王桂兰"][0]}"]')
    assert case_row.locator(".badge").inner_text() == "已审批"
    with page.expect_navigation():
        case_row.get_by_role("link").click()
    paid_on = datetime.now(CST).date().isoformat()
    page.get_by_label("补助金额（元）").fill("8100.00")
    page.get_by_label("支付日期").fill(paid_on)
    page.get_by_label("单据号").fill("NX-2026-0001")
    asked = len(dialogs)
    with page.expect_navigation():
        page.get_by_role("button", name="登记支付").click()
    assert dialogs[asked:] == ["登记这笔支付？登记后不能修改，只能冲正。"]
    assert page.get_by_role("status").inner_text() == "已登记支付。"
    assert "已支付 8,100.00 元 / 8,100.00 元" in page.locator("#payments-h").inner_text()

    # 第 19 步 · 资金概况与支付清单.
    with page.expect_navigation():
        page.get_by_role("link", name="补助案件").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name=f"{GRAIN}：资金概况与导出").click()
    assert page.get_by_test_id("summary-budget").inner_text() == "1,000,000.00 元"
    assert page.get_by_test_id("summary-paid").inner_text() == "8,100.00 元"
    assert page.get_by_test_id("summary-approved").inner_text() == "8,100.00 元"
    with page.expect_download() as download:
        page.get_by_test_id("payments-csv").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "序号",
        "户主姓名",
        "身份证号码",
        "一卡通账号",
        "行政区划代码",
        "金额（元）",
        "支付日期",
        "凭证号",
        "案件编号",
        "备注",
    ]
    assert len(rows) == 2  # the header and the one payment
    assert rows[1][1] == "王桂兰" and rows[1][5] == "8100.00"
    assert rows[1][3] == "6228480000000000001"  # the bank's list has the whole account
