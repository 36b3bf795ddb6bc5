"""`relief check`: does the stock agree with its ledger?

Read-only. For every warehouse x item it compares
- `on_hand` and `reserved` of `stock_levels` with the sums of the ledger's deltas,
- `on_hand` of `stock_levels` with the sum of its lots,
- `on_hand` of each lot with the sum of the ledger's deltas for that lot.
A warehouse x item that appears only in the ledger counts as stock 0 there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, select

from relief.stock.models import StockLevelRow, StockLotRow, StockMovement

Measure = Literal["on_hand", "reserved", "lots", "lot"]

_WHAT = {
    "on_hand": ("on hand", "ledger"),
    "reserved": ("reserved", "ledger"),
    "lots": ("on hand", "sum of lots"),
    "lot": ("on hand", "ledger"),
}


@dataclass(frozen=True, slots=True)
class Difference:
    """One figure that disagrees: `recorded` is what the stock table says, `computed` what
    the ledger (or, for `lots`, the sum of the lots) says it should be."""

    warehouse_code: str
    item_code: str
    measure: Measure
    recorded: int
    computed: int
    lot: str | None = None

    def __str__(self) -> str:
        recorded, computed = _WHAT[self.measure]
        where = f"{self.warehouse_code} {self.item_code}"
        if self.measure == "lot":
            where += f" lot {self.lot or '(default)'}"
        return (
            f"{where}: {recorded} {self.recorded}, {computed} {self.computed} "
            f"(difference {self.recorded - self.computed:+d})"
        )


def check_ledger(session: Session) -> list[Difference]:
    """Every disagreement between stock and ledger, sorted; empty when all is well."""
    levels = {
        (w, i): (int(on_hand), int(reserved))
        for w, i, on_hand, reserved in session.exec(
            select(
                StockLevelRow.warehouse_code,
                StockLevelRow.item_code,
                StockLevelRow.on_hand,
                StockLevelRow.reserved,
            )
        ).all()
    }
    ledger = {
        (w, i): (int(on_hand or 0), int(reserved or 0))
        for w, i, on_hand, reserved in session.exec(
            select(
                StockMovement.warehouse_code,
                StockMovement.item_code,
                func.sum(StockMovement.on_hand_delta),
                func.sum(StockMovement.reserved_delta),
            ).group_by(StockMovement.warehouse_code, StockMovement.item_code)
        ).all()
    }
    lot_rows = {
        (w, i, lot): int(on_hand)
        for w, i, lot, on_hand in session.exec(
            select(
                StockLotRow.warehouse_code,
                StockLotRow.item_code,
                StockLotRow.lot,
                StockLotRow.on_hand,
            )
        ).all()
    }
    lot_ledger = {
        (w, i, lot): int(on_hand or 0)
        for w, i, lot, on_hand in session.exec(
            select(
                StockMovement.warehouse_code,
                StockMovement.item_code,
                StockMovement.lot,
                func.sum(StockMovement.on_hand_delta),
            ).group_by(StockMovement.warehouse_code, StockMovement.item_code, StockMovement.lot)
        ).all()
    }

    lots_total: dict[tuple[str, str], int] = {}
    for (w, i, _), on_hand in lot_rows.items():
        lots_total[(w, i)] = lots_total.get((w, i), 0) + on_hand

    differences: list[Difference] = []
    for key in sorted(levels.keys() | ledger.keys() | lots_total.keys()):
        on_hand, reserved = levels.get(key, (0, 0))
        ledger_on_hand, ledger_reserved = ledger.get(key, (0, 0))
        if on_hand != ledger_on_hand:
            differences.append(Difference(*key, "on_hand", on_hand, ledger_on_hand))
        if reserved != ledger_reserved:
            differences.append(Difference(*key, "reserved", reserved, ledger_reserved))
        if on_hand != lots_total.get(key, 0):
            differences.append(Difference(*key, "lots", on_hand, lots_total.get(key, 0)))
    for w, i, lot in sorted(lot_rows.keys() | lot_ledger.keys()):
        held, moved = lot_rows.get((w, i, lot), 0), lot_ledger.get((w, i, lot), 0)
        if held != moved:
            differences.append(Difference(w, i, "lot", held, moved, lot=lot or None))
    return differences
