"""Sessions end when they should: sign-out, password change, reset and disabling revoke
every token of the user; signing in elsewhere does not. Admins disable, enable and reset
users; everyone changes their own password; a forced change blocks everything else."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

NEW = "a-new-passphrase-77"


def token_for(client, username: str, password: str = PASSWORD) -> dict[str, str]:
    reply = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def me(client, headers) -> int:
    return client.get("/api/v1/me", headers=headers).status_code


def test_signing_in_elsewhere_leaves_other_sessions_valid(client, make_user):
    make_user("duty1", "duty_officer")
    first = token_for(client, "duty1")
    second = token_for(client, "duty1")
    assert me(client, first) == 200 and me(client, second) == 200


def test_sign_out_revokes_every_token_of_the_user(client, make_user):
    make_user("duty1", "duty_officer")
    make_user("duty2", "duty_officer")
    first, second, other = (
        token_for(client, "duty1"),
        token_for(client, "duty1"),
        token_for(client, "duty2"),
    )
    reply = client.post("/api/v1/auth/logout", headers=first)
    assert reply.status_code == 200
    assert me(client, first) == 401 and me(client, second) == 401
    assert me(client, other) == 200
    assert me(client, token_for(client, "duty1")) == 200


def test_changing_my_password_revokes_old_tokens_and_the_new_password_works(client, make_user):
    make_user("duty1", "duty_officer")
    old = token_for(client, "duty1")
    reply = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=old,
    )
    assert reply.status_code == 200, reply.text
    fresh = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    assert me(client, old) == 401
    assert me(client, fresh) == 200
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "duty1", "password": PASSWORD}
        ).status_code
        == 401
    )
    assert me(client, token_for(client, "duty1", NEW)) == 200


def test_changing_my_password_with_the_wrong_current_one_is_422_and_changes_nothing(
    client, make_user
):
    make_user("duty1", "duty_officer")
    headers = token_for(client, "duty1")
    reply = client.post(
        "/api/v1/me/password",
        json={"current_password": "not-my-password", "new_password": NEW},
        headers=headers,
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["code"] == "wrong_password"
    assert me(client, headers) == 200
    assert me(client, token_for(client, "duty1")) == 200


@pytest.mark.parametrize("new", ["short-1", "1234567890", "Password123", "qwertyuiop", PASSWORD])
def test_a_weak_common_or_unchanged_new_password_is_422(client, make_user, new):
    make_user("duty1", "duty_officer")
    headers = token_for(client, "duty1")
    reply = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=headers,
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["code"] == "weak_password"
    assert reply.json()["detail"]["field"] == "new_password"
    assert me(client, headers) == 200


@pytest.mark.parametrize("password", ["short-pw1", "password1234", "1q2w3e4r5t"])
def test_creating_a_user_with_a_short_or_common_password_is_422(client, admin_headers, password):
    body = {"username": "new1", "password": password, "role": "duty_officer"}
    reply = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert reply.status_code == 422, reply.text
    assert client.get("/api/v1/users", headers=admin_headers).json()[-1]["username"] != "new1"


def test_disabling_a_user_revokes_their_tokens_and_enabling_lets_them_sign_in(
    client, make_user, admin_headers
):
    make_user("duty1", "duty_officer")
    headers = token_for(client, "duty1")
    reply = client.post("/api/v1/users/duty1/disable", headers=admin_headers)
    assert reply.status_code == 200
    assert reply.json()["active"] is False
    assert me(client, headers) == 401
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "duty1", "password": PASSWORD}
        ).status_code
        == 401
    )
    assert client.post("/api/v1/users/duty1/enable", headers=admin_headers).json()["active"]
    assert me(client, headers) == 401  # enabling does not revive the old sessions
    assert me(client, token_for(client, "duty1")) == 200


def test_reset_password_revokes_tokens_and_the_one_time_password_must_be_changed(
    client, make_user, admin_headers
):
    make_user("duty1", "duty_officer")
    old = token_for(client, "duty1")
    reply = client.post("/api/v1/users/duty1/reset-password", headers=admin_headers)
    assert reply.status_code == 200
    one_time = reply.json()["one_time_password"]
    assert len(one_time) >= 10
    assert me(client, old) == 401
    headers = token_for(client, "duty1", one_time)
    assert me(client, headers) == 200  # /me answers, to say who is signed in
    blocked = client.get("/api/v1/events", headers=headers)
    assert blocked.status_code == 403
    assert blocked.json()["detail"]["code"] == "password_change_required"
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": one_time, "new_password": NEW},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get("/api/v1/events", headers=fresh).status_code == 200


def test_a_user_who_must_change_their_password_may_still_sign_out(client, make_user, admin_headers):
    make_user("duty1", "duty_officer")
    one_time = client.post("/api/v1/users/duty1/reset-password", headers=admin_headers).json()[
        "one_time_password"
    ]
    headers = token_for(client, "duty1", one_time)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert me(client, headers) == 401


def test_only_admin_disables_enables_and_resets_users(client, make_user):
    make_user("duty1", "duty_officer")
    make_user("duty2", "duty_officer")
    headers = token_for(client, "duty1")
    for action in ("disable", "enable", "reset-password"):
        reply = client.post(f"/api/v1/users/duty2/{action}", headers=headers)
        assert reply.status_code == 403
        assert reply.json()["detail"]["code"] == "role_forbidden"


def test_an_unknown_user_to_disable_is_404(client, admin_headers):
    reply = client.post("/api/v1/users/ghost/disable", headers=admin_headers)
    assert reply.status_code == 404


def test_an_admin_cannot_disable_their_own_account(client, admin_headers):
    reply = client.post("/api/v1/users/admin/disable", headers=admin_headers)
    assert reply.status_code == 409
    assert me(client, admin_headers) == 200


def test_a_token_without_a_session_version_is_refused(client, make_user, settings):
    from datetime import UTC, datetime, timedelta

    import jwt

    make_user("duty1", "duty_officer")
    now = datetime.now(UTC)
    old_style = jwt.encode(
        {
            "sub": "duty1",
            "role": "duty_officer",
            "exp": int((now + timedelta(hours=1)).timestamp()),
        },
        settings.secret_key,
        algorithm="HS256",
    )
    assert me(client, {"Authorization": f"Bearer {old_style}"}) == 401
