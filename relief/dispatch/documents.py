"""Documents of dispatch orders: the printable 调拨单 (HTML and PDF) and the spreadsheet export.

Both are built from the order as the API shows it (`OrderOut`), with the names of
warehouses, regions and items looked up through the network service, so that paper and
API never disagree. Times are shown in China Standard Time.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from sqlmodel import Session

from relief import clock
from relief.auth import service as auth
from relief.dispatch.models import LotOut, OrderOut
from relief.emergency import responses
from relief.emergency import service as events
from relief.emergency.responses import ROMAN
from relief.errors import DomainError
from relief.i18n import translate
from relief.network import service as network
from relief.sheets import write_table


def _zh(msgid: str, **params: object) -> str:
    """The 调拨单 is a Chinese document in either UI language: its words are the
    catalogue's Chinese ones (relief/locale, ids `doc.*`)."""
    return translate(msgid, "zh", **params)


def status_words(status: str) -> str:
    """An order's status as the order page says it (`order.<status>`)."""
    return _zh(f"order.{status}")


def destination_kind_words(kind: str) -> str:
    return _zh(f"doc.destination_kind.{kind}") if kind in ("region", "warehouse") else ""


def level_words(level: int) -> str:
    """A response level, one way: Ⅳ级."""
    return _zh("response.level_short", level=ROMAN.get(level, str(level)))


# The export's columns, in order (one row per order line): catalogue ids `doc.export.<name>`.
EXPORT_FIELDS = (
    "number",
    "status",
    "response_id",
    "plan_id",
    "source_code",
    "source",
    "destination_code",
    "destination",
    "destination_kind",
    "item_code",
    "item_name",
    "unit",
    "quantity",
    "dispatched",
    "received",
    "damaged",
    "lots",
    "reason",
    "route",
    "eta_h",
    "distance_km",
    "expected_at",
    "late",
    "vehicle",
    "driver",
    "plate",
    "created_at",
    "dispatched_at",
    "received_at",
)
EXPORT_HEADERS = tuple(_zh(f"doc.export.{name}") for name in EXPORT_FIELDS)

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# `_("doc.title")` in the document's template: the catalogue's Chinese words.
_templates.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=_zh,
    ngettext=lambda singular, plural, n, **params: _zh(singular if n == 1 else plural, **params),
    newstyle=False,
)


def _shown(value: datetime | None) -> str:
    shown = clock.to_cst(value)
    return shown.strftime("%Y-%m-%d %H:%M") if shown is not None else ""


class _Names:
    """Names of the codes on orders, looked up once each."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._places: dict[str, str] = {}
        self._items: dict[str, tuple[str, str, Decimal, Decimal]] = {}

    def place(self, code: str) -> str:
        if code not in self._places:
            row: Any = network.get_warehouse(self.session, code) or network.get_region(
                self.session, code
            )
            self._places[code] = row.name if row is not None else code
        return self._places[code]

    def item(self, code: str) -> tuple[str, str]:
        """(Chinese name, unit)."""
        return self._item(code)[:2]

    def measures(self, code: str) -> tuple[Decimal, Decimal]:
        """(kg, m³) of one unit."""
        return self._item(code)[2:]

    def _item(self, code: str) -> tuple[str, str, Decimal, Decimal]:
        if code not in self._items:
            row = network.get_item(self.session, code)
            self._items[code] = (
                (row.name_zh, row.unit, Decimal(row.weight_kg), Decimal(row.volume_m3))
                if row is not None
                else (code, "", Decimal(0), Decimal(0))
            )
        return self._items[code]

    def route(self, codes: list[str] | None) -> str:
        return " → ".join(f"{self.place(c)}" for c in codes) if codes else ""


def lot_words(lot: LotOut) -> str:
    """A lot as the order page writes it: `L-OLD · 2036-09-01 × 30`, `默认批次 × 5`."""
    expires = f" · {lot.expires_on.isoformat()}" if lot.expires_on else ""
    return f"{lot.lot or _zh('stock.default_lot')}{expires} × {lot.quantity}"


def _response_words(session: Session, response_id: int | None) -> tuple[str, str]:
    """(event name, level 'Ⅳ级') of the order's response; blanks when there is none."""
    if response_id is None:
        return "", ""
    try:
        response = responses.get_response(session, response_id)
        event = events.get_event(session, response.event_id)
    except DomainError:  # an order of a response that is gone still prints
        return "", ""
    return event.name, level_words(response.level)


def _measure(value: Decimal, places: str) -> str:
    return f"{value.quantize(Decimal(places))}"


