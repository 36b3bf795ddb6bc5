"""Garbage to every endpoint: whatever a client sends, the reply is never a 5xx.

API.md: "Never a 500 for bad input". The routes are read from the application itself, so a
route added later is covered without touching this file. For each route and method the
test fills the path parameters with codes and ids that exist and with junk, and sends an
admin's request with bodies that are not JSON, JSON of the wrong shape, and a plausible
body (built from the route's OpenAPI schema) with one value at a time replaced by huge,
negative, NUL-bearing or nested nonsense. 503 `busy` is the one 5xx API.md allows, and
only when the database is busy, which a single client cannot cause: it fails here too.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from relief.app import create_app
from relief.auth import service as auth
from relief.auth.models import SYSTEM
from relief.config import Settings
from relief.db import session_for, transaction
from relief.network import service as network
from relief.network.records import Item, Region, Road, Warehouse
from relief.stock import service as stock

# Values for path parameters: ones that name something below, then junk.
EXISTING = ["1", "WH-A"]
JUNK_PATH = ["x", "-1", "99999999999999999999", "%00"]
# Leaf values that replace one value of a plausible body at a time.
JUNK_VALUES: list[Any] = [
    10**30,
    -1,
    "\x00",
    {"nested": [[{"deeper": None}]]},
    None,
    "x" * 5000,
    1e308,
    "9999-99-99T99:99:99",
    [],
    float("inf"),
    float("nan"),
    # issue 12: a lone surrogate (JSON "\ud800"), an exponent no Decimal context holds,
    # and an integer past 2^63
    "\ud800",
    "x\udfffy",
    "1e999999999",
    21263834086579273728,
]
# Whole bodies that are not what any endpoint wants.
JUNK_BODIES: list[bytes] = [
    b"",
    b"{not json",
    b"\xff\xfe\x00",
    b"[]",
    b'"text"',
    b"123",
    b"null",
    b"{}",
    json.dumps({"a": {"b": [[{"c": None}]]}, "lines": [{}], "id": 10**30}).encode(),
]
JSON_HEADERS = {"Content-Type": "application/json"}
QUERY_JUNK = ["x", "-1", "99999999999999999999", "\x00", "", "1e400", "9999-99-99"]
# Sent in one query parameter at a time, the others left out, so that no other parameter's
# refusal hides the one that would fail (GET /audit?offset=21263834086579273728).
QUERY_JUNK_ALONE = ["21263834086579273728", "-21263834086579273728", "1e999999999"]


def _app_for_listing():
    # Only to list routes at collection time: nothing connects to this database.
    return create_app(Settings(database_url="sqlite:///:memory:", secret_key="k" * 40))


def _flat_routes(app) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, routers included (newer FastAPI nests them)."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    routes = list(iterate(app.routes)) if iterate else list(app.routes)
    seen = set()
    for route in routes:
        path = getattr(route, "path", None)
        if path is None:
            continue
        methods = getattr(route, "methods", None) or {"GET"}
        for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
            if (method, path) not in seen:
                seen.add((method, path))
                yield method, path


ROUTES = sorted(_flat_routes(_app_for_listing()), key=lambda mp: (mp[1], mp[0]))


def test_the_route_list_is_complete():
    # A guard against listing nothing (which would make every test below vacuous).
    paths = {path for _, path in ROUTES}
    assert {"/api/v1/regions", "/api/v1/roads/{road_id}", "/api/v1/auth/token"} <= paths
    assert len(ROUTES) >= 10


# --- a plausible body from the OpenAPI schema -------------------------------------------


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(schema: dict, components: dict, depth: int = 0) -> Any:
    """A value of the schema's shape with ordinary contents ("x", 1, the first enum)."""
    schema = _resolve(schema, components)
    if depth > 6:
        return None
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, components).get("type") != "null"]
            return example(options[0], components, depth + 1) if options else None
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part, components))
        return example(merged, components, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example(sub, components, depth + 1) for name, sub in props.items()}
    if kind == "array":
        count = max(1, schema.get("minItems", 1))
        return [example(schema.get("items", {}), components, depth + 1) for _ in range(count)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2026-07-01"
        if fmt == "date-time":
            return "2026-07-01T08:00:00+08:00"
        return "x" * max(1, schema.get("minLength", 1))
    return "x"


def leaf_paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            yield from leaf_paths(sub, (*prefix, key))
    elif isinstance(value, list) and value:
        for i, sub in enumerate(value):
            yield from leaf_paths(sub, (*prefix, i))
    else:
        yield prefix


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    out = copy.deepcopy(value)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return out


def mutations(body: Any) -> Iterator[Any]:
    """The body, then each junk value everywhere at once, then each leaf replaced alone by
    two junk values in turn (one bad value lets the rest reach the service)."""
    yield body
    paths = list(leaf_paths(body))
    for junk in JUNK_VALUES:
        out = body
        for path in paths:
            out = replaced(out, path, junk)
        yield out
    for i, path in enumerate(paths):
        for k in (i, i + len(JUNK_VALUES) // 2):
            yield replaced(body, path, JUNK_VALUES[k % len(JUNK_VALUES)])


# --- the network the requests point at --------------------------------------------------


@pytest.fixture
def garbage_client(app, engine: Engine, make_user) -> Iterator[TestClient]:
    """An admin's client (500s come back as replies) over a small network with stock."""
    with transaction(engine) as session:
        for region in (
            Region("150000", "内蒙古自治区", "province", None, 40.8, 111.7),
            Region("150100", "呼和浩特市", "prefecture", "150000", 40.8, 111.7),
            Region("150125", "武川县", "county", "150100", 41.1, 111.4),
        ):
            network.create_region(session, SYSTEM, region)
        network.create_warehouse(
            session, SYSTEM, Warehouse("WH-A", "武川县片区库", "county", "150125", 41.1, 111.4)
        )
        network.create_item(
            session, SYSTEM, Item("1", "帐篷", "tent", "顶", Decimal(25), Decimal("0.1"), "shelter")
        )
        network.create_road(
            session, SYSTEM, Road(None, "WH-A", "150125", Decimal("1"), Decimal("0.1"))
        )
        stock.set_stock_from_scenario(session, SYSTEM, "WH-A", "1", 100, 10)
    make_user("admin", "admin")
    with session_for(engine, write=False) as session:
        user = auth.user_by_username(session, "admin")
    settings = app.state.settings
    with TestClient(app, raise_server_exceptions=False) as client:
        token = auth.issue_token(user, settings.secret_key, settings.token_hours)
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _fill(path: str, value: str) -> str:
    filled = re.sub(r"\{[^}]+\}", value, path)
    # A mount (static files) has no parameters: ask for something below it.
    return filled if filled != path or not path.startswith("/static") else path + "/x"


def _requests(client: TestClient, method: str, path: str) -> Iterator[dict]:
    """Keyword arguments for client.request: every garbage request for one route."""
    operation = client.app.openapi().get("paths", {}).get(path, {}).get(method.lower(), {})
    components = client.app.openapi().get("components", {}).get("schemas", {})
    content = operation.get("requestBody", {}).get("content", {})
    params = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    for value in EXISTING + JUNK_PATH:
        url = _fill(path, value)
        yield {"url": url}
        if value == EXISTING[0] and params:
            for junk in QUERY_JUNK:
                yield {"url": url, "params": {p["name"]: junk for p in params}}
            for p in params:
                for junk in QUERY_JUNK_ALONE:
                    yield {"url": url, "params": {p["name"]: junk}}
        if method == "GET" or value not in (EXISTING[0], JUNK_PATH[0]):
            continue
        for raw in JUNK_BODIES:
            yield {"url": url, "content": raw, "headers": JSON_HEADERS}
    for value in EXISTING:
        url = _fill(path, value)
        for media, spec in content.items():
            body = example(spec.get("schema", {}), components)
            if media == "application/json":
                for candidate in mutations(body):
                    # Serialised here: httpx refuses NaN and Infinity, which JSON parsers
                    # (Python's among them) accept.
                    raw = json.dumps(candidate).encode()
                    yield {"url": url, "content": raw, "headers": JSON_HEADERS}
            else:  # a form: junk fields and a junk file
                fields = body if isinstance(body, dict) else {}
                for junk in (
                    "\x00",
                    "x" * 5000,
                    "-1",
                    "99999999999999999999",
                    "",
                    "1e999999999",
                ):
                    data = {k: junk for k in fields}
                    files = {"file": ("x.csv", b"\xff\x00,\n\x00", "text/csv")}
                    yield {"url": url, "data": data, "files": files}
                    yield {"url": url, "data": data}


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_garbage_never_gets_a_5xx(garbage_client: TestClient, method: str, path: str):
    failures = []
    for kwargs in _requests(garbage_client, method, path):
        reply = garbage_client.request(method, **kwargs)
        if reply.status_code >= 500:
            sent = {k: v for k, v in kwargs.items() if k != "headers"}
            failures.append(f"{reply.status_code} for {sent!r:.300}: {reply.text[:300]}")
    assert failures == [], f"{len(failures)} replies ≥ 500, e.g.:\n" + "\n".join(failures[:5])
