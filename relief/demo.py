"""The demo flow behind `make demo`: migrate, load a scenario, create demo users, summarise.

Running it again is safe: the scenario load is idempotent and the demo accounts get fresh
one-time passwords (the old ones stop working).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from relief.audit import service as audit
from relief.auth import service as auth
from relief.auth.models import SYSTEM, UserCreate
from relief.db import session_for, transaction, upgrade
from relief.network import service as network
from relief.network.records import Item, Region, Warehouse
from relief.scenario.loader import load_scenario
from relief.stock import service as stock

# The places the demo accounts look after when the scenario has them (scenarios/hohhot):
# the Hohhot prefecture (呼和浩特市) and Wuchuan county (武川县).
PREFERRED_PREFECTURE = "150100"
PREFERRED_COUNTY = "150125"
LOWEST_SHOWN = 3


@dataclass
class DemoUser:
    username: str
    role: str
    password: str
    warehouse_codes: list[str] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)

    @property
    def scope(self) -> str:
        codes = self.warehouse_codes or self.region_codes
        return ", ".join(codes) if codes else "everything"


def create_demo_users(engine: Engine, users: list[DemoUser]) -> list[DemoUser]:
    """Create (or re-key) the demo accounts with fresh one-time passwords."""
    created = []
    with transaction(engine) as session:
        for user in users:
            existing = auth.user_by_username(session, user.username)
            if existing is not None:
                existing.password_hash = auth.hash_password(user.password)
                session.add(existing)
                audit.record(session, SYSTEM, "reset_password", "user", user.username)
            else:
                auth.create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        username=user.username,
                        password=user.password,
                        role=user.role,
                        warehouse_codes=user.warehouse_codes,
                        region_codes=user.region_codes,
                    ),
                )
            created.append(user)
    return created


def one_time_password() -> str:
    return secrets.token_urlsafe(9)


def demo_users(warehouses: list[Warehouse], regions: list[Region]) -> list[DemoUser]:
    """One account per role: a manager of the prefecture backbone warehouse and one of a
    county depot, county staff of that depot's county, an approver of the prefecture."""
    backbone = _pick(
        [w for w in warehouses if w.tier == "prefecture"],
        lambda w: w.region_code == PREFERRED_PREFECTURE,
    )
    depot = _pick(
        [w for w in warehouses if w.tier == "county"],
        lambda w: w.region_code == PREFERRED_COUNTY,
    )
    users = [
        DemoUser("admin", "admin", one_time_password()),
        DemoUser("duty", "duty_officer", one_time_password()),
    ]
    if backbone is not None:
        users.append(
            DemoUser("manager_backbone", "warehouse_manager", one_time_password(), [backbone.code])
        )
    if depot is not None:
        users.append(
            DemoUser("manager_depot", "warehouse_manager", one_time_password(), [depot.code])
        )
        users.append(
            DemoUser("county_staff", "county_staff", one_time_password(), [], [depot.region_code])
        )
    if backbone is not None:
        users.append(
            DemoUser("approver", "approver", one_time_password(), [], [backbone.region_code])
        )
    return users


def _pick(candidates: list[Warehouse], preferred) -> Warehouse | None:
    ordered = sorted(candidates, key=lambda w: (not preferred(w), w.code))
    return ordered[0] if ordered else None


def run_demo(database_url: str, engine: Engine, scenario: Path) -> list[str]:
    """Everything `relief demo` does before serving; returns the lines it printed."""
    upgrade(database_url, engine)
    with transaction(engine) as session:
        report = load_scenario(session, SYSTEM, scenario)
    lines = [f"scenario: {scenario}", *report.lines()]
    with session_for(engine, write=False) as session:
        regions, warehouses, _, _ = network.network_records(session)
    users = create_demo_users(engine, demo_users(warehouses, regions))
    lines.append("demo users (one-time passwords, printed once; a new run replaces them):")
    lines.append(f"  {'username':<17} {'role':<18} {'scope':<14} password")
    for user in users:
        lines.append(f"  {user.username:<17} {user.role:<18} {user.scope:<14} {user.password}")
    with session_for(engine, write=False) as session:
        lines.extend(network_summary(session))
    return lines


def network_summary(session: Session) -> list[str]:
    """The network at a glance: warehouses by tier, stock by item category, and the county
    depots with the least stock to give.

    "Least stock" is measured in tonnes that an allocation could send: Σ over the depot's
    items of available × weight_kg, with available = on_hand − reserved − floor (not below
    0). Units differ between items (顶, 床, kg), weight does not.
    """
    regions, warehouses, roads, items = network.network_records(session)
    levels = stock.stock_levels_for_allocation(session)
    item_by_code: dict[str, Item] = {item.code: item for item in items}
    closed = sum(1 for road in roads if road.status != "open")
    lines = [
        f"network: {len(regions)} regions, {len(warehouses)} warehouses, "
        f"{len(roads)} roads ({closed} closed), {len(items)} items",
        "warehouses by tier:",
    ]
    for tier in ("provincial", "prefecture", "county"):
        codes = [w.code for w in warehouses if w.tier == tier]
        lines.append(f"  {tier:<11} {len(codes):>4}")

    on_hand: dict[str, int] = defaultdict(int)
    weight: dict[str, Decimal] = defaultdict(Decimal)
    for level in levels:
        item = item_by_code[level.item_code]
        category = item.category or "(none)"
        on_hand[category] += level.on_hand
        weight[category] += level.on_hand * item.weight_kg
    lines.append("stock by category (Σ on_hand over the category's items; tonnes):")
    for category in sorted(on_hand):
        lines.append(
            f"  {category:<11} {on_hand[category]:>12,}  {_tonnes(weight[category]):>10} t"
        )

    available: dict[str, Decimal] = {w.code: Decimal(0) for w in warehouses if w.tier == "county"}
    for level in levels:
        if level.warehouse_code in available:
            item = item_by_code[level.item_code]
            available[level.warehouse_code] += level.available * item.weight_kg
    names = {w.code: w.name for w in warehouses}
    lowest = sorted(available.items(), key=lambda kv: (kv[1], kv[0]))[:LOWEST_SHOWN]
    lines.append(
        f"the {len(lowest)} lowest-stock county depots "
        "(by available tonnes: Σ (on_hand − reserved − floor) × weight_kg):"
    )
    for code, kg in lowest:
        lines.append(f"  {code:<14} {_tonnes(kg):>10} t  {names[code]}")
    return lines


def _tonnes(kg: Decimal) -> str:
    return f"{kg / 1000:,.1f}"
