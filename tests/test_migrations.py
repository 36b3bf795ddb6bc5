"""The Alembic revisions and the models describe the same schema, and revision 0003 encrypts
bank accounts that earlier revisions kept in clear (in the table and in the audit trail),
on a database whose households already have cases (foreign keys enforced)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from relief.db import alembic_config, make_engine, upgrade
from relief.schema import include_name, metadata
from relief.subsidies.ids import vault_for
from tests.conftest import fresh_pg_schema, pg_reachable_or_skip

KEY = "a-key-for-the-migration-test"
ACCOUNT = "6228480010000000011"
OLD_ROWS = [
    "INSERT INTO regions (code, name, level, lat, lon) VALUES ('150125100', '可镇', 'township', 41.09, 111.45)",
    "INSERT INTO programmes (code, name, kind, region_code, budget_fen, notice_days, created_at)"
    " VALUES ('P', '项目', 'rebuild', '150125100', 100000000, 7, '2026-01-18 00:00:00')",
    "INSERT INTO subsidy_standards (id, programme_code, effective_from, damage, per_household_fen,"
    " per_household, created_at) VALUES (1, 'P', '2025-01-01', 'collapsed', 2500000, TRUE,"
    " '2026-01-18 00:00:00')",
    *(
        "INSERT INTO households (id, event_id, region_code, head_name, id_hash, id_cipher,"
        " id_masked, size, damage, rooms, category, bank_account, created_by, created_at)"
        f" VALUES ({n}, 1, '150125100', '张三', 'h{n}', 'x', '150125********0011', 3,"
        f" 'collapsed', 2, 'general', {account}, 'test', '2026-01-18 00:00:00')"
        for n, account in ((1, f"'{ACCOUNT}'"), (2, "NULL"))
    ),
    "INSERT INTO subsidy_cases (id, household_id, programme_code, standard_id, amount_fen, status,"
    " status_changed_at, created_by, created_at) VALUES (1, 1, 'P', 1, 2500000, 'registered',"
    " '2026-01-18 00:00:00', 'test', '2026-01-18 00:00:00')",
]


def test_migrating_to_head_gives_the_schema_the_models_describe(engine):
    with engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": include_name}), metadata
        )
    assert differences == []


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path) -> Iterator[str]:
    """An empty database URL of each kind (PostgreSQL: a fresh schema, when configured)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    pg_reachable_or_skip()
    with fresh_pg_schema("relief_mig") as url:
        yield url


def _at_0002_with_a_case(url: str) -> None:
    command.upgrade(alembic_config(url), "0002")
    old = make_engine(url)
    with old.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(text(statement))
        conn.execute(
            text(
                "INSERT INTO audit_records (actor, action, entity, entity_id, after, at)"
                " VALUES ('clerk', 'create', 'household', '1', :after, '2026-01-18 00:00:00')"
            ),
            {"after": json.dumps({"head_name": "张三", "bank_account": ACCOUNT})},
        )
    old.dispose()


@pytest.mark.db
def test_revision_0003_encrypts_clear_accounts_where_cases_refer_to_the_households(old_database):
    _at_0002_with_a_case(old_database)

    upgrade(old_database, secret_key=KEY)

    new = make_engine(old_database)
    with new.connect() as conn:
        rows = conn.execute(
            text("SELECT id, bank_cipher, bank_masked FROM households ORDER BY id")
        ).all()
        audit = conn.execute(text("SELECT after FROM audit_records")).scalar_one()
        cases = conn.execute(text("SELECT household_id FROM subsidy_cases")).scalars().all()
        columns = [c["name"] for c in inspect(conn).get_columns("households")]
    (_, cipher, masked), (_, no_cipher, no_mask) = rows
    assert "bank_account" not in columns
    assert ACCOUNT not in cipher and vault_for(KEY).decrypt_account(cipher) == ACCOUNT
    assert masked == "****0011" and (no_cipher, no_mask) == (None, None)
    after = audit if isinstance(audit, dict) else json.loads(audit)
    assert after == {"head_name": "张三", "bank_account": "****0011"}
    assert cases == [1]
    # The audit trail is append-only again after the one scrub.
    with pytest.raises(Exception, match="append-only"), new.begin() as conn:
        conn.execute(text("UPDATE audit_records SET actor = 'x'"))
    new.dispose()


