"""一户一表: the printable registration form of one damaged household (倒损住房户台账's
per-household form), as an HTML print view and as an A4 PDF from the same context.

The form is the official document in Chinese whatever the UI's language (as the 调拨单 is);
only the print button and the way back, which are not printed, are in the user's language.
The ID number and the bank account are printed masked: the form is filed and handed around,
and the clear number is only ever shown by the audited read. The PDF is drawn with the
bundled WenQuanYi font (relief/dispatch/pdf.py), whose subset covers every CJK character.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, select

from relief import clock
from relief.emergency import service as events
from relief.network import service as network
from relief.subsidies.exports import STATUS_ZH
from relief.subsidies.models import (
    CATEGORY_ZH,
    DAMAGE_ZH,
    STRUCTURE_ZH,
    Case,
    Household,
    format_fen,
)

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _text(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def form_context(session: Session, household: Household) -> dict[str, Any]:
    """What the form prints: the rows of its table (label, value) and its header."""
    event = events.get_event(session, household.event_id)
    places = []
    for code in reversed(network.region_lineage(session, household.region_code)):
        region = network.get_region(session, code)
        if region is not None and region.level in ("county", "township", "village"):
            places.append(region.name)
    cases = session.exec(select(Case).where(Case.household_id == household.id)).all()
    rooms = [household.collapsed_rooms, household.severe_rooms, household.general_rooms]
    return {
        "household": household,
        "event_name": event.name,
        "place": " ".join(places) or household.region_code,
        "rows": [
            ("户主姓名", household.head_name, "身份证号码", household.id_masked),
            ("家庭人口", f"{household.size} 人", "户类别", CATEGORY_ZH.get(household.category, "")),
            ("所在乡镇（村）", " ".join(places), "行政区划代码", household.region_code),
            ("住址", _text(household.address), "联系电话", _text(household.phone)),
            (
                "房屋结构",
                STRUCTURE_ZH.get(household.structure or "", "—"),
                "房屋损坏程度",
                DAMAGE_ZH.get(household.damage, household.damage),
            ),
            ("倒塌间数", _text(rooms[0]), "严重损坏间数", _text(rooms[1])),
            ("一般损坏间数", _text(rooms[2]), "损坏间数合计", str(household.rooms)),
            ("一卡通账号", _text(household.bank_masked), "登记编号", str(household.id)),
        ],
        "cases": [
            (c.programme_code, format_fen(c.amount_fen), STATUS_ZH.get(c.status, c.status))
            for c in cases
        ],
        "printed_at": clock.to_cst(clock.now()).strftime("%Y-%m-%d %H:%M"),
    }


def form_html(
    session: Session,
    household: Household,
    *,
    print_label: str = "打印",
    back_label: str = "返回",
    back_href: str = "/subsidies/households",
) -> str:
    return _templates.get_template("household_form_print.html").render(
        **form_context(session, household),
        print_label=print_label,
        back_label=back_label,
        back_href=back_href,
        pdf_href=f"/api/v1/households/{household.id}/form.pdf",
    )


def form_pdf(session: Session, household: Household) -> bytes:
    """The same form as an A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from relief.dispatch.pdf import _BODY, _GRID, _SMALL, _TITLE, _cells, _p

    context = form_context(session, household)
    widths = [32 * mm, 58 * mm, 32 * mm, 58 * mm]
    rows = [_cells(list(row), widths) for row in context["rows"]]
    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle(_GRID))
    story: list[Any] = [
        _p("倒损住房户一户一表", _TITLE),
        Spacer(1, 3 * mm),
        _p(f"灾害事件：{context['event_name']}　　地点：{context['place']}", _BODY),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 4 * mm),
    ]
    if context["cases"]:
        case_widths = [60 * mm, 60 * mm, 60 * mm]
        case_rows = [_cells(["补助项目", "金额（元）", "状态"], case_widths)]
        case_rows += [_cells(list(c), case_widths) for c in context["cases"]]
        cases = Table(case_rows, colWidths=case_widths)
        cases.setStyle(TableStyle(_GRID))
        story += [cases, Spacer(1, 4 * mm)]
    sign_widths = [45 * mm] * 4
    signatures = Table(
        [
            _cells(["户主签字", "村（居）委会意见", "乡镇（街道）审核意见", "填表人"], sign_widths),
            _cells(["\n\n\n", "\n\n\n", "\n\n\n", "\n\n\n"], sign_widths),
        ],
        colWidths=sign_widths,
    )
    signatures.setStyle(TableStyle(_GRID))
    story += [signatures, Spacer(1, 4 * mm), _p(f"打印时间：{context['printed_at']}", _SMALL)]
    out = BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"一户一表 {household.head_name}",
        author="relief",
    )
    document.build(story)
    return out.getvalue()
