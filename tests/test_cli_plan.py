"""`relief plan` from a scenario folder, no database: the Plan file (API.md's shape with
null ids), `--method both` with its comparison, what-ifs, and the exit codes (0 plan
produced, 2 bad arguments or an invalid folder, 3 no level)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relief.cli import app
from relief.scenario.validate import format_problems, validate_scenario

GUIZHOU = Path(__file__).parents[1] / "scenarios" / "guizhou"
PLAN_KEYS = {
    "id",
    "response_id",
    "event",
    "event_code",
    "level",
    "method",
    "status",
    "state",
    "stale",
    "what_if",
    "fingerprint",
    "solve_seconds",
    "stats",
    "by_item",
    "lines",
    "unmet",
}
REASONS = {"no_route", "deadline", "jurisdiction", "stock_exhausted"}


def relief(*args: str):
    return CliRunner().invoke(app, ["plan", *args])


def test_json_file_holds_the_plan_with_null_ids(tmp_path):
    out = tmp_path / "plan.json"
    result = relief("--scenario", str(GUIZHOU), "--event", "flood", "--json", str(out))
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert set(plan) == PLAN_KEYS
    assert (plan["id"], plan["response_id"]) == (None, None)
    # API.md: `event` is the event's name; its code is the file stem --event took.
    assert (plan["event"], plan["event_code"]) == ("2026年6月黔东南州及三都县特大暴雨洪涝", "flood")
    assert (plan["level"], plan["method"], plan["status"]) == (
        2,
        "optimal",
        "optimal",
    )
    assert (plan["state"], plan["stale"], plan["what_if"]) == ("draft", False, False)
    assert len(plan["fingerprint"]) == 64
    stats = plan["stats"]
    assert stats["shortfall"] > 0 and stats["demand"] == stats["allocated"] + stats["shortfall"]
    assert sum(line["quantity"] for line in plan["lines"]) == stats["allocated"]
    assert {u["reason"] for u in plan["unmet"]} <= REASONS


def test_both_methods_show_optimal_no_worse_than_greedy_with_every_shortfall_explained():
    result = relief(
        "--scenario", str(GUIZHOU), "--event", "flood", "--method", "both", "--json", "-"
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"optimal", "greedy", "comparison"}
    optimal, greedy = body["optimal"], body["greedy"]
    assert (optimal["method"], greedy["method"]) == ("optimal", "greedy")
    assert greedy["status"] == "feasible"
    assert optimal["fingerprint"] == greedy["fingerprint"]  # the very same inputs
    measures = body["comparison"]["measures"]
    assert measures["deprivation"]["optimal"] == optimal["stats"]["deprivation"]
    assert measures["deprivation"]["greedy"] == greedy["stats"]["deprivation"]
    # On the Guizhou flood the fair sharing of scarce water, tents and toilets is strictly
    # better than the dispatcher's first-come order, and no worse for the worst-off region.
    assert measures["deprivation"]["difference"] < 0
    assert measures["min_fill_rate"]["optimal"] >= measures["min_fill_rate"]["greedy"]
    for plan in (optimal, greedy):
        assert plan["unmet"] and all(u["reason"] in REASONS for u in plan["unmet"])
        assert sum(u["shortfall"] for u in plan["unmet"]) == plan["stats"]["shortfall"]

    text = relief("--scenario", str(GUIZHOU), "--event", "flood", "--method", "both")
    assert text.exit_code == 0, text.output
    assert "method optimal" in text.stdout and "method greedy" in text.stdout
    assert "deprivation (stage-1 objective)" in text.stdout


def test_a_level_or_closures_make_a_what_if():
    result = relief(
        "--scenario",
        str(GUIZHOU),
        "--event",
        "flood",
        "--method",
        "greedy",
        "--level",
        "4",
        "--close",
        "522632:522732",
        "--time-limit",
        "5",
        "--json",
        "-",
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert (plan["what_if"], plan["level"], plan["status"]) == (True, 4, "feasible")


def test_the_text_summary_names_what_would_unlock_stock_for_a_shortfall():
    into_sandu = [
        "522632:522732",
        "522633:522732",
        "522636:522732",
        "522722:522732",
        "522726:522732",
        "522727:522732",
        "522732:522701",
        "WH-522732-C:522732",
    ]
    closes = [arg for pair in into_sandu for arg in ("--close", pair)]

    result = relief("--scenario", str(GUIZHOU), "--event", "flood", "--level", "4", *closes)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # The listed needs carry their remedy (the first ones are stock_exhausted at level 4) …
    listed = r"^  5226\d\d \w+: [\d,]+, stock_exhausted; unlocked at level 2 \([\d,]+ available\)$"
    assert any(re.search(listed, line) for line in lines)
    # … and the summary counts every need a remedy reaches, the cut-off county included.
    assert re.search(r"^  level 2: \d+ needs$", result.stdout, re.M)
    assert re.search(
        r"^  reopen WH-522732-C—522732 \(road R0195\): \d+ needs$", result.stdout, re.M
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--event", "no-such-event"],
        ["--event", "flood", "--method", "fastest"],
        ["--event", "flood", "--level", "5"],
        ["--event", "flood", "--close", "522732"],
        ["--event", "flood", "--close", "522732:522732"],
        ["--event", "flood", "--close", "522732:NOWHERE"],
        ["--event", "flood", "--time-limit", "0"],
    ],
)
def test_bad_arguments_exit_2(args):
    result = relief("--scenario", str(GUIZHOU), *args)
    assert result.exit_code == 2, result.output


def test_an_invalid_folder_exits_2_printing_its_problems_as_validate_does(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(GUIZHOU, folder)
    with (folder / "stock.csv").open("a", encoding="utf-8") as f:
        f.write("WH-NOWHERE,tent,10,0\n")
    problems = validate_scenario(folder)
    assert problems

    result = relief("--scenario", str(folder), "--event", "flood")
    assert result.exit_code == 2
    assert result.stdout.strip() == format_problems(problems)


def test_no_level_given_and_none_recommended_exits_3(tmp_path):
    folder = tmp_path / "calm"
    shutil.copytree(GUIZHOU, folder)
    (folder / "events" / "drizzle.yaml").write_text(
        "name: 小雨\n"
        "hazard: flood\n"
        "started_at: 2026-06-19T02:00:00+08:00\n"
        'region_codes: ["522732"]\n'
        "reports:\n"
        '  - {region_code: "522732", kind: initial, reported_at: 2026-06-19T08:00:00+08:00,'
        " deaths: 0, missing: 0, relocated: 20, needing_aid: 30, collapsed_households: 0,"
        " collapsed_rooms: 0, severe_households: 0, severe_rooms: 0, general_households: 1,"
        " general_rooms: 2}\n",
        encoding="utf-8",
    )
    assert validate_scenario(folder) == []

    result = relief("--scenario", str(folder), "--event", "drizzle")
    assert result.exit_code == 3, result.output
    # With a level the same event plans (a what-if of a response nobody triggered).
    planned = relief("--scenario", str(folder), "--event", "drizzle", "--level", "4", "--json", "-")
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["stats"]["demand"] > 0
