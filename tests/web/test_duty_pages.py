"""The duty officer's pages (relief/web/duty.py) through TestClient, on the Hohhot
scenario: its snowstorm event arrives with sixteen reports and no response."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from relief import clock
from relief.db import transaction
from relief.emergency import service as emergency
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
    assert "字段无效" in _field_error(reply.text, "rp-region")
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
    assert re.search(r'<tr class="expired" data-overdue="true"><th scope="row">物资送达时限', page)


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
    road = re.search(r'<select id="cl-road" name="road_id">.*?<option value="(\d+)"', page, re.S)
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
