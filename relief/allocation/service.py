"""Allocation plans of a response: make them from the database, show them (stale or not),
compare them with the greedy baseline, and approve one into dispatch orders.

The solver is pure (relief.allocation.solver / greedy); this module builds its input from
the other domains' services and stores what it returns:

- demand: the response's demand lines in force (the last PUT, else the estimate), minus
  what the response's non-cancelled dispatch orders to regions already carry (SCENARIOS.md
  "Already covered"): an order still `reserved` carries its ordered quantity; once
  dispatched it carries what was dispatched, since a short dispatch released the rest;
- stock: on_hand − reserved − floor per warehouse × item, not below 0, where on_hand
  leaves out the lots whose date is past on the plan's arrival day (now +
  deadlines_h[level], China date): expired lots and lots that expire before the supplies
  must arrive; the plan lists those of eligible warehouses and demanded items in
  `excluded_stock` (reason `expired` or `expires_before_arrival`);
- roads: the network's open roads minus the event's closures and, for a what-if, the extra
  closures asked for (each closes every road between its two ends);
- policy: the one in force at the event's start for its regions; level: the response's,
  or the what-if level.

This module is the database source of the one pipeline (relief.allocation.pipeline): it
reads the records above into a ``PlanSource``; the pipeline builds the graph, the
eligibility, the available stock, the fingerprint and the solvers' input, and runs the
method, exactly as for ``relief plan`` from a folder.

The fingerprint (pipeline.plan_fingerprint) hashes the net demand, the level, the closed
roads and the available stock of the eligible warehouses. A draft plan is `stale` when the
same inputs read now hash differently; an approved plan is never stale (its inputs were
consumed by its own reservations); a superseded plan is always stale, since it can never
be approved.

Approval runs in the caller's one transaction: the response row is locked first (so two
approvals of one response queue, and the second finds its plan superseded), then the stock
rows of every line in the stock service's global order (so approvals competing for the
same stock queue instead of deadlocking), and only then is the fingerprint recomputed and
every line checked against the stock as it stands. Any 409 is raised before anything is
reserved; should a reservation fail anyway, the caller's rollback undoes every order.

Choices where the contract is silent:
- An ended response gets no new plan and no approval (409 `invalid_transition`).
- `closed_roads: []` is no what-if (it closes nothing); a `level` equal to the response's
  still is one, as API.md says "with `level`".
- `compare` re-runs the other method on the plan's stored inputs (its demand, level, closed
  roads and the available stock it saw) over today's network, so it compares methods, not
  moments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from relief import clock
from relief.allocation.compare import compare
from relief.allocation.model import AllocationInput, DemandLine, PlanResult
from relief.allocation.pipeline import PlanSource, prepare, run_method
from relief.allocation.solver import Progress
from relief.allocation.tables import (
    MAX_CLOSURES,
    MAX_TIME_LIMIT_S,
    PLAN_METHODS,
    PlanRow,
)
from relief.audit import service as audit
from relief.auth.models import Actor
from relief.dispatch import service as dispatch
from relief.emergency import responses
from relief.emergency import service as events
from relief.emergency.models import EventRow, ResponseRow
from relief.emergency.records import LEVELS, Policy
from relief.errors import DomainError, Term, invalid, not_found, unknown_code
from relief.network import service as network
from relief.network.records import Item, Region, Road, StockLevel, Warehouse
from relief.stock import service as stock

MAX_ID = 2**31 - 1
Pair = tuple[str, str]


# --- the inputs of a plan ------------------------------------------------------------------


@dataclass
class PlanInputs:
    """What a plan of a response is made from, read from the database now."""

    event: EventRow
    level: int
    what_if: bool
    extra_closures: list[Pair]
    closed_roads: list[Pair]
    gross_demand: list[DemandLine]
    covered: dict[Pair, int]
    demand: list[DemandLine]  # net of what is covered, zero lines left out
    available: dict[Pair, int]  # (warehouse, item) → available, eligible warehouses only
    fingerprint: str
    allocation: AllocationInput
    # Lots of eligible warehouses left out: expired, or expiring before the supplies arrive.
    excluded_stock: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `inputs` column: enough to run a method again on exactly these inputs."""
        return {
            "level": self.level,
            "closed_roads": [list(p) for p in self.closed_roads],
            "extra_closures": [list(p) for p in self.extra_closures],
            "demand": [_line_json(d) for d in self.demand],
            "covered": [
                {"region_code": j, "item_code": k, "quantity": q}
                for (j, k), q in sorted(self.covered.items())
                if q > 0
            ],
            "available": [[w, k, a] for (w, k), a in sorted(self.available.items())],
        }


