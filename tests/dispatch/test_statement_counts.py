"""What the load's stock chain costs in SQL statements (issue 17), pinned so that it cannot
grow back: a transfer reads the network token instead of the network (the road graph is
kept per token) and both its warehouses in one statement; a receipt looks its warehouse up
once; a warehouse's stock rows come with their lots in one query. A transfer's and a
receipt's reply is read after the commit, in a second transaction, so that the stock row
they lock is held for the write alone; a receipt changes its stock and lot rows with one
UPDATE each (no SELECT … FOR UPDATE first)."""

from __future__ import annotations

# SQLite counts the BEGIN of each request's transaction as a statement too.
TRANSFER, RECEIPT, STOCK = 18, 11, 3


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
