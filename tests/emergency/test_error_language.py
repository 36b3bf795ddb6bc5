"""The API's error messages in the `Accept-Language` language (issue 13): the same failing
request asked in Chinese and in English gives the same code and field and the message in
each language; Chinese holds no English word; without the header the message is English
(API.md: "Messages are in Chinese when the request's Accept-Language prefers zh")."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.test_error_messages import english_words

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def _both(send) -> tuple[dict, dict]:
    zh, en = send(ZH), send(EN)
    assert zh.status_code == en.status_code
    zh_detail, en_detail = zh.json()["detail"], en.json()["detail"]
    assert zh_detail["code"] == en_detail["code"]
    assert zh_detail["field"] == en_detail["field"]
    assert zh_detail["message"] != en_detail["message"]
    # An API field path is a name, quoted: 字段「relocated」：应为整数
    assert english_words(re.sub("「[^」]*」", "", zh_detail["message"])) == [], zh_detail

    return zh_detail, en_detail


def _report(api, event_id: int, user: str = "duty", **kwargs):
    body = api.report_body(**kwargs)
    return lambda lang: api.client.post(
        f"/api/v1/events/{event_id}/reports", json=body, headers={**api.users[user], **lang}
    )


def test_an_unknown_region_in_a_report(api, event):
    zh, en = _both(_report(api, event["id"], region="159999999", relocated=1))
    assert zh["code"] == "unknown_code" and zh["field"] == "region_code"
    assert en["message"] == "unknown region 159999999"
    assert zh["message"] == "地区 159999999 不存在"


def test_reported_at_in_the_future(api, event):
    send = _report(api, event["id"], region="150125101", at=api.now + timedelta(hours=1))
    zh, en = _both(send)
    assert zh["code"] == "validation_error" and zh["field"] == "reported_at"
    # Issue 13 review #26: Beijing time to the minute, no ISO stamp, no field name.
    assert (
        en["message"]
        == "the report time is in the future (now it is 2026-07-01 12:00, Beijing time)"
    )
    assert zh["message"] == "报告时间晚于当前时间（现在是北京时间 2026-07-01 12:00）"
    assert zh["now"].startswith("2026-07-01T12:00")


def test_a_region_outside_the_scope(api, event):
    tkt = api.create_event(["150122"]).json()
    zh, en = _both(_report(api, tkt["id"], user="wc_staff", region="150122100", relocated=3))
    assert zh["code"] == "scope_forbidden"
    assert en["message"] == "region 150122100 is not in your scope"
    assert zh["message"] == "地区 双河镇 超出您的管辖范围"  # by name (issue 13 review #56)


def test_an_unknown_event(api):
    zh, en = _both(
        lambda lang: api.client.get("/api/v1/events/999", headers={**api.users["duty"], **lang})
    )
    assert zh["code"] == "not_found"
    assert en["message"] == "event 999 does not exist"
    assert zh["message"] == "灾害事件 999 不存在"


def test_request_validation_errors_are_said_in_the_language_too(api, event):
    body = api.report_body("150125101", relocated=1)
    body["relocated"] = "many"
    zh, en = _both(
        lambda lang: api.client.post(
            f"/api/v1/events/{event['id']}/reports",
            json=body,
            headers={**api.users["duty"], **lang},
        )
    )
    assert zh["code"] == "validation_error" and zh["field"] == "relocated"
    assert zh["errors"][0]["field"] == en["errors"][0]["field"] == "relocated"
    assert zh["errors"][0]["message"] == "应为整数"
    assert zh["message"] == "字段「relocated」：应为整数"
    assert en["message"].startswith("relocated: Input should be a valid integer")


def test_without_the_header_or_with_another_language_the_message_is_english(api, event):
    body = api.report_body("159999999", relocated=1)
    url = f"/api/v1/events/{event['id']}/reports"
    plain = api.client.post(url, json=body, headers=api.users["duty"])
    french = api.client.post(url, json=body, headers={**api.users["duty"], "Accept-Language": "fr"})
    preferring_en = api.client.post(
        url, json=body, headers={**api.users["duty"], "Accept-Language": "zh;q=0.5, en"}
    )
    for reply in (plain, french, preferring_en):
        assert reply.json()["detail"]["message"] == "unknown region 159999999"


def test_a_region_outside_the_event_is_named_by_place_names_in_chinese(api, event):
    """Issue 13 review #27: 双河镇 and the event's places, not 150122100 and codes."""
    zh, en = _both(_report(api, event["id"], region="150122100", relocated=1))
    assert zh["field"] == "region_code"
    assert "双河镇" in zh["message"] and "150122100" not in zh["message"], zh["message"]
    assert not re.search(r"\d{6}", zh["message"]), zh["message"]
    assert "150122100" in en["message"]
