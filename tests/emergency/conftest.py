"""A small world for the emergency API: one prefecture with two counties, four warehouses,
two items, stock, a policy, users of every role, and the clock fixed at NOW.

The network goes in through the scenario loader (CSV folder without policy or events), the
policy through `load_policy`, as the scenario loader would. Travel times (hours), so that
eligibility can be worked out by hand:

    WH-NM ─0.25─ WH-HHT ─0.05─ 150100 ─1.5─ 150122 ─0.2─ 150122100
                   │                          │
                  1.1                        0.1
                   │                          │
                 WH-WC ─0.02─ 150125 ─0.1─ 150125101      WH-TKT
                                 └──0.9── 150125102

Deadlines: level 1: 8 h, 2: 6 h, 3: 4 h, 4: 1 h; level 1 is cross-jurisdiction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from relief import clock
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.emergency.policy import load_policy
from relief.emergency.records import COUNT_FIELDS, Norm, Policy

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=CST)
STARTED = datetime(2026, 7, 1, 6, 0, tzinfo=CST)

FILES = {
    "regions.csv": """\
code,name,level,parent_code,lat,lon,population
150000,内蒙古自治区,province,,40.84,111.74,
150100,呼和浩特市,prefecture,150000,40.84,111.74,3446100
150125,武川县,county,150100,41.10,111.45,172000
150125101,可可以力更镇,township,150125,41.09,111.46,60000
150125102,哈乐镇,township,150125,41.23,111.28,
150122,托克托县,county,150100,40.28,111.19,200000
150122100,双河镇,township,150122,40.27,111.18,
""",
    "warehouses.csv": """\
code,name,tier,region_code,lat,lon,capacity_m3
WH-NM,自治区救灾物资储备中心库,provincial,150000,40.80,111.70,20000
WH-HHT,呼和浩特市骨干库,prefecture,150100,40.83,111.75,8000
WH-WC,武川县片区库,county,150125,41.09,111.45,1500
WH-TKT,托克托县片区库,county,150122,40.27,111.19,1500
""",
    "roads.csv": """\
from_code,to_code,distance_km,travel_time_h,status
WH-NM,WH-HHT,8.5,0.25,open
WH-HHT,150100,1,0.05,open
WH-HHT,WH-WC,52.3,1.1,open
WH-WC,150125,0.5,0.02,open
150125,150125101,3,0.1,open
150125,150125102,40,0.9,open
150100,150122,70,1.5,open
WH-TKT,150122,1,0.1,open
150122,150122100,5,0.2,open
""",
    "items.csv": """\
code,name_zh,name_en,unit,weight_kg,volume_m3,category
tent,救灾帐篷,tent,顶,25,0.12,shelter
rice,大米,rice,kg,1,0.0013,food
""",
    "stock.csv": """\
