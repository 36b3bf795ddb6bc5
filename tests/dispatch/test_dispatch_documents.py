"""The printable 调拨单 and the spreadsheet export."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from relief.db import transaction
from relief.dispatch import service as dispatch
from relief.dispatch.documents import EXPORT_HEADERS
from relief.emergency import responses
from relief.emergency import service as events
from relief.emergency.models import EventIn, ResponseIn
from relief.network import service as network
from relief.network.records import Item, Road, Warehouse
from relief.stock import service as stock
from relief.stock.models import ReceiptLineIn
from tests.dispatch.conftest import DUTY, OLD, SETUP

TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}


def test_print_view_is_a_self_contained_chinese_dispatch_order(client, users, make_order):
    order_id = make_order("150125", response_id=7)
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()

    reply = client.get(f"/api/v1/dispatch-orders/{order_id}/print", headers=users["clerk_wc"])
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    html = reply.text
    assert '<html lang="zh-CN">' in html
    assert order["number"] in html
    for text in (
        "调拨单",
        "发货人",
        "承运人",
        "收货人",
        "呼和浩特市骨干库",
        "武川县",
        "帐篷",
        "大米",
    ):
        assert text in html, text
    for text in ("L-OLD", "2036-09-01", "蒙A12345", "王师傅", "厢式货车", "1.25 小时"):
        assert text in html, text
    assert "@media print" in html and "@page" in html
    # Nothing is loaded from another host (intranets have no internet).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    # The one script is the local print button's (the CSP allows no inline script).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/web/print.js">']


def test_print_view_escapes_what_users_typed(client, users, make_order):
    order_id = make_order()
    truck = {**TRUCK, "driver": "<script>alert(1)</script>"}
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=truck, headers=users["mgr1"])
    html = client.get(f"/api/v1/dispatch-orders/{order_id}/print", headers=users["mgr1"]).text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_print_view_is_scoped_like_the_order(client, users, make_order):
    order_id = make_order("150125")
    assert (
        client.get(
            f"/api/v1/dispatch-orders/{order_id}/print", headers=users["clerk_tm"]
        ).status_code
        == 403
    )
    assert client.get("/api/v1/dispatch-orders/77/print", headers=users["duty"]).status_code == 404


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_pdf_is_the_same_dispatch_order_in_chinese(client, users, make_order):
    order_id = make_order("150125", response_id=7)
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()

    reply = client.get(f"/api/v1/dispatch-orders/{order_id}/pdf", headers=users["clerk_wc"])
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/pdf"
    assert order["number"] in reply.headers["content-disposition"]
    assert reply.content.startswith(b"%PDF-")
    text = _pdf_text(reply.content)
    for expected in (
        order["number"],
        "救灾物资调拨单",
        "发货人",
        "收货人",
        "呼和浩特市骨干库",
        "武川县",
        "帐篷",
        "L-OLD",
        "蒙A12345",
        "王师傅",
        "1.25 小时",
    ):
        assert expected in text, expected


def test_pdf_takes_what_users_typed_as_text_and_is_scoped(client, users, make_order):
    order_id = make_order("150125")
    truck = {**TRUCK, "driver": "<b>张</b> & 李"}
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=truck, headers=users["mgr1"])
    reply = client.get(f"/api/v1/dispatch-orders/{order_id}/pdf", headers=users["mgr1"])
    assert reply.status_code == 200
    assert "<b>张</b> & 李" in _pdf_text(reply.content)
    url = f"/api/v1/dispatch-orders/{order_id}/pdf"
    assert client.get(url, headers=users["clerk_tm"]).status_code == 403
    assert client.get("/api/v1/dispatch-orders/77/pdf", headers=users["duty"]).status_code == 404


def test_export_opens_in_openpyxl_with_chinese_headers_and_one_row_per_line(
    client, users, make_order
):
    first = make_order("150125", response_id=7)
    make_order("150121", [{"item_code": "rice", "quantity": 5}], response_id=7)
    make_order("150121", [{"item_code": "rice", "quantity": 6}], response_id=8)
    client.post(
        f"/api/v1/dispatch-orders/{first}/dispatch",
        json={**TRUCK, "plate": "=HYPERLINK(1)"},
        headers=users["mgr1"],
    )

    reply = client.get("/api/v1/dispatch-orders/export.xlsx?response_id=7", headers=users["duty"])
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in reply.headers["content-disposition"]
    sheet = load_workbook(BytesIO(reply.content)).active
    assert sheet["A1"].value.startswith("救灾物资调拨单明细")  # the title row
    assert sheet.freeze_panes == "A3"  # under the header
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert rows[0] == EXPORT_HEADERS
    assert {"调拨单号", "物资名称", "调拨数量", "实发数量", "实收数量", "车牌号"} <= set(rows[0])
    column = {name: i for i, name in enumerate(rows[0])}
    body = [
        (
            r[column["目的地代码"]],
            r[column["物资代码"]],
            r[column["调拨数量"]],
            r[column["实发数量"]],
        )
        for r in rows[1:]
    ]
    assert body == [
        ("150125", "tent", 40, 40),
        ("150125", "rice", 100, 100),
        ("150121", "rice", 5, 0),
    ]
    assert rows[1][column["物资名称"]] == "帐篷"
    assert rows[1][column["状态"]] == "已发运"
    # The lots in the words of the order page and the printed 调拨单.
    assert rows[1][column["批次"]] == "L-OLD · 2036-09-01 × 30；L-NEW · 2037-06-01 × 10"
    created = sheet.cell(row=3, column=column["制单时间"] + 1)
    assert created.is_date and created.number_format == "yyyy-mm-dd hh:mm"
    assert sheet.column_dimensions["K"].width >= 6
    # A value typed by a user stays text, never a formula (relief/exports.py).
    plate = sheet.cell(row=3, column=column["车牌号"] + 1)
    assert (plate.value, plate.data_type) == ("=HYPERLINK(1)", "s")


def test_export_is_scoped_like_the_list(client, users, make_order):
    make_order("150125", response_id=7)
    make_order("150121", [{"item_code": "rice", "quantity": 5}], response_id=7)
    reply = client.get("/api/v1/dispatch-orders/export.xlsx", headers=users["clerk_tm"])
    rows = list(load_workbook(BytesIO(reply.content)).active.iter_rows(values_only=True))
    assert [r[EXPORT_HEADERS.index("目的地代码")] for r in rows[2:]] == ["150121"]


# --- the paper a county signs: names, event and level, totals, an embedded font ------------

LAMP = Item("floodlight", "场地照明灯（12 m² 照明）", "Site floodlight set", "套", Decimal("30"), Decimal("0.15"), "lighting")  # fmt: skip


@pytest.fixture
def posted_order(engine, world) -> int:
    """An order from warehouse WH-150100-B for the response (Ⅳ级) of a named event: codes
    with hyphens, an item name with `²`, lots written with `·`."""
    with transaction(engine) as session:
        network.create_warehouse(
            session,
            SETUP,
            Warehouse(
                "WH-150100-B", "呼和浩特市救灾物资储备库", "prefecture", "150100", 40.8, 111.7
            ),
        )
        network.create_road(session, SETUP, Road(None, "WH-150100-B", "150125", Decimal("42"), Decimal("1")))  # fmt: skip
        network.create_item(session, SETUP, LAMP)
        stock.receive_stock(
            session,
            SETUP,
            "WH-150100-B",
            "initial stock",
            [
                ReceiptLineIn(item_code="floodlight", quantity=20, lot="L-2026-A", expires_on=OLD),
                ReceiptLineIn(item_code="tent", quantity=200),
            ],
        )
        event = events.create_event(
            session,
            DUTY,
            EventIn(
                name="武川县“7·20”暴雨洪涝灾害",
                hazard="flood",
                started_at=datetime(2026, 7, 20, 6, tzinfo=UTC),
                region_codes=["150125"],
            ),
        )
        response = responses.trigger_response(
            session, DUTY, event.id, ResponseIn(level=4, override_reason="县里先行启动")
        )
        order = dispatch.create_order(
            session,
            DUTY,
            source_warehouse_code="WH-150100-B",
            destination_code="150125",
            destination_kind="region",
            lines=[dispatch.OrderLine("floodlight", 12), dispatch.OrderLine("tent", 150)],
            route=["WH-150100-B", "150125"],
            eta_h=Decimal("1"),
            distance_km=Decimal("42"),
            plan_id=5,
            response_id=response.id,
            reference="plan 5",
        )
        return order.id  # type: ignore[return-value]


def test_pdf_embeds_its_font_and_reads_back_as_the_order(client, users, posted_order):
    order = client.get(f"/api/v1/dispatch-orders/{posted_order}", headers=users["duty"]).json()
    reply = client.get(f"/api/v1/dispatch-orders/{posted_order}/pdf", headers=users["duty"])
    assert reply.status_code == 200
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(reply.content))
    text = "".join(page.extract_text() for page in reader.pages)
    # Codes and lot words are never broken across lines; Chinese may wrap between characters.
    for code in ("WH-150100-B", "L-2026-A · 2036-09-01 × 12", "默认批次 × 150", "Ⅳ级"):
        assert code in text, text
    flat = text.replace("\n", "")
    # Weight 12 × 30 + 150 × 25 kg, volume 12 × 0.15 + 150 × 0.12 m³.
    for expected in (
        order["number"],
        "场地照明灯（12 m² 照明）",
        "帐篷",
        "呼和浩特市救灾物资储备库",
        "武川县“7·20”暴雨洪涝灾害",
        "总重量 4110.00 千克",
        "总体积 19.800 立方米",
    ):
        assert expected in flat, text
    # Item codes are for machines: the paper names the goods in Chinese only.
    assert "floodlight" not in text and "tent" not in text
    assert f"应急响应 {order['response_id']}" not in text
    fonts = {
        str(font.get_object()["/BaseFont"]): font.get_object()
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    # reportlab's Helvetica is declared on every page but draws nothing here (all text above
    # came out); every other font is the embedded TrueType one.
    embedded = {name: f for name, f in fonts.items() if name != "/Helvetica"}
    assert embedded, fonts
    for name, font in embedded.items():
        assert "WenQuanYiMicroHei" in name
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), name


def test_pdf_breaks_lines_between_chinese_characters_never_inside_a_code():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from relief.dispatch.pdf import FONT, wrap_lines

    text = "呼和浩特市救灾物资储备库（WH-150100-B）场地照明灯 floodlight L-OLD · 2036-09-01 × 30"
    for width in (30, 40, 60, 80, 100, 130, 200):
        lines = wrap_lines(text, width, 10)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        # Every line fits; a code is cut only where it alone is wider than the cell.
        assert all(stringWidth(line, FONT, 10) <= width for line in lines), lines
        if width >= stringWidth("（WH-150100-B）", FONT, 10):
            for code in ("WH-150100-B", "floodlight", "L-OLD", "2036-09-01"):
                assert code in " ".join(lines), (width, lines)
            assert not any(line.startswith(("）", "·")) for line in lines), lines


def test_print_view_names_the_event_level_and_totals_with_the_lot_words_of_the_screen(
    client, users, posted_order
):
    html = client.get(f"/api/v1/dispatch-orders/{posted_order}/print", headers=users["duty"]).text
    for expected in (
        "武川县“7·20”暴雨洪涝灾害",
        "Ⅳ级",
        "场地照明灯（12 m² 照明）",
        "L-2026-A · 2036-09-01 × 12",
        "默认批次 × 150",
        "总重量 4110.00 千克",
        "总体积 19.800 立方米",
        'data-testid="print-button"',
        f'href="/orders/{posted_order}"',
    ):
        assert expected in html, expected
    assert "（floodlight）" not in html and "（tent）" not in html


def test_a_cancelled_orders_paper_says_who_cancelled_it_when_and_why(client, users, posted_order):
    reply = client.post(
        f"/api/v1/dispatch-orders/{posted_order}/cancel",
        json={"reason": "灾情缓解，改由县库供应"},
        headers=users["duty"],
    )
    assert reply.status_code == 200, reply.text
    order = reply.json()
    assert (order["cancelled_by"], order["cancel_reason"]) == ("duty", "灾情缓解，改由县库供应")
    html = client.get(f"/api/v1/dispatch-orders/{posted_order}/print", headers=users["duty"]).text
    assert "由 duty 取消，原因：灾情缓解，改由县库供应" in html
    from pypdf import PdfReader

    pdf = client.get(f"/api/v1/dispatch-orders/{posted_order}/pdf", headers=users["duty"])
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "由 duty 取消，原因：灾情缓解，改由县库供应" in text.replace("\n", "")
