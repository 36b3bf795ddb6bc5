"""`relief users create|disable|enable|reset-password`: the same services as the API, the
same password policy; a user created with --password-stdin is not forced to change it, a
reset one is."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from relief.auth import service
from relief.cli import app as cli
from relief.config import get_settings
from relief.db import session_for

PASSWORD = "a-long-passphrase-1"


@pytest.fixture
def cli_database(database_url: str, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def relief(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def stored(engine, username: str):
    with session_for(engine, write=False) as session:
        return service.user_by_username(session, username)


def create(username: str = "duty1", password: str = PASSWORD):
    return relief(
        "users",
        "create",
        username,
        "--role",
        "duty_officer",
        "--password-stdin",
        stdin=password + "\n",
    )


def test_a_user_created_with_password_stdin_is_not_forced_to_change_it(engine, cli_database):
    assert create().exit_code == 0
    user = stored(engine, "duty1")
    assert user.must_change_password is False
    with session_for(engine, write=False) as session:
        assert service.authenticate(session, "duty1", PASSWORD).username == "duty1"


@pytest.mark.parametrize("password", ["short-1", "1234567890", "Qwertyuiop"])
def test_users_create_refuses_a_short_or_common_password(engine, cli_database, password):
    result = create(password=password)
    assert result.exit_code == 2
    assert "password" in result.output
    assert stored(engine, "duty1") is None


def test_users_disable_and_enable_end_sessions_and_let_them_sign_in_again(engine, cli_database):
    create()
    before = stored(engine, "duty1").session_version
    result = relief("users", "disable", "duty1")
    assert result.exit_code == 0, result.output
    user = stored(engine, "duty1")
    assert user.active is False and user.session_version > before
    assert relief("users", "enable", "duty1").exit_code == 0
    assert stored(engine, "duty1").active is True


def test_users_reset_password_prints_a_one_time_password_that_must_be_changed(engine, cli_database):
    create()
    result = relief("users", "reset-password", "duty1")
    assert result.exit_code == 0, result.output
    one_time = re.search(r": (\S+)$", result.output.strip())[1]
    user = stored(engine, "duty1")
    assert user.must_change_password is True
    with session_for(engine, write=False) as session:
        assert service.authenticate(session, "duty1", one_time)
        with pytest.raises(service.DomainError):
            service.authenticate(session, "duty1", PASSWORD)


def test_users_commands_on_an_unknown_user_exit_2(cli_database, engine):
    for command in ("disable", "enable", "reset-password"):
        result = relief("users", command, "ghost")
        assert result.exit_code == 2
        assert "ghost" in result.output


def test_users_create_takes_a_real_name_and_a_phone(engine, cli_database):
    made = relief(
        "users",
        "create",
        "zhao",
        "--role",
        "duty_officer",
        "--full-name",
        "赵敏",
        "--phone",
        "138 0471 0000",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    user = stored(engine, "zhao")
    assert (user.full_name, user.phone) == ("赵敏", "138 0471 0000")


def test_users_update_sets_and_clears_the_name_and_phone(engine, cli_database):
    """Issue 13 review #3: an existing account gets a real name and a phone."""
    assert create("duty9").exit_code == 0
    done = relief("users", "update", "duty9", "--full-name", "王建国", "--phone", "0471-1234567")
    assert done.exit_code == 0, done.output
    user = stored(engine, "duty9")
    assert (user.full_name, user.phone) == ("王建国", "0471-1234567")
    assert relief("users", "update", "duty9", "--phone", "").exit_code == 0
    assert (stored(engine, "duty9").full_name, stored(engine, "duty9").phone) == ("王建国", None)
    assert relief("users", "update", "duty9", "--phone", "=1+2").exit_code == 2
    assert relief("users", "update", "ghost", "--full-name", "某").exit_code == 2
    assert relief("users", "update", "duty9").exit_code == 2


def test_township_staff_are_created_for_a_township_and_nothing_else(engine, cli_database):
    from relief.auth.models import SYSTEM
    from relief.db import transaction
    from relief.network import service as network
    from relief.network.records import Region

    with transaction(engine) as session:
        for code, name, level, parent in (
            ("150000", "内蒙古自治区", "province", None),
            ("150102", "新城区", "county", "150000"),
            ("150102001", "海拉尔东路街道", "township", "150102"),
        ):
            network.create_region(session, SYSTEM, Region(code, name, level, parent, 40.8, 111.7))

    def make(username: str, region: str):
        return relief(
            "users", "create", username, "--role", "township_staff", "--region", region,
            "--password-stdin", stdin=PASSWORD + "\n",
        )  # fmt: skip

    made = make("wang", "150102001")
    assert made.exit_code == 0, made.output
    assert stored(engine, "wang").role == "township_staff"
    refused = make("li", "150102")
    assert refused.exit_code == 2
    assert "region_codes" in refused.output and "150102 is not a township" in refused.output
    assert stored(engine, "li") is None
