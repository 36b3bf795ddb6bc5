"""Idempotency-Key: a retried request has the effect of one (API.md "Conventions")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx

from relief import clock, idempotency


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


# --- issue 12 point 16: a lease instead of a 5-minute wait, multipart by content ---------

T0 = datetime(2026, 7, 20, 0, 0, tzinfo=UTC)


def _crashed_worker_holds(app, key: str, body: dict) -> None:
    """What a worker that died mid-request leaves: a claimed key with no reply."""
    secret = app.state.settings.secret_key
    fingerprint = idempotency.fingerprint(json.dumps(body).encode(), secret)
    assert (
        idempotency._claim(app.state.engine, "admin", "POST", "/api/v1/users", key, fingerprint)
        is None
    )


def test_key_of_a_dead_worker_is_free_once_its_lease_lapses(
    client, app, admin_headers, monkeypatch
):
    monkeypatch.setattr(idempotency, "WAIT_LIMIT_S", 0.2)  # a wait would end in 503 at once
    clock.set_clock(lambda: T0)
    _crashed_worker_holds(app, "dead-1", _user_body("lease1"))
    clock.set_clock(lambda: T0 + idempotency.LEASE + timedelta(seconds=1))
    headers = {**admin_headers, "Idempotency-Key": "dead-1"}
    reply = client.post("/api/v1/users", json=_user_body("lease1"), headers=headers)
    assert reply.status_code == 201, reply.text
    again = client.post("/api/v1/users", json=_user_body("lease1"), headers=headers)
    assert again.status_code == 201
    assert again.headers.get("Idempotency-Replayed") == "true"


def test_a_dead_workers_key_with_another_body_is_still_409(client, app, admin_headers):
    clock.set_clock(lambda: T0)
    _crashed_worker_holds(app, "dead-2", _user_body("lease2"))
    clock.set_clock(lambda: T0 + idempotency.LEASE + timedelta(seconds=1))
    headers = {**admin_headers, "Idempotency-Key": "dead-2"}
    reply = client.post("/api/v1/users", json=_user_body("other2"), headers=headers)
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "idempotency_key_reused"


def test_a_live_request_that_renews_its_lease_is_not_run_twice(
    client, app, admin_headers, monkeypatch
):
    monkeypatch.setattr(idempotency, "WAIT_LIMIT_S", 0.2)
    clock.set_clock(lambda: T0)
    _crashed_worker_holds(app, "live-1", _user_body("lease3"))
    # The running request renews its lease before it lapses ...
    clock.set_clock(lambda: T0 + idempotency.LEASE - timedelta(seconds=5))
    assert idempotency.renew_lease(app.state.engine, "admin", "POST", "/api/v1/users", "live-1")
    # ... so a retry after the first lease would have lapsed waits, and does not run.
    clock.set_clock(lambda: T0 + idempotency.LEASE + timedelta(seconds=1))
    headers = {**admin_headers, "Idempotency-Key": "live-1"}
    reply = client.post("/api/v1/users", json=_user_body("lease3"), headers=headers)
    assert reply.status_code == 503
    assert reply.json()["detail"]["code"] == "busy"
    users = client.get("/api/v1/users", headers=admin_headers).json()
    assert "lease3" not in [u["username"] for u in users]


def test_multipart_retry_with_another_boundary_is_a_repeat(client, admin_headers):
    fields = {"username": "mp", "password": "long-enough-1", "role": "duty_officer"}

    def multipart(boundary: str) -> bytes:
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            "Content-Type: text/csv\r\n\r\nx,y\r\n"
        )
        return ("".join(parts) + f"--{boundary}--\r\n").encode()

    a = idempotency.multipart_fields(multipart("aaaa"), "multipart/form-data; boundary=aaaa")
    b = idempotency.multipart_fields(multipart("bbbb"), "multipart/form-data; boundary=bbbb")
    assert a is not None and a == b
    other = multipart("cccc").replace(b"x,y", b"x,z")
    assert idempotency.multipart_fields(other, "multipart/form-data; boundary=cccc") != a


def test_multipart_import_retried_with_another_boundary_replays(client, admin_headers):
    # The import route takes a multipart body; httpx picks a random boundary per request.
    headers = {**admin_headers, "Idempotency-Key": "imp-1"}
    files = {"file": ("h.csv", b"\xef\xbb\xbf\xe6\x88\xb7\xe4\xb8\xbb\xe5\xa7\x93\xe5\x90\x8d\n")}
    first = client.post(
        "/api/v1/households/import", files=files, data={"event_id": "1"}, headers=headers
    )
    second = client.post(
        "/api/v1/households/import", files=files, data={"event_id": "1"}, headers=headers
    )
    assert first.status_code < 500
    assert second.status_code == first.status_code
    assert second.headers.get("Idempotency-Replayed") == "true"


def test_a_revoked_token_cannot_replay_the_reply_its_key_once_got(client, make_user, login):
    make_user("admin3", "admin")
    headers = {**login("admin3"), "Idempotency-Key": "k-revoked"}
    first = client.post("/api/v1/users", json=_user_body("idem-revoked"), headers=headers)
    assert first.status_code == 201
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    # The same token, key and body after sign-out: refused, not the stored reply.
    again = client.post("/api/v1/users", json=_user_body("idem-revoked"), headers=headers)
    assert again.status_code == 401
    assert again.headers.get("Idempotency-Replayed") is None


def test_fingerprinting_a_large_multipart_body_holds_no_copy_of_it():
    # fix12 N3: a 19 MB import parsed with the email parser cost ~10× the body. Streamed,
    # the fingerprint holds a chunk at a time: well under a quarter of the body.
    import tracemalloc

    payload = b"x,y\r\n" * (4 * 1024 * 1024)  # 20 MB of CSV
    body = (
        b'--bnd\r\nContent-Disposition: form-data; name="event_id"\r\n\r\n1\r\n'
        b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="h.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + payload + b"\r\n--bnd--\r\n"
    )
    del payload
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    digest = idempotency.fingerprint(body, "s" * 32, "multipart/form-data; boundary=bnd")
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    assert peak < len(body) // 4
    other = body.replace(b"--bnd", b"--other")
    assert digest == idempotency.fingerprint(other, "s" * 32, "multipart/form-data; boundary=other")


def _stored_rows(engine) -> str:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM idempotency_keys")).all()
    assert rows
    return "\n".join(repr(tuple(row)) for row in rows)


def test_stored_replies_keep_no_one_time_password_or_token_in_clear(
    client, engine, make_user, admin_headers
):
    """N6: a reply kept for replay is encrypted at rest; only a replay decrypts it."""
    make_user("victim2", "duty_officer")
    headers = {**admin_headers, "Idempotency-Key": "k-otp"}
    first = client.post("/api/v1/users/victim2/reset-password", headers=headers)
    assert first.status_code == 200
    otp = first.json()["one_time_password"]

    token = client.post("/api/v1/auth/token", data={"username": "victim2", "password": otp})
    mine = {"Authorization": f"Bearer {token.json()['access_token']}", "Idempotency-Key": "k-pw"}
    body = {"current_password": otp, "new_password": "a-fresh-password-77"}
    changed = client.post("/api/v1/me/password", json=body, headers=mine)
    assert changed.status_code == 200, changed.text
    fresh = changed.json()["access_token"]

    dump = _stored_rows(engine)
    for secret in (otp, fresh, "one_time_password", "access_token", 'victim2"', "{"):
        assert secret not in dump

    again = client.post("/api/v1/users/victim2/reset-password", headers=headers)
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert again.json() == first.json()
    assert again.headers["content-type"] == first.headers["content-type"]
    fresh_headers = {"Authorization": f"Bearer {fresh}", "Idempotency-Key": "k-pw"}
    replayed = client.post("/api/v1/me/password", json=body, headers=fresh_headers)
    # Scoped to the user: the fresh token is the same user, so the reply is replayed.
    assert replayed.headers.get("Idempotency-Replayed") == "true"
    assert replayed.json()["access_token"] == fresh


def test_a_reply_kept_in_clear_before_sealing_still_replays_and_a_foreign_one_is_empty():
    sealed = idempotency.seal_reply(b'{"a":1}', "key-one-" + "x" * 32)
    assert idempotency.open_reply(sealed, "key-one-" + "x" * 32) == b'{"a":1}'
    assert idempotency.open_reply('{"a":1}', "key-one-" + "x" * 32) == b'{"a":1}'
    assert idempotency.open_reply(sealed, "key-two-" + "x" * 32) == b""


def test_a_body_cut_short_by_a_disconnect_claims_nothing():
    """A client that goes away mid-body: the partial body is not fingerprinted and its key
    not claimed (a retry with the whole body would otherwise be refused as another body)."""
    import asyncio

    import pytest
    from starlette.requests import ClientDisconnect

    from relief.idempotency import _read_body

    messages = iter(
        [
            {"type": "http.request", "body": b'{"reference": "RK', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive():
        return next(messages)

    with pytest.raises(ClientDisconnect):
        asyncio.run(_read_body(receive))
