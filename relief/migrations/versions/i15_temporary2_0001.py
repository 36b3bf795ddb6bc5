"""Several 临时救助 cases per registration (issue 15 part C follow-up): the one-case-per-
registration-and-programme rule (`uq_cases_household_programme`, a UNIQUE constraint)
becomes a partial unique index, `ux_cases_household_programme`, over the cases without a
`relief_type` — every kind but 临时救助, whose cases may repeat for another cause, a later
year or an approver's override (relief.subsidies.temporary checks those rules).

PostgreSQL drops the constraint and creates the index. SQLite cannot drop a constraint, and
`subsidy_cases` cannot be copied (Alembic's batch mode): the foreign keys of its transitions,
payments and documents refuse dropping it (see 0003, i15_kinds_0001). So on SQLite the
table's stored CREATE statement loses the UNIQUE clause and the constraint's automatic index
becomes the partial index (writable_schema, a new schema_version; SQLite's documented way,
https://www.sqlite.org/lang_altertable.html "Making Other Kinds Of Table Schema Changes"),
then REINDEX rebuilds the index's entries from the table (the partial index holds fewer).

Revision ID: i15_temporary2_0001
Revises: i16_funds_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "i15_temporary2_0001"
down_revision = "i16_funds_0001"
branch_labels = None
depends_on = None

TABLE = "subsidy_cases"
OLD = "uq_cases_household_programme"
NEW = "ux_cases_household_programme"
COLUMNS = ["household_id", "programme_code"]
WHERE = "relief_type IS NULL"


def _sqlite_to_partial_index(bind) -> None:
    (sql,) = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).one()
    clause = f"CONSTRAINT {OLD} UNIQUE (household_id, programme_code)"
    at = sql.find(clause)
    if at < 0:
        raise RuntimeError(f"{TABLE}: no {clause} to drop in {sql!r}")
    # The clause and the comma (and whitespace) before it.
    start = sql.rstrip()[:at].rstrip().rfind(",")
    new_sql = sql[:start] + sql[at + len(clause) :]
    autoindex = [
        row[1]
        for row in bind.exec_driver_sql(f"PRAGMA index_list({TABLE})").all()
        if row[3] == "u"
    ]
    if len(autoindex) != 1:
        raise RuntimeError(f"{TABLE}: expected one UNIQUE constraint's index, found {autoindex}")
    (version,) = bind.exec_driver_sql("PRAGMA schema_version").one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (new_sql, TABLE)
    )
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET name = ?, sql = ? WHERE type = 'index' AND name = ?",
        (
            NEW,
            f"CREATE UNIQUE INDEX {NEW} ON {TABLE} ({', '.join(COLUMNS)}) WHERE {WHERE}",
            autoindex[0],
        ),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    bind.exec_driver_sql(f"REINDEX {TABLE}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_to_partial_index(bind)
        return
    op.drop_constraint(OLD, TABLE, type_="unique")
    op.create_index(NEW, TABLE, COLUMNS, unique=True, postgresql_where=sa.text(WHERE))


def downgrade() -> None:
    # Several 临时救助 cases of one registration must go first (the full index would fail).
    # On SQLite the rule comes back as a unique index of the old name, not a table
    # constraint (the same rule; SQLite cannot add a constraint to a stored table).
    bind = op.get_bind()
    op.drop_index(NEW, table_name=TABLE)
    if bind.dialect.name == "sqlite":
        op.create_index(OLD, TABLE, COLUMNS, unique=True)
    else:
        op.create_unique_constraint(OLD, TABLE, COLUMNS)
