"""The quick report's figures (issue 14): `event_reports` gets the other figures of
《自然灾害情况统计调查制度》's quick report (people, dwelling rooms, crop areas in 公顷,
losses in 万元) and `explanation`, all nullable: stored reports keep NULL (not reported).
`regions.rural_population` (乡村人口) is the denominator of a policy's share criteria.

Revision ID: i14_fields
Revises: i13_disp_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "i14_fields"
down_revision = "i13_disp_0001"
branch_labels = None
depends_on = None

INTEGERS = (
    "affected",
    "injured",
    "injured_severe",
    "evacuated",
    "relocated_central",
    "relocated_dispersed",
    "shelters",
    "needing_transitional_aid",
    "drought_needing_aid",
    "drought_water_shortage",
    "collapsed_dwelling_rooms",
    "severe_dwelling_rooms",
    "general_dwelling_rooms",
)
DECIMALS = (
    "crop_affected_ha",
    "crop_damaged_ha",
    "crop_lost_ha",
    "crop_affected_grain_ha",
    "crop_damaged_grain_ha",
    "crop_lost_grain_ha",
    "loss_total",
    "loss_housing",
    "loss_agriculture",
    "loss_industry",
    "loss_infrastructure",
    "loss_public_services",
    "loss_other",
)


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy on SQLite: `regions` is referenced by foreign keys).
    # The checks (>= 0) are added where the database can add one to a table in place;
    # on SQLite the API's and the reader's checks hold them.
    checks = op.get_bind().dialect.name != "sqlite"
    for name in INTEGERS:
        op.add_column("event_reports", sa.Column(name, sa.Integer(), nullable=True))
    for name in DECIMALS:
        op.add_column("event_reports", sa.Column(name, sa.Numeric(14, 2), nullable=True))
    op.add_column("event_reports", sa.Column("explanation", sa.String(length=2000), nullable=True))
    op.add_column("regions", sa.Column("rural_population", sa.Integer(), nullable=True))
    if checks:
        for name in (*INTEGERS, *DECIMALS):
            op.create_check_constraint(f"ck_event_reports_{name}", "event_reports", f"{name} >= 0")
        op.create_check_constraint(
            "ck_regions_rural_population",
            "regions",
            "rural_population is null or rural_population >= 0",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_regions_rural_population", "regions", type_="check")
        for name in (*INTEGERS, *DECIMALS):
            op.drop_constraint(f"ck_event_reports_{name}", "event_reports", type_="check")
    op.drop_column("regions", "rural_population")
    op.drop_column("event_reports", "explanation")
    for name in reversed((*INTEGERS, *DECIMALS)):
        op.drop_column("event_reports", name)
