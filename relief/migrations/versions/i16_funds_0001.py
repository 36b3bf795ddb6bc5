"""Relief funds passed down (救灾资金下拨, issue 16): `fund_balances` (one row per region and
source level, never below zero) and `fund_entries`, its append-only ledger (triggers refuse
UPDATE and DELETE, as on the reserve and stock ledgers).

Revision ID: i16_funds_0001
Revises: i16_goods_0001
"""

import sqlalchemy as sa
from alembic import op

import relief.db

revision = "i16_funds_0001"
down_revision = "i16_goods_0001"
branch_labels = None
depends_on = None

LEDGER = "fund_entries"


def upgrade() -> None:
    op.create_table(
        "fund_balances",
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance_fen >= 0", name="ck_fund_balances_balance"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.PrimaryKeyConstraint("region_code", "source"),
    )
    op.create_table(
        LEDGER,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("counterpart_code", sa.String(length=64), nullable=True),
        sa.Column("document_no", sa.String(length=128), nullable=True),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("purpose", sa.String(length=1000), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("reserve_entry_id", sa.Integer(), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('receipt','allocation_out','allocation_in','reserve_draw','reversal')",
            name="ck_fund_entries_kind",
        ),
        sa.CheckConstraint(
            "source in ('central','province','city','county')", name="ck_fund_entries_source"
        ),
        sa.CheckConstraint("amount_fen <> 0", name="ck_fund_entries_amount"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.ForeignKeyConstraint(["counterpart_code"], ["regions.code"]),
        sa.ForeignKeyConstraint(["link_id"], [f"{LEDGER}.id"]),
        sa.ForeignKeyConstraint(["reserve_entry_id"], ["reserve_entries.id"]),
        sa.ForeignKeyConstraint(["reverses_id"], [f"{LEDGER}.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reverses_id", name="uq_fund_entries_reverses"),
    )
    op.create_index("ix_fund_entries_region_code", LEDGER, ["region_code"], unique=False)
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
    op.drop_index("ix_fund_entries_region_code", table_name=LEDGER)
    op.drop_table(LEDGER)
    op.drop_table("fund_balances")
