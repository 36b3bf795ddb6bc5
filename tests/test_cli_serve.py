"""`relief serve --workers N`: several uvicorn worker processes, each building its own app
(and its own connection pool) from the environment; one worker serves the app directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from relief.app import app_from_environment
from relief.cli import app as cli
from relief.config import get_settings


@pytest.fixture
def cli_database(database_url: str, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def uvicorn_calls(monkeypatch) -> list[tuple[tuple, dict]]:
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_several_workers_are_started_from_the_app_factory(cli_database, uvicorn_calls):
    result = CliRunner().invoke(
        cli, ["serve", "--workers", "4", "--host", "0.0.0.0", "--port", "8080"]
    )
    assert result.exit_code == 0, result.output
    [(args, kwargs)] = uvicorn_calls
    assert args == ("relief.app:app_from_environment",)
    assert kwargs["factory"] is True
    assert (kwargs["workers"], kwargs["host"], kwargs["port"]) == (4, "0.0.0.0", 8080)


def test_one_worker_serves_the_app_itself(cli_database, uvicorn_calls):
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    [(args, kwargs)] = uvicorn_calls
    assert not isinstance(args[0], str)  # the app, not an import string
    assert (kwargs["host"], kwargs["port"]) == ("127.0.0.1", 8000)
    assert "workers" not in kwargs


def test_zero_workers_is_refused(cli_database, uvicorn_calls):
    result = CliRunner().invoke(cli, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert uvicorn_calls == []


def test_a_worker_builds_its_app_from_the_environment(cli_database):
    with TestClient(app_from_environment()) as client:
        assert client.get("/api/v1/health").json() == {"status": "ok"}
