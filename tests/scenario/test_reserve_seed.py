"""policy.yaml's `temporary_relief.reserve_fund_initial` (issue 15): loading the scenario
starts each township of the named county with that reserve fund, once; loading again adds
nothing; no key, no fund."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.reserve import service as reserve
from relief.reserve.models import ReserveEntry
from relief.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_the_hohhot_load_seeds_the_townships_of_150102_once(engine):
    for _ in range(2):
        with transaction(engine) as session:
            load_scenario(session, SYSTEM, SCENARIOS / "hohhot")
    with session_for(engine, write=False) as session:
        entries = session.exec(select(ReserveEntry)).all()
        assert entries and {e.kind for e in entries} == {"top_up"}
        assert all(e.region_code.startswith("150102") for e in entries)
        assert len({e.region_code for e in entries}) == len(entries)  # one per township
        assert reserve.balance_fen(session, "150102001") == 2_000_000
        assert reserve.balance_fen(session, "150103001") == 0
        assert reserve.check_balances(session) == []
