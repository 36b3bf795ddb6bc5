"""The audit trail: every state change is recorded; only admins read it; never edited."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError


def test_creating_a_user_is_audited_with_actor_and_request_id(client, admin_headers):
    body = {"username": "new1", "password": "long-enough-1", "role": "duty_officer"}
    client.post("/api/v1/users", json=body, headers={**admin_headers, "X-Request-ID": "req-42"})
    page = client.get("/api/v1/audit?entity=user&entity_id=new1", headers=admin_headers).json()
    assert page["total"] == 1
    rec = page["items"][0]
    assert rec["actor"] == "admin"
    assert rec["action"] == "create"
    assert rec["request_id"] == "req-42"
    assert rec["before"] is None
    assert rec["after"]["role"] == "duty_officer"
    assert "password_hash" not in rec["after"]
    assert rec["at"].endswith("+08:00")


def test_audit_is_for_admins_only(client, make_user, login):
    make_user("duty1", "duty_officer")
    assert client.get("/api/v1/audit", headers=login("duty1")).status_code == 403


def test_audit_filters_and_paginates(client, admin_headers):
    for i in range(3):
        body = {"username": f"u{i}", "password": "long-enough-1", "role": "duty_officer"}
        client.post("/api/v1/users", json=body, headers=admin_headers)
    page = client.get("/api/v1/audit?entity=user&limit=2&offset=0", headers=admin_headers).json()
    assert page["limit"] == 2 and page["offset"] == 0
    assert len(page["items"]) == 2
    assert page["total"] >= 3
    assert (
        client.get("/api/v1/audit?since=2020-01-01T00:00:00", headers=admin_headers).status_code
        == 422
    )


def test_audit_records_cannot_be_updated_or_deleted(engine, client, admin_headers):
    body = {"username": "new1", "password": "long-enough-1", "role": "duty_officer"}
    client.post("/api/v1/users", json=body, headers=admin_headers)
    with pytest.raises(DatabaseError), engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET actor = 'mallory'"))
    with pytest.raises(DatabaseError), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records"))
