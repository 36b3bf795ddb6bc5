"""The web UI's pages through TestClient (no browser): these run everywhere."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.web.i18n import ZH
from tests.web.conftest import COUNTY, MANAGED_WAREHOUSE, OTHER_WAREHOUSE, SCENARIO

TEMPLATES = Path(__file__).resolve().parents[2] / "relief" / "web" / "templates"


def _rows(name: str) -> list[dict[str, str]]:
    with (SCENARIO / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


WAREHOUSES = {row["code"]: row for row in _rows("warehouses.csv")}


# --- sign-in ---------------------------------------------------------------------------------


def test_signed_out_root_serves_the_login_form_in_chinese(client):
    reply = client.get("/")
    assert reply.status_code == 200
    assert '<html lang="zh-CN">' in reply.text
    assert 'name="username"' in reply.text and 'name="password"' in reply.text
    assert re.search(r'<a [^>]*data-testid="lang-switch"[^>]*>English</a>', reply.text)


def test_wrong_password_shows_the_form_again_with_a_chinese_error_and_the_username(
    client, web_users
):
    reply = client.post("/login", data={"username": "duty", "password": "not-the-password"})
    assert reply.status_code == 401
    assert 'value="duty"' in reply.text
    # The message sits with the password field and is announced (role=alert).
    assert re.search(
        r'id="password".*?<p class="error" id="password-error" role="alert">用户名或密码错误</p>',
        reply.text,
        re.S,
    )
    assert "relief_token" not in reply.headers.get("set-cookie", "")


def test_sign_in_sets_an_httponly_strict_cookie_and_sign_out_clears_it(client, web_users):
    from tests.conftest import PASSWORD

    reply = client.post(
        "/login", data={"username": "duty", "password": PASSWORD}, follow_redirects=False
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    cookie = reply.headers["set-cookie"].lower()
    assert cookie.startswith("relief_token=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie

    assert 'data-home="duty"' in client.get("/").text
    # The API accepts the same cookie (one actor for pages and API calls).
    assert client.get("/api/v1/me").json()["username"] == "duty"

    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303
    assert 'name="password"' in client.get("/").text


def test_sign_in_and_sign_out_posted_from_another_site_are_refused(client, web_users):
    from tests.conftest import PASSWORD

    evil = {"Origin": "https://evil.example"}
    reply = client.post(
        "/login",
        data={"username": "duty", "password": PASSWORD},
        headers=evil,
        follow_redirects=False,
    )
    assert reply.status_code == 403
    assert "set-cookie" not in reply.headers

    sandboxed = client.post(
        "/login",
        data={"username": "duty", "password": PASSWORD},
        headers={"Origin": "null"},  # a sandboxed frame or a data: page
        follow_redirects=False,
    )
    assert sandboxed.status_code == 403 and "set-cookie" not in sandboxed.headers

    client.post("/login", data={"username": "duty", "password": PASSWORD})
    assert client.post("/logout", headers=evil, follow_redirects=False).status_code == 403
    assert 'data-home="duty"' in client.get("/").text  # still signed in


def test_a_bad_cookie_counts_as_signed_out(client, web_users):
    client.cookies.set("relief_token", "not-a-token")
    assert 'name="password"' in client.get("/").text
    reply = client.get("/map", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/?next=/map"


# --- language --------------------------------------------------------------------------------


def test_language_switch_flips_html_lang_and_its_own_text(client, sign_in):
    sign_in("duty")
    zh = client.get("/map")
    assert '<html lang="zh-CN">' in zh.text and ">English</a>" in zh.text
    switch = re.search(r'href="([^"]+)" data-testid="lang-switch"', zh.text)
    assert switch is not None
    reply = client.get(switch.group(1).replace("&amp;", "&"), follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/map"

    en = client.get("/map")
    assert '<html lang="en">' in en.text
    assert re.search(r'data-testid="lang-switch">中文</a>', en.text)
    assert "Stockpile network map" in en.text

    client.get("/lang?to=zh&next=/map")
    assert '<html lang="zh-CN">' in client.get("/map").text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_language_switch_redirects_only_within_the_site(client, target):
    reply = client.get("/lang", params={"to": "en", "next": target}, follow_redirects=False)
    assert reply.headers["location"] == "/"


# --- home pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin", "duty"])
def test_duty_home_summarises_the_network_by_tier_and_stock(client, sign_in, username):
    sign_in(username)
    page = client.get("/").text
    assert 'data-home="duty"' in page
    tiers = {
        tier: sum(w["tier"] == tier for w in WAREHOUSES.values())
        for tier in ("provincial", "prefecture", "county")
    }
    for tier, count in tiers.items():
        assert f'data-tier="{tier}">{count}<' in page
    items = {row["item_code"] for row in _rows("stock.csv")}
    totals = re.search(r'data-testid="stock-totals">(.*?)</table>', page, re.S)
    assert totals is not None
    assert totals.group(1).count("<tr>") == len(items) + 1  # + the header row
    tent = sum(int(r["on_hand"]) for r in _rows("stock.csv") if r["item_code"] == "tent")
    assert re.search(rf"帐篷（12 m² 单帐篷）</td><td>顶</td>\s*<td class=\"num\">{tent}<", page)


def test_duty_home_lists_active_responses_with_their_level_and_deadline(client, engine, sign_in):
    clock.set_clock(lambda: datetime(2026, 1, 19, 4, 0, tzinfo=UTC))  # 12:00 CST
    _, response = _snowstorm(engine)
    sign_in("duty")
    page = client.get("/").text
    row = re.search(rf'<tr data-response="{response.id}">(.*?)</tr>', page, re.S)
    assert row is not None
    assert "Ⅳ级响应" in row.group(1) and "暴雪" in row.group(1) and "雪灾" in row.group(1)
    assert '<time datetime="2026-01-19T12:00:00+08:00">2026-01-19 12:00</time>' in row.group(1)
    # Level IV supplies are due 12 h after the trigger (scenarios/hohhot/policy.yaml).
    assert '<time datetime="2026-01-20T00:00:00+08:00">2026-01-20 00:00</time>' in row.group(1)
    assert "已超时" not in row.group(1)
    clock.set_clock(lambda: datetime(2026, 1, 19, 16, 1, tzinfo=UTC))
    sign_in("duty")  # the first sign-in's 12 h token has just expired too
    assert "已超时" in client.get("/").text
    # County staff of 新城区 see it too: the event names 150102101, a township of theirs.
    sign_in("county")
    assert f'<tr data-response="{response.id}">' in client.get("/").text


def test_manager_home_shows_their_warehouse_and_only_their_alerts(client, engine, sign_in):
    from relief.stock import service as stock
    from relief.stock.models import ReceiptLineIn

    soon = (clock.now().astimezone(clock.CST) + timedelta(days=10)).date()
    with transaction(engine) as session:
        for code in (MANAGED_WAREHOUSE, OTHER_WAREHOUSE):
            line = ReceiptLineIn(item_code="tent", quantity=5, lot="L-SOON", expires_on=soon)
            stock.receive_stock(session, SYSTEM, code, f"R-{code}", [line])
    sign_in("manager")
    page = client.get("/").text
    assert 'data-home="manager"' in page
    assert WAREHOUSES[MANAGED_WAREHOUSE]["name"] in page
    assert WAREHOUSES[OTHER_WAREHOUSE]["name"] not in page
    assert '<span class="count" data-testid="expiring-count">1</span>' in page
    assert f'<time datetime="{soon.isoformat()}">{soon.isoformat()}</time>' in page


def test_county_home_lists_their_regions_and_the_warehouses_in_them(client, sign_in):
    sign_in("county")
    page = client.get("/").text
    assert 'data-home="regions"' in page
    assert "新城区" in page and f"/map?region={COUNTY}" in page
    in_scope = re.search(r'data-testid="scope-warehouses">(.*?)</table>', page, re.S)
    assert in_scope is not None
    assert f"/warehouses/{MANAGED_WAREHOUSE}" in in_scope.group(1)
    assert f"/warehouses/{OTHER_WAREHOUSE}" not in in_scope.group(1)


# --- warehouse page, times in CST ------------------------------------------------------------


def test_warehouse_page_shows_ledger_times_in_china_standard_time(client, engine, sign_in):
    from relief.stock import service as stock
    from relief.stock.models import ReceiptLineIn

    clock.set_clock(lambda: datetime(2026, 7, 1, 16, 30, tzinfo=UTC))
    with transaction(engine) as session:
        line = ReceiptLineIn(item_code="tent", quantity=3)
        stock.receive_stock(session, SYSTEM, MANAGED_WAREHOUSE, "RK-0001", [line])
    sign_in("county")  # every user may read any warehouse
    page = client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text
    assert '<time datetime="2026-07-02T00:30:00+08:00">2026-07-02 00:30</time>' in page
    assert "RK-0001" in page and "入库" in page


# --- errors -----------------------------------------------------------------------------------


def test_a_page_outside_the_role_is_a_rendered_403_in_the_users_language(client, sign_in):
    sign_in("duty")
    reply = client.get("/users")
    assert reply.status_code == 403
    assert reply.headers["content-type"].startswith("text/html")
    assert "无权访问" in reply.text and 'data-code="role_forbidden"' in reply.text
    client.get("/lang?to=en")
    assert "Not allowed" in client.get("/users").text


def test_admin_sees_the_users_page(client, sign_in):
    sign_in("admin")
    page = client.get("/users").text
    assert all(f"<td>{name}</td>" in page for name in ("admin", "duty", "manager", "county"))
    # Issue 13 review #4: names and phones; scopes by place and warehouse name, not code.
    assert '<th scope="col">姓名</th>' in page and '<th scope="col">电话</th>' in page
    manager = page.split('data-user="manager"')[1].split("</tr>")[0]
    assert "新城区救灾物资片区库" in manager and "WH-150102-C" not in manager
    county = page.split('data-user="county"')[1].split("</tr>")[0]
    assert "新城区" in county and "150102" not in county


def test_unknown_pages_and_records_are_a_rendered_404_but_the_api_keeps_json(client, sign_in):
    sign_in("duty")
    for path in ("/no-such-page", "/warehouses/NOPE", "/map?warehouse=NOPE"):
        reply = client.get(path)
        assert reply.status_code == 404, path
        assert "页面不存在" in reply.text, path
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["detail"]["code"] == "not_found"


# --- map ---------------------------------------------------------------------------------------


def test_map_draws_every_warehouse_by_tier_every_region_and_closed_roads(client, engine, sign_in):
    from relief.network import service as network

    with transaction(engine) as session:
        road = network.list_roads(session)[0]
        network.set_road_status(session, SYSTEM, road.id, "closed", "washed out")
    sign_in("duty")
    page = client.get("/map").text
    svg = re.search(r'<svg id="network-map".*?</svg>', page, re.S)
    assert svg is not None
    drawn = svg.group(0)
    for tier in ("provincial", "prefecture", "county"):
        count = sum(w["tier"] == tier for w in WAREHOUSES.values())
        assert drawn.count(f'class="warehouse tier-{tier}') == count, tier
    assert drawn.count('class="region level-') == len(_rows("regions.csv"))
    assert drawn.count('<line class="road') == len(_rows("roads.csv"))
    assert drawn.count('<line class="road closed"') == 1


def _snowstorm(engine, respond: bool = True):
    """The Hohhot snowstorm loaded with its policy and, with `respond`, a level IV response
    triggered (the event, the response or None)."""
    from relief.emergency import responses
    from relief.emergency import service as emergency
    from relief.emergency.models import ResponseIn
    from relief.emergency.policy import load_policy
    from relief.scenario.validate import check_scenario

    scenario, problems = check_scenario(SCENARIO)
    assert problems == [] and scenario.policy is not None
    with transaction(engine) as session:
        load_policy(session, SYSTEM, scenario.policy, scenario.code)
        event, _ = emergency.load_event(
            session, SYSTEM, scenario.events["snowstorm"], "snowstorm", scenario.code
        )
        if not respond:
            return event, None
        body = ResponseIn(level=4, note="web test", override_reason="drill: level IV")
        return event, responses.trigger_response(session, SYSTEM, event.id, body)


def test_maps_draw_the_roads_an_active_response_closed(client, engine, sign_in):
    from relief.emergency import responses
    from relief.emergency.models import ResponseIn

    def closed_lines(page: str) -> int:
        svg = re.search(r'<svg id="(network|response)-map".*?</svg>', page, re.S)
        assert svg is not None
        return svg.group(0).count('<line class="road closed"')

    sign_in("duty")
    event, _ = _snowstorm(engine, respond=False)
    assert closed_lines(client.get("/map").text) == 0  # no response yet: nothing closed now
    with transaction(engine) as session:
        body = ResponseIn(level=4, note="web test", override_reason="drill: level IV")
        response = responses.trigger_response(session, SYSTEM, event.id, body)
    # The snowstorm's two pass closures (scenarios/hohhot/events/snowstorm.yaml).
    assert closed_lines(client.get("/map").text) == 2
    assert closed_lines(client.get(f"/responses/{response.id}").text) == 2


def test_the_map_panel_of_a_region_shows_its_needs_in_each_active_response(client, engine, sign_in):
    from relief.dispatch import service as dispatch

    sign_in("duty")
    assert 'data-testid="panel-needs"' not in client.get("/map/panel?region=150125200").text
    _, response = _snowstorm(engine)
    with transaction(engine) as session:
        expected = {
            line.item_code: line
            for line in dispatch.response_fulfilment(session, response.id)
            if line.region_code == "150125200"
        }
    assert expected  # 大青山乡 is in the snowstorm's demand
    panel = client.get("/map/panel?region=150125200").text
    assert f'data-testid="panel-needs" data-response="{response.id}"' in panel
    assert "Ⅳ级响应" in panel
    water = re.search(r'<tr data-item="water"[^>]*>(.*?)</tr>', panel, re.S)
    assert water is not None
    numbers = re.findall(r'class="num">(\d+)', water.group(1))
    assert numbers == [str(expected["water"].demand), "0", "0"]  # nothing planned yet


def test_names_are_escaped_in_pages(client, engine, sign_in):
    from relief.network import service as network
    from relief.network.records import Warehouse

    with transaction(engine) as session:
        name = '<script>alert("x")</script>库'
        network.create_warehouse(
            session, SYSTEM, Warehouse("WH-ESC", name, "county", COUNTY, 40.85, 111.66)
        )
    sign_in("duty")
    for path in ("/map", "/map?warehouse=WH-ESC", "/warehouses/WH-ESC"):
        page = client.get(path).text
        assert "<script>alert" not in page, path
        assert "&lt;script&gt;alert" in page, path


def test_map_panel_shows_a_selected_warehouse_stock_and_a_region(client, sign_in):
    sign_in("manager")
    page = client.get(f"/map?warehouse={MANAGED_WAREHOUSE}").text
    assert f'data-testid="panel-warehouse" data-code="{MANAGED_WAREHOUSE}"' in page
    assert f'class="warehouse tier-county selected" data-code="{MANAGED_WAREHOUSE}"' in page
    fragment = client.get(f"/map/panel?region={COUNTY}").text
    assert "<html" not in fragment
    assert f'data-testid="panel-region" data-code="{COUNTY}"' in fragment
    assert WAREHOUSES[MANAGED_WAREHOUSE]["name"] in fragment


# --- offline: nothing from another host ---------------------------------------------------------


def test_pages_load_nothing_from_another_host(client, sign_in):
    replies = {"login": client.get("/")}
    for username in ("admin", "duty", "manager", "county"):
        sign_in(username)
        for path in ("/", "/map", f"/warehouses/{MANAGED_WAREHOUSE}", "/users"):
            replies[f"{username} {path}"] = client.get(path)
        client.post("/logout")
    for name, reply in replies.items():
        # The browser is told to refuse other hosts as well.
        assert "default-src 'self'" in reply.headers["content-security-policy"], name
    for name, html in ((name, reply.text) for name, reply in replies.items()):
        for attr in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert attr.startswith(("/", "#")), (name, attr)
        assert "@import" not in html and "url(http" not in html, name


def test_static_files_are_served_locally_and_only_from_the_static_folder(client):
    css = client.get("/static/web/relief.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text.replace("https://", "http").split("*/", 1)[-1]
    assert client.get("/static/web/..%2Froutes.py").status_code == 404
    assert client.get("/static/web/.hidden").status_code == 404


# --- words -------------------------------------------------------------------------------------


HAZARDS = ("flood", "earthquake", "snowstorm", "drought", "hail", "landslide", "typhoon", "other")


def test_every_role_tier_level_and_movement_kind_has_words():
    from relief.auth.models import ROLES
    from relief.network.records import REGION_LEVELS, TIERS

    kinds = (
        "receipt",
        "adjustment",
        "reservation",
        "release",
        "dispatch",
        "transfer_out",
        "transfer_in",
    )
    keys = (
        [f"role.{r}" for r in ROLES]
        + [f"tier.{t}" for t in TIERS]
        + [f"level.{lv}" for lv in REGION_LEVELS]
        + [f"movement.{k}" for k in kinds]
        + [f"hazard.{h}" for h in HAZARDS]
        + [f"stock.{s}" for s in ("out_of_stock", "below_floor", "near_floor")]
        + [f"error.{e}.title" for e in ("403", "404", "other")]
    )
    assert [k for k in keys if k not in ZH] == []


def test_expiry_dates_are_plain_dates():
    # `iso` must not shift a date (only datetimes are converted to CST).
    from relief.web.shell import _iso

    assert _iso(date(2026, 7, 2)) == "2026-07-02"


def test_manager_home_low_stock_alert_names_reserved_units_left_without_good_stock(
    client, engine, sign_in
):
    from relief.stock import service as stock
    from relief.stock.models import ReceiptLineIn

    now = clock.now()
    tomorrow = (now.astimezone(clock.CST) + timedelta(days=1)).date()
    with transaction(engine) as session:
        line = ReceiptLineIn(item_code="tent", quantity=1000, lot="L-OLD", expires_on=tomorrow)
        stock.receive_stock(session, SYSTEM, MANAGED_WAREHOUSE, "R-OLD", [line])
        free = stock.stock_of(session, MANAGED_WAREHOUSE, ["tent"])[0].available
        stock.reserve_stock(session, SYSTEM, MANAGED_WAREHOUSE, "tent", free, "DO-1")
    clock.set_clock(lambda: now + timedelta(days=3))  # L-OLD has expired under the orders
    with transaction(engine) as session:
        shortfall = stock.stock_of(session, MANAGED_WAREHOUSE, ["tent"])[0].shortfall
    assert shortfall > 0
    sign_in("manager")
    page = client.get("/").text
    assert f'data-testid="shortfall">{ZH["stock.shortfall"].format(n=shortfall)}<' in page
