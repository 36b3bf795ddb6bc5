"""The assessment: which report counts, totals, roll-ups and the recommended level, with
every criterion at, just below and just above its threshold at every level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relief.emergency.assessment import (
    assess,
    criterion_values,
    exceeded,
    latest_reports,
    recommended_level,
    rollup,
    totals,
)
from relief.emergency.records import COUNT_FIELDS, Policy, Report
from relief.network.records import Region

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 7, 1, 8, tzinfo=CST)

# The national plan's shape (国办函〔2024〕11号): each level, any one criterion suffices.
CRITERIA = {
    "dead_missing": ["deaths", "missing"],
    "relocated_or_aided": ["relocated", "needing_aid"],
    "collapsed_severe_rooms": ["collapsed_rooms", "severe_rooms"],
    "collapsed_severe_households": ["collapsed_households", "severe_households"],
}
THRESHOLDS = {
    1: {"dead_missing": 200, "relocated_or_aided": 2000000, "collapsed_severe_rooms": 300000},
    2: {"dead_missing": 100, "relocated_or_aided": 1000000, "collapsed_severe_rooms": 200000},
    3: {"dead_missing": 50, "relocated_or_aided": 500000, "collapsed_severe_rooms": 100000},
    # A key that is not a criterion is a single report field.
    4: {"dead_missing": 20, "relocated_or_aided": 100000, "general_rooms": 10000},
}
POLICY = Policy(criteria=CRITERIA, thresholds=THRESHOLDS)

REGIONS = [
    Region("150000", "内蒙古自治区", "province", None, 40.8, 111.7),
    Region("150100", "呼和浩特市", "prefecture", "150000", 40.8, 111.7),
    Region("150125", "武川县", "county", "150100", 41.1, 111.5),
    Region("150125101", "可可以力更镇", "township", "150125", 41.1, 111.5),
    Region("150125102", "哈乐镇", "township", "150125", 41.2, 111.3),
    Region("150122", "托克托县", "county", "150100", 40.3, 111.2),
    Region("150122100", "双河镇", "township", "150122", 40.3, 111.2),
    Region("150200", "包头市", "prefecture", "150000", 40.7, 109.8),
]


def report(region: str, seq: int = 0, at: datetime = T0, kind: str = "initial", **counts) -> Report:
    return Report(region, kind, at, {name: counts.get(name, 0) for name in COUNT_FIELDS}, seq)


def counts_for(key: str, value: int) -> dict[str, int]:
    """Report counts that make `key` (a criterion or a field) exactly `value`, split over
    the criterion's fields so that the sum is what is tested."""
    fields = CRITERIA.get(key, [key])
    first = value // 2 if len(fields) > 1 else value
    return {fields[0]: first, **({fields[1]: value - first} if len(fields) > 1 else {})}


BOUNDARIES = [
    (level, key, limit) for level, limits in THRESHOLDS.items() for key, limit in limits.items()
]


def _level_reached_by(key: str, value: int) -> int | None:
    """The most severe level at which `key` alone, at `value`, reaches its threshold."""
    levels = [level for level, key_, limit in BOUNDARIES if key_ == key and value >= limit]
    return min(levels, default=None)


@pytest.mark.parametrize(("level", "key", "limit"), BOUNDARIES)
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_each_criterion_at_below_and_above_its_threshold(level, key, limit, offset):
    value = limit + offset
    event = assess([report("150125101", **counts_for(key, value))], POLICY, REGIONS)

    reached = offset >= 0  # 含本数: the threshold itself reaches the level
    entry = {"criterion": key, "value": value, "threshold": limit, "level": level}
    assert (entry in event.exceeded) is reached
    assert event.totals[key] == value
    # Only this criterion is non-zero, so the level follows from its own thresholds.
    assert event.recommended_level == _level_reached_by(key, value)
    if reached:
        assert event.recommended_level <= level
    else:
        assert event.recommended_level is None or event.recommended_level > level


def test_any_one_criterion_reaches_a_level():
    level_4_by_rooms = {"general_rooms": 10000, "deaths": 1}

    assert recommended_level(level_4_by_rooms, THRESHOLDS) == 4
    assert exceeded(level_4_by_rooms, THRESHOLDS) == [
        {"criterion": "general_rooms", "value": 10000, "threshold": 10000, "level": 4}
    ]


def test_the_most_severe_level_reached_is_recommended_and_all_reached_are_listed():
    figures = totals({"a": report("150125101", deaths=120, relocated=600000)}, CRITERIA)

    assert recommended_level(figures, THRESHOLDS) == 2
    assert [(e["level"], e["criterion"]) for e in exceeded(figures, THRESHOLDS)] == [
        (2, "dead_missing"),
        (3, "dead_missing"),
        (3, "relocated_or_aided"),
        (4, "dead_missing"),
        (4, "relocated_or_aided"),
    ]


@pytest.mark.parametrize(
    "thresholds", [THRESHOLDS, {}, {4: {}}], ids=["nothing reached", "no thresholds", "empty level"]
)
def test_no_level_reached_recommends_none(thresholds):
    event = assess(
        [report("150125101", deaths=19, relocated=99999)], Policy(CRITERIA, thresholds), REGIONS
    )

    assert event.recommended_level is None
    assert event.exceeded == []


def test_an_event_without_reports_has_zero_totals_and_no_level():
    event = assess([], POLICY, REGIONS)

    assert event.totals == {**dict.fromkeys(COUNT_FIELDS, 0), **dict.fromkeys(CRITERIA, 0)}
    assert event.by_region == []
    assert event.recommended_level is None


