"""A small network with stock for the dispatch tests, built through the services.

    W1 呼和浩特市骨干库 (prefecture, 150100) ──1 h, 40 km── W2 武川县片区库 (county, 150125)
     │                                                        │ 0.25 h
     └──0.75 h, 30 km── 150121 土默特左旗 ── W3 (county)        150125 武川县

W1 holds tents in two lots (L-OLD expires first) and rice in the default lot; nothing
else holds stock. Users (USERS): a manager per warehouse, a duty officer, a county clerk for
each county, an approver and an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from relief.auth.models import Actor
from relief.db import session_for, transaction
from relief.dispatch import service as dispatch
from relief.network import service as network
from relief.network.records import Item, Region, Road, Warehouse
from relief.stock import service as stock
from relief.stock.models import ReceiptLineIn, StockOut

SETUP = Actor(username="setup", role="admin")
DUTY = Actor(username="duty", role="duty_officer")

REGIONS = [
    Region("150000", "内蒙古自治区", "province", None, 40.84, 111.74),
    Region("150100", "呼和浩特市", "prefecture", "150000", 40.84, 111.74),
    Region("150125", "武川县", "county", "150100", 41.10, 111.45),
    Region("150121", "土默特左旗", "county", "150100", 40.72, 111.15),
]
WAREHOUSES = [
    Warehouse("W1", "呼和浩特市骨干库", "prefecture", "150100", 40.83, 111.75),
    Warehouse("W2", "武川县片区库", "county", "150125", 41.09, 111.45),
    Warehouse("W3", "土默特左旗片区库", "county", "150121", 40.71, 111.14),
]
ITEMS = [
    Item("tent", "帐篷", "tent", "顶", Decimal("25"), Decimal("0.12"), "shelter"),
    Item("rice", "大米", "rice", "袋", Decimal("10"), Decimal("0.01"), "food"),
]
ROADS = [
    Road(None, "W1", "W2", Decimal("40"), Decimal("1")),
    Road(None, "W2", "150125", Decimal("5"), Decimal("0.25")),
    Road(None, "W1", "150121", Decimal("30"), Decimal("0.75")),
    Road(None, "W3", "150121", Decimal("5"), Decimal("0.25")),
]
OLD, NEW = date(2036, 9, 1), date(2037, 6, 1)


@pytest.fixture
def world(engine: Engine) -> None:
    with transaction(engine) as session:
        for region in REGIONS:
            network.create_region(session, SETUP, region)
        for warehouse in WAREHOUSES:
            network.create_warehouse(session, SETUP, warehouse)
        for item in ITEMS:
            network.create_item(session, SETUP, item)
        for road in ROADS:
            network.create_road(session, SETUP, road)
        stock.receive_stock(
            session,
            SETUP,
            "W1",
            "initial stock",
            [
                ReceiptLineIn(item_code="tent", quantity=50, lot="L-NEW", expires_on=NEW),
                ReceiptLineIn(item_code="tent", quantity=30, lot="L-OLD", expires_on=OLD),
                ReceiptLineIn(item_code="rice", quantity=500),
            ],
        )


# Who each test user is: role and scope. Users are created on first use (hashing a
# password is slow on purpose, and most tests need two or three of them).
USERS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "admin": ("admin", (), ()),
    "mgr1": ("warehouse_manager", ("W1",), ()),
    "mgr2": ("warehouse_manager", ("W2",), ()),
    "mgr3": ("warehouse_manager", ("W3",), ()),
    "duty": ("duty_officer", (), ()),
    "clerk_wc": ("county_staff", (), ("150125",)),
    "clerk_tm": ("county_staff", (), ("150121",)),
    "approver": ("approver", (), ("150100",)),
}


class _Headers(dict):
    def __init__(self, make_user, login) -> None:
        super().__init__()
        self._make_user, self._login = make_user, login

    def __missing__(self, name: str) -> dict[str, str]:
        role, warehouses, regions = USERS[name]
        self._make_user(name, role, warehouses=warehouses, regions=regions)
        self[name] = self._login(name)
        return self[name]


@pytest.fixture
def users(world, make_user, login) -> dict[str, dict[str, str]]:
    """Bearer headers by user name (see USERS)."""
    return _Headers(make_user, login)


@pytest.fixture
def make_order(engine: Engine, world) -> Callable[..., int]:
    """An order created through the service as plan approval does; returns its id."""

    def _make(
        destination_code: str = "150125",
        lines: list[Any] | None = None,
        *,
        source: str = "W1",
        kind: str = "region",
        response_id: int | None = None,
        eta_h: str | None = "1.25",
    ) -> int:
        with transaction(engine) as session:
            order = dispatch.create_order(
                session,
                DUTY,
                source_warehouse_code=source,
                destination_code=destination_code,
                destination_kind=kind,
                lines=lines or [dispatch.OrderLine("tent", 40), dispatch.OrderLine("rice", 100)],
                route=[source, "W2", destination_code],
                eta_h=None if eta_h is None else Decimal(eta_h),
                distance_km=Decimal("45"),
                plan_id=3 if response_id else None,
                response_id=response_id,
                reference="plan 3",
            )
            return order.id  # type: ignore[return-value]

    return _make


@pytest.fixture
def level(engine: Engine) -> Callable[[str, str], StockOut | None]:
    """The stock of a warehouse × item as the stock service shows it (None without any)."""

    def _level(warehouse_code: str, item_code: str) -> StockOut | None:
        with session_for(engine, write=False) as session:
            found = stock.stock_of(session, warehouse_code, [item_code])
            return found[0] if found else None

    return _level


@pytest.fixture
def ledger(engine: Engine) -> Callable[[str], list[tuple[str, str, str | None, int, int]]]:
    """(kind, item, lot, on_hand_delta, reserved_delta) of a warehouse, oldest first."""

    def _ledger(warehouse_code: str) -> list[tuple[str, str, str | None, int, int]]:
        with session_for(engine, write=False) as session:
            rows, _ = stock.ledger_page(session, warehouse_code, limit=1000)
            return [
                (r.kind, r.item_code, r.lot or None, r.on_hand_delta, r.reserved_delta)
                for r in reversed(rows)
            ]

    return _ledger


@pytest.fixture
def differences(engine: Engine) -> Callable[[], list[str]]:
    """What `relief check` would report (empty when stock and ledger agree)."""

    def _differences() -> list[str]:
        with session_for(engine, write=False) as session:
            return [str(d) for d in stock.check_ledger(session)]

    return _differences
