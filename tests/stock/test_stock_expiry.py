"""Expired stock never ships: expired lots are left out of available stock, reservations,
pick lists and dispatch; they leave through a disposal (报废). Stocktakes (盘点) book the
counted quantity. The clock is pinned: a lot expires once its date is past in China."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.errors import DomainError
from relief.stock import service

API = "/api/v1"
# 2026-07-01 12:00 in China, and half past midnight the next day.
JULY_1 = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
JULY_2 = datetime(2026, 7, 1, 16, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _july() -> None:
    clock.set_clock(lambda: JULY_1)


def _post(client, headers, path: str, body: dict):
    return client.post(f"{API}{path}", json=body, headers=headers)


def _stock(client, headers, warehouse: str = "W1") -> dict[str, dict]:
    reply = client.get(f"{API}/warehouses/{warehouse}/stock", headers=headers)
    assert reply.status_code == 200, reply.text
    return {row["item_code"]: row for row in reply.json()}


def _ledger(client, headers, warehouse: str = "W1") -> list[dict]:
    reply = client.get(f"{API}/warehouses/{warehouse}/ledger?limit=500", headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()["items"]


@pytest.fixture
def water(client, users) -> None:
    """W1 water: lot OLD (20) expired on 2026-06-30, lot SOON (15) good until 2026-07-01
    (today), lot GOOD (10) until 2026-12-31; floor 5."""
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


# --- expired stock is not available -----------------------------------------------------


def test_stock_reply_counts_expired_lots_and_leaves_them_out_of_available(
    client, users, water, engine
):
    with transaction(engine) as session:
        session.get(service.StockLevelRow, ("W1", "water")).floor = 5  # type: ignore[attr-defined]
    row = _stock(client, users["duty"])["water"]
    assert (row["on_hand"], row["reserved"], row["floor"]) == (45, 0, 5)
    assert row["expired"] == 20
    assert row["available"] == 45 - 0 - 5 - 20
    assert [(lot["lot"], lot["expired"]) for lot in row["lots"]] == [
        ("OLD", True),
        ("SOON", False),  # good through its own date
        ("GOOD", False),
    ]


def test_expired_units_are_never_reserved(engine, client, users, water, level):
    with transaction(engine) as session, pytest.raises(DomainError) as err:
        service.reserve_stock(session, SYSTEM, "W1", "water", 26, "DO-1", order_id=1)
    assert err.value.code == "stock_insufficient"
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 25, "DO-1", order_id=1)
    assert level("W1", "water") == (45, 25, 0)


def test_pick_list_and_dispatch_skip_expired_lots(engine, client, users, water, differences):
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 20, "DO-1", order_id=1)
    with session_for(engine, write=False) as session:
        picks = service.pick_lots_fefo(session, "W1", "water", 20)
    assert [(p.lot, p.quantity) for p in picks] == [("SOON", 15), ("GOOD", 5)]
    with transaction(engine) as session:
        shipped = service.ship_reserved(session, SYSTEM, "W1", "water", 20, "DO-1", order_id=1)
    assert [(p.lot, p.quantity) for p in shipped] == [("SOON", 15), ("GOOD", 5)]
    assert not [
        r for r in _ledger(client, users["duty"]) if r["lot"] == "OLD" and r["on_hand_delta"] < 0
    ]
    assert differences() == []


def test_a_lot_that_expires_after_its_reservation_is_not_dispatched(
    engine, client, users, water, level
):
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 25, "DO-1", order_id=1)
    clock.set_clock(lambda: JULY_2)  # SOON has expired now
    with session_for(engine, write=False) as session:
        preview = service.pick_lots_fefo(session, "W1", "water", 25, short_ok=True)
        with pytest.raises(DomainError) as picking:
            service.pick_lots_fefo(session, "W1", "water", 25)
    assert [(p.lot, p.quantity) for p in preview] == [("GOOD", 10)]
    assert picking.value.code == "stock_insufficient"
    with transaction(engine) as session, pytest.raises(DomainError) as err:
        service.ship_reserved(session, SYSTEM, "W1", "water", 25, "DO-1", order_id=1)
    assert err.value.code == "stock_insufficient"
    assert level("W1", "water") == (45, 25, 0)  # nothing moved


def test_receipt_of_an_expired_lot_is_booked_as_expired_with_a_warning(client, users, water):
    body = {
        "reference": "GR-2",
        "lines": [
            {"item_code": "tent", "quantity": 3},
            {"item_code": "water", "quantity": 7, "lot": "STALE", "expires_on": "2026-01-31"},
        ],
    }
    # Issue 13 review #37: without a reason an expired lot is refused, nothing booked.
    refused = _post(client, users["mgr1"], "/warehouses/W1/receipts", body)
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert (detail["code"], detail["field"]) == ("lot_expired", "lines[1].expires_on")
    zh = client.post(
        f"{API}/warehouses/W1/receipts",
        json=body,
        headers={**users["mgr1"], "Accept-Language": "zh-CN"},
    )
    assert "已于 2026-01-31 过期" in zh.json()["detail"]["message"]
    assert _stock(client, users["duty"])["water"]["on_hand"] == 45
    body["override_reason"] = "供应商送错批次，先入库后报废"
    reply = _post(client, users["mgr1"], "/warehouses/W1/receipts", body)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert [(w["code"], w["field"]) for w in body["warnings"]] == [
        ("lot_expired", "lines[1].expires_on")
    ]
    row = _stock(client, users["duty"])["water"]
    assert (row["on_hand"], row["expired"], row["available"]) == (52, 27, 25)


# --- disposal (报废) --------------------------------------------------------------------


def test_disposal_of_an_expired_lot_leaves_the_books_with_its_reason(
    client, users, water, differences
):
    reply = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/disposals",
        {"item_code": "water", "lot": "OLD", "reason": "过期报废"},
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert (body["kind"], body["on_hand_delta"], body["reason"]) == ("disposal", -20, "过期报废")
    assert [(m["kind"], m["lot"], m["on_hand_delta"]) for m in body["movements"]] == [
        ("disposal", "OLD", -20)
    ]
    assert (body["stock"]["on_hand"], body["stock"]["expired"]) == (25, 0)
    assert body["stock"]["available"] == 25  # disposing of expired stock frees nothing less
    assert _ledger(client, users["duty"])[0]["kind"] == "disposal"
    assert differences() == []


def test_disposal_of_a_good_lot_needs_an_override_reason(client, users, water, ledger_count):
    before = ledger_count()
    refused = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/disposals",
        {"item_code": "water", "lot": "GOOD", "quantity": 4, "reason": "破损"},
    )
    assert refused.status_code == 409
    assert (refused.json()["detail"]["code"], refused.json()["detail"]["field"]) == (
        "lot_not_expired",
        "lot",
    )
    assert ledger_count() == before
    done = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/disposals",
        {
            "item_code": "water",
            "lot": "GOOD",
            "quantity": 4,
            "reason": "破损",
            "override_reason": "水淹",
        },
    )
    assert done.status_code == 201, done.text
    assert done.json()["override_reason"] == "水淹"
    assert done.json()["stock"]["on_hand"] == 41


def test_disposal_cannot_take_reserved_stock_or_more_than_the_lot(
    engine, client, users, water, ledger_count, login
):
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 25, "DO-1", order_id=1)
    more = {"item_code": "water", "lot": "OLD", "quantity": 21, "reason": "过期"}
    reply = _post(client, users["mgr1"], "/warehouses/W1/disposals", more)
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "stock_insufficient"
    old = {"item_code": "water", "lot": "OLD", "reason": "过期"}
    assert _post(client, users["mgr1"], "/warehouses/W1/disposals", old).status_code == 201
    clock.set_clock(lambda: JULY_2)  # SOON expires too
    users["mgr1"] = login("mgr1")  # a fresh token for the new time
    before = ledger_count()
    soon = {"item_code": "water", "lot": "SOON", "reason": "过期"}  # 25 − 15 < 25 reserved
    reply = _post(client, users["mgr1"], "/warehouses/W1/disposals", soon)
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "stock_insufficient"
    unknown = {"item_code": "water", "lot": "X", "reason": "r"}
    assert _post(client, users["mgr1"], "/warehouses/W1/disposals", unknown).status_code == 422
    assert ledger_count() == before


def test_only_the_warehouses_manager_or_admin_disposes_or_counts(
    client, users, water, ledger_count
):
    before = ledger_count()
    disposal = {"item_code": "water", "lot": "OLD", "reason": "过期"}
    count = {"item_code": "water", "lot": "OLD", "counted": 0}
    for who, status in (("mgr2", 403), ("duty", 403), ("clerk", 403)):
        assert _post(client, users[who], "/warehouses/W1/disposals", disposal).status_code == status
        assert _post(client, users[who], "/warehouses/W1/stocktakes", count).status_code == status
    assert ledger_count() == before
    assert _post(client, users["admin"], "/warehouses/W1/disposals", disposal).status_code == 201


# --- stocktake (盘点) -------------------------------------------------------------------


def test_stocktake_books_the_difference_to_the_counted_quantity_and_keeps_the_count(
    client, users, water, differences
):
    reply = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/stocktakes",
        {"item_code": "water", "lot": "GOOD", "counted": 8, "reason": "月末盘点"},
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert (body["kind"], body["counted"], body["on_hand_delta"]) == ("stocktake", 8, -2)
    (row,) = body["movements"]
    assert (row["kind"], row["lot"], row["on_hand_delta"], row["counted"]) == (
        "stocktake",
        "GOOD",
        -2,
        8,
    )
    more = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/stocktakes",
        {"item_code": "water", "lot": "SOON", "counted": 18},
    )
    assert more.status_code == 201 and more.json()["on_hand_delta"] == 3
    same = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/stocktakes",
        {"item_code": "water", "lot": "SOON", "counted": 18},
    )
    assert same.status_code == 201 and same.json()["movements"] == []
    lots = {lot["lot"]: lot["on_hand"] for lot in _stock(client, users["duty"])["water"]["lots"]}
    assert lots == {"OLD": 20, "SOON": 18, "GOOD": 8}
    assert _ledger(client, users["duty"])[0]["counted"] == 18
    assert differences() == []


def test_stocktake_below_reserved_or_of_lots_without_naming_one_is_refused(
    engine, client, users, water, ledger_count
):
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 25, "DO-1", order_id=1)
    path = "/warehouses/W1/stocktakes"
    old = {"item_code": "water", "lot": "OLD", "counted": 0}
    assert _post(client, users["mgr1"], path, old).status_code == 201  # 25 left, 25 reserved
    before = ledger_count()
    below = _post(client, users["mgr1"], path, {"item_code": "water", "lot": "GOOD", "counted": 9})
    assert below.status_code == 409
    assert (below.json()["detail"]["code"], below.json()["detail"]["field"]) == (
        "stock_insufficient",
        "counted",
    )
    whole = _post(client, users["mgr1"], path, {"item_code": "water", "counted": 25})
    assert whole.status_code == 422
    assert whole.json()["detail"]["field"] == "lot"
    for bad in (-1, 1.5, "3", None, True):
        reply = _post(
            client, users["mgr1"], path, {"item_code": "water", "lot": "OLD", "counted": bad}
        )
        assert reply.status_code == 422, bad
    assert ledger_count() == before


def test_stocktake_leaving_less_than_the_floor_free_needs_an_override(
    engine, client, users, put_stock, ledger_count
):
    put_stock("W1", "tent", 100, floor=30)
    before = ledger_count()
    refused = _post(
        client, users["mgr1"], "/warehouses/W1/stocktakes", {"item_code": "tent", "counted": 20}
    )
    assert refused.status_code == 409
    assert (refused.json()["detail"]["code"], refused.json()["detail"]["field"]) == (
        "below_floor",
        "counted",
    )
    assert ledger_count() == before
    done = _post(
        client,
        users["mgr1"],
        "/warehouses/W1/stocktakes",
        {"item_code": "tent", "counted": 20, "override_reason": "实物短缺，已上报"},
    )
    assert done.status_code == 201, done.text
    assert done.json()["below_floor"] is True
    assert done.json()["stock"]["on_hand"] == 20


def test_an_adjustment_may_not_take_good_stock_below_the_floor_by_counting_expired_lots(
    engine, client, users, water, ledger_count
):
    with transaction(engine) as session:
        session.get(service.StockLevelRow, ("W1", "water")).floor = 10  # type: ignore[attr-defined]
    # 45 on hand, 20 of them expired: 25 good, 15 free above the floor of 10.
    before = ledger_count()
    path = "/warehouses/W1/adjustments"
    body = {"item_code": "water", "delta": -16, "reason": "破损", "lot": "GOOD"}
    refused = _post(client, users["mgr1"], path, {**body, "delta": -10})
    assert refused.status_code == 201  # 15 free: 10 may go
    refused = _post(client, users["mgr1"], path, {**body, "lot": "SOON", "delta": -6})
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"]["code"] == "below_floor"
    expired = _post(client, users["mgr1"], path, {**body, "lot": "OLD", "delta": -20})
    assert expired.status_code == 201, expired.text  # expired stock was never free
    assert ledger_count() == before + 2
