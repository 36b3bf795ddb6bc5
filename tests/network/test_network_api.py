"""The network API: regions, warehouses, roads and items — shapes, validation with exact
fields, who may change them, and the audit trail of every change."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from relief.auth.models import SYSTEM
from relief.db import session_for, transaction
from relief.errors import DomainError
from relief.network import service as network
from relief.network.records import Region

PROVINCE = {
    "code": "150000",
    "name": "内蒙古自治区",
    "level": "province",
    "parent_code": None,
    "lat": 40.84,
    "lon": 111.74,
    "population": None,
    # 乡村人口 (issue 14): the denominator of a policy's share criteria.
    "rural_population": None,
}
PREFECTURE = {
    **PROVINCE,
    "code": "150100",
    "name": "呼和浩特市",
    "level": "prefecture",
    "parent_code": "150000",
    "population": 3446100,
}
COUNTY = {
    **PROVINCE,
    "code": "150125",
    "name": "武川县",
    "level": "county",
    "parent_code": "150100",
    "population": 172000,
}
TOWNSHIP = {
    **PROVINCE,
    "code": "150125101",
    "name": "可可以力更镇",
    "level": "township",
    "parent_code": "150125",
}
DEPOT = {
    "code": "WH-WC",
    "name": "武川县片区库",
    "tier": "county",
    "region_code": "150125",
    "lat": 41.09,
    "lon": 111.45,
    "capacity_m3": 1500.5,
}
TENT = {
    "code": "tent",
    "name_zh": "救灾帐篷",
    "name_en": "tent",
    "unit": "顶",
    "weight_kg": 25.5,
    "volume_m3": 0.12,
    "category": "shelter",
}


@pytest.fixture
def regions(client, admin_headers) -> None:
    for body in (PROVINCE, PREFECTURE, COUNTY, TOWNSHIP):
        reply = client.post("/api/v1/regions", json=body, headers=admin_headers)
        assert reply.status_code == 201, reply.text


def error(reply) -> tuple[int, str, str | None]:
    detail = reply.json()["detail"]
    return reply.status_code, detail["code"], detail["field"]


# --- regions ---------------------------------------------------------------------------


def test_created_regions_come_back_exactly_as_posted(client, admin_headers, regions):
    reply = client.get("/api/v1/regions", headers=admin_headers)
    assert reply.status_code == 200
    assert reply.json() == [PROVINCE, PREFECTURE, COUNTY, TOWNSHIP]


def test_creating_a_region_replies_201_with_the_region(client, admin_headers, regions):
    body = {**TOWNSHIP, "code": "150125102", "name": "哈乐镇", "population": 9000}
    reply = client.post("/api/v1/regions", json=body, headers=admin_headers)
    assert reply.status_code == 201
    assert reply.json() == body


def test_regions_filter_by_level_and_parent(client, admin_headers, regions):
    counties = client.get("/api/v1/regions?level=county", headers=admin_headers).json()
    assert [r["code"] for r in counties] == ["150125"]
    children = client.get("/api/v1/regions?parent_code=150000", headers=admin_headers).json()
    assert [r["code"] for r in children] == ["150100"]


def test_region_with_unknown_parent_is_422_unknown_code_on_parent_code(
    client, admin_headers, regions
):
    body = {**COUNTY, "code": "150122", "parent_code": "159999"}
    reply = client.post("/api/v1/regions", json=body, headers=admin_headers)
    assert error(reply) == (422, "unknown_code", "parent_code")


def test_region_code_taken_is_409_duplicate(client, admin_headers, regions):
    reply = client.post("/api/v1/regions", json=COUNTY, headers=admin_headers)
    assert error(reply) == (409, "duplicate", "code")


def test_region_not_below_its_parent_is_422_on_level(client, admin_headers, regions):
    body = {**COUNTY, "code": "150122", "level": "prefecture"}
    reply = client.post("/api/v1/regions", json=body, headers=admin_headers)
    assert error(reply) == (422, "validation_error", "level")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"level": "city"}, "level"),
        ({"lat": 91}, "lat"),
        ({"population": -1}, "population"),
        ({"code": "150 122"}, "code"),
        ({"name": "\x00"}, "name"),
    ],
)
def test_region_with_a_bad_field_is_422_naming_it(client, admin_headers, regions, change, field):
    body = {**COUNTY, "code": "150122", **change}
    reply = client.post("/api/v1/regions", json=body, headers=admin_headers)
    assert error(reply) == (422, "validation_error", field)


def test_moving_a_region_under_its_own_descendant_is_refused_as_a_cycle(engine: Engine, regions):
    moved = Region("150100", "呼和浩特市", "prefecture", "150125101", 40.84, 111.74)
    with pytest.raises(DomainError) as caught, transaction(engine) as session:
        network.update_region(session, SYSTEM, moved)
    assert (caught.value.code, caught.value.field) == ("validation_error", "parent_code")
    assert "cycle" in caught.value.message


def test_region_lineage_and_descendants(engine: Engine, regions):
    with session_for(engine, write=False) as session:
        assert network.region_lineage(session, "150125101") == [
            "150125101",
            "150125",
            "150100",
            "150000",
        ]
        assert network.region_descendants(session, "150100") == ["150100", "150125", "150125101"]
        assert network.region_descendants(session, "150125101") == ["150125101"]
        assert network.region_descendants(session, "999999") == []


def test_a_lineage_is_one_statement_and_none_once_the_session_holds_it(
    engine: Engine, regions, count_statements
):
    with session_for(engine, write=False) as session:
        session.connection()  # the transaction begun (SQLite says BEGIN as a statement)
        seen: list[list[str]] = []
        assert (
            count_statements(lambda: seen.append(network.region_lineage(session, "150125101"))) == 1
        )
        assert count_statements(lambda: seen.append(network.region_lineage(session, "150125"))) == 0
        assert seen == [["150125101", "150125", "150100", "150000"], ["150125", "150100", "150000"]]
        assert count_statements(lambda: seen.append(network.region_lineage(session, "999999"))) == 1
        assert seen[-1] == []


def test_updating_a_region_changes_it_once_and_audits_only_the_change(
    engine: Engine, client, admin_headers, regions
):
    renamed = Region("150125", "武川县（新）", "county", "150100", 41.10, 111.45, 172000)
    with transaction(engine) as session:
        assert network.update_region(session, SYSTEM, renamed) == "updated"
    with transaction(engine) as session:
        assert network.update_region(session, SYSTEM, renamed) == "unchanged"
    page = client.get("/api/v1/audit?entity=region&entity_id=150125", headers=admin_headers).json()
    assert [r["action"] for r in page["items"]] == ["update", "create"]
    assert page["items"][0]["before"]["name"] == "武川县"
    assert page["items"][0]["after"]["name"] == "武川县（新）"


# --- warehouses ------------------------------------------------------------------------


def test_created_warehouse_replies_with_numbers_and_lists(client, admin_headers, regions):
    reply = client.post("/api/v1/warehouses", json=DEPOT, headers=admin_headers)
    assert reply.status_code == 201
    assert reply.json() == DEPOT
    assert client.get("/api/v1/warehouses", headers=admin_headers).json() == [DEPOT]
    by_tier = client.get("/api/v1/warehouses?tier=provincial", headers=admin_headers).json()
    assert by_tier == []


def test_warehouse_tier_must_match_its_region_level(client, admin_headers, regions):
    body = {**DEPOT, "tier": "prefecture"}
    reply = client.post("/api/v1/warehouses", json=body, headers=admin_headers)
    assert error(reply) == (422, "validation_error", "tier")


def test_warehouse_in_unknown_region_is_422_unknown_code(client, admin_headers, regions):
    body = {**DEPOT, "region_code": "159999"}
    reply = client.post("/api/v1/warehouses", json=body, headers=admin_headers)
    assert error(reply) == (422, "unknown_code", "region_code")


def test_warehouse_code_may_not_be_a_region_code_or_taken(client, admin_headers, regions):
    reply = client.post(
        "/api/v1/warehouses", json={**DEPOT, "code": "150125"}, headers=admin_headers
    )
    assert error(reply) == (409, "duplicate", "code")
    client.post("/api/v1/warehouses", json=DEPOT, headers=admin_headers)
    assert error(client.post("/api/v1/warehouses", json=DEPOT, headers=admin_headers)) == (
        409,
        "duplicate",
        "code",
    )


def test_warehouse_capacity_with_three_decimals_is_422(client, admin_headers, regions):
    body = {**DEPOT, "capacity_m3": 1.125}
    reply = client.post("/api/v1/warehouses", json=body, headers=admin_headers)
    assert error(reply) == (422, "validation_error", "capacity_m3")


# --- roads -----------------------------------------------------------------------------


def test_created_road_has_an_id_and_numbers(client, admin_headers, regions):
    client.post("/api/v1/warehouses", json=DEPOT, headers=admin_headers)
    body = {
        "from_code": "WH-WC",
        "to_code": "150125",
        "distance_km": 0.5,
        "travel_time_h": 0.02,
        "status": "open",
    }
    reply = client.post("/api/v1/roads", json=body, headers=admin_headers)
    assert reply.status_code == 201
    road = reply.json()
    assert isinstance(road["id"], int)
    assert road == {"id": road["id"], **body}
    assert client.get("/api/v1/roads", headers=admin_headers).json() == [road]
    assert client.get("/api/v1/roads?status=closed", headers=admin_headers).json() == []


def test_two_roads_between_the_same_ends_are_allowed(client, admin_headers, regions):
    body = {"from_code": "150125", "to_code": "150125101", "distance_km": 3, "travel_time_h": 0.1}
    first = client.post("/api/v1/roads", json=body, headers=admin_headers)
    second = client.post(
        "/api/v1/roads", json={**body, "travel_time_h": 0.2}, headers=admin_headers
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["status"] == "open"


@pytest.mark.parametrize("end", ["from_code", "to_code"])
def test_road_end_that_is_neither_region_nor_warehouse_is_422_on_that_end(
    client, admin_headers, regions, end
):
    body = {"from_code": "150125", "to_code": "150100", "distance_km": 60, "travel_time_h": 1}
    body[end] = "NOWHERE"
    reply = client.post("/api/v1/roads", json=body, headers=admin_headers)
    assert error(reply) == (422, "unknown_code", end)


def test_road_from_a_place_to_itself_is_422(client, admin_headers, regions):
    body = {"from_code": "150125", "to_code": "150125", "distance_km": 1, "travel_time_h": 0.1}
    reply = client.post("/api/v1/roads", json=body, headers=admin_headers)
    assert error(reply) == (422, "validation_error", "to_code")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"distance_km": -1}, "distance_km"),
        ({"travel_time_h": 0.125}, "travel_time_h"),
        ({"status": "flooded"}, "status"),
    ],
)
def test_road_with_a_bad_value_is_422_naming_it(client, admin_headers, regions, change, field):
    body = {"from_code": "150125", "to_code": "150100", "distance_km": 60, "travel_time_h": 1}
    reply = client.post("/api/v1/roads", json={**body, **change}, headers=admin_headers)
    assert error(reply) == (422, "validation_error", field)


# --- items -----------------------------------------------------------------------------


def test_created_item_replies_with_numbers(client, admin_headers):
    reply = client.post("/api/v1/items", json=TENT, headers=admin_headers)
    assert reply.status_code == 201
    assert reply.json() == TENT
    assert client.get("/api/v1/items", headers=admin_headers).json() == [TENT]
    assert client.get("/api/v1/items?category=food", headers=admin_headers).json() == []


def test_item_code_taken_is_409(client, admin_headers):
    client.post("/api/v1/items", json=TENT, headers=admin_headers)
    reply = client.post("/api/v1/items", json={**TENT, "name_zh": "帐篷"}, headers=admin_headers)
    assert error(reply) == (409, "duplicate", "code")


def test_item_with_negative_weight_is_422(client, admin_headers):
    reply = client.post("/api/v1/items", json={**TENT, "weight_kg": -1}, headers=admin_headers)
    assert error(reply) == (422, "validation_error", "weight_kg")


# --- who may ---------------------------------------------------------------------------

ROAD = {"from_code": "150125", "to_code": "150100", "distance_km": 60, "travel_time_h": 1}
POSTS = [
    ("/api/v1/regions", {**COUNTY, "code": "150122"}),
    ("/api/v1/warehouses", DEPOT),
    ("/api/v1/roads", ROAD),
    ("/api/v1/items", TENT),
]


@pytest.mark.parametrize("role", ["duty_officer", "county_staff", "warehouse_manager"])
def test_only_admins_change_the_network(client, make_user, login, regions, role, admin_headers):
    client.post("/api/v1/warehouses", json={**DEPOT, "code": "WH-X"}, headers=admin_headers)
    scope = {
        "county_staff": {"regions": ["150125"]},
        "warehouse_manager": {"warehouses": ["WH-X"]},
    }.get(role, {})
    headers = login(make_user("someone", role, **scope))
    before = {path: client.get(path, headers=headers).json() for path, _ in POSTS}
    for path, body in POSTS:
        reply = client.post(path, json=body, headers=headers)
        assert error(reply) == (403, "role_forbidden", None), path
    # Nothing changed, and every user may read the network.
    assert {path: client.get(path, headers=headers).json() for path, _ in POSTS} == before


def test_reading_the_network_needs_a_token(client):
    for path, _ in POSTS:
        assert client.get(path).status_code == 401


def test_every_creation_is_audited_with_the_admin_as_actor(client, admin_headers, regions):
    client.post("/api/v1/warehouses", json=DEPOT, headers=admin_headers)
    client.post("/api/v1/items", json=TENT, headers=admin_headers)
    road = client.post("/api/v1/roads", json=ROAD, headers=admin_headers).json()
    for entity, entity_id in [
        ("region", "150125"),
        ("warehouse", "WH-WC"),
        ("item", "tent"),
        ("road", str(road["id"])),
    ]:
        page = client.get(
            f"/api/v1/audit?entity={entity}&entity_id={entity_id}", headers=admin_headers
        ).json()
        assert [(r["action"], r["actor"]) for r in page["items"]] == [("create", "admin")]
        assert page["items"][0]["before"] is None


def test_network_records_are_plain_and_sorted(engine: Engine, client, admin_headers, regions):
    client.post("/api/v1/warehouses", json=DEPOT, headers=admin_headers)
    client.post("/api/v1/items", json=TENT, headers=admin_headers)
    road = client.post("/api/v1/roads", json=ROAD, headers=admin_headers).json()
    with session_for(engine, write=False) as session:
        regions_, warehouses, roads, items = network.network_records(session)
    assert [r.code for r in regions_] == ["150000", "150100", "150125", "150125101"]
    assert [(w.code, w.tier, str(w.capacity_m3)) for w in warehouses] == [
        ("WH-WC", "county", "1500.50")
    ]
    assert [(r.id, r.from_code, r.to_code, str(r.travel_time_h)) for r in roads] == [
        (road["id"], "150125", "150100", "1.00")
    ]
    assert [(i.code, str(i.weight_kg)) for i in items] == [("tent", "25.500")]