@pytest.mark.db
def test_revision_0003_will_not_guess_the_key_for_accounts_it_must_encrypt(old_database):
    _at_0002_with_a_case(old_database)
    with pytest.raises(RuntimeError, match="RELIEF_SECRET_KEY"):
        upgrade(old_database)
    check = make_engine(old_database)
    with check.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0002"
    check.dispose()


@pytest.mark.db
def test_revision_0007_gives_loaded_events_their_code_and_plans_their_events_code(old_database):
    command.upgrade(alembic_config(old_database), "0003")
    old = make_engine(old_database)
    at = "'2026-07-01 00:00:00'"
    with old.begin() as conn:
        for statement in (
            'INSERT INTO events (id, name, hazard, started_at, "key", created_by, created_at)'
            f" VALUES (1, '洪涝', 'flood', {at}, 'flood', 'system', {at})",
            "INSERT INTO events (id, name, hazard, started_at, created_by, created_at)"
            f" VALUES (2, '手工', 'hail', {at}, 'zhang', {at})",
            "INSERT INTO responses (id, event_id, level, status, note, triggered_by,"
            f" triggered_at, level_changed_at) VALUES (1, 1, 2, 'active', '', 'zhang', {at}, {at})",
            "INSERT INTO plans (id, response_id, event, level, method, status, state, what_if,"
            " fingerprint, solve_seconds, inputs, result, created_at, created_by) VALUES"
            f" (1, 1, '洪涝', 2, 'greedy', 'feasible', 'draft', FALSE, 'f', 0, '{{}}', '{{}}',"
            f" {at}, 'zhang')",
        ):
            conn.execute(text(statement))
    old.dispose()

    upgrade(old_database)

    new = make_engine(old_database)
    with new.connect() as conn:
        events = conn.execute(
            text('SELECT id, code, scenario_code, "key" FROM events ORDER BY id')
        ).all()
        plan_code = conn.execute(text("SELECT event_code FROM plans")).scalar_one()
    new.dispose()
    # The next load of the folder claims event 1 (tests/scenario/test_reload.py).
    assert [tuple(row) for row in events] == [(1, "flood", None, "flood"), (2, None, None, None)]
    assert plan_code == "flood"


_LEDGER_ROW = (
    "INSERT INTO stock_movements (warehouse_code, item_code, lot, kind, on_hand_delta,"
    " reserved_delta, reference, reason, actor, at) VALUES ('W', 'tent', '', :kind, -5, 0,"
    " '', '', 'test', '2026-01-18 00:00:00')"
)


@pytest.mark.db
def test_revision_0004_keeps_ledger_rows_and_append_only_and_takes_disposal_and_stocktake(
    old_database,
):
    command.upgrade(alembic_config(old_database), "0003")
    old = make_engine(old_database)
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO regions (code, name, level, lat, lon)"
                " VALUES ('150000', '内蒙古', 'province', 40.8, 111.7)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO warehouses (code, name, tier, region_code, lat, lon, capacity_m3)"
                " VALUES ('W', '库', 'provincial', '150000', 40.8, 111.7, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO items (code, name_zh, name_en, unit, weight_kg, volume_m3, category)"
                " VALUES ('tent', '帐篷', 'tent', '顶', 25, 0.1, 'shelter')"
            )
        )
        conn.execute(text(_LEDGER_ROW), {"kind": "receipt"})
    old.dispose()

    upgrade(old_database, secret_key=KEY)

    new = make_engine(old_database)
    with new.begin() as conn:
        for kind in ("disposal", "stocktake"):
            conn.execute(text(_LEDGER_ROW), {"kind": kind})
        kinds = conn.execute(text("SELECT kind FROM stock_movements ORDER BY id")).scalars()
        assert list(kinds) == ["receipt", "disposal", "stocktake"]
    with pytest.raises(Exception, match="ck_stock_movements_kind|CHECK"), new.begin() as conn:
        conn.execute(text(_LEDGER_ROW), {"kind": "gift"})
    with pytest.raises(Exception, match="append-only"), new.begin() as conn:
        conn.execute(text("UPDATE stock_movements SET actor = 'x'"))
    with pytest.raises(Exception, match="append-only"), new.begin() as conn:
        conn.execute(text("DELETE FROM stock_movements"))
    new.dispose()


