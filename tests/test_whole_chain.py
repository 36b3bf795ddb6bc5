"""The whole chain on a shipped scenario, through the API as the three roles use it:
Hohhot snowstorm → a phoned-in report → assessment → response → plan → approval →
dispatch (one order short) → receipt with a discrepancy → fulfilment → ledger clean."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from relief.auth.models import SYSTEM
from relief.clock import CST
from relief.db import session_for, transaction
from relief.emergency import service as events
from relief.emergency.records import COUNT_FIELDS
from relief.scenario.loader import load_scenario
from relief.stock.check import check_ledger

HOHHOT = Path(__file__).parents[1] / "scenarios" / "hohhot"


def _ok(reply, status: int = 200) -> dict | list:
    assert reply.status_code == status, reply.text
    return reply.json()


def test_snowstorm_from_report_to_received_supplies_keeps_the_ledger_true(
    engine, client, make_user, login
):
    with transaction(engine) as session:
        load_scenario(session, SYSTEM, HOHHOT)
        event_id = events.event_by_key(session, "snowstorm").id
    make_user("duty", "duty_officer")
    duty = login("duty")

    # A phoned-in update for a township already reported: 40 more people relocated.
    reports = _ok(client.get(f"/api/v1/events/{event_id}/reports", headers=duty))["items"]
    first = reports[0]
    update = {name: first[name] for name in COUNT_FIELDS}
    update["relocated"] += 40
    kind = "final" if first["kind"] == "final" else "update"
    reported_at = (datetime.now(CST) - timedelta(minutes=5)).isoformat()
    body = {"region_code": first["region_code"], "kind": kind, "reported_at": reported_at}
    # Its figures differ from the region's latest report: a 续报 says why (issue 14).
    body["explanation"] = "电话补报"
    _ok(
        client.post(f"/api/v1/events/{event_id}/reports", json={**body, **update}, headers=duty),
        201,
    )

    assessment = _ok(client.get(f"/api/v1/events/{event_id}/assessment", headers=duty))
    assert assessment["recommended_level"] == 4
    response = _ok(
        client.post(
            f"/api/v1/events/{event_id}/responses",
            json={"level": 4, "note": "启动四级响应"},
            headers=duty,
        ),
        201,
    )
    rid = response["id"]
    assert response["status"] == "active" and response["deadlines"]["supplies_arrive"]

    demand = _ok(client.get(f"/api/v1/responses/{rid}/demand", headers=duty))
    demand_of = {(d["region_code"], d["item_code"]): d["quantity"] for d in demand}
    plan = _ok(
        client.post(f"/api/v1/responses/{rid}/plans", json={"method": "optimal"}, headers=duty), 201
    )
    assert plan["status"] == "optimal" and plan["stats"]["shortfall"] == 0
    _ok(client.post(f"/api/v1/plans/{plan['id']}/approve", json={}, headers=duty))

    orders = _ok(client.get(f"/api/v1/dispatch-orders?response_id={rid}&limit=500", headers=duty))[
        "items"
    ]
    planned = defaultdict(int)
    for line in plan["lines"]:
        planned[(line["region_code"], line["item_code"])] += line["quantity"]
    assert sum(len(o["lines"]) for o in orders) == len(plan["lines"])
    assert all(o["status"] == "reserved" for o in orders)

    # Order A ships in full; order B ships one unit short of its first line.
    order_a, order_b = orders[0], next(o for o in orders[1:] if o["lines"][0]["quantity"] > 1)
    truck = {"vehicle": "厢式货车", "driver": "张师傅", "plate": "蒙A·12345"}
    for order in (order_a, order_b):
        code = order["source_warehouse_code"]
        make_user(f"mgr_{order['id']}", "warehouse_manager", warehouses=[code])
    _ok(
        client.post(
            f"/api/v1/dispatch-orders/{order_a['id']}/dispatch",
            json=truck,
            headers=login(f"mgr_{order_a['id']}"),
        )
    )
    short_line = order_b["lines"][0]
    _ok(
        client.post(
            f"/api/v1/dispatch-orders/{order_b['id']}/dispatch",
            json={
                **truck,
                "lines": [
                    {
                        "item_code": short_line["item_code"],
                        "quantity": short_line["quantity"] - 1,
                        "reason": "一件包装破损，留库",
                    }
                ],
            },
            headers=login(f"mgr_{order_b['id']}"),
        )
    )

    # County staff of A's destination count what arrived: one unit of the first line missing.
    make_user("clerk", "county_staff", regions=[order_a["destination_code"]])
    a_first = order_a["lines"][0]
    received = [
        {"item_code": line["item_code"], "received": line["quantity"]}
        for line in order_a["lines"][1:]
    ]
    received.insert(
        0,
        {
            "item_code": a_first["item_code"],
            "received": a_first["quantity"] - 1,
            "reason": "途中丢失一件",
        },
    )
    receipt = _ok(
        client.post(
            f"/api/v1/dispatch-orders/{order_a['id']}/receive",
            json={"lines": received, "note": "到货清点"},
            headers=login("clerk"),
        )
    )
    assert receipt["status"] == "partially_delivered"

    rows = _ok(client.get(f"/api/v1/responses/{rid}/fulfilment", headers=duty))
    by_key = {(r["region_code"], r["item_code"]): r for r in rows}
    a_key = (order_a["destination_code"], a_first["item_code"])
    b_key = (order_b["destination_code"], short_line["item_code"])
    assert by_key[a_key]["demand"] == demand_of[a_key]
    assert by_key[a_key]["planned"] == planned[a_key]
    assert by_key[a_key]["received"] == a_first["quantity"] - 1
    if b_key != a_key:
        assert by_key[b_key]["dispatched"] == short_line["quantity"] - 1
        assert by_key[b_key]["received"] == 0
    assert sum(r["planned"] for r in rows) == plan["stats"]["allocated"]
    assert not any(r["overdue"] for r in rows)  # the deadline is hours away

    with session_for(engine, write=False) as session:
        assert check_ledger(session) == []
