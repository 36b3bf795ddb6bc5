"""The demo (`relief demo --no-serve`, what `make demo-check` runs in CI): it loads the
Hohhot scenario, creates one account per role with a working one-time password, and prints
the network summary — figures checked here against the folder's CSVs directly."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from relief import clock
from relief.auth import service as auth
from relief.auth.models import SYSTEM, Actor
from relief.cli import app as cli
from relief.config import get_settings
from relief.db import session_for, transaction
from relief.demo import run_demo
from relief.errors import DomainError
from relief.subsidies import service as subsidies
from relief.subsidies.models import Household, TransitionIn

HOHHOT = Path(__file__).resolve().parents[1] / "scenarios" / "hohhot"
USER_LINE = re.compile(
    r"^  (\S+)\s+(admin|duty_officer|warehouse_manager|county_staff|approver)\s+(\S+)\s+(\S+)$"
)


def csv_rows(name: str) -> list[dict[str, str]]:
    with (HOHHOT / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def demo_users(lines: list[str]) -> dict[str, tuple[str, str, str]]:
    """username → (role, scope, password) as printed."""
    return {m[1]: (m[2], m[3], m[4]) for line in lines if (m := USER_LINE.match(line)) is not None}


def section(lines: list[str], title: str) -> list[str]:
    """The indented lines under the line that starts with `title`."""
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    out = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        out.append(line.split())
    return out


SECRET = "a-secret-key-for-the-demo-tests"


@pytest.fixture
def demo_lines(engine: Engine, database_url: str) -> list[str]:
    return run_demo(database_url, engine, HOHHOT, SECRET)


def test_demo_creates_one_account_per_role_with_working_passwords(engine: Engine, demo_lines):
    users = demo_users(demo_lines)
    assert {name: (role, scope) for name, (role, scope, _) in users.items()} == {
        "admin": ("admin", "everything"),
        "duty": ("duty_officer", "everything"),
        "manager_backbone": ("warehouse_manager", "WH-150100-B"),
        "manager_depot": ("warehouse_manager", "WH-150125-C"),
        "county_staff": ("county_staff", "150125"),
        "approver": ("approver", "150100"),
    }
    with session_for(engine, write=False) as session:
        for name, (role, _, password) in users.items():
            assert auth.authenticate(session, name, password).role == role
            # Issue 13 review #3: every demo account is a person one can call.
            user = auth.user_by_username(session, name)
            assert user.full_name and user.phone, name
            assert not user.full_name.isascii(), name


def test_demo_prints_warehouses_by_tier(demo_lines):
    tiers = defaultdict(int)
    for row in csv_rows("warehouses.csv"):
        tiers[row["tier"]] += 1
    printed = {cells[0]: int(cells[1]) for cells in section(demo_lines, "warehouses by tier")}
    assert printed == dict(tiers) == {"provincial": 1, "prefecture": 1, "county": 9}


def test_demo_prints_stock_by_category(demo_lines):
    category = {row["code"]: row["category"] for row in csv_rows("items.csv")}
    expected: dict[str, int] = defaultdict(int)
    for row in csv_rows("stock.csv"):
        expected[category[row["item_code"]]] += int(row["on_hand"])
    printed = {
        cells[0]: int(cells[1].replace(",", ""))
        for cells in section(demo_lines, "stock by category")
    }
    assert printed == dict(expected)


def test_demo_prints_the_three_county_depots_with_the_fewest_available_tonnes(demo_lines):
    weight = {row["code"]: Decimal(row["weight_kg"]) for row in csv_rows("items.csv")}
    depots = {row["code"] for row in csv_rows("warehouses.csv") if row["tier"] == "county"}
    available: dict[str, Decimal] = {code: Decimal(0) for code in depots}
    for row in csv_rows("stock.csv"):
        if row["warehouse_code"] in depots:
            free = max(0, int(row["on_hand"]) - int(row["floor"]))
            available[row["warehouse_code"]] += free * weight[row["item_code"]]
    lowest = sorted(available, key=lambda code: (available[code], code))[:3]
    printed = section(demo_lines, "the 3 lowest-stock county depots")
    assert [cells[0] for cells in printed] == lowest
    assert [cells[1] for cells in printed] == [f"{available[c] / 1000:,.1f}" for c in lowest]


def test_running_the_demo_again_changes_nothing_but_the_passwords(
    engine: Engine, database_url: str, demo_lines
):
    again = run_demo(database_url, engine, HOHHOT, SECRET)

    loaded = section(again, "loaded scenario")
    assert loaded and all(cells[2:5:2] == ["0", "0"] for cells in loaded)
    old, new = demo_users(demo_lines), demo_users(again)
    assert old.keys() == new.keys()
    with session_for(engine, write=False) as session:
        for name in old:
            assert old[name][2] != new[name][2]
            with pytest.raises(DomainError):
                auth.authenticate(session, name, old[name][2])
            assert auth.authenticate(session, name, new[name][2])


def test_demo_seeds_practice_cases_whose_notice_has_ended_once(
    engine: Engine, database_url: str, demo_lines
):
    """A newcomer can approve and pay a case the day they run the demo (docs/walkthrough.md);
    the notice rule itself is not bent: the cases were published notice_days + 1 days ago."""
    printed = section(demo_lines, "practice subsidy cases")
    assert [cells[2:] for cells in printed] == [
        ["published", "HHHT-GRAIN-2026-SNOW", name] for name in ("王桂兰", "李俊峰", "赵秀梅")
    ]
    case_ids = [int(cells[1]) for cells in printed]
    staff = Actor(username="county_staff", role="county_staff", region_codes=("150125",))
    approver = Actor(username="approver", role="approver", region_codes=("150100",))
    with transaction(engine) as session:
        for case_id in case_ids:
            case, household = subsidies.get_case(session, staff, case_id)
            assert household.region_code.startswith("150125")
            assert clock.as_utc(case.notice_ends_at) < clock.now()
        subsidies.transition_case(
            session, staff, case_ids[0], TransitionIn(action="township_review")
        )
        approved = subsidies.transition_case(
            session, approver, case_ids[0], TransitionIn(action="approve")
        )
        assert approved.status == "approved"
        assert approved.amount_fen > 0

    again = run_demo(database_url, engine, HOHHOT, SECRET)
    assert [cells[1:3] for cells in section(again, "practice subsidy cases")] == [
        [str(case_ids[0]), "approved"],
        [str(case_ids[1]), "published"],
        [str(case_ids[2]), "published"],
    ]
    with session_for(engine, write=False) as session:
        assert len(session.exec(select(Household)).all()) == 3


def test_a_second_programme_of_the_same_event_gets_cases_for_the_same_households(
    engine: Engine, database_url: str, demo_lines
):
    from relief.subsidies.models import Programme, ProgrammeIn, StandardIn

    with transaction(engine) as session:
        grain = session.get(Programme, "HHHT-GRAIN-2026-SNOW")
        assert grain is not None
        subsidies.create_programme(
            session,
            SYSTEM,
            ProgrammeIn(
                code="HHHT-REBUILD-SNOW",
                name="雪灾倒房重建",
                kind="rebuild",
                region_code="150100",
                event_id=grain.event_id,
                budget="1000000.00",
                standards=[
                    StandardIn(
                        effective_from="2025-01-01", damage="collapsed", per_household="20000"
                    )
                ],
            ),
        )
    again = section(run_demo(database_url, engine, HOHHOT, SECRET), "practice subsidy cases")
    assert sorted((cells[3], cells[4]) for cells in again) == sorted(
        (programme, name)
        for programme in ("HHHT-GRAIN-2026-SNOW", "HHHT-REBUILD-SNOW")
        for name in ("王桂兰", "李俊峰", "赵秀梅")
    )
    with session_for(engine, write=False) as session:
        assert len(session.exec(select(Household)).all()) == 3  # the same three people


def test_the_demo_puts_the_clock_back_after_seeding(engine: Engine, database_url: str):
    fixed = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    clock.set_clock(lambda: fixed)
    run_demo(database_url, engine, HOHHOT, SECRET)
    assert clock.now() == fixed


@pytest.fixture
def cli_database(database_url: str, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_relief_demo_no_serve_prints_the_summary_and_exits(engine: Engine, cli_database):
    result = CliRunner().invoke(cli, ["demo", "--scenario", str(HOHHOT), "--no-serve"])

    assert result.exit_code == 0, result.output
    for heading in (
        "demo users",
        "warehouses by tier:",
        "stock by category",
        "the 3 lowest-stock county depots",
    ):
        assert heading in result.output
    assert "serving on" not in result.output


def test_relief_demo_finds_the_checkouts_scenario_from_another_folder(
    engine: Engine, cli_database, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # no scenarios/ here
    result = CliRunner().invoke(cli, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "demo users" in result.output


def test_demo_passwords_must_be_changed_at_first_sign_in(engine: Engine, demo_lines, client):
    for name, (_, _, password) in demo_users(demo_lines).items():
        reply = client.post("/api/v1/auth/token", data={"username": name, "password": password})
        assert reply.status_code == 200, name
        headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
        blocked = client.get("/api/v1/events", headers=headers)
        assert blocked.status_code == 403, name
        assert blocked.json()["detail"]["code"] == "password_change_required"


def test_demo_seeds_one_help_first_case_whose_paperwork_clock_runs(
    engine: Engine, database_url: str, demo_lines
):
    """A newcomer sees the 临时救助 clock (issue 15): a 急难型 case of the first practice
    household, help first paid from its township's reserve fund two days ago, once."""
    from relief.subsidies import temporary

    printed = section(demo_lines, "临时救助 practice case")
    assert len(printed) == 1
    assert printed[0][2:5] == ["registered", "HHHT-TEMP", "王桂兰"]
    assert printed[0][5:7] == ["paperwork", "due"]
    case_id = int(printed[0][1])
    staff = Actor(username="county_staff", role="county_staff", region_codes=("150125",))
    with session_for(engine, write=False) as session:
        case, household = subsidies.get_case(session, staff, case_id)
        out = temporary.temporary_out(session, case, household)
        assert out is not None and out.help_first_amount is not None
        assert out.clock is not None and out.clock.stage == "paperwork"
        assert [c.id for c, _, _ in temporary.due_cases(session, staff)] == [case_id]
    again = run_demo(database_url, engine, HOHHOT, SECRET)
    assert section(again, "临时救助 practice case")[0][1] == str(case_id)


