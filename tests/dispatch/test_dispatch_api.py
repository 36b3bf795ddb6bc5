"""Dispatch orders through the API: transfers end to end, partial dispatch, receipt with
discrepancies, cancel, who may do what, and what the replies look like."""

from __future__ import annotations

import re

TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}


def _lots(line: dict) -> list[tuple[str | None, str | None, int]]:
    return [(lot["lot"], lot["expires_on"], lot["quantity"]) for lot in line["lots"]]


def _line(order: dict, item_code: str) -> dict:
    return next(line for line in order["lines"] if line["item_code"] == item_code)


def _transfer(client, headers, lines=None, to="W2", source="W1"):
    body = {
        "from_warehouse_code": source,
        "to_warehouse_code": to,
        "lines": lines or [{"item_code": "tent", "quantity": 40}],
        "reason": "restock the county depot before the flood season",
    }
    return client.post("/api/v1/transfers", json=body, headers=headers)


def test_transfer_reserves_dispatches_fefo_and_receives_into_the_destination_stock(
    client, users, level, ledger, differences
):
    created = _transfer(
        client,
        users["mgr1"],
        [{"item_code": "tent", "quantity": 40}, {"item_code": "rice", "quantity": 100}],
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert re.fullmatch(r"DB-\d{8}-0001", order["number"])
    assert order["status"] == "reserved"
    assert order["destination_kind"] == "warehouse"
    assert (order["source_warehouse_code"], order["destination_code"]) == ("W1", "W2")
    assert order["route"] == ["W1", "W2"]
    assert order["eta_h"] == 1.0
    assert order["distance_km"] == 40.0
    assert order["plan_id"] is None and order["response_id"] is None
    # While reserved, the lots are the FEFO preview: the older lot first.
    assert _lots(_line(order, "tent")) == [("L-OLD", "2036-09-01", 30), ("L-NEW", "2037-06-01", 10)]
    assert _lots(_line(order, "rice")) == [(None, None, 100)]
    tent = level("W1", "tent")
    assert (tent.on_hand, tent.reserved) == (80, 40)

    shipped = client.post(
        f"/api/v1/dispatch-orders/{order['id']}/dispatch", json=TRUCK, headers=users["mgr1"]
    )
    assert shipped.status_code == 200, shipped.text
    shipped = shipped.json()
    assert shipped["status"] == "dispatched"
    assert (shipped["vehicle"], shipped["driver"], shipped["plate"]) == (
        "厢式货车",
        "王师傅",
        "蒙A12345",
    )
    assert shipped["dispatched_at"].endswith("+08:00")
    assert _lots(_line(shipped, "tent")) == [
        ("L-OLD", "2036-09-01", 30),
        ("L-NEW", "2037-06-01", 10),
    ]
    assert [line["dispatched"] for line in shipped["lines"]] == [40, 100]
    tent = level("W1", "tent")
    assert (tent.on_hand, tent.reserved) == (40, 0)
    assert [(lot.lot, lot.on_hand) for lot in tent.lots] == [("L-NEW", 40)]
    assert [row for row in ledger("W1") if row[0] == "transfer_out"] == [
        ("transfer_out", "tent", "L-OLD", -30, -30),
        ("transfer_out", "tent", "L-NEW", -10, -10),
        ("transfer_out", "rice", None, -100, -100),
    ]

    received = client.post(
        f"/api/v1/dispatch-orders/{order['id']}/receive",
        json={
            "lines": [
                {"item_code": "tent", "received": 40},
                {"item_code": "rice", "received": 100},
            ],
            "note": "卸货完毕",
        },
        headers=users["mgr2"],
    )
    assert received.status_code == 200, received.text
    received = received.json()
    assert received["status"] == "delivered"
    assert received["discrepancies"] == []
    assert [line["received"] for line in received["lines"]] == [40, 100]
    assert received["note"] == "卸货完毕"
    arrived = level("W2", "tent")
    assert (arrived.on_hand, arrived.reserved) == (40, 0)
    assert [(lot.lot, str(lot.expires_on), lot.on_hand) for lot in arrived.lots] == [
        ("L-OLD", "2036-09-01", 30),
        ("L-NEW", "2037-06-01", 10),
    ]
    assert level("W2", "rice").on_hand == 100
    assert ledger("W2") == [
        ("transfer_in", "tent", "L-OLD", 30, 0),
        ("transfer_in", "tent", "L-NEW", 10, 0),
        ("transfer_in", "rice", None, 100, 0),
    ]
    assert differences() == []


def test_partial_dispatch_needs_a_reason_and_releases_the_rest(client, users, level, ledger):
    order_id = _transfer(client, users["mgr1"]).json()["id"]
    url = f"/api/v1/dispatch-orders/{order_id}/dispatch"

    no_reason = client.post(
        url, json={**TRUCK, "lines": [{"item_code": "tent", "quantity": 25}]}, headers=users["mgr1"]
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"]["field"] == "lines[0].reason"
    too_many = client.post(
        url, json={**TRUCK, "lines": [{"item_code": "tent", "quantity": 41}]}, headers=users["mgr1"]
    )
    assert too_many.status_code == 422
    assert too_many.json()["detail"]["field"] == "lines[0].quantity"
    assert level("W1", "tent").reserved == 40

    short = client.post(
        url,
        json={**TRUCK, "lines": [{"item_code": "tent", "quantity": 25, "reason": "一车装不下"}]},
        headers=users["mgr1"],
    )
    assert short.status_code == 200, short.text
    line = _line(short.json(), "tent")
    assert (line["quantity"], line["dispatched"], line["reason"]) == (40, 25, "一车装不下")
    assert sum(q for _, _, q in _lots(line)) == 25
    tent = level("W1", "tent")
    assert (tent.on_hand, tent.reserved) == (55, 0)
    release = [row for row in ledger("W1") if row[0] == "release"]
    assert release == [("release", "tent", None, 0, -15)]


def test_lines_left_out_of_a_dispatch_ship_as_ordered(client, users, make_order, level):
    order_id = make_order()
    reply = client.post(
        f"/api/v1/dispatch-orders/{order_id}/dispatch",
        json={**TRUCK, "lines": [{"item_code": "rice", "quantity": 0, "reason": "受潮"}]},
        headers=users["mgr1"],
    )
    assert reply.status_code == 200, reply.text
    assert [(x["item_code"], x["dispatched"]) for x in reply.json()["lines"]] == [
        ("tent", 40),
        ("rice", 0),
    ]
    rice = level("W1", "rice")
    assert (rice.on_hand, rice.reserved) == (500, 0)


def test_dispatching_nothing_at_all_is_refused(client, users, make_order, level):
    order_id = make_order(lines=[{"item_code": "tent", "quantity": 5}])
    reply = client.post(
        f"/api/v1/dispatch-orders/{order_id}/dispatch",
        json={**TRUCK, "lines": [{"item_code": "tent", "quantity": 0, "reason": "none left"}]},
        headers=users["mgr1"],
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["field"] == "lines"
    assert level("W1", "tent").reserved == 5


def test_receipt_at_a_region_with_one_shortfall_is_partially_delivered(
    client, users, make_order, level, differences
):
    order_id = make_order("150125")
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    url = f"/api/v1/dispatch-orders/{order_id}/receive"
    lines = [{"item_code": "tent", "received": 38}, {"item_code": "rice", "received": 100}]

    no_reason = client.post(url, json={"lines": lines, "note": ""}, headers=users["clerk_wc"])
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"]["field"] == "lines[0].reason"

    lines[0]["reason"] = "途中遗失2顶"
    reply = client.post(url, json={"lines": lines, "note": "已签收"}, headers=users["clerk_wc"])
    assert reply.status_code == 200, reply.text
    order = reply.json()
    assert order["status"] == "partially_delivered"
    assert [
        (d["item_code"], d["kind"], d["quantity"], d["reason"]) for d in order["discrepancies"]
    ] == [("tent", "shortfall", 2, "途中遗失2顶")]
    assert _line(order, "tent")["received"] == 38
    # Goods received at a region leave the system: no stock appears anywhere for it.
    assert level("150125", "tent") is None
    assert level("W1", "tent").on_hand == 40
    assert differences() == []

    again = client.post(url, json={"lines": lines, "note": ""}, headers=users["clerk_wc"])
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "invalid_transition"


def test_damage_at_receipt_disputes_the_order_and_keeps_damaged_goods_out_of_stock(
    client, users, level, differences
):
    order_id = _transfer(client, users["mgr1"]).json()["id"]
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    reply = client.post(
        f"/api/v1/dispatch-orders/{order_id}/receive",
        json={
            "lines": [{"item_code": "tent", "received": 35, "damaged": 3, "reason": "雨淋受损"}],
            "note": "",
        },
        headers=users["mgr2"],
    )
    assert reply.status_code == 200, reply.text
    order = reply.json()
    assert order["status"] == "disputed"
    assert sorted((d["kind"], d["quantity"]) for d in order["discrepancies"]) == [
        ("damage", 3),
        ("shortfall", 2),
    ]
    line = _line(order, "tent")
    assert (line["received"], line["damaged"]) == (35, 3)
    arrived = level("W2", "tent")
    assert arrived.on_hand == 35
    # The good units are booked to the earliest-expiring lots shipped.
    assert [(lot.lot, lot.on_hand) for lot in arrived.lots] == [("L-OLD", 30), ("L-NEW", 5)]
    assert differences() == []


def test_receiving_more_than_was_dispatched_is_refused(client, users, make_order, level):
    order_id = make_order("150125")
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    reply = client.post(
        f"/api/v1/dispatch-orders/{order_id}/receive",
        json={
            "lines": [
                {"item_code": "tent", "received": 40},
                {"item_code": "rice", "received": 99, "damaged": 2, "reason": "x"},
            ],
            "note": "",
        },
        headers=users["clerk_wc"],
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["field"] == "lines[1].received"
    assert (
        client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()["status"]
        == "dispatched"
    )


def test_a_receipt_must_count_every_dispatched_line(client, users, make_order):
    order_id = make_order("150125")
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    reply = client.post(
        f"/api/v1/dispatch-orders/{order_id}/receive",
        json={"lines": [{"item_code": "tent", "received": 40}], "note": ""},
        headers=users["clerk_wc"],
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["field"] == "lines"
    assert "rice" in reply.json()["detail"]["message"]


def test_receiving_an_order_not_yet_dispatched_is_an_invalid_transition(client, users, make_order):
    order_id = make_order("150125")
    reply = client.post(
        f"/api/v1/dispatch-orders/{order_id}/receive",
        json={"lines": [{"item_code": "tent", "received": 40}], "note": ""},
        headers=users["clerk_wc"],
    )
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "invalid_transition"


def test_cancel_releases_the_reservation_and_only_while_reserved(
    client, users, make_order, level, ledger, differences
):
    first, second = make_order(), make_order(lines=[{"item_code": "rice", "quantity": 10}])
    assert level("W1", "tent").reserved == 40

    forbidden = client.post(f"/api/v1/dispatch-orders/{first}/cancel", headers=users["mgr1"])
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"]["code"] == "role_forbidden"

    reply = client.post(
        f"/api/v1/dispatch-orders/{first}/cancel",
        json={"reason": "道路中断"},
        headers=users["duty"],
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "cancelled"
    assert all(line["lots"] == [] for line in reply.json()["lines"])
    tent, rice = level("W1", "tent"), level("W1", "rice")
    assert (tent.on_hand, tent.reserved) == (80, 0)
    assert (rice.on_hand, rice.reserved) == (500, 10)
    assert ("release", "tent", None, 0, -40) in ledger("W1")

    again = client.post(f"/api/v1/dispatch-orders/{first}/cancel", headers=users["duty"])
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "invalid_transition"

    client.post(f"/api/v1/dispatch-orders/{second}/dispatch", json=TRUCK, headers=users["mgr1"])
    shipped = client.post(
        f"/api/v1/dispatch-orders/{second}/cancel", json={}, headers=users["duty"]
    )
    assert shipped.status_code == 409
    assert level("W1", "rice").on_hand == 490
    assert differences() == []


def test_dispatching_twice_is_an_invalid_transition(client, users, make_order, level):
    order_id = make_order()
    url = f"/api/v1/dispatch-orders/{order_id}/dispatch"
    assert client.post(url, json=TRUCK, headers=users["mgr1"]).status_code == 200
    again = client.post(url, json=TRUCK, headers=users["mgr1"])
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "invalid_transition"
    assert level("W1", "tent").on_hand == 40


def test_a_manager_of_another_warehouse_is_refused_and_nothing_changes(
    client, users, make_order, level, ledger
):
    order_id = make_order()
    before = ledger("W1")
    reply = client.post(
        f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr3"]
    )
    assert reply.status_code == 403
    assert reply.json()["detail"]["code"] == "scope_forbidden"
    transfer = _transfer(client, users["mgr3"])
    assert transfer.status_code == 403
    assert transfer.json()["detail"]["field"] == "from_warehouse_code"
    assert ledger("W1") == before
    assert level("W1", "tent").reserved == 40
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()
    assert order["status"] == "reserved"
    assert (
        client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["mgr3"]).status_code == 403
    )


def test_a_county_clerk_cannot_receive_for_another_county(client, users, make_order, level):
    order_id = make_order("150125")
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    body = {
        "lines": [{"item_code": "tent", "received": 40}, {"item_code": "rice", "received": 100}],
        "note": "",
    }
    url = f"/api/v1/dispatch-orders/{order_id}/receive"
    other = client.post(url, json=body, headers=users["clerk_tm"])
    assert other.status_code == 403
    assert other.json()["detail"]["code"] == "scope_forbidden"
    manager = client.post(url, json=body, headers=users["mgr2"])
    assert manager.status_code == 403
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()
    assert order["status"] == "dispatched"
    assert [line["received"] for line in order["lines"]] == [0, 0]
    assert client.post(url, json=body, headers=users["clerk_wc"]).status_code == 200


def test_only_the_destination_warehouse_manager_receives_a_transfer(client, users):
    order_id = _transfer(client, users["mgr1"]).json()["id"]
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    body = {"lines": [{"item_code": "tent", "received": 40}], "note": ""}
    url = f"/api/v1/dispatch-orders/{order_id}/receive"
    assert client.post(url, json=body, headers=users["mgr1"]).status_code == 403
    assert client.post(url, json=body, headers=users["clerk_wc"]).status_code == 403
    assert client.post(url, json=body, headers=users["mgr2"]).status_code == 200


def test_lists_are_scoped_to_the_callers_orders(client, users, make_order):
    to_wuchuan = make_order("150125", response_id=7)
    to_tumed = make_order("150121", lines=[{"item_code": "rice", "quantity": 5}])
    transfer = _transfer(client, users["mgr1"], [{"item_code": "rice", "quantity": 5}]).json()["id"]

    def ids(user: str, query: str = "") -> list[int]:
        reply = client.get(f"/api/v1/dispatch-orders{query}", headers=users[user])
        assert reply.status_code == 200, reply.text
        return [order["id"] for order in reply.json()["items"]]

    assert ids("duty") == [to_wuchuan, to_tumed, transfer]
    assert ids("admin") == [to_wuchuan, to_tumed, transfer]
    assert ids("mgr1") == [to_wuchuan, to_tumed, transfer]
    assert ids("mgr2") == [transfer]  # the destination of the transfer
    assert ids("mgr3") == []
    assert ids("clerk_wc") == [to_wuchuan]
    assert ids("clerk_tm") == [to_tumed]
    assert ids("approver") == []
    assert ids("duty", "?response_id=7") == [to_wuchuan]
    assert ids("duty", "?warehouse=W2") == [transfer]
    assert ids("duty", "?status=dispatched") == []
    assert ids("duty", "?status=reserved") == [to_wuchuan, to_tumed, transfer]
    bad = client.get("/api/v1/dispatch-orders?status=lost", headers=users["duty"])
    assert bad.status_code == 422
    assert bad.json()["detail"]["field"] == "status"
    assert (
        client.get(f"/api/v1/dispatch-orders/{to_wuchuan}", headers=users["clerk_tm"]).status_code
        == 403
    )
    assert (
        client.get(f"/api/v1/dispatch-orders/{to_wuchuan}", headers=users["clerk_wc"]).status_code
        == 200
    )


def test_order_reply_has_the_contract_fields(client, users, make_order):
    order_id = make_order("150125", response_id=7)
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()
    contract = {
        "id",
        "number",
        "plan_id",
        "response_id",
        "source_warehouse_code",
        "destination_code",
        "destination_kind",
        "status",
        "route",
        "eta_h",
        "lines",
        "late",
    }
    assert contract <= order.keys()
    assert order["plan_id"] == 3 and order["response_id"] == 7
    assert order["destination_kind"] == "region"
    assert order["route"] == ["W1", "W2", "150125"]
    assert order["eta_h"] == 1.25
    assert order["late"] is False
    for line in order["lines"]:
        assert {"item_code", "quantity", "dispatched", "received", "lots"} <= line.keys()
        for lot in line["lots"]:
            assert set(lot) == {"lot", "expires_on", "quantity"}


def test_missing_orders_are_404(client, users):
    for path in ("1", "0", "-3", "99999999999999999999"):
        reply = client.get(f"/api/v1/dispatch-orders/{path}", headers=users["duty"])
        assert reply.status_code == 404, (path, reply.text)
        assert reply.json()["detail"]["code"] == "not_found"
    reply = client.post("/api/v1/dispatch-orders/5/dispatch", json=TRUCK, headers=users["mgr1"])
    assert reply.status_code == 404


def test_every_dispatch_endpoint_needs_a_token(client, users, make_order):
    order_id = make_order()
    for method, path in (
        ("get", "/api/v1/dispatch-orders"),
        ("get", f"/api/v1/dispatch-orders/{order_id}"),
        ("get", f"/api/v1/dispatch-orders/{order_id}/print"),
        ("get", "/api/v1/dispatch-orders/export.xlsx"),
        ("post", f"/api/v1/dispatch-orders/{order_id}/cancel"),
    ):
        assert getattr(client, method)(path).status_code == 401, path


def test_an_approver_may_not_read_a_dispatch_order(client, users, make_order):
    order_id = make_order("150125")
    reply = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["approver"])
    assert reply.status_code == 403
    assert reply.json()["detail"]["code"] == "role_forbidden"


def test_a_transfer_up_the_tiers_needs_an_override_reason_kept_in_the_audit(client, users, level):
    received = client.post(
        "/api/v1/warehouses/W2/receipts",
        json={"reference": "GR-W2", "lines": [{"item_code": "tent", "quantity": 20}]},
        headers=users["mgr2"],
    )
    assert received.status_code == 201, received.text
    up = _transfer(client, users["mgr2"], [{"item_code": "tent", "quantity": 5}], "W1", "W2")
    assert up.status_code == 409
    assert (up.json()["detail"]["code"], up.json()["detail"]["field"]) == (
        "transfer_up_tiers",
        "to_warehouse_code",
    )
    assert level("W2", "tent").reserved == 0  # nothing reserved

    body = {
        "from_warehouse_code": "W2",
        "to_warehouse_code": "W1",
        "lines": [{"item_code": "tent", "quantity": 5}],
        "reason": "县库撤并",
        "override_reason": "县库房屋受损，物资上收",
    }
    allowed = client.post("/api/v1/transfers", json=body, headers=users["mgr2"])
    assert allowed.status_code == 201, allowed.text
    audit = client.get(
        f"/api/v1/audit?entity=dispatch_order&entity_id={allowed.json()['id']}",
        headers=users["admin"],
    ).json()["items"]
    assert audit[0]["after"]["override_reason"] == "县库房屋受损，物资上收"
    assert audit[0]["actor"] == "mgr2"

    across = _transfer(client, users["mgr2"], [{"item_code": "tent", "quantity": 5}], "W3", "W2")
    assert across.status_code == 201, across.text
    assert (level("W2", "tent").on_hand, level("W2", "tent").reserved) == (20, 10)
