"""A transfer goes around the roads the active response lists as closed, as that
response's plans do (issue 13 review #40): the 调拨单 never sends a driver over a road
the duty officer closed; with no open way at all the transfer is refused (422)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from relief.db import transaction
from relief.emergency import service as emergency
from relief.emergency.models import EventIn, ResponseRow, RoadClosureRow
from relief.network import service as network
from relief.network.records import Road
from tests.dispatch.conftest import DUTY, SETUP


def _close_w1_w2(engine, *, active: bool = True) -> None:
    """An event whose response closed the W1—W2 road."""
    with transaction(engine) as session:
        event = emergency.create_event(
            session,
            DUTY,
            EventIn(
                name="暴雪",
                hazard="snowstorm",
                started_at=datetime(2026, 1, 18, tzinfo=UTC),
                region_codes=["150125"],
            ),
        )
        road = next(
            r for r in network.list_roads(session) if {r.from_code, r.to_code} == {"W1", "W2"}
        )
        session.add(RoadClosureRow(event_id=event.id, road_id=road.id, closed_by="duty"))
        session.add(
            ResponseRow(
                event_id=event.id,
                level=4,
                status="active" if active else "ended",
                triggered_by="duty",
            )
        )


def _transfer(client, headers):
    body = {
        "from_warehouse_code": "W1",
        "to_warehouse_code": "W2",
        "lines": [{"item_code": "tent", "quantity": 5}],
        "reason": "补库",
    }
    return client.post("/api/v1/transfers", json=body, headers=headers)


def test_a_transfer_routes_around_a_road_the_active_response_closed(client, users, engine):
    with transaction(engine) as session:  # the long way: W1 → 150121 → 150125 → W2
        network.create_road(
            session, SETUP, Road(None, "150121", "150125", Decimal("60"), Decimal("2"))
        )
    assert _transfer(client, users["mgr1"]).json()["route"] == ["W1", "W2"]
    _close_w1_w2(engine)
    reply = _transfer(client, users["mgr1"])
    assert reply.status_code == 201, reply.text
    order = reply.json()
    assert order["route"] == ["W1", "150121", "150125", "W2"]
    assert float(order["distance_km"]) == 30 + 60 + 5


def test_a_transfer_with_only_closed_roads_between_is_refused(client, users, engine, level):
    _close_w1_w2(engine)
    reply = _transfer(client, {**users["mgr1"], "Accept-Language": "zh-CN"})
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert (detail["code"], detail["field"]) == ("no_open_route", "to_warehouse_code")
    assert "呼和浩特市骨干库" in detail["message"] and "武川县片区库" in detail["message"]
    assert level("W1", "tent").reserved == 0


def test_the_closures_of_an_ended_response_do_not_count(client, users, engine):
    _close_w1_w2(engine, active=False)
    reply = _transfer(client, users["mgr1"])
    assert reply.status_code == 201 and reply.json()["route"] == ["W1", "W2"]


def test_a_road_closed_through_one_app_is_routed_around_by_another_apps_next_transfer(
    client, users, engine, settings, database_url
):
    """Every worker keeps the road graph it built, under the network token the database
    replaces with any change to roads, warehouses or regions: a road closed through one
    app (its own engine, as another worker would have) is seen by the next transfer of
    another, and so is its reopening."""
    from fastapi.testclient import TestClient

    from relief.app import create_app
    from relief.db import make_engine

    with transaction(engine) as session:  # the long way: W1 → 150121 → 150125 → W2
        network.create_road(
            session, SETUP, Road(None, "150121", "150125", Decimal("60"), Decimal("2"))
        )
        direct = next(
            r.id for r in network.list_roads(session) if {r.from_code, r.to_code} == {"W1", "W2"}
        )
    other_engine = make_engine(database_url)
    try:
        with TestClient(create_app(settings, other_engine)) as other:
            assert _transfer(other, users["mgr1"]).json()["route"] == ["W1", "W2"]
            closed = client.patch(
                f"/api/v1/roads/{direct}",
                json={"status": "closed", "note": "桥梁冲毁"},
                headers=users["duty"],
            )
            assert closed.status_code == 200, closed.text
            assert _transfer(other, users["mgr1"]).json()["route"] == [
                "W1",
                "150121",
                "150125",
                "W2",
            ]
            reopened = client.patch(
                f"/api/v1/roads/{direct}",
                json={"status": "open", "note": "抢通"},
                headers=users["duty"],
            )
            assert reopened.status_code == 200, reopened.text
            assert _transfer(other, users["mgr1"]).json()["route"] == ["W1", "W2"]
    finally:
        other_engine.dispose()


def test_a_transfer_reads_the_network_token_not_the_network(client, users, engine):
    """Once a worker has the road graph of the current network token, a transfer reads one
    row for it instead of the regions, warehouses and roads."""
    from sqlalchemy import event

    assert _transfer(client, users["mgr1"]).status_code == 201
    seen: list[str] = []

    def _on_execute(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _on_execute)
    try:
        reply = _transfer(client, users["mgr1"])
    finally:
        event.remove(engine, "before_cursor_execute", _on_execute)
    assert reply.status_code == 201 and reply.json()["route"] == ["W1", "W2"]
    read = " ".join(seen)
    assert "FROM network_version" in read
    assert "FROM roads" not in read and "FROM regions" not in read
