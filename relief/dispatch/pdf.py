"""The 调拨单 as a PDF, drawn with reportlab from the same context as the HTML print view.

The text is set in WenQuanYi Micro Hei (relief/dispatch/fonts/, Apache-2.0), a TrueType font
shipped with the package and embedded in every PDF (only the glyphs used), so `·`, `²` and
`Ⅳ` look the same in every viewer. Nothing reads system fonts or downloads at run time.

Lines break the way a Chinese clerk writes: between any two Chinese characters, and at
spaces elsewhere; a code (`WH-150100-B`, `L-OLD`, a date) or an English word is never split
unless it alone is wider than its cell (reportlab's own CJK wrap splits anywhere).
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from relief.dispatch.documents import _zh

FONT = "WenQuanYiMicroHei"
FONT_FILE = Path(__file__).parent / "fonts" / "wqy-microhei-subset.ttf"
pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13, splitLongWords=0)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=11)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=18, leading=24, alignment=1)
_RIGHT = ParagraphStyle("right", parent=_BODY, alignment=2)
_PAD = 6  # reportlab's default cell padding, left and right, in points
_GRID = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]

# One unbreakable piece of text: a run of spaces, a run of anything that is neither space nor
# CJK (a code, a number, an English word, `·`, `²`), or one CJK character.
_PIECE = re.compile(r"\s+|[^\s\u2e80-\uffff]+|[\u2e80-\uffff]")
_NO_LINE_START = set("，。、；：？！）》」』】〕〉’”·…—％")
_NO_LINE_END = set("（《「『【〔〈‘“")


def _pieces(text: str) -> list[str]:
    """Break opportunities: closing punctuation sticks to what precedes it, opening to what
    follows (no line starts with `）` or ends with `（`)."""
    pieces: list[str] = []
    for piece in _PIECE.findall(text):
        if pieces and (piece[0] in _NO_LINE_START or pieces[-1][-1] in _NO_LINE_END):
            pieces[-1] += piece
        else:
            pieces.append(piece)
    return pieces


def wrap_lines(text: str, width: float, font_size: float) -> list[str]:
    """`text` broken into lines no wider than `width` points (see the module docstring)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in _pieces(paragraph):
            if pdfmetrics.stringWidth(line + piece, FONT, font_size) <= width or not line.strip():
                line += piece
            else:
                out.append(line.rstrip())
                line = piece.lstrip()
            while pdfmetrics.stringWidth(line, FONT, font_size) > width and len(line) > 1:
                # One piece wider than the cell: cut it, the only case where a code is split.
                cut = len(line) - 1
                while cut > 1 and pdfmetrics.stringWidth(line[:cut], FONT, font_size) > width:
                    cut -= 1
                out.append(line[:cut])
                line = line[cut:]
        out.append(line.rstrip())
    return out


def _p(text: object, style: ParagraphStyle = _BODY, width: float | None = None) -> Paragraph:
    """User-typed text (reasons, plates, names) is escaped: reportlab reads markup. With the
    cell's width (points), the lines are broken here (wrap_lines) rather than by reportlab."""
    raw = "" if text is None else str(text)
    lines = raw.split("\n") if width is None else wrap_lines(raw, width - 2 * _PAD, style.fontSize)
    return Paragraph("<br/>".join(escape(line) for line in lines), style)


def _cells(row: list[object], widths: list[float], style: ParagraphStyle = _BODY) -> list[Any]:
    return [_p(text, style, width) for text, width in zip(row, widths, strict=True)]


def _number(value: float | None, msgid: str, name: str) -> str:
    return "—" if value is None else _zh(msgid, **{name: f"{value:.2f}"})


