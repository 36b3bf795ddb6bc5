"""Loading a scenario folder into the database (SCENARIOS.md, "Loading is keyed by codes").

The folder is validated first; with any problem nothing is written. Then every record is
upserted through the owning domain's service, keyed by its code: a new code creates a row,
a changed attribute updates it (audited by the service), an equal row is left alone and
nothing is recorded, so loading the same folder twice writes nothing the second time.
Stock goes through the stock service, which turns a changed `on_hand` into a ledger
adjustment with reason `scenario load`. policy.yaml becomes one policy version keyed by
(scenario name, effective_from); each events/NAME.yaml an event keyed by NAME, with its
reports and its closed roads as closures of that event (the emergency service); each of
policy.yaml's subsidy programmes a programme keyed by its code (the subsidies service,
which only ever adds standards: cases point at the standard they were computed from).

Roads have no code of their own. A road is keyed by its two ends and the reader's road id:
without an `id` column the reader's id is already `A~B#N` (ends in code order, then the
position among roads with those ends); with one, the key is `A~B@ID`. Keying by the ends
as well as the id keeps two folders that both number their roads `R0001…` (Hohhot and
Guizhou) from overwriting each other's roads, and a copy of a folder under another name
from duplicating them. A road whose ends change in the folder is therefore a new road.

Nothing is deleted: a row that disappeared from the folder stays in the database (it may
carry ledger history or plans). The loader does not commit; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from relief import clock
from relief.auth.models import Actor
from relief.emergency import policy as policies
from relief.emergency import service as emergency
from relief.errors import DomainError, invalid
from relief.network import service as network
from relief.network.records import Region, Road
from relief.scenario.reader import POLICY, road_key
from relief.scenario.records import Problem, Scenario
from relief.scenario.validate import check_scenario
from relief.stock import service as stock
from relief.subsidies import service as subsidy_service
from relief.subsidies.models import ProgrammeIn

KINDS = ("regions", "warehouses", "items", "roads", "stock", "policy", "events", "programmes")
# The roads.scenario_key column's width.
_KEY_LENGTH = 128


class ScenarioInvalid(DomainError):
    """The folder has problems (as `relief scenario validate` prints them); nothing written."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        super().__init__(
            "scenario_invalid",
            f"scenario {path} has {len(problems)} problem(s); nothing was loaded",
            None,
            status=422,
            extra={"problems": [str(p) for p in problems]},
        )
        self.problems = problems


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class LoadReport:
    """What a load did: per kind of record, how many it created, updated or left alone."""

    scenario: str
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def lines(self) -> list[str]:
        """The report as `relief scenario load` prints it."""
        out = [f"loaded scenario {self.scenario}"]
        for kind, c in self.counts.items():
            out.append(
                f"  {kind:<11} created {c.created:>5}  updated {c.updated:>5}  "
                f"unchanged {c.unchanged:>5}"
            )
        return out


def load_scenario(session: Session, actor: Actor, path: str | Path) -> LoadReport:
    """Validate the folder at `path`, then upsert it; raises ScenarioInvalid on any problem."""
    folder = Path(path)
    scenario, problems = check_scenario(folder, now=clock.now())
    if problems:
        raise ScenarioInvalid(folder, problems)
    report = LoadReport(scenario=scenario.name)
    counts = report.counts
    for region in _parents_first(scenario.regions):
        counts["regions"].add(network.upsert_region(session, actor, region))
    for warehouse in scenario.warehouses:
        counts["warehouses"].add(network.upsert_warehouse(session, actor, warehouse))
    for item in scenario.items:
        counts["items"].add(network.upsert_item(session, actor, item))
    for road in scenario.roads:
        counts["roads"].add(network.upsert_road(session, actor, road, road_scenario_key(road)))
    _load_stock(session, actor, scenario, counts["stock"])
    if scenario.policy is not None:
        # One version keyed by (scenario name, effective_from).
        _, outcome = policies.load_policy(session, actor, scenario.policy, scenario.name)
        counts["policy"].add(outcome)
    event_ids: dict[str, int] = {}
    for key, spec in sorted(scenario.events.items()):
        event, outcome = emergency.load_event(session, actor, spec, key)
        event_ids[key] = event.id
        counts["events"].add(outcome)
    if scenario.policy is not None:
        _load_programmes(session, actor, scenario.policy.subsidies, event_ids, counts["programmes"])
    return report


def _load_stock(session: Session, actor: Actor, scenario: Scenario, counts: KindCounts) -> None:
    # The stock service writes the ledger and the audit; the outcome is read off the stock
    # as it stood before, so that the report can tell a new row from a changed one.
    before = {
        (s.warehouse_code, s.item_code): (s.on_hand, s.floor)
        for s in stock.stock_levels_for_allocation(session)
    }
    for level in scenario.stock:
        key = (level.warehouse_code, level.item_code)
        stock.set_stock_from_scenario(session, actor, *key, level.on_hand, level.floor)
        if key not in before:
            counts.add("created")
        else:
            counts.add("unchanged" if before[key] == (level.on_hand, level.floor) else "updated")


def road_scenario_key(road: Road) -> str:
    """The key a road of a folder is stored under (see the module docstring)."""
    ends = road_key(road.from_code, road.to_code)
    road_id = str(road.id)
    key = road_id if road_id.startswith(f"{ends}#") else f"{ends}@{road_id}"
    if len(key) > _KEY_LENGTH:
        raise invalid("id", f"road {road_id} from {road.from_code} to {road.to_code}: key too long")
    return key


def _parents_first(regions: list[Region]) -> list[Region]:
    """Regions ordered so that every parent comes before its children (the folder is a
    validated tree: one root, no cycles)."""
    parent = {r.code: r.parent_code for r in regions}

    def depth_of(code: str | None) -> int:
        depth = 0
        while (code := parent.get(code)) is not None:  # type: ignore[arg-type]
            depth += 1
        return depth

    return sorted(regions, key=lambda r: (depth_of(r.code), r.code))


def _load_programmes(
    session: Session,
    actor: Actor,
    subsidies: dict[str, Any],
    event_ids: dict[str, int],
    counts: KindCounts,
) -> None:
    """policy.yaml's subsidy programmes, created or brought up to date by the subsidies
    service; a programme's `event` (a file stem) names an event loaded just before."""
    for index, programme in enumerate(subsidies.get("programmes", [])):
        where = f"{POLICY}: subsidies.programmes[{index}]"
        try:
            body = ProgrammeIn(
                code=programme["code"],
                name=programme["name"],
                kind=programme["kind"],
                region_code=programme["region_code"],
                event_id=event_ids[programme["event"]] if "event" in programme else None,
                budget=programme["budget"],
                notice_days=programme.get("notice_days", subsidies.get("notice_days")),
                eligibility=programme.get("eligibility"),
                standards=programme.get("standards", []),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise invalid(where, f"{field}: {first['msg']}") from exc
        counts.add(subsidy_service.upsert_programme(session, actor, body))
