"""Every mutating route × every role × in and out of scope: a refusal is 403 and changes
nothing.

API.md "Who may do what" is the table this walks. The routes are read from the application
(like tests/test_no_5xx.py), so a POST, PUT, PATCH or DELETE added later fails
`test_every_mutating_route_is_classified` until it is given a rule here. For each route the
rule says which roles it admits and whether the caller's scope (warehouses, regions, the
addressee of a notification) decides; the walk then sends, for every role, the request on a
resource inside the caller's scope and on one outside it, and for each combination the rule
forbids it expects 403 (`role_forbidden` / `scope_forbidden`) and a database exactly as it
was before: every row of every table, the audit trail and the ledger included. The bodies
are valid, so a request that slipped past authorisation would change something.

The UI's form posts are walked the same way, signed in with the cookie and with a
same-origin `Origin` header, so the pages cannot be more lenient than the API.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from relief import clock
from relief.app import create_app
from relief.auth import service as auth
from relief.auth.models import SYSTEM
from relief.clock import CST
from relief.config import Settings
from relief.db import session_for, transaction
from relief.dispatch import service as dispatch
from relief.distribution import service as distribution
from relief.distribution.models import IssueLineIn
from relief.distribution.service import LotQuantity
from relief.emergency import service as emergency
from relief.emergency.models import EventIn, InboxRow
from relief.network import service as network
from relief.network.records import Item, Region, Road, Warehouse
from relief.schema import metadata
from relief.stock import service as stock
from tests.subsidies.conftest import id_number

ROLES = ("admin", "duty_officer", "warehouse_manager", "county_staff", "approver", "township_staff")
# One user per role; the scoped ones look after WH-IN / county 150102 ("in"), never
# WH-OUT / county 150103 ("out"). `manager_out` only receives a notification.
USERS = {
    "admin": ("admin", (), ()),
    "duty_officer": ("duty_officer", (), ()),
    "warehouse_manager": ("warehouse_manager", ("WH-IN",), ()),
    "county_staff": ("county_staff", (), ("150102",)),
    "approver": ("approver", (), ("150102",)),
    # 乡镇民政助理 of township 150102001 ("in"); 150103001 is "out" (issue 15).
    "township_staff": ("township_staff", (), ("150102001",)),
    "manager_out": ("warehouse_manager", ("WH-OUT",), ()),
}
REGIONS = (
    Region("150000", "内蒙古自治区", "province", None, 40.8, 111.7),
    Region("150100", "呼和浩特市", "prefecture", "150000", 40.8, 111.7),
    Region("150102", "新城区", "county", "150100", 40.85, 111.68),
    Region("150103", "回民区", "county", "150100", 40.81, 111.6),
    Region("150102001", "海拉尔东路街道", "township", "150102", 40.86, 111.69),
    Region("150103001", "环河街街道", "township", "150103", 40.8, 111.61),
)
WAREHOUSES = (
    Warehouse("WH-IN", "新城区救灾物资库", "county", "150102", 40.85, 111.68),
    Warehouse("WH-OUT", "回民区救灾物资库", "county", "150103", 40.81, 111.6),
)
ROADS = (
    Road(None, "WH-IN", "150102001", Decimal(5), Decimal("0.2")),
    Road(None, "WH-OUT", "150103001", Decimal(5), Decimal("0.2")),
    Road(None, "WH-IN", "WH-OUT", Decimal(10), Decimal("0.4")),
    Road(None, "150102001", "150103001", Decimal(8), Decimal("0.3")),
)
TRUCK = {"vehicle": "厢式货车", "driver": "张师傅", "plate": "蒙A·12345"}
ORIGIN = "http://testserver"


# --- the world the walk acts on -------------------------------------------------------------


@dataclass
class World:
    """Ids of the resources in ("in") and out of ("out") the scoped users' scope."""

    event: int
    response: int
    plan: int
    road: int
    closed_road: int
    orders: dict[str, int]
    households: dict[str, int]
    registered: dict[str, int]  # cases waiting for village review
    approved: dict[str, int]  # approved cases (payments)
    payments: dict[str, int]
    notifications: dict[str, int]  # username → one of their notifications
    casualties: dict[str, int]  # deaths and missing ledger entries
    reserve_payments: dict[str, int]  # a payment out of each township's reserve fund
    issues: dict[str, int]  # goods issued to a household of each township (issue 16)
    # 冬春 (issue 15): a survey entry of each scope's household, a round of each county
    winter_entries: dict[str, int] = field(default_factory=dict)
    winter_rounds: dict[str, int] = field(default_factory=dict)


def _ok(reply, status: int = 200) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json()


def _report(region_code: str) -> dict[str, Any]:
    counts = dict.fromkeys(
        (
            "deaths",
            "missing",
            "needing_aid",
            "collapsed_households",
            "collapsed_rooms",
            "severe_households",
            "severe_rooms",
            "general_households",
            "general_rooms",
        ),
        0,
    )
    return {
        "region_code": region_code,
        "kind": "initial",
        "reported_at": datetime(2026, 7, 20, 12, 0, tzinfo=CST).isoformat(),
        **counts,
        "relocated": 100,
    }


