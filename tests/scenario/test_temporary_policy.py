"""policy.yaml's `temporary_relief:` (临时救助, issue 15 part C): the delegated limit, cap,
help-first window and clocks are read with their checks and stored with the policy version,
where the approval tier reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.emergency import policy
from relief.scenario.loader import load_scenario
from relief.subsidies import temporary

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_the_guizhou_values_are_stored_with_the_policy_version(engine):
    with transaction(engine) as session:
        load_scenario(session, SYSTEM, SCENARIOS / "guizhou")
    with session_for(engine, write=False) as session:
        stored = policy.policy_for(session, datetime(2026, 7, 1, tzinfo=UTC), ["522600"])
        assert stored.temporary_relief["delegated_limit"] == "3000.00"
        rules = temporary.rules_from(stored.temporary_relief)
    assert (rules.delegated_limit_fen, rules.cap_fen) == (300_000, 5_000_000)
    assert (rules.help_first_hours, rules.paperwork_working_days) == (24, 5)
    assert (rules.support_township_working_days, rules.support_county_working_days) == (10, 10)


def test_check_rules_names_the_bad_key():
    import pytest

    for bad, key in (
        ({"help_first_hours": 0}, "help_first_hours"),
        ({"cap": "lots"}, "cap"),
        ({"holidays": ["2026-13-01"]}, "holidays"),
        ({"nonsense": 1}, "nonsense"),
    ):
        with pytest.raises(ValueError, match=key):
            temporary.check_rules(bad)
    assert temporary.check_rules({"cap": "50000", "holidays": ["2026-10-01"]}) == {
        "cap": "50000.00",
        "holidays": ["2026-10-01"],
    }


def test_the_reader_takes_the_clocks_and_refuses_a_zero_window(scenario, edit):
    from relief.scenario.reader import read_scenario

    text = (scenario / "policy.yaml").read_text(encoding="utf-8")
    block = (
        "temporary_relief:\n"
        '  delegated_limit: "3000.00"\n'
        '  cap: "50000.00"\n'
        "  help_first_hours: 24\n"
        "  paperwork_working_days: 5\n"
        "  holidays: [2026-10-01, 2026-10-02]\n"
    )
    (scenario / "policy.yaml").write_text(text + block, encoding="utf-8")
    read, problems = read_scenario(scenario)
    assert problems == []
    assert read.policy.temporary_relief == {
        "delegated_limit": "3000.00",
        "cap": "50000.00",
        "help_first_hours": 24,
        "paperwork_working_days": 5,
        "holidays": ["2026-10-01", "2026-10-02"],
    }
    edit("policy.yaml", "  help_first_hours: 24\n", "  help_first_hours: 0\n")
    _, problems = read_scenario(scenario)
    assert any("help_first_hours" in str(p) for p in problems), problems
