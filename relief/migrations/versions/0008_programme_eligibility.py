"""Programmes may say which households qualify: `programmes.eligibility` (JSON, null = any
household), e.g. {"damage": ["collapsed", "severe"], "categories": ["dibao", "tekun"]}.
Existing programmes keep null, so they keep taking every household as before.

Revision ID: 0008
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "programmes", sa.Column("eligibility", sa.JSON(none_as_null=True), nullable=True)
    )


def downgrade() -> None:
    # Not Alembic's batch copy on SQLite: recreating `programmes` is refused by the foreign
    # keys of `subsidy_cases` and `subsidy_standards` (see 0003).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE programmes DROP COLUMN eligibility")
    else:
        op.drop_column("programmes", "eligibility")