warehouse_code,item_code,on_hand,floor
WH-NM,tent,1000,200
WH-NM,rice,50000,10000
WH-HHT,tent,300,50
WH-WC,tent,40,10
WH-WC,rice,2000,500
WH-TKT,tent,60,0
""",
}

CRITERIA = {
    "dead_missing": ["deaths", "missing"],
    "relocated_or_aided": ["relocated", "needing_aid"],
}
THRESHOLDS = {
    1: {"dead_missing": 100, "relocated_or_aided": 100000},
    2: {"dead_missing": 50, "relocated_or_aided": 20000},
    3: {"dead_missing": 10, "relocated_or_aided": 5000},
    4: {"dead_missing": 3, "relocated_or_aided": 1000},
}
POLICY = Policy(
    effective_from=date(2024, 1, 20),
    criteria=CRITERIA,
    thresholds=THRESHOLDS,
    deadlines_h={1: Decimal(8), 2: Decimal(6), 3: Decimal(4), 4: Decimal(1)},
    response_deadlines_h={
        "situation_report": {1: Decimal(12), 2: Decimal(24), 3: Decimal(24), 4: Decimal(24)},
        "funds_allocated": {1: Decimal(48), 2: Decimal(72), 3: Decimal(72), 4: Decimal("96.5")},
    },
    cross_jurisdiction_levels=frozenset({1}),
    tier_penalty_ton_km={
        "county": Decimal(0),
        "prefecture": Decimal(20),
        "provincial": Decimal(60),
    },
    cross_jurisdiction_penalty_ton_km=Decimal(30),
    norms=[
        Norm("tent", "relocated", Decimal("0.25"), 8),
        Norm("rice", "relocated", Decimal("1.5"), 10),
        Norm("rice", "needing_aid", Decimal("0.1"), 10),
    ],
)


def write_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def world(engine, tmp_path):
    """The network, stock and policy loaded; the clock at NOW."""
    from relief.scenario.loader import load_scenario

    clock.set_clock(lambda: NOW)
    folder = write_folder(tmp_path / "small")
    with transaction(engine) as session:
        load_scenario(session, SYSTEM, folder)
        load_policy(session, SYSTEM, POLICY, "small")
    return folder


# name: (role, warehouses, regions)
USERS = {
    "admin": ("admin", [], []),
    "duty": ("duty_officer", [], []),
    "wc_manager": ("warehouse_manager", ["WH-WC"], []),
    "tkt_manager": ("warehouse_manager", ["WH-TKT"], []),
    "nm_manager": ("warehouse_manager", ["WH-NM"], []),
    "hht_manager": ("warehouse_manager", ["WH-HHT"], []),
    "wc_staff": ("county_staff", [], ["150125"]),
    "approver": ("approver", [], ["150100"]),
}


class Users(dict):
    """Bearer headers by user name; a user is created and logged in when first asked for
    (password hashing is slow on purpose, so each test makes only the users it uses)."""

    def __init__(self, make_user, login):
        super().__init__()
        self._make_user = make_user
        self._login = login

    def __missing__(self, name: str) -> dict[str, str]:
        role, warehouses, regions = USERS[name]
        self._make_user(name, role, warehouses=warehouses, regions=regions)
        self[name] = self._login(name)
        return self[name]

    def create(self, *names: str) -> None:
        for name in names:
            self[name]  # noqa: B018 - creates the user

    def relogin(self) -> None:
        """New tokens for every user made so far (after moving the clock past expiry)."""
        for name in list(self):
            self[name] = self._login(name)


@pytest.fixture
def users(world, make_user, login) -> Users:
    return Users(make_user, login)


def counts(**given: int) -> dict[str, int]:
    return {name: given.get(name, 0) for name in COUNT_FIELDS}


class EmergencyApi:
    """Short calls for the tests (module-level helpers of a conftest cannot be imported
    under --import-mode=importlib, so they travel as this fixture)."""

    now = NOW
    started = STARTED
    policy = POLICY

    def __init__(self, client, users: dict[str, dict[str, str]]):
        self.client = client
        self.users = users

    def report_body(
        self,
        region: str,
        kind: str = "initial",
        at: datetime | None = None,
        explanation: str | None = "changed after the count (test)",
        **given: int,
    ) -> dict:
        """A report with today's ten fields; a 续报 carries an explanation unless
        `explanation=None` (a jump needs one: issue 14)."""
        body = {
            "region_code": region,
            "kind": kind,
            "reported_at": (at or NOW - timedelta(hours=1)).isoformat(),
            **counts(**given),
        }
        if kind == "update" and explanation is not None:
            body["explanation"] = explanation
        return body

    def report(self, event_id: int, region: str, *, user: str = "duty", **kwargs):
        body = self.report_body(region, **kwargs)
        return self.client.post(
            f"/api/v1/events/{event_id}/reports", json=body, headers=self.users[user]
        )

    def create_event(self, regions: list[str], *, user: str = "duty", **extra):
        body = {
            "name": "武川县暴雨",
            "hazard": "flood",
            "started_at": STARTED.isoformat(),
            "region_codes": regions,
            **extra,
        }
        return self.client.post("/api/v1/events", json=body, headers=self.users[user])

    def trigger(self, event_id: int, level: int, *, user: str = "duty", **body):
        return self.client.post(
            f"/api/v1/events/{event_id}/responses",
            json={"level": level, "note": "test", **body},
            headers=self.users[user],
        )

    def patch(self, response_id: int, action: str, *, user: str = "duty", **body):
        return self.client.patch(
            f"/api/v1/responses/{response_id}",
            json={"action": action, "note": "test", **body},
            headers=self.users[user],
        )

    def get(self, path: str, *, user: str = "duty"):
        return self.client.get(f"/api/v1{path}", headers=self.users[user])


@pytest.fixture
def api(client, users) -> EmergencyApi:
    return EmergencyApi(client, users)


@pytest.fixture
def event(api) -> dict:
    """An event over 武川县 (150125), created by the duty officer."""
    reply = api.create_event(["150125"])
    assert reply.status_code == 201, reply.text
    return reply.json()
