"""The demo flow behind `make demo`: migrate, load a scenario, create demo users, summarise."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from relief.auth import service as auth
from relief.auth.models import SYSTEM, UserCreate
from relief.db import transaction, upgrade


@dataclass
class DemoUser:
    username: str
    role: str
    password: str
    warehouse_codes: list[str] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)


def create_demo_users(engine: Engine, users: list[DemoUser]) -> list[DemoUser]:
    """Create (or re-key) the demo accounts with fresh one-time passwords."""
    created = []
    with transaction(engine) as session:
        for user in users:
            existing = auth.user_by_username(session, user.username)
            if existing is not None:
                existing.password_hash = auth.hash_password(user.password)
                session.add(existing)
            else:
                auth.create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        username=user.username,
                        password=user.password,
                        role=user.role,
                        warehouse_codes=user.warehouse_codes,
                        region_codes=user.region_codes,
                    ),
                )
            created.append(user)
    return created


def one_time_password() -> str:
    return secrets.token_urlsafe(9)


def run_demo(database_url: str, engine: Engine, scenario: Path) -> list[str]:
    """Everything `relief demo` does before serving; returns the lines it printed."""
    upgrade(database_url, engine)
    users = [
        DemoUser("admin", "admin", one_time_password()),
        DemoUser("duty", "duty_officer", one_time_password()),
    ]
    lines = [f"scenario: {scenario}"]
    lines.append("demo users (one-time passwords, printed once):")
    for user in create_demo_users(engine, users):
        lines.append(f"  {user.username:<12} {user.role:<18} {user.password}")
    return lines
