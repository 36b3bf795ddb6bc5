"""The pictures' pure drawing (relief/web/charts.py) and what the pages feed them
(relief/web/pictures.py): the SVG parses as XML, sizes follow the numbers, texts are
escaped, and every chart is an accessible image."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from relief.web import charts, pictures
from relief.web.i18n import Translator

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-label")
    return root


def _bars(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]


def _value_width(bar: ET.Element) -> float:
    rect = next(r for r in bar.iter(f"{SVG}rect") if r.get("class") == "value")
    return float(rect.get("width"))


def test_bar_chart_draws_each_bar_as_long_as_its_share_worst_first():
    root = _parse(
        charts.bar_chart(
            [
                charts.Bar("a", "甲", 1.0, "甲 100%"),
                charts.Bar("b", "乙", 0.25, "乙 25%"),
                charts.Bar("c", "丙", 0.5, "丙 50%"),
            ],
            label="满足率",
        )
    )
    bars = _bars(root)
    assert [b.get("data-key") for b in bars] == ["b", "c", "a"]
    widths = [_value_width(b) for b in bars]
    assert widths[2] > 0
    assert widths[0] / widths[2] == pytest.approx(0.25, abs=0.01)
    assert widths[1] / widths[2] == pytest.approx(0.5, abs=0.01)
    assert [b.find(f"{SVG}title").text for b in bars] == ["乙 25%", "丙 50%", "甲 100%"]


@pytest.mark.parametrize(
    ("fill", "colour"),
    [
        (0.0, charts.RED),
        (0.49, charts.RED),
        (0.5, charts.AMBER),
        (0.89, charts.AMBER),
        (0.9, charts.GREEN),
        (1.0, charts.GREEN),
    ],
)
def test_bars_are_red_under_half_amber_under_ninety_percent_else_green(fill, colour):
    root = _parse(charts.bar_chart([charts.Bar("a", "甲", fill, "t")], label="x"))
    rect = next(r for r in root.iter(f"{SVG}rect") if r.get("class") == "value")
    assert rect.get("fill") == colour


def test_a_fill_above_one_is_drawn_full_not_past_the_track():
    root = _parse(
        charts.bar_chart(
            [charts.Bar("a", "甲", 1.7, "t"), charts.Bar("b", "乙", 1.0, "t")], label="x"
        )
    )
    assert {_value_width(b) for b in _bars(root)} == {_value_width(_bars(root)[0])}


def test_chart_texts_are_escaped_so_a_name_cannot_inject_markup():
    evil = '<script>alert("x")</script> & "引号"'
    markups = [
        charts.bar_chart([charts.Bar(evil, evil, 0.3, evil)], label=evil),
        charts.progress_chart(
            [charts.Progress(evil, evil, 10, (5, 3, 1), unit=evil)], series=(evil,) * 3, label=evil
        ),
        charts.timeline_chart(
            [charts.Mark(evil, evil, datetime(2026, 1, 2, tzinfo=UTC), "open", evil)],
            start=datetime(2026, 1, 1, tzinfo=UTC),
            now=datetime(2026, 1, 1, 12, tzinfo=UTC),
            label=evil,
            now_label=evil,
            when=lambda at: evil,
        ),
        charts.line_chart([(date(2026, 1, 1), 3)], label=evil, key=evil),
    ]
    for markup in markups:
        assert "<script>" not in str(markup)
        root = _parse(markup)
        assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
        texts = [el.text for el in root.iter() if el.text and "alert" in el.text]
        assert texts and all(evil in text for text in texts)  # read back as the same text
        assert root.get("aria-label") == evil


def test_progress_bars_are_shares_of_the_demand_in_series_order():
    root = _parse(
        charts.progress_chart(
            [charts.Progress("tent", "帐篷", 200, (200, 100, 50), unit="顶")],
            series=("计划", "已发运", "已到货"),
            label="进度",
        )
    )
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "progress")
    track = next(r for r in group.iter(f"{SVG}rect") if r.get("class") == "track")
    series = [r for r in group.iter(f"{SVG}rect") if (r.get("class") or "").startswith("series")]
    full = float(track.get("width"))
    assert [float(r.get("width")) / full for r in series] == pytest.approx([1.0, 0.5, 0.25])
    assert "已到货 50/200 顶" in group.find(f"{SVG}title").text
    # Issue 13 review #30: planned, dispatched and received are all written, with the unit.
    figures = next(t for t in group.iter(f"{SVG}text") if t.get("class") == "figures")
    assert figures.text == "200 · 100 · 50 / 200 顶"


def test_timeline_marks_done_deadlines_with_a_tick_and_overdue_ones_red():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    root = _parse(
        charts.timeline_chart(
            [
                charts.Mark("a", "物资送达时限", start + timedelta(hours=12), "done", "完成"),
                charts.Mark("b", "灾情报送时限", start + timedelta(hours=6), "overdue", "超时"),
                charts.Mark("c", "资金下拨时限", start + timedelta(days=10), "open", "未到"),
            ],
            start=start,
            now=start + timedelta(days=1),
            label="时限",
            now_label="现在",
            when=lambda at: at.strftime("%m-%d"),
        )
    )
    marks = {g.get("data-key"): g for g in root.iter(f"{SVG}g") if "mark" in (g.get("class") or "")}
    assert {k: g.get("data-state") for k, g in marks.items()} == {
        "a": "done",
        "b": "overdue",
        "c": "open",
    }
    assert "✓" in "".join(marks["a"].itertext())
    assert marks["b"].find(f"{SVG}circle").get("fill") == charts.RED
    x = {k: float(g.find(f"{SVG}circle").get("cx")) for k, g in marks.items()}
    assert x["b"] < x["a"] < x["c"]  # in time order along the axis


def test_line_chart_has_one_point_per_day_scaled_to_the_largest_value():
    days = [(date(2026, 3, 1) + timedelta(days=i), v) for i, v in enumerate([0, 50, 100, 25])]
    root = _parse(charts.line_chart(days, label="帐篷", key="tent"))
    assert root.get("data-key") == "tent"
    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]
    assert [int(p.get("data-value")) for p in points] == [0, 50, 100, 25]
    ys = [float(p.get("cy")) for p in points]
    bottom, top = ys[0], ys[2]
    assert (bottom - ys[1]) / (bottom - top) == pytest.approx(0.5, abs=0.02)
    assert (bottom - ys[3]) / (bottom - top) == pytest.approx(0.25, abs=0.02)
    assert points[2].find(f"{SVG}title").text == "2026-03-03: 100"
    polyline = root.find(f".//{SVG}polyline")
    assert len(polyline.get("points").split()) == 4


def _line(region, item, demand, planned, dispatched=0, received=0):
    return SimpleNamespace(
        region_code=region,
        item_code=item,
        demand=demand,
        planned=planned,
        dispatched=dispatched,
        received=received,
    )


def test_region_fill_is_the_mean_of_its_items_fill_and_progress_sums_per_item():
    lines = [
        _line("R1", "tent", 10, 10, 10, 5),
        _line("R1", "water", 100, 0),
        _line("R2", "tent", 4, 4, 4, 4),
        _line("R3", "tent", 0, 0),  # no demand: not a bar
    ]
    bars = pictures.region_fill_bars(lines, {"R1": "一村"}, Translator("zh"))
    by_key = {b.key: b for b in bars}
    assert set(by_key) == {"R1", "R2"}
    assert by_key["R1"].value == pytest.approx(0.5) and by_key["R1"].inner == pytest.approx(0.25)
    assert by_key["R1"].label == "一村" and by_key["R2"].label == "R2"
    assert by_key["R1"].tooltip == "一村：计划满足 50%，已到货 25%（2 种物资）"
    progress = {p.key: p for p in pictures.item_progress(lines, {}, {})}
    assert progress["tent"].total == 14 and progress["tent"].values == (14, 14, 9)


def test_deadline_marks_show_done_ones_as_done_and_skip_deadlines_without_a_time():
    due = datetime(2026, 1, 1, 4, tzinfo=UTC)
    deadlines = [
        {"name": "supplies_arrive", "due_at": due, "overdue": False, "done_at": due},
        {"name": "situation_report", "due_at": due, "overdue": True, "done_at": None},
        {"name": "funds_allocated", "due_at": None, "overdue": False, "done_at": None},
    ]
    marks = pictures.deadline_marks(deadlines, Translator("en"))
    assert [(m.key, m.state) for m in marks] == [
        ("supplies_arrive", "done"),
        ("situation_report", "overdue"),
    ]
    assert marks[0].tooltip == "Supplies due: due 01-01 12:00, done 01-01 12:00"