def _print_context(session: Session, order: OrderOut) -> dict[str, Any]:
    """What the paper order shows, with names and CST times: shared by HTML and PDF."""
    names = _Names(session)
    lines = []
    weight = volume = Decimal(0)
    for line in order.lines:
        name, unit = names.item(line.item_code)
        kg, m3 = names.measures(line.item_code)
        weight += line.quantity * kg
        volume += line.quantity * m3
        lines.append(
            {
                **line.model_dump(),
                "lots": line.lots,
                "lot_words": [lot_words(lot) for lot in line.lots],
                "name": name,
                "unit": unit,
            }
        )
    event_name, level_label = _response_words(session, order.response_id)
    discrepancies = [
        {**d.model_dump(), "name": names.item(d.item_code)[0]} for d in order.discrepancies
    ]
    return {
        "order": order,
        "lines": lines,
        "discrepancies": discrepancies,
        "source_name": names.place(order.source_warehouse_code),
        "destination_name": names.place(order.destination_code),
        "status_label": status_words(order.status),
        "destination_kind_label": destination_kind_words(order.destination_kind),
        "route_text": names.route(order.route),
        "expected_at": _shown(order.expected_at),
        "created_at": _shown(order.created_at),
        "dispatched_at": _shown(order.dispatched_at),
        "dispatched": order.dispatched_at is not None,
        "received": order.received_at is not None,
        "printed_at": _shown(clock.now()),
        "event_name": event_name,
        "level_label": level_label,
        "total_weight_kg": _measure(weight, "0.01"),
        "total_volume_m3": _measure(volume, "0.001"),
        "cancelled": _cancelled_words(session, order),
    }


def _cancelled_words(session: Session, order: OrderOut) -> str:
    """`2026-07-11 10:32 由 张三 取消，原因：灾情缓解` for a cancelled order, else ""."""
    if order.cancelled_at is None:
        return ""
    user = auth.user_by_username(session, order.cancelled_by) if order.cancelled_by else None
    who = (user.full_name if user is not None else None) or order.cancelled_by
    at = _shown(order.cancelled_at)
    words = _zh("doc.cancelled_by", at=at, who=who) if who else _zh("doc.cancelled_at", at=at)
    if order.cancel_reason:
        words += _zh("doc.cancel_reason", reason=order.cancel_reason)
    return words


def print_html(
    session: Session,
    order: OrderOut,
    *,
    print_label: str | None = None,
    back_label: str | None = None,
    back_href: str | None = None,
) -> str:
    """The 调拨单 to print: header, lines with lots, totals, route and ETA, vehicle, and the
    signature block of consignor, carrier and consignee (发货人/承运人/收货人). Above it, not
    printed: a print button (relief/web/static/print.js: the CSP allows no inline script) and
    a link back to the order page; the UI passes their words in the user's language."""
    return _templates.get_template("dispatch_order_print.html").render(
        **_print_context(session, order),
        print_label=print_label or _zh("doc.print"),
        back_label=back_label or _zh("doc.back"),
        back_href=back_href or f"/orders/{order.id}",
    )


def print_pdf(session: Session, order: OrderOut) -> bytes:
    """The same 调拨单 as an A4 PDF (relief/dispatch/pdf.py), for filing and sending."""
    from relief.dispatch.pdf import order_pdf  # reportlab loads only when a PDF is asked for

    return order_pdf(_print_context(session, order))


def _cell_time(value: datetime | None) -> datetime | None:
    """A time as a spreadsheet date cell holds it: naive China Standard Time."""
    shown = clock.to_cst(value)
    return shown.replace(tzinfo=None) if shown is not None else None


def orders_xlsx(session: Session, orders: list[OrderOut]) -> bytes:
    """One sheet 调拨单: a title row, then one row per order line under Chinese headers
    (EXPORT_HEADERS, frozen), times as date cells (relief/sheets.py)."""
    names = _Names(session)
    book = Workbook()
    sheet = book.active
    sheet.title = _zh("doc.export.sheet")
    rows: list[list[Any]] = []
    for order in orders:
        for line in order.lines:
            name, unit = names.item(line.item_code)
            values = [
                order.number,
                status_words(order.status),
                order.response_id,
                order.plan_id,
                order.source_warehouse_code,
                names.place(order.source_warehouse_code),
                order.destination_code,
                names.place(order.destination_code),
                destination_kind_words(order.destination_kind),
                line.item_code,
                name,
                unit,
                line.quantity,
                line.dispatched,
                line.received,
                line.damaged,
                "；".join(lot_words(lot) for lot in line.lots),
                line.reason or "",
                names.route(order.route),
                order.eta_h,
                order.distance_km,
                _cell_time(order.expected_at),
                _zh("doc.yes") if order.late else _zh("doc.no"),
                order.vehicle or "",
                order.driver or "",
                order.plate or "",
                _cell_time(order.created_at),
                _cell_time(order.dispatched_at),
                _cell_time(order.received_at),
            ]
            rows.append(values)
    title = _zh("doc.export.title", at=_shown(clock.now()))
    write_table(sheet, title, EXPORT_HEADERS, rows)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
