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


def _transfer_round_trip(engine, items: list[str]) -> None:
    """W1 → W2: create (reserve), dispatch and receive, each its own transaction, each
    naming the lines in the order given."""
    lines = [dispatch.OrderLine(item, 1) for item in items]
    with transaction(engine) as session:
        order = dispatch.create_transfer(
            session,
            MGR1,
            from_warehouse_code="W1",
            to_warehouse_code="W2",
            lines=lines,
            reason="restock",
        )
        order_id = order.id
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
                with transaction(engine) as session:
                    dispatch.create_transfer(
                        session,
                        MGR1,
                        from_warehouse_code="W1",
                        to_warehouse_code="W2",
                        lines=lines,
                        reason="restock",
                    )
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
