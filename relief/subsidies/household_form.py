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
from relief.i18n import translate
from relief.network import service as network
from relief.subsidies.models import (
    CATEGORY_ZH,
    DAMAGE_ZH,
    STRUCTURE_ZH,
    Case,
    Household,
    Programme,
    rooms_total,
    yuan_text,
)

# Who may read the printed form (masked): county staff and approvers in scope, duty officers
# (whose scope is everything) and admins.
FORM_READERS = ("county_staff", "township_staff", "approver", "duty_officer")

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)


def _zh(msgid: str, **params: object) -> str:
    """The form is a Chinese document: its words are the catalogue's Chinese ones (`hhform.*`)."""
    return translate(msgid, "zh", **params)


_templates.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=_zh,
    ngettext=lambda singular, plural, n, **params: _zh(singular if n == 1 else plural, **params),
    newstyle=False,
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
            (
                _zh("hhform.head_name"),
                household.head_name,
                _zh("hhform.id_number"),
                household.id_masked,
            ),
            (
                _zh("hhform.size"),
                _zh("hhform.persons", n=household.size),
                _zh("hhform.category"),
                CATEGORY_ZH.get(household.category, ""),
            ),
            (
                _zh("hhform.township"),
                " ".join(places),
                _zh("hhform.region_code"),
                household.region_code,
            ),
            (
                _zh("hhform.address"),
                _text(household.address),
                _zh("hhform.phone"),
                _text(household.phone),
            ),
            (
                _zh("hhform.structure"),
                STRUCTURE_ZH.get(household.structure or "", "—"),
                _zh("hhform.damage"),
                DAMAGE_ZH.get(household.damage, household.damage),
            ),
            (
                _zh("hhform.collapsed_rooms"),
                _text(rooms[0]),
                _zh("hhform.severe_rooms"),
                _text(rooms[1]),
            ),
            (
                _zh("hhform.general_rooms"),
                _text(rooms[2]),
                _zh("hhform.rooms_total"),
                str(rooms_total(household)),
            ),
            (
                _zh("hhform.bank"),
                _text(household.bank_masked),
                _zh("hhform.registration"),
                str(household.id),
            ),
        ],
        # Each programme by its name (issue 13 review #7), not its code.
        "cases": [
            (
                _programme_name(session, c.programme_code),
                yuan_text(c.amount_fen),
                _zh(f"case.{c.status}"),
            )
            for c in cases
        ],
        "printed_at": clock.to_cst(clock.now()).strftime("%Y-%m-%d %H:%M"),
    }


def _programme_name(session: Session, code: str) -> str:
    programme = session.get(Programme, code)
    return programme.name if programme is not None else code


def form_html(
    session: Session,
    household: Household,
    *,
    print_label: str | None = None,
    back_label: str | None = None,
    back_href: str = "/subsidies/households",
) -> str:
    return _templates.get_template("household_form_print.html").render(
        **form_context(session, household),
        print_label=print_label or _zh("hhform.print"),
        back_label=back_label or _zh("hhform.back"),
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
        _p(_zh("hhform.title"), _TITLE),
        Spacer(1, 3 * mm),
        _p(
            _zh("hhform.event", name=context["event_name"])
            + "　　"
            + _zh("hhform.place", place=context["place"]),
            _BODY,
        ),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 4 * mm),
    ]
    if context["cases"]:
        case_widths = [60 * mm, 60 * mm, 60 * mm]
        case_rows = [
            _cells(
                [_zh("hhform.programme"), _zh("hhform.amount"), _zh("hhform.status")], case_widths
            )
        ]
        case_rows += [_cells(list(c), case_widths) for c in context["cases"]]
        cases = Table(case_rows, colWidths=case_widths)
        cases.setStyle(TableStyle(_GRID))
        story += [cases, Spacer(1, 4 * mm)]
    sign_widths = [45 * mm] * 4
    signatures = Table(
        [
            _cells(
                [
                    _zh("hhform.sign_head"),
                    _zh("hhform.sign_village"),
                    _zh("hhform.sign_township"),
                    _zh("hhform.filled_by"),
                ],
                sign_widths,
            ),
            _cells(["\n\n\n", "\n\n\n", "\n\n\n", "\n\n\n"], sign_widths),
        ],
        colWidths=sign_widths,
    )
    signatures.setStyle(TableStyle(_GRID))
    story += [
        signatures,
        Spacer(1, 4 * mm),
        _p(_zh("hhform.printed_at", at=context["printed_at"]), _SMALL),
    ]
    out = BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{_zh('hhform.title')} {household.head_name}",
        author="relief",
    )
    document.build(story)
    return out.getvalue()
