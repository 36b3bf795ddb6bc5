"""Reservations are served from good (unexpired) stock only, so no change may take good
stock below what is reserved, and a lot's expiry is fixed by its first receipt (issue 12,
findings N5 and N8). The clock is pinned to 2026-07-01 in China, as in test_stock_expiry."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.stock import service

API = "/api/v1"
JULY_1 = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)  # 12:00 in China
JULY_2 = datetime(2026, 7, 1, 16, 30, tzinfo=UTC)  # 00:30 the next day in China


@pytest.fixture(autouse=True)
def _july() -> None:
    clock.set_clock(lambda: JULY_1)


def _post(client, headers, path: str, body: dict):
    return client.post(f"{API}{path}", json=body, headers=headers)


@pytest.fixture
def water(client, users, engine) -> None:
    """W1 water: OLD 20 expired, SOON 15 good today, GOOD 10 good till December; 20 of the
    25 good units reserved for an order."""
    reply = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/receipts",
        {
            "reference": "GR-1",
            "lines": [
                {"item_code": "water", "quantity": 20, "lot": "OLD", "expires_on": "2026-06-30"},
                {"item_code": "water", "quantity": 15, "lot": "SOON", "expires_on": "2026-07-01"},
                {"item_code": "water", "quantity": 10, "lot": "GOOD", "expires_on": "2026-12-31"},
            ],
            "override_reason": "到货时已过期，待报废",
        },
    )
    assert reply.status_code == 201, reply.text
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 20, "DO-1", order_id=1)


# --- N5: good stock stays at or above what is reserved ----------------------------------


def test_disposal_of_a_good_lot_may_not_leave_less_good_stock_than_is_reserved(
    client, users, water, level, ledger_count
):
    count = ledger_count()
    reply = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/disposals",
        {"item_code": "water", "lot": "GOOD", "reason": "damaged", "override_reason": "flood"},
    )
    assert reply.status_code == 409, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "stock_insufficient"
    assert "20" in detail["message"] and "reserved" in detail["message"]
    assert level("W1", "water") == (45, 20, 0)
    assert ledger_count() == count
    # Five good units are spare: those may go.
    five = {"item_code": "water", "lot": "GOOD", "quantity": 5, "reason": "damaged"}
    reply = _post(
        client, users["mgr1"], "/warehouses/W1/disposals", {**five, "override_reason": "flood"}
    )
    assert reply.status_code == 201, reply.text
    assert level("W1", "water") == (40, 20, 0)


def test_disposal_of_an_expired_lot_is_not_bounded_by_reservations_on_good_stock(
    client, users, water, level
):
    reply = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/disposals",
        {"item_code": "water", "lot": "OLD", "reason": "expired"},
    )
    assert reply.status_code == 201, reply.text
    assert level("W1", "water") == (25, 20, 0)


def test_adjustment_of_a_good_lot_may_not_leave_less_good_stock_than_is_reserved(
    client, users, water, level
):
    body = {"item_code": "water", "lot": "GOOD", "reason": "broken", "override_reason": "x"}
    reply = _post(client, users["mgr1"], "/warehouses/W1/adjustments", {**body, "delta": -6})
    assert reply.status_code == 409, reply.text
    assert reply.json()["detail"]["code"] == "stock_insufficient"
    assert reply.json()["detail"]["field"] == "delta"
    assert level("W1", "water") == (45, 20, 0)
    reply = _post(client, users["mgr1"], "/warehouses/W1/adjustments", {**body, "delta": -5})
    assert reply.status_code == 201, reply.text
    assert level("W1", "water") == (40, 20, 0)


def test_adjustment_without_a_lot_takes_expired_lots_first_and_stops_at_the_reserved(
    client, users, water, level
):
    body = {"item_code": "water", "reason": "recount", "override_reason": "x"}
    # 20 from OLD (expired) and 6 from SOON: 19 good left for 20 reserved.
    reply = _post(client, users["mgr1"], "/warehouses/W1/adjustments", {**body, "delta": -26})
    assert reply.status_code == 409, reply.text
    assert reply.json()["detail"]["code"] == "stock_insufficient"
    reply = _post(client, users["mgr1"], "/warehouses/W1/adjustments", {**body, "delta": -25})
    assert reply.status_code == 201, reply.text
    assert level("W1", "water") == (20, 20, 0)


def test_stocktake_of_a_good_lot_may_not_leave_less_good_stock_than_is_reserved(
    client, users, water, level
):
    body = {"item_code": "water", "lot": "SOON", "override_reason": "x"}
    reply = _post(client, users["mgr1"], "/warehouses/W1/stocktakes", {**body, "counted": 9})
    assert reply.status_code == 409, reply.text
    assert reply.json()["detail"]["code"] == "stock_insufficient"
    assert reply.json()["detail"]["field"] == "counted"
    assert level("W1", "water") == (45, 20, 0)
    reply = _post(client, users["mgr1"], "/warehouses/W1/stocktakes", {**body, "counted": 10})
    assert reply.status_code == 201, reply.text
    assert level("W1", "water") == (40, 20, 0)


def test_stocktake_of_an_expired_lot_is_not_bounded_by_reservations_on_good_stock(
    client, users, water, level
):
    body = {"item_code": "water", "lot": "OLD", "counted": 0}
    reply = _post(client, users["mgr1"], "/warehouses/W1/stocktakes", body)
    assert reply.status_code == 201, reply.text
    assert level("W1", "water") == (25, 20, 0)


def test_stock_reply_and_low_stock_alert_show_reservations_good_stock_cannot_cover(
    client, users, water
):
    clock.set_clock(lambda: JULY_2)  # SOON has expired: 10 good units for 20 reserved
    reply = client.get(f"{API}/warehouses/W1/stock", headers=users["duty"])
    assert reply.status_code == 200, reply.text
    row = {r["item_code"]: r for r in reply.json()}["water"]
    assert (row["on_hand"], row["expired"], row["reserved"]) == (45, 35, 20)
    assert row["available"] == 0
    assert row["shortfall"] == 10
    reply = client.get(f"{API}/stock/low", headers=users["duty"])
    assert reply.status_code == 200, reply.text
    alert = {(r["warehouse_code"], r["item_code"]): r for r in reply.json()}[("W1", "water")]
    assert alert["status"] == "out_of_stock"
    assert alert["shortfall"] == 10


def test_stock_reply_shows_no_shortfall_while_good_stock_covers_the_reserved(client, users, water):
    reply = client.get(f"{API}/warehouses/W1/stock", headers=users["duty"])
    row = {r["item_code"]: r for r in reply.json()}["water"]
    assert row["shortfall"] == 0


# --- N8: a lot's expiry is fixed by its first receipt -----------------------------------


_REFERENCES = itertools.count(1)


def _receive(client, headers, lot: dict):
    # Each receipt its own 入库单号 (a repeated one is refused); an expired lot booked anyway.
    line = {"item_code": "water", "quantity": 10, **lot}
    body = {"reference": f"GR-{next(_REFERENCES)}", "lines": [line], "override_reason": "测试"}
    return _post(client, headers, "/warehouses/W1/receipts", body)


def test_receipt_may_not_give_an_expiry_to_a_lot_held_without_one(client, users, level):
    assert _receive(client, users["mgr1"], {"lot": "X1"}).status_code == 201
    reply = _receive(client, users["mgr1"], {"lot": "X1", "expires_on": "2020-01-01"})
    assert reply.status_code == 409, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "lot_expiry_mismatch"
    assert detail["field"] == "lines[0].expires_on"
    assert level("W1", "water") == (10, 0, 0)
    stock = client.get(f"{API}/warehouses/W1/stock", headers=users["duty"]).json()
    water = {r["item_code"]: r for r in stock}["water"]
    assert water["expired"] == 0
    assert [(x["lot"], x["expires_on"]) for x in water["lots"]] == [("X1", None)]


def test_receipt_may_not_date_a_lot_its_own_earlier_line_received_without_a_date(
    client, users, level
):
    lines = [
        {"item_code": "water", "quantity": 10, "lot": "X1"},
        {"item_code": "water", "quantity": 5, "lot": "X1", "expires_on": "2020-01-01"},
    ]
    reply = _post(
        client, users["mgr1"], "/warehouses/W1/receipts", {"reference": "GR", "lines": lines}
    )
    assert reply.status_code == 409, reply.text
    assert reply.json()["detail"]["code"] == "lot_expiry_mismatch"
    assert reply.json()["detail"]["field"] == "lines[1].expires_on"
    assert level("W1", "water") is None


def test_receipt_into_a_dated_lot_with_the_same_date_or_none_keeps_the_date(client, users):
    dated = {"lot": "X2", "expires_on": "2027-01-31"}
    assert _receive(client, users["mgr1"], dated).status_code == 201
    assert _receive(client, users["mgr1"], dated).status_code == 201
    assert _receive(client, users["mgr1"], {"lot": "X2"}).status_code == 201
    stock = client.get(f"{API}/warehouses/W1/stock", headers=users["duty"]).json()
    water = {r["item_code"]: r for r in stock}["water"]
    assert [(x["lot"], x["expires_on"], x["on_hand"]) for x in water["lots"]] == [
        ("X2", "2027-01-31", 30)
    ]


def test_a_lot_counted_to_zero_may_be_received_again_with_the_right_date(client, users):
    assert _receive(client, users["mgr1"], {"lot": "X3"}).status_code == 201
    reply = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/stocktakes",
        {"item_code": "water", "lot": "X3", "counted": 0, "reason": "wrong expiry"},
    )
    assert reply.status_code == 201, reply.text
    reply = _receive(client, users["mgr1"], {"lot": "X3", "expires_on": "2027-03-31"})
    assert reply.status_code == 201, reply.text
    stock = client.get(f"{API}/warehouses/W1/stock", headers=users["duty"]).json()
    water = {r["item_code"]: r for r in stock}["water"]
    assert [(x["lot"], x["expires_on"], x["on_hand"]) for x in water["lots"]] == [
        ("X3", "2027-03-31", 10)
    ]
