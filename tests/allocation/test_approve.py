"""Approving plans on the Guizhou flood: dispatch orders and reservations in one
transaction, the 409s that leave nothing reserved (stale, superseded, already approved, no
longer fits), two approvals racing for the same stock, and planning what is left after an
approval."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from relief.allocation import pipeline
from relief.auth.models import SYSTEM
from relief.db import make_engine, session_for, transaction
from relief.emergency import responses
from relief.emergency import service as events
from relief.emergency.models import ResponseIn
from relief.scenario.loader import load_scenario
from relief.stock import service as stock
from relief.stock.check import check_ledger

GUIZHOU = Path(__file__).parents[2] / "scenarios" / "guizhou"


@pytest.fixture(scope="module")
def _loaded_sqlite(_database_template, tmp_path_factory) -> Path | None:
    """Guizhou loaded into a copy of the migrated SQLite template once per module (loading
    takes seconds); None on PostgreSQL, where each test loads it."""
    if _database_template["kind"] != "sqlite":
        return None
    path = tmp_path_factory.mktemp("approve") / "guizhou.db"
    shutil.copyfile(_database_template["path"], path)
    loader = make_engine(f"sqlite:///{path}")
    with transaction(loader) as session:
        load_scenario(session, SYSTEM, GUIZHOU)
    loader.dispose()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def database_url(database_url: str, _loaded_sqlite: Path | None) -> str:
    if _loaded_sqlite is not None:
        shutil.copyfile(_loaded_sqlite, database_url.split(":///", 1)[1])
    return database_url


@pytest.fixture
def flood(engine, client, make_user, login):
    """A level-2 response to the Guizhou flood, triggered through the emergency service,
    and a duty officer's headers."""
    with transaction(engine) as session:
        if events.event_by_key(session, "flood") is None:
            load_scenario(session, SYSTEM, GUIZHOU)
        event = events.event_by_key(session, "flood")
        response = responses.trigger_response(
            session, SYSTEM, event.id, ResponseIn(level=2, note="II级响应")
        )
    make_user("duty", "duty_officer")
    return SimpleNamespace(response_id=response.id, headers=login("duty"))