def _line_json(line: DemandLine) -> dict[str, Any]:
    return {
        "region_code": line.region_code,
        "item_code": line.item_code,
        "quantity": int(line.quantity),
        "priority": int(line.priority),
    }


def covered_by_orders(session: Session, response_id: int) -> dict[Pair, int]:
    """Per (region, item): what the response's non-cancelled orders to regions carry."""
    covered: dict[Pair, int] = {}
    for order in dispatch.list_orders(session, response_id=response_id):
        if order.status == "cancelled" or order.destination_kind != "region":
            continue
        for line in dispatch.order_lines(session, order.id):  # type: ignore[arg-type]
            carried = line.quantity if order.status == "reserved" else line.dispatched
            key = (order.destination_code, line.item_code)
            covered[key] = covered.get(key, 0) + int(carried)
    return covered


def net_demand(lines: Iterable[DemandLine], covered: dict[Pair, int]) -> list[DemandLine]:
    """Demand minus what is covered, not below 0; lines left with nothing are dropped."""
    out = []
    for line in lines:
        left = int(line.quantity) - covered.get((line.region_code, line.item_code), 0)
        if left > 0:
            out.append(DemandLine(line.region_code, line.item_code, left, int(line.priority)))
    return sorted(out, key=lambda d: (d.region_code, d.item_code))


def _unordered(a: str, b: str) -> Pair:
    # A closure closes the roads between two ends whichever way it is written.
    return (a, b) if a <= b else (b, a)


@dataclass
class _Network:
    """The records one request reads once, whatever the number of plans it looks at."""

    regions: list[Region]
    warehouses: list[Warehouse]
    roads: list[Road]
    items: list[Item]
    session: Session
    # Stock usable on a day, and the lots left out, read once per day asked for.
    _stock: dict[date, tuple[list[StockLevel], list[stock.ExcludedLot]]] = field(
        default_factory=dict
    )

    def stock_on(self, day: date) -> tuple[list[StockLevel], list[stock.ExcludedLot]]:
        if day not in self._stock:
            self._stock[day] = (
                stock.stock_levels_for_allocation(self.session, usable_on=day),
                stock.lots_unusable_on(self.session, day),
            )
        return self._stock[day]


def _read_network(session: Session) -> _Network:
    regions, warehouses, roads, items = network.network_records(session)
    return _Network(regions, warehouses, roads, items, session)


def arrival_day(policy: Policy, level: int) -> date:
    """The day (China) by which a plan's supplies must arrive: now + deadlines_h[level];
    today when the policy sets no deadline for the level. A lot whose date is past by then
    is left out of the plan."""
    hours = policy.deadlines_h.get(level)
    at = clock.now() + timedelta(hours=float(hours or 0))
    return at.astimezone(clock.CST).date()


def _excluded_json(
    lots: Iterable[stock.ExcludedLot], available: dict[Pair, int], demand: Iterable[DemandLine]
) -> list[dict[str, Any]]:
    """The left-out lots that matter to this plan: of eligible warehouses and items in
    demand."""
    warehouses = {w for w, _ in available}
    items = {d.item_code for d in demand}
    return [
        {
            "warehouse_code": lot.warehouse_code,
            "item_code": lot.item_code,
            "lot": lot.lot,
            "quantity": lot.quantity,
            "expires_on": lot.expires_on.isoformat(),
            "reason": lot.reason,
        }
        for lot in lots
        if lot.warehouse_code in warehouses and lot.item_code in items
    ]


