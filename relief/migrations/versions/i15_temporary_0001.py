"""临时救助 cases (issue 15 part C): the relief type (急难型/支出型), cause and application
time of a `temporary` case, an approver's override of the once-a-year rule, the help-first
payment out of the township reserve fund, and the recovery owed when such a case is refused.

All columns are nullable additions to `subsidy_cases` (plain ADD COLUMN on both databases);
the delegated limit and the clocks are stored with the policy version (its JSON document).

Revision ID: i15_temporary_0001
Revises: i15_reserve_0001
"""

import sqlalchemy as sa
from alembic import op

import relief.db

revision = "i15_temporary_0001"
down_revision = "i15_reserve_0001"
branch_labels = None
depends_on = None

TABLE = "subsidy_cases"
COLUMNS = (
    ("relief_type", lambda: sa.String(length=16)),
    ("cause", lambda: sa.String(length=100)),
    ("applied_at", lambda: relief.db.UTCDateTime(timezone=True)),
    ("repeat_override_reason", lambda: sa.String(length=1000)),
    ("help_first_entry_id", lambda: sa.Integer()),
    ("help_first_at", lambda: relief.db.UTCDateTime(timezone=True)),
    ("recovery", lambda: sa.String(length=16)),
    ("recovery_reason", lambda: sa.String(length=1000)),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column(TABLE, sa.Column(name, kind(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
