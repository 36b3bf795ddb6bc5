"""Sessions that can be revoked and sign-ins that can be throttled.

`users.session_version` is carried in every token (`sv`): raising it revokes them all
(sign-out, password change or reset, disabling). `users.must_change_password` forces a
user whose password someone else saw to choose their own. `sign_in_throttles` counts failed
sign-ins per account and per client address, and holds their locks, in the database so
that every worker process sees them.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import relief.db

revision = "0005"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (not a batch copy of the table) on SQLite as on PostgreSQL.
    op.add_column(
        "users", sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", relief.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_until", relief.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttles")
    op.drop_column("users", "must_change_password")
    op.drop_column("users", "session_version")