def gather_inputs(
    session: Session,
    response: ResponseRow,
    level: int | None = None,
    extra_closures: Sequence[Sequence[str]] = (),
    *,
    net: _Network | None = None,
    policy: Policy | None = None,
    progress: Progress | None = None,
) -> PlanInputs:
    """The inputs of a plan of `response` as the database holds them now: at the response's
    level unless `level` is given, with `extra_closures` on top of the event's closures."""
    event = events.get_event(session, response.event_id)
    policy = policy or events.event_policy(session, event)
    net = net or _read_network(session)
    plan_level = int(level) if level is not None else int(response.level)
    extra = sorted({_unordered(str(p[0]), str(p[1])) for p in extra_closures})
    if progress is not None:
        progress("demand", 0, 1)
    gross = responses.demand_lines(session, response.id)  # type: ignore[arg-type]
    covered = covered_by_orders(session, response.id)  # type: ignore[arg-type]
    demand = net_demand(gross, covered)
    event_closed = sorted(events.closed_road_ids(session, event.id))  # type: ignore[arg-type]
    usable, unusable = net.stock_on(arrival_day(policy, plan_level))
    prepared = prepare(
        PlanSource(
            regions=net.regions,
            warehouses=net.warehouses,
            roads=net.roads,
            items=net.items,
            stock=usable,
            demand=demand,
            policy=policy,
            level=plan_level,
            closed_road_ids=event_closed,
            closed_pairs=extra,
        ),
        progress,
    )
    available = prepared.available
    return PlanInputs(
        event=event,
        level=plan_level,
        what_if=level is not None or bool(extra),
        extra_closures=extra,
        closed_roads=prepared.closed_roads,
        gross_demand=gross,
        covered=covered,
        demand=demand,
        available=available,
        fingerprint=prepared.fingerprint,
        allocation=prepared.allocation,
        excluded_stock=_excluded_json(unusable, available, demand),
    )


# --- reading -------------------------------------------------------------------------------


def get_plan_row(session: Session, plan_id: int, *, lock: bool = False) -> PlanRow:
    if not 0 < plan_id <= MAX_ID:
        raise not_found("plan", plan_id)
    query = select(PlanRow).where(PlanRow.id == plan_id)
    if lock:
        # Another transaction may have approved or superseded it since this session read it.
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.exec(query).first()
    if row is None:
        raise not_found("plan", plan_id)
    return row


def list_plan_rows(session: Session, response_id: int) -> list[PlanRow]:
    responses.get_response(session, response_id)  # 404 for an unknown response
    query = select(PlanRow).where(PlanRow.response_id == response_id).order_by(col(PlanRow.id))
    return list(session.exec(query).all())


def shown_state(row: PlanRow) -> str:
    """The plan's state as the API shows it: `computing` or `failed` while a background job
    has not written its result, else the stored state."""
    return row.job_state or row.state


def plan_view(row: PlanRow, stale: bool) -> dict[str, Any]:
    """API.md's Plan for a stored plan (a computing or failed one has no lines yet)."""
    if row.job_state is not None:
        return {
            "id": row.id,
            "response_id": row.response_id,
            "event": row.event,
            "event_code": row.event_code,
            "level": row.level,
            "method": row.method,
            "status": "pending",
            "state": row.job_state,
            "stale": stale,
            "what_if": row.what_if,
            "fingerprint": None,
            "solve_seconds": 0.0,
            "stats": dict(EMPTY_STATS),
            "by_item": [],
            "lines": [],
            "unmet": [],
            "excluded_stock": [],
        }
    return {
        "id": row.id,
        "response_id": row.response_id,
        "event": row.event,
        "event_code": row.event_code,
        "level": row.level,
        "method": row.method,
        "status": row.status,
        "state": row.state,
        "stale": stale,
        "what_if": row.what_if,
        "fingerprint": row.fingerprint,
        "solve_seconds": round(row.solve_seconds, 3),
        "stats": dict(row.result["stats"]),
        "by_item": list(row.result["by_item"]),
        "lines": list(row.result["lines"]),
        "unmet": list(row.result["unmet"]),
        "excluded_stock": list(row.result.get("excluded_stock", [])),
    }


