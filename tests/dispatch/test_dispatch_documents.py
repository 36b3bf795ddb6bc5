"""The printable 调拨单 and the spreadsheet export."""

from __future__ import annotations

import re
from io import BytesIO

from openpyxl import load_workbook

from relief.dispatch.documents import EXPORT_HEADERS

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
    assert "<script" not in html


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
    rows = list(sheet.iter_rows(values_only=True))
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
    assert rows[1][column["批次"]] == "L-OLD(2036-09-01)×30; L-NEW(2037-06-01)×10"
    # A value typed by a user stays text, never a formula (relief/exports.py).
    plate = sheet.cell(row=2, column=column["车牌号"] + 1)
    assert (plate.value, plate.data_type) == ("'=HYPERLINK(1)", "s")


def test_export_is_scoped_like_the_list(client, users, make_order):
    make_order("150125", response_id=7)
    make_order("150121", [{"item_code": "rice", "quantity": 5}], response_id=7)
    reply = client.get("/api/v1/dispatch-orders/export.xlsx", headers=users["clerk_tm"])
    rows = list(load_workbook(BytesIO(reply.content)).active.iter_rows(values_only=True))
    assert [r[EXPORT_HEADERS.index("目的地代码")] for r in rows[1:]] == ["150121"]
