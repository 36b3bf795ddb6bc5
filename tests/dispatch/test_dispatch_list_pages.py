"""GET /dispatch-orders is one page from the database ({items, total, limit, offset}), and
a page costs the same number of SQL statements whatever its size (no query per order)."""

from __future__ import annotations

from relief.dispatch import service as dispatch

TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}


def _orders(make_order, count: int) -> list[int]:
    lines = [dispatch.OrderLine("tent", 2), dispatch.OrderLine("rice", 5)]
    return [make_order("150125", lines=lines, response_id=9) for _ in range(count)]


def test_the_orders_list_is_paged_in_the_database_oldest_first(client, users, make_order):
    ids = _orders(make_order, 7)
    url = "/api/v1/dispatch-orders?response_id=9&limit=3"
    first = client.get(url, headers=users["duty"]).json()
    assert [o["id"] for o in first["items"]] == ids[:3]
    assert (first["total"], first["limit"], first["offset"]) == (7, 3, 0)
    last = client.get(url + "&offset=6", headers=users["duty"]).json()
    assert [o["id"] for o in last["items"]] == ids[6:]
    newest = client.get(url + "&sort=-id", headers=users["duty"]).json()
    assert [o["id"] for o in newest["items"]] == ids[::-1][:3]
    # A manager's page counts only what the manager may see.
    assert client.get(url, headers=users["mgr3"]).json()["total"] == 0


def test_a_bad_page_size_or_sort_is_refused_naming_the_field(client, users):
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset")):
        reply = client.get(f"/api/v1/dispatch-orders?{query}", headers=users["duty"])
        assert reply.status_code == 422, query
        assert reply.json()["detail"]["field"] == field
    reply = client.get("/api/v1/dispatch-orders?sort=colour", headers=users["duty"])
    assert reply.status_code == 422
    assert reply.json()["detail"]["field"] == "sort"


def test_an_orders_page_issues_as_many_statements_for_twelve_orders_as_for_two(
    client, users, make_order, count_statements
):
    ids = _orders(make_order, 12)
    for order_id in ids[::2]:  # half shipped (lots kept on the order), half still reserved
        reply = client.post(
            f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"]
        )
        assert reply.status_code == 200, reply.text
    headers = users["duty"]

    def page(limit: int):
        def _get() -> None:
            reply = client.get(f"/api/v1/dispatch-orders?limit={limit}", headers=headers)
            assert len(reply.json()["items"]) == limit

        return _get

    page(2)()  # warm up whatever is loaded once per process
    small, large = count_statements(page(2)), count_statements(page(12))
    assert small > 0
    assert large == small, f"{small} statements for 2 orders, {large} for 12"
