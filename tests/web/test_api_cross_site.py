"""A state-changing API call that the UI's cookie authenticates must come from one of our
own pages (issue 12, point 10): the browser sends the cookie along with a form or fetch
from any site, so without this check another site could approve plans, cancel orders and
import households in the signed-in user's name. Bearer-token clients are unaffected.

The three reproductions of the issue, on the Hohhot scenario, signed in through the form.
"""

from __future__ import annotations

import re

import pytest

from relief.db import transaction
from relief.emergency import service as emergency
from tests.conftest import PASSWORD
from tests.subsidies.conftest import id_number
from tests.web.conftest import MANAGED_WAREHOUSE, OTHER_WAREHOUSE

# The host TestClient sends (`Host: testserver`), so this is the server's own origin.
OWN = "http://testserver"
CROSS_SITE = {
    "another site": {"Origin": "https://evil.example"},
    "a sandboxed frame": {"Origin": "null"},
    "no origin nor referer": {},
    "a referer from another site": {"Referer": "https://evil.example/page"},
    "the same host name on another port": {"Origin": "http://testserver:8080"},
}


@pytest.fixture
def snowstorm(engine, hohhot) -> int:
    with transaction(engine) as session:
        event = emergency.event_by_key(session, "snowstorm")
        assert event is not None
        return event.id


def _draft_plan(client, engine, sign_in, event_id: int) -> int:
    """Signs in as the duty officer, triggers the recommended response and runs plans."""
    with transaction(engine) as session:
        level = emergency.assess_event(session, event_id).recommended_level
    sign_in("duty")
    reply = client.post(
        f"/events/{event_id}/responses",
        data={"level": str(level), "note": "按建议启动", "override_reason": ""},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    location = reply.headers["location"]
    assert client.post(f"{location}/plans", follow_redirects=False).status_code == 303
    page = client.get(location).text
    return int(re.search(r'data-testid="plan-optimal" data-plan="(\d+)"', page).group(1))


def _reserved_order(client, sign_in) -> int:
    """A transfer by the manager (a dispatch order in state `reserved`); then the duty
    officer signs in."""
    sign_in("manager")
    reply = client.post(
        f"/warehouses/{MANAGED_WAREHOUSE}/transfer",
        data={
            "to_warehouse_code": OTHER_WAREHOUSE,
            "item_code": ["water"],
            "quantity": ["10"],
            "reason": "补充",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    order = int(re.match(r"/orders/(\d+)", reply.headers["location"]).group(1))
    sign_in("duty")
    return order


def _import(client, event_id: int, headers: dict[str, str]):
    rows = "户主姓名,身份证号码,家庭人口,行政区划代码,房屋损坏程度,损坏间数,户类别,联系电话,一卡通账号\n"
    rows += f"张三,{id_number(1)},3,150102101,倒塌,2,低保户,,\n"
    return client.post(
        "/api/v1/households/import",
        files={"file": ("households.csv", rows.encode("utf-8"))},
        data={"event_id": str(event_id)},
        headers=headers,
    )


def _refused(reply) -> None:
    assert reply.status_code == 403, reply.text[:300]
    assert reply.json()["detail"]["code"] == "cross_site_request"


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE.keys())
def test_approving_a_plan_with_the_cookie_from_another_site_is_refused_and_reserves_nothing(
    client, engine, sign_in, snowstorm, headers
):
    plan = _draft_plan(client, engine, sign_in, snowstorm)
    _refused(client.post(f"/api/v1/plans/{plan}/approve", json={}, headers=headers))
    assert client.get(f"/api/v1/plans/{plan}").json()["state"] == "draft"


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE.keys())
def test_cancelling_an_order_with_the_cookie_from_another_site_is_refused(client, sign_in, headers):
    order = _reserved_order(client, sign_in)
    _refused(client.post(f"/api/v1/dispatch-orders/{order}/cancel", headers=headers))
    assert client.get(f"/api/v1/dispatch-orders/{order}").json()["status"] == "reserved"


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE.keys())
def test_a_multipart_import_with_the_cookie_from_another_site_is_refused_and_writes_nothing(
    client, sign_in, snowstorm, headers
):
    sign_in("county")
    _refused(_import(client, snowstorm, headers))
    assert client.get("/api/v1/households").json()["total"] == 0


