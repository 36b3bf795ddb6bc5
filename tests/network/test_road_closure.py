"""PATCH /api/v1/roads/{id}: a duty officer opens or closes a road and sees which
(region, warehouse) pairs lost their fastest route, and by how many hours.

The network (times in hours):

    WH-P ──1.00── WH-WC ──0.10── 150125 ──0.50── 150125101      (r3)
      │             └────────2.00──────────────── 150125101      (r4, the slow way round)
     0.20                          150125 ──0.40── 150125102      (r5, the only way in)
      │
    150100
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.network import service as network
from relief.network.records import Region, Road, Warehouse

REGIONS = [
    Region("150000", "内蒙古自治区", "province", None, 40.84, 111.74),
    Region("150100", "呼和浩特市", "prefecture", "150000", 40.84, 111.74),
    Region("150125", "武川县", "county", "150100", 41.10, 111.45),
    Region("150125101", "可可以力更镇", "township", "150125", 41.09, 111.46),
    Region("150125102", "哈乐镇", "township", "150125", 41.23, 111.28),
]
WAREHOUSES = [
    Warehouse("WH-P", "自治区中心库", "provincial", "150000", 40.80, 111.70),
    Warehouse("WH-WC", "武川县片区库", "county", "150125", 41.09, 111.45),
]
ROADS = {
    "r1": ("WH-P", "WH-WC", "50", "1.00"),
    "r2": ("WH-WC", "150125", "1", "0.10"),
    "r3": ("150125", "150125101", "3", "0.50"),
    "r4": ("WH-WC", "150125101", "40", "2.00"),
    "r5": ("150125", "150125102", "20", "0.40"),
    "r6": ("WH-P", "150100", "5", "0.20"),
}


@pytest.fixture
def roads(engine: Engine) -> dict[str, int]:
    """The network above, built through the service; road names → database ids."""
    ids = {}
    with transaction(engine) as session:
        for region in REGIONS:
            network.create_region(session, SYSTEM, region)
        for warehouse in WAREHOUSES:
            network.create_warehouse(session, SYSTEM, warehouse)
        for name, (a, b, km, h) in ROADS.items():
            row = network.create_road(session, SYSTEM, Road(None, a, b, Decimal(km), Decimal(h)))
            ids[name] = row.id
    return ids


@pytest.fixture
def duty(make_user, login) -> dict[str, str]:
    return login(make_user("duty", "duty_officer"))


def patch(client, headers, road_id, status, note="bridge washed away", **extra):
    return client.patch(
        f"/api/v1/roads/{road_id}",
        json={"status": status, "note": note},
        headers={**headers, **extra},
    )


def test_closing_a_road_reports_the_pairs_that_now_go_the_slow_way(client, duty, roads):
    reply = patch(client, duty, roads["r3"], "closed")
    assert reply.status_code == 200
    assert reply.json() == {
        "id": roads["r3"],
        "from_code": "150125",
        "to_code": "150125101",
        "distance_km": 3.0,
        "travel_time_h": 0.5,
        "status": "closed",
        "lost_routes": [
            {"region_code": "150125101", "warehouse_code": "WH-P", "before_h": 1.6, "after_h": 3.0},
            {
                "region_code": "150125101",
                "warehouse_code": "WH-WC",
                "before_h": 0.6,
                "after_h": 2.0,
            },
        ],
    }


def test_closing_the_only_road_in_reports_no_time_after(client, duty, roads):
    lost = patch(client, duty, roads["r5"], "closed").json()["lost_routes"]
    assert lost == [
        {"region_code": "150125102", "warehouse_code": "WH-P", "before_h": 1.5, "after_h": None},
        {"region_code": "150125102", "warehouse_code": "WH-WC", "before_h": 0.5, "after_h": None},
    ]


def test_closing_a_road_nobody_needed_loses_nothing(client, duty, roads):
    # r4 is the slow way to 150125101: no fastest route used it.
    reply = patch(client, duty, roads["r4"], "closed")
    assert reply.status_code == 200
    assert reply.json()["status"] == "closed"
    assert reply.json()["lost_routes"] == []


def test_a_parallel_road_takes_over_when_the_faster_one_closes(engine: Engine, client, duty, roads):
    with transaction(engine) as session:
        road = Road(None, "150125101", "150125", Decimal("4"), Decimal("0.80"))
        network.create_road(session, SYSTEM, road)
    lost = patch(client, duty, roads["r3"], "closed").json()["lost_routes"]
    assert [(r["warehouse_code"], r["before_h"], r["after_h"]) for r in lost] == [
        ("WH-P", 1.6, 1.9),
        ("WH-WC", 0.6, 0.9),
    ]


def test_lost_routes_start_from_the_roads_as_they_are_now(client, duty, roads):
    patch(client, duty, roads["r3"], "closed")
    lost = patch(client, duty, roads["r4"], "closed").json()["lost_routes"]
    # With r3 already closed, r4 was the fastest (only) way to 150125101.
    assert lost == [
        {"region_code": "150125101", "warehouse_code": "WH-P", "before_h": 3.0, "after_h": None},
        {"region_code": "150125101", "warehouse_code": "WH-WC", "before_h": 2.0, "after_h": None},
    ]


def test_reopening_loses_nothing_and_the_status_is_kept(client, duty, roads):
    patch(client, duty, roads["r3"], "closed")
    reply = patch(client, duty, roads["r3"], "open", note="repaired")
    assert (reply.status_code, reply.json()["status"], reply.json()["lost_routes"]) == (
        200,
        "open",
        [],
    )
    listed = {r["id"]: r["status"] for r in client.get("/api/v1/roads", headers=duty).json()}
    assert listed[roads["r3"]] == "open"


def test_a_status_change_is_audited_with_its_note(client, duty, admin_headers, roads):
    patch(client, duty, roads["r3"], "closed", note="山洪冲毁桥梁")
    page = client.get(
        f"/api/v1/audit?entity=road&entity_id={roads['r3']}", headers=admin_headers
    ).json()
    latest = page["items"][0]
    assert (latest["action"], latest["actor"]) == ("set_status", "duty")
    assert latest["before"]["status"] == "open"
    assert latest["after"]["status"] == "closed"
    assert latest["after"]["note"] == "山洪冲毁桥梁"


def test_setting_the_status_a_road_has_changes_and_records_nothing(
    client, duty, admin_headers, roads
):
    patch(client, duty, roads["r3"], "closed")
    reply = patch(client, duty, roads["r3"], "closed")
    assert (reply.status_code, reply.json()["lost_routes"]) == (200, [])
    page = client.get(
        f"/api/v1/audit?entity=road&entity_id={roads['r3']}",
        headers=admin_headers,
    ).json()
    assert [r["action"] for r in page["items"]] == ["set_status", "create"]


def test_a_repeated_request_with_the_same_idempotency_key_closes_once(
    client, duty, admin_headers, roads
):
    first = patch(client, duty, roads["r3"], "closed", **{"Idempotency-Key": "k-1"})
    again = patch(client, duty, roads["r3"], "closed", **{"Idempotency-Key": "k-1"})
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert len(again.json()["lost_routes"]) == 2


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("warehouse_manager", {"warehouses": ["WH-WC"]}),
        ("county_staff", {"regions": ["150125"]}),
        ("approver", {"regions": ["150125"]}),
    ],
)
def test_only_duty_officers_and_admins_change_road_status(
    client, make_user, login, admin_headers, roads, role, scope
):
    headers = login(make_user("someone", role, **scope))
    reply = patch(client, headers, roads["r3"], "closed")
    assert (reply.status_code, reply.json()["detail"]["code"]) == (403, "role_forbidden")
    listed = {r["id"]: r["status"] for r in client.get("/api/v1/roads", headers=headers).json()}
    assert listed[roads["r3"]] == "open"
    assert patch(client, admin_headers, roads["r3"], "closed").status_code == 200


def test_unknown_road_is_404_and_bad_input_is_422_on_its_field(client, duty, roads):
    missing = patch(client, duty, 999999, "closed")
    assert (missing.status_code, missing.json()["detail"]["code"]) == (404, "not_found")
    bad = patch(client, duty, roads["r3"], "flooded")
    assert (bad.status_code, bad.json()["detail"]["field"]) == (422, "status")
    junk = client.patch("/api/v1/roads/x", json={"status": "closed"}, headers=duty)
    assert (junk.status_code, junk.json()["detail"]["field"]) == (422, "road_id")
