"""Procrastinate's job queue (the background plan runner on PostgreSQL, relief.allocation.jobs,
`relief worker`) under Alembic: its tables, types, functions and triggers, from the schema of
the installed procrastinate (`App.schema_manager.get_schema()`), so that `relief db upgrade`
on a fresh PostgreSQL gives everything the worker needs. PostgreSQL only: a no-op on SQLite,
where plans run in a thread. Idempotent: a database whose queue was applied by the old path
(`relief worker` applying the schema itself) keeps it as it is.

Downgrade drops the queue (its jobs with it): procrastinate's tables, then its functions and
types, each found by its `procrastinate_` name in the current schema.

Revision ID: i16left_0001
Revises: i15fix_0001
"""

from alembic import op
from sqlalchemy import text

revision = "i16left_0001"
down_revision = "i15fix_0001"
branch_labels = None
depends_on = None


def _schema_sql() -> str:
    from procrastinate import App, testing

    # The schema text needs no connection: an in-memory connector stands in.
    return App(connector=testing.InMemoryConnector()).schema_manager.get_schema()


def _driver_execute(sql: str) -> None:
    """Run a multi-statement script as it is (dollar quotes, percent signs) on the
    migration's own connection, inside its transaction."""
    cursor = op.get_bind().connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    present = bind.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar()
    if present:
        return
    _driver_execute(_schema_sql())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    tables = bind.execute(
        text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename LIKE 'procrastinate\\_%'"
        )
    ).scalars()
    for table in tables.all():
        bind.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    functions = bind.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'"
        )
    ).scalars()
    for function in functions.all():
        bind.execute(text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))
    types = bind.execute(
        text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'"
            " AND t.typtype IN ('e', 'c', 'd')"
        )
    ).scalars()
    for name in types.all():
        bind.execute(text(f'DROP TYPE IF EXISTS "{name}" CASCADE'))