def _build(engine: Engine, api: TestClient, admin: dict[str, str]) -> World:
    with transaction(engine) as session:
        for region in REGIONS:
            network.create_region(session, SYSTEM, region)
        for warehouse in WAREHOUSES:
            network.create_warehouse(session, SYSTEM, warehouse)
        network.create_item(
            session,
            SYSTEM,
            Item("tent", "帐篷", "tent", "顶", Decimal(25), Decimal("0.1"), "shelter"),
        )
        road_ids = [network.create_road(session, SYSTEM, road).id for road in ROADS]
        for warehouse in WAREHOUSES:
            stock.set_stock_from_scenario(session, SYSTEM, warehouse.code, "tent", 1000, 10)
        event = emergency.create_event(
            session,
            SYSTEM,
            EventIn(
                name="2026年7月暴雪",
                hazard="snowstorm",
                started_at=datetime(2026, 7, 20, 8, 0, tzinfo=CST),
                region_codes=["150102", "150103"],
            ),
        )
        event_id = event.id
        orders: dict[str, int] = {}

        def order(source: str, destination: str, kind: str, shipped: bool) -> int:
            row = dispatch.create_order(
                session,
                SYSTEM,
                source_warehouse_code=source,
                destination_code=destination,
                destination_kind=kind,
                lines=[dispatch.OrderLine("tent", 5)],
                route=None,
                eta_h=1,
                distance_km=5,
                reference="walk",
            )
            if shipped:
                dispatch.dispatch_order(session, SYSTEM, row.id, **TRUCK)
            return row.id

        # Reserved orders by source; dispatched ones by destination (region or warehouse).
        orders["reserved_in"] = order("WH-IN", "150102001", "region", False)
        orders["reserved_out"] = order("WH-OUT", "150103001", "region", False)
        orders["region_in"] = order("WH-OUT", "150102001", "region", True)
        orders["region_out"] = order("WH-IN", "150103001", "region", True)
        orders["warehouse_in"] = order("WH-OUT", "WH-IN", "warehouse", True)
        orders["warehouse_out"] = order("WH-IN", "WH-OUT", "warehouse", True)
    for username, (role, warehouses, regions) in USERS.items():
        if username != "admin":
            _make(engine, username, role, warehouses, regions)

    for code in ("150102001", "150103001"):
        _ok(api.post(f"/api/v1/events/{event_id}/reports", json=_report(code), headers=admin), 201)
    response = _ok(
        api.post(
            f"/api/v1/events/{event_id}/responses",
            json={"level": 4, "note": "启动", "override_reason": "演练"},
            headers=admin,
        ),
        201,
    )
    plan = _ok(
        api.post(
            f"/api/v1/responses/{response['id']}/plans", json={"method": "greedy"}, headers=admin
        ),
        201,
    )
    closed_road = road_ids[3]
    _ok(
        api.post(
            f"/api/v1/events/{event_id}/road-closures", json={"road_id": closed_road}, headers=admin
        ),
        201,
    )

    _ok(
        api.post(
            "/api/v1/programmes",
            json={
                "code": "REBUILD",
                "name": "倒房重建补助",
                "kind": "rebuild",
                "region_code": "150100",
                "budget": "1000000.00",
                "notice_days": 0,
                "standards": [
                    {
                        "effective_from": "2025-01-01",
                        "damage": "collapsed",
                        "per_household": "20000.00",
                    }
                ],
            },
            headers=admin,
        ),
        201,
    )
    households: dict[str, int] = {}
    registered: dict[str, int] = {}
    approved: dict[str, int] = {}
    payments: dict[str, int] = {}
    for n, (scope, code, place) in enumerate(
        (("in", "150102001", "150102"), ("out", "150103001", "150103"))
    ):
        ids = []
        for k in range(2):
            ids.append(
                _ok(
                    api.post(
                        "/api/v1/households",
                        json=_household(event_id, code, id_number(10 * n + k, place)),
                        headers=admin,
                    ),
                    201,
                )["id"]
            )
        households[scope] = ids[0]
        registered[scope] = _case(api, admin, ids[0])
        approved[scope] = _case(api, admin, ids[1])
        for action in ("village_review", "publish", "township_review", "approve"):
            _ok(
                api.post(
                    f"/api/v1/cases/{approved[scope]}/transitions",
                    json={"action": action, "note": "核实"},
                    headers=admin,
                )
            )
        payments[scope] = _ok(
            api.post(
                f"/api/v1/cases/{approved[scope]}/payments",
                json={"amount": "1000.00", "paid_on": _today(), "reference": "ZF-1"},
                headers=admin,
            ),
            201,
        )["id"]

    casualties = {
        scope: _ok(
            api.post(
                f"/api/v1/events/{event_id}/casualties",
                json=_casualty(code, id_number(300 + n, "150102")),
                headers=admin,
            ),
            201,
        )["id"]
        for n, (scope, code) in enumerate((("in", "150102001"), ("out", "150103001")))
    }

    reserve_payments = {}
    for scope in ("in", "out"):
        fund = f"{API}/townships/{_township(scope)}/reserve"
        _ok(
            api.post(f"{fund}/top-ups", json={"amount": "1000", "document_no": "X"}, headers=admin),
            201,
        )
        reserve_payments[scope] = _ok(
            api.post(
                f"{fund}/payments",
                json={"amount": "10", "household_id": households[scope], "reason": "先行"},
                headers=admin,
            ),
            201,
        )["id"]

    winter_entries, winter_rounds = _winter(engine, households)
    issues = {}
    with transaction(engine) as session:
        for scope in ("in", "out"):
            code = _township(scope)
            distribution.receive_into(
                session, SYSTEM, code, "tent", [LotQuantity(None, None, 50)], None
            )
            issues[scope] = distribution.issue_goods(
                session,
                SYSTEM,
                code,
                event_id=event_id,
                household_id=households[scope],
                issued_on=clock.now().date(),
                signed_by="户主",
                lines=[IssueLineIn(item_code="tent", quantity=2)],
            ).id

    with session_for(engine, write=False) as session:
        notifications = {
            row.username: row.id
            for row in session.exec(select(InboxRow).order_by(InboxRow.id)).scalars()
        }
    return World(
        event=event_id,
        response=response["id"],
        plan=plan["id"],
        road=road_ids[2],
        closed_road=closed_road,
        orders=orders,
        households=households,
        registered=registered,
        approved=approved,
        payments=payments,
        notifications=notifications,
        casualties=casualties,
        reserve_payments=reserve_payments,
        winter_entries=winter_entries,
        winter_rounds=winter_rounds,
        issues=issues,
    )