class _Staleness:
    """Whether plans are stale, reading the database once per request and computing each
    distinct (response, level, extra closures) fingerprint once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._net: _Network | None = None
        self._fingerprints: dict[tuple[int, int, tuple[Pair, ...]], str] = {}

    def current_fingerprint(self, row: PlanRow) -> str:
        extra = tuple((str(a), str(b)) for a, b in row.inputs.get("extra_closures", []))
        response = responses.get_response(self.session, row.response_id)
        # A plan that is no what-if is always judged at the response's level now: a level
        # changed since makes it stale.
        level = row.level if row.what_if else None
        key = (row.response_id, level or 0, extra)
        if key not in self._fingerprints:
            if self._net is None:
                self._net = _read_network(self.session)
            inputs = gather_inputs(self.session, response, level, extra, net=self._net)
            self._fingerprints[key] = inputs.fingerprint
        return self._fingerprints[key]

    def stale(self, row: PlanRow) -> bool:
        if row.job_state is not None:
            return False  # nothing to be stale yet: a computing or failed plan has no result
        if row.state == "approved":
            return False
        if row.state == "superseded":
            return True
        return self.current_fingerprint(row) != row.fingerprint


def get_plan(session: Session, plan_id: int) -> dict[str, Any]:
    """The Plan (API.md) with `stale` computed against the database now."""
    row = get_plan_row(session, plan_id)
    return plan_view(row, _Staleness(session).stale(row))


def list_plans(session: Session, response_id: int) -> list[dict[str, Any]]:
    """Every plan of a response, oldest first."""
    staleness = _Staleness(session)
    return [plan_view(row, staleness.stale(row)) for row in list_plan_rows(session, response_id)]


def plan_page(
    session: Session, response_id: int, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of a response's plans, oldest first, and how many there are in all."""
    responses.get_response(session, response_id)  # 404 for an unknown response
    query = select(PlanRow).where(PlanRow.response_id == response_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(PlanRow.id)).offset(offset).limit(limit)).all()
    staleness = _Staleness(session)
    return [plan_view(row, staleness.stale(row)) for row in rows], total


# --- creating ------------------------------------------------------------------------------


def _check_request(
    session: Session,
    method: str,
    time_limit_s: float | None,
    level: int | None,
    closed_roads: Sequence[Sequence[str]] | None,
) -> list[Pair]:
    if method not in PLAN_METHODS:
        raise invalid(
            "method",
            "method must be one of {methods}",
            params={"methods": ", ".join(PLAN_METHODS)},
        )
    if time_limit_s is not None and not 0 < time_limit_s <= MAX_TIME_LIMIT_S:
        raise invalid(
            "time_limit_s",
            "time_limit_s must be in (0, {max_s:g}]",
            params={"max_s": MAX_TIME_LIMIT_S},
        )
    if level is not None and level not in LEVELS:
        raise invalid("level", "level must be 1, 2, 3 or 4")
    pairs: list[Pair] = []
    closures = list(closed_roads or [])
    if len(closures) > MAX_CLOSURES:
        raise invalid(
            "closed_roads", "at most {max_closures} closures", params={"max_closures": MAX_CLOSURES}
        )
    for i, pair in enumerate(closures):
        if len(pair) != 2:
            raise invalid(f"closed_roads[{i}]", "a closure is [from_code, to_code]")
        a, b = str(pair[0]), str(pair[1])
        if a == b:
            raise invalid(
                f"closed_roads[{i}]",
                "a closure joins two different codes, not {a}",
                params={"a": a},
            )
        for end, code in enumerate((a, b)):
            if network.get_region(session, code) is None and (
                network.get_warehouse(session, code) is None
            ):
                raise unknown_code(f"closed_roads[{i}][{end}]", code, "region or warehouse")
        pairs.append((a, b))
    return pairs


