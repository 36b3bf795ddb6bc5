"""The scenario reader: records typed as the format says, and every per-file problem found
at its file, line and field."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from relief.scenario.reader import read_scenario
from relief.scenario.records import Problem, Scenario
from relief.scenario.validate import validate_scenario

CST = timezone(timedelta(hours=8))


def places(problems: list[Problem]) -> list[tuple[str, int, str]]:
    """Where each problem is (file, line, field): what these tests pin exactly."""
    return [(p.file, p.line, p.field) for p in problems]


def read(folder: Path) -> tuple[Scenario, list[tuple[str, int, str]]]:
    scenario, problems = read_scenario(folder)
    return scenario, places(problems)


def test_the_valid_folder_reads_without_problems_into_typed_records(scenario):
    read_back, problems = read_scenario(scenario)

    assert problems == []
    assert read_back.name == "wuchuan"
    root, prefecture = read_back.regions[0], read_back.regions[1]
    assert (root.code, root.parent_code, root.population) == ("150000", None, None)
    assert (prefecture.parent_code, prefecture.population, prefecture.lat) == (
        "150000",
        3446100,
        40.84,
    )
    road = read_back.roads[2]
    assert (road.distance_km, road.travel_time_h) == (Decimal("52.30"), Decimal("1.1"))
    assert read_back.items[2].name_en == "" and read_back.items[2].category == ""
    assert read_back.stock[0].on_hand == 5000 and read_back.stock[0].floor == 500
    assert [w.capacity_m3 for w in read_back.warehouses] == [20000, 8000, 1500]


def test_codes_that_look_like_numbers_stay_strings_with_their_leading_zeros(scenario, edit):
    edit("regions.csv", "150122,托克托县", "0150122,托克托县")
    edit("policy.yaml", "region_code: 150125", "region_code: 0150125")
    edit("events/flood.yaml", 'region_codes: ["150125"]', "region_codes: [0150125, 150125]")

    read_back, _ = read_scenario(scenario)

    assert read_back.regions[-1].code == "0150122"
    assert read_back.policy.subsidies["programmes"][0]["region_code"] == "0150125"
    assert read_back.events["flood"].region_codes == ["0150125", "150125"]
    assert read_back.events["flood"].closed_roads == [("150125", "150125102")]
    assert all(isinstance(r.region_code, str) for r in read_back.events["flood"].reports)


def test_a_byte_order_mark_is_accepted(scenario, scenario_files):
    for name in ("regions.csv", "policy.yaml", "events/flood.yaml"):
        (scenario / name).write_text("\ufeff" + scenario_files[name], encoding="utf-8")

    read_back, problems = read(scenario)

    assert problems == []
    assert read_back.regions[0].code == "150000"


def test_text_that_is_not_utf8_is_reported_at_its_line(scenario, scenario_files):
    (scenario / "items.csv").write_bytes(scenario_files["items.csv"].encode("gb18030"))

    assert read(scenario)[1] == [("items.csv", 2, "encoding")]


def test_a_missing_csv_is_a_whole_file_problem(scenario):
    (scenario / "stock.csv").unlink()

    assert read(scenario)[1] == [("stock.csv", 0, "file")]


def test_policy_and_events_are_optional(scenario):
    (scenario / "policy.yaml").unlink()
    (scenario / "events" / "flood.yaml").unlink()
    (scenario / "events").rmdir()

    read_back, problems = read(scenario)

    assert problems == []
    assert read_back.policy is None and read_back.events == {}


def test_the_scenario_code_is_the_folders_name_unless_scenario_yaml_names_one(scenario):
    assert read(scenario)[0].code == "wuchuan"

    (scenario / "scenario.yaml").write_text("code: WC-2026\n", encoding="utf-8")

    read_back, problems = read(scenario)
    assert problems == [] and (read_back.name, read_back.code) == ("wuchuan", "WC-2026")


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("code: wu chuan\n", 1, "code"),
        ("code: wuchuan\nname: 武川\n", 2, "name"),
        (f"code: {'w' * 65}\n", 1, "code"),
        ("- code\n", 1, "file"),
    ],
)
def test_a_bad_scenario_yaml_is_reported_at_its_line(scenario, text, line, field):
    (scenario / "scenario.yaml").write_text(text, encoding="utf-8")

    read_back, problems = read(scenario)

    assert problems == [("scenario.yaml", line, field)]
    assert read_back.code == "wuchuan"


def test_a_missing_or_unknown_column_is_reported_on_the_header(scenario, edit):
    edit("regions.csv", "lat,lon,population", "lat,lon,pop")

    assert read(scenario)[1] == [("regions.csv", 1, "pop"), ("regions.csv", 1, "population")]


def test_a_duplicate_column_is_reported_on_the_header(scenario, edit):
    edit("warehouses.csv", "code,name,tier", "code,code,tier")

    assert read(scenario)[1] == [("warehouses.csv", 1, "code"), ("warehouses.csv", 1, "name")]


def test_a_row_with_too_few_values_is_reported(scenario, edit):
    edit("items.csv", "rice,大米,rice,kg,1,0.0013,food", "rice,大米,rice,kg,1,0.0013")

    read_back, problems = read(scenario)

    assert problems == [("items.csv", 3, "row")]
    assert [item.code for item in read_back.items] == ["tent", "quilt"]


def test_blank_lines_are_skipped_and_later_lines_keep_their_numbers(scenario, edit):
    edit("stock.csv", "WH-NM,rice", "\n,,,\nWH-NM,rice")
    edit("stock.csv", "WH-WC,tent,200,20", "WH-WC,tent,200,-20")

    assert read(scenario)[1] == [("stock.csv", 7, "floor")]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("40.84,111.74,3446100", ",111.74,3446100", "lat"),
        ("40.84,111.74,3446100", "91,111.74,3446100", "lat"),
        ("40.84,111.74,3446100", "40.84,-180.5,3446100", "lon"),
        ("40.84,111.74,3446100", "40.84,east,3446100", "lon"),
        ("40.84,111.74,3446100", "40.84,111.74,-5", "population"),
        ("40.84,111.74,3446100", "40.84,111.74,3.4e6", "population"),
        ("呼和浩特市,prefecture", "呼和浩特市,city", "level"),
        ("150100,呼和浩特市", ",呼和浩特市", "code"),
        ("150100,呼和浩特市", "150 100,呼和浩特市", "code"),
        ("呼和浩特市,prefecture,150000", ",prefecture,150000", "name"),
    ],
)
def test_a_bad_region_value_is_reported_at_its_row_and_column(scenario, edit, old, new, field):
    edit("regions.csv", old, new)

    read_back, problems = read(scenario)

    assert problems == [("regions.csv", 3, field)]
    assert "150100" not in [region.code for region in read_back.regions]


@pytest.mark.parametrize(
    ("new", "field"),
    [
        ("WH-HHT,WH-WC,52.305,1.1,open", "distance_km"),
        ("WH-HHT,WH-WC,-52.30,1.1,open", "distance_km"),
        ("WH-HHT,WH-WC,52.30,,open", "travel_time_h"),
        ("WH-HHT,WH-WC,52.30,1.125,open", "travel_time_h"),
        ("WH-HHT,WH-WC,52.30,1.1,blocked", "status"),
        ("WH-HHT,WH-HHT,52.30,1.1,open", "to_code"),
    ],
)
def test_a_bad_road_is_reported_at_its_row_and_column(scenario, edit, new, field):
    edit("roads.csv", "WH-HHT,WH-WC,52.30,1.1,open", new)

    assert read(scenario)[1] == [("roads.csv", 4, field)]


def test_two_decimals_are_about_the_value_not_the_text(scenario, edit):
    edit("roads.csv", "WH-HHT,WH-WC,52.30,1.1,open", "WH-HHT,WH-WC,52.300,1.10,open")

    read_back, problems = read(scenario)

    assert problems == []
    assert read_back.roads[2].distance_km == Decimal("52.3")


def test_roads_without_an_id_column_are_known_by_their_ends_and_position(scenario):
    read_back, _ = read_scenario(scenario)

    ids = [road.id for road in read_back.roads]

    assert ids[0] == "WH-HHT~WH-NM#1"
    # Two roads join 150125 and 150125102, written once in each direction.
    assert ids[5:7] == ["150125~150125102#1", "150125~150125102#2"]
    assert len(set(ids)) == len(ids)


def test_an_id_column_names_the_roads(scenario, scenario_files):
    lines = scenario_files["roads.csv"].splitlines()
    rows = ["id," + lines[0]] + [f"R{n}," + line for n, line in enumerate(lines[1:], start=1)]
    (scenario / "roads.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    read_back, problems = read(scenario)

    assert problems == []
    assert [road.id for road in read_back.roads][:2] == ["R1", "R2"]


@pytest.mark.parametrize(
    ("new", "field"),
    [
        ("WH-NM,rice,200000,-1", "floor"),
        ("WH-NM,rice,-200000,0", "on_hand"),
        ("WH-NM,rice,1.5,0", "on_hand"),
        ("WH-NM,rice,200000,200001", "floor"),
        ("WH-NM,,200000,20000", "item_code"),
    ],
)
def test_bad_stock_is_reported_at_its_row_and_column(scenario, edit, new, field):
    edit("stock.csv", "WH-NM,rice,200000,20000", new)

    assert read(scenario)[1] == [("stock.csv", 3, field)]


def test_a_floor_equal_to_on_hand_is_allowed(scenario, edit):
    edit("stock.csv", "WH-NM,rice,200000,20000", "WH-NM,rice,200000,200000")

    assert read(scenario)[1] == []


@pytest.mark.parametrize(
    ("old", "new", "file", "line", "field"),
    [
        ("tent,救灾帐篷,tent,顶,25,", "tent,救灾帐篷,tent,顶,-25,", "items.csv", 2, "weight_kg"),
        ("tent,救灾帐篷,tent,顶,25,", "tent,救灾帐篷,tent,,25,", "items.csv", 2, "unit"),
        (",provincial,150000", ",central,150000", "warehouses.csv", 2, "tier"),
        ("111.45,1500", "111.45,-1", "warehouses.csv", 4, "capacity_m3"),
        ("111.45,1500", "111.45,", "warehouses.csv", 4, "capacity_m3"),
    ],
)
def test_bad_items_and_warehouses_are_reported(scenario, edit, old, new, file, line, field):
    name = "items.csv" if file == "items.csv" else "warehouses.csv"
    edit(name, old, new)

    assert read(scenario)[1] == [(file, line, field)]


# --- policy.yaml -----------------------------------------------------------------------


def test_the_policy_reads_into_exact_values(scenario):
    policy = read_scenario(scenario)[0].policy

    assert policy.effective_from == date(2024, 1, 20)
    assert policy.criteria["dead_missing"] == ["deaths", "missing"]
    assert policy.thresholds[4] == {
        "dead_missing": 20,
        "relocated_or_aided": 100000,
        "collapsed_severe_households": 3000,
    }
    assert policy.deadlines_h == {1: 8, 2: 10, 3: 12, 4: Decimal("12.5")}
    assert policy.response_deadlines_h == {"situation_report": {1: 24, 2: 24, 3: 24, 4: 24}}
    assert policy.cross_jurisdiction_levels == frozenset({1, 2})
    assert policy.tier_penalty_ton_km["provincial"] == 60
    assert policy.cross_jurisdiction_penalty_ton_km == 30
    rice = policy.norms[1]
    # Read from its text: 0.1 exactly, not the binary float 0.1000000000000000055…
    assert rice.per_person == Decimal("0.1") and rice.per_person * 30 == 3
    assert (rice.item_code, rice.basis, rice.priority_weight) == ("rice", "needing_aid", 10)


def test_subsidies_are_a_plain_dict_with_strings_for_codes_and_money(scenario):
    subsidies = read_scenario(scenario)[0].policy.subsidies

    programme = subsidies["programmes"][0]
    assert subsidies["notice_days"] == 7
    assert (programme["region_code"], programme["budget"]) == ("150125", "5000000.00")
    assert programme["standards"][1] == {
        "effective_from": date(2018, 1, 1),
        "damage": "collapsed",
        "per_household": "20000.00",
    }


def test_effective_from_defaults_to_1970(scenario, edit):
    edit("policy.yaml", "effective_from: 2024-01-20\n", "")

    assert read_scenario(scenario)[0].policy.effective_from == date(1970, 1, 1)


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("effective_from: 2024-01-20", "effective_from: 2024-13-01", 1, "effective_from"),
        (
            "dead_missing: [deaths, missing]",
            "dead_missing: [deaths, lost]",
            3,
            "criteria.dead_missing[1]",
        ),
        (
            "dead_missing: [deaths, missing]",
            "dead_missing: [deaths, missing]\n  deaths: [deaths]",
            4,
            "criteria.deaths",
        ),
        ("dead_missing: [deaths, missing]", "dead_missing: []", 3, "criteria.dead_missing"),
        ("4: {dead_missing: 20,", "4: {dead_or_missing: 20,", 11, "thresholds.4.dead_or_missing"),
        ("4: {dead_missing: 20,", "4: {dead_missing: -20,", 11, "thresholds.4.dead_missing"),
        ("4: {dead_missing: 20,", "5: {dead_missing: 20,", 11, "thresholds.5"),
        ("{1: 8, 2: 10, 3: 12, 4: 12.5}", "{1: 8, 2: 10, 3: 12, 4: 12.505}", 12, "deadlines_h.4"),
        ("{1: 8, 2: 10, 3: 12, 4: 12.5}", "{1: 8, 2: 10, 3: 12}", 12, "deadlines_h"),
        (
            "situation_report: {",
            "situation_reports: {",
            14,
            "response_deadlines_h.situation_reports",
        ),
        (
            "cross_jurisdiction_levels: [1, 2]",
            "cross_jurisdiction_levels: [1, 5]",
            15,
            "cross_jurisdiction_levels[1]",
        ),
        (
            "{county: 0, prefecture: 20",
            "{township: 0, prefecture: 20",
            16,
            "tier_penalty_ton_km.township",
        ),
        (
            "cross_jurisdiction_penalty_ton_km: 30",
            "cross_jurisdiction_penalty_ton_km: -1",
            17,
            "cross_jurisdiction_penalty_ton_km",
        ),
        (
            "basis: relocated, per_person: 0.25",
            "basis: people, per_person: 0.25",
            19,
            "norms[0].basis",
        ),
        ("per_person: 0.25", "per_person: a quarter", 19, "norms[0].per_person"),
        ("per_person: 0.25", "per_person: -0.25", 19, "norms[0].per_person"),
        (
            "per_person: 0.25, priority_weight: 8",
            "per_person: 0.25, priority_weight: 8.5",
            19,
            "norms[0].priority_weight",
        ),
        (
            "{item: tent, basis: relocated, per_person: 0.25, ",
            "{item: tent, per_person: 0.25, ",
            19,
            "norms[0].basis",
        ),
        ("norms:", "norms: {}\nnorm_list:", 18, "norms"),
        (
            "cross_jurisdiction_penalty_ton_km: 30",
            "cross_jurisdiction_penalty: 30",
            17,
            "cross_jurisdiction_penalty",
        ),
    ],
)
def test_a_bad_policy_value_is_reported_at_its_line_and_path(scenario, edit, old, new, line, field):
    edit("policy.yaml", old, new)

    problems = sorted(read(scenario)[1])

    if old == "norms:":  # the list is now under an unknown key, reported too
        assert problems == [("policy.yaml", 18, "norms"), ("policy.yaml", 19, "norm_list")]
    else:
        assert problems == [("policy.yaml", line, field)]


def test_loading_h_is_read_from_the_policy_and_defaults_to_two_hours(scenario, edit):
    assert read_scenario(scenario)[0].policy.loading_h == 2
    edit(
        "policy.yaml",
        "cross_jurisdiction_penalty_ton_km: 30",
        "cross_jurisdiction_penalty_ton_km: 30\nloading_h: 1.5",
    )
    assert read_scenario(scenario)[0].policy.loading_h == Decimal("1.5")
    edit("policy.yaml", "loading_h: 1.5", "loading_h: -1")
    assert sorted(read(scenario)[1]) == [("policy.yaml", 18, "loading_h")]


def test_thresholds_and_deadlines_are_required(scenario, scenario_files):
    text = scenario_files["policy.yaml"]
    start, end = text.index("thresholds:"), text.index("response_deadlines_h:")
    (scenario / "policy.yaml").write_text(text[:start] + text[end:], encoding="utf-8")

    assert sorted(read(scenario)[1]) == [
        ("policy.yaml", 1, "deadlines_h"),
        ("policy.yaml", 1, "thresholds"),
    ]


def test_a_policy_that_is_not_a_mapping_is_a_problem_of_the_file(scenario):
    (scenario / "policy.yaml").write_text("- thresholds\n", encoding="utf-8")

    read_back, problems = read(scenario)

    assert problems == [("policy.yaml", 1, "file")]
    assert read_back.policy is None


def test_a_yaml_syntax_error_is_reported_at_its_line(scenario, edit):
    edit("policy.yaml", "cross_jurisdiction_levels: [1, 2]", "cross_jurisdiction_levels: [1, 2")

    # The parser notices the unclosed list on the next line, at `tier_penalty_ton_km:`.
    assert read(scenario)[1] == [("policy.yaml", 16, "yaml")]


def test_a_duplicate_key_is_reported_at_the_second_one(scenario, edit):
    edit(
        "policy.yaml",
        "cross_jurisdiction_penalty_ton_km: 30",
        "cross_jurisdiction_penalty_ton_km: 30\ncross_jurisdiction_penalty_ton_km: 40",
    )

    assert read(scenario)[1] == [("policy.yaml", 18, "cross_jurisdiction_penalty_ton_km")]


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("kind: rebuild", "kind: rebuilding", 27, "subsidies.programmes[0].kind"),
        ('budget: "5000000"', 'budget: "5000000.001"', 30, "subsidies.programmes[0].budget"),
        ('budget: "5000000"', 'budget: "five million"', 30, "subsidies.programmes[0].budget"),
        ("category: dibao", "category: wubao", 32, "subsidies.programmes[0].standards[0].category"),
        (
            "damage: collapsed, per_household: 20000",
            "damage: destroyed, per_household: 20000",
            33,
            "subsidies.programmes[0].standards[1].damage",
        ),
        (
            "per_household: 20000}",
            "per_household: 20000, per_person_month: 300}",
            33,
            "subsidies.programmes[0].standards[1].per_person_month",
        ),
        ("notice_days: 7", "notice_days: -7", 23, "subsidies.notice_days"),
        (
            'budget: "5000000"',
            'budget: "5000000"\n      supervision_phone: "call the office"',
            31,
            "subsidies.programmes[0].supervision_phone",
        ),
        ('      budget: "5000000"\n', "", 25, "subsidies.programmes[0].budget"),
    ],
)
def test_bad_subsidies_are_reported_at_their_line(scenario, edit, old, new, line, field):
    edit("policy.yaml", old, new)

    assert read(scenario)[1] == [("policy.yaml", line, field)]


GRAIN = """\
    - code: WC-2026-GRAIN
      name: 武川县2026年过渡期生活救助
      kind: grain
      region_code: "150125"
      budget: 300000
      notice_days: 5
      standards:
