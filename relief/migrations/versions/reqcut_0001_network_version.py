"""The network's version token: one row that triggers replace in the same transaction as
every insert, update, delete (and, on PostgreSQL, truncate) of regions, warehouses and
roads. Processes key the road graph they cache by it (network.service.fastest_route), so
a road closed through one worker is routed around by every other worker's next transfer.

A random token rather than a counter: databases copied from one template, or emptied and
loaded again, never show a process a token it cached for other data.

Revision ID: reqcut_0001
Revises: i16left_0001
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "reqcut_0001"
down_revision = "i16left_0001"
branch_labels = None
depends_on = None

NETWORK_TABLES = ("regions", "warehouses", "roads")


def upgrade() -> None:
    op.create_table(
        "network_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        sa.text("INSERT INTO network_version (id, token) VALUES (1, :token)").bindparams(
            token=uuid.uuid4().hex
        )
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION network_version_bump() RETURNS trigger AS $$
            BEGIN
                INSERT INTO network_version (id, token) VALUES (1, gen_random_uuid()::text)
                ON CONFLICT (id) DO UPDATE SET token = excluded.token;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in NETWORK_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_network_version "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION network_version_bump()"
            )
    else:
        for table in NETWORK_TABLES:
            for verb in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_network_version_{verb.lower()} AFTER {verb} ON {table} "
                    "BEGIN INSERT OR REPLACE INTO network_version (id, token) "
                    "VALUES (1, lower(hex(randomblob(16)))); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in NETWORK_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_network_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS network_version_bump()")
    else:
        for table in NETWORK_TABLES:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_network_version_{verb}")
    op.drop_table("network_version")