def _require_active(response: ResponseRow, doing: str) -> None:
    if response.status != "active":
        raise DomainError(
            "invalid_transition",
            "response {response_id} has ended: no plan can be {doing}",
            None,
            params={"response_id": response.id, "doing": Term(f"plan.doing.{doing}")},
        )


EMPTY_STATS: dict[str, Any] = {
    "demand": 0,
    "allocated": 0,
    "shortfall": 0,
    "weighted_shortfall": 0,
    "deprivation": 0,
    "min_fill_rate": 0.0,
    "regions_unserved": 0,
    "ton_km": 0.0,
}


def model_arcs(inputs: PlanInputs) -> int:
    """The size of the model these inputs make: eligible pairs × items in demand (an upper
    bound of the min-cost-flow arcs; a province plan has ≈20,000, a national one millions)."""
    routes = inputs.allocation.routes
    items = {d.item_code for d in inputs.demand}
    return int(routes.eligible.sum()) * len(items)


def create_plan(
    session: Session,
    actor: Actor,
    response_id: int,
    method: str = "optimal",
    time_limit_s: float | None = None,
    level: int | None = None,
    closed_roads: Sequence[Sequence[str]] | None = None,
    *,
    background: bool = False,
    inline_max_arcs: int | None = None,
) -> PlanRow:
    """A new draft plan of the response from the database as it stands (supersedes
    nothing). With `level` or closures it is a what-if, which can never be approved.

    With `background`, or when the model has more than `inline_max_arcs` arcs, the plan is
    stored `computing` with no result (job_state set): the caller commits and hands its id
    to relief.allocation.jobs, whose job calls `compute_plan`."""
    response = responses.get_response(session, response_id)
    _require_active(response, "made")
    extra = _check_request(session, method, time_limit_s, level, closed_roads)
    request = {
        "method": method,
        "time_limit_s": time_limit_s,
        "level": level,
        "closed_roads": [list(p) for p in extra],
    }
    if not background:
        inputs = gather_inputs(session, response, level, extra)
        if inline_max_arcs is None or model_arcs(inputs) <= inline_max_arcs:
            result = run_method(method, inputs.allocation, time_limit_s)
            row = PlanRow(
                response_id=response_id,
                created_at=clock.now(),
                created_by=actor.username,
                **_result_fields(method, inputs, result),
            )
            session.add(row)
            session.flush()
            audit.record(session, actor, "create", "plan", row.id, None, _audit_view(row))
            return row
    event = events.get_event(session, response.event_id)
    extra_pairs = sorted({_unordered(a, b) for a, b in extra})
    now = clock.now()
    row = PlanRow(
        response_id=response_id,
        event=event.name,
        event_code=event.code,
        level=int(level) if level is not None else int(response.level),
        method=method,
        status="feasible",  # not shown: the API shows `pending` while job_state is set
        state="draft",
        what_if=level is not None or bool(extra_pairs),
        fingerprint="",
        solve_seconds=0.0,
        inputs={"extra_closures": [list(p) for p in extra_pairs]},
        result={},
        created_at=now,
        created_by=actor.username,
        job_state="computing",
        job={
            "request": request,
            "stage": "queued",
            "done": 0,
            "total": 0,
            "heartbeat_at": now.isoformat(),
            "reason": None,
        },
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "plan", row.id, None, _audit_view(row))
    return row


