"""Hot rows: receipts, transfers, dispatches and receipts of transfers on one warehouse at
once, their lines in opposite orders. Every write locks its rows in the one order
(warehouse, item, lot), so on PostgreSQL none of them deadlocks (a deadlock would surface as
503 `busy`), none oversells, and stock and ledger agree afterwards. On SQLite the same
writes queue on the database lock."""

from __future__ import annotations

import itertools
import time

from relief.auth.models import Actor
from relief.db import transaction
from relief.dispatch import service as dispatch
from relief.errors import DomainError
from relief.stock import service as stock
from relief.stock.models import ReceiptLineIn

MGR1 = Actor(username="mgr1", role="warehouse_manager", warehouse_codes=("W1",))
MGR2 = Actor(username="mgr2", role="warehouse_manager", warehouse_codes=("W2",))
TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}
ROUNDS = 4
_references = itertools.count(1)


def _receipt(engine, items: list[tuple[str, str]]) -> None:
    lines = [ReceiptLineIn(item_code=item, quantity=1, lot=lot) for item, lot in items]
    with transaction(engine) as session:
        stock.receive_stock(session, MGR1, "W1", f"RK-{next(_references)}", lines)


def _transfer(engine, lines: list[dispatch.OrderLine]) -> int:
    """A transfer W1 → W2 in its own transaction (it reserves at W1); the order's id."""
    with transaction(engine) as session:
        order = dispatch.create_transfer(
            session,
            MGR1,
            from_warehouse_code="W1",
            to_warehouse_code="W2",
            lines=lines,
            reason="restock",
        )
        return order.id  # type: ignore[return-value]


def _transfer_round_trip(engine, items: list[str]) -> None:
    """W1 → W2: create (reserve), dispatch and receive, each its own transaction, each
    naming the lines in the order given."""
    order_id = _transfer(engine, [dispatch.OrderLine(item, 1) for item in items])
    with transaction(engine) as session:
        shipped = [{"item_code": item, "quantity": 1} for item in reversed(items)]
        dispatch.dispatch_order(session, MGR1, order_id, lines=shipped, **TRUCK)
    with transaction(engine) as session:
        counted = [{"item_code": item, "received": 1} for item in items]
        dispatch.receive_order(session, MGR2, order_id, lines=counted)


def _rounds(work):
    def run() -> list[str]:
        failures = []
        for _ in range(ROUNDS):
            try:
                work()
            except DomainError as exc:  # `busy` is what a deadlock or a lock timeout becomes
                failures.append(exc.code)
        return failures

    return run


def test_writes_on_one_warehouse_in_opposite_line_orders_neither_deadlock_nor_drift(
    engine, world, parallel, level, differences
):
    started = time.monotonic()
    failures = parallel(
        [
            _rounds(lambda: _receipt(engine, [("rice", ""), ("tent", "L-NEW")])),
            _rounds(lambda: _receipt(engine, [("tent", "L-OLD"), ("tent", "L-NEW"), ("rice", "")])),
            _rounds(lambda: _transfer_round_trip(engine, ["tent", "rice"])),
            _rounds(lambda: _transfer_round_trip(engine, ["rice", "tent"])),
        ]
    )
    assert failures == [[], [], [], []]
    # Each round the receipts add 1 + 2 tents and 1 + 1 rice, and the two transfers move
    # 1 tent and 1 rice each from W1 to W2.
    tent_in, rice_in = ROUNDS * (1 + 2), ROUNDS * 2
    moved = 2 * ROUNDS
    w1_tent, w1_rice = level("W1", "tent"), level("W1", "rice")
    assert (w1_tent.on_hand, w1_tent.reserved) == (80 + tent_in - moved, 0)
    assert (w1_rice.on_hand, w1_rice.reserved) == (500 + rice_in - moved, 0)
    assert level("W2", "tent").on_hand == moved
    assert level("W2", "rice").on_hand == moved
    assert differences() == []
    # Short locks: 40 transactions on two cores, none waiting for a deadlock timeout.
    assert time.monotonic() - started < 60


