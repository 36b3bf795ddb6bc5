"""Issue 13's pictures through TestClient: every word of the charts, the stock history and
the maps' zoom buttons and legend is Chinese in Chinese mode (no English sentence, no
snake_case code in what the user reads) and English after the switch."""

from __future__ import annotations

import re

import pytest

from relief.db import transaction
from relief.emergency import service as emergency
from tests.web.conftest import MANAGED_WAREHOUSE


@pytest.fixture
def response_page(client, sign_in, engine, hohhot) -> str:
    """The snowstorm's response page with the optimal plan approved."""
    with transaction(engine) as session:
        event = emergency.event_by_key(session, "snowstorm")
        level = emergency.assess_event(session, event.id).recommended_level
    sign_in("duty")
    reply = client.post(
        f"/events/{event.id}/responses",
        data={"level": str(level), "note": "按建议启动", "override_reason": ""},
        follow_redirects=False,
    )
    location = reply.headers["location"]
    assert client.post(f"{location}/plans", follow_redirects=False).status_code == 303
    page = client.get(location).text
    plan = re.search(r'data-testid="plan-optimal" data-plan="(\d+)"', page).group(1)
    assert client.post(f"/plans/{plan}/approve", follow_redirects=False).status_code == 303
    return location


# A word key shown as it is: the text of an element or the value of an attribute.
UNTRANSLATED = r'(?:>\s*|")(?:chart|map|wh)\.[a-z_]+(?:\s*<|")'


def _section(page: str, testid: str, end: str = "</section>") -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


def _timeline(page: str) -> str:
    return _section(page, "deadline-timeline", "</figure>")


def _visible_text(html: str) -> str:
    """What a reader sees or hears: text between tags plus the accessible names."""
    labels = " ".join(re.findall(r'aria-label="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + " " + labels


def test_the_pictures_speak_chinese_with_no_english_words_or_codes(client, response_page):
    page = client.get(response_page).text
    pictures = _section(page, "pictures")
    assert "一图看懂" in pictures and "各区划需求满足率" in pictures
    assert "放大" in pictures and "复位" in pictures and "调拨路线" in pictures
    text = _visible_text(pictures) + _visible_text(_timeline(page))
    assert not re.findall(r"[A-Za-z]{3,}", text)  # "km" and "WH-…" codes aside
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.findall(UNTRANSLATED, page)  # no untranslated key


def test_the_pictures_are_in_english_after_the_switch(client, response_page):
    client.cookies.set("relief_lang", "en")
    page = client.get(response_page).text
    pictures = _section(page, "pictures")
    for words in ("At a glance", "Fill rate per region", "Zoom in", "Reset", "Dispatch route"):
        assert words in pictures
    assert "Supplies due" in _timeline(page)
    assert not re.findall(UNTRANSLATED, page)
    assert not re.findall(r"[\u4e00-\u9fff]", _visible_text(_timeline(page)))


def test_the_warehouse_history_and_the_map_have_their_words_in_both_languages(client, sign_in):
    sign_in("manager")
    page = client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text
    history = _section(page, "stock-history")
    assert "近 30 天库存变化" in history and "每日结存" in history
    assert "放大" in client.get("/map").text
    client.cookies.set("relief_lang", "en")
    history = _section(client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text, "stock-history")
    assert "Stock over the last 30 days" in history
    page = client.get("/map").text
    assert "Zoom in" in page and "Township" in page
    assert not re.findall(UNTRANSLATED, page + history)
