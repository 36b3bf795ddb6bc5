"""Indexes behind the paginated lists (issue 17): the dispatch orders' scope filters
(destination kind and code; a response's orders of one status) and one event's reports of
the regions in a user's scope; a warehouse's ledger rows by reference (a receipt's check
that its 入库单号 is new reads them before it takes any lock).

Revision ID: i17_workers_0001
Revises: i15_temporary_0001
"""

from alembic import op

revision = "i17_workers_0001"
down_revision = "i15_temporary_0001"
branch_labels = None
depends_on = None


INDEXES = (
    ("ix_dispatch_orders_destination", "dispatch_orders", ["destination_kind", "destination_code"]),
    ("ix_dispatch_orders_response_status", "dispatch_orders", ["response_id", "status"]),
    ("ix_event_reports_event_region", "event_reports", ["event_id", "region_code"]),
    ("ix_stock_movements_wh_reference", "stock_movements", ["warehouse_code", "reference"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
