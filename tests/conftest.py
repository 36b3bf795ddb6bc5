"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
RELIEF_TEST_DATABASE_URL is set), an app client, users and tokens.

Tests that use the `engine` fixture are marked `db` automatically; `.ci/run` runs those
again against PostgreSQL. Each PostgreSQL run migrates a fresh schema and drops it after.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import Engine

from relief import clock
from relief.config import Settings, TestSettings
from relief.db import make_engine, masked_url, upgrade
from relief.schema import metadata

hypothesis_settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile("dev", max_examples=30, deadline=None)
hypothesis_settings.load_profile("ci")

TEST_SETTINGS = TestSettings()

# Argon2 at production cost takes about a second per hash on a busy 2-core machine; the
# tests create and log in hundreds of users, so they hash at the library's lowest sane cost.
# What is tested (hash, verify, reject) is the same code path.
from argon2 import PasswordHasher  # noqa: E402

import relief.auth.service as _auth_service  # noqa: E402

_auth_service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PG_URL = TEST_SETTINGS.relief_test_database_url


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_report_header(config):
    target = (
        f"PostgreSQL {masked_url(PG_URL)}"
        if PG_URL
        else "SQLite (set RELIEF_TEST_DATABASE_URL for PostgreSQL)"
    )
    return f"relief database tests run on: {target}"


# --- database --------------------------------------------------------------------------


def _pg_reachable(url: str) -> str | None:
    try:
        eng = make_engine(url)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # any failure to connect is reported as one line
        return str(exc).splitlines()[0]


def pg_reachable_or_skip() -> None:
    """Skip when PostgreSQL is not configured or not reachable (a failure in CI)."""
    if not PG_URL:
        pytest.skip("RELIEF_TEST_DATABASE_URL is not a PostgreSQL URL")
    problem = _pg_reachable(PG_URL)
    if problem:
        shown = masked_url(PG_URL)
        if TEST_SETTINGS.ci:
            pytest.exit(f"PostgreSQL at {shown} is unreachable in CI: {problem}", returncode=3)
        pytest.skip(f"PostgreSQL at {shown} is unreachable: {problem}")


@contextmanager
def fresh_pg_schema(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL schema and the URL that uses it; dropped afterwards, so runs
    never see each other's data."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory) -> Iterator[dict]:
    """Migrate once per test session: a SQLite template file, or a fresh PostgreSQL schema."""
    if PG_URL:
        pg_reachable_or_skip()
        with fresh_pg_schema("relief_test") as url:
            upgrade(url)
            yield {"kind": "postgresql", "url": url}
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite:///{path}")
        yield {"kind": "sqlite", "path": path}


@pytest.fixture
def database_url(_database_template, tmp_path) -> Iterator[str]:
    if _database_template["kind"] == "sqlite":
        target = tmp_path / "relief.db"
        shutil.copyfile(_database_template["path"], target)
        yield f"sqlite:///{target}"
    else:
        url = _database_template["url"]
        yield url
        eng = make_engine(url)
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        eng.dispose()


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def is_postgres(engine) -> bool:
    return engine.dialect.name == "postgresql"


# --- clock -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _system_clock() -> Iterator[None]:
    yield
    clock.set_clock(None)


# --- application -----------------------------------------------------------------------


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        database_url=database_url, secret_key="test-secret-key-" + "x" * 32, var_dir=tmp_path
    )


@pytest.fixture
def app(settings, engine):
    from relief.app import create_app

    return create_app(settings, engine)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def pytest_configure(config):
    Path("var").mkdir(exist_ok=True)


# --- users -----------------------------------------------------------------------------

PASSWORD = "correct-horse-42"


@pytest.fixture
def make_user(engine):
    """Create a user through the service (scopes must name existing codes)."""
    from relief.auth import service
    from relief.auth.models import SYSTEM, UserCreate
    from relief.db import transaction

    def _make(username: str, role: str, warehouses=(), regions=()) -> str:
        with transaction(engine) as session:
            service.create_user(
                session,
                SYSTEM,
                UserCreate(
                    username=username,
                    password=PASSWORD,
                    role=role,
                    warehouse_codes=list(warehouses),
                    region_codes=list(regions),
                ),
            )
        return username

    return _make


@pytest.fixture
def login(client):
    """Headers with a bearer token for a user created with `make_user`."""

    def _login(username: str) -> dict[str, str]:
        reply = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        assert reply.status_code == 200, reply.text
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    return _login


@pytest.fixture
def admin_headers(make_user, login) -> dict[str, str]:
    make_user("admin", "admin")
    return login("admin")


@pytest.fixture
def live_server(app):
    """The app served by uvicorn on a free loopback port, for truly parallel requests."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", workers=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def parallel():
    """Run callables at once (a barrier releases them together); returns their results."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    def _run(calls):
        barrier = threading.Barrier(len(calls))

        def wrapped(call):
            barrier.wait()
            return call()

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(wrapped, calls))

    return _run


# --- statements ------------------------------------------------------------------------


@pytest.fixture
def count_statements(engine):
    """How many SQL statements a call issues on the test engine: `count_statements(fn)`.
    A list request whose count grows with its page size runs a query per row (N+1)."""
    from sqlalchemy import event

    def _count(call) -> int:
        seen: list[str] = []

        def _on_execute(_conn, _cursor, statement, *_args) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", _on_execute)
        try:
            call()
        finally:
            event.remove(engine, "before_cursor_execute", _on_execute)
        return len(seen)

    return _count
