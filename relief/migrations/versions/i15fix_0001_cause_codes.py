"""临时救助 causes are codes (issue 15 review, finding 4): `subsidy_cases.cause` holds a code
of the policy's `temporary_relief.causes` (fire, illness…) and the new `cause_detail` its
free words. Existing rows: a known name (火灾, 交通事故… or the code itself; spaces and
width ignored) becomes its code; anything else becomes `other`, its text kept in
cause_detail.

Revision ID: i15fix_0001
Revises: mends_0001
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "i15fix_0001"
down_revision = "mends_0001"
branch_labels = None
depends_on = None

# relief.subsidies.temporary.DEFAULT_CAUSES as it was written (a migration keeps its copy).
NAMES = {
    "fire": ("火灾", "fire"),
    "traffic": ("交通事故", "traffic accident"),
    "accident": ("意外事故", "other accident"),
    "illness": ("重大疾病", "grave illness"),
    "disaster": ("自然灾害", "natural disaster"),
    "medical_costs": ("医疗支出骤增", "sudden medical costs"),
    "school_costs": ("教育支出骤增", "sudden schooling costs"),
    "other": ("其他", "other"),
}


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def code_of(text: str) -> str | None:
    key = _key(text)
    for code, (zh, en) in NAMES.items():
        if key in (code, _key(zh), _key(en)):
            return code
    return None


def upgrade() -> None:
    op.add_column("subsidy_cases", sa.Column("cause_detail", sa.String(length=200)))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, cause FROM subsidy_cases WHERE cause IS NOT NULL")
    ).all()
    for case_id, cause in rows:
        code = code_of(cause)
        detail = None if code is not None else (" ".join(cause.split())[:200] or None)
        bind.execute(
            sa.text("UPDATE subsidy_cases SET cause = :code, cause_detail = :detail WHERE id = :id"),
            {"code": code or "other", "detail": detail, "id": case_id},
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, cause, cause_detail FROM subsidy_cases WHERE cause IS NOT NULL")
    ).all()
    for case_id, code, detail in rows:
        text = detail if code == "other" and detail else NAMES.get(code, (code,))[0]
        bind.execute(
            sa.text("UPDATE subsidy_cases SET cause = :cause WHERE id = :id"),
            {"cause": text[:100], "id": case_id},
        )
    with op.batch_alter_table("subsidy_cases") as batch:
        batch.drop_column("cause_detail")