"""


@pytest.mark.parametrize(
    ("standard", "expected"),
    [
        (
            "{effective_from: 2020-01-01, per_person_month: 600, months: 3}",
            {"effective_from": date(2020, 1, 1), "per_person_month": "600.00", "months": 3},
        ),
        (
            "{effective_from: 2020-01-01, category: tekun, per_person_month_kg: 15,"
            " price_per_kg: 4.2, months: 3, per_household: false}",
            {
                "effective_from": date(2020, 1, 1),
                "category": "tekun",
                "per_person_month_kg": Decimal(15),
                "price_per_kg": "4.20",
                "months": 3,
                "per_household": False,
            },
        ),
    ],
)
def test_a_grain_programme_reads_its_standards(scenario, scenario_files, standard, expected):
    text = scenario_files["policy.yaml"] + GRAIN + f"        - {standard}\n"
    (scenario / "policy.yaml").write_text(text, encoding="utf-8")

    read_back, problems = read(scenario)

    grain = read_back.policy.subsidies["programmes"][1]
    assert problems == []
    assert (grain["kind"], grain["budget"], grain["notice_days"]) == ("grain", "300000.00", 5)
    assert grain["standards"] == [expected]


@pytest.mark.parametrize(
    ("standard", "field"),
    [
        ("{effective_from: 2020-01-01, per_person_month: 600}", "months"),
        ("{effective_from: 2020-01-01, months: 3}", ""),
        ("{effective_from: 2020-01-01, per_person_month: 600, price_per_kg: 4, months: 3}", ""),
        ("{effective_from: 2020-01-01, per_person_month_kg: 15, months: 3}", ""),
        (
            "{effective_from: 2020-01-01, per_person_month: 600, months: 3, damage: severe}",
            "damage",
        ),
        (
            "{effective_from: 2020-01-01, per_person_month: 600, months: 3, per_household: 1}",
            "per_household",
        ),
    ],
)
def test_a_grain_standard_needs_one_way_to_price_the_grain(
    scenario, scenario_files, standard, field
):
    text = scenario_files["policy.yaml"] + GRAIN + f"        - {standard}\n"
    (scenario / "policy.yaml").write_text(text, encoding="utf-8")

    path = "subsidies.programmes[1].standards[0]"
    assert read(scenario)[1] == [("policy.yaml", 41, f"{path}.{field}" if field else path)]


def test_a_field_listed_twice_in_a_criterion_is_reported(scenario, edit):
    edit("policy.yaml", "[deaths, missing]", "[deaths, missing, deaths]")

    assert read(scenario)[1] == [("policy.yaml", 3, "criteria.dead_missing[2]")]


def test_an_empty_quoted_value_is_missing(scenario, edit):
    edit("events/flood.yaml", "name: 武川县暴雨洪涝", 'name: ""')

    assert read(scenario)[1] == [("events/flood.yaml", 1, "name")]


def test_a_list_where_a_value_belongs_is_reported(scenario, edit):
    edit("events/flood.yaml", "hazard: flood", "hazard: [flood, landslide]")

    assert read(scenario)[1] == [("events/flood.yaml", 2, "hazard")]


# --- events/*.yaml ---------------------------------------------------------------------


def test_an_event_reads_with_its_reports_in_file_order(scenario):
    event = read_scenario(scenario)[0].events["flood"]

    assert (event.name, event.title, event.hazard, event.level) == (
        "flood",
        "武川县暴雨洪涝",
        "flood",
        4,
    )
    assert event.started_at == datetime(2026, 7, 1, 6, tzinfo=CST)
    assert [report.seq for report in event.reports] == [0, 1, 2]
    assert event.reports[2].counts["general_rooms"] == 520
    assert event.reports[2].kind == "update"


def test_a_report_may_give_the_explanation_of_a_jump(scenario, edit):
    edit(
        "events/flood.yaml",
        "general_rooms: 520}",
        'general_rooms: 520, explanation: " 核实后更新 "}',
    )
    event = read_scenario(scenario)[0].events["flood"]
    assert event.reports[2].explanation == "核实后更新"
    assert event.reports[1].explanation is None
    edit("events/flood.yaml", '" 核实后更新 "', '"a\\x07b"')
    assert read(scenario)[1] == [("events/flood.yaml", 10, "reports[2].explanation")]


def test_without_region_codes_the_event_covers_the_regions_of_its_reports(scenario, edit):
    edit("events/flood.yaml", 'region_codes: ["150125"]\n', "")
    edit("events/flood.yaml", "level: 4\n", "")

    read_back, problems = read(scenario)

    assert problems == []
    assert read_back.events["flood"].region_codes == ["150125101", "150125102"]
    assert read_back.events["flood"].level is None


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        (
            "started_at: 2026-07-01T06:00:00+08:00",
            "started_at: 2026-07-01T06:00:00",
            3,
            "started_at",
        ),
        ("started_at: 2026-07-01T06:00:00+08:00", "started_at: 2026-07-01", 3, "started_at"),
        ("hazard: flood", "hazard: 洪水", 2, "hazard"),
        ("level: 4", "level: 0", 4, "level"),
        ("name: 武川县暴雨洪涝\n", "", 1, "name"),
        ("closed_roads: [[150125, 150125102]]", "closed_roads: [[150125]]", 6, "closed_roads[0]"),
        ("closed_roads: [[150125, 150125102]]", "closed_roads: [150125]", 6, "closed_roads[0]"),
        (
            "reported_at: 2026-07-01T09:00:00+08:00",
            "reported_at: 2026-07-01T09:00:00",
            9,
            "reports[1].reported_at",
        ),
        ("relocated: 300,", "relocated: -300,", 9, "reports[1].relocated"),
        ("relocated: 300,", "relocated: 300.5,", 9, "reports[1].relocated"),
        ("relocated: 300,", "", 9, "reports[1].relocated"),
        ("kind: update", "kind: correction", 10, "reports[2].kind"),
        ("general_rooms: 90}", "general_rooms: 90, note: ok}", 9, "reports[1].note"),
    ],
)
def test_a_bad_event_value_is_reported_at_its_line_and_path(scenario, edit, old, new, line, field):
    edit("events/flood.yaml", old, new)

    assert read(scenario)[1] == [("events/flood.yaml", line, field)]


def test_a_bad_report_is_left_out_but_keeps_the_others_positions(scenario, edit):
    edit("events/flood.yaml", "relocated: 300,", "relocated: -300,")

    event = read_scenario(scenario)[0].events["flood"]

    assert [report.seq for report in event.reports] == [0, 2]


def test_an_event_with_a_bad_header_is_left_out(scenario, edit):
    edit("events/flood.yaml", "hazard: flood", "hazard: meteor")

    assert read_scenario(scenario)[0].events == {}


def test_an_event_file_named_yml_is_reported(scenario):
    (scenario / "events" / "flood.yaml").rename(scenario / "events" / "flood.yml")

    assert read(scenario)[1] == [("events/flood.yml", 0, "file")]


def test_an_empty_event_file_is_a_whole_file_problem(scenario):
    (scenario / "events" / "flood.yaml").write_text("", encoding="utf-8")

    assert read(scenario)[1] == [("events/flood.yaml", 0, "file")]


def test_every_problem_is_collected_not_only_the_first(scenario, edit):
    edit("regions.csv", "41.23,111.28,", "41.23,,")
    edit("stock.csv", "WH-WC,tent,200,20", "WH-WC,tent,200,-20")
    edit("events/flood.yaml", "kind: update", "kind: later")

    assert sorted(read(scenario)[1]) == [
        ("events/flood.yaml", 10, "reports[2].kind"),
        ("regions.csv", 6, "lon"),
        ("stock.csv", 5, "floor"),
    ]


def test_a_programme_reads_its_eligibility_rule(scenario, edit):
    edit(
        "policy.yaml",
        '      budget: "5000000"\n',
        '      budget: "5000000"\n'
        "      eligibility: {damage: [collapsed, severe], categories: [dibao, tekun]}\n",
    )

    read_back, problems = read(scenario)

    assert problems == []
    assert read_back.policy.subsidies["programmes"][0]["eligibility"] == {
        "damage": ["collapsed", "severe"],
        "categories": ["dibao", "tekun"],
    }


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ("{damage: [destroyed]}", "eligibility.damage[0]"),
        ("{categories: [wubao]}", "eligibility.categories[0]"),
        ("{income: [low]}", "eligibility.income"),
        ("{damage: []}", "eligibility.damage"),
        ("{}", "eligibility"),
        ("collapsed", "eligibility"),
    ],
)
def test_a_bad_eligibility_rule_is_reported_at_its_line(scenario, edit, rule, field):
    edit(
        "policy.yaml",
        '      budget: "5000000"\n',
        f'      budget: "5000000"\n      eligibility: {rule}\n',
    )

    assert read(scenario)[1] == [("policy.yaml", 31, f"subsidies.programmes[0].{field}")]


def test_a_criterion_may_carry_a_chinese_label_and_the_list_form_still_reads(scenario, edit):
    edit(
        "policy.yaml",
        "dead_missing: [deaths, missing]",
        "dead_missing: {fields: [deaths, missing], label: 死亡和失踪人口}",
    )

    policy = read_scenario(scenario)[0].policy
    assert policy.criteria["dead_missing"] == ["deaths", "missing"]
    assert policy.criterion_labels == {"dead_missing": "死亡和失踪人口"}
    assert policy.criteria["relocated_or_aided"] == ["relocated", "needing_aid"]


def test_a_criterion_mapping_without_fields_or_with_an_unknown_key_is_reported(scenario, edit):
    edit("policy.yaml", "dead_missing: [deaths, missing]", "dead_missing: {label: 死亡}")
    assert read(scenario)[1] == [("policy.yaml", 3, "criteria.dead_missing.fields")]


def test_reporting_deadlines_are_read_from_the_policy_with_national_defaults(scenario, edit):
    from relief.emergency.reporting import rules_from

    assert rules_from(read_scenario(scenario)[0].policy.reporting).final_working_days == 5
    edit(
        "policy.yaml",
        "cross_jurisdiction_penalty_ton_km: 30",
        "cross_jurisdiction_penalty_ton_km: 30\n"
        "reporting: {final_working_days: 3, update_due: {county: '08:30'},"
        " holidays: [2026-10-01]}",
    )
    rules = rules_from(read_scenario(scenario)[0].policy.reporting)
    assert rules.final_working_days == 3 and str(rules.update_due["county"]) == "08:30:00"
    assert [str(day) for day in rules.holidays] == ["2026-10-01"]
    edit("policy.yaml", "final_working_days: 3", "final_working_days: 0")
    assert [p[2] for p in read(scenario)[1]] == ["reporting"]
    edit("policy.yaml", "final_working_days: 0", "final_workdays: 3")
    assert [p[2] for p in read(scenario)[1]] == ["reporting.final_workdays"]


LIVING = """\
  reference_standards:
    - {code: dibao_urban, per_person_month: "745.00", effective_from: 2025-07-01, source: assumed}
  programmes:
    - code: WC-TEMP
      name: 武川县临时救助
      kind: temporary
      region_code: 150125
      budget: "300000"
      eligibility: {in_survey: false, categories: [dibao]}
      standards:
