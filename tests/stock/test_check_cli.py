"""`relief check`: OK and exit 0 when stock matches its ledger, the differences and exit 1
when it does not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from relief.cli import app
from relief.config import get_settings


@pytest.fixture
def run_check(database_url, monkeypatch) -> Iterator:
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()  # settings are read once per process
    yield lambda: CliRunner().invoke(app, ["check"])
    get_settings.cache_clear()


def test_check_is_ok_on_a_clean_ledger(engine, put_stock, run_check):
    put_stock("W1", "tent", 10, floor=2)
    put_stock("W2", "quilt", 4)
    result = run_check()
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "OK"


def test_check_prints_differences_and_exits_1(engine, put_stock, run_check):
    put_stock("W1", "tent", 10)
    with engine.begin() as conn:  # the triggers allow INSERT: a row written behind our back
        conn.execute(
            text(
                "INSERT INTO stock_movements (warehouse_code, item_code, lot, kind, "
                "on_hand_delta, reserved_delta, reference, reason, actor, at) VALUES "
                "('W1', 'tent', '', 'adjustment', -3, 0, '', 'forged', 'mallory', :at)"
            ),
            {"at": "2026-07-01 00:00:00"},
        )
    result = run_check()
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == "W1 tent: on hand 10, ledger 7 (difference +3)"
    assert "W1 tent lot (default): on hand 10, ledger 7 (difference +3)" in lines
    assert lines[-1] == "2 difference(s) between stock and ledger"
