"""Engine, sessions and migrations.

SQLite (the embedded default) has no row locks: every connection runs in WAL mode with a
busy timeout, and write transactions start with BEGIN IMMEDIATE so that racing writers
queue up instead of failing half-way. PostgreSQL uses ordinary transactions with row locks
taken by the services (SELECT … FOR UPDATE).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, TypeDecorator, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from relief.config import Settings, sqlalchemy_url
from relief.errors import DomainError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000

log = logging.getLogger("relief.db")


# Defaults of the engine outside the server (tests, benchmarks); the server's come from the
# settings (RELIEF_DB_*, relief/config.py) through `engine_for`.
POOL_SIZE = 10
MAX_OVERFLOW = 5
POOL_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 30_000


def make_engine(
    url: str,
    *,
    pool_size: int = POOL_SIZE,
    max_overflow: int = MAX_OVERFLOW,
    pool_timeout_s: float = POOL_TIMEOUT_S,
    connect_timeout_s: int = CONNECT_TIMEOUT_S,
    statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
    **kwargs,
) -> Engine:
    """An engine whose pool holds at most pool_size + max_overflow connections; a caller
    that finds them all taken waits pool_timeout_s, then gets sqlalchemy's TimeoutError
    (503 `busy`). On PostgreSQL, connecting waits at most connect_timeout_s and a statement
    runs at most statement_timeout_ms (0: no limit)."""
    url = sqlalchemy_url(url)
    pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout_s}
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        if _sqlite_in_memory(url):
            pool = {}  # one connection per thread, no queue to size
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, **pool, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    target = make_url(url)
    if statement_timeout_ms:
        # Added to the URL's own `options` (a test schema's search_path, say), not instead.
        options = target.query.get("options", "")
        if isinstance(options, tuple):
            options = " ".join(options)
        options = f"{options} -c statement_timeout={statement_timeout_ms}".strip()
        target = target.update_query_dict({"options": options})
    return create_engine(
        target,
        pool_pre_ping=True,
        connect_args={"connect_timeout": connect_timeout_s},
        **pool,
        **kwargs,
    )


def masked_url(url: str) -> str:
    """The database URL fit for an error message or a log: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(a database URL that cannot be parsed)"


def _sqlite_in_memory(url: str) -> bool:
    path = url.split(":///", 1)[-1] if ":///" in url else ""
    return path in ("", ":memory:") or "mode=memory" in url


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver callback
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - driver callback
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_for(engine: Engine, *, write: bool) -> Session:
    """A session; `write=True` takes SQLite's write lock at BEGIN (no-op on PostgreSQL)."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    return Session(bind, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One write transaction for a command: commit on success, roll back on any error."""
    session = session_for(engine, write=True)
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if is_lock_error(exc):
            raise busy_error(exc) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def busy_error(exc: OperationalError) -> DomainError:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    # The database's own words (English, e.g. "database is locked") go to the log, not to
    # the user: the message is said in the user's language.
    log.warning("database busy: %s", text.splitlines()[0] if text else repr(exc))
    return DomainError("busy", "the database is busy, retry later")


def is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return any(
        s in text
        for s in ("database is locked", "deadlock detected", "could not serialize", "lock timeout")
    )


# --- migrations -------------------------------------------------------------------------


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, engine: Engine | None = None, secret_key: str | None = None) -> None:
    """Create or migrate the database to the newest revision. `secret_key` is the server's
    (revisions that encrypt existing data need it, e.g. 0003's bank accounts)."""
    cfg = alembic_config(url)
    cfg.attributes["secret_key"] = secret_key
    owned = engine is None
    # A migration may rewrite a whole table in one statement: no statement timeout.
    engine = engine or make_engine(url, statement_timeout_ms=0)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        if owned:
            engine.dispose()


def schema_status(engine: Engine) -> tuple[str | None, str]:
    """(current revision, head revision) of the database."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head or ""


def ensure_schema_current(engine: Engine) -> None:
    current, head = schema_status(engine)
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise SystemExit(
            f"The database schema at {masked_url(str(engine.url))} is {state}, behind the "
            f"code (revision {head}). "
            "Run `relief db upgrade` (RELIEF_DATABASE_URL selects the database) and start again."
        )


def engine_for(settings: Settings) -> Engine:
    """The server's engine, sized and timed by the settings (RELIEF_DB_*)."""
    return make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout_s=settings.db_pool_timeout_s,
        connect_timeout_s=settings.db_connect_timeout_s,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )


# --- column types -----------------------------------------------------------------------


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: relief stores timezone-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_session(request: Request) -> AsyncIterator[Session]:  # FastAPI dependency
    """A session for one request; writes take SQLite's lock at BEGIN. Handlers commit.

    `async` though the session is synchronous: making one does no I/O (it connects at its
    first statement, in the handler's thread), so only closing it, which hands the
    connection back to the pool, goes to a worker thread: one thread hop per request where
    a plain generator dependency took two."""
    session = session_for(request.app.state.engine, write=request.method in WRITE_METHODS)
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


def new_revision(message: str, rev_id: str | None = None, head: str = "head") -> None:
    """Autogenerate a revision against a scratch SQLite database migrated to `head`."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scratch.db"
        engine = make_engine(url)
        cfg = alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            if head != "base":
                command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
        engine.dispose()