def _result_fields(method: str, inputs: PlanInputs, result: PlanResult) -> dict[str, Any]:
    """The columns of a made plan (inline or by a background job)."""
    shaped = result.to_dict()
    return {
        "event": inputs.event.name,
        "event_code": inputs.event.code,
        "level": inputs.level,
        "method": method,
        "status": result.status,
        "state": "draft",
        "what_if": inputs.what_if,
        "fingerprint": inputs.fingerprint,
        "solve_seconds": float(result.solve_seconds),
        "inputs": inputs.to_json(),
        "result": {
            **{key: shaped[key] for key in ("stats", "by_item", "lines", "unmet")},
            "excluded_stock": inputs.excluded_stock,
        },
    }


def compute_plan(
    session: Session, row: PlanRow, progress: Progress | None = None
) -> tuple[PlanInputs, PlanResult]:
    """Make a computing plan's result from its stored request (a background job's work;
    reads only: the job writes the result in its own short transaction)."""
    request = (row.job or {})["request"]
    response = responses.get_response(session, row.response_id)
    _require_active(response, "made")
    inputs = gather_inputs(
        session,
        response,
        request.get("level"),
        request.get("closed_roads") or (),
        progress=progress,
    )
    result = run_method(request["method"], inputs.allocation, request.get("time_limit_s"), progress)
    return inputs, result


def finish_plan(session: Session, row: PlanRow, inputs: PlanInputs, result: PlanResult) -> PlanRow:
    """Write a background plan's result: it becomes what an inline plan is (a draft, or
    superseded if another plan of the response was approved meanwhile)."""
    state = row.state
    for key, value in _result_fields(row.method, inputs, result).items():
        setattr(row, key, value)
    row.state = state
    job = dict(row.job or {})
    job.update(stage="done", done=1, total=1, heartbeat_at=clock.now().isoformat())
    row.job = job
    row.job_state = None
    session.add(row)
    session.flush()
    return row


def fail_plan(session: Session, row: PlanRow, reason: str) -> PlanRow:
    """Mark a computing plan failed with the reason shown to the officer."""
    job = dict(row.job or {})
    job.update(reason=reason[:2000], heartbeat_at=clock.now().isoformat())
    row.job = job
    row.job_state = "failed"
    session.add(row)
    session.flush()
    return row


def plan_progress(row: PlanRow) -> dict[str, Any]:
    """GET /plans/{id}/progress: `{plan_id, state, stage, done, total, reason}`."""
    job = row.job or {}
    if row.job_state is None:
        return {
            "plan_id": row.id,
            "state": row.state,
            "stage": "done",
            "done": 1,
            "total": 1,
            "reason": None,
        }
    return {
        "plan_id": row.id,
        "state": row.job_state,
        "stage": str(job.get("stage", "queued")),
        "done": int(job.get("done", 0)),
        "total": int(job.get("total", 0)),
        "reason": job.get("reason"),
    }


def stale_computing_plans(session: Session, stale_after_s: float) -> list[PlanRow]:
    """Computing plans whose job has not beaten for `stale_after_s` seconds (as of
    clock.now()): their worker was lost."""
    limit = clock.now() - timedelta(seconds=stale_after_s)
    rows = session.exec(select(PlanRow).where(PlanRow.job_state == "computing")).all()
    out = []
    for row in rows:
        beat = (row.job or {}).get("heartbeat_at")
        if beat is None or datetime.fromisoformat(beat) < limit:
            out.append(row)
    return out


def _require_made(row: PlanRow, doing: str) -> None:
    """409 for a plan with no result yet (computing) or none ever (failed)."""
    if row.job_state == "computing":
        raise _plan_error(
            "plan_computing",
            "plan {plan_id} is still being computed; it can be {doing} once it is finished",
            params={"plan_id": row.id, "doing": Term(f"plan.doing.{doing}")},
        )
    if row.job_state == "failed":
        raise _plan_error(
            "plan_failed",
            "plan {plan_id} failed while being computed ({reason}); make a new plan",
            params={"plan_id": row.id, "reason": (row.job or {}).get("reason") or ""},
        )


