"""The policy's `funds:` section (issue 16): pass_down_days and the split's weights are read
from policy.yaml, stored with the policy version, settable through the policies API (checked,
422 naming the key) and used by the summary and the split."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.emergency import policy
from relief.funds.rules import check_funds, rules_from
from relief.scenario.loader import load_scenario
from tests.scenario.conftest import edit, scenario  # noqa: F401

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FUNDS = {
    "pass_down_days": 3,
    "weights": {"per_person": "500", "dibao": "1", "poverty_registered": 0.25},
    "source": "test figures",
    "assumed": False,
}


def policy_body(funds=None):
    body = {
        "source": "test",
        "effective_from": "2020-01-01",
        "thresholds": {},
        "deadlines_h": {"1": 8, "2": 10, "3": 12, "4": 12},
    }
    return body | ({"funds": funds} if funds is not None else {})


def test_both_scenarios_ship_funds_values_stored_with_the_policy_version(engine):
    for folder, code in (("guizhou", "522600"), ("hohhot", "150102")):
        with transaction(engine) as session:
            load_scenario(session, SYSTEM, SCENARIOS / folder)
        with session_for(engine, write=False) as session:
            stored = policy.policy_for(session, datetime(2026, 7, 1, tzinfo=UTC), [code])
        rules = rules_from(stored.funds)
        assert rules.pass_down_days == 10 and rules.assumed is True
        assert rules.weights.dibao == 0.5 and rules.weights.per_person_fen == 100_000
        assert stored.funds["source"]


def test_the_policies_api_sets_funds_and_the_summary_and_split_use_them(client, world):
    reply = client.post("/api/v1/policies", json=policy_body(FUNDS), headers=world.admin)
    assert reply.status_code == 201, reply.text
    assert reply.json()["funds"] == {
        "pass_down_days": 3,
        "weights": {"per_person": "500.00", "dibao": "1", "poverty_registered": "0.25"},
        "source": "test figures",
        "assumed": False,
    }
    summary = client.get("/api/v1/funds/summary/150100", headers=world.admin).json()
    assert summary["pass_down_days"] == 3
    need = {
        "code": "150102",
        "needing_aid": 10,
        "collapsed_households": 0,
        "severe_households": 0,
        "general_households": 0,
        "households": 4,
        "dibao_households": 2,
        "poverty_registered_households": 0,
    }
    body = {"from_code": "150100", "source": "central", "total": "1.00", "counties": [need]}
    proposal = client.post("/api/v1/funds/proposals", json=body, headers=world.admin).json()
    assert proposal["weights_assumed"] is False
    (item,) = proposal["items"]
    assert (item["need"], item["weight"]) == ("5000.00", "1.500")
    # A PUT without `funds` keeps the stored values.
    policy_id = reply.json()["id"]
    put = client.put(f"/api/v1/policies/{policy_id}", json=policy_body(), headers=world.admin)
    assert put.status_code == 200 and put.json()["funds"]["pass_down_days"] == 3


@pytest.mark.parametrize(
    "funds, key",
    [
        ({"pass_down_days": 0}, "pass_down_days"),
        ({"pass_down_days": "ten"}, "pass_down_days"),
        ({"weights": {"dibao": "-1"}}, "weights.dibao"),
        ({"weights": {"dibao": "lots"}}, "weights.dibao"),
        ({"weights": {"collapsed": "1.001"}}, "weights.collapsed"),
        ({"weights": {"altitude": 1}}, "weights.altitude"),
        ({"assumed": "maybe"}, "assumed"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_bad_funds_values_are_refused_naming_the_key(client, world, funds, key):
    with pytest.raises(ValueError, match=f"funds.{key}"):
        check_funds(funds)
    reply = client.post("/api/v1/policies", json=policy_body(funds), headers=world.admin)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert "funds" in str(detail.get("field")) and key in str(detail)


def test_the_reader_refuses_a_bad_funds_value_naming_it(scenario, edit):  # noqa: F811
    from relief.scenario.reader import read_scenario

    text = (scenario / "policy.yaml").read_text(encoding="utf-8")
    block = "funds:\n  pass_down_days: 5\n  weights:\n    dibao: 0.8\n"
    (scenario / "policy.yaml").write_text(text + block, encoding="utf-8")
    read, problems = read_scenario(scenario)
    assert problems == []
    assert read.policy.funds == {"pass_down_days": 5, "weights": {"dibao": "0.8"}}
    edit("policy.yaml", "    dibao: 0.8\n", "    dibao: 101\n")
    _, problems = read_scenario(scenario)
    assert any("dibao" in str(p) for p in problems), problems


def test_an_english_refusal_is_the_validators_sentence_without_pydantics_prefix(client, world):
    headers = world.admin | {"Accept-Language": "en"}
    body = policy_body({"pass_down_days": 0})
    reply = client.post("/api/v1/policies", json=body, headers=headers)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert "Value error" not in str(detail), detail
    assert "funds.pass_down_days" in detail["errors"][0]["message"], detail
