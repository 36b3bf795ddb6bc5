"""Bank (一卡通) accounts are kept encrypted like ID numbers: `households.bank_account` (clear)
becomes `bank_cipher` (Fernet under a key derived from RELIEF_SECRET_KEY) and `bank_masked`
(`****` + last 4, what lists show). Existing accounts are encrypted in place, so the upgrade
needs the same secret key as the running server (RELIEF_SECRET_KEY or ./var/secret_key).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("bank_cipher", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("bank_masked", sa.String(length=16), nullable=True))

    households = sa.table(
        "households",
        sa.column("id", sa.Integer),
        sa.column("bank_account", sa.String),
        sa.column("bank_cipher", sa.String),
        sa.column("bank_masked", sa.String),
    )
    bind = op.get_bind()
    clear = bind.execute(
        sa.select(households.c.id, households.c.bank_account).where(
            households.c.bank_account.is_not(None)
        )
    ).all()
    if clear:
        # Imported here: an empty database (every test, a new deployment) needs no key.
        from relief.config import Settings
        from relief.subsidies.ids import vault_for

        vault = vault_for(Settings().secret_key or "")
        for household_id, account in clear:
            bind.execute(
                households.update()
                .where(households.c.id == household_id)
                .values(**vault.account_columns(account))
            )

    with op.batch_alter_table("households") as batch:
        batch.drop_column("bank_account")


def downgrade() -> None:
    # The clear column comes back empty: decrypting accounts on the way down would put them
    # back in clear, which is what this revision exists to stop.
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("bank_account", sa.String(length=64), nullable=True))
        batch.drop_column("bank_masked")
        batch.drop_column("bank_cipher")