def _winter(engine: Engine, households: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """冬春 rows written straight to the tables: a survey entry per scope's household and an
    (unpaid, empty) round per county, so that refusals are checked on real records."""
    from relief.subsidies.winter import season_of, today
    from relief.subsidies.winter_models import WinterRound, WinterSurveyEntry

    entries, rounds = {}, {}
    with transaction(engine) as session:
        for scope in ("in", "out"):
            entry = WinterSurveyEntry(
                season=season_of(today()),
                household_id=households[scope],
                region_code=_township(scope),
                people=1,
                grain_kg=Decimal(0),
                actor="admin",
            )
            round_ = WinterRound(
                programme_code="REBUILD",
                county_code=_county(scope),
                name="第一轮",
                month=1,
                basis="per_person",
                amount_fen=15000,
                created_by="admin",
            )
            session.add(entry)
            session.add(round_)
            session.flush()
            entries[scope], rounds[scope] = entry.id, round_.id
    return entries, rounds


def _make(engine: Engine, username: str, role: str, warehouses=(), regions=()) -> None:
    from relief.auth.models import UserCreate
    from tests.conftest import PASSWORD

    with transaction(engine) as session:
        auth.create_user(
            session,
            SYSTEM,
            UserCreate(
                username=username,
                password=PASSWORD,
                role=role,
                warehouse_codes=list(warehouses),
                region_codes=list(regions),
            ),
        )


def _household(event_id: int, region_code: str, number: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "region_code": region_code,
        "head_name": "王建国",
        "id_number": number,
        "size": 4,
        "damage": "collapsed",
        "rooms": 3,
    }


def _casualty(region_code: str, number: str | None) -> dict[str, Any]:
    return {
        "region_code": region_code,
        "name": "李四",
        "sex": "female",
        "id_number": number,
        "status": "missing",
        "occurred_on": "2026-07-20",
        "cause": "山洪",
    }


def _case(api: TestClient, admin: dict[str, str], household_id: int) -> int:
    body = {"household_id": household_id, "programme_code": "REBUILD"}
    return _ok(api.post("/api/v1/cases", json=body, headers=admin), 201)["id"]


# --- who may do what ------------------------------------------------------------------------

Allowed = Callable[[str, bool], bool]


def roles(*admitted: str) -> Allowed:
    """Only these roles (and admin), wherever the resource is."""
    return lambda role, in_scope: role == "admin" or role in admitted


def scoped(*admitted: str) -> Allowed:
    """These roles, within their scope (admins and duty officers see everything)."""
    return lambda role, in_scope: (
        role == "admin" or (role in admitted and (in_scope or role == "duty_officer"))
    )


def addressee(role: str, in_scope: bool) -> bool:
    """Only the addressee, admins included: acknowledging stands for having seen it."""
    return in_scope


def nobody_refused(role: str, in_scope: bool) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    allowed: Allowed
    # (world, role, "in" | "out") → keyword arguments for client.request (url, json/data, …)
    request: Callable[[World, str, str], dict[str, Any]]
    # Out-of-scope refusals that are not 403 by design (and still change nothing).
    out_of_scope_status: int = 403


def _other(scope: str) -> str:
    return "out" if scope == "in" else "in"


def _warehouse(scope: str) -> str:
    return "WH-IN" if scope == "in" else "WH-OUT"


def _township(scope: str) -> str:
    return "150102001" if scope == "in" else "150103001"


def _county(scope: str) -> str:
    return "150102" if scope == "in" else "150103"


_FUND_DOC = {
    "amount": "5.00",
    "document_no": "X-3",
    "document_date": "2026-07-22",
    "purpose": "救灾",
}


def _receivable(world: World, role: str, scope: str) -> int:
    kind = "warehouse" if role == "warehouse_manager" else "region"
    return world.orders[f"{kind}_{scope}"]


def _notification(world: World, role: str, scope: str) -> int:
    # "in": the caller's own (where they have one); "out": someone else's.
    own = role if role in world.notifications else None
    if scope == "in" and own:
        return world.notifications[own]
    other = "manager_out" if role != "manager_out" else "warehouse_manager"
    return world.notifications[other]


def _csv(world: World, scope: str) -> dict[str, Any]:
    number = id_number(500, "150102" if scope == "in" else "150103")
    content = (
        "head_name,id_number,size,region_code,damage,rooms\n"
        f"张三,{number},3,{_township(scope)},collapsed,2\n"
    )
    return {
        "data": {"event_id": str(world.event)},
        "files": {"file": ("households.csv", content.encode(), "text/csv")},
    }


def _report_form(world: World, scope: str) -> dict[str, Any]:
    form = {k: str(v) for k, v in _report(_township(scope)).items()}
    return form | {"kind": "update", "reported_at": "2026-07-20T13:00"}


def _today() -> str:
    # Payments are dated no earlier than the case's approval (issue 13 review #13).
    return clock.to_cst(clock.now()).date().isoformat()


API = "/api/v1"
RULES: dict[tuple[str, str], Rule | None] = {
    # Open to anyone: nothing to walk (None).
    ("POST", f"{API}/auth/token"): None,
    ("POST", "/login"): None,
    ("POST", "/logout"): None,
    # One's own session and password: every signed-in user, on their own account only.
    ("POST", f"{API}/auth/logout"): None,
    ("POST", f"{API}/me/password"): None,
    ("POST", "/password"): None,
    # The network, users, policy, programmes: admin.
    ("POST", f"{API}/regions"): Rule(
        roles(),
        lambda w, r, s: {
            "url": f"{API}/regions",
            "json": {
                "code": "150102002",
                "name": "锡林路街道",
                "level": "township",
                "parent_code": "150102",
                "lat": 40.8,
                "lon": 111.7,
                "population": None,
            },
        },
    ),
    ("POST", f"{API}/warehouses"): Rule(
        roles(),
        lambda w, r, s: {
            "url": f"{API}/warehouses",
            "json": {
                "code": "WH-NEW",
                "name": "新库",
                "tier": "county",
                "region_code": "150102",
                "lat": 40.8,
                "lon": 111.7,
                "capacity_m3": 100,
            },
        },
    ),
    ("POST", f"{API}/roads"): Rule(
        roles(),
        lambda w, r, s: {
            "url": f"{API}/roads",
            "json": {
                "from_code": "WH-OUT",
                "to_code": "150102001",
                "distance_km": 9,
                "travel_time_h": 0.5,
            },
        },
    ),
    ("POST", f"{API}/items"): Rule(
        roles(),
        lambda w, r, s: {
            "url": f"{API}/items",
            "json": {
                "code": "quilt",
                "name_zh": "棉被",
                "name_en": "quilt",
                "unit": "床",
                "weight_kg": 3,
                "volume_m3": 0.02,
                "category": "bedding",
            },
        },
    ),
    ("POST", f"{API}/users"): Rule(
        roles(),
        lambda w, r, s: {
            "url": f"{API}/users",
            "json": {"username": "newbie", "password": "long-password-1", "role": "admin"},
        },
    ),
    ("PATCH", f"{API}/users/{{username}}"): Rule(
        roles(),
        lambda w, r, s: {
            "url": f"{API}/users/manager_out",
            "json": {"full_name": "王建国", "phone": "0471-1234567"},
        },
    ),
    ("POST", f"{API}/users/{{username}}/disable"): Rule(
        roles(), lambda w, r, s: {"url": f"{API}/users/manager_out/disable", "json": {}}
    ),
    ("POST", f"{API}/users/{{username}}/enable"): Rule(
        roles(), lambda w, r, s: {"url": f"{API}/users/manager_out/enable", "json": {}}
    ),
    ("POST", f"{API}/users/{{username}}/reset-password"): Rule(
        roles(), lambda w, r, s: {"url": f"{API}/users/manager_out/reset-password", "json": {}}
    ),
    ("POST", f"{API}/policies"): Rule(
        roles(), lambda w, r, s: {"url": f"{API}/policies", "json": {}}
    ),
    ("PUT", f"{API}/policies/{{policy_id}}"): Rule(
        roles(), lambda w, r, s: {"url": f"{API}/policies/1", "json": {}}
    ),
    ("POST", f"{API}/programmes"): Rule(
        roles(),
        lambda w, r, s: {
            "url": f"{API}/programmes",
            "json": {
                "code": "GRAIN",
                "name": "口粮救助",
                "kind": "grain",
                "region_code": "150102",
                "budget": "1000.00",
            },
        },
    ),
    ("PATCH", f"{API}/programmes/{{code}}"): Rule(
        roles(),
        lambda w, r, s: {"url": f"{API}/programmes/REBUILD", "json": {"budget": "1000001.00"}},
    ),
    ("POST", f"{API}/programmes/{{code}}/standards"): Rule(
        roles(),
        lambda w, r, s: {
            "url": f"{API}/programmes/REBUILD/standards",
            "json": {"effective_from": "2026-01-01", "damage": "severe", "per_household": "1.00"},
        },
    ),
    # The emergency: duty officers (reports also county staff in scope).
    ("POST", f"{API}/events"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/events",
            "json": {
                "name": "山洪",
                "hazard": "flood",
                "started_at": "2026-07-21T08:00:00+08:00",
                "region_codes": ["150102"],
            },
        },
    ),
    ("POST", f"{API}/events/{{event_id}}/reports"): Rule(
        scoped("duty_officer", "county_staff"),
        lambda w, r, s: {
            "url": f"{API}/events/{w.event}/reports",
            "json": _report(_township(s)) | {"kind": "update"},
        },
    ),
    ("POST", f"{API}/events/{{event_id}}/stable"): Rule(
        roles("duty_officer"), lambda w, r, s: {"url": f"{API}/events/{w.event}/stable", "json": {}}
    ),
    ("POST", f"{API}/events/{{event_id}}/responses"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/events/{w.event}/responses",
            "json": {"level": 3, "note": "x", "override_reason": "x"},
        },
    ),
    ("POST", f"{API}/events/{{event_id}}/road-closures"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/events/{w.event}/road-closures",
            "json": {"road_id": w.road},
        },
    ),
    ("DELETE", f"{API}/events/{{event_id}}/road-closures/{{road_id}}"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {"url": f"{API}/events/{w.event}/road-closures/{w.closed_road}"},
    ),
    ("PATCH", f"{API}/roads/{{road_id}}"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {"url": f"{API}/roads/{w.road}", "json": {"status": "closed", "note": "x"}},
    ),
    ("PATCH", f"{API}/responses/{{response_id}}"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/responses/{w.response}",
            "json": {"action": "end", "note": "x"},
        },
    ),
    ("PUT", f"{API}/responses/{{response_id}}/demand"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/responses/{w.response}/demand",
            "json": [
                {"region_code": "150102001", "item_code": "tent", "quantity": 1, "priority": 1}
            ],
        },
    ),
    ("POST", f"{API}/responses/{{response_id}}/plans"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/responses/{w.response}/plans",
            "json": {"method": "greedy"},
        },
    ),
    ("POST", f"{API}/plans/{{plan_id}}/approve"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {"url": f"{API}/plans/{w.plan}/approve", "json": {}},
    ),
    ("POST", f"{API}/responses/{{response_id}}/deadlines/{{name}}/done"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/responses/{w.response}/deadlines/situation_report/done",
            "json": {"note": "x"},
        },
    ),
    ("POST", f"{API}/inbox/{{inbox_id}}/ack"): Rule(
        addressee, lambda w, r, s: {"url": f"{API}/inbox/{_notification(w, r, s)}/ack"}
    ),
    # Stock and dispatch: managers of the warehouse; receipt also county staff in scope.
    ("POST", f"{API}/warehouses/{{code}}/receipts"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"{API}/warehouses/{_warehouse(s)}/receipts",
            "json": {"reference": "RK-1", "lines": [{"item_code": "tent", "quantity": 1}]},
        },
    ),
    ("POST", f"{API}/warehouses/{{code}}/adjustments"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"{API}/warehouses/{_warehouse(s)}/adjustments",
            "json": {"item_code": "tent", "delta": -1, "reason": "盘点"},
        },
    ),
    ("POST", f"{API}/warehouses/{{code}}/stocktakes"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"{API}/warehouses/{_warehouse(s)}/stocktakes",
            "json": {"item_code": "tent", "counted": 0, "reason": "盘点", "override_reason": "x"},
        },
    ),
    ("POST", f"{API}/warehouses/{{code}}/disposals"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"{API}/warehouses/{_warehouse(s)}/disposals",
            "json": {"item_code": "tent", "quantity": 1, "reason": "报废", "override_reason": "x"},
        },
    ),
    ("POST", f"{API}/transfers"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"{API}/transfers",
            "json": {
                "from_warehouse_code": _warehouse(s),
                "to_warehouse_code": _warehouse(_other(s)),
                "lines": [{"item_code": "tent", "quantity": 1}],
                "reason": "补库",
            },
        },
    ),
    ("POST", f"{API}/dispatch-orders/{{order_id}}/dispatch"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"{API}/dispatch-orders/{w.orders['reserved_' + s]}/dispatch",
            "json": TRUCK,
        },
    ),
    ("POST", f"{API}/dispatch-orders/{{order_id}}/receive"): Rule(
        scoped("warehouse_manager", "county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/dispatch-orders/{_receivable(w, r, s)}/receive",
            "json": {"lines": [{"item_code": "tent", "received": 5}], "note": ""},
        },
    ),
    ("POST", f"{API}/dispatch-orders/{{order_id}}/cancel"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {"url": f"{API}/dispatch-orders/{w.orders['reserved_' + s]}/cancel"},
    ),
    # The deaths and missing ledger: county staff in scope, duty officers everywhere.
    ("POST", f"{API}/events/{{event_id}}/casualties"): Rule(
        scoped("county_staff", "duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/events/{w.event}/casualties",
            "json": _casualty(_township(s), id_number(450, "150102")),
        },
    ),
    ("PATCH", f"{API}/events/{{event_id}}/casualties/{{casualty_id}}"): Rule(
        scoped("county_staff", "duty_officer"),
        lambda w, r, s: {
            "url": f"{API}/events/{w.event}/casualties/{w.casualties[s]}",
            "json": {"status": "dead", "reason": "更正"},
        },
    ),
    ("DELETE", f"{API}/events/{{event_id}}/casualties/{{casualty_id}}"): Rule(
        scoped("county_staff", "duty_officer"),
        lambda w, r, s: {"url": f"{API}/events/{w.event}/casualties/{w.casualties[s]}?reason=重复"},
    ),
    # Households and subsidies: county staff and approvers in scope.
    ("POST", f"{API}/households"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/households",
            "json": _household(w.event, _township(s), id_number(400, "150102")),
        },
    ),
    ("PATCH", f"{API}/households/{{household_id}}"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/households/{w.households[s]}",
            "json": {"size": 3, "reason": "更正"},
        },
    ),
    ("DELETE", f"{API}/households/{{household_id}}"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {"url": f"{API}/households/{w.households[s]}?reason=重复"},
    ),
    ("POST", f"{API}/cases/bulk"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/cases/bulk",
            "json": {"programme_code": "REBUILD", "household_ids": [w.households[s]]},
        },
    ),
    ("POST", f"{API}/events/{{event_id}}/statistics/import"): Rule(
        # As the households import: a row outside the caller's scope is a row error.
        scoped("duty_officer", "county_staff"),
        lambda w, r, s: {
            "url": f"{API}/events/{w.event}/statistics/import",
            "files": {
                "file": (
                    "quick.csv",
                    f"region_code,region_name,deaths,missing\n{_township(s)},x,0,0\n".encode(),
                    "text/csv",
                )
            },
        },
        out_of_scope_status=422,
    ),
    ("POST", f"{API}/households/import"): Rule(
        # Rows outside the clerk's scope are reported with the file's other problems.
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {"url": f"{API}/households/import", **_csv(w, s)},
        out_of_scope_status=422,
    ),
    ("POST", f"{API}/cases"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/cases",
            "json": {"household_id": w.households[s], "programme_code": "REBUILD"},
        },
    ),
    ("POST", f"{API}/cases/{{case_id}}/transitions"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/cases/{w.registered[s]}/transitions",
            "json": {"action": "village_review", "note": ""},
        },
    ),
    ("POST", f"{API}/cases/{{case_id}}/payments"): Rule(
        scoped("county_staff", "township_staff", "approver"),
        lambda w, r, s: {
            "url": f"{API}/cases/{w.approved[s]}/payments",
            "json": {"amount": "10.00", "paid_on": _today(), "reference": "ZF-2"},
        },
    ),
    ("POST", f"{API}/payments/{{payment_id}}/reversal"): Rule(
        scoped("approver"),
        lambda w, r, s: {
            "url": f"{API}/payments/{w.payments[s]}/reversal",
            "json": {"reason": "退回"},
        },
    ),
    # --- the UI's forms (cookie and same-origin Origin) -------------------------------------
    ("POST", "/events"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": "/events",
            "data": {
                "name": "山洪",
                "hazard": "flood",
                "started_at": "2026-07-21T08:00",
                "region_codes": "150102",
            },
        },
    ),
    ("POST", "/events/{event_id}/reports"): Rule(
        scoped("duty_officer", "county_staff"),
        lambda w, r, s: {"url": f"/events/{w.event}/reports", "data": _report_form(w, s)},
    ),
    ("POST", "/events/{event_id}/reports/zero"): Rule(
        scoped("duty_officer", "county_staff"),
        lambda w, r, s: {
            "url": f"/events/{w.event}/reports/zero",
            "data": {"region_code": _township(s)},
        },
    ),
    ("POST", "/events/{event_id}/statistics/import"): Rule(
        # A row outside the clerk's county is a row error on the page, as on the API.
        scoped("duty_officer", "county_staff"),
        lambda w, r, s: {
            "url": f"/events/{w.event}/statistics/import",
            "files": {
                "file": (
                    "quick.csv",
                    f"region_code,region_name,deaths,missing\n{_township(s)},x,0,0\n".encode(),
                    "text/csv",
                )
            },
        },
        out_of_scope_status=422,
    ),
    ("POST", "/events/{event_id}/stable"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {"url": f"/events/{w.event}/stable", "data": {"at": ""}},
    ),
    ("POST", "/events/{event_id}/casualties"): Rule(
        scoped("duty_officer", "county_staff"),
        lambda w, r, s: {
            "url": f"/events/{w.event}/casualties",
            "data": {
                **_casualty(_township(s), id_number(460, "150102")),
                "occurred_on": "2026-07-20",
            },
        },
    ),
    ("POST", "/events/{event_id}/responses"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"/events/{w.event}/responses",
            "data": {"level": "3", "note": "x", "override_reason": "x"},
        },
    ),
    ("POST", "/responses/{response_id}/change"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"/responses/{w.response}/change",
            "data": {"action": "end", "note": "x"},
        },
    ),
    ("POST", "/responses/{response_id}/closures"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"/responses/{w.response}/closures",
            "data": {"road_id": str(w.road), "note": "x"},
        },
    ),
    ("POST", "/responses/{response_id}/closures/{road_id}/reopen"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {"url": f"/responses/{w.response}/closures/{w.closed_road}/reopen"},
    ),
    ("POST", "/responses/{response_id}/demand"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"/responses/{w.response}/demand",
            "data": {
                "region_code": "150102001",
                "item_code": "tent",
                "quantity": "1",
                "priority": "1",
                "note": "x",
            },
        },
    ),
    ("POST", "/responses/{response_id}/plans"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {"url": f"/responses/{w.response}/plans", "data": {}},
    ),
    ("POST", "/plans/{plan_id}/approve"): Rule(
        roles("duty_officer"), lambda w, r, s: {"url": f"/plans/{w.plan}/approve", "data": {}}
    ),
    ("POST", "/responses/{response_id}/deadlines/{name}/done"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {
            "url": f"/responses/{w.response}/deadlines/situation_report/done",
            "data": {"note": "x"},
        },
    ),
    ("POST", "/inbox/{inbox_id}/ack"): Rule(
        addressee, lambda w, r, s: {"url": f"/inbox/{_notification(w, r, s)}/ack"}
    ),
    ("POST", "/warehouses/{code}/receipts"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"/warehouses/{_warehouse(s)}/receipts",
            "data": {"reference": "RK-1", "item_code": "tent", "quantity": "1"},
        },
    ),
    ("POST", "/warehouses/{code}/adjustments"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"/warehouses/{_warehouse(s)}/adjustments",
            "data": {"item_code": "tent", "delta": "-1", "reason": "盘点"},
        },
    ),
    ("POST", "/warehouses/{code}/stocktakes"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"/warehouses/{_warehouse(s)}/stocktakes",
            "data": {"item_code": "tent", "counted": "0", "reason": "盘点", "override_reason": "x"},
        },
    ),
    ("POST", "/warehouses/{code}/disposals"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"/warehouses/{_warehouse(s)}/disposals",
            "data": {
                "item_code": "tent",
                "quantity": "1",
                "reason": "报废",
                "override_reason": "x",
            },
        },
    ),
    ("POST", "/warehouses/{code}/transfer"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"/warehouses/{_warehouse(s)}/transfer",
            "data": {
                "to_warehouse_code": _warehouse(_other(s)),
                "item_code": "tent",
                "quantity": "1",
                "reason": "补库",
            },
        },
    ),
    ("POST", "/orders/{order_id}/dispatch"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {
            "url": f"/orders/{w.orders['reserved_' + s]}/dispatch",
            "data": {"item_code": "tent", "quantity": "5", **TRUCK},
        },
    ),
    ("POST", "/orders/{order_id}/receive"): Rule(
        scoped("warehouse_manager", "county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/orders/{_receivable(w, r, s)}/receive",
            "data": {"item_code": "tent", "received": "5", "damaged": "", "note": ""},
        },
    ),
    ("POST", "/orders/{order_id}/cancel"): Rule(
        roles("duty_officer"),
        lambda w, r, s: {"url": f"/orders/{w.orders['reserved_' + s]}/cancel", "data": {}},
    ),
    ("POST", "/subsidies/households"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": "/subsidies/households",
            "data": {
                k: str(v)
                for k, v in _household(w.event, _township(s), id_number(401, "150102")).items()
            },
        },
        # A region outside the clerk's county is a mistake in the form, shown under the
        # field with everything typed kept (issue 13), not an error page.
        out_of_scope_status=422,
    ),
    ("POST", "/subsidies/households/{household_id}/edit"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/subsidies/households/{w.households[s]}/edit",
            "data": {"size": "3", "damage": "collapsed", "reason": "更正"},
        },
    ),
    ("POST", "/subsidies/households/{household_id}/delete"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/subsidies/households/{w.households[s]}/delete",
            "data": {"reason": "重复"},
        },
    ),
    ("POST", "/subsidies/cases/bulk"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": "/subsidies/cases/bulk",
            "data": {
                "programme_code": "REBUILD",
                "selection": "selected",
                "household_ids": str(w.households[s]),
            },
        },
    ),
    ("POST", "/subsidies/import"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {"url": "/subsidies/import", **_csv(w, s)},
        out_of_scope_status=422,
    ),
    ("POST", "/subsidies/cases"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": "/subsidies/cases",
            "data": {"household_id": str(w.households[s]), "programme_code": "REBUILD"},
        },
    ),
    ("POST", "/subsidies/cases/{case_id}/transitions"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/subsidies/cases/{w.registered[s]}/transitions",
            "data": {"action": "village_review", "note": ""},
        },
    ),
    ("POST", "/subsidies/cases/{case_id}/payments"): Rule(
        scoped("county_staff", "township_staff", "approver"),
        lambda w, r, s: {
            "url": f"/subsidies/cases/{w.approved[s]}/payments",
            "data": {"amount": "10.00", "paid_on": _today(), "reference": "ZF-2"},
        },
    ),
    ("POST", "/subsidies/payments/{payment_id}/reversal"): Rule(
        scoped("approver"),
        lambda w, r, s: {
            "url": f"/subsidies/payments/{w.payments[s]}/reversal",
            "data": {"reason": "退回"},
        },
    ),
    # The township reserve fund (备用金): top-ups by the county, payments by the township's
    # staff or the county's, reversals by whoever may make the entry reversed (issue 15).
    ("POST", f"{API}/townships/{{code}}/reserve/top-ups"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"{API}/townships/{_township(s)}/reserve/top-ups",
            "json": {"amount": "5.00", "document_no": "X-2"},
        },
    ),
    ("POST", f"{API}/townships/{{code}}/reserve/payments"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/townships/{_township(s)}/reserve/payments",
            "json": {"amount": "5.00", "household_id": w.households[s], "reason": "先行"},
        },
    ),
    ("POST", f"{API}/townships/{{code}}/reserve/entries/{{entry_id}}/reversal"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/townships/{_township(s)}/reserve/entries/"
            f"{w.reserve_payments[s]}/reversal",
            "json": {"reason": "错付"},
        },
    ),
    ("POST", "/townships/{code}/reserve/top-ups"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"/townships/{_township(s)}/reserve/top-ups",
            "data": {"amount": "5.00", "document_no": "X-2"},
        },
    ),
    ("POST", "/townships/{code}/reserve/payments"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/townships/{_township(s)}/reserve/payments",
            "data": {"amount": "5.00", "household_id": str(w.households[s]), "reason": "先行"},
        },
    ),  # 冬春 (issue 15): the survey by township and county staff, totals and rounds by county
    # staff, paying a round by county staff and approvers, the policy by admins.
    ("POST", f"{API}/winter-spring/policy"): Rule(
        roles(),
        lambda w, r, s: {"url": f"{API}/winter-spring/policy", "json": {"region_code": "150100"}},
    ),
    ("POST", f"{API}/winter-spring/survey"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/winter-spring/survey",
            "json": {"household_id": w.households[s], "season": 2026, "people": 1},
        },
    ),
    ("POST", f"{API}/winter-spring/survey/{{entry_id}}/correction"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/winter-spring/survey/{w.winter_entries[s]}/correction",
            "json": {"people": 1, "reason": "更正"},
        },
    ),
    ("POST", f"{API}/winter-spring/survey/{{entry_id}}/withdrawal"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/winter-spring/survey/{w.winter_entries[s]}/withdrawal",
            "json": {"reason": "外出"},
        },
    ),
    ("POST", f"{API}/winter-spring/counties/{{code}}/totals"): Rule(
        scoped("county_staff"),
        lambda w, r, s: {"url": f"{API}/winter-spring/counties/{_county(s)}/totals?season=2026"},
    ),
    ("POST", f"{API}/winter-spring/cases/{{case_id}}/village-review"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/winter-spring/cases/{w.registered[s]}/village-review",
            "json": {"reviewed_on": "2026-07-21", "participants": "村两委", "result": "agreed"},
        },
    ),
    ("POST", f"{API}/winter-spring/rounds"): Rule(
        scoped("county_staff"),
        lambda w, r, s: {
            "url": f"{API}/winter-spring/rounds",
            "json": {
                "programme_code": "REBUILD",
                "county_code": _county(s),
                "name": "第二轮",
                "month": 1,
                "basis": "per_person",
                "amount": "150",
            },
        },
    ),
    ("POST", f"{API}/winter-spring/rounds/{{round_id}}/payment"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {"url": f"{API}/winter-spring/rounds/{w.winter_rounds[s]}/payment"},
    ),
    ("POST", "/winter-spring/survey"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": "/winter-spring/survey?season=2026",
            "data": {"household_id": str(w.households[s]), "people": "1"},
        },
    ),
    ("POST", "/winter-spring/survey/{entry_id}/correction"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/winter-spring/survey/{w.winter_entries[s]}/correction",
            "data": {"people": "1", "reason": "更正"},
        },
    ),
    ("POST", "/winter-spring/survey/{entry_id}/withdrawal"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/winter-spring/survey/{w.winter_entries[s]}/withdrawal",
            "data": {"reason": "外出"},
        },
    ),
    ("POST", "/winter-spring/counties/{code}/totals"): Rule(
        scoped("county_staff"),
        lambda w, r, s: {
            "url": f"/winter-spring/counties/{_county(s)}/totals",
            "data": {"season": "2026"},
        },
    ),
    ("POST", "/winter-spring/cases/{case_id}/village-review"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/winter-spring/cases/{w.registered[s]}/village-review",
            "data": {"reviewed_on": "2026-07-21", "participants": "村两委", "result": "agreed"},
        },
    ),
    ("POST", "/subsidies/programmes/{code}/budget"): Rule(
        roles(),
        lambda w, r, s: {
            "url": "/subsidies/programmes/REBUILD/budget",
            "data": {"budget": "1,000,001.00"},
        },
    ),
    ("POST", "/winter-spring/programmes/{code}/rounds"): Rule(
        scoped("county_staff"),
        lambda w, r, s: {
            "url": "/winter-spring/programmes/REBUILD/rounds",
            "data": {
                "county_code": _county(s),
                "name": "第二轮",
                "month": "1",
                "basis": "per_person",
                "amount": "150",
            },
        },
    ),
    ("POST", "/winter-spring/rounds/{round_id}/payment"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {"url": f"/winter-spring/rounds/{w.winter_rounds[s]}/payment", "data": {}},
    ),
    # 临时救助 (issue 15 part C): cases opened by county or township staff or an approver,
    # help first by the township's staff or the county's, recovery by any of the three.
    ("POST", f"{API}/temporary-cases"): Rule(
        scoped("county_staff", "township_staff", "approver"),
        lambda w, r, s: {
            "url": f"{API}/temporary-cases",
            "json": {
                "household_id": w.households[s],
                "programme_code": "T-TEMP",
                "relief_type": "emergency",
                "cause": "火灾",
                "months": 1,
            },
        },
    ),
    ("POST", f"{API}/cases/{{case_id}}/help-first"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/cases/{w.registered[s]}/help-first",
            "json": {"reason": "先行救助"},
        },
    ),
    ("POST", f"{API}/cases/{{case_id}}/recovery"): Rule(
        scoped("county_staff", "township_staff", "approver"),
        lambda w, r, s: {
            "url": f"{API}/cases/{w.registered[s]}/recovery",
            "json": {"how": "returned", "reason": "退回"},
        },
    ),
    ("POST", "/temporary/cases"): Rule(
        scoped("county_staff", "township_staff", "approver"),
        lambda w, r, s: {
            "url": "/temporary/cases",
            "data": {
                "household_id": str(w.households[s]),
                "programme_code": "T-TEMP",
                "relief_type": "emergency",
                "cause": "火灾",
                "months": "1",
            },
        },
    ),
    # the registration form's 试算: the same checks as registering, nothing written
    ("POST", "/temporary/preview"): Rule(
        scoped("county_staff", "township_staff", "approver"),
        lambda w, r, s: {
            "url": "/temporary/preview",
            "data": {
                "household_id": str(w.households[s]),
                "programme_code": "T-TEMP",
                "relief_type": "emergency",
                "cause": "火灾",
                "months": "1",
            },
        },
    ),
    ("POST", "/temporary/cases/{case_id}/help-first"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/temporary/cases/{w.registered[s]}/help-first",
            "data": {"reason": "先行救助"},
        },
    ),
    ("POST", "/temporary/cases/{case_id}/recovery"): Rule(
        scoped("county_staff", "township_staff", "approver"),
        lambda w, r, s: {
            "url": f"/temporary/cases/{w.registered[s]}/recovery",
            "data": {"how": "returned", "reason": "退回"},
        },
    ),
    # Goods to households (发放到户): county staff in scope and the township's own staff
    # (issue 16).
    ("POST", f"{API}/regions/{{code}}/issues"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/regions/{_township(s)}/issues",
            "json": {
                "event_id": w.event,
                "household_id": w.households[s],
                "issued_on": _today(),
                "signed_by": "户主",
                "lines": [{"item_code": "tent", "quantity": 1}],
            },
        },
    ),
    ("POST", f"{API}/issues/{{issue_id}}/reversal"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/issues/{w.issues[s]}/reversal",
            "json": {"reason": "错发"},
        },
    ),
    ("PUT", f"{API}/issues/{{issue_id}}/scan"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/issues/{w.issues[s]}/scan",
            "files": {"file": ("scan.png", b"\x89PNG\r\n\x1a\n0000", "image/png")},
        },
    ),
    ("POST", "/regions/{code}/distribution/issues"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/regions/{_township(s)}/distribution/issues",
            "data": {
                "event_id": str(w.event),
                "household_id": str(w.households[s]),
                "issued_on": _today(),
                "signed_by": "户主",
                "q_tent": "1",
            },
        },
    ),
    ("POST", "/regions/{code}/distribution/issues/{issue_id}/reversal"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/regions/{_township(s)}/distribution/issues/{w.issues[s]}/reversal",
            "data": {"event_id": str(w.event), "reason": "错发"},
        },
    ),
    ("POST", "/regions/{code}/distribution/issues/{issue_id}/scan"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/regions/{_township(s)}/distribution/issues/{w.issues[s]}/scan",
            "data": {"event_id": str(w.event)},
            "files": {"scan": ("scan.png", b"\x89PNG\r\n\x1a\n0000", "image/png")},
        },
    ),
    ("POST", "/regions/{code}/distribution/roster"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"/regions/{_township(s)}/distribution/roster",
            "data": {"event_id": str(w.event)},
            "files": {
                "file": (
                    "roster.csv",
                    f"户编号,tent,领取日期,领取人签字\n{w.households[s]},1,{_today()},户主\n".encode(),
                    "text/csv",
                )
            },
        },
    ),
    ("POST", f"{API}/regions/{{code}}/roster/import"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {
            "url": f"{API}/regions/{_township(s)}/roster/import",
            "data": {"event_id": str(w.event)},
            "files": {
                "file": (
                    "roster.csv",
                    f"户编号,tent,领取日期,领取人签字\n{w.households[s]},1,{_today()},户主\n".encode(),
                    "text/csv",
                )
            },
        },
    ),
    # Relief funds (救灾资金, issue 16): receipts, allocations, proposals and approvals by county
    # staff or approvers whose regions cover the region the money is in (or leaves).
    ("POST", f"{API}/funds/receipts"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"{API}/funds/receipts",
            "json": {"region_code": _county(s), "source": "county", **_FUND_DOC},
        },
    ),
    ("POST", f"{API}/funds/allocations"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"{API}/funds/allocations",
            "json": {
                "from_code": _county(s),
                "to_code": _township(s),
                "source": "county",
                **_FUND_DOC,
            },
        },
    ),
    # The world holds no fund entry: an allowed role out of scope meets 404 (nothing to see).
    ("POST", f"{API}/funds/entries/{{entry_id}}/reversal"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {"url": f"{API}/funds/entries/2147483/reversal", "json": {"reason": "错"}},
        out_of_scope_status=404,
    ),
    ("POST", f"{API}/funds/proposals"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"{API}/funds/proposals",
            "json": {"from_code": _county(s), "source": "county", "total": "5.00"},
        },
    ),
    ("POST", f"{API}/funds/proposals/approve"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"{API}/funds/proposals/approve",
            "json": {
                "from_code": _county(s),
                "source": "county",
                "document_no": "X-3",
                "document_date": "2026-07-22",
                "purpose": "救灾",
                "shares": [{"code": _township(s), "amount": "5.00"}],
            },
        },
    ),
    ("POST", "/funds/{code}/receipts"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"/funds/{_county(s)}/receipts",
            "data": {"source": "county", **_FUND_DOC},
        },
    ),
    ("POST", "/funds/{code}/allocations"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"/funds/{_county(s)}/allocations",
            "data": {"to_code": _township(s), "source": "county", **_FUND_DOC},
        },
    ),
    ("POST", "/funds/{code}/proposal"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"/funds/{_county(s)}/proposal",
            "data": {"source": "county", "total": "5.00"},
        },
    ),
    ("POST", "/funds/{code}/proposal/approve"): Rule(
        scoped("county_staff", "approver"),
        lambda w, r, s: {
            "url": f"/funds/{_county(s)}/proposal/approve",
            "data": {
                "source": "county",
                "document_no": "X-3",
                "document_date": "2026-07-22",
                "purpose": "救灾",
                f"share_{_township(s)}": "5.00",
            },
        },
    ),
}


