"""The Hohhot scenario loaded through the scenario loader, and one user per role of the UI.

`web_client` signs in through the UI's own form (a cookie, as a browser would), never
with a bearer header, so the tests see the pages as users do.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from relief.auth.models import SYSTEM
from relief.db import make_engine, transaction

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "hohhot"
# A manager of one county depot and county staff of the same county (新城区).
MANAGED_WAREHOUSE = "WH-150102-C"
OTHER_WAREHOUSE = "WH-150103-C"
COUNTY = "150102"
TOWNSHIP = "150102001"  # 海拉尔东路街道, in COUNTY
USERS = {
    "admin": ("admin", (), ()),
    "duty": ("duty_officer", (), ()),
    "manager": ("warehouse_manager", (MANAGED_WAREHOUSE,), ()),
    "county": ("county_staff", (), (COUNTY,)),
    "township": ("township_staff", (), (TOWNSHIP,)),  # 乡镇民政助理 (issue 15)
}


def _load(engine: Engine) -> None:
    from relief.scenario.loader import load_scenario

    with transaction(engine) as session:
        load_scenario(session, SYSTEM, SCENARIO)


def _create_users(engine: Engine) -> None:
    from relief.auth import service
    from relief.auth.models import UserCreate
    from tests.conftest import PASSWORD

    with transaction(engine) as session:
        for username, (role, warehouses, regions) in USERS.items():
            body = UserCreate(
                username=username,
                password=PASSWORD,
                role=role,
                warehouse_codes=list(warehouses),
                region_codes=list(regions),
            )
            service.create_user(session, SYSTEM, body)


@pytest.fixture(scope="session")
def _hohhot_sqlite(_database_template, tmp_path_factory) -> Path | None:
    """A migrated SQLite file with the scenario and the users loaded, once per session:
    loading and password hashing take seconds, and every test here wants the same network.
    None on PostgreSQL."""
    if _database_template["kind"] != "sqlite":
        return None
    path = tmp_path_factory.mktemp("hohhot") / "hohhot.db"
    shutil.copyfile(_database_template["path"], path)
    engine = make_engine(f"sqlite:///{path}")
    _load(engine)
    _create_users(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(database_url: str, _hohhot_sqlite: Path | None) -> str:
    # The root fixture's per-test SQLite copy, overwritten with the loaded one before any
    # engine opens it.
    if _hohhot_sqlite is not None:
        shutil.copyfile(_hohhot_sqlite, database_url.split(":///", 1)[1])
    return database_url


@pytest.fixture
def hohhot(engine, _hohhot_sqlite) -> Path:
    """The Hohhot scenario in the test's database (loaded per test on PostgreSQL)."""
    if _hohhot_sqlite is None:
        _load(engine)
    return SCENARIO


@pytest.fixture
def web_users(hohhot, engine, _hohhot_sqlite) -> dict[str, str]:
    """Username → role, created after the network so that scopes name existing codes."""
    if _hohhot_sqlite is None:
        _create_users(engine)
    return {username: role for username, (role, _, _) in USERS.items()}


@pytest.fixture
def sign_in(client, web_users) -> Callable[[str], None]:
    """Sign `client` in through the login form (the cookie stays on the client)."""
    from tests.conftest import PASSWORD

    def _sign_in(username: str) -> None:
        reply = client.post(
            "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
        )
        assert reply.status_code == 303, reply.text

    return _sign_in
