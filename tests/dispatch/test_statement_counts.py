"""What the load's stock chain costs in SQL statements (issue 17), pinned so that it cannot
grow back: a transfer reads the network token instead of the network (the road graph is
kept per token) and both its warehouses in one statement; a receipt looks its warehouse up
once; a warehouse's stock rows come with their lots in one query. A transfer's and a
receipt's reply is read after the commit, in a second transaction, so that the stock row
they lock is held for the write alone; a receipt changes its stock and lot rows with one
UPDATE each (no SELECT … FOR UPDATE first). A transfer's reservation and a dispatch lock
the source's stock row last, with the change itself (a conditional UPDATE), after the
order's own rows: the row is held for a few statements and the commit."""

from __future__ import annotations

from sqlalchemy import event

# SQLite counts the BEGIN of each request's transaction as a statement too.
TRANSFER, DISPATCH, RECEIPT, STOCK = 16, 15, 11, 3
# Statements from the one that locks the source's stock row to the commit. A transfer: the
# reserving UPDATE, the UPDATE that checks it again against the expired lots and stamps
# the row, its audit and ledger rows (was 10: the row was locked before the order number).
# A dispatch: the UPDATE, the lots' locking read, the audit row, the lot, the ledger row,
# the order's lot row (was 11: locked twice before the order's own rows were written).
TRANSFER_HOLDS, DISPATCH_HOLDS = 4, 6
# The receipt of a transfer at the destination: its stock row's UPDATE, the lot's, the audit
# row (was ≈ 12: the row was locked before the lots, the ledger and the order's own rows).
RECEIVE_HOLDS = 3
TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}


def _begins(engine, transactions: int = 1) -> int:
    return transactions if engine.dialect.name == "sqlite" else 0


def test_a_transfer_once_the_road_graph_is_kept(client, users, engine, count_statements):
    body = {
        "from_warehouse_code": "W1",
        "to_warehouse_code": "W2",
        "lines": [{"item_code": "tent", "quantity": 1}],
        "reason": "补库",
    }

    def transfer() -> None:
        reply = client.post("/api/v1/transfers", json=body, headers=users["mgr1"])
        assert reply.status_code == 201, reply.text
        assert reply.json()["route"] == ["W1", "W2"]

    transfer()  # builds and keeps the road graph of this network token
    assert count_statements(transfer) == TRANSFER + _begins(engine, transactions=2)
    assert _held_for(engine, transfer) == TRANSFER_HOLDS


def test_a_dispatch(client, users, engine, make_order, count_statements):
    orders = iter([make_order(lines=[{"item_code": "rice", "quantity": 1}]) for _ in range(3)])

    def send() -> None:
        reply = client.post(
            f"/api/v1/dispatch-orders/{next(orders)}/dispatch", json=TRUCK, headers=users["mgr1"]
        )
        assert reply.status_code == 200, reply.text

    send()  # warm up
    assert count_statements(send) == DISPATCH + _begins(engine, transactions=2)
    assert _held_for(engine, send) == DISPATCH_HOLDS


def test_the_receipt_of_a_transfer_changes_the_destinations_row_last(client, users, engine):
    def received() -> None:
        body = {
            "from_warehouse_code": "W1",
            "to_warehouse_code": "W2",
            "lines": [{"item_code": "rice", "quantity": 3}],
            "reason": "补库",
        }
        order = client.post("/api/v1/transfers", json=body, headers=users["mgr1"]).json()
        url = f"/api/v1/dispatch-orders/{order['id']}"
        assert client.post(f"{url}/dispatch", json=TRUCK, headers=users["mgr1"]).status_code == 200
        counted = {"lines": [{"item_code": "rice", "received": 3}], "note": ""}
        reply = client.post(f"{url}/receive", json=counted, headers=users["mgr2"])
        assert reply.status_code == 200, reply.text

    received()  # warm up: the destination's rice row is made
    # Of the three requests, only the receive adds to a stock row (W2's): its last UPDATE.
    assert _held_for(engine, received, adding=True) == RECEIVE_HOLDS


def _held_for(engine, call, *, adding: bool = False) -> int:
    """How many statements `call` sends from the first one that changes (and so locks) a
    stock row — or, `adding`, the last one that adds to a row's on_hand — up to the commit
    of its transaction."""
    seen: list[str] = []
    ends: list[int] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    def on_commit(_conn) -> None:
        ends.append(len(seen))

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    changes = [i for i, s in enumerate(seen) if s.startswith("UPDATE stock_levels")]
    if adding:
        changes = [i for i in changes if "on_hand=(stock_levels.on_hand +" in seen[i]]
    first = changes[-1] if adding else changes[0]
    return next(e for e in ends if e > first) - first


def test_a_receipt_and_a_stock_read(client, users, engine, count_statements):
    serial = iter(range(10))

    def receive() -> None:
        reply = client.post(
            "/api/v1/warehouses/W1/receipts",
            json={
                "reference": f"RK-{next(serial)}",
                "lines": [{"item_code": "rice", "quantity": 2}],
            },
            headers=users["mgr1"],
        )
        assert reply.status_code == 201, reply.text
        assert [s["item_code"] for s in reply.json()["stock"]] == ["rice"]

    receive()  # warm up
    assert count_statements(receive) == RECEIPT + _begins(engine, transactions=2)

    def read() -> None:
        reply = client.get("/api/v1/warehouses/W1/stock", headers=users["mgr1"])
        assert reply.status_code == 200, reply.text
        tents = next(s for s in reply.json() if s["item_code"] == "tent")
        assert [lot["lot"] for lot in tents["lots"]] == ["L-OLD", "L-NEW"]

    assert count_statements(read) == STOCK + _begins(engine)
