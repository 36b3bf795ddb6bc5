"""Idempotency keys: a lease for the running request, and no unkeyed body hashes.

`idempotency_keys.lease_until` is how long a running request holds its key; it renews it
while it runs, and a retry takes over a key whose lease has lapsed (a dead worker).

`body_hash` becomes an HMAC under a key derived from the secret key (relief/idempotency.py).
The rows kept so far hold an unkeyed SHA-256 of bodies that carry ID numbers, which can be
brute-forced: they are overwritten with a marker no fingerprint equals, so a retry of such
a key answers 409 `idempotency_key_reused` instead of running twice. Their replies are kept.

Revision ID: 0006
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import relief.db

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

UNKEYED_DROPPED = "unkeyed-hash-dropped"


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", relief.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(sa.text(f"UPDATE idempotency_keys SET body_hash = '{UNKEYED_DROPPED}'"))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
