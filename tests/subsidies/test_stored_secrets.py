"""A dump of the database gives back no ID number or bank account (issue 12, point 8).

The masked ID shows all but the 8 birth-date digits, so any unkeyed hash of something that
contains the number (the request body kept for Idempotency-Key) can be brute-forced in
seconds. Stored fingerprints are keyed (HMAC under a key derived from the secret key)."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import inspect, text

from tests.subsidies.conftest import id_number


def _dump(engine) -> list[str]:
    """Every value of every table, as text."""
    values = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                values.extend(str(v) for v in row if v is not None)
    return values


def _unkeyed_hashes(data: bytes) -> set[str]:
    return {hashlib.new(name, data).hexdigest() for name in ("md5", "sha1", "sha256", "sha512")}


def test_idempotency_fingerprint_of_a_household_body_is_not_an_unkeyed_hash(client, world, engine):
    number = id_number(7)
    account = "6228480000000000077"
    body = {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": "户主7",
        "id_number": number,
        "size": 4,
        "damage": "collapsed",
        "rooms": 3,
        "category": "general",
        "bank_account": account,
    }
    raw = json.dumps(body).encode()
    headers = {**world.clerk, "Idempotency-Key": "reg-7", "Content-Type": "application/json"}
    reply = client.post("/api/v1/households", content=raw, headers=headers)
    assert reply.status_code == 201, reply.text

    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    forbidden = set()
    for data in (raw, canonical, number.encode(), account.encode()):
        forbidden |= _unkeyed_hashes(data)
    values = _dump(engine)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT body_hash FROM idempotency_keys")).scalars().all()
    assert len(stored) == 1
    assert stored[0] != hashlib.sha256(canonical).hexdigest()
    assert not forbidden & {v.lower() for v in values}
    assert not [v for v in values if number in v or account in v]
