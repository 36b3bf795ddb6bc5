"""When statistics reports are due (issue 14): `events.stable_at`/`stable_by` (the disaster
declared stable: 核报 falls due from it) and `event_reports.zero_report` (a 零报告).

Revision ID: i14_forms_0001
Revises: i14_ledgers_0011
"""

import sqlalchemy as sa
from alembic import op

import relief.db

revision = "i14_forms_0001"
down_revision = "i14_ledgers_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy on SQLite: both tables are referenced by foreign keys).
    op.add_column("events", sa.Column("stable_at", relief.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column("events", sa.Column("stable_by", sa.String(length=64), nullable=True))
    op.add_column(
        "event_reports",
        sa.Column("zero_report", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("event_reports", "zero_report")
    op.drop_column("events", "stable_by")
    op.drop_column("events", "stable_at")
