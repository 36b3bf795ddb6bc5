"""Scenario identity and reloading: an event's code is its file stem, scoped by the
scenario's code (scenario.yaml's `code`, else the folder's name); the policy is keyed by
that code; a reload updates reference data but never reverts what users changed, and
reports what it kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from relief import clock
from relief.auth.models import SYSTEM, Actor
from relief.cli import app as cli
from relief.config import get_settings
from relief.db import session_for, transaction
from relief.emergency import policy as policies
from relief.emergency import service as events
from relief.emergency.models import PolicyIn
from relief.network import service as network
from relief.scenario.loader import LoadReport, load_scenario
from relief.stock import service as stock
from relief.stock.models import ReceiptLineIn
from relief.subsidies import service as subsidy_service
from relief.subsidies.models import ProgrammeIn

from .conftest import NOW

OFFICER = Actor(username="zhang", role="duty_officer")
MANAGER = Actor(username="wang", role="warehouse_manager", warehouse_codes=("WH-WC",))
ADMIN = Actor(username="li", role="admin")


@pytest.fixture(autouse=True)
def _scenario_time() -> None:
    clock.set_clock(lambda: NOW)


def load(engine: Engine, folder: Path) -> LoadReport:
    with transaction(engine) as session:
        return load_scenario(session, SYSTEM, folder)


def copy_of(scenario: Path, name: str, code: str | None = None) -> Path:
    """The folder copied under another name, with scenario.yaml's code when given."""
    folder = scenario.parent / name
    shutil.copytree(scenario, folder)
    if code is not None:
        (folder / "scenario.yaml").write_text(f"code: {code}\n", encoding="utf-8")
    return folder


def _road(session, from_code: str, to_code: str):
    return next(
        r for r in network.list_roads(session) if (r.from_code, r.to_code) == (from_code, to_code)
    )


# --- identity ---------------------------------------------------------------------------


def test_two_scenarios_with_the_same_event_stem_keep_two_events(engine: Engine, scenario: Path):
    other = copy_of(scenario, "tuoketuo")
    (other / "events" / "flood.yaml").write_text(
        (scenario / "events" / "flood.yaml")
        .read_text(encoding="utf-8")
        .replace("name: 武川县暴雨洪涝", "name: 托县暴雨洪涝"),
        encoding="utf-8",
    )

    load(engine, scenario)
    load(engine, other)

    with session_for(engine, write=False) as session:
        assert sorted(e.name for e in events.list_events(session)) == [
            "托县暴雨洪涝",
            "武川县暴雨洪涝",
        ]
        floods = events.list_events(session, code="flood")
        shaped = [events.event_out(session, e) for e in floods]
    assert sorted((e.scenario, e.code, e.name) for e in shaped) == [
        ("tuoketuo", "flood", "托县暴雨洪涝"),
        ("wuchuan", "flood", "武川县暴雨洪涝"),
    ]
    assert sorted(e.key for e in floods) == ["tuoketuo/flood", "wuchuan/flood"]


def test_a_second_folder_with_the_same_scenario_code_is_the_same_scenario(
    engine: Engine, scenario: Path
):
    load(engine, scenario)
    # A later edition of the folder under another name, declaring the same code.
    newer = copy_of(scenario, "wuchuan-2026-07", code="wuchuan")

    report = load(engine, newer)

    with session_for(engine, write=False) as session:
        assert [p.source for p in policies.list_policies(session)] == ["wuchuan"]
        assert [(e.scenario_code, e.code) for e in events.list_events(session)] == [
            ("wuchuan", "flood")
        ]
    assert report.code == "wuchuan"
    assert report.counts["events"].created == 0 and report.counts["policy"].created == 0


def test_scenario_yaml_names_the_code_that_scopes_events_and_keys_the_policy(
    engine: Engine, scenario: Path
):
    (scenario / "scenario.yaml").write_text("code: WC-2026\n", encoding="utf-8")

    load(engine, scenario)

    with session_for(engine, write=False) as session:
        assert [p.source for p in policies.list_policies(session)] == ["WC-2026"]
        assert [e.key for e in events.list_events(session)] == ["WC-2026/flood"]