def _audit_view(row: PlanRow) -> dict[str, Any]:
    """A plan in the audit trail: what identifies it and its totals (its lines are in the
    plan itself and in the orders an approval creates)."""
    return {
        "response_id": row.response_id,
        "level": row.level,
        "method": row.method,
        "status": row.status,
        "state": row.state,
        "what_if": row.what_if,
        "job_state": row.job_state,
        "fingerprint": row.fingerprint,
        "extra_closures": row.inputs.get("extra_closures", []),
        "stats": row.result.get("stats", {}),
    }


# --- comparing -----------------------------------------------------------------------------


def stored_allocation(session: Session, row: PlanRow) -> AllocationInput:
    """The plan's own inputs (demand, level, closed roads, the stock it saw) over the
    network as it is now."""
    response = responses.get_response(session, row.response_id)
    event = events.get_event(session, response.event_id)
    policy = events.event_policy(session, event)
    regions, warehouses, roads, items = network.network_records(session)
    inputs = row.inputs
    demand = [
        DemandLine(d["region_code"], d["item_code"], int(d["quantity"]), int(d["priority"]))
        for d in inputs["demand"]
    ]
    seen = [StockLevel(w, k, int(a)) for w, k, a in inputs["available"]]
    closed = [(str(a), str(b)) for a, b in inputs["closed_roads"]]
    source = PlanSource(
        regions=regions,
        warehouses=warehouses,
        roads=roads,
        items=items,
        stock=seen,
        demand=demand,
        policy=policy,
        level=row.level,
        closed_pairs=closed,
    )
    return prepare(source).allocation


def compare_plan(session: Session, plan_id: int) -> dict[str, Any]:
    """`{optimal, greedy, comparison}`: the stored plan in its method's place and the other
    method run on the same inputs (id null, draft, same fingerprint)."""
    row = get_plan_row(session, plan_id)
    _require_made(row, "compared")
    stored = plan_view(row, _Staleness(session).stale(row))
    other_method = "greedy" if row.method == "optimal" else "optimal"
    other = run_method(other_method, stored_allocation(session, row))
    other.event = row.event
    other.fingerprint = row.fingerprint
    other.what_if = row.what_if
    other.response_id = row.response_id
    other_view = {**other.to_dict(), "excluded_stock": stored["excluded_stock"]}
    plans = {row.method: stored, other_method: other_view}
    return {
        "optimal": plans["optimal"],
        "greedy": plans["greedy"],
        "comparison": compare(plans["optimal"], plans["greedy"]),
    }


# --- approving -----------------------------------------------------------------------------


def _plan_error(
    code: str, message: str, params: dict[str, Any] | None = None, **extra: Any
) -> DomainError:
    return DomainError(code, message, None, params=params, extra=extra or None)


def lines_that_no_longer_fit(
    lines: Sequence[dict[str, Any]], levels: Iterable[StockLevel]
) -> list[dict[str, Any]]:
    """The plan lines of every warehouse × item whose lines together need more than is
    available now, each with that availability."""
    available = {(s.warehouse_code, s.item_code): s.available for s in levels}
    needed: dict[Pair, int] = {}
    for line in lines:
        key = (line["warehouse_code"], line["item_code"])
        needed[key] = needed.get(key, 0) + int(line["quantity"])
    short = {key for key, q in needed.items() if q > available.get(key, 0)}
    return [
        {
            "warehouse_code": line["warehouse_code"],
            "region_code": line["region_code"],
            "item_code": line["item_code"],
            "quantity": int(line["quantity"]),
            "needed_at_warehouse": needed[(line["warehouse_code"], line["item_code"])],
            "available": available.get((line["warehouse_code"], line["item_code"]), 0),
        }
        for line in lines
        if (line["warehouse_code"], line["item_code"]) in short
    ]


