"""Programmes may name the 监督电话 printed under the public notice:
`programmes.supervision_phone` (null = none given; the notice then says so).

Revision ID: 0013
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("programmes", sa.Column("supervision_phone", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Not Alembic's batch copy on SQLite: recreating `programmes` is refused by the foreign
    # keys of `subsidy_cases` and `subsidy_standards` (see 0003).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE programmes DROP COLUMN supervision_phone")
    else:
        op.drop_column("programmes", "supervision_phone")
