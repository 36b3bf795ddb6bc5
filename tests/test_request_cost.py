"""What every request pays on top of its own work (issue 17, several workers on one
database): a bounded number of SQL statements, whatever the page size (see also
tests/dispatch/test_dispatch_list_pages.py), and for an Idempotency-Key only the key's own
statements — one INSERT to claim the key, one UPDATE to keep the reply; the caller is looked
up once, when the key is claimed, not again by the endpoint."""

from __future__ import annotations

PROVINCE = {
    "code": "150000",
    "name": "内蒙古自治区",
    "level": "province",
    "parent_code": None,
    "lat": 40.84,
    "lon": 111.74,
    "population": None,
    "rural_population": None,
}


def _region(code: str, name: str) -> dict:
    return {**PROVINCE, "code": code, "name": name}


def test_an_idempotency_key_costs_two_statements(engine, client, admin_headers, count_statements):
    def post(body: dict, key: str | None):
        headers = {**admin_headers, **({"Idempotency-Key": key} if key else {})}

        def _call() -> None:
            reply = client.post("/api/v1/regions", json=body, headers=headers)
            assert reply.status_code == 201, reply.text

        return _call

    post(_region("140000", "山西省"), None)()  # warm up whatever is loaded once per process
    plain = count_statements(post(_region("130000", "河北省"), None))
    keyed = count_statements(post(_region("120000", "天津市"), "cost-1"))
    # SQLite counts the BEGIN IMMEDIATE of the key's two transactions as statements too.
    begins = 2 if engine.dialect.name == "sqlite" else 0
    assert keyed - plain == 2 + begins, f"{plain} statements without a key, {keyed} with one"


def test_a_repeated_key_still_replays_after_the_insert_first_claim(client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "cost-2"}
    first = client.post("/api/v1/regions", json=_region("110000", "北京市"), headers=headers)
    again = client.post("/api/v1/regions", json=_region("110000", "北京市"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert again.json() == first.json()
    other = client.post("/api/v1/regions", json=_region("310000", "上海市"), headers=headers)
    assert other.status_code == 409
    assert other.json()["detail"]["code"] == "idempotency_key_reused"


def test_every_reply_still_carries_its_request_id(client, admin_headers):
    given = client.get("/api/v1/regions", headers={**admin_headers, "X-Request-ID": "req-7"})
    assert given.headers["X-Request-ID"] == "req-7"
    made = client.get("/api/v1/health")
    assert len(made.headers["X-Request-ID"]) == 32
    refused = client.get("/api/v1/regions")
    assert refused.status_code == 401 and refused.headers["X-Request-ID"]


def test_a_served_app_builds_its_routes_at_start_not_in_the_first_request(app, monkeypatch):
    """FastAPI builds an included router's routes when a request is first matched against
    it: 0.5–0.8 CPU-seconds in whichever request came first to each worker. `relief serve`
    builds them at start (`prepare_routes`, through `app_from_environment` for each of
    several workers), so no request does."""
    import fastapi.routing
    from fastapi.testclient import TestClient

    import relief.app
    from relief.app import app_from_environment, prepare_routes

    monkeypatch.setattr(relief.app, "create_app", lambda: app)
    assert app_from_environment() is app
    build = getattr(fastapi.routing, "_EffectiveRouteContext", None)
    if build is not None:

        def refuse(*args, **kwargs):
            raise AssertionError("a route was built while serving a request")

        monkeypatch.setattr(build, "from_api_route", refuse)
    client = TestClient(app)
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.get("/api/v1/warehouses").status_code == 401  # the last routers too
    assert prepare_routes(app.router.routes) > 200  # counts every route; all built already