@pytest.mark.db
def test_revision_0006_drops_the_unkeyed_body_hashes_kept_before_it(old_database):
    import hashlib

    command.upgrade(alembic_config(old_database), "0003")
    unkeyed = hashlib.sha256(b'{"id_number":"150125198001010011"}').hexdigest()
    old = make_engine(old_database)
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO idempotency_keys (username, method, path, key, body_hash,"
                " status_code, response_body, created_at) VALUES ('clerk', 'POST',"
                " '/api/v1/households', 'k', :hash, 201, '{}', '2026-01-18 00:00:00')"
            ),
            {"hash": unkeyed},
        )
    old.dispose()

    upgrade(old_database, secret_key=KEY)

    new = make_engine(old_database)
    with new.connect() as conn:
        row = conn.execute(
            text("SELECT body_hash, status_code, lease_until FROM idempotency_keys")
        ).one()
    new.dispose()
    assert row[0] != unkeyed and len(row[0]) <= 64
    assert row[1] == 201 and row[2] is None


_PROGRAMME_ROW = (
    "INSERT INTO programmes (code, name, kind, region_code, budget_fen, notice_days, created_at)"
    " VALUES (:code, '项目', :kind, '150125100', 100000000, 7, '2026-01-18 00:00:00')"
)


@pytest.mark.db
def test_revision_i15_kinds_widens_the_programme_kinds_and_keeps_stored_rows(old_database):
    """Issue 15: the kinds transitional, winter_spring and temporary fit the CHECK after the
    revision (on SQLite too, where `programmes` cannot be copied for its foreign keys), a
    made-up kind still does not, stored programmes, standards and cases stay as they were,
    and the revision goes back down."""
    command.upgrade(alembic_config(old_database), "i14_forms_0001")
    old = make_engine(old_database)
    done: set[str] = set()
    with old.begin() as conn:
        for statement in OLD_ROWS:
            if "INSERT INTO households" in statement:  # without 0002's clear account
                statement = (
                    "INSERT INTO households (id, event_id, region_code, head_name, id_hash,"
                    " id_cipher, id_masked, size, damage, rooms, category, created_by,"
                    " created_at) VALUES (1, 1, '150125100', '张三', 'h1', 'x',"
                    " '150125********0011', 3, 'collapsed', 2, 'general', 'test',"
                    " '2026-01-18 00:00:00')"
                )
                if statement in done:
                    continue
                done.add(statement)
            conn.execute(text(statement))
        with pytest.raises(Exception, match="ck_programmes_kind|CHECK"), conn.begin_nested():
            conn.execute(text(_PROGRAMME_ROW), {"code": "T0", "kind": "transitional"})
    old.dispose()

    upgrade(old_database, secret_key=KEY)

    new = make_engine(old_database)
    with new.begin() as conn:
        for code, kind in (("T", "transitional"), ("W", "winter_spring"), ("L", "temporary")):
            conn.execute(text(_PROGRAMME_ROW), {"code": code, "kind": kind})
        kinds = conn.execute(text("SELECT code, kind FROM programmes ORDER BY code")).all()
        case = conn.execute(
            text("SELECT amount_fen, months, reference_fen FROM subsidy_cases")
        ).one()
        standard = conn.execute(
            text("SELECT per_household_fen, per_person_fen, share_of FROM subsidy_standards")
        ).one()
    assert [tuple(k) for k in kinds] == [
        ("L", "temporary"),
        ("P", "rebuild"),
        ("T", "transitional"),
        ("W", "winter_spring"),
    ]
    assert tuple(case) == (2500000, None, None) and tuple(standard) == (2500000, None, None)
    with pytest.raises(Exception, match="ck_programmes_kind|CHECK"), new.begin() as conn:
        conn.execute(text(_PROGRAMME_ROW), {"code": "X", "kind": "gift"})
    if new.dialect.name == "sqlite":
        with new.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    with new.begin() as conn:
        conn.execute(text("DELETE FROM programmes WHERE code IN ('T', 'W', 'L')"))
    new.dispose()

    command.downgrade(alembic_config(old_database), "i14_forms_0001")
    back = make_engine(old_database)
    with pytest.raises(Exception, match="ck_programmes_kind|CHECK"), back.begin() as conn:
        conn.execute(text(_PROGRAMME_ROW), {"code": "T", "kind": "transitional"})
    with back.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM subsidy_cases")).scalar() == 1
    back.dispose()


