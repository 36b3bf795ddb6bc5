"""Issue 13, the dispatch pages through TestClient: an order is late only against the
expected arrival (approval + the policy's loading time + travel, or dispatch + travel), and
the orders list, the order page and the manager's home agree on it; the orders list sorts
by column and searches by number and destination; the manager's home lists what to
dispatch and to receive; the inbox links to a response's orders."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.dispatch import service as dispatch
from tests.web.conftest import MANAGED_WAREHOUSE, OTHER_WAREHOUSE
from tests.web.test_duty_pages import _recommended, _trigger, snowstorm  # noqa: F401 - fixture

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 7, 11, 9, 0, tzinfo=CST)


def _at(moment: datetime) -> None:
    clock.set_clock(lambda: moment.astimezone(UTC))


def _order(engine, destination: str = "150102001", *, kind: str = "region", eta: str = "1.00"):
    """An order from the managed depot as plan approval makes it (loading_h 2 h)."""
    with transaction(engine) as session:
        order = dispatch.create_order(
            session,
            SYSTEM,
            source_warehouse_code=MANAGED_WAREHOUSE,
            destination_code=destination,
            destination_kind=kind,
            lines=[dispatch.OrderLine("tent", 2)],
            route=[MANAGED_WAREHOUSE, destination],
            eta_h=Decimal(eta),
            distance_km=Decimal(30),
            reference="plan 1",
            loading_h=Decimal(2),
        )
        return order.id, order.number


def _late_rows(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-order="(\d+)" data-late="true"', html)}


def test_an_order_is_late_only_after_approval_plus_loading_plus_travel_on_every_page(
    client, engine, sign_in
):
    _at(T0)
    order_id, _ = _order(engine)
    _at(T0 + timedelta(minutes=50))  # within the hour after approval: nothing is late
    sign_in("manager")
    listing = client.get("/orders").text
    assert f'data-order="{order_id}"' in listing and order_id not in _late_rows(listing)
    home = client.get("/").text
    assert f'data-order="{order_id}"' in home and order_id not in _late_rows(home)
    page = client.get(f"/orders/{order_id}").text
    assert "已逾期" not in page
    # Due at 09:00 + 2 h loading + 1 h travel = 12:00 China time, shown on each page.
    assert "2026-07-11 12:00" in listing and "2026-07-11 12:00" in home
    assert "2026-07-11 12:00" in page

    _at(T0 + timedelta(hours=3, minutes=1))  # still not dispatched: late
    assert order_id in _late_rows(client.get("/orders").text)
    assert order_id in _late_rows(client.get("/").text)
    assert '<span class="badge out_of_stock">已逾期' in client.get(f"/orders/{order_id}").text
    api = client.get(f"/api/v1/dispatch-orders/{order_id}").json()
    assert api["late"] is True


def test_the_orders_list_searches_by_number_and_destination_and_sorts_by_column(
    client, engine, sign_in
):
    _at(T0)
    first, first_number = _order(engine, "150102001")  # 海拉尔东路街道
    second, second_number = _order(engine, "150102002")  # 锡林北路街道
    third, _ = _order(engine, OTHER_WAREHOUSE, kind="warehouse")  # 回民区…片区库
    sign_in("manager")

    def listed(query: str) -> list[int]:
        html = client.get(f"/orders?{query}").text.split('data-testid="orders.incoming"')[0]
        return [int(n) for n in re.findall(r'<tr data-order="(\d+)"', html)]

    assert listed("") == [third, second, first]  # newest first
    assert listed("q=锡林") == [second]
    assert listed(f"q={second_number.lower()}") == [second]
    assert listed(f"q={first_number[-4:]}") == [first]
    assert listed("q=回民区") == [third]
    assert listed("q=100%25") == []  # a wildcard is a character, not a pattern
    assert listed("sort=number") == [first, second, third]
    assert listed("sort=-number") == [third, second, first]
    assert listed("sort=destination")[:2] == [first, second]
    assert listed("sort=nonsense") == [third, second, first]
    # None dispatched yet: ties fall back to newest first, whichever way.
    assert listed("sort=-dispatched_at") == [third, second, first]
    # The column links keep the search, and say which way the list is sorted.
    html = client.get("/orders?q=街道&sort=number").text
    assert 'aria-sort="ascending"' in html
    assert re.search(r'href="/orders\?q=%E8%A1%97%E9%81%93&amp;sort=-number"', html)


def test_the_managers_home_lists_orders_to_dispatch_and_deliveries_to_receive(
    client, engine, sign_in, make_user
):
    _at(T0)
    outgoing, number = _order(engine)
    # An order from the other depot to the managed one, dispatched: to receive here.
    with transaction(engine) as session:
        incoming = dispatch.create_order(
            session,
            SYSTEM,
            source_warehouse_code=OTHER_WAREHOUSE,
            destination_code=MANAGED_WAREHOUSE,
            destination_kind="warehouse",
            lines=[dispatch.OrderLine("tent", 1)],
            route=None,
            eta_h=None,
            distance_km=None,
            reference="transfer",
        )
        dispatch.dispatch_order(
            session, SYSTEM, incoming.id, vehicle="车", driver="王", plate="蒙A1"
        )
        incoming_id = incoming.id
    sign_in("manager")
    home = client.get("/").text
    todo = home.split('data-testid="todo-dispatch"')[1].split('data-testid="todo-receive"')
    assert f'href="/orders/{outgoing}">{number}<' in todo[0]
    assert "海拉尔东路街道" in todo[0]
    assert f'href="/orders/{incoming_id}"' in todo[1]
    assert "回民区" in todo[1]


def test_an_inbox_notification_links_to_its_responses_orders(
    client,
    engine,
    sign_in,
    snowstorm,  # noqa: F811 - fixture
):
    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    response_id = location.rsplit("/", 1)[1]
    client.cookies.clear()
    sign_in("manager")
    inbox = client.get("/inbox").text
    link = f'href="/orders?response={response_id}" data-testid="inbox-orders"'
    assert link in inbox
    html = client.get(f"/orders?response={response_id}").text
    assert 'data-testid="orders.outgoing"' in html
    # The list names the response by its event and level, never by its id.
    assert re.search(r'data-testid="orders-of-response">[^<]*级响应[^<]*的调拨单<', html)
    assert client.get("/orders?response=abc").status_code == 200
    assert client.get("/orders?response=99999999999999").status_code == 200
