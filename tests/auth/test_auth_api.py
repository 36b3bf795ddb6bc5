"""Tokens, roles, and what an unauthenticated caller may see."""

from __future__ import annotations


def test_health_needs_no_token(client):
    reply = client.get("/api/v1/health")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_token_for_right_password_then_me_names_the_user(client, make_user, login):
    make_user("duty1", "duty_officer")
    reply = client.get("/api/v1/me", headers=login("duty1"))
    assert reply.status_code == 200
    assert reply.json() == {
        "username": "duty1",
        "role": "duty_officer",
        "warehouse_codes": [],
        "region_codes": [],
        "full_name": None,
        "phone": None,
    }


def test_a_user_created_with_a_real_name_and_phone_shows_them_in_me_and_the_list(
    client, login, admin_headers
):
    from tests.conftest import PASSWORD

    body = {
        "username": "wang",
        "password": PASSWORD,
        "role": "duty_officer",
        "full_name": "王建国",
        "phone": "0471-6921234",
    }
    created = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert (created.json()["full_name"], created.json()["phone"]) == ("王建国", "0471-6921234")
    me = client.get("/api/v1/me", headers=login("wang")).json()
    assert (me["full_name"], me["phone"]) == ("王建国", "0471-6921234")
    listed = client.get("/api/v1/users", headers=admin_headers).json()
    assert {"username": "wang", "full_name": "王建国"}.items() <= next(
        u for u in listed if u["username"] == "wang"
    ).items()


def test_a_phone_that_is_not_a_number_is_refused_and_nothing_is_created(client, admin_headers):
    from tests.conftest import PASSWORD

    body = {"username": "li", "password": PASSWORD, "role": "duty_officer", "phone": "call me"}
    reply = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert reply.status_code == 422
    names = [u["username"] for u in client.get("/api/v1/users", headers=admin_headers).json()]
    assert "li" not in names


def test_wrong_password_is_401_with_the_error_envelope(client, make_user):
    make_user("duty1", "duty_officer")
    reply = client.post("/api/v1/auth/token", data={"username": "duty1", "password": "nope"})
    assert reply.status_code == 401
    assert reply.json()["detail"]["code"] == "not_authenticated"


def test_unknown_user_is_401(client):
    reply = client.post("/api/v1/auth/token", data={"username": "ghost", "password": "x" * 10})
    assert reply.status_code == 401


def test_missing_or_garbage_token_is_401(client):
    assert client.get("/api/v1/me").status_code == 401
    reply = client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert reply.status_code == 401
    assert reply.json()["detail"]["code"] == "not_authenticated"


def test_token_expires_on_relief_clock(client, make_user, login):
    from datetime import UTC, datetime, timedelta

    from relief import clock

    make_user("duty1", "duty_officer")
    headers = login("duty1")
    clock.set_clock(lambda: datetime.now(UTC) + timedelta(hours=13))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_token_issued_while_relief_clock_is_ahead_of_the_system_clock_works(
    client, make_user, login
):
    from datetime import UTC, datetime, timedelta

    from relief import clock

    make_user("duty1", "duty_officer")
    ahead = datetime.now(UTC) + timedelta(days=8)
    clock.set_clock(lambda: ahead)
    headers = login("duty1")  # issued at relief's "now", 8 days past the system clock
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.set_clock(lambda: ahead + timedelta(hours=13))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_only_admin_lists_and_creates_users(client, make_user, login, admin_headers):
    make_user("duty1", "duty_officer")
    duty = login("duty1")
    body = {"username": "new1", "password": "long-enough-1", "role": "duty_officer"}
    denied = client.post("/api/v1/users", json=body, headers=duty)
    assert denied.status_code == 403
    assert denied.json()["detail"]["code"] == "role_forbidden"
    assert client.get("/api/v1/users", headers=duty).status_code == 403
    created = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.json()["username"] == "new1"
    names = [u["username"] for u in client.get("/api/v1/users", headers=admin_headers).json()]
    assert names == ["admin", "duty1", "new1"]


def test_user_with_unknown_role_is_422_naming_the_field(client, admin_headers):
    body = {"username": "x1", "password": "long-enough-1", "role": "wizard"}
    reply = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert reply.status_code == 422
    detail = reply.json()["detail"]
    assert detail["code"] == "validation_error"
    assert detail["field"] == "role"
    assert detail["errors"][0]["field"] == "role"


def test_manager_needs_an_existing_warehouse(client, admin_headers):
    body = {
        "username": "m1",
        "password": "long-enough-1",
        "role": "warehouse_manager",
        "warehouse_codes": ["NOPE"],
    }
    reply = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert reply.status_code == 422
    assert reply.json()["detail"] == {
        "code": "unknown_code",
        "message": "unknown warehouse NOPE",
        "field": "warehouse_codes[0]",
    }


def test_duplicate_username_is_409(client, admin_headers):
    body = {"username": "dup", "password": "long-enough-1", "role": "duty_officer"}
    assert client.post("/api/v1/users", json=body, headers=admin_headers).status_code == 201
    again = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert again.status_code == 409
    assert again.json()["detail"]["field"] == "username"


def test_unparseable_json_is_400(client, admin_headers):
    reply = client.post(
        "/api/v1/users",
        content=b"{not json",
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json()["detail"]["code"] == "bad_request"


def test_messages_are_chinese_when_the_client_prefers_it(client):
    reply = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert reply.status_code == 401
    assert "未登录" in reply.json()["detail"]["message"]


def test_docs_are_served_without_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_only_admin_changes_a_users_name_and_phone_and_it_is_audited(
    client, make_user, login, admin_headers, engine
):
    """Issue 13 review #3: PATCH /users/{username} {full_name, phone}."""
    from sqlalchemy import text

    make_user("duty1", "duty_officer")
    duty = login("duty1")
    body = {"full_name": "王建国", "phone": "0471-1234567"}
    denied = client.patch("/api/v1/users/duty1", json=body, headers=duty)
    assert denied.status_code == 403
    reply = client.patch("/api/v1/users/duty1", json=body, headers=admin_headers)
    assert reply.status_code == 200, reply.text
    assert (reply.json()["full_name"], reply.json()["phone"]) == ("王建国", "0471-1234567")
    me = client.get("/api/v1/me", headers=duty).json()
    assert (me["full_name"], me["phone"]) == ("王建国", "0471-1234567")
    cleared = client.patch("/api/v1/users/duty1", json={"phone": None}, headers=admin_headers)
    assert (cleared.json()["full_name"], cleared.json()["phone"]) == ("王建国", None)
    for bad in ({"phone": "=1+2"}, {"full_name": ""}, {"role": "admin"}):
        reply = client.patch("/api/v1/users/duty1", json=bad, headers=admin_headers)
        assert reply.status_code == 422, bad
    assert client.patch("/api/v1/users/ghost", json=body, headers=admin_headers).status_code == 404
    with engine.connect() as conn:
        actions = [
            tuple(r)
            for r in conn.execute(
                text("SELECT action, entity_id FROM audit_records WHERE entity = 'user'")
            )
        ]
    assert actions.count(("update", "duty1")) == 2
