"""Pictures for the pages: bar charts, progress bars, a time line and a small line chart,
drawn on the server as inline SVG (issue 13).

Pure functions on plain data (no database, no request): each takes the numbers and the
words already in the user's language and returns SVG markup as a `Markup` string. Every
text that reaches the markup — labels, tooltips, the accessible name — goes through
`markupsafe.escape`, so a region or item named `<script>` is drawn as text. Colours are
SVG presentation attributes, not `style=""`, which the UI's Content-Security-Policy
forbids. Each chart is `role="img"` with an `aria-label`, and every mark carries a
`<title>` that browsers show as a tooltip and screen readers read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup, escape

RED = "#dc2626"
AMBER = "#d97706"
GREEN = "#16a34a"
GREY = "#94a3b8"
TRACK = "#e2e8f0"
INK = "#1f2937"
# Fill below 50 % is red, below 90 % amber, else green (issue 13).
RED_BELOW = 0.5
AMBER_BELOW = 0.9


def fill_colour(fill: float) -> str:
    """The colour of a fill rate: red under 50 %, amber under 90 %, green from there."""
    if fill < RED_BELOW:
        return RED
    if fill < AMBER_BELOW:
        return AMBER
    return GREEN


def _num(value: float) -> str:
    """A coordinate as SVG wants it: one decimal, no trailing `.0`."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _percent(fill: float) -> str:
    return f"{round(fill * 100)}%"


