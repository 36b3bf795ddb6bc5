"""The stock primitives dispatch orders and the scenario loader build on."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import col, select

from relief.audit.models import AuditRecord
from relief.auth.models import SYSTEM, Actor
from relief.db import session_for, transaction
from relief.errors import DomainError
from relief.network.records import StockLevel
from relief.stock import service
from relief.stock.models import LotPick, ReceiptLineIn, StockLevelRow, StockMovement

MANAGER = Actor(username="mgr1", role="warehouse_manager", warehouse_codes=("W1",))

# Each receipt its own 入库单号: a repeated one is refused (issue 13 review #35).
_REFS = itertools.count(1)


def _receive(engine, warehouse: str, *lines: tuple[str, int, str | None, str | None]) -> None:
    with transaction(engine) as session:
        service.receive_stock(
            session,
            Actor(username="mgr", role="warehouse_manager", warehouse_codes=(warehouse,)),
            warehouse,
            f"GR-{next(_REFS)}",
            [
                ReceiptLineIn(
                    item_code=item,
                    quantity=q,
                    lot=lot,
                    expires_on=date.fromisoformat(exp) if exp else None,
                )
                for item, q, lot, exp in lines
            ],
        )


@pytest.fixture
def water_lots(engine, network_rows) -> None:
    """W1 water: 30 without lot, 20 in lot Z expiring 2037-01-01, 10 in lot B and 10 in
    lot A both expiring 2036-09-01, 5 in lot N without expiry."""
    _receive(
        engine,
        "W1",
        ("water", 30, None, None),
        ("water", 20, "Z", "2037-01-01"),
        ("water", 10, "B", "2036-09-01"),
        ("water", 10, "A", "2036-09-01"),
        ("water", 5, "N", None),
    )


def _ledger(session, kind: str | None = None) -> list[StockMovement]:
    query = select(StockMovement).order_by(col(StockMovement.id))
    if kind is not None:
        query = query.where(StockMovement.kind == kind)
    return list(session.exec(query).all())


def _picks(picks: list[LotPick]) -> list[tuple[str | None, int]]:
    return [(p.lot, p.quantity) for p in picks]


def test_a_receipt_naming_one_lot_on_several_lines_adds_them_all(
    engine, network_rows, level, lots, differences
):
    _receive(
        engine,
        "W1",
        ("water", 4, "A", "2036-09-01"),
        ("water", 5, "A", None),
        ("tent", 1, None, None),
        ("water", 6, "A", "2036-09-01"),
    )
    assert level("W1", "water") == (15, 0, 0)
    assert lots("W1", "water") == {"A": 15}
    assert differences() == []


# --- first expiring, first out ----------------------------------------------------------


def test_fefo_picks_first_expiring_then_lot_number_then_lots_without_expiry(
    engine, water_lots, ledger_count
):
    before = ledger_count()
    with session_for(engine, write=False) as session:
        picks = service.pick_lots_fefo(session, "W1", "water", 60)
        everything = service.pick_lots_fefo(session, "W1", "water", 75)
    assert _picks(picks) == [("A", 10), ("B", 10), ("Z", 20), (None, 20)]
    assert picks[0].expires_on == date(2036, 9, 1)
    assert _picks(everything)[-2:] == [(None, 30), ("N", 5)]
    assert ledger_count() == before  # a preview changes nothing


def test_fefo_preview_beyond_the_lots_is_stock_insufficient_on_the_callers_field(
    engine, water_lots
):
    with session_for(engine, write=False) as session, pytest.raises(DomainError) as err:
        service.pick_lots_fefo(session, "W1", "water", 76, field="lines[2].quantity")
    assert err.value.code == "stock_insufficient"
    assert err.value.field == "lines[2].quantity"


# --- reserve, release, ship, receive ----------------------------------------------------


def test_reserve_only_above_the_floor_and_never_twice_the_same_units(
    engine, put_stock, level, differences
):
    put_stock("W1", "tent", 100, floor=30)
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "tent", 50, "DO-1", order_id=1)
    with transaction(engine) as session, pytest.raises(DomainError) as err:
        service.reserve_stock(
            session, SYSTEM, "W1", "tent", 21, "DO-2", order_id=2, field="lines[0].quantity"
        )
    assert (err.value.code, err.value.field, err.value.status) == (
        "stock_insufficient",
        "lines[0].quantity",
        409,
    )
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "tent", 20, "DO-2", order_id=2)
    assert level("W1", "tent") == (100, 70, 30)
    with session_for(engine, write=False) as session:
        rows = _ledger(session, "reservation")
        assert [(r.reserved_delta, r.on_hand_delta, r.order_id) for r in rows] == [
            (50, 0, 1),
            (20, 0, 2),
        ]
        (allocation,) = service.stock_levels_for_allocation(session)
    assert allocation == StockLevel("W1", "tent", on_hand=100, floor=30, reserved=70)
    assert allocation.available == 0
    assert differences() == []


def test_a_row_loaded_before_a_reservation_reads_its_new_figures_in_the_same_session(
    engine, put_stock
):
    """Reserving and shipping change the stock row with UPDATEs that bypass the ORM: a copy
    the session already holds (plan approval locks and loads the rows first) is read again."""
    put_stock("W1", "tent", 10)
    with transaction(engine) as session:
        row = session.get(StockLevelRow, ("W1", "tent"))
        assert row is not None and (row.on_hand, row.reserved) == (10, 0)
        service.reserve_stock(session, SYSTEM, "W1", "tent", 4, "DO-1")
        assert (row.on_hand, row.reserved) == (10, 4)
        service.ship_reserved(session, SYSTEM, "W1", "tent", 3, "DO-1")
        assert (row.on_hand, row.reserved) == (7, 1)
        (tent,) = service.stock_of(session, "W1", ["tent"])
        assert (tent.on_hand, tent.reserved) == (7, 1)


def test_reserving_stock_that_does_not_exist_is_stock_insufficient(engine, network_rows):
    with transaction(engine) as session, pytest.raises(DomainError) as err:
        service.reserve_stock(session, SYSTEM, "W1", "quilt", 1, "DO-1")
    assert err.value.code == "stock_insufficient"


def test_release_gives_back_at_most_what_is_reserved(engine, put_stock, level, differences):
    put_stock("W1", "tent", 10)
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "tent", 6, "DO-1")
    with transaction(engine) as session, pytest.raises(DomainError) as err:
        service.release_stock(session, SYSTEM, "W1", "tent", 7, "DO-1", "cancelled")
    assert err.value.code == "stock_insufficient"
    with transaction(engine) as session:
        service.release_stock(session, SYSTEM, "W1", "tent", 4, "DO-1", "cancelled", order_id=9)
    assert level("W1", "tent") == (10, 2, 0)
    assert differences() == []


def test_ship_reserved_takes_on_hand_and_reserved_from_first_expiring_lots(
    engine, water_lots, level, lots, differences
):
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 25, "DO-7", order_id=7)
    with transaction(engine) as session:
        picks = service.ship_reserved(session, MANAGER, "W1", "water", 25, "DO-7", order_id=7)
    assert _picks(picks) == [("A", 10), ("B", 10), ("Z", 5)]
    assert level("W1", "water") == (50, 0, 0)
    assert lots("W1", "water") == {"": 30, "Z": 15, "B": 0, "A": 0, "N": 5}
    with session_for(engine, write=False) as session:
        rows = _ledger(session, "dispatch")
    assert [(r.lot, r.on_hand_delta, r.reserved_delta, r.order_id) for r in rows] == [
        ("A", -10, -10, 7),
        ("B", -10, -10, 7),
        ("Z", -5, -5, 7),
    ]
    assert differences() == []


def test_ship_more_than_reserved_is_refused(engine, put_stock, level):
    put_stock("W1", "tent", 10)
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "tent", 3, "DO-1")
    with transaction(engine) as session, pytest.raises(DomainError) as err:
        service.ship_reserved(session, SYSTEM, "W1", "tent", 4, "DO-1", field="lines[0].quantity")
    assert (err.value.code, err.value.field) == ("stock_insufficient", "lines[0].quantity")
    assert level("W1", "tent") == (10, 3, 0)


def test_a_transfer_keeps_lot_numbers_and_expiry(engine, water_lots, level, lots, differences):
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "water", 25, "TR-1")
        picks = service.ship_reserved(
            session, SYSTEM, "W1", "water", 25, "TR-1", kind="transfer_out"
        )
    # Two units broke on the road: they count against the last lot carried.
    with transaction(engine) as session:
        received = service.receive_into(session, SYSTEM, "W2", "water", 23, picks, "TR-1")
    assert [(p.lot, p.expires_on, p.quantity) for p in received] == [
        ("A", date(2036, 9, 1), 10),
        ("B", date(2036, 9, 1), 10),
        ("Z", date(2037, 1, 1), 3),
    ]
    assert level("W2", "water") == (23, 0, 0)
    assert lots("W2", "water") == {"A": 10, "B": 10, "Z": 3}
    with session_for(engine, write=False) as session:
        kinds = {r.kind for r in session.exec(select(StockMovement)).all()}
    assert {"transfer_out", "transfer_in"} <= kinds
    assert differences() == []


def test_receive_into_refuses_more_than_was_carried(engine, network_rows):
    carried = [LotPick(lot="A", expires_on=None, quantity=3)]
    with transaction(engine) as session, pytest.raises(DomainError) as err:
        service.receive_into(session, SYSTEM, "W2", "water", 4, carried, "TR-1")
    assert (err.value.code, err.value.field) == ("validation_error", "quantity")


def test_receive_into_a_lot_held_with_a_later_expiry_keeps_the_earlier(engine, network_rows, lots):
    _receive(engine, "W2", ("water", 5, "A", "2037-06-01"))
    with transaction(engine) as session:
        service.receive_into(
            session, SYSTEM, "W2", "water", 2, [LotPick("A", date(2037, 1, 1), 2)], "TR-2"
        )
    with session_for(engine, write=False) as session:
        (row,) = service.stock_of(session, "W2")
    assert row.lots[0].expires_on == date(2037, 1, 1)
    assert row.lots[0].on_hand == 7


# --- scenario loading -------------------------------------------------------------------


def test_scenario_stock_is_idempotent_and_changes_are_ledger_adjustments(
    engine, network_rows, level, ledger_count, differences
):
    def load(on_hand: int, floor: int) -> int:
        with transaction(engine) as session:
            return len(
                service.set_stock_from_scenario(session, SYSTEM, "W1", "tent", on_hand, floor)
            )

    assert load(100, 10) == 1
    assert load(100, 10) == 0
    assert ledger_count() == 1
    assert load(80, 10) == 1
    assert load(80, 15) == 0  # a floor change is audited, not a ledger row
    assert level("W1", "tent") == (80, 0, 15)
    with session_for(engine, write=False) as session:
        rows = _ledger(session)
        audits = session.exec(
            select(AuditRecord)
            .where(AuditRecord.entity_id == "W1/tent")
            .order_by(col(AuditRecord.id))
        ).all()
    assert [(r.kind, r.on_hand_delta, r.reason) for r in rows] == [
        ("adjustment", 100, "scenario load"),
        ("adjustment", -20, "scenario load"),
    ]
    assert [a.action for a in audits] == ["create", "update", "update"]
    assert audits[-1].before["floor"] == 10 and audits[-1].after["floor"] == 15
    assert differences() == []


def test_scenario_cannot_load_away_reserved_stock(engine, put_stock, level):
    put_stock("W1", "tent", 10)
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "tent", 8, "DO-1")
    with pytest.raises(DomainError) as err:
        put_stock("W1", "tent", 5)
    assert (err.value.code, err.value.field) == ("stock_insufficient", "on_hand")
    assert level("W1", "tent") == (10, 8, 0)


# --- the ledger is the truth ------------------------------------------------------------


def test_ledger_rows_cannot_be_updated_or_deleted(engine, put_stock):
    put_stock("W1", "tent", 10)
    with pytest.raises(DatabaseError), engine.begin() as conn:
        conn.execute(text("UPDATE stock_movements SET on_hand_delta = 1000"))
    with pytest.raises(DatabaseError), engine.begin() as conn:
        conn.execute(text("DELETE FROM stock_movements"))


def test_check_finds_a_ledger_row_the_stock_does_not_know(engine, water_lots, differences):
    assert differences() == []
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO stock_movements (warehouse_code, item_code, lot, kind, "
                "on_hand_delta, reserved_delta, reference, reason, actor, at) VALUES "
                "('W1', 'water', 'Z', 'receipt', 7, 0, 'forged', '', 'mallory', :at)"
            ),
            {"at": "2026-07-01 00:00:00"},
        )
        conn.execute(text("UPDATE stock_levels SET reserved = 2 WHERE item_code = 'water'"))
    assert differences() == [
        "W1 water: on hand 75, ledger 82 (difference -7)",
        "W1 water: reserved 2, ledger 0 (difference +2)",
        "W1 water lot Z: on hand 20, ledger 27 (difference -7)",
    ]
