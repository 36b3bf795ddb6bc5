"""Settings: the only reader of the environment (pydantic-settings, prefix RELIEF_)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELIEF_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = Field(default=f"sqlite:///{VAR_DIR}/relief.db")
    secret_key: str | None = None
    log_level: str = "INFO"
    token_hours: int = 12
    # Largest request body (an uploaded spreadsheet included), in MB: larger → 413 too_large.
    max_upload_mb: int = Field(default=20, ge=1, le=1024)
    # Where local state lives (the SQLite file, the generated secret key).
    var_dir: Path = VAR_DIR

    @model_validator(mode="after")
    def _secret_key_present(self) -> Settings:
        if self.secret_key:
            return self
        if self.env == "production":
            raise ValueError("RELIEF_SECRET_KEY is required when RELIEF_ENV=production")
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


class TestSettings(BaseSettings):
    """What the test suite reads: the PostgreSQL server for the `db` suite, and CI."""

    __test__ = False  # not a pytest class
    model_config = SettingsConfigDict(extra="ignore")

    relief_test_database_url: str | None = None
    ci: bool = False