def test_events_api_shows_code_and_scenario_and_filters_by_code(
    engine: Engine, scenario: Path, client, make_user, login
):
    load(engine, scenario)
    load(engine, copy_of(scenario, "tuoketuo"))
    headers = login(make_user("zhang", "duty_officer"))
    created = client.post(
        "/api/v1/events",
        json={
            "name": "手工录入",
            "hazard": "hail",
            "started_at": "2026-07-01T10:00:00+08:00",
            "region_codes": ["150125"],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert (created.json()["code"], created.json()["scenario"]) == (None, None)

    reply = client.get("/api/v1/events", params={"code": "flood"}, headers=headers)

    assert reply.status_code == 200
    assert sorted((e["scenario"], e["code"]) for e in reply.json()) == [
        ("tuoketuo", "flood"),
        ("wuchuan", "flood"),
    ]
    only = client.get(
        "/api/v1/events", params={"code": "flood", "scenario": "wuchuan"}, headers=headers
    ).json()
    assert [(e["scenario"], e["name"]) for e in only] == [("wuchuan", "武川县暴雨洪涝")]


def test_an_event_loaded_before_events_had_a_scenario_is_claimed_not_duplicated(
    engine: Engine, scenario: Path
):
    load(engine, scenario)
    with transaction(engine) as session:
        # As migration 0007 leaves an event an older relief loaded: the stem, no scenario.
        legacy = events.list_events(session)[0]
        legacy.key, legacy.scenario_code = "flood", None
        session.add(legacy)

    load(engine, scenario)

    with session_for(engine, write=False) as session:
        stored = events.list_events(session)
    assert [(e.id, e.scenario_code, e.code, e.key) for e in stored] == [
        (legacy.id, "wuchuan", "flood", "wuchuan/flood")
    ]


# --- reloading keeps what users changed ------------------------------------------------


def test_reload_keeps_a_road_a_duty_officer_closed_and_updates_its_distance(
    engine: Engine, scenario: Path, edit
):
    load(engine, scenario)
    with transaction(engine) as session:
        road = _road(session, "WH-HHT", "WH-WC")
        network.set_road_status(session, OFFICER, road.id, "closed", "landslide")
    edit("roads.csv", "WH-HHT,WH-WC,52.30,1.1,open", "WH-HHT,WH-WC,53.00,1.1,open")

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        road = _road(session, "WH-HHT", "WH-WC")
    assert road.status == "closed"
    assert float(road.distance_km) == 53.0  # reference data still follows the folder
    assert [(k.kind, k.what) for k in report.kept] == [
        ("roads", f"road WH-HHT—WH-WC (id {road.id})")
    ]
    assert "closed by zhang" in report.kept[0].why and "folder: open" in report.kept[0].why
    # Reloading again keeps it again and writes nothing.
    again = load(engine, scenario)
    assert not again.changed and len(again.kept) == 1


def test_reload_applies_a_folder_status_change_to_a_road_no_user_touched(
    engine: Engine, scenario: Path, edit
):
    load(engine, scenario)
    edit("roads.csv", "WH-HHT,WH-WC,52.30,1.1,open", "WH-HHT,WH-WC,52.30,1.1,closed")

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        assert _road(session, "WH-HHT", "WH-WC").status == "closed"
    assert report.kept == []


def test_reload_keeps_stock_received_since_the_last_load(engine: Engine, scenario: Path, edit):
    load(engine, scenario)
    with transaction(engine) as session:
        stock.receive_stock(
            session, MANAGER, "WH-WC", "RK-1", [ReceiptLineIn(item_code="tent", quantity=30)]
        )
    edit("stock.csv", "WH-WC,tent,200,20", "WH-WC,tent,200,25")

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        level = stock.stock_of(session, "WH-WC", ["tent"])[0]
        assert stock.check_ledger(session) == []
    assert (level.on_hand, level.floor) == (230, 25)  # the floor follows the folder
    [kept] = report.kept
    assert kept.what == "stock WH-WC/tent"
    assert "folder 200, now 230" in kept.why and "receipt by wang" in kept.why


def test_reload_keeps_stock_adjusted_since_the_last_load(engine: Engine, scenario: Path):
    load(engine, scenario)
    with transaction(engine) as session:
        stock.adjust_stock(session, MANAGER, "WH-WC", "tent", -50, "stocktake")

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        assert stock.stock_of(session, "WH-WC", ["tent"])[0].on_hand == 150
    assert [k.what for k in report.kept] == ["stock WH-WC/tent"]


def test_reload_does_not_fail_on_reserved_stock_it_would_have_loaded_away(
    engine: Engine, scenario: Path, edit
):
    load(engine, scenario)
    with transaction(engine) as session:
        stock.reserve_stock(session, OFFICER, "WH-WC", "tent", 150, "DO-1")
    edit("stock.csv", "WH-WC,tent,200,20", "WH-WC,tent,100,20")

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        level = stock.stock_of(session, "WH-WC", ["tent"])[0]
    assert (level.on_hand, level.reserved) == (200, 150)
    assert "folder 100, now 200" in report.kept[0].why


def test_reload_still_applies_a_new_on_hand_after_its_own_last_load(
    engine: Engine, scenario: Path, edit
):
    load(engine, scenario)
    edit("stock.csv", "WH-WC,tent,200,20", "WH-WC,tent,150,20")
    load(engine, scenario)
    edit("stock.csv", "WH-WC,tent,150,20", "WH-WC,tent,180,20")

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        assert stock.stock_of(session, "WH-WC", ["tent"])[0].on_hand == 180
    assert report.kept == []


def test_reload_does_not_close_again_a_file_closure_a_duty_officer_lifted(
    engine: Engine, scenario: Path
):
    load(engine, scenario)
    with transaction(engine) as session:
        event = events.list_events(session)[0]
        road = _road(session, "150125", "150125102")
        events.reopen_road(session, OFFICER, event.id, road.id)

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        # The file's other road between the two ends stays closed; this one stays open.
        assert road.id not in events.closed_road_ids(session, event.id)
        assert len(events.closed_road_ids(session, event.id)) == 1
    assert [k.kind for k in report.kept] == ["events"]
    assert "reopened" in report.kept[0].why and "zhang" in report.kept[0].why
    assert not load(engine, scenario).changed


def test_reload_keeps_a_policy_an_administrator_edited(engine: Engine, scenario: Path):
    load(engine, scenario)
    with transaction(engine) as session:
        row = policies.list_policies(session)[0]
        out = policies.policy_out(session, row)
        body = PolicyIn.model_validate(
            {
                **out.model_dump(mode="json"),
                "thresholds": {**out.thresholds, "4": {"dead_missing": 10}},
                "subsidies": None,
            }
        )
        policies.replace_policy(session, ADMIN, row.id, body)

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        stored = policies.policy_out(session, policies.list_policies(session)[0])
    assert stored.thresholds["4"] == {"dead_missing": 10}
    assert [(k.kind, k.what) for k in report.kept] == [("policy", "policy wuchuan from 2024-01-20")]
    assert "edited by li" in report.kept[0].why


def test_reload_leaves_a_programme_an_administrator_created_as_it_is(
    engine: Engine, scenario: Path, edit
):
    edit("policy.yaml", "- code: WC-2026-REBUILD", "- code: WC-2026-OTHER")
    load(engine, scenario)
    with transaction(engine) as session:
        body = ProgrammeIn(
            code="WC-2026-REBUILD",
            name="县里先建的",
            kind="rebuild",
            region_code="150125",
            budget=100,
        )
        subsidy_service.create_programme(session, ADMIN, body)
    edit("policy.yaml", "- code: WC-2026-OTHER", "- code: WC-2026-REBUILD")

    report = load(engine, scenario)

    with session_for(engine, write=False) as session:
        programme = subsidy_service.get_programme(session, "WC-2026-REBUILD")
    assert (programme.name, programme.budget_fen) == ("县里先建的", 10_000)
    assert [(k.kind, k.what) for k in report.kept] == [("programmes", "programme WC-2026-REBUILD")]


# --- command line ----------------------------------------------------------------------


def test_cli_load_prints_what_it_kept(engine: Engine, database_url: str, scenario, monkeypatch):
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["scenario", "load", str(scenario)]).exit_code == 0
        with transaction(engine) as session:
            road = _road(session, "WH-HHT", "WH-WC")
            network.set_road_status(session, OFFICER, road.id, "closed")

        result = runner.invoke(cli, ["scenario", "load", str(scenario)])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert "kept 1 change(s) made by users (not reset):" in result.output
    assert f"kept: road WH-HHT—WH-WC (id {road.id}): closed by zhang on " in result.output
