"""The scenario validator: the rules that span records and files, each broken once in the
valid folder and found at its exact file, line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from relief.scenario.records import Problem
from relief.scenario.validate import check_scenario, format_problems, validate_scenario

NOW = datetime(2026, 7, 2, tzinfo=UTC)


def places(problems: list[Problem]) -> list[tuple[str, int, str]]:
    """Where each problem is (file, line, field): what these tests pin exactly."""
    return [(p.file, p.line, p.field) for p in problems]


def validate(folder: Path, now: datetime = NOW) -> list[tuple[str, int, str]]:
    return places(validate_scenario(folder, now=now))


def test_the_valid_folder_has_no_problem(scenario):
    problems = validate_scenario(scenario, now=NOW)

    assert problems == []
    assert format_problems(problems) == "OK"


def test_check_scenario_returns_the_scenario_with_the_problems(scenario, edit):
    edit("stock.csv", "WH-WC,tent", "WH-XX,tent")

    read_back, problems = check_scenario(scenario, now=NOW)

    assert len(read_back.regions) == 6
    assert places(problems) == [("stock.csv", 5, "warehouse_code")]


def test_problems_are_sorted_and_printed_one_a_line(scenario, edit):
    edit("stock.csv", "WH-WC,tent", "WH-XX,tent")
    edit("regions.csv", "county,150100,40.28", "county,150199,40.28")
    edit("events/flood.yaml", "kind: update", "kind: upd")

    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [
        ("events/flood.yaml", 10, "reports[2].kind"),
        ("regions.csv", 7, "parent_code"),
        ("stock.csv", 5, "warehouse_code"),
    ]
    assert format_problems(problems).splitlines() == [
        "events/flood.yaml:10: reports[2].kind: 'upd' is not one of initial, update, final",
        "regions.csv:7: parent_code: unknown region 150199",
        "stock.csv:5: warehouse_code: unknown warehouse WH-XX",
    ]


def test_a_missing_folder_is_one_problem(tmp_path):
    assert validate(tmp_path / "nowhere") == [(str(tmp_path / "nowhere"), 0, "folder")]


# --- regions ---------------------------------------------------------------------------


def test_an_unknown_parent_code_is_refused(scenario, edit):
    edit("regions.csv", "county,150100,40.28", "county,150199,40.28")

    assert validate(scenario) == [("regions.csv", 7, "parent_code")]


def test_a_duplicate_region_code_is_refused_at_its_second_row(scenario, edit):
    edit("regions.csv", "150122,托克托县", "150125,托克托县")
    edit("roads.csv", "150100,150122", "150100,150125")

    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [("regions.csv", 7, "code")]
    assert "first at line 4" in problems[0].message


def test_a_cycle_in_the_region_tree_is_refused_once(scenario, edit):
    # 150000 under 150125 closes 150000 → 150125 → 150100 → 150000, and leaves no root.
    edit("regions.csv", "province,,40.84", "province,150125,40.84")

    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [
        ("regions.csv", 0, "parent_code"),  # no root
        ("regions.csv", 2, "level"),  # a province under a county
        ("regions.csv", 2, "parent_code"),  # the cycle, named once from its first row
    ]
    assert problems[2].message.endswith("150000 → 150125 → 150100 → 150000")


def test_a_region_that_is_its_own_parent_is_a_cycle(scenario, edit):
    edit("regions.csv", "150122,托克托县,county,150100", "150122,托克托县,county,150122")

    assert validate(scenario) == [("regions.csv", 7, "level"), ("regions.csv", 7, "parent_code")]


def test_a_second_root_is_refused(scenario, edit):
    edit("regions.csv", "150122,托克托县,county,150100", "150122,托克托县,county,")

    assert validate(scenario) == [("regions.csv", 7, "parent_code")]


def test_a_child_must_be_below_its_parents_level(scenario, edit):
    edit("regions.csv", "150122,托克托县,county", "150122,托克托县,prefecture")

    assert validate(scenario) == [("regions.csv", 7, "level")]


def test_a_level_may_be_skipped(scenario, edit):
    # A county-level city directly under its province (省直辖县级) is a real shape.
    edit("regions.csv", "150122,托克托县,county,150100", "150122,托克托县,county,150000")

    assert validate(scenario) == []


def test_a_row_with_a_problem_does_not_also_make_its_references_unknown(scenario, edit):
    edit("regions.csv", "150125,武川县,county,150100,41.10", "150125,武川县,county,150100,")

    # One problem: the missing lat; not 150125 unknown for its townships, warehouse and roads.
    assert validate(scenario) == [("regions.csv", 4, "lat")]


# --- warehouses, roads, items, stock ---------------------------------------------------


def test_a_warehouse_in_an_unknown_region_is_refused(scenario, edit):
    edit("warehouses.csv", "county,150125,", "county,150126,")

    assert validate(scenario) == [("warehouses.csv", 4, "region_code")]


def test_a_warehouse_tier_must_match_its_regions_level(scenario, edit):
    edit("warehouses.csv", "prefecture,150100", "prefecture,150125")

    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [("warehouses.csv", 3, "tier")]
    assert problems[0].message == (
        "a prefecture warehouse belongs to a prefecture; 150125 is a county"
    )


def test_a_code_used_as_a_region_and_a_warehouse_is_refused(scenario, edit):
    edit("warehouses.csv", "WH-WC,", "150125101,")
    edit("roads.csv", "WH-HHT,WH-WC", "WH-HHT,150125101")
    edit("roads.csv", "WH-WC,150125", "150125101,150125")
    edit("stock.csv", "WH-WC,", "150125101,")

    assert validate(scenario) == [("warehouses.csv", 4, "code")]


def test_a_duplicate_warehouse_code_is_refused(scenario, edit):
    edit(
        "warehouses.csv",
        "111.45,1500\n",
        "111.45,1500\nWH-WC,托克托县片区库,county,150122,40.28,111.19,900\n",
    )

    assert validate(scenario) == [("warehouses.csv", 5, "code")]


def test_a_road_end_must_be_a_region_or_a_warehouse(scenario, edit):
    edit("roads.csv", "150100,150122", "150100,150123")

    assert validate(scenario) == [("roads.csv", 9, "to_code")]


def test_a_duplicate_road_id_is_refused(scenario, scenario_files):
    lines = scenario_files["roads.csv"].splitlines()
    ids = ["R1", "R2", "R3", "R4", "R5", "R6", "R2", "R8"]
    rows = ["id," + lines[0]] + [f"{i},{line}" for i, line in zip(ids, lines[1:], strict=True)]
    (scenario / "roads.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    assert validate(scenario) == [("roads.csv", 8, "id")]


def test_a_duplicate_item_code_is_refused(scenario, edit):
    edit("items.csv", "quilt,棉被", "rice,棉被")
    edit(
        "policy.yaml",
        "  - {item: quilt, basis: relocated, per_person: 1, priority_weight: 6}\n",
        "",
    )
    edit("stock.csv", "WH-HHT,quilt,", "WH-HHT,rice,")

    assert validate(scenario) == [("items.csv", 4, "code")]


@pytest.mark.parametrize(
    ("new", "field"),
    [("WH-XX,rice,200000,20000", "warehouse_code"), ("WH-NM,flour,200000,20000", "item_code")],
)
def test_stock_of_an_unknown_warehouse_or_item_is_refused(scenario, edit, new, field):
    edit("stock.csv", "WH-NM,rice,200000,20000", new)

    assert validate(scenario) == [("stock.csv", 3, field)]


def test_a_second_stock_row_for_one_warehouse_and_item_is_refused(scenario, edit):
    edit("stock.csv", "WH-WC,tent,200,20", "WH-NM,tent,200,20")

    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [("stock.csv", 5, "item_code")]
    assert "first at line 2" in problems[0].message


# --- policy ----------------------------------------------------------------------------


def test_a_norm_for_an_item_not_in_items_csv_is_refused(scenario, edit):
    edit("policy.yaml", "{item: quilt,", "{item: blanket,")

    assert validate(scenario) == [("policy.yaml", 21, "norms[2].item")]


def test_two_norms_of_one_item_must_share_a_priority_weight(scenario, edit):
    edit(
        "policy.yaml",
        "  - {item: quilt, basis: relocated, per_person: 1, priority_weight: 6}\n",
        "  - {item: quilt, basis: relocated, per_person: 1, priority_weight: 6}\n"
        "  - {item: quilt, basis: needing_aid, per_person: 0.5, priority_weight: 7}\n"
        "  - {item: quilt, basis: deaths, per_person: 2, priority_weight: 6}\n",
    )

    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [("policy.yaml", 22, "norms[3].priority_weight")]
    assert "line 21 gives 6" in problems[0].message


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("region_code: 150125", "region_code: 150126", 28, "subsidies.programmes[0].region_code"),
        ("event: flood", "event: drought", 29, "subsidies.programmes[0].event"),
    ],
)
def test_a_programme_must_name_a_known_region_and_event(scenario, edit, old, new, line, field):
    edit("policy.yaml", old, new)

    assert validate(scenario) == [("policy.yaml", line, field)]


# --- events ----------------------------------------------------------------------------

FLOOD = "events/flood.yaml"


def test_an_unknown_event_region_is_refused(scenario, edit):
    edit(FLOOD, 'region_codes: ["150125"]', 'region_codes: ["150125", "150126"]')

    assert validate(scenario) == [(FLOOD, 5, "region_codes[1]")]


def test_a_report_of_an_unknown_region_is_refused(scenario, edit):
    edit(FLOOD, 'region_code: "150125102"', 'region_code: "150125109"')

    assert validate(scenario) == [(FLOOD, 9, "reports[1].region_code")]


def test_a_report_must_be_in_or_under_one_of_the_events_regions(scenario, edit):
    edit(FLOOD, 'region_code: "150125102"', 'region_code: "150122"')

    assert validate(scenario) == [(FLOOD, 9, "reports[1].region_code")]


def test_a_report_of_the_event_region_itself_is_accepted(scenario, edit):
    edit(FLOOD, 'region_codes: ["150125"]', 'region_codes: ["150100"]')
    edit(FLOOD, 'region_code: "150125102"', 'region_code: "150122"')

    assert validate(scenario) == []


def test_a_report_under_an_already_reported_region_is_refused(scenario, edit):
    edit(FLOOD, 'region_codes: ["150125"]', 'region_codes: ["150100"]')
    edit(FLOOD, 'region_code: "150125101", kind: initial', 'region_code: "150125", kind: initial')
    edit(FLOOD, 'region_code: "150125101", kind: update', 'region_code: "150125", kind: update')

    # 150125102 comes after 150125 (line 8): counting both would count it twice.
    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [(FLOOD, 9, "reports[1].region_code")]
    assert "under 150125, already reported (line 8)" in problems[0].message


def test_a_report_above_an_already_reported_region_is_refused(scenario, edit):
    edit(FLOOD, 'region_code: "150125101", kind: update', 'region_code: "150125", kind: update')

    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [(FLOOD, 10, "reports[2].region_code")]
    assert "above 150125101, already reported (line 8)" in problems[0].message


def test_after_a_final_report_only_another_final_is_accepted(scenario, edit):
    edit(FLOOD, 'region_code: "150125101", kind: initial', 'region_code: "150125101", kind: final')

    problems = validate_scenario(scenario, now=NOW)

    assert places(problems) == [(FLOOD, 10, "reports[2].kind")]
    assert "final report (line 8)" in problems[0].message


def test_a_final_may_correct_a_final(scenario, edit):
    edit(FLOOD, 'region_code: "150125101", kind: initial', 'region_code: "150125101", kind: final')
    edit(FLOOD, "kind: update", "kind: final")

    assert validate(scenario) == []


def test_a_report_in_the_future_is_refused(scenario):
    # The last report is 2026-07-01T12:00+08:00 = 04:00 UTC.
    just_before = datetime(2026, 7, 1, 3, 59, tzinfo=UTC)
    at_the_same_time = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)

    assert validate(scenario, now=just_before) == [(FLOOD, 10, "reports[2].reported_at")]
    assert validate(scenario, now=at_the_same_time) == []


def test_a_closed_road_must_match_a_road_in_either_direction(scenario, edit):
    edit(
        FLOOD,
        "closed_roads: [[150125, 150125102]]",
        "closed_roads: [[150125102, 150125], [WH-NM, 150125]]",
    )

    assert validate(scenario) == [(FLOOD, 6, "closed_roads[1]")]


def test_the_reports_of_an_event_with_a_bad_header_are_still_checked(scenario, edit):
    edit(FLOOD, "hazard: flood", "hazard: meteor")
    edit(FLOOD, 'region_code: "150125102"', 'region_code: "150125109"')

    assert validate(scenario) == [(FLOOD, 2, "hazard"), (FLOOD, 9, "reports[1].region_code")]


def test_without_region_codes_any_known_region_may_report(scenario, edit):
    edit(FLOOD, 'region_codes: ["150125"]\n', "")
    edit(FLOOD, 'region_code: "150125102"', 'region_code: "150122"')

    assert validate(scenario) == []
