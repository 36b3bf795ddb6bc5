"""A warehouse's daily on-hand stock per item from the ledger (issue 13's line charts)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from sqlalchemy import event

from relief import clock
from relief.auth.models import Actor
from relief.db import transaction
from relief.stock import service
from relief.stock.models import ReceiptLineIn

MANAGER = Actor(username="mgr1", role="warehouse_manager", warehouse_codes=("W1",))

# Each receipt its own 入库单号: a repeated one is refused (issue 13 review #35).
_REFS = itertools.count(1)


def _at(when: str) -> None:
    moment = datetime.fromisoformat(when)
    clock.set_clock(lambda: moment)


def _receive(engine, item: str, quantity: int) -> None:
    with transaction(engine) as session:
        service.receive_stock(
            session,
            MANAGER,
            "W1",
            f"GR-{next(_REFS)}",
            [ReceiptLineIn(item_code=item, quantity=quantity)],
        )


def _adjust(engine, item: str, delta: int) -> None:
    with transaction(engine) as session:
        service.adjust_stock(session, MANAGER, "W1", item, delta, "盘点")


def test_stock_history_gives_each_items_on_hand_at_the_end_of_each_china_day(engine, network_rows):
    _at("2026-03-01T02:00:00+00:00")  # 10:00 in China
    _receive(engine, "water", 100)
    _receive(engine, "tent", 5)
    # 23:30 UTC on 3 March is already 4 March in China.
    _at("2026-03-03T23:30:00+00:00")
    _adjust(engine, "water", -30)
    _at("2026-03-05T04:00:00+00:00")
    _receive(engine, "water", 10)
    with transaction(engine) as session:
        history = service.stock_history(session, "W1", days=5, until=date(2026, 3, 6))
    assert history["water"] == [
        (date(2026, 3, 2), 100),
        (date(2026, 3, 3), 100),
        (date(2026, 3, 4), 70),
        (date(2026, 3, 5), 80),
        (date(2026, 3, 6), 80),
    ]
    assert [v for _, v in history["tent"]] == [5] * 5
    assert "quilt" not in history  # no ledger row, no line
    with transaction(engine) as session:
        assert service.stock_history(session, "W2", days=5, until=date(2026, 3, 6)) == {}


def test_stock_history_reads_the_ledger_in_one_query_however_long_it_is(engine, network_rows):
    _at("2026-03-01T02:00:00+00:00")
    for _ in range(12):
        _receive(engine, "water", 1)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if "stock_movements" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(engine) as session:
            history = service.stock_history(session, "W1", days=30, until=date(2026, 3, 10))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert history["water"][-1] == (date(2026, 3, 10), 12)
    assert history["water"][0] == (date(2026, 2, 9), 0)


def test_stock_history_counts_a_receipt_at_china_midnight_minus_one_second_for_that_day(
    engine, network_rows
):
    # A receipt at 15:59:59 UTC (23:59:59 in China) counts for that Chinese day.
    _at(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC).isoformat())
    _receive(engine, "water", 7)
    with transaction(engine) as session:
        history = service.stock_history(session, "W1", days=2, until=date(2026, 3, 2))
    assert history["water"] == [(date(2026, 3, 1), 7), (date(2026, 3, 2), 7)]