"""


def _with_living(scenario_files, standard: str) -> str:
    """The policy with a temporary programme (and a reference standard) in front."""
    text = scenario_files["policy.yaml"].replace("  programmes:\n", LIVING, 1)
    # the rebuild programme follows the new one's standard
    return text.replace(
        "      standards:\n    - code: WC-2026-REBUILD",
        f"      standards:\n        - {standard}\n    - code: WC-2026-REBUILD",
        1,
    )


def test_a_living_programme_reads_its_reference_standards_bases_and_cap(scenario, scenario_files):
    standard = (
        "{effective_from: 2025-01-01, share_of: dibao_urban, percent: 130, months: 6,"
        " per_household: true, cap_per_household: 50000}"
    )
    (scenario / "policy.yaml").write_text(_with_living(scenario_files, standard), "utf-8")

    read_back, problems = read(scenario)

    assert problems == []
    subsidies = read_back.policy.subsidies
    assert subsidies["reference_standards"] == [
        {
            "code": "dibao_urban",
            "per_person_month": "745.00",
            "effective_from": date(2025, 7, 1),
            "source": "assumed",
        }
    ]
    temporary = subsidies["programmes"][0]
    assert temporary["kind"] == "temporary"
    assert temporary["eligibility"] == {"in_survey": False, "categories": ["dibao"]}
    assert temporary["standards"] == [
        {
            "effective_from": date(2025, 1, 1),
            "share_of": "dibao_urban",
            "percent": Decimal(130),
            "months": 6,
            "per_household": True,
            "cap_per_household": "50000.00",
        }
    ]


@pytest.mark.parametrize(
    ("standard", "field"),
    [
        ("{effective_from: 2025-01-01, per_person: 10, per_household: 20}", ""),
        ("{effective_from: 2025-01-01, months: 2}", ""),
        ("{effective_from: 2025-01-01, per_person_month: 10}", "months"),
        ("{effective_from: 2025-01-01, per_person: 10, months: 2}", "months"),
        ("{effective_from: 2025-01-01, share_of: dibao_urban, months: 2}", ""),
        ("{effective_from: 2025-01-01, per_person: 10, damage: severe}", "damage"),
        ("{effective_from: 2025-01-01, per_person: 10, percent: 1.234}", "percent"),
    ],
)
def test_a_living_standard_needs_one_basis_and_its_companions(
    scenario, scenario_files, standard, field
):
    (scenario / "policy.yaml").write_text(_with_living(scenario_files, standard), "utf-8")

    problems = read(scenario)[1]
    path = "subsidies.programmes[0].standards[0]"
    assert [(p[0], p[2]) for p in problems][:1] == [
        ("policy.yaml", f"{path}.{field}" if field else path)
    ]


def test_a_share_of_an_unknown_reference_is_a_validation_problem(scenario, scenario_files):
    standard = "{effective_from: 2025-01-01, share_of: dibao_rural, percent: 100, months: 1}"
    (scenario / "policy.yaml").write_text(_with_living(scenario_files, standard), "utf-8")

    assert read(scenario)[1] == []
    problems = validate_scenario(scenario)
    assert any(
        p.field == "subsidies.programmes[0].standards[0].share_of" and "dibao_rural" in p.message
        for p in problems
    ), problems


def test_a_reference_standard_of_an_unknown_region_is_a_validation_problem(
    scenario, scenario_files
):
    standard = "{effective_from: 2025-01-01, share_of: dibao_urban, percent: 100, months: 1}"
    text = _with_living(scenario_files, standard).replace(
        "effective_from: 2025-07-01, source",
        "effective_from: 2025-07-01, region_code: 159999, source",
    )
    (scenario / "policy.yaml").write_text(text, "utf-8")

    problems = validate_scenario(scenario)
    assert [(p.field, p.message) for p in problems] == [
        ("subsidies.reference_standards[0].region_code", "unknown region 159999")
    ]


def test_a_norm_takes_months_or_a_season_and_applies_all_year_without(scenario, edit):
    edit(
        "policy.yaml",
        "{item: quilt, basis: relocated, per_person: 1, priority_weight: 6}",
        "{item: quilt, basis: relocated, per_person: 1, priority_weight: 6, months: [12, 1, 2]}",
    )
    edit(
        "policy.yaml",
        "{item: tent, basis: relocated, per_person: 0.25, priority_weight: 8}",
        "{item: tent, basis: relocated, per_person: 0.25, priority_weight: 8, season: winter}",
    )

    policy, problems = read(scenario)

    assert problems == []
    tent, rice, quilt = policy.policy.norms
    assert quilt.months == (1, 2, 12)
    assert tent.months == (1, 2, 3, 11, 12)
    assert rice.months == () and rice.applies_in(7)
    assert not quilt.applies_in(7) and quilt.applies_in(12)


@pytest.mark.parametrize(
    ("when", "field"),
    [
        ("months: [13]", "norms[2].months[0]"),
        ("months: [1, 1]", "norms[2].months[1]"),
        ("months: []", "norms[2].months"),
        ("months: 7", "norms[2].months"),
        ("season: monsoon", "norms[2].season"),
        ("months: [7], season: summer", "norms[2].season"),
    ],
)
def test_a_bad_norm_season_is_a_problem_at_its_field(scenario, edit, when, field):
    edit(
        "policy.yaml",
        "{item: quilt, basis: relocated, per_person: 1, priority_weight: 6}",
        "{item: quilt, basis: relocated, per_person: 1, priority_weight: 6, " + when + "}",
    )

    policy, problems = read(scenario)

    assert [p[2] for p in problems] == [field]
    assert [n.item_code for n in policy.policy.norms] == ["tent", "rice"]
