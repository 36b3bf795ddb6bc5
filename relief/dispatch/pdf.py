"""The 调拨单 as a PDF, drawn with reportlab from the same context as the HTML print view.

The Chinese text uses reportlab's built-in CID font STSong-Light (Adobe-GB1): the PDF names
the font and the reader supplies it (every PDF reader with Chinese support has it), so no
font file is needed on the server and none is embedded — the PDF stays a few kilobytes.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=11)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=18, leading=24, alignment=1)
_RIGHT = ParagraphStyle("right", parent=_BODY, alignment=2)
_GRID = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]


def _p(text: object, style: ParagraphStyle = _BODY) -> Paragraph:
    """User-typed text (reasons, plates, names) is escaped: reportlab reads markup."""
    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), style)


def _number(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:.2f} {unit}"


def order_pdf(context: dict[str, Any]) -> bytes:
    order = context["order"]
    status = context["status_label"] + ("（已逾期）" if order.late else "")
    header = [
        ["发出仓库", f"{context['source_name']}（{order.source_warehouse_code}）", "状态", status],
        [
            "目的地",
            f"{context['destination_name']}（{order.destination_code}）",
            "目的地类型",
            context["destination_kind_label"],
        ],
        ["路线", context["route_text"] or "—", "", ""],
        ["预计运输时长", _number(order.eta_h, "小时"), "里程", _number(order.distance_km, "公里")],
        ["预计到达", context["expected_at"] or "—", "制单时间", context["created_at"]],
        ["车辆", order.vehicle or "", "发运时间", context["dispatched_at"] or ""],
        ["驾驶员", order.driver or "", "车牌号", order.plate or ""],
    ]
    if order.response_id is not None or order.plan_id is not None:
        header.append(
            [
                "应急响应",
                "—" if order.response_id is None else str(order.response_id),
                "调配方案",
                "—" if order.plan_id is None else str(order.plan_id),
            ]
        )
    if order.reason:
        header.append(["调拨事由", order.reason, "", ""])
    header_table = Table(
        [[_p(c) for c in row] for row in header],
        colWidths=[27 * mm, 63 * mm, 24 * mm, 66 * mm],
    )
    wide = [i for i, row in enumerate(header) if row[0] in ("路线", "调拨事由")]
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
    rows: list[list[Any]] = [
        [
            _p(h)
            for h in (
                "序号",
                "物资",
                "单位",
                "调拨",
                "实发",
                "实收",
                "损坏",
                "批次（有效期）× 数量",
            )
        ]
    ]
    for index, line in enumerate(context["lines"], start=1):
        lots = [
            f"{lot.lot or '无批号'}"
            + (f"（{lot.expires_on.isoformat()}）" if lot.expires_on else "")
            + f" × {lot.quantity}"
            for lot in line["lots"]
        ]
        if line.get("reason"):
            lots.append(f"少发原因：{line['reason']}")
        rows.append(
            [
                _p(index),
                _p(f"{line['name']}（{line['item_code']}）"),
                _p(line["unit"]),
                _p(line["quantity"], _RIGHT),
                _p(line["dispatched"] if dispatched else "", _RIGHT),
                _p(line["received"] if received else "", _RIGHT),
                _p(line["damaged"] if received else "", _RIGHT),
                _p("\n".join(lots), _SMALL),
            ]
        )
    lines_table = Table(
        rows,
        colWidths=[12 * mm, 38 * mm, 12 * mm, 16 * mm, 16 * mm, 16 * mm, 16 * mm, 54 * mm],
        repeatRows=1,
    )
    lines_table.setStyle(TableStyle([*_GRID, ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))

    story: list[Any] = [
        _p("救灾物资调拨单", _TITLE),
        _p(f"单号：{order.number}", _RIGHT),
        Spacer(1, 3 * mm),
        header_table,
        Spacer(1, 4 * mm),
        lines_table,
    ]
    if context["discrepancies"]:
        found = [[_p(h) for h in ("差异物资", "类型", "数量", "原因")]]
        for d in context["discrepancies"]:
            kind = "短少" if d["kind"] == "shortfall" else "损坏"
            found.append(
                [
                    _p(f"{d['name']}（{d['item_code']}）"),
                    _p(kind),
                    _p(d["quantity"], _RIGHT),
                    _p(d["reason"]),
                ]
            )
        table = Table(found, colWidths=[50 * mm, 20 * mm, 20 * mm, 90 * mm])
        table.setStyle(TableStyle([*_GRID, ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        story += [Spacer(1, 4 * mm), table]
    if order.note:
        story += [Spacer(1, 3 * mm), _p(f"签收备注：{order.note}")]
    signatures = Table(
        [[_p(f"{role}（签字）：\n\n\n日期：") for role in ("发货人", "承运人", "收货人")]],
        colWidths=[60 * mm] * 3,
        rowHeights=[28 * mm],
    )
    signatures.setStyle(TableStyle(_GRID))
    story += [
        Spacer(1, 8 * mm),
        signatures,
        Spacer(1, 4 * mm),
        _p(
            f"打印时间：{context['printed_at']}　本单一式三联：发货方、承运方、收货方各执一联。",
            _SMALL,
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
        title=f"调拨单 {order.number}",
        author="relief",
    )
    document.build(story)
    return out.getvalue()
