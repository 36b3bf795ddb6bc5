"""Racing requests on the same stock: they queue up, none goes below zero, none is lost.

SQLite serialises writers (BEGIN IMMEDIATE); PostgreSQL locks the stock row (SELECT … FOR
UPDATE). Either way every request that loses the race gets a 409, never a 5xx.
"""

from __future__ import annotations

import itertools

import httpx

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.errors import DomainError
from relief.stock import service

# Each receipt its own 入库单号: a repeated one is refused (issue 13 review #35).
_REFS = itertools.count(1)


def test_twenty_parallel_adjustments_never_take_stock_below_zero(
    live_server, users, put_stock, parallel, level, ledger_count, differences, monkeypatch
):
    """Each adjustment pauses after it has read (and, with the lock, holds) the stock row,
    as the reserve fund's race test does: without the row lock they all read 100 and the
    later writes overwrite the earlier ones (lost updates, a level that disagrees with the
    ledger); with it they queue. (On SQLite writers queue anyway; on PostgreSQL,
    RELIEF_TEST_DATABASE_URL, this fails without the lock.)"""
    import time

    put_stock("W1", "tent", 100)
    headers = users["mgr1"]
    before = ledger_count()
    locked = service._lock_level

    def slow_lock(*args, **kwargs):
        found = locked(*args, **kwargs)
        time.sleep(0.1)  # widens the window between reading the level and writing it
        return found

    monkeypatch.setattr(service, "_lock_level", slow_lock)

    def take_seven() -> httpx.Response:
        return httpx.post(
            f"{live_server}/api/v1/warehouses/W1/adjustments",
            json={"item_code": "tent", "delta": -7, "reason": "stocktake"},
            headers=headers,
            timeout=60,
        )

    replies = parallel([take_seven] * 20)  # 140 asked for, 100 on hand
    statuses = sorted(r.status_code for r in replies)
    ok = statuses.count(201)
    assert set(statuses) <= {201, 409}, [r.text for r in replies if r.status_code >= 500]
    assert all(
        r.json()["detail"]["code"] == "stock_insufficient" for r in replies if r.status_code == 409
    )
    assert ok == 14  # 14 × 7 = 98; the 15th would leave −5
    assert level("W1", "tent") == (100 - 7 * ok, 0, 0)
    assert ledger_count() == before + ok
    assert differences() == []


def test_parallel_receipts_of_a_new_item_and_lot_all_count(
    live_server, users, parallel, level, lots, differences
):
    headers = users["mgr1"]

    def receive(i: int):
        def call() -> httpx.Response:
            return httpx.post(
                f"{live_server}/api/v1/warehouses/W1/receipts",
                json={
                    "reference": f"GR-{i}",
                    "lines": [
                        {
                            "item_code": "water",
                            "quantity": 3,
                            "lot": "L1",
                            "expires_on": "2037-01-01",
                        },
                        {"item_code": "quilt", "quantity": 2},
                    ],
                },
                headers=headers,
                timeout=60,
            )

        return call

    replies = parallel([receive(i) for i in range(12)])
    assert [r.status_code for r in replies] == [201] * 12, [r.text for r in replies]
    assert level("W1", "water") == (36, 0, 0)
    assert level("W1", "quilt") == (24, 0, 0)
    assert lots("W1", "water") == {"L1": 36}
    assert differences() == []


def _attempt(call) -> str:
    """'ok', or the domain error's code (anything else fails the test)."""
    try:
        call()
    except DomainError as exc:
        return exc.code
    return "ok"


def test_parallel_reservations_of_the_last_units_let_exactly_enough_through(
    engine, put_stock, parallel, level, differences
):
    put_stock("W1", "quilt", 10, floor=2)  # 8 available

    def reserve_two():
        with transaction(engine) as session:
            service.reserve_stock(session, SYSTEM, "W1", "quilt", 2, "DO")

    outcomes = parallel([lambda: _attempt(reserve_two)] * 12)
    assert sorted(outcomes) == ["ok"] * 4 + ["stock_insufficient"] * 8
    assert level("W1", "quilt") == (10, 8, 2)
    assert differences() == []


def test_dispatch_of_last_units_by_two_managers_lets_exactly_one_through(
    engine, put_stock, parallel, level, differences
):
    put_stock("W1", "tent", 5)
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "tent", 5, "DO-1", order_id=1)

    def ship_all():
        with transaction(engine) as session:
            service.ship_reserved(session, SYSTEM, "W1", "tent", 5, "DO-1", order_id=1)

    outcomes = parallel([lambda: _attempt(ship_all)] * 2)
    assert sorted(outcomes) == ["ok", "stock_insufficient"]
    assert level("W1", "tent") == (0, 0, 0)
    assert differences() == []


def test_two_disposals_of_one_expired_lot_at_once_book_it_once(
    engine, network_rows, parallel, level, differences
):
    from datetime import date

    from relief.stock.models import ReceiptLineIn

    with transaction(engine) as session:
        service.receive_stock(
            session,
            SYSTEM,
            "W1",
            f"GR-{next(_REFS)}",
            [
                ReceiptLineIn(
                    item_code="water", quantity=9, lot="OLD", expires_on=date(2020, 1, 31)
                ),
                ReceiptLineIn(item_code="water", quantity=4),
            ],
            "到货时已过期，待报废",
        )

    def dispose_whole_lot():
        with transaction(engine) as session:
            service.dispose_stock(session, SYSTEM, "W1", "water", "过期报废", lot="OLD")

    def count_lot_empty():
        with transaction(engine) as session:
            service.stocktake(session, SYSTEM, "W1", "water", 0, lot="OLD")

    outcomes = parallel(
        [lambda: _attempt(dispose_whole_lot)] * 2 + [lambda: _attempt(count_lot_empty)]
    )
    # Whichever runs first empties the lot; a later disposal finds nothing to dispose of and
    # a later count of 0 books nothing: the lot leaves the books exactly once.
    assert outcomes.count("ok") >= 1
    assert set(outcomes) <= {"ok", "stock_insufficient"}
    assert outcomes[:2].count("ok") <= 1
    assert level("W1", "water") == (4, 0, 0)
    assert differences() == []


def test_parallel_disposals_of_a_good_lot_leave_the_reserved_units_in_good_stock(
    engine, network_rows, parallel, level, differences
):
    from datetime import date

    from relief.stock.models import ReceiptLineIn

    with transaction(engine) as session:
        service.receive_stock(
            session,
            SYSTEM,
            "W1",
            f"GR-{next(_REFS)}",
            [
                ReceiptLineIn(
                    item_code="water", quantity=5, lot="OLD", expires_on=date(2020, 1, 31)
                ),
                ReceiptLineIn(
                    item_code="water", quantity=10, lot="GOOD", expires_on=date(2099, 12, 31)
                ),
            ],
            "到货时已过期，待报废",
        )
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 4, "DO-1", order_id=1)

    def dispose_three():
        with transaction(engine) as session:
            service.dispose_stock(
                session,
                SYSTEM,
                "W1",
                "water",
                "破损",
                lot="GOOD",
                quantity=3,
                override_reason="水淹",
            )

    # 10 good units, 4 of them reserved: two disposals of 3 fit, the others would leave the
    # reservation partly in the expired lot.
    outcomes = parallel([lambda: _attempt(dispose_three)] * 4)
    assert sorted(outcomes) == ["ok"] * 2 + ["stock_insufficient"] * 2
    assert level("W1", "water") == (9, 4, 0)
    assert differences() == []
