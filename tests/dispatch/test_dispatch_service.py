"""Order numbers, lateness and fulfilment: the service on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from relief import clock
from relief.auth.models import Actor
from relief.db import session_for, transaction
from relief.dispatch import service as dispatch
from relief.emergency import responses
from relief.emergency import service as events
from relief.emergency.models import DemandLineIn, EventIn, ResponseIn
from relief.emergency.policy import load_policy
from relief.emergency.records import Policy
from relief.errors import DomainError

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 7, 11, 9, 0, tzinfo=CST)
DUTY = Actor(username="duty", role="duty_officer")
MGR1 = Actor(username="mgr1", role="warehouse_manager", warehouse_codes=("W1",))
# Goods for a region are counted in by county staff in scope (the service checks it).
CLERK_WC = Actor(username="clerk_wc", role="county_staff", region_codes=("150125",))
TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}


def _at(moment: datetime) -> None:
    clock.set_clock(lambda: moment.astimezone(UTC))


def _number(engine, order_id: int) -> str:
    with session_for(engine, write=False) as session:
        return dispatch.get_order(session, order_id).number


def test_numbers_count_per_day_in_china_time(engine, make_order):
    _at(datetime(2026, 7, 11, 23, 59, tzinfo=CST))
    first, second = make_order(), make_order(lines=[{"item_code": "rice", "quantity": 1}])
    # 00:01 in China is still 11 July in UTC: the number follows the China date.
    _at(datetime(2026, 7, 12, 0, 1, tzinfo=CST))
    third = make_order(lines=[{"item_code": "rice", "quantity": 1}])
    assert [_number(engine, i) for i in (first, second, third)] == [
        "DB-20260711-0001",
        "DB-20260711-0002",
        "DB-20260712-0001",
    ]


def test_create_order_refuses_what_does_not_fit_and_names_the_line(engine, world):
    with pytest.raises(DomainError) as caught, transaction(engine) as session:
        dispatch.create_order(
            session,
            DUTY,
            source_warehouse_code="W1",
            destination_code="150125",
            destination_kind="region",
            lines=[dispatch.OrderLine("rice", 10), dispatch.OrderLine("tent", 81)],
            route=None,
            eta_h=None,
            distance_km=None,
            reference="plan 1",
        )
    assert (caught.value.code, caught.value.field) == ("stock_insufficient", "lines[1].quantity")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"source_warehouse_code": "NOPE"}, "unknown_code", "source_warehouse_code"),
        ({"destination_code": "999999"}, "unknown_code", "destination_code"),
        ({"destination_kind": "village"}, "validation_error", "destination_kind"),
        (
            {"destination_code": "W1", "destination_kind": "warehouse"},
            "validation_error",
            "destination_code",
        ),
        ({"lines": []}, "validation_error", "lines"),
        ({"lines": [{"item_code": "gold", "quantity": 1}]}, "unknown_code", "lines[0].item_code"),
        (
            {"lines": [{"item_code": "tent", "quantity": 0}]},
            "validation_error",
            "lines[0].quantity",
        ),
        (
            {"lines": [{"item_code": "tent", "quantity": 1}, {"item_code": "tent", "quantity": 2}]},
            "validation_error",
            "lines[1].item_code",
        ),
        ({"eta_h": Decimal(-1)}, "validation_error", "eta_h"),
        ({"distance_km": "far"}, "validation_error", "distance_km"),
    ],
)
def test_create_order_checks_its_arguments(engine, world, changes, code, field):
    arguments = {
        "source_warehouse_code": "W1",
        "destination_code": "150125",
        "destination_kind": "region",
        "lines": [dispatch.OrderLine("tent", 1)],
        "route": None,
        "eta_h": None,
        "distance_km": None,
        "reference": "plan 1",
        **changes,
    }
    with pytest.raises(DomainError) as caught, transaction(engine) as session:
        dispatch.create_order(session, DUTY, **arguments)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_an_order_past_its_eta_and_not_received_is_late(engine, make_order):
    _at(T0)
    order_id = make_order(eta_h="1.25")

    def late_at(moment: datetime) -> bool:
        with session_for(engine, write=False) as session:
            return dispatch.order_view(session, dispatch.get_order(session, order_id), moment).late

    # Not yet dispatched: due loading_h (the default 2 h) + eta_h after creation — not the
    # hour after approval, before anyone could load a truck.
    assert late_at(T0 + timedelta(minutes=1)) is False
    assert late_at(T0 + timedelta(hours=1, minutes=16)) is False
    assert late_at(T0 + timedelta(hours=3, minutes=15)) is False
    assert late_at(T0 + timedelta(hours=3, minutes=16)) is True
    _at(T0 + timedelta(hours=4))
    with transaction(engine) as session:
        dispatch.dispatch_order(session, MGR1, order_id, **TRUCK)
    # Dispatched (late itself): due eta_h after it left.
    assert late_at(T0 + timedelta(hours=5, minutes=15)) is False
    assert late_at(T0 + timedelta(hours=5, minutes=16)) is True
    with transaction(engine) as session:
        dispatch.receive_order(
            session,
            CLERK_WC,
            order_id,
            lines=[
                {"item_code": "tent", "received": 40},
                {"item_code": "rice", "received": 100},
            ],
        )
    assert late_at(T0 + timedelta(days=3)) is False


def test_the_loading_time_an_order_was_made_with_counts_until_it_is_dispatched(engine, world):
    _at(T0)
    with transaction(engine) as session:
        order = dispatch.create_order(
            session,
            DUTY,
            source_warehouse_code="W1",
            destination_code="150125",
            destination_kind="region",
            lines=[dispatch.OrderLine("tent", 1)],
            route=["W1", "150125"],
            eta_h=Decimal("1.5"),
            distance_km=Decimal(60),
            reference="plan 1",
            loading_h=Decimal("0.5"),
        )
        order_id = order.id
    with session_for(engine, write=False) as session:
        row = dispatch.get_order(session, order_id)
        view = dispatch.order_view(session, row, T0 + timedelta(hours=2, minutes=1))
        assert (view.loading_h, view.late) == (0.5, True)
        assert view.expected_at == T0 + timedelta(hours=2)
        assert dispatch.is_late(row, T0 + timedelta(hours=2)) is False


def test_an_order_without_eta_is_never_late(engine, make_order):
    _at(T0)
    order_id = make_order(eta_h=None)
    with session_for(engine, write=False) as session:
        view = dispatch.order_view(
            session, dispatch.get_order(session, order_id), T0 + timedelta(days=30)
        )
    assert (view.late, view.expected_at) == (False, None)


def test_fulfilment_sums_the_responses_orders_to_regions_per_region_and_item(engine, make_order):
    _at(T0)
    delivered = make_order("150125", response_id=7)
    cancelled = make_order("150121", [{"item_code": "rice", "quantity": 5}], response_id=7)
    make_order("150121", [{"item_code": "tent", "quantity": 3}], response_id=7)
    make_order("150125", [{"item_code": "rice", "quantity": 9}], response_id=8)
    make_order("W2", [{"item_code": "rice", "quantity": 9}], kind="warehouse", response_id=7)
    with transaction(engine) as session:
        dispatch.dispatch_order(session, MGR1, delivered, **TRUCK)
        dispatch.receive_order(
            session,
            CLERK_WC,
            delivered,
            lines=[
                {"item_code": "tent", "received": 30, "reason": "路断"},
                {"item_code": "rice", "received": 100},
            ],
        )
        dispatch.cancel_order(session, DUTY, cancelled)
    demand = [
        {"region_code": "150125", "item_code": "tent", "quantity": 50},
        {"region_code": "150125", "item_code": "rice", "quantity": 100},
        {"region_code": "150121", "item_code": "rice", "quantity": 20},
    ]

    def rows(deadline: datetime | None, at: datetime) -> list[tuple]:
        with session_for(engine, write=False) as session:
            return [
                (
                    r.region_code,
                    r.item_code,
                    r.demand,
                    r.planned,
                    r.dispatched,
                    r.received,
                    r.overdue,
                )
                for r in dispatch.fulfilment(session, 7, demand, deadline, at)
            ]

    before_deadline = rows(T0 + timedelta(hours=4), T0 + timedelta(hours=3))
    assert before_deadline == [
        ("150121", "rice", 20, 0, 0, 0, False),
        ("150121", "tent", 0, 3, 0, 0, False),
        ("150125", "rice", 100, 100, 100, 100, False),
        ("150125", "tent", 50, 40, 40, 30, False),
    ]
    after_deadline = rows(T0 + timedelta(hours=4), T0 + timedelta(hours=5))
    assert [r[-1] for r in after_deadline] == [False, True, False, True]
    assert [r[-1] for r in rows(None, T0 + timedelta(days=9))] == [False] * 4


@pytest.fixture
def response_id(engine, world) -> int:
    """A level-4 response over both counties, with its demand edited to known figures."""
    _at(T0)
    policy = Policy(deadlines_h={1: Decimal(8), 2: Decimal(6), 3: Decimal(4), 4: Decimal(2)})
    with transaction(engine) as session:
        load_policy(session, DUTY, policy, "dispatch-tests")
        event = events.create_event(
            session,
            DUTY,
            EventIn(
                name="武川县暴雨",
                hazard="flood",
                started_at=T0 - timedelta(hours=3),
                region_codes=["150125", "150121"],
            ),
        )
        response = responses.trigger_response(
            session, DUTY, event.id, ResponseIn(level=4, override_reason="演练")
        )
        responses.replace_demand(
            session,
            DUTY,
            response.id,
            [
                DemandLineIn(region_code="150125", item_code="tent", quantity=50),
                DemandLineIn(region_code="150121", item_code="rice", quantity=20),
            ],
        )
        return response.id


def test_fulfilment_of_a_response_uses_its_demand_and_supplies_arrive_deadline(
    client, users, make_order, response_id
):
    order_id = make_order(
        "150125", [{"item_code": "tent", "quantity": 40}], response_id=response_id
    )
    url = f"/api/v1/responses/{response_id}/fulfilment"
    _at(T0 + timedelta(hours=1))
    reply = client.get(url, headers=users["clerk_wc"])
    assert reply.status_code == 200, reply.text
    assert reply.json() == [
        {
            "region_code": "150121",
            "item_code": "rice",
            "demand": 20,
            "planned": 0,
            "dispatched": 0,
            "received": 0,
            "overdue": False,
        },
        {
            "region_code": "150125",
            "item_code": "tent",
            "demand": 50,
            "planned": 40,
            "dispatched": 0,
            "received": 0,
            "overdue": False,
        },
    ]
    # supplies_arrive is 2 h after the level-4 trigger at T0.
    _at(T0 + timedelta(hours=2, minutes=1))
    assert [r["overdue"] for r in client.get(url, headers=users["duty"]).json()] == [False, True]
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()
    assert order["late"] is False  # due 2 h loading + 1.25 h after creation at T0
    _at(T0 + timedelta(hours=3, minutes=16))
    order = client.get(f"/api/v1/dispatch-orders/{order_id}", headers=users["duty"]).json()
    assert (order["late"], order["loading_h"]) == (True, 2.0)
    assert client.get("/api/v1/responses/999/fulfilment", headers=users["duty"]).status_code == 404