def _svg(
    width: float, height: float, label: str, body: list[str], css: str, attrs: str = ""
) -> Markup:
    return Markup(
        f'<svg class="chart {css}"{attrs} viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="{_num(width)}" height="{_num(height)}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


# --- fill rate per region: horizontal bars, worst first ---------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: `value` a fraction (0..1, longer values are cut at 1); `inner` an optional
    second fraction drawn as a narrow darker bar inside (e.g. what has arrived)."""

    key: str
    label: str
    value: float
    tooltip: str
    inner: float | None = None


def bar_chart(
    bars: Sequence[Bar],
    *,
    label: str,
    width: int = 640,
    label_width: int = 150,
    row: int = 20,
) -> Markup:
    """Horizontal bars sorted worst first (smallest value, then label), each as long as its
    value's share of the plot and coloured by `fill_colour`, with its label on the left
    and the percentage on the right."""
    ordered = sorted(bars, key=lambda b: (b.value, b.label, b.key))
    plot = width - label_width - 48
    height = max(row * len(ordered), row) + 4
    body = []
    for i, bar in enumerate(ordered):
        value = min(max(bar.value, 0.0), 1.0)
        y = 2 + i * row
        mid = y + row / 2
        bar_w = plot * value
        parts = [
            f'<g class="bar" data-key="{escape(bar.key)}" data-value="{value:.4f}">',
            f"<title>{escape(bar.tooltip)}</title>",
            f'<text x="{label_width - 6}" y="{_num(mid)}" text-anchor="end" '
            f'dominant-baseline="middle" font-size="12" fill="{INK}">{escape(bar.label)}</text>',
            f'<rect class="track" x="{label_width}" y="{_num(y + 3)}" width="{_num(plot)}" '
            f'height="{row - 6}" fill="{TRACK}"/>',
            f'<rect class="value" x="{label_width}" y="{_num(y + 3)}" width="{_num(bar_w)}" '
            f'height="{row - 6}" fill="{fill_colour(value)}"/>',
        ]
        if bar.inner is not None:
            inner = min(max(bar.inner, 0.0), 1.0)
            parts.append(
                f'<rect class="inner" x="{label_width}" y="{_num(mid - 2)}" '
                f'width="{_num(plot * inner)}" height="4" fill="{INK}" fill-opacity="0.55"/>'
            )
        parts.append(
            f'<text x="{_num(label_width + plot + 6)}" y="{_num(mid)}" '
            f'dominant-baseline="middle" font-size="12" fill="{INK}">{_percent(value)}</text></g>'
        )
        body.append("".join(parts))
    return _svg(width, height, label, body, "bar-chart")


# --- planned / dispatched / received per item: progress bars ----------------------------------


@dataclass(frozen=True, slots=True)
class Progress:
    """One item's progress towards `total` (its demand): `values` in the order of the
    chart's `series` (planned, dispatched, received), `unit` shown after the numbers."""

    key: str
    label: str
    total: int
    values: tuple[int, ...]
    unit: str = ""


SERIES_COLOURS = ("#93c5fd", "#3b82f6", GREEN)


def progress_chart(
    rows: Sequence[Progress],
    *,
    series: Sequence[str],
    label: str,
    width: int = 640,
    label_width: int = 150,
) -> Markup:
    """Per row a grey track for the total and one thin bar per series, each as long as its
    value's share of the total (cut at the track's end), with every series' value and
    `/ total unit` after it; a legend of the series on top."""
    bar_h, gap = 5, 1
    row = len(series) * (bar_h + gap) + 6
    plot = width - label_width - 170
    legend_h = 20
    body = []
    x = label_width
    for name, colour in zip(series, SERIES_COLOURS, strict=False):
        body.append(
            f'<rect x="{x}" y="4" width="12" height="8" fill="{colour}"/>'
            f'<text x="{x + 16}" y="12" font-size="11" fill="{INK}">{escape(name)}</text>'
        )
        x += 16 + 13 * len(name) + 18
    for i, item in enumerate(rows):
        y = legend_h + i * row
        total = max(item.total, 0)
        tip = "；".join(
            f"{name} {value}/{total} {item.unit}".rstrip()
            for name, value in zip(series, item.values, strict=False)
        )
        parts = [
            f'<g class="progress" data-key="{escape(item.key)}" data-total="{total}">',
            f"<title>{escape(item.label)}：{escape(tip)}</title>",
            f'<text x="{label_width - 6}" y="{_num(y + row / 2)}" text-anchor="end" '
            f'dominant-baseline="middle" font-size="12" fill="{INK}">{escape(item.label)}</text>',
            f'<rect class="track" x="{label_width}" y="{y + 3}" width="{_num(plot)}" '
            f'height="{row - 6}" fill="{TRACK}"/>',
        ]
        for j, (value, colour) in enumerate(zip(item.values, SERIES_COLOURS, strict=False)):
            share = min(max(value / total, 0.0), 1.0) if total else 0.0
            parts.append(
                f'<rect class="series-{j}" data-value="{value}" x="{label_width}" '
                f'y="{y + 4 + j * (bar_h + gap)}" width="{_num(plot * share)}" '
                f'height="{bar_h}" fill="{colour}"/>'
            )
        # Every series' number in the legend's order, then the total and the unit
        # (`200 · 100 · 50 / 200 顶`): what each bar shows, not only the last (review #30).
        shown = " · ".join(str(v) for v in item.values) or "0"
        parts.append(
            f'<text class="figures" x="{_num(label_width + plot + 6)}" y="{_num(y + row / 2)}" '
            f'dominant-baseline="middle" font-size="11" fill="{INK}">'
            f"{shown} / {total} {escape(item.unit)}</text></g>"
        )
        body.append("".join(parts))
    height = legend_h + max(len(rows), 1) * row
    return _svg(width, height, label, body, "progress-chart")


# --- deadlines on a time line -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mark:
    """A point in time on the time line: `state` open, overdue or done."""

    key: str
    label: str
    at: datetime
    state: str
    tooltip: str


STATE_COLOURS = {"open": "#2563eb", "overdue": RED, "done": GREY}


def timeline_chart(
    marks: Sequence[Mark],
    *,
    start: datetime,
    now: datetime,
    label: str,
    now_label: str,
    when: Callable[[datetime], str],
    width: int = 640,
) -> Markup:
    """A horizontal axis from `start` to the latest of the marks and `now`, a marker per
    mark (a ✓ for done ones, red for overdue ones) with its label and `when(at)` under it,
    and a dashed line at `now`. Labels alternate above and below so neighbours do not
    collide."""
    left, right = 20, width - 20
    axis_y = 58
    times = [m.at for m in marks] + [now, start]
    first, last = min(times), max(times)
    span = (last - first).total_seconds() or 1.0

    def x_of(at: datetime) -> float:
        return left + (right - left) * (at - first).total_seconds() / span

    body = [
        f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" stroke="{INK}" '
        'stroke-width="1.5"/>',
        f'<text x="{left}" y="{axis_y + 44}" font-size="11" fill="{INK}">{escape(when(first))}'
        "</text>",
    ]
    now_x = x_of(now)
    body.append(
        f'<g class="now"><title>{escape(now_label)} {escape(when(now))}</title>'
        f'<line x1="{_num(now_x)}" y1="{axis_y - 30}" x2="{_num(now_x)}" y2="{axis_y + 30}" '
        f'stroke="{AMBER}" stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text x="{_num(now_x)}" y="{axis_y + 44}" text-anchor="middle" font-size="11" '
        f'fill="{AMBER}">{escape(now_label)}</text></g>'
    )
    for i, mark in enumerate(sorted(marks, key=lambda m: (m.at, m.key))):
        x = x_of(mark.at)
        colour = STATE_COLOURS.get(mark.state, STATE_COLOURS["open"])
        above = i % 2 == 0
        text_y = axis_y - 26 if above else axis_y + 20
        anchor = "start" if x < left + 60 else ("end" if x > right - 60 else "middle")
        symbol = (
            f'<text x="{_num(x)}" y="{axis_y + 4}" text-anchor="middle" font-size="12" '
            f'fill="#fff">✓</text>'
            if mark.state == "done"
            else ""
        )
        struck = ' text-decoration="line-through"' if mark.state == "done" else ""
        body.append(
            f'<g class="mark {escape(mark.state)}" data-key="{escape(mark.key)}" '
            f'data-state="{escape(mark.state)}"><title>{escape(mark.tooltip)}</title>'
            f'<circle cx="{_num(x)}" cy="{axis_y}" r="8" fill="{colour}"/>{symbol}'
            f'<text x="{_num(x)}" y="{text_y}" text-anchor="{anchor}" font-size="12" '
            f'fill="{colour if mark.state == "overdue" else INK}"{struck}>'
            f"{escape(mark.label)}</text>"
            f'<text x="{_num(x)}" y="{text_y + 13}" text-anchor="{anchor}" font-size="10" '
            f'fill="{INK}">{escape(when(mark.at))}</text></g>'
        )
    return _svg(width, 110, label, body, "timeline-chart")


# --- stock over time: a small line chart ------------------------------------------------------


def line_chart(
    points: Sequence[tuple[date, int]],
    *,
    label: str,
    key: str = "",
    width: int = 280,
    height: int = 90,
) -> Markup:
    """A line through (day, value) from the first day to the last, scaled from 0 to the
    largest value, with that value and 0 on the left, the first and last day under the
    axis, and each day's value as a tooltip on its point."""
    left, right, top, bottom = 40, width - 8, 8, height - 20
    top_value = max((v for _, v in points), default=0)
    scale_max = top_value if top_value > 0 else 1
    n = len(points)

    def xy(i: int, value: int) -> tuple[float, float]:
        x = left + (right - left) * (i / (n - 1) if n > 1 else 0.5)
        y = bottom - (bottom - top) * max(value, 0) / scale_max
        return x, y

    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{GREY}"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{GREY}"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10" '
        f'fill="{INK}">{top_value}</text>',
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end" font-size="10" fill="{INK}">0</text>',
    ]
    if points:
        body.append(
            f'<text x="{left}" y="{height - 4}" font-size="10" fill="{INK}">'
            f"{escape(points[0][0].isoformat()[5:])}</text>"
            f'<text x="{right}" y="{height - 4}" text-anchor="end" font-size="10" '
            f'fill="{INK}">{escape(points[-1][0].isoformat()[5:])}</text>'
        )
        body.append(
            f'<polyline class="series" fill="none" stroke="#2563eb" stroke-width="2" '
            f'points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in coords)}"/>'
        )
        for (day, value), (x, y) in zip(points, coords, strict=True):
            body.append(
                f'<circle class="point" cx="{_num(x)}" cy="{_num(y)}" r="2.5" fill="#2563eb" '
                f'data-value="{value}"><title>{escape(day.isoformat())}: {value}</title></circle>'
            )
    return _svg(width, height, label, body, "line-chart", f' data-key="{escape(key)}"')
