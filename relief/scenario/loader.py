"""Loading a scenario folder into the database (SCENARIOS.md, "Loading is keyed by codes").

The folder is validated first; with any problem nothing is written. Then every record is
upserted through the owning domain's service, keyed by its code: a new code creates a row,
a changed attribute updates it (audited by the service), an equal row is left alone and
nothing is recorded, so loading the same folder twice writes nothing the second time.
Stock goes through the stock service, which turns a changed `on_hand` into a ledger
adjustment with reason `scenario load`. policy.yaml becomes one policy version keyed by
(scenario code, effective_from); each events/NAME.yaml an event keyed by (scenario code,
NAME), with its reports and its closed roads as closures of that event (the emergency
service); each of policy.yaml's subsidy programmes a programme keyed by its code (the
subsidies service, which only ever adds standards: cases point at the standard they were
computed from). The scenario's code is scenario.yaml's `code`, else the folder's name: two
folders with one code are one scenario (one policy line, one set of events), two codes
never collide.

Reloading updates reference data but never reverts what users changed; the report lists
what it kept and why ("kept: …"):
- a road whose status a user set (PATCH /roads) keeps that status; its other attributes
  follow the folder;
- a stock row that moved since the last load (a receipt, dispatch, reservation, transfer,
  or a user's adjustment: its latest ledger row is not this loader's) keeps its on_hand;
  its floor follows the folder;
- a file closure that a user lifted for the event is not closed again;
- a policy version an administrator last wrote (PUT or POST /policies) keeps its content;
- a programme an administrator last wrote (POST /programmes) keeps its attributes and
  standards.
"Users" are every actor but the one loading (the CLI's `system`), as the audit trail and
the ledger record them.

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

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from relief import clock
from relief.audit import service as audit
from relief.auth.models import Actor
from relief.emergency import policy as policies
from relief.emergency import service as emergency
from relief.errors import N_, DomainError, invalid
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
            N_("scenario {path} has {count} problem(s); nothing was loaded"),
            None,
            params={"path": str(path), "count": len(problems)},
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


@dataclass(frozen=True)
class Kept:
    """Something users changed that the load left as they left it."""

    kind: str  # a KINDS entry
    what: str  # the record: `road W1—150125 (id 7)`, `stock W1/tent`, `policy hohhot from …`
    why: str  # who changed it and when, and what the folder says instead

    def __str__(self) -> str:
        return f"{self.what}: {self.why}"


@dataclass
class LoadReport:
    """What a load did: per kind of record, how many it created, updated or left alone,
    and what users had changed that it kept."""

    scenario: str
    code: str = ""
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    kept: list[Kept] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def lines(self) -> list[str]:
        """The report as `relief scenario load` prints it."""
        code = f" (code {self.code})" if self.code and self.code != self.scenario else ""
        out = [f"loaded scenario {self.scenario}{code}"]
        for kind, c in self.counts.items():
            out.append(
                f"  {kind:<11} created {c.created:>5}  updated {c.updated:>5}  "
                f"unchanged {c.unchanged:>5}"
            )
        if self.kept:
            out.append(f"kept {len(self.kept)} change(s) made by users (not reset):")
            out.extend(f"  kept: {entry}" for entry in self.kept)
        return out


def load_scenario(session: Session, actor: Actor, path: str | Path) -> LoadReport:
    """Validate the folder at `path`, then upsert it; raises ScenarioInvalid on any problem."""
    folder = Path(path)
    scenario, problems = check_scenario(folder, now=clock.now())
    if problems:
        raise ScenarioInvalid(folder, problems)
    report = LoadReport(scenario=scenario.name, code=scenario.code)
    counts = report.counts
    for region in _parents_first(scenario.regions):
        counts["regions"].add(network.upsert_region(session, actor, region))
    for warehouse in scenario.warehouses:
        counts["warehouses"].add(network.upsert_warehouse(session, actor, warehouse))
    for item in scenario.items:
        counts["items"].add(network.upsert_item(session, actor, item))
    for road in scenario.roads:
        key = road_scenario_key(road)
        road = _keep_user_status(session, road, key, report.kept)
        counts["roads"].add(network.upsert_road(session, actor, road, key))
    _load_stock(session, actor, scenario, counts["stock"], report.kept)
    if scenario.policy is not None:
        _load_policy(session, actor, scenario, counts["policy"], report.kept)
    event_ids: dict[str, int] = {}
    for stem, spec in sorted(scenario.events.items()):
        lifted: list[str] = []
        event, outcome = emergency.load_event(session, actor, spec, stem, scenario.code, lifted)
        report.kept.extend(Kept("events", f"event {scenario.code}/{stem}", why) for why in lifted)
        event_ids[stem] = event.id
        counts["events"].add(outcome)
    if scenario.policy is not None:
        _load_programmes(
            session,
            actor,
            scenario.policy.subsidies,
            event_ids,
            counts["programmes"],
            report.kept,
        )
        _seed_reserve_funds(session, actor, scenario.policy.temporary_relief)
        if scenario.policy.winter_spring:  # 冬春 (issue 15): its policy values, stored
            from relief.subsidies import winter

            winter.load_policy(session, actor, scenario.policy.winter_spring)
    return report


def _seed_reserve_funds(session: Session, actor: Actor, temporary_relief: dict[str, Any]) -> None:
    """Each township of a county named in `temporary_relief.reserve_fund_initial` starts its
    reserve fund (备用金) with that amount: one top-up, booked only while the township's
    fund has no entry, so loading again adds nothing. No key, no fund."""
    from relief.reserve import service as reserve
    from relief.subsidies.models import parse_fen

    for code, amount in sorted(temporary_relief.get("reserve_fund_initial", {}).items()):
        region = network.get_region(session, code)
        if region is None or region.level != "county":
            raise invalid(
                f"{POLICY}: temporary_relief.reserve_fund_initial.{code}",
                "{code} is not a county of the scenario",
                params={"code": code},
            )
        fen = parse_fen(amount)
        for township in network.region_descendants(session, code):
            row = network.get_region(session, township)
            if fen <= 0 or row is None or row.level != "township":
                continue
            if reserve.has_entries(session, township):
                continue
            reserve.top_up(session, actor, township, fen, "policy.yaml", None)


def _when(record: Any) -> str:
    """Who and when of an audit record or ledger row, as the report says it."""
    return f"{record.actor} on {clock.to_cst(record.at).strftime('%Y-%m-%d %H:%M')}"


def _keep_user_status(session: Session, road: Road, key: str, kept: list[Kept]) -> Road:
    """The folder's road, with the status a user set instead of the folder's."""
    row = network.road_by_scenario_key(session, key)
    if row is None or row.status == road.status:
        return road
    record = network.status_set_by_user(session, row.id)
    if record is None:
        return road
    kept.append(
        Kept(
            "roads",
            f"road {row.from_code}—{row.to_code} (id {row.id})",
            f"{row.status} by {_when(record)} (folder: {road.status}) — not reset",
        )
    )
    return dataclasses.replace(road, status=row.status)


def _load_policy(
    session: Session, actor: Actor, scenario: Scenario, counts: KindCounts, kept: list[Kept]
) -> None:
    """One version keyed by (scenario code, effective_from), unless an administrator
    wrote it last."""
    policy = scenario.policy
    assert policy is not None
    record = policies.edited_by_user(session, actor, policy, scenario.code)
    if record is not None:
        kept.append(
            Kept(
                "policy",
                f"policy {scenario.code} from {policy.effective_from.isoformat()}",
                f"edited by {_when(record)}; policy.yaml differs — not applied",
            )
        )
        counts.add("unchanged")
        return
    _, outcome = policies.load_policy(session, actor, policy, scenario.code)
    counts.add(outcome)


def _load_stock(
    session: Session, actor: Actor, scenario: Scenario, counts: KindCounts, kept: list[Kept]
) -> None:
    # The stock service writes the ledger and the audit; the outcome is read off the stock
    # as it stood before, so that the report can tell a new row from a changed one. The
    # rows are locked first (in code order): a receipt committed between reading a row
    # and writing it would otherwise be undone.
    stock.lock_levels(session, [(s.warehouse_code, s.item_code) for s in scenario.stock])
    before = {
        (s.warehouse_code, s.item_code): (s.on_hand, s.floor)
        for s in stock.stock_levels_for_allocation(session)
    }
    for level in scenario.stock:
        key = (level.warehouse_code, level.item_code)
        on_hand = level.on_hand
        if key in before and before[key][0] != on_hand:
            moved = stock.moved_since_scenario_load(session, actor, *key)
            if moved is not None:
                # Users moved this stock since the last load: its on_hand is theirs.
                kept.append(
                    Kept(
                        "stock",
                        f"stock {key[0]}/{key[1]}",
                        f"moved since last load (folder {on_hand}, now {before[key][0]}; "
                        f"last: {moved.kind} by {_when(moved)}) — not reset",
                    )
                )
                on_hand = before[key][0]
        stock.set_stock_from_scenario(session, actor, *key, on_hand, level.floor)
        if key not in before:
            counts.add("created")
        else:
            counts.add("unchanged" if before[key] == (on_hand, level.floor) else "updated")


def road_scenario_key(road: Road) -> str:
    """The key a road of a folder is stored under (see the module docstring)."""
    ends = road_key(road.from_code, road.to_code)
    road_id = str(road.id)
    key = road_id if road_id.startswith(f"{ends}#") else f"{ends}@{road_id}"
    if len(key) > _KEY_LENGTH:
        raise invalid(
            "id",
            "road {road_id} from {from_code} to {to_code}: key too long",
            params={"road_id": road_id, "from_code": road.from_code, "to_code": road.to_code},
        )
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
    kept: list[Kept],
) -> None:
    """policy.yaml's subsidy programmes, created or brought up to date by the subsidies
    service; a programme's `event` (a file stem) names an event loaded just before. A
    programme that an administrator wrote last is left as it is."""
    for index, programme in enumerate(subsidies.get("programmes", [])):
        where = f"{POLICY}: subsidies.programmes[{index}]"
        records = audit.history(session, "programme", programme["code"])
        if records and records[-1].actor != actor.username:
            kept.append(
                Kept(
                    "programmes",
                    f"programme {programme['code']}",
                    f"written by {_when(records[-1])} — not updated from policy.yaml",
                )
            )
            counts.add("unchanged")
            continue
        try:
            body = ProgrammeIn(
                code=programme["code"],
                name=programme["name"],
                kind=programme["kind"],
                region_code=programme["region_code"],
                event_id=event_ids[programme["event"]] if "event" in programme else None,
                budget=programme["budget"],
                notice_days=programme.get("notice_days", subsidies.get("notice_days")),
                supervision_phone=programme.get("supervision_phone"),
                eligibility=programme.get("eligibility"),
                standards=programme.get("standards", []),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise invalid(
                where, "{field}: {first}", params={"field": field, "first": first["msg"]}
            ) from exc
        counts.add(subsidy_service.upsert_programme(session, actor, body))
