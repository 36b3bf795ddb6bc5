"""The two ledgers of the statistics rules: the 因灾死亡失踪人口台账 (`casualties`) and what the
倒损住房户台账 needs of a household (address, house structure, rooms collapsed / severely /
generally damaged; all optional, null for the households registered before).

Revision ID: i14_ledgers_0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from relief.db import UTCDateTime

revision = "i14_ledgers_0011"
down_revision = "i14_fields"
branch_labels = None
depends_on = None

_HOUSEHOLD_COLUMNS = ("address", "structure", "collapsed_rooms", "severe_rooms", "general_rooms")


def upgrade() -> None:
    # Plain ADD COLUMN (not a batch copy): `households` is referenced by `subsidy_cases`.
    op.add_column("households", sa.Column("address", sa.String(length=200), nullable=True))
    op.add_column("households", sa.Column("structure", sa.String(length=16), nullable=True))
    for name in ("collapsed_rooms", "severe_rooms", "general_rooms"):
        op.add_column("households", sa.Column(name, sa.Integer(), nullable=True))
    op.create_table(
        "casualties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("id_hash", sa.String(length=64), nullable=True),
        sa.Column("id_cipher", sa.String(length=255), nullable=True),
        sa.Column("id_masked", sa.String(length=18), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("cause", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "id_hash", name="uq_casualties_event_id_number"),
        sa.CheckConstraint("sex in ('male','female')", name="ck_casualties_sex"),
        sa.CheckConstraint("status in ('dead','missing')", name="ck_casualties_status"),
        sa.CheckConstraint(
            "age is null or (age >= 0 and age <= 150)", name="ck_casualties_age"
        ),
    )
    op.create_index("ix_casualties_event_id", "casualties", ["event_id"])


def downgrade() -> None:
    op.drop_index("ix_casualties_event_id", table_name="casualties")
    op.drop_table("casualties")
    for name in reversed(_HOUSEHOLD_COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE households DROP COLUMN {name}")
        else:
            op.drop_column("households", name)
