"""Sign-in and sessions in the UI: the lock after repeated failures (a Chinese message,
429 with Retry-After), sign-out ending every session, the change-password page, the forced
change for one-time passwords, and the Secure cookie in production."""

from __future__ import annotations

import re

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
        assert page.status_code == 303 and page.headers["location"] == "/password", path
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