def test_criterion_values_sum_their_fields():
    assert criterion_values({"deaths": 3, "missing": 4, "relocated": 9}, CRITERIA) == {
        "dead_missing": 7,
        "relocated_or_aided": 9,
        "collapsed_severe_rooms": 0,
        "collapsed_severe_households": 0,
    }


# --- which report counts ---------------------------------------------------------------


def test_the_latest_report_of_a_region_is_the_one_reported_last():
    early = report("150125101", seq=5, at=T0, deaths=1)
    late = report("150125101", seq=1, at=T0 + timedelta(hours=2), deaths=2)

    assert latest_reports([late, early])["150125101"] is late
    assert latest_reports([early, late])["150125101"] is late


def test_a_tie_on_reported_at_goes_to_the_later_submission():
    first = report("150125101", seq=1, at=T0, deaths=1)
    second = report("150125101", seq=2, at=T0, deaths=2)

    assert latest_reports([second, first])["150125101"] is second
    assert latest_reports([first, second])["150125101"] is second


def test_the_same_instant_in_another_offset_is_a_tie():
    utc = report("150125101", seq=2, at=T0.astimezone(UTC), deaths=2)
    cst = report("150125101", seq=1, at=T0, deaths=1)

    assert latest_reports([utc, cst])["150125101"] is utc


def test_totals_count_only_the_latest_report_of_each_region():
    reports = [
        report("150125101", seq=0, at=T0, relocated=1200),
        report("150125102", seq=1, at=T0, relocated=300),
        report("150125101", seq=2, at=T0 + timedelta(hours=4), kind="update", relocated=1500),
    ]

    event = assess(reports, POLICY, REGIONS)

    assert event.totals["relocated"] == 1800
    assert event.totals["relocated_or_aided"] == 1800


# --- roll-up ---------------------------------------------------------------------------


def test_townships_roll_up_through_their_county_and_prefecture_to_the_province():
    latest = latest_reports(
        [
            report("150125101", seq=0, deaths=1, relocated=100),
            report("150125102", seq=1, deaths=2, relocated=200),
            report("150122100", seq=2, missing=4, relocated=400),
        ]
    )

    figures = rollup(latest, REGIONS, CRITERIA)

    assert figures["150125"]["relocated"] == 300
    assert figures["150122"]["relocated"] == 400
    assert figures["150100"]["relocated"] == figures["150000"]["relocated"] == 700
    assert figures["150000"]["dead_missing"] == 7
    assert figures["150125101"]["dead_missing"] == 1
    # Regions with nothing reported under them are not listed.
    assert "150200" not in figures


def test_a_county_report_rolls_up_beside_township_reports_of_another_county():
    latest = latest_reports(
        [report("150125", seq=0, relocated=50), report("150122100", seq=1, relocated=5)]
    )

    figures = rollup(latest, REGIONS)

    assert set(figures) == {"150125", "150122100", "150122", "150100", "150000"}
    assert figures["150000"]["relocated"] == 55
    assert "dead_missing" not in figures["150000"]  # criteria only when asked for


def test_a_region_missing_from_the_tree_counts_in_itself_only():
    figures = rollup({"999999": report("999999", relocated=5)}, REGIONS)

    assert figures == {"999999": {**dict.fromkeys(COUNT_FIELDS, 0), "relocated": 5}}


def test_by_region_lists_reported_regions_and_their_ancestors_sorted_by_code():
    event = assess(
        [report("150125101", seq=0, deaths=1), report("150122100", seq=1, deaths=2)],
        POLICY,
        REGIONS,
    )

    assert [entry["region_code"] for entry in event.by_region] == [
        "150000",
        "150100",
        "150122",
        "150122100",
        "150125",
        "150125101",
    ]
    assert event.by_region[0]["totals"] == event.totals


def test_to_dict_has_the_api_shape():
    event = assess([report("150125101", deaths=25)], POLICY, REGIONS).to_dict()

    assert set(event) == {"totals", "by_region", "recommended_level", "exceeded"}
    assert list(event["totals"]) == [*COUNT_FIELDS, *CRITERIA]
    assert set(event["by_region"][0]) == {"region_code", "totals"}
    assert event["recommended_level"] == 4
    assert event["exceeded"] == [
        {"criterion": "dead_missing", "value": 25, "threshold": 20, "level": 4}
    ]


# --- properties ------------------------------------------------------------------------

TOWNSHIPS = ["150125101", "150125102", "150122100"]
report_counts = st.fixed_dictionaries(
    {name: st.integers(min_value=0, max_value=3_000_000) for name in COUNT_FIELDS}
)


@given(st.lists(st.tuples(st.sampled_from(TOWNSHIPS), report_counts), max_size=8))
def test_the_root_of_the_roll_up_equals_the_event_totals(entries):
    reports = [
        Report(code, "update", T0 + timedelta(minutes=i % 3), counts, i)
        for i, (code, counts) in enumerate(entries)
    ]

    event = assess(reports, POLICY, REGIONS)

    if reports:
        assert event.by_region[0] == {"region_code": "150000", "totals": event.totals}
    assert event.totals["relocated"] == sum(
        r.counts["relocated"] for r in latest_reports(reports).values()
    )


@given(report_counts, st.sampled_from(COUNT_FIELDS), st.integers(min_value=1, max_value=10**6))
def test_more_damage_never_recommends_a_less_severe_level(counts, field, extra):
    before = recommended_level(totals({"a": report("a", **counts)}, CRITERIA), THRESHOLDS)
    worse = {**counts, field: counts[field] + extra}
    after = recommended_level(totals({"a": report("a", **worse)}, CRITERIA), THRESHOLDS)

    assert before is None or (after is not None and after <= before)
