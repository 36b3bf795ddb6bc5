"""A norm may apply in some months only (issue 15: coats and stoves in winter, not for a
July flash flood): `policy_norms.months`, the months 1-12 comma-separated ("1,2,3,11,12");
"" (every existing norm) = all year.

Revision ID: mends_0001
Revises: i17_background_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "mends_0001"
down_revision = "i17_background_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "policy_norms",
        sa.Column("months", sa.String(length=40), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("policy_norms") as batch:
        batch.drop_column("months")
