"""The subsidy world (呼和浩特, 新城区 with its townships, one flood event, users of each role)
plus a county depot in 新城区 with rice and tents, a policy with per-capita norms, and a
helper that brings a dispatch order to a township and has the township sign for it.

Everything is built through the services and the API, as the other domains' tests do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.dispatch import service as dispatch
from relief.emergency.policy import load_policy
from relief.emergency.records import Norm, Policy
from relief.network import service as network
from relief.network.records import Item, Road, Warehouse
from relief.stock import service as stock
from relief.stock.models import ReceiptLineIn
from tests.subsidies.conftest import register, world  # noqa: F401

DEPOT = Warehouse("WX", "新城区片区库", "county", "150102", 40.8, 111.7)
ITEMS = [
    Item("rice", "大米", "rice", "袋", Decimal("10"), Decimal("0.01"), "food"),
    Item("quilt", "棉被", "quilt", "床", Decimal("2"), Decimal("0.02"), "shelter"),
]
# Per person: 2 bags of rice (the larger of two norms counts), 1 quilt.
NORMS = [
    Norm("rice", "relocated", Decimal("1.5"), 10),
    Norm("rice", "needing_aid", Decimal("2"), 10),
    Norm("quilt", "relocated", Decimal("1"), 8),
]


@pytest.fixture
def depot(world, engine: Engine) -> None:  # noqa: F811
    with transaction(engine) as session:
        network.create_warehouse(session, SYSTEM, DEPOT)
        for item in ITEMS:
            network.create_item(session, SYSTEM, item)
        for township in ("150102001", "150102002"):
            network.create_road(
                session, SYSTEM, Road(None, "WX", township, Decimal("8"), Decimal("0.5"))
            )
        stock.receive_stock(
            session,
            SYSTEM,
            "WX",
            "initial stock",
            [
                ReceiptLineIn(
                    item_code="rice", quantity=300, lot="R-LATE", expires_on=date(2028, 1, 1)
                ),
                ReceiptLineIn(
                    item_code="rice", quantity=200, lot="R-EARLY", expires_on=date(2027, 6, 1)
                ),
                ReceiptLineIn(item_code="quilt", quantity=100),
            ],
        )
        load_policy(
            session,
            SYSTEM,
            Policy(
                effective_from=date(2020, 1, 1),
                deadlines_h={level: Decimal(12) for level in (1, 2, 3, 4)},
                norms=NORMS,
            ),
            "test",
        )


@pytest.fixture
def received(depot, engine: Engine, client, world) -> Callable[..., int]:  # noqa: F811
    """An order from the depot to a township, dispatched, and signed for by the township's
    staff through the API; returns the order id."""

    def _received(rice: int = 20, quilt: int = 10, township: str = "150102001", who=None) -> int:
        with transaction(engine) as session:
            order = dispatch.create_order(
                session,
                SYSTEM,
                source_warehouse_code="WX",
                destination_code=township,
                destination_kind="region",
                lines=[dispatch.OrderLine("rice", rice), dispatch.OrderLine("quilt", quilt)],
                route=["WX", township],
                eta_h=Decimal("0.5"),
                distance_km=Decimal("8"),
                reference="plan 1",
            )
            dispatch.dispatch_order(
                session,
                SYSTEM,
                order.id,
                lines=None,
                vehicle="货车",
                driver="王师傅",
                plate="蒙A12345",
            )
            order_id = order.id
        reply = client.post(
            f"/api/v1/dispatch-orders/{order_id}/receive",
            json={
                "lines": [
                    {"item_code": "rice", "received": rice},
                    {"item_code": "quilt", "received": quilt},
                ]
            },
            headers=who or (world.township if township == "150102001" else world.clerk),
        )
        assert reply.status_code == 200, reply.text
        return order_id  # type: ignore[return-value]

    return _received