def test_demo_seeds_a_small_winter_survey_with_its_totals_due_once(
    engine: Engine, database_url: str, demo_lines
):
    """A newcomer sees the 冬春 needs survey (issue 15): the practice households of the demo
    county in the survey whose season is open, and the county's totals owed to the city."""
    from relief.subsidies import winter

    title = next(line for line in demo_lines if line.startswith("冬春 needs survey"))
    printed = section(demo_lines, "冬春 needs survey")
    assert [row[-1] for row in printed] == ["王桂兰", "李俊峰", "赵秀梅"]
    season = int(title.split()[3].split("-")[0])
    staff = Actor(username="county_staff", role="county_staff", region_codes=("150125",))
    with session_for(engine, write=False) as session:
        entries = winter.list_entries(session, staff, season)
        assert sorted(e.id for e, _ in entries) == sorted(int(row[1]) for row in printed)
        total, _ = winter.survey_totals(session, staff, "150125", season)
        assert total["households"] == 3 and total["grain_kg"] == Decimal("180.0")
        if season == winter.season_of(winter.today()):
            due = winter.totals_due_items(session, staff)
            assert [d["county_code"] for d in due] == ["150125"]
    again = run_demo(database_url, engine, HOHHOT, SECRET)
    assert section(again, "冬春 needs survey") == printed
