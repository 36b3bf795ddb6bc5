"""Goods held by a receiving township or county and issued to households (发放到户, issue 16):
`holdings` (one row per region × item × lot, never below zero), `holding_entries`, their
append-only ledger (triggers refuse UPDATE and DELETE, as on the stock and reserve ledgers),
`household_issues` and `household_issue_lines`.

Revision ID: i16_goods_0001
Revises: i15_winter_0001
"""

import sqlalchemy as sa
from alembic import op

import relief.db

revision = "i16_goods_0001"
down_revision = "i15_winter_0001"
branch_labels = None
depends_on = None

LEDGER = "holding_entries"


def upgrade() -> None:
    op.create_table(
        "holdings",
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 0", name="ck_holdings_quantity"),
        sa.ForeignKeyConstraint(["item_code"], ["items.code"]),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.PrimaryKeyConstraint("region_code", "item_code", "lot"),
    )
    op.create_table(
        "household_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("signed_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("scan", sa.LargeBinary(), nullable=True),
        sa.Column("scan_type", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('issue','reversal')", name="ck_household_issues_kind"),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.ForeignKeyConstraint(["reverses_id"], ["household_issues.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reverses_id", name="uq_household_issues_reverses"),
    )
    for column in ("region_code", "event_id", "household_id"):
        op.create_index(
            f"ix_household_issues_{column}", "household_issues", [column], unique=False
        )
    op.create_table(
        "household_issue_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity <> 0", name="ck_household_issue_lines_quantity"),
        sa.ForeignKeyConstraint(["issue_id"], ["household_issues.id"]),
        sa.ForeignKeyConstraint(["item_code"], ["items.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issue_id", "item_code", name="uq_household_issue_lines_item"),
    )
    op.create_index(
        "ix_household_issue_lines_issue_id", "household_issue_lines", ["issue_id"], unique=False
    )
    op.create_table(
        LEDGER,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('receipt','issue','reversal')", name="ck_holding_entries_kind"
        ),
        sa.CheckConstraint("quantity <> 0", name="ck_holding_entries_quantity"),
        sa.ForeignKeyConstraint(["issue_id"], ["household_issues.id"]),
        sa.ForeignKeyConstraint(["item_code"], ["items.code"]),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("region_code", "order_id", "issue_id"):
        op.create_index(f"ix_{LEDGER}_{column}", LEDGER, [column], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {LEDGER}_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{LEDGER} is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {LEDGER}_no_change BEFORE UPDATE OR DELETE ON {LEDGER} "
            f"FOR EACH ROW EXECUTE FUNCTION {LEDGER}_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {LEDGER}_no_{verb.lower()} BEFORE {verb} ON {LEDGER} "
                f"BEGIN SELECT RAISE(ABORT, '{LEDGER} is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {LEDGER}_no_change ON {LEDGER}")
        op.execute(f"DROP FUNCTION IF EXISTS {LEDGER}_append_only()")
    for column in ("region_code", "order_id", "issue_id"):
        op.drop_index(f"ix_{LEDGER}_{column}", table_name=LEDGER)
    op.drop_table(LEDGER)
    op.drop_index("ix_household_issue_lines_issue_id", table_name="household_issue_lines")
    op.drop_table("household_issue_lines")
    for column in ("region_code", "event_id", "household_id"):
        op.drop_index(f"ix_household_issues_{column}", table_name="household_issues")
    op.drop_table("household_issues")
    op.drop_table("holdings")