def _flat_routes(app) -> Iterator[tuple[str, str]]:
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    for route in list(iterate(app.routes)) if iterate else list(app.routes):
        path = getattr(route, "path", None)
        for method in getattr(route, "methods", None) or ():
            if path is not None and method in ("POST", "PUT", "PATCH", "DELETE"):
                yield method, path


def _mutating_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite:///:memory:", secret_key="k" * 40))
    return set(_flat_routes(app))


def test_every_mutating_route_is_classified():
    routes = _mutating_routes()
    assert len(routes) >= 40  # a guard against listing nothing
    unclassified = sorted(routes - RULES.keys())
    assert unclassified == [], "give these routes a rule in RULES: " + ", ".join(
        f"{m} {p}" for m, p in unclassified
    )
    assert sorted(RULES.keys() - routes) == [], "RULES names routes the app no longer has"


# --- the walk -------------------------------------------------------------------------------


def _fingerprint(engine: Engine) -> dict[str, str]:
    """A digest of every row of every table, by table (the audit trail and ledger included)."""
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            digest = hashlib.sha256()
            key = [c for c in table.primary_key.columns] or list(table.columns)
            for row in conn.execute(select(table).order_by(*key)):
                digest.update(repr(tuple(row)).encode())
            out[table.name] = digest.hexdigest()
    return out


