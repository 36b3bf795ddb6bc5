"""Production settings refuse a weak secret key, and no error prints the database password
or the key (issue 12, point 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from relief.config import Settings
from relief.db import masked_url

PASSWORD = "s3cret-pw"
PG_URL = f"postgresql://relief:{PASSWORD}@127.0.0.1:1/relief"


def test_production_refuses_a_secret_key_shorter_than_32_bytes(tmp_path):
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(env="production", secret_key="k" * 31, var_dir=tmp_path)
    assert Settings(env="production", secret_key="k" * 32, var_dir=tmp_path).secret_key
    # Bytes, not characters: eleven Chinese characters are 33 bytes of UTF-8.
    assert Settings(env="production", secret_key="密" * 11, var_dir=tmp_path).secret_key


def test_development_keeps_accepting_a_short_key_for_local_use(tmp_path):
    assert Settings(env="development", secret_key="dev", var_dir=tmp_path).secret_key == "dev"


@pytest.mark.parametrize("key", [None, "short-key"], ids=["missing key", "short key"])
def test_a_refused_production_setting_echoes_neither_the_database_password_nor_the_key(
    tmp_path, key
):
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", secret_key=key, database_url=PG_URL, var_dir=tmp_path)
    assert "RELIEF_SECRET_KEY" in str(refused.value)
    assert PASSWORD not in str(refused.value)
    assert "short-key" not in str(refused.value)


def test_relief_refuses_to_start_with_a_short_production_key_and_says_why_without_secrets(
    tmp_path,
):
    relief = Path(sys.executable).parent / "relief"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")},
        "RELIEF_ENV": "production",
        "RELIEF_SECRET_KEY": "short-key",
        "RELIEF_DATABASE_URL": PG_URL,
    }
    done = subprocess.run(
        [str(relief), "check"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "RELIEF_SECRET_KEY must be at least 32 bytes" in output
    assert PASSWORD not in output
    assert "short-key" not in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (PG_URL, "postgresql://relief:***@127.0.0.1:1/relief"),
        ("postgresql+psycopg://u:p%40ss%3Aword@db/x", "postgresql+psycopg://u:***@db/x"),
        ("postgresql://u@db:5432/x?options=-csearch_path%3Ds", "postgresql://u@db:5432/x?options="),
        ("sqlite:///var/relief.db", "sqlite:///var/relief.db"),
    ],
)
def test_masked_url_shows_the_database_but_never_its_password(url, shown):
    assert masked_url(url).startswith(shown)
    for secret in (PASSWORD, "p%40ss", "p@ss", "word"):
        assert secret not in masked_url(url)


def test_a_url_that_cannot_be_parsed_is_not_echoed():
    assert "hunter2" not in masked_url("postgresql://u:hunter2@[::1/x")


def test_refusing_a_schema_that_is_behind_names_the_database(tmp_path):
    from relief.db import ensure_schema_current, make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        with pytest.raises(SystemExit, match="relief db upgrade") as refused:
            ensure_schema_current(engine)
    finally:
        engine.dispose()
    assert f"sqlite:///{tmp_path}/empty.db is empty" in str(refused.value)


def test_refusing_a_postgresql_schema_that_is_behind_masks_the_password():
    from sqlalchemy.engine import make_url

    from relief.db import ensure_schema_current, make_engine
    from tests.conftest import fresh_pg_schema, pg_reachable_or_skip

    pg_reachable_or_skip()
    with fresh_pg_schema("relief_behind") as url:
        # The test server trusts local connections, so any password gets in.
        with_password = make_url(url).set(password=PASSWORD).render_as_string(False)
        engine = make_engine(with_password)
        try:
            with pytest.raises(SystemExit) as refused:
                ensure_schema_current(engine)
        finally:
            engine.dispose()
    assert ":***@" in str(refused.value)
    assert PASSWORD not in str(refused.value)