def _plan(client, flood, method: str = "optimal") -> dict:
    reply = client.post(
        f"/api/v1/responses/{flood.response_id}/plans",
        json={"method": method},
        headers=flood.headers,
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def _set_demand(client, flood, lines: list[tuple[str, str, int]]) -> None:
    """Replace the response's demand (a duty officer's edit): fewer lines, fewer orders."""
    body = [{"region_code": j, "item_code": k, "quantity": q} for j, k, q in lines]
    reply = client.put(
        f"/api/v1/responses/{flood.response_id}/demand", json=body, headers=flood.headers
    )
    assert reply.status_code == 200, reply.text


def _stock(engine) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(on_hand, reserved, floor) of every warehouse × item."""
    with session_for(engine, write=False) as session:
        return {
            (s.warehouse_code, s.item_code): (s.on_hand, s.reserved, s.floor)
            for s in stock.stock_levels_for_allocation(session)
        }


def _ledger_clean_and_floors_kept(engine) -> None:
    with session_for(engine, write=False) as session:
        assert check_ledger(session) == []
    for key, (on_hand, reserved, floor) in _stock(engine).items():
        assert on_hand - reserved >= floor, key  # available is never negative


def _orders(client, flood) -> list[dict]:
    reply = client.get(
        f"/api/v1/dispatch-orders?response_id={flood.response_id}&limit=500", headers=flood.headers
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["items"]


def test_approval_turns_the_plan_into_reserved_orders_per_warehouse_and_region(
    client, engine, flood, admin_headers
):
    plan = _plan(client, flood)
    rival = _plan(client, flood, "greedy")
    before = _stock(engine)

    reply = client.post(f"/api/v1/plans/{plan['id']}/approve", json={}, headers=flood.headers)
    assert reply.status_code == 200, reply.text
    approved = reply.json()
    assert (approved["state"], approved["stale"]) == ("approved", False)
    assert approved["lines"] == plan["lines"]

    orders = _orders(client, flood)
    pairs = {(li["warehouse_code"], li["region_code"]) for li in plan["lines"]}
    assert len(orders) == len(pairs)
    planned: dict[tuple[str, str, str], dict] = {
        (li["warehouse_code"], li["region_code"], li["item_code"]): li for li in plan["lines"]
    }
    ordered = Counter()
    for order in orders:
        assert (order["status"], order["destination_kind"]) == ("reserved", "region")
        assert (order["plan_id"], order["response_id"]) == (plan["id"], flood.response_id)
        for line in order["lines"]:
            source = planned[
                (order["source_warehouse_code"], order["destination_code"], line["item_code"])
            ]
            assert line["quantity"] == source["quantity"]
            assert order["route"] == source["path"]
            assert float(order["eta_h"]) == source["eta_h"]
            ordered[(order["source_warehouse_code"], line["item_code"])] += line["quantity"]
    assert sum(ordered.values()) == plan["stats"]["allocated"]

    after = _stock(engine)
    for key, (on_hand, reserved, floor) in after.items():
        assert on_hand == before[key][0] and floor == before[key][2]
        assert reserved - before[key][1] == ordered.get(key, 0), key
    _ledger_clean_and_floors_kept(engine)

    again = client.post(f"/api/v1/plans/{plan['id']}/approve", headers=flood.headers)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "plan_already_approved"
    superseded = client.get(f"/api/v1/plans/{rival['id']}", headers=flood.headers).json()
    assert (superseded["state"], superseded["stale"]) == ("superseded", True)
    refused = client.post(f"/api/v1/plans/{rival['id']}/approve", headers=flood.headers)
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "plan_stale"
    assert len(_orders(client, flood)) == len(pairs) and _stock(engine) == after

    trail = client.get(
        f"/api/v1/audit?entity=plan&entity_id={plan['id']}", headers=admin_headers
    ).json()["items"]
    assert [r["action"] for r in trail] == ["approve", "create"]
    assert trail[0]["actor"] == "duty" and trail[0]["after"]["state"] == "approved"


def test_a_stock_change_after_planning_makes_the_plan_stale_and_approval_reserves_nothing(
    client, engine, flood, admin_headers
):
    _set_demand(client, flood, [("522732", "tent", 3000), ("522632", "water", 50000)])
    plan = _plan(client, flood)
    used = plan["lines"][0]
    receipt = client.post(
        f"/api/v1/warehouses/{used['warehouse_code']}/receipts",
        json={"reference": "补充入库", "lines": [{"item_code": used["item_code"], "quantity": 5}]},
        headers=admin_headers,
    )
    assert receipt.status_code == 201, receipt.text
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=flood.headers).json()["stale"] is True
    before = _stock(engine)

    reply = client.post(f"/api/v1/plans/{plan['id']}/approve", headers=flood.headers)
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "plan_stale"
    assert _orders(client, flood) == [] and _stock(engine) == before
    assert (
        client.get(f"/api/v1/plans/{plan['id']}", headers=flood.headers).json()["state"] == "draft"
    )

    fresh = _plan(client, flood)
    assert fresh["stale"] is False and fresh["fingerprint"] != plan["fingerprint"]
    ok = client.post(f"/api/v1/plans/{fresh['id']}/approve", headers=flood.headers)
    assert ok.status_code == 200, ok.text
    _ledger_clean_and_floors_kept(engine)


def test_lines_that_no_longer_fit_are_named_and_nothing_is_reserved(
    client, engine, flood, monkeypatch
):
    # The fingerprint catches every stock change first; pin it to reach the last check,
    # which guards approval should the fingerprint ever miss a change.
    monkeypatch.setattr(pipeline, "plan_fingerprint", lambda *args: "pinned")
    plan = _plan(client, flood)
    used = plan["lines"][0]
    key = (used["warehouse_code"], used["item_code"])
    on_hand, reserved, floor = _stock(engine)[key]
    with transaction(engine) as session:
        stock.adjust_stock(
            session, SYSTEM, *key, -(on_hand - reserved - floor), "水淹损毁 (stocktake)"
        )
    before = _stock(engine)

    reply = client.post(f"/api/v1/plans/{plan['id']}/approve", headers=flood.headers)
    assert reply.status_code == 409, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "plan_no_longer_fits"
    named = {(li["warehouse_code"], li["item_code"]) for li in detail["lines"]}
    assert named == {key}
    assert {li["available"] for li in detail["lines"]} == {0}
    assert len(detail["lines"]) == sum(
        1 for li in plan["lines"] if (li["warehouse_code"], li["item_code"]) == key
    )
    assert _orders(client, flood) == [] and _stock(engine) == before


def test_a_new_plan_after_approval_plans_only_what_is_left(client, engine, flood):
    first = _plan(client, flood)
    assert (
        client.post(f"/api/v1/plans/{first['id']}/approve", headers=flood.headers).status_code
        == 200
    )

    second = _plan(client, flood)
    assert second["stats"]["demand"] == first["stats"]["shortfall"]
    left = {b["item_code"]: b["demand"] - b["allocated"] for b in first["by_item"]}
    assert {b["item_code"]: b["demand"] for b in second["by_item"]} == {
        item: q for item, q in left.items() if q > 0
    }
    # The stock in reach of the short items went to the first plan: nothing more to give
    # (what is left lies too far away, or there is none).
    assert second["stats"]["allocated"] == 0
    assert {u["reason"] for u in second["unmet"]} <= {"deadline", "stock_exhausted"}

    # A cancelled order no longer covers anything: its goods are planned again.
    order = _orders(client, flood)[0]
    cancel = client.post(
        f"/api/v1/dispatch-orders/{order['id']}/cancel",
        json={"reason": "改道"},
        headers=flood.headers,
    )
    assert cancel.status_code == 200, cancel.text
    assert (
        client.get(f"/api/v1/plans/{second['id']}", headers=flood.headers).json()["stale"] is True
    )
    third = _plan(client, flood)
    returned = sum(line["quantity"] for line in order["lines"])
    assert third["stats"]["demand"] == second["stats"]["demand"] + returned
    assert third["stats"]["allocated"] == returned
    _ledger_clean_and_floors_kept(engine)


def test_two_plans_approved_at_once_that_need_more_than_the_stock_let_exactly_one_through(
    client, engine, flood, live_server, parallel
):
    # Far more toilets than the province keeps: each plan alone takes every one in reach.
    _set_demand(client, flood, [("522732", "toilet", 100000)])
    one, two = _plan(client, flood), _plan(client, flood)
    assert one["lines"] == two["lines"] and one["stats"]["shortfall"] > 0

    def approve(plan_id: int):
        def call() -> httpx.Response:
            with httpx.Client(base_url=live_server, headers=flood.headers, timeout=60) as http:
                return http.post(f"/api/v1/plans/{plan_id}/approve")

        return call

    replies = parallel([approve(one["id"]), approve(two["id"])])
    assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
    loser = next(r for r in replies if r.status_code == 409)
    assert loser.json()["detail"]["code"] == "plan_stale"
    winner = next(r for r in replies if r.status_code == 200).json()

    orders = _orders(client, flood)
    assert {o["plan_id"] for o in orders} == {winner["id"]}
    assert sum(li["quantity"] for o in orders for li in o["lines"]) == winner["stats"]["allocated"]
    _ledger_clean_and_floors_kept(engine)


def test_plans_of_two_events_racing_for_the_same_stock_let_exactly_one_through(
    client, engine, flood, live_server, parallel
):
    # A landslide in 黔西南 answered at level 2, where any warehouse in reach may serve
    # any region: its toilets come from the warehouses the flood's do.
    with transaction(engine) as session:
        landslide = events.event_by_key(session, "landslide")
        other = responses.trigger_response(
            session,
            SYSTEM,
            landslide.id,
            ResponseIn(level=2, note="II级响应", override_reason="与洪涝叠加，提级响应"),
        )
    slide = SimpleNamespace(response_id=other.id, headers=flood.headers)
    _set_demand(client, flood, [("522732", "toilet", 100000)])
    _set_demand(client, slide, [("522323", "toilet", 100000)])
    mine, theirs = _plan(client, flood), _plan(client, slide)
    shared = {li["warehouse_code"] for li in mine["lines"]} & {
        li["warehouse_code"] for li in theirs["lines"]
    }
    assert shared, "the two plans must compete for some warehouse's toilets"

    def approve(plan_id: int):
        def call() -> httpx.Response:
            with httpx.Client(base_url=live_server, headers=flood.headers, timeout=60) as http:
                return http.post(f"/api/v1/plans/{plan_id}/approve")

        return call

    replies = parallel([approve(mine["id"]), approve(theirs["id"])])
    assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
    assert next(r for r in replies if r.status_code == 409).json()["detail"]["code"] == "plan_stale"
    winner = next(r for r in replies if r.status_code == 200).json()
    with session_for(engine, write=False) as session:
        reserved = sum(s.reserved for s in stock.stock_levels_for_allocation(session))
    assert reserved == winner["stats"]["allocated"]
    _ledger_clean_and_floors_kept(engine)
