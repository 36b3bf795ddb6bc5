"""Ledger kinds `disposal` (报废, expired stock leaving the books) and `stocktake` (盘点, the
counted quantity booked as a difference), and `stock_movements.counted`, what a stocktake
found on the shelf.

The kind is a CHECK constraint. PostgreSQL swaps it in place. SQLite cannot alter a
constraint, so the table is copied (Alembic's batch mode); nothing refers to the ledger by
foreign key, so the copy is safe, but the copy loses 0002's append-only triggers, which are
put back as 0002 created them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_KINDS = "'receipt','adjustment','reservation','release','dispatch','transfer_out','transfer_in'"
NEW_KINDS = OLD_KINDS + ",'disposal','stocktake'"
CHECK = "ck_stock_movements_kind"


def _swap_kind_check(kinds: str, *, counted: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        if counted:
            op.add_column("stock_movements", sa.Column("counted", sa.BigInteger(), nullable=True))
        else:
            op.drop_column("stock_movements", "counted")
        op.drop_constraint(CHECK, "stock_movements", type_="check")
        op.create_check_constraint(CHECK, "stock_movements", f"kind in ({kinds})")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS stock_movements_no_{verb}")
    with op.batch_alter_table("stock_movements", recreate="always") as batch:
        if counted:
            batch.add_column(sa.Column("counted", sa.BigInteger(), nullable=True))
        else:
            batch.drop_column("counted")
        batch.drop_constraint(CHECK, type_="check")
        batch.create_check_constraint(CHECK, f"kind in ({kinds})")
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER stock_movements_no_{verb.lower()} BEFORE {verb} ON stock_movements "
            "BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END"
        )


def upgrade() -> None:
    _swap_kind_check(NEW_KINDS, counted=True)


def downgrade() -> None:
    _swap_kind_check(OLD_KINDS, counted=False)