def order_pdf(context: dict[str, Any]) -> bytes:
    order = context["order"]
    status = context["status_label"] + (_zh("doc.late") if order.late else "")
    header = [
        [
            _zh("doc.source"),
            f"{context['source_name']}（{order.source_warehouse_code}）",
            _zh("doc.status"),
            status,
        ],
        [
            _zh("doc.destination"),
            f"{context['destination_name']}（{order.destination_code}）",
            _zh("doc.destination_kind"),
            context["destination_kind_label"],
        ],
        [_zh("doc.route"), context["route_text"] or "—", "", ""],
        [
            _zh("doc.eta"),
            _number(order.eta_h, "doc.hours", "hours"),
            _zh("doc.distance"),
            _number(order.distance_km, "doc.km", "km"),
        ],
        [
            _zh("doc.expected_at"),
            context["expected_at"] or "—",
            _zh("doc.created_at"),
            context["created_at"],
        ],
        [
            _zh("doc.vehicle"),
            order.vehicle or "",
            _zh("doc.dispatched_at"),
            context["dispatched_at"] or "",
        ],
        [_zh("doc.driver"), order.driver or "", _zh("doc.plate"), order.plate or ""],
    ]
    if context["event_name"]:
        header.append(
            [_zh("doc.event"), context["event_name"], _zh("doc.level"), context["level_label"]]
        )
    if order.reason:
        header.append([_zh("doc.reason"), order.reason, "", ""])
    if context["cancelled"]:
        header.append([_zh("doc.cancelled"), context["cancelled"], "", ""])
    widths = [27 * mm, 63 * mm, 24 * mm, 66 * mm]
    wide_rows = (_zh("doc.route"), _zh("doc.reason"), _zh("doc.cancelled"))
    wide = [i for i, row in enumerate(header) if row[0] in wide_rows]
    header_table = Table(
        [
            # A spanned value gets the width of its three cells.
            _cells(row, [widths[0], sum(widths[1:]), widths[2], widths[3]])
            if i in wide
            else _cells(row, widths)
            for i, row in enumerate(header)
        ],
        colWidths=widths,
    )
    spans = [("SPAN", (1, i), (3, i)) for i in wide]
    spans += [("BACKGROUND", (1, i), (3, i), colors.white) for i in wide]
    header_table.setStyle(
        TableStyle(
            [
                *_GRID,
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke),
                *spans,
            ]
        )
    )

    dispatched, received = context["dispatched"], context["received"]
    widths = [12 * mm, 44 * mm, 12 * mm, 15 * mm, 15 * mm, 15 * mm, 15 * mm, 52 * mm]
    rows: list[list[Any]] = [
        _cells(
            [
                _zh(f"doc.col.{name}")
                for name in (
                    "index",
                    "item",
                    "unit",
                    "quantity_short",
                    "dispatched_short",
                    "received_short",
                    "damaged_short",
                    "lots",
                )
            ],
            widths,
        )
    ]
    for index, line in enumerate(context["lines"], start=1):
        lots = list(line["lot_words"])
        if line.get("reason"):
            lots.append(_zh("doc.short_reason", reason=line["reason"]))
        rows.append(
            [
                *_cells([index, line["name"], line["unit"]], widths[:3]),
                *_cells(
                    [
                        line["quantity"],
                        line["dispatched"] if dispatched else "",
                        line["received"] if received else "",
                        line["damaged"] if received else "",
                    ],
                    widths[3:7],
                    _RIGHT,
                ),
                _p("\n".join(lots), _SMALL, widths[7]),
            ]
        )
    totals = _zh("doc.totals", kg=context["total_weight_kg"], m3=context["total_volume_m3"])
    rows.append([_p(totals, _BODY, sum(widths)), "", "", "", "", "", "", ""])
    lines_table = Table(rows, colWidths=widths, repeatRows=1)
    lines_table.setStyle(
        TableStyle(
            [
                *_GRID,
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("SPAN", (0, -1), (-1, -1)),
            ]
        )
    )

    story: list[Any] = [
        _p(_zh("doc.title"), _TITLE),
        _p(f"{_zh('doc.number_label')}{order.number}", _RIGHT),
        Spacer(1, 3 * mm),
        header_table,
        Spacer(1, 4 * mm),
        lines_table,
    ]
    if context["discrepancies"]:
        widths = [50 * mm, 20 * mm, 20 * mm, 90 * mm]
        found = [
            _cells(
                [_zh(f"doc.disc.{name}") for name in ("item", "kind", "quantity", "reason")], widths
            )
        ]
        for d in context["discrepancies"]:
            kind = _zh("doc.disc.shortfall" if d["kind"] == "shortfall" else "doc.disc.damaged")
            found.append(
                [
                    *_cells([d["name"], kind], widths[:2]),
                    _p(d["quantity"], _RIGHT, widths[2]),
                    _p(d["reason"], _BODY, widths[3]),
                ]
            )
        table = Table(found, colWidths=widths)
        table.setStyle(TableStyle([*_GRID, ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        story += [Spacer(1, 4 * mm), table]
    if order.note:
        story += [Spacer(1, 3 * mm), _p(_zh("doc.receipt_note", note=order.note), _BODY, 180 * mm)]
    signatures = Table(
        [
            [
                _p(f"{_zh('doc.signature', role=_zh(f'doc.role.{role}'))}\n\n\n{_zh('doc.date')}")
                for role in ("consignor", "carrier", "consignee")
            ]
        ],
        colWidths=[60 * mm] * 3,
        rowHeights=[28 * mm],
    )
    signatures.setStyle(TableStyle(_GRID))
    story += [
        Spacer(1, 8 * mm),
        signatures,
        Spacer(1, 4 * mm),
        _p(
            _zh("doc.footer", at=context["printed_at"]),
            _SMALL,
            180 * mm + 2 * _PAD,
        ),
    ]

    out = BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_zh("doc.short_title", number=order.number),
        author="relief",
    )
    document.build(story)
    return out.getvalue()
