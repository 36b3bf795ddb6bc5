"""policy.yaml's `winter_spring:` (冬春, issue 15): read with its values, stored in the
database when the scenario loads (once: loading again adds no row), and a bad month or day
is a problem naming its path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.scenario.loader import load_scenario
from relief.scenario.reader import read_scenario
from relief.subsidies import winter
from relief.subsidies.winter_models import WinterPolicy

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_the_hohhot_load_stores_the_winter_policy_once(engine):
    for _ in range(2):
        with transaction(engine) as session:
            load_scenario(session, SYSTEM, SCENARIOS / "hohhot")
    with session_for(engine, write=False) as session:
        rows = session.exec(select(WinterPolicy)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.region_code, row.survey_from, row.totals_due) == ("150100", "09-20", "10-15")
        assert row.min_per_person_fen == 15_000
        # 武川县 is single-crop: its season runs to July; 新城区's to May.
        assert 7 in winter.season_months(session, "150125")
        assert 7 not in winter.season_months(session, "150102")


@pytest.mark.parametrize(
    ("line", "problem"),
    [('  totals_due: "10-32"', "totals_due"), ("  season_months: [12, 13]", "season_months")],
)
def test_a_bad_winter_policy_value_is_a_problem_naming_its_path(tmp_path, line, problem):
    folder = tmp_path / "hohhot"
    shutil.copytree(SCENARIOS / "hohhot", folder)
    policy = folder / "policy.yaml"
    key = line.split(":")[0]
    lines = [line if raw.startswith(key + ":") else raw for raw in policy.read_text().splitlines()]
    policy.write_text("\n".join(lines) + "\n")
    _scenario, problems = read_scenario(folder)
    assert any(p.field.startswith(f"winter_spring.{problem}") for p in problems), problems
