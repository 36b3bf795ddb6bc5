"""Settings: the only reader of the environment (pydantic-settings, prefix RELIEF_)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")
# Production keys are at least this long (bytes of the UTF-8 text): HS256 tokens and the
# ID-number keys derived from it are only as strong as the key.
MIN_SECRET_KEY_BYTES = 32


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting must not print the others (the database
    # URL's password, the secret key) in its error message.
    model_config = SettingsConfigDict(
        env_prefix="RELIEF_", extra="ignore", hide_input_in_errors=True
    )

    env: Literal["development", "production"] = "development"
    database_url: str = Field(default=f"sqlite:///{VAR_DIR}/relief.db")
    secret_key: str | None = None
    log_level: str = "INFO"
    token_hours: int = 12
    # Sign-in throttling: failures before a lock, per account and per client address (an
    # office behind one NAT address shares the second), and the lock's length.
    sign_in_max_failures: int = 5
    sign_in_address_max_failures: int = 20
    sign_in_lock_minutes: int = 15
    # Password hashes computed at once per process (Argon2 takes 64 MiB each).
    password_hash_concurrency: int = 4
    # Largest request body (an uploaded spreadsheet included), in MB: larger → 413 too_large.
    max_upload_mb: int = Field(default=20, ge=1, le=1024)
    # Whether a proxy in front of relief (TLS ending there) sets X-Forwarded-Proto: only then
    # is the header believed when checking that a form or cookie call came from our pages.
    trust_forwarded_proto: bool = False
    # Where local state lives (the SQLite file, the generated secret key).
    var_dir: Path = VAR_DIR
    # Connections per API process: each process (uvicorn worker, container) opens up to
    # pool_size + max_overflow, so workers × (pool_size + max_overflow) must stay below
    # PostgreSQL's max_connections less a margin for psql, backups and migrations
    # (docs/architecture.md, "Database connections").
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    # How long a request waits for a free connection before it is 503 `busy`.
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    # How long connecting to PostgreSQL may take (a host that does not answer).
    db_connect_timeout_s: int = Field(default=5, ge=1)
    # The longest one SQL statement may run on PostgreSQL (0: no limit); a runaway query or
    # a lock wait that outlasts it is cancelled and the request is 503 `busy`.
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    # Plans: a model with more arcs than this (eligible pairs × items) is made in the
    # background (POST answers 202); a province plan (≈20,000 arcs) is always made at once.
    plan_inline_max_arcs: int = Field(default=200_000, ge=0)
    # Who runs background plans: `auto` (procrastinate on PostgreSQL, a thread in this
    # process on SQLite), `thread` or `procrastinate` (`relief worker` runs the jobs).
    plan_runner: Literal["auto", "thread", "procrastinate"] = "auto"
    # A computing plan whose heartbeat is older than this is failed by the sweep (its
    # worker was lost); the job beats at every stage and item.
    plan_stale_after_s: int = Field(default=300, ge=1)

    @model_validator(mode="after")
    def _secret_key_present(self) -> Settings:
        if self.env == "production":
            if not self.secret_key:
                raise ValueError("RELIEF_SECRET_KEY is required when RELIEF_ENV=production")
            if len(self.secret_key.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
                raise ValueError(
                    f"RELIEF_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes when "
                    "RELIEF_ENV=production (e.g. `openssl rand -base64 48`)"
                )
            return self
        if not self.secret_key:
            self.secret_key = _local_secret_key(self.var_dir)
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return sqlalchemy_url(self.database_url)


def sqlalchemy_url(url: str) -> str:
    """Map plain URLs to the driver relief installs (psycopg 3); explicit drivers are kept."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _local_secret_key(var_dir: Path) -> str:
    """A per-checkout key kept under ./var/ so tokens and encrypted IDs survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()


class SolverSettings(BaseSettings):
    """The allocation solver's settings (RELIEF_SOLVER_*), apart from ``Settings`` so that a
    plan made outside the service (``relief plan``, ``relief bench``) needs no secret key."""

    model_config = SettingsConfigDict(env_prefix="RELIEF_SOLVER_", extra="ignore")

    # Processes solving items at once (0: one per CPU); 1 solves in this process.
    workers: int = Field(default=0, ge=0)
    # Models with fewer arcs than this (summed over items) are solved in this process: a
    # pool's start-up would cost more than it saves.
    parallel_min_arcs: int = Field(default=400_000, ge=0)


@lru_cache
def get_solver_settings() -> SolverSettings:
    return SolverSettings()


class TestSettings(BaseSettings):
    """What the test suite reads: the PostgreSQL server for the `db` suite, and CI."""

    __test__ = False  # not a pytest class
    model_config = SettingsConfigDict(extra="ignore")

    relief_test_database_url: str | None = None
    ci: bool = False