def test_the_refusal_is_in_chinese_for_a_chinese_browser(client, sign_in):
    order = _reserved_order(client, sign_in)
    reply = client.post(
        f"/api/v1/dispatch-orders/{order}/cancel",
        headers={"Origin": "https://evil.example", "Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert reply.status_code == 403
    assert reply.json()["detail"]["message"].startswith("拒绝来自其他网站的请求")


def test_the_same_calls_from_our_own_pages_go_through(client, engine, sign_in, snowstorm):
    plan = _draft_plan(client, engine, sign_in, snowstorm)
    reply = client.post(f"/api/v1/plans/{plan}/approve", json={}, headers={"Origin": OWN})
    assert reply.status_code == 200, reply.text

    order = _reserved_order(client, sign_in)
    referer = {"Referer": f"{OWN}/orders/{order}"}  # a browser that sends no Origin
    reply = client.post(f"/api/v1/dispatch-orders/{order}/cancel", headers=referer)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "cancelled"

    sign_in("county")
    reply = _import(client, snowstorm, {"Origin": OWN})
    assert reply.status_code == 201, reply.text


def test_bearer_clients_are_unaffected_by_origin_or_its_absence(client, sign_in, snowstorm):
    order = _reserved_order(client, sign_in)
    token = client.post("/api/v1/auth/token", data={"username": "duty", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    client.cookies.clear()  # a script: no cookie at all
    reply = client.post(f"/api/v1/dispatch-orders/{order}/cancel", headers=bearer)
    assert reply.status_code == 200, reply.text

    token = client.post("/api/v1/auth/token", data={"username": "county", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    reply = _import(client, snowstorm, {**bearer, "Origin": "https://elsewhere.example"})
    assert reply.status_code == 201, reply.text


def test_reading_with_the_cookie_needs_no_origin(client, sign_in):
    sign_in("duty")
    assert client.get("/api/v1/me").status_code == 200


def test_an_origin_that_is_not_a_url_is_refused_not_a_crash(client, sign_in):
    order = _reserved_order(client, sign_in)
    reply = client.post(f"/api/v1/dispatch-orders/{order}/cancel", headers={"Origin": "http://["})
    _refused(reply)
    # The UI's own form check reads the same header.
    reply = client.post("/logout", headers={"Origin": "http://["}, follow_redirects=False)
    assert reply.status_code == 403


@pytest.mark.parametrize(
    "origin",
    ["https://testserver", "HTTPS://testserver", "ftp://testserver"],
)
def test_the_same_host_under_another_scheme_is_another_site(client, sign_in, origin):
    """N10: an https page on the same host and port is not this http server's page."""
    order = _reserved_order(client, sign_in)
    _refused(client.post(f"/api/v1/dispatch-orders/{order}/cancel", headers={"Origin": origin}))
    reply = client.post("/logout", headers={"Origin": origin}, follow_redirects=False)
    assert reply.status_code == 403


def test_a_trusted_proxys_forwarded_scheme_is_the_servers_scheme(app, client, sign_in):
    order = _reserved_order(client, sign_in)
    proxied = {"Origin": "https://testserver", "X-Forwarded-Proto": "https"}
    # Without the setting, the header is anyone's to send: ignored.
    _refused(client.post(f"/api/v1/dispatch-orders/{order}/cancel", headers=proxied))
    app.state.settings.trust_forwarded_proto = True
    reply = client.post(f"/api/v1/dispatch-orders/{order}/cancel", headers=proxied)
    assert reply.status_code == 200, reply.text
