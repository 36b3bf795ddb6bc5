"""The Alembic revisions and the models describe the same schema, and revision 0003 encrypts
bank accounts that earlier revisions kept in clear."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from relief.db import alembic_config, make_engine, upgrade
from relief.schema import metadata
from relief.subsidies.ids import vault_for


def test_migrating_to_head_gives_the_schema_the_models_describe(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_revision_0003_encrypts_clear_bank_accounts_and_drops_the_clear_column(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("RELIEF_SECRET_KEY", "a-key-for-the-migration-test")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0002")
    old = make_engine(url)
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO regions (code, name, level, lat, lon)"
                " VALUES ('150125100', '可镇', 'township', 41.09, 111.45)"
            )
        )
        for household_id, account in ((1, "6228480010000000011"), (2, None)):
            conn.execute(
                text(
                    "INSERT INTO households (id, event_id, region_code, head_name, id_hash,"
                    " id_cipher, id_masked, size, damage, rooms, category, bank_account,"
                    " created_by, created_at) VALUES (:id, 1, '150125100', '张三', :hash, 'x',"
                    " '150125********0011', 3, 'severe', 2, 'general', :account, 'test',"
                    " '2026-01-18 00:00:00')"
                ),
                {"id": household_id, "hash": f"h{household_id}", "account": account},
            )
    old.dispose()

    upgrade(url)

    new = make_engine(url)
    with new.connect() as conn:
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(households)"))}
        rows = conn.execute(
            text("SELECT id, bank_cipher, bank_masked FROM households ORDER BY id")
        ).all()
    new.dispose()
    assert "bank_account" not in columns
    vault = vault_for("a-key-for-the-migration-test")
    (first_id, cipher, masked), (second_id, no_cipher, no_mask) = rows
    assert "6228480010000000011" not in cipher
    assert vault.decrypt_account(cipher) == "6228480010000000011"
    assert masked == "****0011"
    assert (no_cipher, no_mask) == (None, None)
