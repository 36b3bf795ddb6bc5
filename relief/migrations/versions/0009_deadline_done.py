"""Deadlines marked done: `response_deadlines_done` keeps, once per response and deadline
name, when and by whom a deadline (supplies_arrive, situation_report, funds_allocated) was
marked done, with the level and due time it was done against.

Revision ID: 0009
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import relief.db

revision = "0009"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "response_deadlines_done",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.CheckConstraint(
            "name in ('supplies_arrive','situation_report','funds_allocated')",
            name="ck_response_deadlines_done_name",
        ),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "name", name="uq_response_deadlines_done_name"),
    )
    with op.batch_alter_table("response_deadlines_done", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_deadlines_done_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("response_deadlines_done", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_deadlines_done_response_id"))
    op.drop_table("response_deadlines_done")
