"""Issue 13, everything in the user's language, page by page (no browser): notifications and
the timeline's notes said from the catalogue in the reader's language, units in English,
error pages without codes."""

from __future__ import annotations

import re

import pytest

from relief.auth.models import SYSTEM
from relief.db import transaction
from tests.web.conftest import OTHER_WAREHOUSE
from tests.web.test_pages import _snowstorm

pytestmark = pytest.mark.db

CJK = re.compile(r"[\u3400-\u9fff]")


def _text(html: str) -> str:
    """The visible text of a page: no tags, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _english(client) -> None:
    client.cookies.set("relief_lang", "en")


def test_a_notification_is_said_in_the_readers_language(client, engine, sign_in):
    event, _ = _snowstorm(engine)
    sign_in("manager")
    chinese = _text(client.get("/inbox").text)
    assert f"{event.name}：启动Ⅳ级应急响应；可供应的仓库：" in chinese
    assert "WH-150102-C" in chinese
    assert "eligible" not in chinese and "triggered" not in chinese
    _english(client)
    english = _text(client.get("/inbox").text)
    assert "level Ⅳ response triggered; your eligible warehouses:" in english
    assert "启动" not in english and "可供应" not in english


def test_the_api_says_a_notification_in_the_accept_language(client, engine, sign_in):
    _snowstorm(engine)
    sign_in("manager")
    chinese = client.get("/api/v1/inbox", headers={"Accept-Language": "zh-CN"}).json()
    english = client.get("/api/v1/inbox", headers={"Accept-Language": "en"}).json()
    assert "启动Ⅳ级应急响应" in chinese[0]["message"] and "eligible" not in chinese[0]["message"]
    assert "level Ⅳ response triggered" in english[0]["message"]
    assert not CJK.search(english[0]["message"].split(":")[1])  # the event's name aside


def test_a_notification_stored_before_the_catalogue_is_read_from_its_kind_and_level(
    client, engine, sign_in
):
    from sqlmodel import select

    from relief.emergency.models import InboxRow

    _snowstorm(engine)
    with transaction(engine) as session:
        row = session.exec(select(InboxRow).where(InboxRow.username == "manager")).one()
        row.message = "暴雪：启动Ⅳ级应急响应（response triggered level 4）；可供应的仓库 eligible"
        session.add(row)
    sign_in("manager")
    page = _text(client.get("/inbox").text)
    assert "response triggered level 4" not in page and "启动Ⅳ级应急响应" in page


def test_the_timeline_notes_are_in_chinese_and_in_english(client, engine, sign_in):
    _, response = _snowstorm(engine)
    sign_in("duty")
    chinese = _text(client.get(f"/responses/{response.id}").text)
    # The snowstorm's level Ⅳ supplies are due 12 h after the trigger (policy.yaml).
    assert "Ⅳ级：启动响应后 12 小时内完成" in chinese
    assert "（高于建议级别的理由：drill: level IV）" in chinese
    assert "after the trigger" not in chinese and "override:" not in chinese
    assert not re.search(r"level (IV|Ⅳ)\b", chinese.replace("drill: level IV", ""))
    _english(client)
    english = _text(client.get(f"/responses/{response.id}").text)
    assert "level Ⅳ: due 12 h after the trigger" in english
    assert "(override: drill: level IV)" in english
    # The API's notes stay as they were (English).
    entries = client.get(f"/api/v1/responses/{response.id}/timeline").json()
    assert any(e["note"] == "level Ⅳ: due 12 h after the trigger" for e in entries)


def test_a_done_deadline_says_so_in_chinese(client, engine, sign_in):
    from relief.emergency import responses

    _, response = _snowstorm(engine)
    with transaction(engine) as session:
        responses.mark_deadline_done(session, SYSTEM, response.id, "supplies_arrive", "已送达")
    sign_in("duty")
    page = _text(client.get(f"/responses/{response.id}").text)
    assert "Ⅳ级：已完成——已送达" in page and ": done" not in page


def test_units_are_english_in_english_mode(client, engine, sign_in):
    _, response = _snowstorm(engine)
    sign_in("duty")
    _english(client)
    page = _text(client.get(f"/responses/{response.id}").text)
    assert " pcs" in page
    # A quantity is followed by its unit: never a Chinese one in English mode.
    assert re.findall(r"\d (顶|件|条|张|床|台|套|个)(?![\u3400-\u9fff])", page) == []
    client.cookies.set("relief_lang", "zh")
    assert "顶" in _text(client.get(f"/responses/{response.id}").text)


@pytest.mark.parametrize(
    ("username", "path", "code"),
    [
        ("duty", "/no-such-page", "not_found"),
        ("duty", "/orders/999999", "not_found"),
        ("manager", f"/warehouses/{OTHER_WAREHOUSE}/transfer", "scope_forbidden"),
        ("manager", "/users", "role_forbidden"),
    ],
)
def test_error_pages_show_words_never_codes(client, sign_in, username, path, code):
    sign_in(username)
    reply = client.get(path)
    assert reply.status_code in (403, 404)
    assert f'data-code="{code}"' in reply.text  # kept for tests and support, not shown
    chinese = _text(reply.text)
    assert code not in chinese and "_" not in chinese.replace("data-", "")
    assert not re.search(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}", chinese)
    assert ("无权访问" if reply.status_code == 403 else "页面不存在") in chinese
    _english(client)
    english = _text(client.get(path).text)
    assert code not in english and not CJK.search(english.replace("中文", ""))


def test_the_ledger_says_a_scenario_load_in_the_readers_language(client, sign_in):
    from tests.web.conftest import MANAGED_WAREHOUSE

    sign_in("manager")
    chinese = _text(client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text)
    assert "初始库存（情景导入）" in chinese and "scenario load" not in chinese
    _english(client)
    english = _text(client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text)
    assert "Initial stock (scenario load)" in english
