"""Bank (一卡通) accounts are kept encrypted like ID numbers: `households.bank_account` (clear)
becomes `bank_cipher` (Fernet under a key derived from RELIEF_SECRET_KEY) and `bank_masked`
(`****` + last 4, what lists show). Existing accounts are encrypted in place, and the clear
accounts that household audit records kept are masked there too.

Encrypting needs the server's secret key: `relief.db.upgrade(..., secret_key=)` passes it
(`relief db upgrade` and `relief demo` pass the settings' key). A database with accounts to
encrypt and no key given stops the upgrade with a message instead of guessing one.

On SQLite the clear column is dropped with `ALTER TABLE … DROP COLUMN` (SQLite 3.35+), not
Alembic's batch copy: the copy drops and recreates `households`, which the foreign keys of
`subsidy_cases` (enforced on every relief connection) refuse.

Revision ID: 0003
Revises: 0002
"""

from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("households", sa.Column("bank_cipher", sa.String(length=255), nullable=True))
    op.add_column("households", sa.Column("bank_masked", sa.String(length=16), nullable=True))

    bind = op.get_bind()
    households = sa.table(
        "households",
        sa.column("id", sa.Integer),
        sa.column("bank_account", sa.String),
        sa.column("bank_cipher", sa.String),
        sa.column("bank_masked", sa.String),
    )
    clear = bind.execute(
        sa.select(households.c.id, households.c.bank_account).where(
            households.c.bank_account.is_not(None)
        )
    ).all()
    if clear:
        from relief.subsidies.ids import vault_for

        secret_key = context.config.attributes.get("secret_key")
        if not secret_key:
            raise RuntimeError(
                f"{len(clear)} bank account(s) must be encrypted with the server's secret key: "
                "run `relief db upgrade` with the RELIEF_SECRET_KEY the server uses"
            )
        vault = vault_for(secret_key)
        for household_id, account in clear:
            bind.execute(
                households.update()
                .where(households.c.id == household_id)
                .values(**vault.account_columns(account))
            )
    _scrub_audit(bind)
    _drop_column(bind, "households", "bank_account")


def _masked(snapshot: Any) -> Any:
    if isinstance(snapshot, dict) and snapshot.get("bank_account"):
        return {**snapshot, "bank_account": "****" + str(snapshot["bank_account"])[-4:]}
    return snapshot


def _scrub_audit(bind) -> None:
    """Mask the clear accounts in household audit records. The trail is append-only (0002's
    triggers refuse UPDATE); this one scrub lifts the triggers and puts them back."""
    audit = sa.table(
        "audit_records",
        sa.column("id", sa.Integer),
        sa.column("entity", sa.String),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    rows = bind.execute(
        sa.select(audit.c.id, audit.c.before, audit.c.after).where(audit.c.entity == "household")
    ).all()
    changed = [
        (record_id, _masked(before), _masked(after))
        for record_id, before, after in rows
        if (_masked(before), _masked(after)) != (before, after)
    ]
    if not changed:
        return
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_change")
    else:
        op.execute("DROP TRIGGER audit_records_no_update")
    for record_id, before, after in changed:
        bind.execute(
            audit.update().where(audit.c.id == record_id).values(before=before, after=after)
        )
    if postgres:
        op.execute("ALTER TABLE audit_records ENABLE TRIGGER audit_records_no_change")
    else:  # as 0002 created it
        op.execute(
            "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
            "BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END"
        )


def _drop_column(bind, table: str, column: str) -> None:
    if bind.dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    # The clear column comes back empty: decrypting accounts on the way down would put them
    # back in clear, which is what this revision exists to stop.
    bind = op.get_bind()
    op.add_column("households", sa.Column("bank_account", sa.String(length=64), nullable=True))
    _drop_column(bind, "households", "bank_masked")
    _drop_column(bind, "households", "bank_cipher")