def test_transfers_of_the_last_units_at_once_never_oversell(engine, world, parallel, level):
    def transfer(items: list[str]):
        def run() -> str:
            lines = [dispatch.OrderLine(item, 100 if item == "rice" else 10) for item in items]
            try:
                _transfer(engine, lines)
            except DomainError as exc:
                return exc.code
            return "created"

        return run

    # 500 rice and 80 tents: room for five transfers of 100 rice and 10 tents, asked by eight.
    outcomes = parallel(
        [transfer(["rice", "tent"] if i % 2 else ["tent", "rice"]) for i in range(8)]
    )
    assert sorted(outcomes) == ["created"] * 5 + ["stock_insufficient"] * 3
    rice, tent = level("W1", "rice"), level("W1", "tent")
    assert (rice.on_hand, rice.reserved) == (500, 500)
    assert (tent.on_hand, tent.reserved) == (80, 50)


def test_two_transfers_for_the_last_units_at_once_one_wins_the_other_hears_why(
    live_server, users, parallel, level, differences
):
    """The reservation is one conditional UPDATE: of two transfers of all the free rice,
    exactly one reserves it and the other is refused as a transfer after it would be."""
    import httpx

    body = {
        "from_warehouse_code": "W1",
        "to_warehouse_code": "W2",
        "lines": [{"item_code": "rice", "quantity": 500}],
        "reason": "restock",
    }

    headers = users["mgr1"]

    def transfer() -> httpx.Response:
        return httpx.post(f"{live_server}/api/v1/transfers", json=body, headers=headers, timeout=60)

    replies = parallel([transfer, transfer])
    assert sorted(r.status_code for r in replies) == [201, 409], [r.text for r in replies]
    refused = next(r for r in replies if r.status_code == 409)
    assert refused.json() == transfer().json()  # the same refusal as one that comes after
    assert refused.json()["detail"]["field"] == "lines[0].quantity"
    assert refused.json()["detail"]["code"] == "stock_insufficient"
    rice = level("W1", "rice")
    assert (rice.on_hand, rice.reserved, rice.available) == (500, 500, 0)
    assert differences() == []


def test_a_transfer_that_waited_for_the_row_counts_the_expired_units_booked_meanwhile(
    engine, world, monkeypatch, parallel, level, differences
):
    """On PostgreSQL an UPDATE that waited for a row checks its WHERE again on the row as
    the others left it, but reads the other tables as they were when it started. Here a
    receipt books 100 expired rice (with override_reason) and an adjustment then takes 100
    good rice away, while a transfer of 450 waits for the row: the row's on_hand is back at
    500, but only 400 of it is good. The transfer's UPDATE, reading the lots as they were
    (none expired), would reserve 450; the reservation is checked again under the lock
    with the lots read afresh, so it is refused as it would be a moment later."""
    import threading
    from datetime import date

    import pytest
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing waits on a row")

    def waiting_on_locks() -> int:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar_one()

    _transfer(engine, [dispatch.OrderLine("tent", 1)])  # the road graph, built before the race
    locked = threading.Event()
    add_to_lot = stock._add_to_lot

    def slow_add_to_lot(*args, **kwargs):
        held = add_to_lot(*args, **kwargs)
        locked.set()  # the receipt holds the rice row now, until it commits
        time.sleep(1.5)
        return held

    monkeypatch.setattr(stock, "_add_to_lot", slow_add_to_lot)

    def receipt() -> str:
        line = ReceiptLineIn(
            item_code="rice", quantity=100, lot="L-PAST", expires_on=date(2020, 1, 1)
        )
        with transaction(engine) as session:
            stock.receive_stock(
                session, MGR1, "W1", "RK-PAST", [line], override_reason="to dispose of"
            )
        return "received"

    def adjustment() -> str:
        assert locked.wait(30)
        with transaction(engine) as session:
            stock.adjust_stock(session, MGR1, "W1", "rice", -100, "damaged", lot="")
        return "adjusted"

    def transfer() -> str:
        assert locked.wait(30)
        # Behind the adjustment in the row's queue: once it waits for the receipt's lock
        # (polled, not slept for: a loaded machine may take its time to get there).
        deadline = time.monotonic() + 30
        while waiting_on_locks() < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            _transfer(engine, [dispatch.OrderLine("rice", 450)])
        except DomainError as exc:
            return f"{exc.code} {exc.field} {exc.params['available']}"
        return "created"

    assert parallel([receipt, adjustment, transfer]) == [
        "received",
        "adjusted",
        "stock_insufficient lines[0].quantity 400",
    ]
    rice = level("W1", "rice")
    assert (rice.on_hand, rice.reserved, rice.expired, rice.available) == (500, 0, 100, 400)
    assert differences() == []
