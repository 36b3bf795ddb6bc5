"""Stock refusals in the `Accept-Language` language (issue 13): the item is named by its
Chinese name in Chinese, by its code in English."""

from __future__ import annotations

from tests.test_error_messages import english_words

API = "/api/v1"
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def test_stock_insufficient_in_chinese_and_english(client, users, put_stock):
    put_stock("W1", "tent", 10)
    body = {"item_code": "tent", "delta": -11, "reason": "count"}
    url = f"{API}/warehouses/W1/adjustments"
    zh = client.post(url, json=body, headers={**users["mgr1"], **ZH})
    en = client.post(url, json=body, headers={**users["mgr1"], **EN})
    assert zh.status_code == en.status_code == 409
    zh_detail, en_detail = zh.json()["detail"], en.json()["detail"]
    assert zh_detail["code"] == en_detail["code"] == "stock_insufficient"
    assert zh_detail["field"] == en_detail["field"] == "delta"
    assert en_detail["message"] == "10 tent on hand: cannot remove 11"
    assert zh_detail["message"] == "帐篷 在库只有 10，不能减少 11"
    assert english_words(zh_detail["message"]) == []


def test_an_unknown_warehouse_in_chinese(client, users):
    zh = client.get(f"{API}/warehouses/NOPE/stock", headers={**users["duty"], **ZH})
    en = client.get(f"{API}/warehouses/NOPE/stock", headers={**users["duty"], **EN})
    assert zh.status_code == en.status_code == 404
    assert zh.json()["detail"]["code"] == en.json()["detail"]["code"] == "not_found"
    assert zh.json()["detail"]["message"] == "仓库 NOPE 不存在"
    assert en.json()["detail"]["message"] == "warehouse NOPE does not exist"
