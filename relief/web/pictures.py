"""What the pages draw (issue 13): turns the services' replies — a response's fulfilment
and deadlines, a warehouse's stock history — into the inputs of relief.web.charts, in the
user's language. Pure: no database, no request; the page modules call it with what they
have already read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from relief import clock
from relief.i18n import lang_of
from relief.i18n import unit as unit_word
from relief.web import charts
from relief.web.i18n import Translator


def _when(at: datetime) -> str:
    return clock.to_cst(at).strftime("%m-%d %H:%M")


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def region_fill_bars(
    fulfilment: Iterable[Any], region_names: Mapping[str, str], t: Translator
) -> list[charts.Bar]:
    """One bar per region with demand: the mean over its items of planned ÷ demand (each
    item counts alike, since units differ), the inner strip the same for received."""
    planned: dict[str, list[float]] = defaultdict(list)
    received: dict[str, list[float]] = defaultdict(list)
    for line in fulfilment:
        if line.demand <= 0:
            continue
        planned[line.region_code].append(min(line.planned / line.demand, 1.0))
        received[line.region_code].append(min(line.received / line.demand, 1.0))
    bars = []
    for code, shares in planned.items():
        fill = sum(shares) / len(shares)
        got = sum(received[code]) / len(received[code])
        name = region_names.get(code, code)
        bars.append(
            charts.Bar(
                key=code,
                label=name,
                value=fill,
                inner=got,
                tooltip=t(
                    "chart.fill_tip",
                    region=name,
                    planned=f"{round(fill * 100)}%",
                    received=f"{round(got * 100)}%",
                    lines=len(shares),
                ),
            )
        )
    return bars


def item_progress(
    fulfilment: Iterable[Any], item_names: Mapping[str, str], units: Mapping[str, str]
) -> list[charts.Progress]:
    """Per item, summed over the regions: demand, planned, dispatched, received."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for line in fulfilment:
        total = sums[line.item_code]
        total[0] += line.demand
        total[1] += line.planned
        total[2] += line.dispatched
        total[3] += line.received
    return [
        charts.Progress(
            key=code,
            label=item_names.get(code, code),
            total=demand,
            values=(planned, dispatched, received),
            unit=units.get(code, ""),
        )
        for code, (demand, planned, dispatched, received) in sorted(sums.items())
    ]


def deadline_marks(deadlines: Sequence[Any], t: Translator) -> list[charts.Mark]:
    """A mark per deadline that has a due time: done ones grey with a ✓, overdue ones red."""
    marks = []
    for d in deadlines:
        due, name = _get(d, "due_at"), _get(d, "name")
        if due is None:
            continue
        label = t(f"deadline.{name}")
        done = _get(d, "done_at")
        if done is not None:
            state, tip = "done", t("chart.done_tip", name=label, due=_when(due), done=_when(done))
        elif _get(d, "overdue"):
            state, tip = "overdue", t("chart.overdue_tip", name=label, due=_when(due))
        else:
            state, tip = "open", t("chart.due_tip", name=label, due=_when(due))
        marks.append(charts.Mark(key=name, label=label, at=due, state=state, tooltip=tip))
    return marks


def response_pictures(
    *,
    fulfilment: Sequence[Any],
    deadlines: Sequence[Any],
    triggered_at: datetime,
    region_names: Mapping[str, str],
    items: Mapping[str, Any],
    lang: str,
    t: Translator,
    now: datetime | None = None,
) -> dict[str, Markup | None]:
    """The response page's three pictures: fill rate per region, progress per item and the
    deadlines on a time line (None where there is nothing to draw)."""
    names = {code: (item.name_zh if lang == "zh" else item.name_en) for code, item in items.items()}
    units = {code: unit_word(item.unit, lang_of(lang)) for code, item in items.items()}
    bars = region_fill_bars(fulfilment, region_names, t)
    progress = item_progress(fulfilment, names, units)
    marks = deadline_marks(deadlines, t)
    return {
        "fill": charts.bar_chart(bars, label=t("chart.fill_label")) if bars else None,
        "progress": (
            charts.progress_chart(
                progress,
                series=(t("duty.planned"), t("order.dispatched"), t("order.received")),
                label=t("chart.progress_label"),
            )
            if progress
            else None
        ),
        "timeline": (
            charts.timeline_chart(
                marks,
                start=triggered_at,
                now=now or clock.now(),
                label=t("chart.timeline_label"),
                now_label=t("chart.now"),
                when=_when,
            )
            if marks
            else None
        ),
    }


def stock_history_charts(
    history: Mapping[str, Sequence[tuple[date, int]]],
    items: Mapping[str, Any],
    lang: str,
    t: Translator,
    days: int,
) -> list[tuple[str, Markup]]:
    """A small line chart per item of a warehouse's daily on-hand stock, with its name."""
    out = []
    for code, points in history.items():
        item = items.get(code)
        name = (item.name_zh if lang == "zh" else item.name_en) if item else code
        unit = unit_word(item.unit, lang_of(lang)) if item else ""
        label = t("wh.history_label", item=name, days=days, unit=unit)
        out.append((name, charts.line_chart(points, label=label, key=code)))
    return out