def approve_plan(session: Session, actor: Actor, plan_id: int) -> tuple[PlanRow, list[int]]:
    """Approve a draft plan: one dispatch order per (source warehouse, destination region),
    reserving its stock; the response's other drafts become superseded. Returns the plan
    and the ids of the orders. 409 `plan_is_what_if`, `plan_already_approved`,
    `plan_stale`, `plan_no_longer_fits` (with `lines`) leave nothing reserved."""
    row = get_plan_row(session, plan_id)
    response = responses.get_response(session, row.response_id, lock=True)
    row = get_plan_row(session, plan_id, lock=True)
    _require_made(row, "approved")
    if row.what_if:
        raise _plan_error(
            "plan_is_what_if",
            "plan {plan_id} is a what-if (level or closures asked for); it cannot be approved. Make a plan without them to approve.",
            params={"plan_id": plan_id},
        )
    if row.state == "approved":
        raise _plan_error(
            "plan_already_approved",
            "plan {plan_id} is already approved",
            params={"plan_id": plan_id},
        )
    if row.state == "superseded":
        raise _plan_error(
            "plan_stale",
            "plan {plan_id} was superseded when another plan of response {response_id} was approved; make a new plan",
            reason="superseded",
            params={"plan_id": plan_id, "response_id": response.id},
        )
    _require_active(response, "approved")

    lines: list[dict[str, Any]] = list(row.result.get("lines", []))
    groups: dict[Pair, list[dict[str, Any]]] = {}
    for line in lines:
        groups.setdefault((line["warehouse_code"], line["region_code"]), []).append(line)
    # Lock order: the day's order-number counter, then the stock rows (dispatch.create_order);
    # a refusal below rolls the numbers back with everything else.
    numbers = iter(dispatch.next_numbers(session, clock.now(), len(groups)) if groups else [])
    stock.lock_levels(session, [(li["warehouse_code"], li["item_code"]) for li in lines])
    current = gather_inputs(session, response)
    if current.fingerprint != row.fingerprint:
        raise _plan_error(
            "plan_stale",
            "plan {plan_id} was made from inputs that have changed since (demand, level, closed roads or available stock); make a new plan",
            reason="inputs_changed",
            params={"plan_id": plan_id},
        )
    short = lines_that_no_longer_fit(
        lines,
        stock.stock_levels_for_allocation(
            session, usable_on=arrival_day(current.allocation.policy, current.level)
        ),
    )
    if short:
        raise _plan_error(
            "plan_no_longer_fits",
            "{count} line(s) of plan {plan_id} need more stock than is available now",
            lines=short,
            params={"count": len(short), "plan_id": plan_id},
        )

    order_ids: list[int] = []
    for (warehouse_code, region_code), group in sorted(groups.items()):
        first = group[0]
        order = dispatch.create_order(
            session,
            actor,
            source_warehouse_code=warehouse_code,
            destination_code=region_code,
            destination_kind="region",
            lines=[
                dispatch.OrderLine(li["item_code"], int(li["quantity"]))
                for li in sorted(group, key=lambda li: li["item_code"])
            ],
            route=list(first["path"]),
            eta_h=Decimal(str(first["eta_h"])),
            distance_km=Decimal(str(first["distance_km"])),
            plan_id=row.id,
            response_id=response.id,
            reference=f"plan {row.id}",
            loading_h=current.allocation.policy.loading_h,
            number=next(numbers),
        )
        order_ids.append(order.id)  # type: ignore[arg-type]

    before = _audit_view(row)
    row.state = "approved"
    row.approved_at = clock.now()
    row.approved_by = actor.username
    session.add(row)
    after = {**_audit_view(row), "order_ids": order_ids}
    audit.record(session, actor, "approve", "plan", row.id, before, after)
    for other in session.exec(
        select(PlanRow)
        .where(
            PlanRow.response_id == response.id,
            PlanRow.state == "draft",
            PlanRow.id != row.id,
        )
        .with_for_update()
    ).all():
        other.state = "superseded"
        session.add(other)
        audit.record(
            session,
            actor,
            "supersede",
            "plan",
            other.id,
            {"state": "draft"},
            {"state": "superseded", "by_plan_id": row.id},
        )
    session.flush()
    return row, order_ids
