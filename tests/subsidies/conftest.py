"""A small world for subsidy tests: 呼和浩特 with two counties and their townships (the
lowest level), one flood event, users of each role, and helpers for valid ID numbers.

Everything is built through the services (regions, event) and the API (programmes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from stdnum.cn import ric

from relief.auth.models import SYSTEM
from relief.clock import CST
from relief.db import transaction
from relief.emergency import service as emergency
from relief.emergency.models import EventIn
from relief.network import service as network
from relief.network.records import Region

REGIONS = (
    ("150000", "内蒙古自治区", "province", None),
    ("150100", "呼和浩特市", "prefecture", "150000"),
    ("150102", "新城区", "county", "150100"),
    ("150103", "回民区", "county", "150100"),
    ("150102001", "海拉尔东路街道", "township", "150102"),
    ("150102002", "锡林路街道", "township", "150102"),
    ("150103001", "环河街街道", "township", "150103"),
)
EVENT_STARTED = datetime(2026, 7, 20, 8, 0, tzinfo=CST)


def id_number(seq: int, place: str = "150102", born: str = "19800101") -> str:
    """A valid 18-character ID number, different for every `seq` (0..999)."""
    body = f"{place}{born}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def many_ids(count: int) -> list[str]:
    """`count` distinct valid numbers (birth dates vary, so more than 1,000 are possible)."""
    out = []
    for i in range(count):
        day = 1 + (i // 1000) % 28
        month = 1 + (i // 28000) % 12
        out.append(id_number(i, born=f"1970{month:02d}{day:02d}"))
    return out


@pytest.fixture
def world(engine, client, make_user, login, admin_headers) -> World:
    with transaction(engine) as session:
        for code, name, level, parent in REGIONS:
            network.create_region(
                session, SYSTEM, Region(code, name, level, parent, 40.8, 111.7, None)
            )
        event = emergency.create_event(
            session,
            SYSTEM,
            EventIn(
                name="2026年7月山洪",
                hazard="flood",
                started_at=EVENT_STARTED,
                region_codes=["150102", "150103"],
            ),
        )
        event_id = event.id
    return World(event_id, admin_headers, make_user, login)


# username → (role, region scope); users are created on first use, because password hashing
# (argon2) dominates the cost of a test that needs only two of them.
USERS = {
    "clerk": ("county_staff", ["150102"]),
    "approver": ("approver", ["150102"]),
    "other_clerk": ("county_staff", ["150103"]),
    "other_approver": ("approver", ["150103"]),
    "duty": ("duty_officer", []),
    "township": ("township_staff", ["150102001"]),  # 乡镇民政助理 of 海拉尔东路街道
    "other_township": ("township_staff", ["150102002"]),
}


class World:
    """The event id, and the headers of each user as attributes (`world.clerk`)."""

    def __init__(self, event_id: int, admin: dict[str, str], make_user, login) -> None:
        self.event_id = event_id
        self.admin = admin
        self._make_user = make_user
        self._login = login
        self._headers: dict[str, dict[str, str]] = {}

    def __getattr__(self, name: str) -> dict[str, str]:
        if name.startswith("_") or name not in USERS:
            raise AttributeError(name)
        if name not in self._headers:
            role, regions = USERS[name]
            self._make_user(name, role, regions=regions)
            self._headers[name] = self._login(name)
        return self._headers[name]


REBUILD = {
    "code": "HHHT-REBUILD",
    "name": "呼和浩特市2026年山洪倒损住房恢复重建补助",
    "kind": "rebuild",
    "region_code": "150100",
    "budget": "100000.00",
    "standards": [
        {"effective_from": "2008-02-28", "damage": "collapsed", "per_household": "3000.00"},
        {"effective_from": "2025-01-01", "damage": "collapsed", "per_household": "25000.00"},
        {
            "effective_from": "2025-01-01",
            "damage": "collapsed",
            "category": "dibao",
            "per_household": "35000.00",
        },
        {
            "effective_from": "2025-01-01",
            "damage": "general",
            "per_household": "2000.00",
            "per_room": "1000.00",
        },
        # Not yet in force when the event started: must never be chosen.
        {"effective_from": "2027-01-01", "damage": "collapsed", "per_household": "90000.00"},
    ],
}


@pytest.fixture
def rebuild(client, world) -> dict[str, Any]:
    reply = client.post("/api/v1/programmes", json=REBUILD, headers=world.admin)
    assert reply.status_code == 201, reply.text
    return reply.json()


@pytest.fixture
def register(client, world) -> Callable[..., dict[str, Any]]:
    """POST a household as the clerk; keyword arguments override the defaults."""

    def _register(seq: int = 1, **overrides: Any) -> dict[str, Any]:
        body = {
            "event_id": world.event_id,
            "region_code": "150102001",
            "head_name": f"户主{seq}",
            "id_number": id_number(seq),
            "size": 4,
            "damage": "collapsed",
            "rooms": 3,
            "category": "general",
            "bank_account": f"62284800{seq:011d}",
            **overrides,
        }
        reply = client.post("/api/v1/households", json=body, headers=world.clerk)
        assert reply.status_code == 201, reply.text
        return reply.json()

    return _register
