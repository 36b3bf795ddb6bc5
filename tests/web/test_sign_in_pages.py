"""Sign-in and sessions in the UI: the lock after repeated failures (a Chinese message,
429 with Retry-After), sign-out ending every session, the change-password page, the forced
change for one-time passwords, and the Secure cookie in production."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from relief.auth import service
from relief.auth.models import SYSTEM
from relief.db import transaction
from tests.conftest import PASSWORD

NEW = "a-new-passphrase-77"


def post_login(client, username: str, password: str):
    return client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )


def test_five_wrong_passwords_lock_the_ui_sign_in_with_a_chinese_message(client, web_users):
    for _ in range(5):
        assert post_login(client, "duty", "wrong-password-1").status_code == 401
    locked = post_login(client, "duty", PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in locked.text and "请 15 分钟后再试" in locked.text
    assert "relief_token" not in locked.headers.get("set-cookie", "")


def test_signing_out_in_one_browser_ends_the_session_in_another(app, web_users):
    first, second = TestClient(app), TestClient(app)
    for browser in (first, second):
        assert post_login(browser, "duty", PASSWORD).status_code == 303
    assert 'data-home="duty"' in second.get("/").text
    first.post("/logout")
    assert 'name="password"' in second.get("/").text  # the other browser is signed out too


def test_changing_the_password_in_the_ui_keeps_this_browser_and_ends_the_others(app, web_users):
    here, elsewhere = TestClient(app), TestClient(app)
    post_login(here, "duty", PASSWORD)
    post_login(elsewhere, "duty", PASSWORD)
    page = here.get("/password")
    assert page.status_code == 200 and 'name="new_password"' in page.text
    reply = here.post(
        "/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW,
            "new_password_again": NEW,
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    assert 'data-home="duty"' in here.get("/").text
    assert 'name="password"' in elsewhere.get("/").text
    assert post_login(TestClient(app), "duty", NEW).status_code == 303


def test_a_common_new_password_is_refused_on_the_page_in_chinese(client, sign_in):
    sign_in("duty")
    reply = client.post(
        "/password",
        data={
            "current_password": PASSWORD,
            "new_password": "1234567890",
            "new_password_again": "1234567890",
        },
    )
    assert reply.status_code == 422
    assert re.search(r'id="new_password-error" role="alert">[^<]*常见', reply.text)
    assert 'data-home="duty"' in client.get("/").text  # nothing changed


def test_a_one_time_password_sends_every_page_to_the_change_password_page(
    client, engine, web_users
):
    with transaction(engine) as session:
        _, one_time = service.reset_password(session, SYSTEM, "duty")
    reply = post_login(client, "duty", one_time)
    assert reply.status_code == 303 and reply.headers["location"] == "/password"
    for path in ("/", "/map", "/events", "/inbox"):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == 303, path
        assert page.headers["location"].split("?")[0] == "/password", path
    assert "一次性密码" in client.get("/password").text
    client.post(
        "/password",
        data={
            "current_password": one_time,
            "new_password": NEW,
            "new_password_again": NEW,
        },
    )
    assert client.get("/map", follow_redirects=False).status_code == 200


def test_the_session_cookie_is_secure_in_production(app, web_users):
    app.state.settings = app.state.settings.model_copy(update={"env": "production"})
    reply = post_login(TestClient(app), "duty", PASSWORD)
    assert reply.status_code == 303
    assert "secure" in reply.headers["set-cookie"].lower()


def test_the_session_cookie_is_not_secure_over_plain_http_in_development(app, web_users):
    reply = post_login(TestClient(app), "duty", PASSWORD)
    assert "secure" not in reply.headers["set-cookie"].lower()


def test_a_signed_out_page_sends_to_sign_in_and_back_to_that_page(client, web_users):
    reply = client.get("/responses/1?tab=plans", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/?next=/responses/1%3Ftab%3Dplans"
    form = client.get(reply.headers["location"]).text
    assert 'name="next" value="/responses/1?tab=plans"' in form
    signed = client.post(
        "/login",
        data={"username": "duty", "password": PASSWORD, "next": "/responses/1?tab=plans"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/responses/1?tab=plans"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_sends_the_browser_to_another_host(client, web_users, target):
    signed = client.post(
        "/login",
        data={"username": "duty", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/"


def test_an_empty_sign_in_says_what_is_missing_without_counting_a_failure(client, web_users):
    both = client.post("/login", data={"username": "", "password": ""})
    assert both.status_code == 422
    assert "请输入用户名" in both.text and "请输入密码" in both.text
    one = client.post("/login", data={"username": "duty", "password": " "})
    assert "请输入密码" in one.text and "请输入用户名" not in one.text
    assert 'value="duty"' in one.text
    for _ in range(6):  # empty forms are not failed sign-ins: no lock follows
        client.post("/login", data={"username": "duty", "password": ""})
    assert post_login(client, "duty", PASSWORD).status_code == 303


def test_a_forced_password_change_goes_on_to_the_page_asked_for(client, engine, web_users):
    with transaction(engine) as session:
        _, one_time = service.reset_password(session, SYSTEM, "duty")
    reply = client.post(
        "/login",
        data={"username": "duty", "password": one_time, "next": "/events"},
        follow_redirects=False,
    )
    assert reply.headers["location"] == "/password?next=/events"
    assert 'name="next" value="/events"' in client.get(reply.headers["location"]).text
    changed = client.post(
        "/password",
        data={
            "current_password": one_time,
            "new_password": NEW,
            "new_password_again": NEW,
            "next": "/events",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/events"
