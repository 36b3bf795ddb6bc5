"""Sign-in throttling (per account and per client address, locks kept in the database),
failed sign-ins in the audit trail, equal work for unknown, disabled and wrong-password
sign-ins, and a bound on concurrent password hashing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from relief import clock
from relief.auth import service
from relief.db import session_for, transaction
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token"


def attempt(client, username: str, password: str):
    return client.post(TOKEN, data={"username": username, "password": password})


def audit_actions(client, admin_headers, action: str) -> list[dict]:
    reply = client.get("/api/v1/audit?limit=200&actor=system", headers=admin_headers)
    assert reply.status_code == 200, reply.text
    return [r for r in reply.json()["items"] if r["action"] == action]


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, make_user):
    make_user("duty1", "duty_officer")
    for _ in range(5):
        assert attempt(client, "duty1", "wrong-password-1").status_code == 401
    locked = attempt(client, "duty1", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["detail"]["code"] == "too_many_attempts"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


def test_four_wrong_passwords_then_the_right_one_signs_in_and_resets_the_count(client, make_user):
    make_user("duty1", "duty_officer")
    for _ in range(4):
        attempt(client, "duty1", "wrong-password-1")
    assert attempt(client, "duty1", PASSWORD).status_code == 200
    for _ in range(4):
        attempt(client, "duty1", "wrong-password-1")
    assert attempt(client, "duty1", PASSWORD).status_code == 200


def test_the_lock_lifts_after_fifteen_minutes_on_relief_clock(client, make_user):
    make_user("duty1", "duty_officer")
    start = datetime.now(UTC)
    clock.set_clock(lambda: start)
    for _ in range(5):
        attempt(client, "duty1", "wrong-password-1")
    clock.set_clock(lambda: start + timedelta(minutes=14))
    assert attempt(client, "duty1", PASSWORD).status_code == 429
    clock.set_clock(lambda: start + timedelta(minutes=15, seconds=1))
    assert attempt(client, "duty1", PASSWORD).status_code == 200


def test_an_unknown_username_is_locked_like_a_real_one(client):
    for _ in range(5):
        assert attempt(client, "ghost", "wrong-password-1").status_code == 401
    assert attempt(client, "ghost", "wrong-password-1").status_code == 429


def test_one_address_guessing_across_many_accounts_is_locked(client, make_user):
    make_user("duty1", "duty_officer")
    # Four guesses per account stay under the account limit; the address limit (20) holds.
    for i in range(20):
        assert attempt(client, f"user{i // 4}", "wrong-password-1").status_code == 401
    locked = attempt(client, "duty1", PASSWORD)
    assert locked.status_code == 429
    assert "Retry-After" in locked.headers


def test_another_address_is_not_locked_out_of_an_account_by_address(app, make_user):
    from fastapi.testclient import TestClient

    make_user("duty1", "duty_officer")
    attacker = TestClient(app, client=("203.0.113.9", 50000))
    for i in range(20):
        attacker.post(TOKEN, data={"username": f"user{i // 4}", "password": "wrong-password-1"})
    assert attempt(attacker, "duty1", PASSWORD).status_code == 429
    office = TestClient(app, client=("198.51.100.7", 50000))
    assert attempt(office, "duty1", PASSWORD).status_code == 200


def test_failed_sign_ins_and_locks_are_audited_without_the_password(
    client, make_user, admin_headers
):
    make_user("duty1", "duty_officer")
    for _ in range(5):
        attempt(client, "duty1", "wrong-password-1")
    failed = audit_actions(client, admin_headers, "sign_in_failed")
    assert len(failed) == 5
    assert {r["entity_id"] for r in failed} == {"duty1"}
    assert failed[0]["after"]["address"] == "testclient"
    locks = audit_actions(client, admin_headers, "sign_in_locked")
    assert [r["entity_id"] for r in locks] == ["account:duty1"]
    assert "wrong-password-1" not in str(failed + locks)


@pytest.mark.parametrize("case", ["unknown", "disabled", "wrong_password"])
def test_unknown_disabled_and_wrong_password_sign_ins_all_verify_one_hash(
    engine, make_user, monkeypatch, case
):
    make_user("duty1", "duty_officer")
    if case == "disabled":
        with transaction(engine) as session:
            user = service.user_by_username(session, "duty1")
            user.active = False
            session.add(user)
    calls = []
    real = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    username = "ghost" if case == "unknown" else "duty1"
    password = PASSWORD if case != "wrong_password" else "wrong-password-1"
    with session_for(engine, write=False) as session, pytest.raises(service.DomainError) as err:
        service.authenticate(session, username, password)
    assert err.value.code == "not_authenticated"
    assert len(calls) == 1


def test_at_most_the_configured_number_of_password_hashes_run_at_once(monkeypatch):
    active, peak = [0], [0]
    guard = threading.Lock()

    class SlowHasher:
        def verify(self, password_hash, password):
            with guard:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            threading.Event().wait(0.05)  # hold the slot so that the others queue behind it
            with guard:
                active[0] -= 1
            return True

    monkeypatch.setattr(service, "_hasher", SlowHasher())
    service.limit_hashing(2)
    try:
        threads = [
            threading.Thread(target=service.verify_password, args=("h", "p")) for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        service.limit_hashing(4)
    assert peak[0] == 2


def test_parallel_wrong_passwords_are_all_counted_and_lock_the_account(
    client, make_user, live_server, parallel
):
    import httpx

    make_user("duty1", "duty_officer")

    def guess():
        return httpx.post(
            f"{live_server}{TOKEN}",
            data={"username": "duty1", "password": "wrong-password-1"},
            timeout=60,
        ).status_code

    # Five at once, the first failures for this account: racing to create its counter row.
    assert sorted(parallel([guess] * 5)) == [401] * 5
    assert attempt(client, "duty1", PASSWORD).status_code == 429


def test_a_burst_of_parallel_wrong_passwords_checks_at_most_the_limit(
    client, make_user, live_server, parallel, monkeypatch
):
    """N4: every attempt is counted before its hash is checked, so a burst of 30 at once
    (the attacker's PostgreSQL race) verifies at most 5 passwords; the rest are refused."""
    import httpx

    make_user("duty1", "duty_officer")
    checked = []
    real = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda h, p: checked.append(p) or real(h, p))

    def guess(i):
        return lambda: (
            httpx.post(
                f"{live_server}{TOKEN}",
                data={"username": "duty1", "password": f"wrong-password-{i}"},
                timeout=60,
            ).status_code
        )

    codes = parallel([guess(i) for i in range(30)])
    assert codes.count(401) <= 5, codes
    assert codes.count(401) + codes.count(429) == 30, codes
    assert len(checked) <= 5
    assert attempt(client, "duty1", PASSWORD).status_code == 429


def test_a_right_password_during_wrong_ones_does_not_leave_its_attempt_counted(client, make_user):
    make_user("duty1", "duty_officer")
    for _ in range(20):  # the address limit: successes must not use it up
        assert attempt(client, "duty1", PASSWORD).status_code == 200
    assert attempt(client, "duty1", PASSWORD).status_code == 200
