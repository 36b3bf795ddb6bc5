"""Plans made in the background (issue 17): `plans.job_state` (`computing`, `failed`, or
null once the plan has its result) and `plans.job` (the request, the stage reached, the
heartbeat and a failure's reason), indexed by `job_state` for the sweep of plans a lost
worker left computing. New nullable columns only: no table copy on SQLite.

Revision ID: i17_background_0001
Revises: i15_temporary2_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "i17_background_0001"
down_revision = "i15_temporary2_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "plans",
        sa.Column("job_state", sa.String(length=12), nullable=True),
    )
    op.add_column("plans", sa.Column("job", sa.JSON(), nullable=True))
    op.create_index("ix_plans_job_state", "plans", ["job_state"])


def downgrade() -> None:
    op.drop_index("ix_plans_job_state", table_name="plans")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("job")
        batch.drop_column("job_state")
