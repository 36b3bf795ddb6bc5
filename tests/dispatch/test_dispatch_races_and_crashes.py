"""Two managers at once, and a failure half-way: exactly one effect, or none at all."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from relief.auth.models import Actor
from relief.db import session_for, transaction
from relief.dispatch import service as dispatch
from relief.dispatch.models import DispatchOrderRow
from relief.stock import service as stock

DUTY = Actor(username="duty", role="duty_officer")
TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}


def test_two_managers_dispatching_one_order_at_once_let_exactly_one_through(
    live_server, parallel, users, make_order, make_user, login, level, ledger, differences
):
    order_id = make_order()
    make_user("mgr1b", "warehouse_manager", warehouses=["W1"])
    managers = [users["mgr1"], login("mgr1b")]
    url = f"{live_server}/api/v1/dispatch-orders/{order_id}/dispatch"

    def send(headers):
        return lambda: httpx.post(url, json=TRUCK, headers=headers, timeout=60)

    replies = parallel([send(h) for h in managers])
    assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
    refused = next(r for r in replies if r.status_code == 409)
    assert refused.json()["detail"]["code"] == "invalid_transition"
    tent = level("W1", "tent")
    assert (tent.on_hand, tent.reserved) == (40, 0)
    assert len([row for row in ledger("W1") if row[0] == "dispatch"]) == 3  # 2 tent lots + rice
    assert differences() == []


def test_a_double_click_on_dispatch_takes_effect_once(
    live_server, parallel, users, make_order, level, differences
):
    order_id = make_order(lines=[{"item_code": "rice", "quantity": 300}])
    url = f"{live_server}/api/v1/dispatch-orders/{order_id}/dispatch"
    headers = users["mgr1"]
    replies = parallel(
        [lambda: httpx.post(url, json=TRUCK, headers=headers, timeout=60) for _ in range(3)]
    )
    assert sorted(r.status_code for r in replies) == [200, 409, 409]
    assert level("W1", "rice").on_hand == 200
    assert differences() == []


def test_orders_created_at_once_get_distinct_numbers(
    live_server, parallel, users, make_order, engine
):
    body = {
        "from_warehouse_code": "W1",
        "to_warehouse_code": "W2",
        "lines": [{"item_code": "rice", "quantity": 1}],
        "reason": "restock",
    }
    headers = users["mgr1"]
    replies = parallel(
        [
            lambda: httpx.post(
                f"{live_server}/api/v1/transfers", json=body, headers=headers, timeout=60
            )
            for _ in range(4)
        ]
    )
    assert [r.status_code for r in replies] == [201] * 4
    numbers = sorted(r.json()["number"] for r in replies)
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003", "0004"]


def _fail_on_call(monkeypatch, name: str, failing_call: int) -> list[int]:
    """Make stock.<name> raise on its n-th call, after the earlier calls did their writes."""
    original = getattr(stock, name)
    calls: list[int] = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == failing_call:
            original(*args, **kwargs)  # the write happens, then the process "crashes"
            raise RuntimeError("simulated crash")
        return original(*args, **kwargs)

    monkeypatch.setattr(stock, name, flaky)
    return calls


def _orders(engine) -> list[DispatchOrderRow]:
    with session_for(engine, write=False) as session:
        return list(session.exec(select(DispatchOrderRow)).all())


def test_a_crash_while_reserving_leaves_no_order_and_no_reservation(
    engine, world, monkeypatch, level, ledger, differences, make_order
):
    before = ledger("W1")
    # The second line's reservation (one UPDATE per item, after the order's rows) crashes
    # once it has written.
    calls = _fail_on_call(monkeypatch, "_reserve_if_free", failing_call=2)
    with pytest.raises(RuntimeError, match="simulated crash"), transaction(engine) as session:
        dispatch.create_order(
            session,
            DUTY,
            source_warehouse_code="W1",
            destination_code="150125",
            destination_kind="region",
            lines=[dispatch.OrderLine("tent", 10), dispatch.OrderLine("rice", 10)],
            route=None,
            eta_h=None,
            distance_km=None,
            reference="plan 1",
        )
    assert len(calls) == 2
    assert _orders(engine) == []
    assert ledger("W1") == before
    assert (level("W1", "tent").reserved, level("W1", "rice").reserved) == (0, 0)
    assert differences() == []
    monkeypatch.undo()
    # The number the failed order drew was given back with the rollback.
    order_id = make_order()
    with session_for(engine, write=False) as session:
        assert dispatch.get_order(session, order_id).number.endswith("-0001")


def test_a_crash_while_shipping_leaves_the_order_reserved_and_stock_untouched(
    client, users, make_order, monkeypatch, level, ledger, differences
):
    order_id = make_order()
    before = ledger("W1")
    # The second line's stock row (one UPDATE per item, after the order's rows) crashes
    # once it has written.
    calls = _fail_on_call(monkeypatch, "_take_reserved", failing_call=2)
    with TestClient(client.app, raise_server_exceptions=False) as crashing:
        reply = crashing.post(
            f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"]
        )
    assert reply.status_code == 500
    assert len(calls) == 2
    assert ledger("W1") == before
    tent = level("W1", "tent")
    assert (tent.on_hand, tent.reserved) == (80, 40)
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()
    assert order["status"] == "reserved"
    assert order["vehicle"] is None
    assert differences() == []


def test_a_crash_while_receiving_into_a_warehouse_changes_nothing(
    client, users, monkeypatch, level, ledger, differences, make_order
):
    order_id = make_order("W2", kind="warehouse")
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    # The stock rows are changed last, one UPDATE per lot: crash after the second lot's.
    calls = _fail_on_call(monkeypatch, "_add_arrival_to_lot", failing_call=2)
    body = {
        "lines": [{"item_code": "tent", "received": 40}, {"item_code": "rice", "received": 100}],
        "note": "",
    }
    with pytest.raises(RuntimeError, match="simulated crash"):
        client.post(f"/api/v1/dispatch-orders/{order_id}/receive", json=body, headers=users["mgr2"])
    assert len(calls) == 2
    assert ledger("W2") == []
    assert level("W2", "tent") is None
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()
    assert order["status"] == "dispatched"
    assert differences() == []
