"""Database faults are 503 `busy`, quickly, never a hang or a 500 (issue 12, point 14).

The pool is sized by settings (RELIEF_DB_POOL_SIZE, RELIEF_DB_MAX_OVERFLOW) and a request
that finds it exhausted waits at most RELIEF_DB_POOL_TIMEOUT_S; connecting waits at most
RELIEF_DB_CONNECT_TIMEOUT_S; on PostgreSQL one statement runs at most
RELIEF_DB_STATEMENT_TIMEOUT_MS. The API answers the JSON envelope with Retry-After, the web
UI a page in Chinese. No test here measures time: each would hang (or 500) without the
setting it checks.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from relief.app import create_app
from relief.config import Settings
from relief.db import engine_for, get_session
from tests.conftest import PASSWORD

SECRET = "test-secret-key-" + "x" * 32


def _settings(database_url: str, tmp_path, **db) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET, var_dir=tmp_path, **db)


def _assert_busy_json(reply) -> None:
    assert reply.status_code == 503, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json()["detail"]["code"] == "busy"
    assert int(reply.headers["Retry-After"]) > 0


def _assert_busy_page(reply) -> None:
    assert reply.status_code == 503, reply.text
    assert reply.headers["content-type"].startswith("text/html")
    assert "数据库繁忙，请稍后重试" in reply.text
    assert '<html lang="zh-CN"' in reply.text


# --- the pool ------------------------------------------------------------------------------


def test_the_pool_is_sized_by_the_settings(database_url, tmp_path):
    settings = _settings(database_url, tmp_path, db_pool_size=3, db_max_overflow=2)
    engine = engine_for(settings)
    try:
        assert engine.pool.size() == 3
        assert engine.pool._max_overflow == 2
    finally:
        engine.dispose()


def test_a_request_that_finds_the_pool_exhausted_is_503_busy_on_the_api_and_a_page_on_the_ui(
    database_url, tmp_path, make_user
):
    make_user("duty", "duty_officer")
    settings = _settings(
        database_url, tmp_path, db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=0.2
    )
    engine = engine_for(settings)
    try:
        with TestClient(create_app(settings, engine)) as client:
            token = client.post(
                "/api/v1/auth/token", data={"username": "duty", "password": PASSWORD}
            )
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            signed_in = client.post(
                "/login", data={"username": "duty", "password": PASSWORD}, follow_redirects=False
            )
            assert signed_in.status_code == 303
            held = engine.connect()  # the only connection, taken by "another request"
            try:
                _assert_busy_json(client.get("/api/v1/me", headers=bearer))
                _assert_busy_page(client.get("/events"))
            finally:
                held.close()
            assert client.get("/api/v1/me", headers=bearer).status_code == 200
    finally:
        engine.dispose()


# --- connecting ----------------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word, like a server whose
    PostgreSQL hangs or a firewall that swallows the replies."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_a_database_that_never_answers_is_503_busy_after_the_connect_timeout(
    silent_server, tmp_path
):
    url = f"postgresql://relief:s3cret-pw@127.0.0.1:{silent_server}/relief"
    settings = _settings(url, tmp_path, db_connect_timeout_s=1)
    engine = engine_for(settings)
    try:
        # No `with`: the start-up schema check would meet the same silence.
        client = TestClient(create_app(settings, engine))
        reply = client.post("/api/v1/auth/token", data={"username": "u", "password": "p"})
        _assert_busy_json(reply)
        assert "s3cret-pw" not in reply.text
        _assert_busy_page(client.post("/login", data={"username": "u", "password": "p"}))
    finally:
        engine.dispose()


def test_a_refused_connection_is_503_busy(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    settings = _settings(f"postgresql://relief@127.0.0.1:{port}/relief", tmp_path)
    engine = engine_for(settings)
    try:
        client = TestClient(create_app(settings, engine))
        _assert_busy_json(
            client.post("/api/v1/auth/token", data={"username": "u", "password": "p"})
        )
    finally:
        engine.dispose()


# --- statements (PostgreSQL) ---------------------------------------------------------------


def test_a_statement_that_outlasts_the_statement_timeout_is_cancelled_and_is_503_busy(
    database_url, engine, is_postgres, tmp_path
):
    if not is_postgres:
        pytest.skip("statement_timeout is PostgreSQL's (SQLite has its busy timeout)")
    settings = _settings(database_url, tmp_path, db_statement_timeout_ms=200)
    limited = engine_for(settings)
    try:
        with limited.connect() as conn:
            # The test database's own connection options (its search_path) are kept.
            assert conn.execute(text("show search_path")).scalar() in database_url
            with pytest.raises(OperationalError):
                conn.execute(text("select pg_sleep(3)"))

        app = create_app(settings, limited)

        @app.get("/api/v1/slow-report")
        def slow_report(session: Session = Depends(get_session)) -> dict[str, str]:
            session.exec(text("select pg_sleep(3)"))
            return {"status": "done"}

        with TestClient(app) as client:
            _assert_busy_json(client.get("/api/v1/slow-report"))
    finally:
        limited.dispose()
