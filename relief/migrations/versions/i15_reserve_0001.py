"""The role `township_staff` (乡镇民政助理) and the township reserve fund (备用金, issue 15):
`reserve_balances` (one row per township, never below zero) and `reserve_entries`, its
append-only ledger (triggers refuse UPDATE and DELETE, as on the stock ledger).

The role is a CHECK constraint on `users`. PostgreSQL swaps it in place; SQLite copies the
table (Alembic's batch mode); no table refers to `users` by foreign key.

Revision ID: i15_reserve_0001
Revises: i15_kinds_0001
"""

import sqlalchemy as sa
from alembic import op

import relief.db

revision = "i15_reserve_0001"
down_revision = "i15_kinds_0001"
branch_labels = None
depends_on = None

OLD_ROLES = "'admin','duty_officer','warehouse_manager','county_staff','approver'"
NEW_ROLES = OLD_ROLES + ",'township_staff'"
CHECK = "ck_users_role"
LEDGER = "reserve_entries"


def _swap_role_check(roles: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(CHECK, "users", type_="check")
        op.create_check_constraint(CHECK, "users", f"role in ({roles})")
        return
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.drop_constraint(CHECK, type_="check")
        batch.create_check_constraint(CHECK, f"role in ({roles})")


def upgrade() -> None:
    _swap_role_check(NEW_ROLES)
    op.create_table(
        "reserve_balances",
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance_fen >= 0", name="ck_reserve_balances_balance"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.PrimaryKeyConstraint("region_code"),
    )
    op.create_table(
        LEDGER,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("document_no", sa.String(length=128), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", relief.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('top_up','payment','reversal')", name="ck_reserve_entries_kind"
        ),
        sa.CheckConstraint("amount_fen <> 0", name="ck_reserve_entries_amount"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["subsidy_cases.id"]),
        sa.ForeignKeyConstraint(["reverses_id"], [f"{LEDGER}.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reverses_id", name="uq_reserve_entries_reverses"),
    )
    op.create_index("ix_reserve_entries_region_code", LEDGER, ["region_code"], unique=False)
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
    op.drop_index("ix_reserve_entries_region_code", table_name=LEDGER)
    op.drop_table(LEDGER)
    op.drop_table("reserve_balances")
    op.execute("DELETE FROM users WHERE role = 'township_staff'")
    _swap_role_check(OLD_ROLES)
