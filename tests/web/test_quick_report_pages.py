"""The report form with the quick report's figures (issue 14): grouped as the form groups
them, the main figures shown and the others folded; the server's checks inline with a
summary at the top; a 续报 that jumps asks for an explanation. Browser: the 其中 rule is
checked before the form is sent."""

from __future__ import annotations

import re

import pytest

from relief import clock
from relief.db import transaction
from relief.emergency import service as emergency
from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures


@pytest.fixture
def snowstorm(engine, hohhot) -> int:
    with transaction(engine) as session:
        return emergency.event_by_key(session, "snowstorm").id


def _field_error(html: str, input_id: str) -> str:
    match = re.search(rf'<p class="error" id="{input_id}-error" role="alert">([^<]*)</p>', html)
    return match.group(1) if match else ""


def _form(**extra: str) -> dict[str, str]:
    at = clock.to_cst(clock.now()).strftime("%Y-%m-%dT%H:%M")
    # 150125200's latest report: relocated 70, needing_aid 160 (the shipped snowstorm).
    base = {"region_code": "150125200", "kind": "update", "reported_at": at}
    base |= {"relocated": "70", "needing_aid": "160", "collapsed_households": "1"}
    base |= {"collapsed_rooms": "3", "severe_households": "3", "severe_rooms": "8"}
    base |= {"general_households": "15", "general_rooms": "35"}
    return base | extra


def test_the_form_groups_the_figures_and_folds_all_but_the_main_ones(client, sign_in, snowstorm):
    sign_in("duty")
    html = client.get(f"/events/{snowstorm}").text

    groups = re.findall(
        r'<fieldset class="figure-group" data-group="(\w+)">\s*<legend>([^<]+)<', html
    )
    assert groups == [
        ("people", "人口"),
        ("houses", "房屋"),
        ("crops", "农作物"),
        ("losses", "经济损失"),
    ]
    for group in ("people", "houses", "crops", "losses"):
        assert f'<details data-testid="more-{group}">' in html  # folded
    more = html.split('data-testid="more-people"')[1].split("</details>")[0]
    assert 'id="rp-injured_severe"' in more and 'data-part-of="injured"' in more
    assert 'id="rp-relocated"' not in more
    assert 'for="rp-crop_lost_grain_ha">其中粮食作物绝收面积（公顷）<' in html
    assert 'id="rp-explanation"' in html


def test_a_part_above_its_total_is_refused_inline_with_a_summary_and_unfolded(
    client, sign_in, snowstorm
):
    sign_in("duty")
    reply = client.post(
        f"/events/{snowstorm}/reports", data=_form(injured="1", injured_severe="2", loss_total="x")
    )

    assert reply.status_code == 422
    assert _field_error(reply.text, "rp-loss_total") == "请输入不小于 0、最多两位小数的数"
    assert 'data-testid="report-summary"' in reply.text
    assert '<details data-testid="more-losses" open>' in reply.text
    reply = client.post(f"/events/{snowstorm}/reports", data=_form(injured="1", injured_severe="2"))
    assert reply.status_code == 422
    assert _field_error(reply.text, "rp-injured_severe") == "重伤人口（2）不能超过因灾受伤人口（1）"
    assert '<a href="#rp-injured_severe">其中重伤人口：' in reply.text
    assert 'value="2"' in reply.text


def test_an_update_that_jumps_asks_for_an_explanation_then_saves(client, sign_in, snowstorm):
    sign_in("duty")
    reply = client.post(f"/events/{snowstorm}/reports", data=_form(relocated="200"))

    assert reply.status_code == 422
    assert _field_error(reply.text, "rp-explanation") == (
        "续报中有数字比上次报告减少或增加超过 50%，须填写数字变动原因"
    )
    reply = client.post(
        f"/events/{snowstorm}/reports",
        data=_form(relocated="200", explanation="补报两个村", affected="900", crop_affected_ha=""),
        follow_redirects=False,
    )
    assert reply.status_code == 303
    page = client.get(f"/events/{snowstorm}").text
    assert re.search(r'受灾人口</th><td class="num" data-total="affected">\d+<', page)


@pytest.mark.browser
def test_the_browser_checks_a_part_against_its_total_before_sending(visit):  # noqa: F811
    visit.sign_in("duty")
    page = visit.page
    page.get_by_role("link", name="灾害事件").first.click()
    page.get_by_role("link", name=re.compile("暴雪")).click()
    assert not page.get_by_label("其中重伤人口").is_visible()  # folded

    page.get_by_label("所在区划").select_option("150125200")
    page.get_by_label("类型").select_option("initial")
    page.locator('[data-testid="more-people"] summary').click()
    page.get_by_label("因灾受伤人口").fill("1")
    page.get_by_label("其中重伤人口").fill("3")
    page.locator('[data-testid="more-people"] summary').click()  # fold it again
    url = page.url
    page.get_by_role("button", name="保存报告").click()

    # Not sent: the folded group opens and the input says why.
    assert page.url == url
    severe = page.get_by_label("其中重伤人口")
    assert severe.is_visible()
    message = severe.evaluate("e => e.validationMessage")
    assert message == "不能超过因灾受伤人口"
    severe.fill("1")
    assert severe.evaluate("e => e.validationMessage") == ""
