"""A small network for the stock tests, built through the network service.

Two prefecture warehouses (W1, W2) and a county depot (W3), three items, and users: a
manager of W1, a manager of W2, a duty officer and a county clerk. Stock is put in place
through the stock service, so the ledger is complete from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.network import service as network
from relief.network.records import Item, Region, Warehouse
from relief.stock import service as stock
from relief.stock.models import StockLevelRow, StockLotRow, StockMovement

REGIONS = [
    Region("150000", "内蒙古自治区", "province", None, 40.84, 111.74),
    Region("150100", "呼和浩特市", "prefecture", "150000", 40.84, 111.74),
    Region("150200", "包头市", "prefecture", "150000", 40.66, 109.84),
    Region("150125", "武川县", "county", "150100", 41.10, 111.45),
]
WAREHOUSES = [
    Warehouse("W1", "呼和浩特市骨干库", "prefecture", "150100", 40.83, 111.75),
    Warehouse("W2", "包头市骨干库", "prefecture", "150200", 40.66, 109.84),
    Warehouse("W3", "武川县片区库", "county", "150125", 41.09, 111.45),
]
ITEMS = [
    Item("tent", "帐篷", "tent", "顶", Decimal("25"), Decimal("0.12"), "shelter"),
    Item("quilt", "棉被", "quilt", "床", Decimal("2.5"), Decimal("0.02"), "bedding"),
    Item("water", "饮用水", "drinking water", "箱", Decimal("12"), Decimal("0.015"), "food"),
]


@pytest.fixture
def network_rows(engine: Engine) -> None:
    with transaction(engine) as session:
        for region in REGIONS:
            network.create_region(session, SYSTEM, region)
        for warehouse in WAREHOUSES:
            network.create_warehouse(session, SYSTEM, warehouse)
        for item in ITEMS:
            network.create_item(session, SYSTEM, item)


USERS = {
    "admin": ("admin", (), ()),
    "mgr1": ("warehouse_manager", ("W1",), ()),
    "mgr2": ("warehouse_manager", ("W2",), ()),
    "duty": ("duty_officer", (), ()),
    "clerk": ("county_staff", (), ("150125",)),
}


class Users(dict):
    """Bearer headers by user name, each user created on first use (password hashing is
    slow on purpose, so a test pays only for the users it needs)."""

    def __init__(self, make_user, login) -> None:
        super().__init__()
        self._make_user, self._login = make_user, login

    def __missing__(self, name: str) -> dict[str, str]:
        role, warehouses, regions = USERS[name]
        self._make_user(name, role, warehouses=warehouses, regions=regions)
        self[name] = self._login(name)
        return self[name]


@pytest.fixture
def users(network_rows, make_user, login) -> Users:
    """Headers of: admin, mgr1 (manager of W1), mgr2 (of W2), duty, clerk (county 150125)."""
    return Users(make_user, login)


@pytest.fixture
def put_stock(engine: Engine, network_rows) -> Callable[..., None]:
    """Set a warehouse x item's on_hand and floor (through the service, with the ledger)."""

    def _put(warehouse_code: str, item_code: str, on_hand: int, floor: int = 0) -> None:
        with transaction(engine) as session:
            stock.set_stock_from_scenario(
                session, SYSTEM, warehouse_code, item_code, on_hand, floor
            )

    return _put


@pytest.fixture
def level(engine: Engine) -> Callable[[str, str], tuple[int, int, int] | None]:
    """(on_hand, reserved, floor) as stored, or None without a row."""

    def _level(warehouse_code: str, item_code: str) -> tuple[int, int, int] | None:
        with session_for(engine, write=False) as session:
            row = session.get(StockLevelRow, (warehouse_code, item_code))
            return None if row is None else (row.on_hand, row.reserved, row.floor)

    return _level


@pytest.fixture
def lots(engine: Engine) -> Callable[[str, str], dict[str, int]]:
    """{lot: on_hand} of a warehouse x item, default lot as ""."""

    def _lots(warehouse_code: str, item_code: str) -> dict[str, int]:
        with session_for(engine, write=False) as session:
            rows = session.exec(
                select(StockLotRow).where(
                    StockLotRow.warehouse_code == warehouse_code,
                    StockLotRow.item_code == item_code,
                )
            ).all()
            return {r.lot: r.on_hand for r in rows}

    return _lots


@pytest.fixture
def ledger_count(engine: Engine) -> Callable[[], int]:
    def _count() -> int:
        with session_for(engine, write=False) as session:
            return session.exec(select(func.count()).select_from(StockMovement)).one()

    return _count


@pytest.fixture
def differences(engine: Engine) -> Callable[[], list[str]]:
    """What `relief check` would print (empty when stock and ledger agree)."""

    def _differences() -> list[str]:
        with session_for(engine, write=False) as session:
            return [str(d) for d in stock.check_ledger(session)]

    return _differences
