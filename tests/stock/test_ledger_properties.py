"""Property: whatever sequence of receipts, adjustments, stocktakes (counts), reservations, releases, shipments
and scenario loads runs (many of them refused), the stock equals its ledger, the lots add
up to the stock, nothing is negative, and each operation succeeds exactly when a plain
model of the rules says it should, with the same result.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.errors import DomainError
from relief.network import service as network
from relief.network.records import Item
from relief.stock import service
from relief.stock.models import ReceiptLineIn, StockLevelRow, StockLotRow

LOT_EXPIRY = {"": None, "A": date(2036, 9, 1), "B": date(2037, 1, 1), "C": None}
OTHER_EXPIRY = date(2030, 1, 1)
ITEMS = ("i0", "i1")
_example = itertools.count()

quantity = st.integers(min_value=1, max_value=60)
item = st.sampled_from(ITEMS)
lot = st.sampled_from(sorted(LOT_EXPIRY))
operation = st.one_of(
    st.tuples(
        st.just("receive"),
        item,
        quantity,
        lot,
        st.sampled_from(["none", "lot's", "other"]),
    ),
    st.tuples(
        st.just("adjust"),
        item,
        st.integers(min_value=-60, max_value=60).filter(bool),
        st.one_of(st.none(), lot),
        st.booleans(),
    ),
    st.tuples(
        st.just("count"),
        item,
        st.integers(min_value=0, max_value=80),
        st.one_of(st.none(), lot),
        st.booleans(),
    ),
    st.tuples(st.just("reserve"), item, quantity),
    st.tuples(st.just("release"), item, quantity),
    st.tuples(st.just("ship"), item, quantity),
    st.tuples(
        st.just("scenario"),
        item,
        st.integers(min_value=0, max_value=120),
        st.integers(min_value=0, max_value=30),
    ),
)

# Each receipt its own 入库单号: a repeated one is refused (issue 13 review #35).
_REFS = itertools.count(1)


@dataclass
class Model:
    """The rules of API.md / DESIGN.md for one warehouse x item, in plain Python."""

    on_hand: int = 0
    reserved: int = 0
    floor: int = 0
    lots: dict[str, list] = field(default_factory=dict)  # lot -> [on_hand, expires_on]

    def fefo(self, quantity: int) -> None:
        order = sorted(
            self.lots, key=lambda n: (self.lots[n][1] is None, self.lots[n][1] or date.max, n)
        )
        for name in order:
            take = min(self.lots[name][0], quantity)
            self.lots[name][0] -= take
            quantity -= take

    def lot(self, name: str) -> list:
        return self.lots.setdefault(name, [0, None])

    def apply(self, op: tuple) -> bool:
        """Apply `op` if the rules allow it; whether they did."""
        kind = op[0]
        if kind == "receive":
            _, _, q, name, expiry = op
            wanted = {"none": None, "lot's": LOT_EXPIRY[name], "other": OTHER_EXPIRY}[expiry]
            # A lot that holds stock keeps its first expiry (none included); an empty one
            # takes the receipt's date.
            held_quantity, held = self.lots.get(name, [0, None])
            if wanted is not None and (name == "" or (held_quantity > 0 and held != wanted)):
                return False
            self.lot(name)[0] += q
            if wanted is not None:
                self.lot(name)[1] = wanted
            self.on_hand += q
        elif kind == "adjust":
            _, _, delta, name, override = op
            new = self.on_hand + delta
            if delta < 0:
                if new < self.reserved or (new - self.reserved < self.floor and not override):
                    return False
                if name is not None and (name not in self.lots or self.lots[name][0] < -delta):
                    return False
            if delta > 0:
                self.lot(name or "")[0] += delta
            elif name is not None:
                self.lots[name][0] += delta
            else:
                self.fefo(-delta)
            self.on_hand = new
        elif kind == "count":
            _, _, counted, name, override = op
            if name is None:
                if any(q for n, (q, _) in self.lots.items() if n):
                    return False  # held in lots: each lot is counted on its own
                name = ""
            elif name not in self.lots:
                return False
            delta = counted - self.lots.get(name, [0, None])[0]
            new = self.on_hand + delta
            if delta < 0 and (
                new < self.reserved or (new - self.reserved < self.floor and not override)
            ):
                return False
            self.lot(name)[0] = counted
            self.on_hand = new
        elif kind == "reserve":
            if self.on_hand - self.reserved - self.floor < op[2]:
                return False
            self.reserved += op[2]
        elif kind == "release":
            if self.reserved < op[2]:
                return False
            self.reserved -= op[2]
        elif kind == "ship":
            if self.reserved < op[2]:
                return False
            self.fefo(op[2])
            self.on_hand -= op[2]
            self.reserved -= op[2]
        elif kind == "scenario":
            _, _, on_hand, floor = op
            if on_hand < self.reserved:
                return False
            if on_hand > self.on_hand:
                self.lot("")[0] += on_hand - self.on_hand
            else:
                self.fefo(self.on_hand - on_hand)
            self.on_hand, self.floor = on_hand, floor
        return True


def _run(session, warehouse: str, item_code: str, op: tuple) -> None:
    kind = op[0]
    if kind == "receive":
        _, _, q, name, expiry = op
        wanted = {"none": None, "lot's": LOT_EXPIRY[name], "other": OTHER_EXPIRY}[expiry]
        line = ReceiptLineIn(item_code=item_code, quantity=q, lot=name or None, expires_on=wanted)
        service.receive_stock(session, SYSTEM, warehouse, f"GR-{next(_REFS)}", [line], "测试")
    elif kind == "adjust":
        _, _, delta, name, override = op
        service.adjust_stock(
            session,
            SYSTEM,
            warehouse,
            item_code,
            delta,
            "stocktake",
            lot=name,  # "" names the default lot itself
            override_reason="confirmed loss" if override else None,
        )
    elif kind == "count":
        _, _, counted, name, override = op
        service.stocktake(
            session,
            SYSTEM,
            warehouse,
            item_code,
            counted,
            lot=name,
            override_reason="counted short" if override else None,
        )
    elif kind == "reserve":
        service.reserve_stock(session, SYSTEM, warehouse, item_code, op[2], "DO")
    elif kind == "release":
        service.release_stock(session, SYSTEM, warehouse, item_code, op[2], "DO", "cancelled")
    elif kind == "ship":
        service.ship_reserved(session, SYSTEM, warehouse, item_code, op[2], "DO")
    elif kind == "scenario":
        service.set_stock_from_scenario(session, SYSTEM, warehouse, item_code, op[2], op[3])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_any_sequence_of_operations_keeps_stock_equal_to_its_ledger(
    engine, network_rows, operations
):
    # Fresh items per example: the database outlives hypothesis's examples.
    n = next(_example)
    codes = {code: f"p{n}-{code}" for code in ITEMS}
    with transaction(engine) as session:
        for code in codes.values():
            network.create_item(
                session,
                SYSTEM,
                Item(code, code, code, "pc", Decimal(1), Decimal("0.01"), "test"),
            )
    models = {code: Model() for code in ITEMS}

    for op in operations:
        expected = models[op[1]].apply(op)
        try:
            with transaction(engine) as session:
                _run(session, "W1", codes[op[1]], op)
            happened = True
        except DomainError as exc:
            assert exc.status in (409, 422), exc.code
            happened = False
        assert happened == expected, op

    with session_for(engine, write=False) as session:
        assert service.check_ledger(session) == []
        for code, model in models.items():
            row = session.get(StockLevelRow, ("W1", codes[code]))
            if row is None:
                assert model.on_hand == model.reserved == 0
                continue
            assert (row.on_hand, row.reserved, row.floor) == (
                model.on_hand,
                model.reserved,
                model.floor,
            )
            assert 0 <= row.reserved <= row.on_hand
            lots = session.exec(
                select(StockLotRow).where(
                    StockLotRow.warehouse_code == "W1", StockLotRow.item_code == codes[code]
                )
            ).all()
            assert all(lot.on_hand >= 0 for lot in lots)
            assert sum(lot.on_hand for lot in lots) == row.on_hand
            held = {lot.lot: lot.on_hand for lot in lots if lot.on_hand}
            assert held == {name: q for name, (q, _) in model.lots.items() if q}