@pytest.mark.db
def test_revision_i15_temporary2_lets_temporary_cases_repeat_and_keeps_one_case_otherwise(
    old_database,
):
    """The one-case-per-registration key becomes a partial unique index (on SQLite by
    rewriting the stored schema, with a case and its transition in the table): several
    临时救助 cases (relief_type set) per registration fit, a second case of another kind
    does not, stored rows stay, and the revision goes back down."""
    command.upgrade(alembic_config(old_database), "i15_temporary_0001")
    old = make_engine(old_database)
    with old.begin() as conn:
        for statement in OLD_ROWS:
            if "INSERT INTO households" in statement:
                if "(2, 1," in statement:
                    continue
                statement = (
                    "INSERT INTO households (id, event_id, region_code, head_name, id_hash,"
                    " id_cipher, id_masked, size, damage, rooms, category, created_by,"
                    " created_at) VALUES (1, 1, '150125100', '张三', 'h1', 'x',"
                    " '150125********0011', 3, 'collapsed', 2, 'general', 'test',"
                    " '2026-01-18 00:00:00')"
                )
            conn.execute(text(statement))
        conn.execute(
            text(
                "INSERT INTO subsidy_case_transitions (case_id, action, from_status, to_status,"
                " note, actor, at) VALUES (1, 'village_review', 'registered',"
                " 'village_reviewed', '', 'test', '2026-01-18 00:00:00')"
            )
        )
        with (
            pytest.raises(Exception, match="uq_cases_household_programme|UNIQUE"),
            conn.begin_nested(),
        ):
            conn.execute(text(_CASE_ROW), {"id": 2, "relief_type": "emergency"})
    old.dispose()

    upgrade(old_database, secret_key=KEY)

    new = make_engine(old_database)
    with new.begin() as conn:
        for n in (2, 3):
            conn.execute(text(_CASE_ROW), {"id": n, "relief_type": "emergency"})
    with pytest.raises(Exception, match="ux_cases_household_programme|UNIQUE"), new.begin() as conn:
        conn.execute(text(_CASE_ROW), {"id": 4, "relief_type": None})
    with new.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM subsidy_cases")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM subsidy_case_transitions")).scalar() == 1
        if new.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    with new.begin() as conn:
        conn.execute(text("DELETE FROM subsidy_cases WHERE id IN (2, 3)"))
    new.dispose()

    command.downgrade(alembic_config(old_database), "i15_temporary_0001")
    back = make_engine(old_database)
    with (
        pytest.raises(Exception, match="uq_cases_household_programme|UNIQUE"),
        back.begin() as conn,
    ):
        conn.execute(text(_CASE_ROW), {"id": 2, "relief_type": "emergency"})
    back.dispose()


_CASE_ROW = (
    "INSERT INTO subsidy_cases (id, household_id, programme_code, standard_id, amount_fen,"
    " status, status_changed_at, created_by, created_at, relief_type) VALUES (:id, 1, 'P', 1,"
    " 100, 'registered', '2026-01-18 00:00:00', 'test', '2026-01-18 00:00:00', :relief_type)"
)


