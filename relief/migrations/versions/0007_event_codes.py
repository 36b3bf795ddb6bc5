"""Event codes scoped by their scenario: `events.code` (the file stem) and
`events.scenario_code` (scenario.yaml's `code`, else the folder's name), unique together;
`plans.event_code`, the code of the plan's event when it was made.

Events loaded before this revision kept their file stem in `key`: it becomes their `code`,
with no scenario yet. The next load of their folder claims such an event (same stem, no
scenario) instead of making a second one, and rewrites its `key` to `scenario/code`.

Only columns and indexes are added (no batch copy): on SQLite a copy of `events` would
drop and recreate a table that other tables' foreign keys point at.

Revision ID: 0007
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("code", sa.String(length=128), nullable=True))
    op.add_column("events", sa.Column("scenario_code", sa.String(length=64), nullable=True))
    op.create_index("ix_events_code", "events", ["code"])
    op.create_index("uq_events_scenario_code", "events", ["scenario_code", "code"], unique=True)
    op.add_column("plans", sa.Column("event_code", sa.String(length=128), nullable=True))
    op.execute('UPDATE events SET code = "key" WHERE "key" IS NOT NULL')
    op.execute(
        "UPDATE plans SET event_code = (SELECT events.code FROM events JOIN responses"
        " ON responses.event_id = events.id WHERE responses.id = plans.response_id)"
    )


def downgrade() -> None:
    op.drop_column("plans", "event_code")
    op.drop_index("uq_events_scenario_code", table_name="events")
    op.drop_index("ix_events_code", table_name="events")
    op.drop_column("events", "scenario_code")
    op.drop_column("events", "code")
