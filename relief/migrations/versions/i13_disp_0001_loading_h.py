"""Dispatch orders keep the loading time they were given: `dispatch_orders.loading_h`
(hours from approval until the trucks can leave, the policy's `loading_h`; null for orders
made before, read as the default of 2 h). Until an order is dispatched its goods are due at
created_at + loading_h + eta_h.

Revision ID: i13_disp_0001
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "i13_disp_0001"
down_revision = "0010"
branch_labels = None
depends_on = None


CHECK = "loading_h is null or loading_h >= 0"


def upgrade() -> None:
    # Not Alembic's batch copy on SQLite: recreating `dispatch_orders` is refused by the
    # foreign keys of its lines (see 0003); SQLite takes a column CHECK in ADD COLUMN.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE dispatch_orders ADD COLUMN loading_h NUMERIC(8, 2)"
            f" CONSTRAINT ck_dispatch_orders_loading CHECK ({CHECK})"
        )
        return
    op.add_column("dispatch_orders", sa.Column("loading_h", sa.Numeric(8, 2), nullable=True))
    op.create_check_constraint("ck_dispatch_orders_loading", "dispatch_orders", CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE dispatch_orders DROP COLUMN loading_h")
        return
    op.drop_constraint("ck_dispatch_orders_loading", "dispatch_orders", type_="check")
    op.drop_column("dispatch_orders", "loading_h")