def test_revision_i15fix_codes_the_causes_of_temporary_cases(old_database):
    """Review of issue 15 (finding 4): a cause that is a known name becomes its code; any
    other text becomes `other`, kept in cause_detail; and back down."""
    command.upgrade(alembic_config(old_database), "mends_0001")
    old = make_engine(old_database)
    with old.begin() as conn:
        for statement in OLD_ROWS:
            if "INSERT INTO households" in statement:
                if "(2, 1," in statement:
                    continue
                statement = (
                    "INSERT INTO households (id, event_id, region_code, head_name, id_hash,"
                    " id_cipher, id_masked, size, damage, rooms, category, created_by,"
                    " created_at) VALUES (1, 1, '150125100', '张三', 'h1', 'x',"
                    " '150125********0011', 3, 'collapsed', 2, 'general', 'test',"
                    " '2026-01-18 00:00:00')"
                )
            conn.execute(text(statement))
        conn.execute(text("DELETE FROM subsidy_case_transitions"))
        conn.execute(text("DELETE FROM subsidy_cases"))
        for n, cause in ((1, "火灾"), (2, " 火  灾 "), (3, "房屋失火"), (4, "Traffic Accident")):
            conn.execute(text(_CASE_ROW), {"id": n, "relief_type": "emergency"})
            conn.execute(
                text("UPDATE subsidy_cases SET cause = :cause WHERE id = :id"),
                {"cause": cause, "id": n},
            )
    old.dispose()

    command.upgrade(alembic_config(old_database), "i15fix_0001")
    new = make_engine(old_database)
    with new.connect() as conn:
        rows = conn.execute(
            text("SELECT id, cause, cause_detail FROM subsidy_cases ORDER BY id")
        ).all()
    new.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "fire", None),
        (2, "fire", None),
        (3, "other", "房屋失火"),
        (4, "traffic", None),
    ]
    command.downgrade(alembic_config(old_database), "mends_0001")
    back = make_engine(old_database)
    with back.connect() as conn:
        causes = conn.execute(text("SELECT cause FROM subsidy_cases ORDER BY id")).scalars().all()
    back.dispose()
    assert causes == ["火灾", "火灾", "房屋失火", "交通事故"]


def _procrastinate_objects(url: str) -> dict[str, int]:
    """How many of procrastinate's tables and functions the URL's schema holds."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "postgresql":
                names = inspect(conn).get_table_names()
                return {"tables": sum(n.startswith("procrastinate_") for n in names)}
            tables = conn.execute(
                text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
                    " AND tablename LIKE 'procrastinate\\_%'"
                )
            ).scalar()
            functions = conn.execute(
                text(
                    "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'"
                )
            ).scalar()
            return {"tables": int(tables or 0), "functions": int(functions or 0)}
    finally:
        engine.dispose()


@pytest.mark.db
def test_revision_i16left_gives_postgresql_procrastinates_queue_and_takes_it_away(old_database):
    """`relief db upgrade` alone gives a fresh PostgreSQL what `relief worker` needs (the
    worker finds the queue there and applies nothing); SQLite gets nothing. Downgrade drops
    the queue; upgrading again brings it back."""
    from relief.allocation import jobs

    upgrade(old_database)
    found = _procrastinate_objects(old_database)
    if old_database.startswith("sqlite"):
        assert found == {"tables": 0}
        command.downgrade(alembic_config(old_database), "i15fix_0001")
        return
    assert found["tables"] >= 3 and found["functions"] >= 5
    assert jobs.ensure_procrastinate_schema(old_database) is False
    jobs.ProcrastinateRunner(old_database).submit(1)
    command.downgrade(alembic_config(old_database), "i15fix_0001")
    assert _procrastinate_objects(old_database) == {"tables": 0, "functions": 0}
    upgrade(old_database)
    assert _procrastinate_objects(old_database) == found


@pytest.mark.db
def test_revision_i16left_keeps_a_queue_the_worker_applied_before(old_database):
    """A database whose queue `relief worker` applied itself (the old path) upgrades over
    it: nothing created twice, the queued job still there."""
    from relief.allocation import jobs

    if old_database.startswith("sqlite"):
        pytest.skip("procrastinate runs on PostgreSQL only")
    command.upgrade(alembic_config(old_database), "i15fix_0001")
    assert jobs.ensure_procrastinate_schema(old_database) is True
    jobs.ProcrastinateRunner(old_database).submit(7)
    found = _procrastinate_objects(old_database)
    upgrade(old_database)
    assert _procrastinate_objects(old_database) == found
    engine = make_engine(old_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 1
    engine.dispose()