@pytest.fixture
def walk(app, engine: Engine) -> Iterator[tuple[TestClient, World, dict[str, str]]]:
    """The world, and a bearer token per role (the UI gets the same token as its cookie)."""
    _make(engine, "admin", "admin")
    settings = app.state.settings
    tokens = {}
    with TestClient(app, raise_server_exceptions=False) as client:
        with session_for(engine, write=False) as session:
            admin_user = auth.user_by_username(session, "admin")
            admin_token = auth.issue_token(admin_user, settings.secret_key, settings.token_hours)
        world = _build(engine, client, {"Authorization": f"Bearer {admin_token}"})
        with session_for(engine, write=False) as session:
            for role in ROLES:
                user = auth.user_by_username(session, role)
                tokens[role] = auth.issue_token(user, settings.secret_key, settings.token_hours)
        yield client, world, tokens


def _walk(
    client: TestClient,
    engine: Engine,
    world: World,
    tokens: dict[str, str],
    rules: dict[tuple[str, str], Rule | None],
) -> tuple[int, list[str]]:
    """Send every refused combination of `rules`; (how many were sent, what went wrong)."""
    failures: list[str] = []
    sent = 0
    before = _fingerprint(engine)
    for (method, path), rule in sorted(rules.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if rule is None:
            continue
        for role in ROLES:
            for scope in ("in", "out"):
                if rule.allowed(role, scope == "in"):
                    continue
                kwargs = rule.request(world, role, scope)
                client.cookies.clear()
                if path.startswith(API):
                    headers = {"Authorization": f"Bearer {tokens[role]}"}
                else:  # the UI: the sign-in cookie, posted from one of its own pages
                    client.cookies.set("relief_token", tokens[role])
                    headers = {"Origin": ORIGIN}
                reply = client.request(method, headers=headers, follow_redirects=False, **kwargs)
                sent += 1
                after = _fingerprint(engine)
                changed = sorted(t for t in after if after[t] != before[t])
                expected = rule.out_of_scope_status if rule.allowed(role, True) else 403
                label = f"{method} {kwargs['url']} as {role} ({scope} of scope)"
                if reply.status_code != expected:
                    failures.append(f"{label}: {reply.status_code} {reply.text[:200]}")
                elif path.startswith(API) and expected == 403:
                    code = reply.json()["detail"]["code"]
                    if code not in ("role_forbidden", "scope_forbidden"):
                        failures.append(f"{label}: 403 with code {code}")
                if changed:
                    failures.append(f"{label}: changed {', '.join(changed)}")
                    before = after
    return sent, failures


def test_refused_requests_are_403_and_change_nothing_for_every_route_role_and_scope(
    walk, engine: Engine
):
    client, world, tokens = walk
    assert world.notifications.keys() >= {"warehouse_manager", "manager_out"}
    sent, failures = _walk(client, engine, world, tokens, RULES)
    assert sent > 200  # the walk really walked
    assert failures == [], f"{len(failures)} problems:\n" + "\n".join(failures)


def _order_to_read(world: World, role: str, scope: str) -> int:
    # A manager's scope is the source warehouse; county staff's the destination region.
    return world.orders[("reserved_" if role == "warehouse_manager" else "region_") + scope]


order_readers = scoped("duty_officer", "warehouse_manager", "county_staff", "township_staff")
subsidy_readers = scoped("county_staff", "approver", "township_staff")
# One resource read by id: outside the caller's scope → 403 (lists filter silently).
READS: dict[tuple[str, str], Rule | None] = {
    ("GET", f"{API}/dispatch-orders/{{order_id}}"): Rule(
        order_readers, lambda w, r, s: {"url": f"{API}/dispatch-orders/{_order_to_read(w, r, s)}"}
    ),
    ("GET", f"{API}/dispatch-orders/{{order_id}}/print"): Rule(
        order_readers,
        lambda w, r, s: {"url": f"{API}/dispatch-orders/{_order_to_read(w, r, s)}/print"},
    ),
    ("GET", f"{API}/dispatch-orders/{{order_id}}/pdf"): Rule(
        order_readers,
        lambda w, r, s: {"url": f"{API}/dispatch-orders/{_order_to_read(w, r, s)}/pdf"},
    ),
    ("GET", "/orders/{order_id}"): Rule(
        order_readers, lambda w, r, s: {"url": f"/orders/{_order_to_read(w, r, s)}"}
    ),
    ("GET", "/orders/{order_id}/print"): Rule(
        order_readers, lambda w, r, s: {"url": f"/orders/{_order_to_read(w, r, s)}/print"}
    ),
    ("GET", "/warehouses/{code}/transfer"): Rule(
        scoped("warehouse_manager"),
        lambda w, r, s: {"url": f"/warehouses/{_warehouse(s)}/transfer"},
    ),
    ("GET", f"{API}/households/{{household_id}}"): Rule(
        subsidy_readers, lambda w, r, s: {"url": f"{API}/households/{w.households[s]}"}
    ),
    ("GET", f"{API}/cases/{{case_id}}"): Rule(
        subsidy_readers, lambda w, r, s: {"url": f"{API}/cases/{w.approved[s]}"}
    ),
    ("GET", f"{API}/cases/{{case_id}}/payments"): Rule(
        subsidy_readers, lambda w, r, s: {"url": f"{API}/cases/{w.approved[s]}/payments"}
    ),
    ("GET", "/subsidies/cases/{case_id}"): Rule(
        subsidy_readers, lambda w, r, s: {"url": f"/subsidies/cases/{w.approved[s]}"}
    ),
    ("GET", f"{API}/townships/{{code}}/reserve"): Rule(
        subsidy_readers, lambda w, r, s: {"url": f"{API}/townships/{_township(s)}/reserve"}
    ),
    ("GET", "/townships/{code}/reserve"): Rule(
        subsidy_readers, lambda w, r, s: {"url": f"/townships/{_township(s)}/reserve"}
    ),
    ("GET", "/subsidies/households/{household_id}/edit"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {"url": f"/subsidies/households/{w.households[s]}/edit"},
    ),
    # Goods to households (issue 16): households' issues by county and township staff in
    # scope; holdings also by warehouse managers, anywhere (as all stock is readable).
    ("GET", f"{API}/issues/{{issue_id}}"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {"url": f"{API}/issues/{w.issues[s]}"},
    ),
    ("GET", f"{API}/regions/{{code}}/issues"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {"url": f"{API}/regions/{_township(s)}/issues"},
    ),
    ("GET", f"{API}/regions/{{code}}/fulfilment"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {"url": f"{API}/regions/{_township(s)}/fulfilment?event_id={w.event}"},
    ),
    ("GET", f"{API}/regions/{{code}}/roster"): Rule(
        scoped("county_staff", "township_staff"),
        lambda w, r, s: {"url": f"{API}/regions/{_township(s)}/roster?event_id={w.event}"},
    ),
    ("GET", f"{API}/regions/{{code}}/holdings"): Rule(
        lambda role, in_scope: (
            role in ("admin", "warehouse_manager")
            or (role in ("county_staff", "township_staff") and in_scope)
        ),
        lambda w, r, s: {"url": f"{API}/regions/{_township(s)}/holdings"},
    ),
}


def test_reading_one_resource_outside_the_callers_scope_is_403(walk, engine: Engine):
    client, world, tokens = walk
    sent, failures = _walk(client, engine, world, tokens, READS)
    assert sent > 30
    assert failures == [], f"{len(failures)} problems:\n" + "\n".join(failures)


def test_order_lists_leave_out_what_the_caller_may_not_see(walk):
    client, world, tokens = walk
    expected = {
        "warehouse_manager": {"reserved_in", "region_out", "warehouse_in", "warehouse_out"},
        "county_staff": {"reserved_in", "region_in"},
        "township_staff": {"reserved_in", "region_in"},
        "approver": set(),
        "duty_officer": set(world.orders),
    }
    names = {order_id: name for name, order_id in world.orders.items()}
    for role, wanted in expected.items():
        reply = client.get(
            f"{API}/dispatch-orders", headers={"Authorization": f"Bearer {tokens[role]}"}
        )
        assert reply.status_code == 200, reply.text
        assert {names[o["id"]] for o in reply.json()["items"]} == wanted, role
