"""Programme kinds of issue 15: `transitional` (过渡期生活救助), `winter_spring` (冬春生活救助)
and `temporary` (临时救助) beside rebuild and grain; their standards' new bases
(`per_person_fen`, `share_of` a policy reference standard with `percent`) and cap
(`cap_per_household_fen`); a case's `months` and `reference_fen`. All new columns are
nullable: stored standards and cases keep NULL and mean what they meant.

The kind is a CHECK constraint. PostgreSQL swaps it in place. SQLite cannot alter a
constraint, and `programmes` cannot be copied (Alembic's batch mode): the foreign keys of
`subsidy_cases` and `subsidy_standards` refuse dropping it (see 0003). So on SQLite the
table's stored CREATE statement gets the wider list, SQLite's documented way to change a
CHECK constraint in place (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds
Of Table Schema Changes": writable_schema, then a new schema_version).

Revision ID: i15_kinds_0001
Revises: i14_forms_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "i15_kinds_0001"
down_revision = "i14_forms_0001"
branch_labels = None
depends_on = None

CHECK = "ck_programmes_kind"
OLD = "kind in ('rebuild','grain')"
NEW = "kind in ('rebuild','grain','transitional','winter_spring','temporary')"
STANDARD_COLUMNS = (
    ("per_person_fen", sa.BigInteger()),
    ("share_of", sa.String(length=64)),
    ("percent", sa.Numeric(7, 2)),
    ("cap_per_household_fen", sa.BigInteger()),
)
CASE_COLUMNS = (("months", sa.Integer()), ("reference_fen", sa.BigInteger()))


def _swap_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(CHECK, "programmes", type_="check")
        op.create_check_constraint(CHECK, "programmes", new)
        return
    (sql,) = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'programmes'"
    ).one()
    if old not in sql:
        raise RuntimeError(f"programmes: no CHECK ({old}) to change in {sql!r}")
    (version,) = bind.exec_driver_sql("PRAGMA schema_version").one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'programmes'",
        (sql.replace(old, new),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _swap_check(OLD, NEW)
    for name, type_ in STANDARD_COLUMNS:
        op.add_column("subsidy_standards", sa.Column(name, type_, nullable=True))
    for name, type_ in CASE_COLUMNS:
        op.add_column("subsidy_cases", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # Programmes of the new kinds must go first (the narrower CHECK would not hold).
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in (("subsidy_cases", CASE_COLUMNS), ("subsidy_standards", STANDARD_COLUMNS)):
        for name, _ in reversed(columns):
            if sqlite:
                op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
            else:
                op.drop_column(table, name)
    _swap_check(NEW, OLD)
