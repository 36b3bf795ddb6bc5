"""The duty officer's pages (relief/web/duty.py) through TestClient, on the Hohhot
scenario: its snowstorm event arrives with sixteen reports and no response."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.dispatch import service as dispatch
from relief.emergency import responses
from relief.emergency import service as emergency
from relief.emergency.models import DemandLineIn
from relief.network import service as network
from tests.web.conftest import COUNTY

SNOWSTORM = "snowstorm"


@pytest.fixture
def snowstorm(engine, hohhot) -> int:
    with transaction(engine) as session:
        event = emergency.event_by_key(session, SNOWSTORM)
        assert event is not None
        return event.id


def _recommended(engine, event_id: int) -> int:
    with transaction(engine) as session:
        level = emergency.assess_event(session, event_id).recommended_level
    assert level is not None, "the scenario's snowstorm should reach a level"
    return level


def _field_error(html: str, input_id: str) -> str:
    match = re.search(rf'<p class="error" id="{input_id}-error" role="alert">([^<]*)</p>', html)
    return match.group(1) if match else ""


def _trigger(client, event_id: int, level: int, reason: str = "") -> str:
    reply = client.post(
        f"/events/{event_id}/responses",
        data={"level": str(level), "note": "按建议启动", "override_reason": reason},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    return reply.headers["location"]


# --- pages render --------------------------------------------------------------------------


def test_events_page_lists_the_snowstorm_and_offers_the_create_form(client, sign_in, snowstorm):
    sign_in("duty")
    reply = client.get("/events")
    assert reply.status_code == 200
    assert f'href="/events/{snowstorm}"' in reply.text
    assert 'data-testid="event-form"' in reply.text
    assert "登记新事件" in reply.text


def test_event_page_shows_the_assessment_with_thresholds_and_the_report_form(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    reply = client.get(f"/events/{snowstorm}")
    assert reply.status_code == 200
    level = _recommended(engine, snowstorm)
    roman = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}[level]
    assert re.search(rf'data-testid="recommended">.*?{roman}级响应', reply.text, re.S)
    # The criterion that set the level, its value and its threshold side by side.
    assert re.search(
        r"紧急转移安置和需紧急生活救助人数</td><td class=\"num\">\d+</td>"
        r"<td class=\"num\">1200</td>",
        reply.text,
    )
    # The region select offers the event's regions and what lies under them, nothing else.
    options = re.findall(
        r'<option value="(\d+)"', reply.text.split('id="rp-region"')[1].split("</select>")[0]
    )
    assert "150125" in options and "150125100" in options
    assert "150103" not in options  # 回民区 is not part of this event
    # reported_at defaults to now in CST.
    now = clock.to_cst(clock.now()).strftime("%Y-%m-%dT%H")
    assert re.search(
        rf'id="rp-at" name="reported_at" type="datetime-local" value="{now}', reply.text
    )
    assert 'data-testid="trigger-form"' in reply.text


def test_a_report_posts_and_redirects_to_the_assessment(client, sign_in, snowstorm):
    sign_in("duty")
    before = client.get(f"/events/{snowstorm}").text
    relocated = int(re.search(r'data-total="relocated">(\d+)<', before).group(1))
    at = clock.to_cst(clock.now()).strftime("%Y-%m-%dT%H:%M")
    form = {"region_code": "150125200", "kind": "update", "reported_at": at, "relocated": "200"}
    reply = client.post(f"/events/{snowstorm}/reports", data=form, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == f"/events/{snowstorm}#assessment"
    after = client.get(f"/events/{snowstorm}").text
    # 150125200's latest report said 70 relocated; the update says 200.
    assert int(re.search(r'data-total="relocated">(\d+)<', after).group(1)) == relocated + 130


def test_a_report_refused_by_the_service_keeps_the_values_and_marks_the_field_in_chinese(
    client, sign_in, snowstorm
):
    sign_in("duty")
    # 150125 (武川县) lies above its already reported townships: counted twice, refused.
    form = {
        "region_code": "150125",
        "kind": "update",
        "reported_at": "2026-01-20T09:15",
        "relocated": "321",
        "needing_aid": "abc",
    }
    reply = client.post(f"/events/{snowstorm}/reports", data=form)
    assert reply.status_code == 422
    assert _field_error(reply.text, "rp-needing_aid") == "请输入不小于 0 的整数"
    assert 'value="321"' in reply.text and 'value="abc"' in reply.text
    assert 'value="2026-01-20T09:15"' in reply.text
    form["needing_aid"] = "5"
    reply = client.post(f"/events/{snowstorm}/reports", data=form)
    assert reply.status_code == 422
    # The service's refusal as a Chinese sentence from the catalogue (issue 13).
    assert _field_error(reply.text, "rp-region") == (
        "150125 是已报告的 150125100 的上级，其数字会被重复统计"
    )
    assert re.search(r'<option value="150125" selected>', reply.text)


def test_triggering_above_the_recommendation_needs_a_reason_then_goes_to_the_response(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    level = _recommended(engine, snowstorm)
    if level == 1:
        pytest.fail("the scenario's recommendation leaves no higher level to test")
    reply = client.post(
        f"/events/{snowstorm}/responses",
        data={"level": str(level - 1), "note": "雪情加剧", "override_reason": ""},
    )
    assert reply.status_code == 422
    assert _field_error(reply.text, "tr-override") != ""
    assert "雪情加剧" in reply.text  # the note typed is kept
    location = _trigger(client, snowstorm, level - 1, reason="牧区道路全部中断")
    assert re.fullmatch(r"/responses/\d+", location)
    page = client.get(location)
    assert page.status_code == 200
    assert 'data-status="active"' in page.text
    assert "牧区道路全部中断" in page.text


def test_response_page_shows_deadlines_timeline_unacknowledged_demand_and_coverage(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    page = client.get(location).text
    for testid in ("deadlines", "timeline", "closures", "demand", "coverage", "response-map"):
        assert f'data-testid="{testid}"' in page, testid
    assert "物资送达时限" in page
    # Managers of the eligible warehouses were notified and none has acknowledged yet.
    assert int(re.search(r'data-testid="unacked-count">(\d+)<', page).group(1)) > 0
    # The scenario's closed passes are the event's closures.
    assert page.count("恢复通行") >= 2
    # Affected regions are shaded on the map.
    assert "affected shade-" in page


def test_an_overdue_deadline_is_marked_red(client, sign_in, snowstorm, engine):
    # Trigger a month ago (the token's `iat` may not lie in the future, so the clock goes
    # back rather than forward), then look today.
    earlier = clock.now() - timedelta(days=30)
    clock.set_clock(lambda: earlier)
    try:
        sign_in("duty")
        location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    finally:
        clock.set_clock(None)
    sign_in("duty")
    page = client.get(location).text
    assert re.search(
        r'<tr data-deadline="supplies_arrive" class="expired" data-overdue="true">'
        r'<th scope="row">物资送达时限',
        page,
    )


def test_a_deadline_marked_done_shows_who_and_when_and_is_no_longer_overdue(
    client, sign_in, snowstorm, engine
):
    earlier = clock.now() - timedelta(days=30)
    clock.set_clock(lambda: earlier)
    try:
        sign_in("duty")
        location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    finally:
        clock.set_clock(None)
    sign_in("duty")
    page = client.get(location).text
    assert 'data-testid="done-situation_report"' in page

    reply = client.post(
        f"{location}/deadlines/situation_report/done",
        data={"note": "灾情已报送"},
        follow_redirects=False,
    )

    assert reply.status_code == 303, reply.text
    page = client.get(location).text
    row = re.search(r'<tr data-deadline="situation_report"[^>]*>.*?</tr>', page, re.S).group(0)
    assert 'data-overdue="true"' not in row
    assert "已完成" in row and "duty" in row
    assert 'data-testid="done-situation_report"' not in page
    # The other deadlines, open and past due, stay red with their button.
    assert re.search(
        r'<tr data-deadline="funds_allocated" class="expired" data-overdue="true"', page
    )
    assert 'data-testid="done-funds_allocated"' in page
    again = client.post(f"{location}/deadlines/situation_report/done", data={"note": ""})
    assert again.status_code == 409
    assert "该时限已标记完成" in again.text


def test_home_shows_supplies_done_instead_of_overdue_once_marked(
    client, sign_in, snowstorm, engine
):
    earlier = clock.now() - timedelta(days=30)
    clock.set_clock(lambda: earlier)
    try:
        sign_in("duty")
        location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    finally:
        clock.set_clock(None)
    sign_in("duty")
    rid = location.rsplit("/", 1)[1]

    def home_row() -> str:
        page = client.get("/").text
        return re.search(rf'<tr data-response="{rid}">.*?</tr>', page, re.S).group(0)

    assert "已超时" in home_row()
    client.post(f"{location}/deadlines/supplies_arrive/done", data={"note": ""})
    row = home_row()
    assert "已超时" not in row
    assert "已完成" in row


def test_demand_edit_replaces_the_list_and_a_bad_quantity_keeps_the_rows(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    response_id = int(location.rsplit("/", 1)[1])
    form = {
        "region_code": ["150125100", "150125101", ""],
        "item_code": ["rice", "quilt", ""],
        "quantity": ["500", "-3", ""],
        "priority": ["10", "", ""],
    }
    reply = client.post(f"/responses/{response_id}/demand", data=form)
    assert reply.status_code == 422
    assert _field_error(reply.text, "dm-1-qty") == "请输入不小于 0 的整数"
    assert 'value="-3"' in reply.text and 'value="500"' in reply.text
    form["quantity"][1] = "40"
    reply = client.post(f"/responses/{response_id}/demand", data=form, follow_redirects=False)
    assert reply.status_code == 303
    page = client.get(f"/responses/{response_id}").text
    rows = re.findall(r'name="region_code" value="(\d+)"', page)
    assert rows == ["150125100", "150125101"]


def test_closing_a_road_shows_the_lost_routes_once_and_reopening_restores(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    page = client.get(location).text
    road = re.search(
        r'<select id="cl-road" name="road_id"[^>]*>.*?<option value="(\d+)"', page, re.S
    )
    reply = client.post(
        f"{location}/closures",
        data={"road_id": road.group(1), "note": "积雪"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    page = client.get(location).text
    assert 'data-testid="route-changes"' in page
    assert "因中断受影响的线路" in page
    assert 'data-testid="route-changes"' not in client.get(location).text  # shown once
    reopen = re.search(rf'action="({location}/closures/{road.group(1)}/reopen)"', page)
    assert reopen, "the new closure offers a reopen button"
    reply = client.post(reopen.group(1), follow_redirects=False)
    assert reply.status_code == 303
    assert "恢复后改善的线路" in client.get(location).text


def test_escalating_without_a_level_keeps_the_form_and_marks_the_level(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    reply = client.post(
        f"{location}/change", data={"action": "escalate", "level": "", "note": "升级说明"}
    )
    assert reply.status_code == 422
    assert _field_error(reply.text, "ch-level") != ""
    assert "升级说明" in reply.text
    reply = client.post(
        f"{location}/change", data={"action": "end", "note": "雪停"}, follow_redirects=False
    )
    assert reply.status_code == 303
    assert 'data-status="ended"' in client.get(location).text


def test_running_plans_shows_both_methods_and_approving_one_reserves(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    reply = client.post(f"{location}/plans", follow_redirects=False)
    assert reply.status_code == 303
    page = client.get(location).text
    assert 'data-testid="plan-optimal"' in page and 'data-testid="plan-greedy"' in page
    assert 'class="flow"' in page  # the optimal draft's flows on the map
    plan = re.search(r'data-testid="plan-optimal" data-plan="(\d+)"', page).group(1)
    reply = client.post(f"/plans/{plan}/approve", follow_redirects=False)
    assert reply.status_code == 303, reply.text
    page = client.get(location).text
    assert 'data-testid="approved-plan"' in page
    assert f'data-plan="{plan}" data-state="approved"' in page


# --- who may do what -----------------------------------------------------------------------


def test_county_staff_read_the_pages_but_get_the_403_page_on_duty_actions(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    client.cookies.clear()
    sign_in("county")
    assert client.get(f"/events/{snowstorm}").status_code == 200
    page = client.get(location)
    assert page.status_code == 200
    assert 'data-testid="change-form"' not in page.text
    for path, data in (
        (
            "/events",
            {
                "name": "x",
                "hazard": "flood",
                "started_at": "2026-01-01T00:00",
                "region_codes": COUNTY,
            },
        ),
        (f"/events/{snowstorm}/responses", {"level": "4"}),
        (f"{location}/change", {"action": "end"}),
        (f"{location}/plans", {}),
        (f"{location}/demand", {}),
        (f"{location}/deadlines/situation_report/done", {"note": ""}),
    ):
        reply = client.post(path, data=data)
        assert reply.status_code == 403, path
        assert "无权访问" in reply.text, path


def test_county_staff_may_report_only_for_their_regions(client, sign_in, snowstorm):
    sign_in("county")
    page = client.get(f"/events/{snowstorm}").text
    select = page.split('id="rp-region"')[1].split("</select>")[0]
    options = re.findall(r'<option value="(\d+)"', select)
    assert options and all(code.startswith(COUNTY) for code in options)
    at = clock.to_cst(clock.now()).strftime("%Y-%m-%dT%H:%M")
    reply = client.post(
        f"/events/{snowstorm}/reports",
        data={"region_code": "150125100", "kind": "update", "reported_at": at},
    )
    assert reply.status_code == 403
    assert "无权访问" in reply.text


def test_a_post_from_another_site_is_refused(client, sign_in, snowstorm):
    sign_in("duty")
    reply = client.post(
        "/events",
        data={
            "name": "x",
            "hazard": "flood",
            "started_at": "2026-01-01T00:00",
            "region_codes": COUNTY,
        },
        headers={"Origin": "https://evil.example"},
    )
    assert reply.status_code == 403


def test_creating_an_event_redirects_to_it_and_a_bad_code_keeps_the_form(client, sign_in):
    sign_in("duty")
    form = {
        "name": "新城区暴雨",
        "hazard": "flood",
        "started_at": "2026-07-01T14:30",
        "region_codes": f"{COUNTY} 999999",
    }
    reply = client.post("/events", data=form)
    assert reply.status_code == 422
    assert _field_error(reply.text, "ev-regions") != ""
    assert 'value="新城区暴雨"' in reply.text and 'value="2026-07-01T14:30"' in reply.text
    form["region_codes"] = COUNTY
    reply = client.post("/events", data=form, follow_redirects=False)
    assert reply.status_code == 303
    page = client.get(reply.headers["location"])
    assert page.status_code == 200 and "新城区暴雨" in page.text
    assert "2026-07-01 14:30" in page.text  # shown in CST as typed


# --- fulfilment ------------------------------------------------------------------------------


def _fulfilment_rows(page: str) -> list[str]:
    section = page.split('data-testid="fulfilment"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<tr data-testid="fulfilment-row"[^>]*>', section)


def _approve_optimal(client, location: str) -> int:
    assert client.post(f"{location}/plans", follow_redirects=False).status_code == 303
    page = client.get(location).text
    plan = int(re.search(r'data-testid="plan-optimal" data-plan="(\d+)"', page).group(1))
    reply = client.post(f"/plans/{plan}/approve", follow_redirects=False)
    assert reply.status_code == 303, reply.text
    return plan


def test_fulfilment_marks_the_lines_not_received_once_the_supplies_deadline_passes(
    client, sign_in, snowstorm, engine
):
    # Trigger, plan and approve a month ago: then the deadline lies ahead and nothing is late.
    earlier = clock.now() - timedelta(days=30)
    clock.set_clock(lambda: earlier)
    try:
        sign_in("duty")
        location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
        _approve_optimal(client, location)
        page = client.get(location).text
    finally:
        clock.set_clock(None)
    rows = _fulfilment_rows(page)
    assert rows and not [row for row in rows if 'data-overdue="true"' in row]
    assert 'data-testid="fulfilment-summary" data-late="0"' in page
    assert 'data-testid="fulfilment-late"' not in page
    assert "没有超时未到齐的物资" in page
    response_id = int(location.rsplit("/", 1)[1])
    with transaction(engine) as session:
        orders = dispatch.list_orders(session, response_id=response_id)
    assert orders, "approving the plan creates the response's orders"
    assert f'href="/orders/{orders[0].id}"' in page  # each order of the response is linked

    # Today the deadline has passed and nothing was received: every planned line is late.
    sign_in("duty")
    page = client.get(location).text
    with transaction(engine) as session:
        expected = {
            (f.region_code, f.item_code)
            for f in dispatch.response_fulfilment(session, response_id)
            if f.planned > 0
        }
    late = {
        tuple(re.search(r'data-region="(\w+)" data-item="(\w+)"', row).groups())
        for row in _fulfilment_rows(page)
        if 'class="expired" data-overdue="true"' in row
    }
    assert late == expected
    summary = re.search(r'data-testid="fulfilment-summary" data-late="(\d+)">([^<]*)<', page)
    assert int(summary.group(1)) == len(expected)
    assert f"{len(expected)} 行已超过物资送达时限仍未到齐" in summary.group(2)
    table = page.split('data-testid="fulfilment-table"', 1)[1].split("</table>", 1)[0]
    assert table.count('<span class="badge out_of_stock">已超时</span>') == len(expected)
    # The late lines also come first, in their own table above the folded full list.
    assert page.count('data-testid="fulfilment-late-row"') == len(expected)


# --- inbox -----------------------------------------------------------------------------------


def _unacked(page: str) -> int:
    return int(re.search(r'data-testid="inbox-unacked-count">(\d+)<', page).group(1))


def test_inbox_lists_the_managers_notice_and_acknowledging_takes_it_off_the_count(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    assert re.search(r'<li><a href="/inbox"[^>]*>通知</a>', client.get("/").text)
    home = client.get("/").text
    assert 'data-testid="inbox-count">0<' in home  # duty officers are not notified
    assert "manager" in home.split('data-testid="unacked-managers"', 1)[1].split("</p>")[0]
    client.cookies.clear()
    sign_in("manager")
    page = client.get("/inbox").text
    before = _unacked(page)
    assert before >= 1
    assert f'data-testid="inbox-count">{before}<' in client.get("/").text  # the manager's home
    note = re.search(r'data-testid="inbox-row" data-note="(\d+)" data-acked="false"', page)
    assert note, "the trigger's notice waits for the manager"
    assert f'href="{location}"' in page and "可供应的仓库" in page
    now = clock.to_cst(clock.now()).strftime("%Y-%m-%d %H:")
    assert now in page  # the notice's time in CST
    reply = client.post(f"/inbox/{note.group(1)}/ack", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/inbox?done=ack"
    page = client.get(reply.headers["location"]).text
    assert _unacked(page) == before - 1
    assert f'data-note="{note.group(1)}" data-acked="true"' in page
    assert f'action="/inbox/{note.group(1)}/ack"' not in page
    assert "已确认收到" in page
    assert f'data-testid="inbox-count">{before - 1}<' in client.get("/").text
    # The duty officer sees the manager no longer waiting.
    client.cookies.clear()
    sign_in("duty")
    assert 'data-testid="unacked-managers"' not in client.get("/").text


def test_acknowledging_someone_elses_or_an_unknown_notice_is_refused_with_a_page(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    _trigger(client, snowstorm, _recommended(engine, snowstorm))
    client.cookies.clear()
    sign_in("manager")
    note = re.search(r'data-note="(\d+)"', client.get("/inbox").text).group(1)
    client.cookies.clear()
    sign_in("county")
    assert 'data-testid="inbox-unacked-count">0<' in client.get("/inbox").text
    reply = client.post(f"/inbox/{note}/ack")
    assert reply.status_code == 403 and "无权访问" in reply.text
    reply = client.post("/inbox/999999/ack")
    assert reply.status_code == 404 and "页面不存在" in reply.text


def test_plan_shortfalls_say_in_chinese_what_would_unlock_stock(client, sign_in, snowstorm, engine):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    rid = int(location.rsplit("/", 1)[1])
    with transaction(engine) as session:
        lines = responses.demand_lines(session, rid)
        target = max(lines, key=lambda line: line.quantity)
        roads = [
            road
            for road in network.list_roads(session)
            if target.region_code in (road.from_code, road.to_code) and road.status == "open"
        ]
    # Far more of one item than its county keeps: short at level IV, not only there.
    body = [
        DemandLineIn(
            region_code=line.region_code,
            item_code=line.item_code,
            quantity=line.quantity * 1000 if line == target else line.quantity,
            priority=line.priority,
        )
        for line in lines
    ]
    with transaction(engine) as session:
        responses.replace_demand(session, SYSTEM, rid, body, "压力测试")

    reply = client.post(f"{location}/plans", data={"level": "4"}, follow_redirects=False)
    assert reply.status_code == 303, reply.text
    page = client.get(location).text
    row = re.search(
        rf'<tr data-testid="unmet-row" data-region="{target.region_code}" '
        rf'data-item="{target.item_code}"[^>]*>.*?</tr>',
        page,
        re.S,
    )
    assert row, "the short line is listed under the what-if plan"
    assert "库存不足" in row.group(0)
    assert re.search(r"提升至Ⅱ级响应可从更多仓库调运（可用 \d+）", row.group(0))

    # Every road into the region closed: no route, and reopening the nearest one would serve.
    reply = client.post(
        f"{location}/plans",
        data={"closed_roads": [str(road.id) for road in roads]},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    page = client.get(location).text
    cut = re.search(
        rf'<tr data-testid="unmet-row" data-region="{target.region_code}" '
        rf'data-item="{target.item_code}" data-reason="no_route"[^>]*>.*?</tr>',
        page,
        re.S,
    )
    assert cut, "the cut-off line is listed under the newest what-if"
    assert "无可通行道路" in cut.group(0)
    assert re.search(r"重新开放 [^<]+—[^<]+ 道路可送达", cut.group(0))


# --- what-if plans ---------------------------------------------------------------------------


def _open_road(page: str) -> str:
    select = page.split('id="wi-roads"', 1)[1].split("</select>", 1)[0]
    return re.search(r'<option value="(\d+)"', select).group(1)


def test_a_what_if_plan_is_labelled_compared_and_cannot_be_approved(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    level = _recommended(engine, snowstorm)
    location = _trigger(client, snowstorm, level)
    real = _approve_optimal(client, location)
    road = _open_road(client.get(location).text)
    hypothetical = 4 if level != 4 else 3
    reply = client.post(
        f"{location}/plans",
        data={"level": str(hypothetical), "closed_roads": [road]},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == f"{location}#whatif"
    page = client.get(location).text
    card = re.search(r'data-testid="whatif-plan" data-plan="(\d+)".*?</div>', page, re.S)
    assert card, "the what-if plan is shown"
    whatif, text = card.group(1), card.group(0)
    assert "假设方案" in text and f"与正式方案 #{real} 比较" in text
    assert {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}[hypothetical] + "级响应" in text
    assert "视为中断的道路: " in text and "无</p>" not in text
    assert re.search(r'data-diff="allocated">[+-]?\d+<', text)
    assert f'action="/plans/{whatif}/approve"' not in page
    # The service refuses approval anyway; the page says why, in Chinese.
    reply = client.post(f"/plans/{whatif}/approve")
    assert reply.status_code == 409
    assert "这是假设方案，仅供比较，不能批准" in reply.text


def test_what_if_bad_input_is_marked_next_to_the_field_and_keeps_the_choice(
    client, sign_in, snowstorm, engine
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    road = _open_road(client.get(location).text)
    reply = client.post(f"{location}/plans", data={"closed_roads": [road, "999999"]})
    assert reply.status_code == 422
    assert _field_error(reply.text, "wi-roads") == "所选道路不存在，请重新选择"
    assert re.search(rf'<option value="{road}" selected>', reply.text)
    reply = client.post(f"{location}/plans", data={"level": "7", "closed_roads": [road]})
    assert reply.status_code == 422
    assert _field_error(reply.text, "wi-level") == "请选择 Ⅰ 至 Ⅳ 级"
    reply = client.post(f"{location}/plans", data={"level": "abc"})
    assert reply.status_code == 422
    assert _field_error(reply.text, "wi-level") == "请选择 Ⅰ 至 Ⅳ 级"
    assert 'data-testid="whatif-plan"' not in client.get(location).text  # nothing was made


# --- demand versions -------------------------------------------------------------------------


def test_demand_versions_show_who_when_and_the_changed_quantity(client, sign_in, snowstorm, engine):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    response_id = int(location.rsplit("/", 1)[1])
    assert f'href="{location}/demand/versions"' in client.get(location).text
    page = client.get(f"{location}/demand/versions")
    assert page.status_code == 200 and 'data-testid="no-versions"' in page.text
    with transaction(engine) as session:
        lines = responses.demand_lines(session, response_id)
    first = lines[0]
    form = {
        "region_code": [d.region_code for d in lines],
        "item_code": [d.item_code for d in lines],
        "quantity": [str(d.quantity + (25 if d is first else 0)) for d in lines],
        "priority": [str(d.priority) for d in lines],
        "note": "x" * 2001,
    }
    refused = client.post(f"{location}/demand", data=form, follow_redirects=False)
    assert refused.status_code == 422  # the note is too long: said at the field, kept
    assert "x" * 2001 in refused.text and 'id="dm-note"' in refused.text
    form["note"] = "乡里来电：还差 25"
    reply = client.post(f"{location}/demand", data=form, follow_redirects=False)
    assert reply.status_code == 303
    page = client.get(f"{location}/demand/versions").text
    assert '<p data-testid="version-note">修改理由: 乡里来电：还差 25</p>' in page
    assert re.findall(r'data-testid="demand-version" data-version="(\d+)"', page) == ["2", "1"]
    assert "第 2 版 · 人工修改" in page and "第 1 版 · 按灾情报告估算" in page
    assert "操作人: duty" in page
    assert clock.to_cst(clock.now()).strftime("%Y-%m-%d %H:") in page
    changes = page.split('data-testid="version-changes"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<tr data-region="(\w+)" data-item="(\w+)">.*?data-before>(\d+)<.*?data-after>(\d+)<'
        r".*?data-delta>([+-]?\d+)<",
        changes,
        re.S,
    )
    assert rows == [
        (first.region_code, first.item_code, str(first.quantity), str(first.quantity + 25), "+25")
    ]
    assert "修改了 1 行" in page


def test_the_new_pages_have_all_their_words_in_english(client, sign_in, snowstorm, engine):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    client.cookies.set("relief_lang", "en")
    for path in (location, f"{location}/demand/versions", "/inbox", "/"):
        page = client.get(path).text
        assert not re.findall(r">\s*(?:duty|inbox|nav)\.[a-z_.]+", page), path
    assert "Fulfilment" in client.get(location).text
    assert "My notifications" in client.get("/inbox").text
