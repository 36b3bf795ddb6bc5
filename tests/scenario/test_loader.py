"""Loading a scenario folder: validated first, keyed by codes, idempotent; a changed
attribute updates its row (audited) and a changed on_hand becomes a ledger adjustment
"scenario load". Also `relief scenario validate` and `relief scenario load`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from relief import clock
from relief.audit.models import AuditRecord
from relief.auth.models import SYSTEM
from relief.cli import app as cli
from relief.config import get_settings
from relief.db import session_for, transaction
from relief.network import service as network
from relief.network.models import RoadRow
from relief.scenario.loader import LoadReport, ScenarioInvalid, load_scenario
from relief.scenario.validate import validate_scenario
from relief.stock import service as stock
from relief.stock.models import StockMovement
from relief.subsidies import service as subsidy_service

from .conftest import NOW

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(autouse=True)
def _scenario_time() -> None:
    # The folder's reports are dated 2026-07-01: load as if it were the day after.
    clock.set_clock(lambda: NOW)


def load(engine: Engine, folder: Path) -> LoadReport:
    with transaction(engine) as session:
        return load_scenario(session, SYSTEM, folder)


def counts(report: LoadReport) -> dict[str, tuple[int, int, int]]:
    return {k: (c.created, c.updated, c.unchanged) for k, c in report.counts.items()}


def rows(engine: Engine, table) -> int:
    with session_for(engine, write=False) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_first_load_creates_every_record(engine: Engine, scenario: Path):
    report = load(engine, scenario)

    assert report.scenario == "wuchuan"
    assert counts(report) == {
        "regions": (6, 0, 0),
        "warehouses": (3, 0, 0),
        "items": (3, 0, 0),
        "roads": (8, 0, 0),
        "stock": (4, 0, 0),
        "policy": (1, 0, 0),
        "events": (1, 0, 0),
        "programmes": (1, 0, 0),
    }
    assert report.changed
    with session_for(engine, write=False) as session:
        regions, warehouses, roads, items = network.network_records(session)
        wc_stock = {s.item_code: (s.on_hand, s.floor) for s in stock.stock_of(session, "WH-WC")}
    assert [r.code for r in regions][:2] == ["150000", "150100"]
    assert [w.code for w in warehouses] == ["WH-HHT", "WH-NM", "WH-WC"]
    assert sorted(i.code for i in items) == ["quilt", "rice", "tent"]
    closed = [(r.from_code, r.to_code) for r in roads if r.status == "closed"]
    assert closed == [("150125", "150125102")]
    assert wc_stock == {"tent": (200, 20)}


def test_loading_the_same_folder_twice_writes_nothing_the_second_time(
    engine: Engine, scenario: Path
):
    load(engine, scenario)
    audit_rows, ledger_rows = rows(engine, AuditRecord), rows(engine, StockMovement)

    again = load(engine, scenario)

    assert not again.changed
    assert all(c.created == c.updated == 0 for c in again.counts.values())
    assert counts(again)["roads"] == (0, 0, 8)
    assert counts(again)["stock"] == (0, 0, 4)
    assert rows(engine, AuditRecord) == audit_rows
    assert rows(engine, StockMovement) == ledger_rows


def test_a_changed_on_hand_becomes_a_scenario_load_adjustment(engine: Engine, scenario, edit):
    load(engine, scenario)
    edit("stock.csv", "WH-WC,tent,200,20", "WH-WC,tent,150,20")

    report = load(engine, scenario)

    assert counts(report)["stock"] == (0, 1, 3)
    with session_for(engine, write=False) as session:
        movements, _ = stock.ledger_page(session, "WH-WC", item_code="tent")
        level = stock.stock_of(session, "WH-WC", ["tent"])[0]
    latest = movements[0]
    assert (latest.kind, latest.on_hand_delta, latest.reason) == (
        "adjustment",
        -50,
        "scenario load",
    )
    assert sum(m.on_hand_delta for m in movements) == level.on_hand == 150


def test_a_changed_attribute_updates_its_row_and_is_audited(engine: Engine, scenario, edit):
    load(engine, scenario)
    edit("warehouses.csv", "41.09,111.45,1500", "41.09,111.45,1800")
    edit("roads.csv", "WH-HHT,WH-WC,52.30,1.1,open", "WH-HHT,WH-WC,52.30,1.4,open")

    report = load(engine, scenario)

    assert counts(report)["warehouses"] == (0, 1, 2)
    assert counts(report)["roads"] == (0, 1, 7)
    with session_for(engine, write=False) as session:
        updates = session.exec(
            select(AuditRecord).where(AuditRecord.action == "update").order_by(AuditRecord.id)
        ).all()
    changed = [(r.entity, r.before, r.after) for r in updates]
    assert [(entity, after["capacity_m3"]) for entity, _, after in changed[:1]] == [
        ("warehouse", "1800.00")
    ]
    assert changed[0][1]["capacity_m3"] == "1500.00"
    assert (changed[1][0], changed[1][1]["travel_time_h"], changed[1][2]["travel_time_h"]) == (
        "road",
        "1.10",
        "1.40",
    )


def test_a_folder_with_a_problem_raises_and_writes_nothing(engine: Engine, scenario, edit):
    edit("regions.csv", "150125,武川县,county,150100", "150125,武川县,county,159999")

    with pytest.raises(ScenarioInvalid) as caught:
        load(engine, scenario)

    assert [str(p) for p in caught.value.problems] == [
        "regions.csv:4: parent_code: unknown region 159999"
    ]
    assert caught.value.status == 422
    assert rows(engine, AuditRecord) == 0
    with session_for(engine, write=False) as session:
        assert network.network_records(session) == ([], [], [], [])


def test_roads_are_keyed_by_their_ends_and_the_readers_id(engine: Engine, scenario, edit):
    load(engine, scenario)
    with session_for(engine, write=False) as session:
        keys = sorted(r.scenario_key for r in session.exec(select(RoadRow)).all())
    assert keys[:2] == ["150100~150122#1", "150100~WH-HHT#1"]
    # The two roads between 150125 and 150125102 are told apart by their position.
    assert [k for k in keys if k.startswith("150125~150125102")] == [
        "150125~150125102#1",
        "150125~150125102#2",
    ]


def test_explicit_road_ids_are_qualified_by_the_ends(engine: Engine, scenario: Path):
    roads = scenario / "roads.csv"
    lines = roads.read_text(encoding="utf-8").splitlines()
    numbered = ["id," + lines[0]] + [f"R{i},{line}" for i, line in enumerate(lines[1:], 1)]
    roads.write_text("\n".join(numbered) + "\n", encoding="utf-8")

    load(engine, scenario)

    with session_for(engine, write=False) as session:
        keys = sorted(r.scenario_key for r in session.exec(select(RoadRow)).all())
    assert keys[0] == "150100~150122@R8"
    assert "WH-HHT~WH-NM@R1" in keys


def test_a_changed_programme_budget_updates_the_programme(engine: Engine, scenario, edit):
    load(engine, scenario)
    edit("policy.yaml", 'budget: "5000000"', 'budget: "6000000"')

    report = load(engine, scenario)

    assert counts(report)["programmes"] == (0, 1, 0)
    assert counts(report)["policy"] == (0, 1, 0)
    with session_for(engine, write=False) as session:
        programme = subsidy_service.get_programme(session, "WC-2026-REBUILD")
    assert programme.budget_fen == 600_000_000


def test_a_programmes_eligibility_loads_and_a_changed_one_updates_it(
    engine: Engine, scenario, edit
):
    rule = '      budget: "5000000"\n      eligibility: {damage: [collapsed]}\n'
    edit("policy.yaml", '      budget: "5000000"\n', rule)
    load(engine, scenario)
    with session_for(engine, write=False) as session:
        programme = subsidy_service.get_programme(session, "WC-2026-REBUILD")
        assert programme.eligibility == {"damage": ["collapsed"]}

    edit("policy.yaml", "{damage: [collapsed]}", "{damage: [collapsed, severe]}")
    assert counts(load(engine, scenario))["programmes"] == (0, 1, 0)
    with session_for(engine, write=False) as session:
        programme = subsidy_service.get_programme(session, "WC-2026-REBUILD")
        assert programme.eligibility == {"damage": ["collapsed", "severe"]}
    assert counts(load(engine, scenario))["programmes"] == (0, 0, 1)


def test_the_shipped_transitional_programmes_cover_collapsed_and_severely_damaged_houses(
    engine: Engine,
):
    """Issue 15: the grain programmes that were 过渡期 are transitional (their codes kept);
    QXN-GRAIN, which mixed the 冬春 food rule with 过渡期's 3 months, is the 冬春 food
    programme (1 斤 a day, 6 months) beside QXN-TRANSITIONAL (3 months)."""
    clock.set_clock(None)
    for name in ("hohhot", "guizhou"):
        load(engine, SCENARIOS / name)
    with session_for(engine, write=False) as session:
        programmes = subsidy_service.list_programmes(session, SYSTEM)
        kinds = {p.code: p.kind for p in programmes}
        transitional = {p.code: p.eligibility for p in programmes if p.kind == "transitional"}
        months = {
            p.code: [s.months for s in subsidy_service.standards_of(session, p.code)]
            for p in programmes
        }
    assert set(transitional) == {"HHHT-GRAIN-2026-SNOW", "QXN-TRANSITIONAL", "QDN-GRAIN-2026-FLOOD"}
    assert all(r == {"damage": ["collapsed", "severe"]} for r in transitional.values())
    assert "grain" not in kinds.values()
    assert {code for code, kind in kinds.items() if kind == "winter_spring"} == {
        "HHHT-WINTER-2026",
        "QXN-GRAIN",
    }
    assert {code for code, kind in kinds.items() if kind == "temporary"} == {
        "HHHT-TEMP",
        "QDN-TEMP",
    }
    assert (months["QXN-GRAIN"], months["QXN-TRANSITIONAL"]) == ([6], [3])


def test_the_shipped_programmes_carry_a_supervision_phone_for_the_public_notice(
    engine: Engine,
):
    clock.set_clock(None)
    for name in ("hohhot", "guizhou"):
        load(engine, SCENARIOS / name)
    with session_for(engine, write=False) as session:
        phones = {
            p.code: p.supervision_phone for p in subsidy_service.list_programmes(session, SYSTEM)
        }
    assert len(phones) == 10 and all(phones.values()), phones
    assert phones["HHHT-REBUILD-2026-FLOOD"] == "0471-6901234"
    # The numbers are fictitious, and the file says so.
    policy = (SCENARIOS / "hohhot" / "policy.yaml").read_text(encoding="utf-8")
    assert '"0471-6901234"   # assumed' in policy


def test_both_real_scenarios_validate_and_load_into_one_database(engine: Engine):
    clock.set_clock(None)  # their reports are dated by their own README, in the past
    for name in ("hohhot", "guizhou"):
        assert validate_scenario(SCENARIOS / name) == [], name
    first = {name: load(engine, SCENARIOS / name) for name in ("hohhot", "guizhou")}
    again = {name: load(engine, SCENARIOS / name) for name in ("hohhot", "guizhou")}

    for name in ("hohhot", "guizhou"):
        assert first[name].counts["regions"].created > 80, name
        assert first[name].counts["roads"].created > 200, name
        assert not again[name].changed, name
    # Both folders number their roads R0001…: each kept its own.
    assert rows(engine, RoadRow) == sum(first[n].counts["roads"].created for n in first)


# --- command line ----------------------------------------------------------------------


@pytest.fixture
def cli_database(database_url: str, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_validate_prints_ok_and_exits_0():
    clock.set_clock(None)
    result = CliRunner().invoke(cli, ["scenario", "validate", str(SCENARIOS / "hohhot")])
    assert (result.exit_code, result.output) == (0, "OK\n")


def test_cli_validate_prints_sorted_problems_and_exits_1(scenario: Path, edit):
    edit("stock.csv", "WH-WC,tent,200,20", "WH-XX,tent,200,-20")
    edit("regions.csv", "150125,武川县,county,150100", "150125,武川县,county,159999")

    result = CliRunner().invoke(cli, ["scenario", "validate", str(scenario)])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "regions.csv:4: parent_code: unknown region 159999",
        "stock.csv:5: floor: -20 is negative",
    ]


def test_cli_load_prints_the_counts_and_is_idempotent(engine: Engine, cli_database, scenario: Path):
    clock.set_clock(None)
    runner = CliRunner()
    first = runner.invoke(cli, ["scenario", "load", str(SCENARIOS / "hohhot")])
    second = runner.invoke(cli, ["scenario", "load", str(SCENARIOS / "hohhot")])

    assert first.exit_code == 0, first.output
    assert "regions     created    91" in first.output
    assert second.exit_code == 0, second.output
    assert "regions     created     0  updated     0  unchanged    91" in second.output


def test_cli_load_of_a_bad_folder_prints_the_problems_and_loads_nothing(
    engine: Engine, cli_database, scenario: Path, edit
):
    edit("regions.csv", "150125,武川县,county,150100", "150125,武川县,county,159999")

    result = CliRunner().invoke(cli, ["scenario", "load", str(scenario)])

    assert result.exit_code == 1
    assert result.output.splitlines() == ["regions.csv:4: parent_code: unknown region 159999"]
    assert rows(engine, AuditRecord) == 0


def test_reloading_guizhou_over_its_grain_programmes_of_before_issue_15_reclassifies_them(
    engine: Engine, tmp_path: Path
):
    """A database loaded before issue 15 has QXN-GRAIN and QDN-GRAIN-2026-FLOOD as grain;
    loading the shipped folder again makes them winter_spring and transitional under the
    same codes (their stored standards mean the same), adding the new programmes."""
    import shutil

    clock.set_clock(None)
    before = tmp_path / "guizhou"
    shutil.copytree(SCENARIOS / "guizhou", before)
    policy = before / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    text = text.replace("kind: winter_spring", "kind: grain").replace(
        "eligibility: {in_survey: true}", "eligibility: {damage: [collapsed, severe]}"
    )
    text = text.replace("months: 6}", "months: 3}")
    old = text.split("    - code: QDN-GRAIN-2026-FLOOD", 1)
    old[1] = old[1].replace("kind: transitional", "kind: grain", 1)
    text = "    - code: QDN-GRAIN-2026-FLOOD".join(old)
    policy.write_text(text, encoding="utf-8")
    load(engine, before)
    with session_for(engine, write=False) as session:
        stored = subsidy_service.get_programme(session, "QDN-GRAIN-2026-FLOOD")
        assert stored.kind == "grain"

    report = load(engine, SCENARIOS / "guizhou")

    assert counts(report)["programmes"][:2] == (0, 2)  # created, updated
    with session_for(engine, write=False) as session:
        kinds = {p.code: p.kind for p in subsidy_service.list_programmes(session, SYSTEM)}
        qxn = subsidy_service.standards_of(session, "QXN-GRAIN")
    assert (kinds["QXN-GRAIN"], kinds["QDN-GRAIN-2026-FLOOD"]) == ("winter_spring", "transitional")
    # the 3-month standard stays (cases may point at it); the 6-month one is added after it
    assert [s.months for s in qxn] == [3, 6]


def test_the_shipped_temporary_assistance_pays_the_documented_amounts(engine: Engine):
    """docs/county-staff.md §4a: a 低保户 in 黔东南 gets 800.00 × 110 % × 3 months from
    QDN-TEMP, once per household; without months, the standard's 6."""
    from stdnum.cn import ric

    from relief.emergency import service as events
    from relief.subsidies.ids import vault_for
    from relief.subsidies.models import HouseholdIn

    clock.set_clock(None)
    load(engine, SCENARIOS / "guizhou")
    with transaction(engine) as session:
        flood = subsidy_service.get_programme(session, "QDN-GRAIN-2026-FLOOD").event_id
        area = set(events.event_region_codes(session, flood))
        level = subsidy_service.lowest_region_level(session)
        place = next(
            r.code
            for r in network.list_regions(session, level=level)
            if area & set(network.region_lineage(session, r.code))
        )
        amounts = []
        for seq, (category, months) in enumerate((("dibao", 3), ("general", None)), start=1):
            first = f"52260119800101{seq:03d}"
            household = subsidy_service.create_household(
                session,
                SYSTEM,
                HouseholdIn(
                    event_id=flood,
                    region_code=place,
                    head_name=f"杨{seq}",
                    id_number=first + ric.calc_check_digit(first + "0"),
                    size=4,
                    damage="general",
                    category=category,
                ),
                vault_for("a-key"),
            )
            case = subsidy_service.create_case(
                session, SYSTEM, household.id, "QDN-TEMP", months=months
            )
            amounts.append((case.amount_fen, case.months, case.reference_fen))
    assert amounts == [(264000, 3, 80000), (480000, 6, 80000)]
