"""Idempotency-Key: a retried request has the effect of one (API.md "Conventions")."""

from __future__ import annotations

import httpx


def _user_body(name: str) -> dict:
    return {"username": name, "password": "long-enough-1", "role": "duty_officer"}


def test_repeat_with_same_key_and_body_replays_the_first_reply(client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/users", json=_user_body("idem1"), headers=headers)
    second = client.post("/api/v1/users", json=_user_body("idem1"), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotency-Replayed") == "true"
    users = client.get("/api/v1/users", headers=admin_headers).json()
    assert [u["username"] for u in users].count("idem1") == 1


def test_same_key_with_another_body_is_409(client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "k-2"}
    client.post("/api/v1/users", json=_user_body("idem2"), headers=headers)
    reply = client.post("/api/v1/users", json=_user_body("other"), headers=headers)
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "idempotency_key_reused"


def test_error_replies_are_replayed_too(client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "k-3"}
    body = {"username": "bad", "password": "long-enough-1", "role": "wizard"}
    first = client.post("/api/v1/users", json=body, headers=headers)
    second = client.post("/api/v1/users", json=body, headers=headers)
    assert first.status_code == second.status_code == 422


def test_keys_are_scoped_per_user(client, admin_headers, make_user, login):
    make_user("admin2", "admin")
    other = login("admin2")
    a = client.post(
        "/api/v1/users", json=_user_body("s1"), headers={**admin_headers, "Idempotency-Key": "same"}
    )
    b = client.post(
        "/api/v1/users", json=_user_body("s2"), headers={**other, "Idempotency-Key": "same"}
    )
    assert a.status_code == b.status_code == 201


def test_parallel_repeats_take_effect_once(live_server, admin_headers, parallel):
    headers = {**admin_headers, "Idempotency-Key": "k-par"}

    def call():
        return httpx.post(
            f"{live_server}/api/v1/users", json=_user_body("par1"), headers=headers, timeout=60
        )

    replies = parallel([call] * 6)
    assert {r.status_code for r in replies} == {201}
    assert len({r.text for r in replies}) == 1
    listing = httpx.get(f"{live_server}/api/v1/users", headers=admin_headers).json()
    assert [u["username"] for u in listing].count("par1") == 1
