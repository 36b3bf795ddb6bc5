"""The shipped 冬春 programmes (issue 15 part D) ask for the needs survey, as the rules
require (户报 from the county's 需救助台账); HHHT-WINTER-2026 names its season (2026—2027)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import session_for
from relief.subsidies import service as subsidy_service

from .test_loader import SCENARIOS, load


def test_every_shipped_winter_programme_asks_for_the_survey(engine: Engine):
    clock.set_clock(None)
    for name in ("hohhot", "guizhou"):
        load(engine, SCENARIOS / name)
    with session_for(engine, write=False) as session:
        rules = {
            p.code: p.eligibility
            for p in subsidy_service.list_programmes(session, SYSTEM)
            if p.kind == "winter_spring"
        }
    assert set(rules) == {"HHHT-WINTER-2026", "QXN-GRAIN"}
    assert all(rule and rule.get("in_survey") is True for rule in rules.values()), rules
    assert rules["HHHT-WINTER-2026"]["season"] == 2026
