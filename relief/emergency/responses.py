"""Responses (应急响应): trigger, escalate, downgrade, end; their deadlines and timeline;
the notifications they send to warehouse managers; and the demand a response plans for.

Rules (API.md "Emergency"): a level higher than recommended (a smaller number) needs an
`override_reason`, and with no recommendation every level needs one; an event has at most
one active response (the event row is locked while triggering, and a partial unique index
is the last line of defence); escalate needs a smaller level, downgrade a larger one.

Deadlines run from the trigger or the last level change: `supplies_arrive` is
`deadlines_h[level]` hours later, `situation_report` and `funds_allocated` come from
`response_deadlines_h` (null when the policy has none). They are computed, not stored, so
that a policy edit or a level change moves them.

Choices where the contract is silent:
- A deadline is `overdue` while the response is active, it is not done and `clock.now()`
  is past it; an ended response has no overdue deadline. relief does not learn by itself
  when supplies arrived, a situation report was sent or funds were allocated: the duty
  officer (or an admin) marks each deadline done, once (`deadline_already_done` after),
  while the response is active; the marking is audited with its note.
- The timeline shows the open deadlines of the current level (earlier ones were replaced):
  a level change re-bases the open ones from the change. A done deadline stays done with
  the level and due time it was done against (the report was sent; a new level does not
  unsend it); a new one for the new level is not opened.
- Notifications go to active warehouse managers with at least one warehouse eligible (the
  graph's eligibility at the response level, with the event's closures) to serve one of the
  event's regions or reported regions; escalations notify again, downgrades and ends do not.
  `unacknowledged` lists, sorted, the users with a notification of the response not acked.
  Only the addressee may acknowledge a notification (an admin acking on someone's behalf
  would hide that they never saw it).
- Demand: until the first PUT, GET estimates from the latest reports × the norms of the
  policy in force. The first PUT stores the estimate it replaced as version 1 (source
  `estimate`) and the edit as version 2; each later PUT adds a version. A line's region must
  be one of the event's regions or under one; a line without `priority` takes the item's
  norm priority weight, else 1. An ended response's demand is not edited (409).
- Coverage counts the stock available (on hand − reserved − floor) in the warehouses
  eligible, at the response level, for at least one region with demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from relief import clock
from relief.audit import service as audit
from relief.auth import service as auth
from relief.auth.deps import authorize_addressee
from relief.auth.models import Actor
from relief.emergency import service as events
from relief.emergency.assessment import latest_reports
from relief.emergency.models import (
    MAX_ID,
    CoverageOut,
    DeadlineDoneRow,
    Deadlines,
    DemandLineIn,
    DemandLineOut,
    DemandVersionOut,
    DemandVersionRow,
    EventRow,
    InboxOut,
    InboxRow,
    ResponseActionRow,
    ResponseIn,
    ResponseOut,
    ResponsePatch,
    ResponseRow,
    TimelineEntry,
)
from relief.emergency.needs import estimate_demand
from relief.emergency.records import DemandLine, Policy
from relief.errors import DomainError, Term, coded, not_found
from relief.i18n import Lang, translate
from relief.network import graph
from relief.network import service as network
from relief.stock import service as stock

# Written Ⅰ–Ⅳ (Unicode Roman numerals) everywhere, as in the documents users know: one way.
ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
DEADLINE_NAMES = ("supplies_arrive", "situation_report", "funds_allocated")


# --- reading -----------------------------------------------------------------------------


def get_response(session: Session, response_id: int, *, lock: bool = False) -> ResponseRow:
    if not 0 < response_id <= MAX_ID:
        raise not_found("response", response_id)
    query = select(ResponseRow).where(ResponseRow.id == response_id)
    if lock:
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is None:
        raise not_found("response", response_id)
    return row


def list_responses(session: Session, event_id: int | None = None) -> list[ResponseRow]:
    query = select(ResponseRow)
    if event_id is not None:
        query = query.where(ResponseRow.event_id == event_id)
    return list(session.exec(query.order_by(col(ResponseRow.id))).all())


def _hours(value: Decimal) -> timedelta:
    # Deadlines have at most 2 decimals of an hour: whole seconds, exactly.
    return timedelta(seconds=int(Decimal(value) * 3600))


def response_deadlines(policy: Policy, response: ResponseRow) -> dict[str, datetime | None]:
    """Each deadline of the response at its current level (None when the policy has none)."""
    base = clock.as_utc(response.level_changed_at)
    level = response.level
    hours = {
        "supplies_arrive": policy.deadlines_h.get(level),
        "situation_report": policy.response_deadlines_h.get("situation_report", {}).get(level),
        "funds_allocated": policy.response_deadlines_h.get("funds_allocated", {}).get(level),
    }
    return {name: None if h is None else base + _hours(h) for name, h in hours.items()}


def unacknowledged(session: Session, response_id: int) -> list[str]:
    names = session.exec(
        select(InboxRow.username).where(
            InboxRow.response_id == response_id, col(InboxRow.acked_at).is_(None)
        )
    ).all()
    return sorted(set(names))


@dataclass(frozen=True)
class InvolvedPerson:
    """Someone a response involves, with what the duty officer needs to call them."""

    username: str
    role: str
    full_name: str | None
    phone: str | None
    # True/False: notified and acknowledged or not (every notice); None: never notified.
    acknowledged: bool | None
    places: tuple[str, ...]  # the warehouses or regions that involve them


def involved_people(session: Session, response_id: int) -> list[InvolvedPerson]:
    """The managers and staff a response involves: managers notified of it or of whose
    warehouses its orders draw, and county staff of the regions of its event. Those who
    have not acknowledged come first, so that they can be called."""
    from relief.dispatch import service as dispatch  # dispatch builds on responses

    response = get_response(session, response_id)
    event = events.get_event(session, response.event_id)
    acked: dict[str, bool] = {}
    for row in session.exec(select(InboxRow).where(InboxRow.response_id == response_id)).all():
        acked[row.username] = acked.get(row.username, True) and row.acked_at is not None
    order_warehouses = {
        o.source_warehouse_code for o in dispatch.list_orders(session, response_id=response_id)
    }
    affected = set(affected_region_codes(session, event))
    people = []
    for user in auth.list_users(session):
        if not user.active:
            continue
        places: tuple[str, ...] = ()
        if user.role == "warehouse_manager":
            places = tuple(sorted(set(user.warehouse_codes or ()) & order_warehouses))
        elif user.role == "county_staff":
            places = tuple(
                code
                for code in sorted(user.region_codes or ())
                if affected & set(network.region_descendants(session, code))
            )
        if not places and user.username not in acked:
            continue
        people.append(
            InvolvedPerson(
                user.username,
                user.role,
                user.full_name,
                user.phone,
                acked.get(user.username),
                places,
            )
        )
    return sorted(people, key=lambda p: (p.acknowledged is not False, p.role, p.username))


def response_out(session: Session, response: ResponseRow) -> ResponseOut:
    event = events.get_event(session, response.event_id)
    due = response_deadlines(events.event_policy(session, event), response)
    return ResponseOut(
        id=response.id,
        event_id=response.event_id,
        level=response.level,
        status=response.status,
        recommended_level=response.recommended_level,
        note=response.note,
        override_reason=response.override_reason,
        deadlines=Deadlines(**{name: clock.to_cst(value) for name, value in due.items()}),
        unacknowledged=unacknowledged(session, response.id),
        triggered_by=response.triggered_by,
        triggered_at=clock.to_cst(response.triggered_at),
        level_changed_at=clock.to_cst(response.level_changed_at),
        ended_at=clock.to_cst(response.ended_at),
    )


# --- trigger, escalate, downgrade, end ------------------------------------------------------


def _check_override(level: int, recommended: int | None, override_reason: str | None) -> None:
    if override_reason is not None and override_reason.strip():
        return
    if recommended is None:
        raise DomainError(
            "validation_error",
            "no level is recommended for this event: any level needs an override_reason",
            "override_reason",
        )
    if level < recommended:
        raise DomainError(
            "validation_error",
            "level {level} is higher than the recommended level {recommended}: give an override_reason",
            "override_reason",
            params={"level": level, "recommended": recommended},
        )


def _record_action(
    session: Session,
    actor: Actor,
    response: ResponseRow,
    action: str,
    level_before: int | None,
    recommended: int | None,
    note: str,
    override_reason: str | None,
    at: datetime,
) -> ResponseActionRow:
    row = ResponseActionRow(
        response_id=response.id,
        action=action,
        level_before=level_before,
        level_after=response.level,
        recommended_level=recommended,
        note=note,
        override_reason=override_reason,
        actor=actor.username,
        at=at,
    )
    session.add(row)
    session.flush()
    return row


def _action_time() -> datetime:
    # Whole seconds: deadlines are read by people ("due 21:19:22"), and a response's
    # trigger, its action row and its notifications carry the one same instant.
    return clock.now().replace(microsecond=0)


def trigger_response(
    session: Session, actor: Actor, event_id: int, body: ResponseIn
) -> ResponseRow:
    """Start the event's response at a level; notifies the managers who can serve it."""
    # The event row lock serialises triggers of one event on PostgreSQL (SQLite's write
    # transactions are serial already), so the check below sees any earlier trigger.
    event = events.get_event(session, event_id, lock=True)
    active = events.active_response_id(session, event_id)
    if active is not None:
        raise _already_active(event_id, active)
    recommended = events.assess_event(session, event_id).recommended_level
    _check_override(body.level, recommended, body.override_reason)
    now = _action_time()
    response = ResponseRow(
        event_id=event_id,
        level=body.level,
        status="active",
        recommended_level=recommended,
        note=body.note,
        override_reason=body.override_reason,
        triggered_by=actor.username,
        triggered_at=now,
        level_changed_at=now,
    )
    session.add(response)
    try:
        session.flush()
    except IntegrityError as exc:  # a trigger that slipped past the check: the index held
        raise _already_active(event_id, None) from exc
    action = _record_action(
        session, actor, response, "trigger", None, recommended, body.note, body.override_reason, now
    )
    audit.record(session, actor, "trigger", "response", response.id, None, audit.snapshot(response))
    _notify(session, event, response, action, "response_triggered")
    return response


def _already_active(event_id: int, response_id: int | None) -> DomainError:
    if response_id is None:
        return DomainError(
            "response_already_active",
            "event {event_id} already has an active response; escalate, downgrade or end it instead",
            None,
            params={"event_id": event_id},
        )
    return DomainError(
        "response_already_active",
        "event {event_id} already has an active response (response {response_id}); escalate, downgrade or end it instead",
        None,
        extra={"response_id": response_id},
        params={"event_id": event_id, "response_id": response_id},
    )


def change_response(
    session: Session, actor: Actor, response_id: int, body: ResponsePatch
) -> ResponseRow:
    """Escalate, downgrade or end an active response."""
    response = get_response(session, response_id, lock=True)
    if response.status != "active":
        raise DomainError(
            "invalid_transition",
            "response {response_id} has ended; trigger a new one",
            "action",
            params={"response_id": response_id},
        )
    before = audit.snapshot(response)
    level_before = response.level
    recommended: int | None = None
    now = _action_time()
    if body.action == "end":
        response.status = "ended"
        response.ended_at = now
    else:
        if body.level is None:
            raise DomainError(
                "validation_error",
                "{action} needs a level",
                "level",
                params={"action": Term(f"action.{body.action}")},
            )
        if body.action == "escalate" and not body.level < response.level:
            raise DomainError(
                "validation_error",
                "escalating needs a higher level (a smaller number than {level})",
                "level",
                params={"level": response.level},
            )
        if body.action == "downgrade" and not body.level > response.level:
            raise DomainError(
                "validation_error",
                "downgrading needs a lower level (a larger number than {level})",
                "level",
                params={"level": response.level},
            )
        recommended = events.assess_event(session, response.event_id).recommended_level
        if body.action == "escalate":
            _check_override(body.level, recommended, body.override_reason)
        response.level = body.level
        response.recommended_level = recommended
        response.level_changed_at = now
    session.add(response)
    session.flush()
    action = _record_action(
        session,
        actor,
        response,
        body.action,
        level_before,
        recommended,
        body.note,
        body.override_reason,
        now,
    )
    audit.record(
        session,
        actor,
        body.action,
        "response",
        response.id,
        before,
        {**audit.snapshot(response), "note": body.note, "override_reason": body.override_reason},
    )
    if body.action == "escalate":
        event = events.get_event(session, response.event_id)
        _notify(session, event, response, action, "response_escalated")
    return response


# --- timeline ------------------------------------------------------------------------------


def _done_rows(session: Session, response_id: int) -> dict[str, DeadlineDoneRow]:
    rows = session.exec(
        select(DeadlineDoneRow).where(DeadlineDoneRow.response_id == response_id)
    ).all()
    return {row.name: row for row in rows}


def _done_entry(row: DeadlineDoneRow, lang: Lang = "en") -> TimelineEntry:
    level = ROMAN.get(row.level, str(row.level))
    if row.note:
        note = translate("timeline.done_with_note", lang, level=level, note=row.note)
    else:
        note = translate("timeline.done", lang, level=level)
    return TimelineEntry(
        at=clock.to_cst(row.due_at),
        kind="deadline",
        name=row.name,
        due_at=clock.to_cst(row.due_at),
        overdue=False,
        actor=row.done_by,
        note=note,
        level=row.level,
        done_at=clock.to_cst(row.done_at),
        done_by=row.done_by,
    )


def mark_deadline_done(
    session: Session, actor: Actor, response_id: int, name: str, note: str = ""
) -> TimelineEntry:
    """Mark one deadline of an active response done (now, by the actor); audited. A deadline
    is marked once: again is 409 `deadline_already_done`."""
    response = get_response(session, response_id, lock=True)
    if name not in DEADLINE_NAMES:
        raise not_found("deadline", name)
    if response.status != "active":
        raise DomainError(
            "invalid_transition",
            "response {response_id} has ended; its deadlines are final",
            None,
            params={"response_id": response_id},
        )
    event = events.get_event(session, response.event_id)
    due = response_deadlines(events.event_policy(session, event), response)[name]
    done = _done_rows(session, response_id).get(name)
    if done is not None:
        raise _already_done(response_id, name, done)
    if due is None:
        raise not_found("deadline", name)
    row = DeadlineDoneRow(
        response_id=response_id,
        name=name,
        level=response.level,
        due_at=due,
        done_at=clock.now().replace(microsecond=0),
        done_by=actor.username,
        note=note.strip(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a marking that slipped past the check: the key held
        raise _already_done(response_id, name, None) from exc
    audit.record(session, actor, "done", "response_deadline", row.id, None, audit.snapshot(row))
    return _done_entry(row)


def _already_done(response_id: int, name: str, row: DeadlineDoneRow | None) -> DomainError:
    if row is None:
        return DomainError(
            "deadline_already_done",
            "deadline {name} of response {response_id} is already done",
            None,
            params={"name": coded("deadline", name), "response_id": response_id},
        )
    return DomainError(
        "deadline_already_done",
        "deadline {name} of response {response_id} is already done by {by} at {at}",
        None,
        params={
            "name": coded("deadline", name),
            "response_id": response_id,
            "by": row.done_by,
            "at": clock.to_cst(row.done_at).isoformat(),
        },
    )


def timeline(session: Session, response_id: int, lang: Lang = "en") -> list[TimelineEntry]:
    """Actions and the deadlines (open ones at the current level, done ones as they were
    done), in time order (actions first at equal times). The notes the service adds (a
    deadline's level and span, an override's reason) are said in `lang` from the catalogue
    (`timeline.*`); the API keeps English, the web page uses the reader's language."""
    response = get_response(session, response_id)
    event = events.get_event(session, response.event_id)
    actions = session.exec(
        select(ResponseActionRow)
        .where(ResponseActionRow.response_id == response_id)
        .order_by(col(ResponseActionRow.id))
    ).all()
    entries: list[tuple[datetime, int, TimelineEntry]] = []
    for action in actions:
        note = action.note
        if action.override_reason:
            note = translate(
                "timeline.override", lang, note=note, reason=action.override_reason
            ).strip()
        entries.append(
            (
                clock.as_utc(action.at),
                0,
                TimelineEntry(
                    at=clock.to_cst(action.at),
                    kind="action",
                    name=action.action,
                    overdue=False,
                    actor=action.actor,
                    note=note,
                    level=action.level_after,
                ),
            )
        )
    now = clock.now()
    policy = events.event_policy(session, event)
    due_id = (
        "timeline.due_after_trigger"
        if response.level_changed_at == response.triggered_at
        else "timeline.due_after_change"
    )
    level = ROMAN.get(response.level, str(response.level))
    done = _done_rows(session, response_id)
    for name, due in response_deadlines(policy, response).items():
        if name in done:
            entry = _done_entry(done[name], lang)
            entries.append((clock.as_utc(done[name].due_at), 1, entry))
            continue
        if due is None:
            continue
        entries.append(
            (
                due,
                1,
                TimelineEntry(
                    at=clock.to_cst(due),
                    kind="deadline",
                    name=name,
                    due_at=clock.to_cst(due),
                    overdue=response.status == "active" and now > due,
                    actor=None,
                    note=translate(due_id, lang, level=level, hours=_span(due, response)),
                    level=response.level,
                    done_at=None,
                    done_by=None,
                ),
            )
        )
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return [entry for _, _, entry in entries]


def _span(due: datetime, response: ResponseRow) -> str:
    hours = Decimal((due - clock.as_utc(response.level_changed_at)).total_seconds()) / 3600
    return f"{hours.normalize():f}"


# --- notifications ---------------------------------------------------------------------------


def affected_region_codes(session: Session, event: EventRow) -> list[str]:
    """The event's regions and every region it has a report for."""
    codes = set(events.event_region_codes(session, event.id))
    codes.update(r.region_code for r in events.list_reports(session, event.id))
    return sorted(codes)


def eligible_warehouse_codes(
    session: Session, event: EventRow, level: int, region_codes: list[str]
) -> set[str]:
    """Warehouses eligible (graph.eligible_routes: deadline of the level, jurisdiction unless
    a cross-jurisdiction level) to serve at least one of `region_codes`, with the roads
    closed for everyone and those closed for this event left out."""
    if not region_codes:
        return set()
    regions, warehouses, roads, _ = network.network_records(session)
    if not warehouses:
        return set()
    network_graph = graph.build_graph(
        regions, warehouses, roads, closed_road_ids=events.closed_road_ids(session, event.id)
    )
    routes = graph.eligible_routes(
        network_graph,
        warehouses,
        regions,
        events.event_policy(session, event),
        level,
        region_codes=region_codes,
    )
    return {routes.warehouse_codes[int(w)] for w in routes.pair_w[routes.eligible]}


def _notify(
    session: Session, event: EventRow, response: ResponseRow, action: ResponseActionRow, kind: str
) -> list[InboxRow]:
    eligible = eligible_warehouse_codes(
        session, event, response.level, affected_region_codes(session, event)
    )
    rows = []
    for user in auth.list_users(session):
        if user.role != "warehouse_manager" or not user.active:
            continue
        mine = sorted(set(user.warehouse_codes or ()) & eligible)
        if not mine:
            continue
        row = InboxRow(
            username=user.username,
            response_id=response.id,
            action_id=action.id,
            kind=kind,
            level=response.level,
            # The row's kind, level and warehouses are the message's id and parameters
            # (inbox_message); the stored sentence is the Chinese one, for readers of the
            # table itself.
            message=inbox_message(session, kind, response.level, event.name, mine, "zh")[:1000],
            warehouse_codes=mine,
            created_at=action.at,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


# The catalogue id of a notification of each kind (relief/locale).
INBOX_MESSAGE_IDS = {
    "response_triggered": "inbox.response_triggered",
    "response_escalated": "inbox.response_escalated",
}


def inbox_message(
    session: Session, kind: str, level: int, event_name: str, warehouse_codes: list[str], lang: Lang
) -> str:
    """A notification in `lang`, from the catalogue: the event, the level (Ⅳ) and the
    reader's eligible warehouses by name. Rows stored before the catalogue are read the same
    way (their kind, level and warehouses were stored with them)."""
    names = []
    for code in warehouse_codes:
        warehouse = network.get_warehouse(session, code)
        names.append(f"{warehouse.name}（{code}）" if warehouse else code)
    msgid = INBOX_MESSAGE_IDS.get(kind, "inbox.response_triggered")
    return translate(
        msgid,
        lang,
        event=event_name,
        level=ROMAN.get(level, str(level)),
        warehouses=("、" if lang == "zh" else ", ").join(names),
    )


def inbox(session: Session, actor: Actor, unacked_only: bool = False) -> list[InboxRow]:
    query = select(InboxRow).where(InboxRow.username == actor.username)
    if unacked_only:
        query = query.where(col(InboxRow.acked_at).is_(None))
    return list(session.exec(query.order_by(col(InboxRow.id).desc())).all())


def acknowledge(session: Session, actor: Actor, inbox_id: int) -> InboxRow:
    row = session.get(InboxRow, inbox_id) if 0 < inbox_id <= MAX_ID else None
    if row is None:
        raise not_found("notification", inbox_id)
    authorize_addressee(actor, row.username, inbox_id)
    if row.acked_at is None:  # acking twice keeps the first time
        before = audit.snapshot(row)
        row.acked_at = clock.now()
        session.add(row)
        session.flush()
        audit.record(session, actor, "ack", "inbox", row.id, before, audit.snapshot(row))
    return row


def inbox_out(session: Session, row: InboxRow, lang: Lang = "zh") -> InboxOut:
    """A notification as the API and the inbox page give it, its message in `lang`."""
    response = session.get(ResponseRow, row.response_id)
    event = session.get(EventRow, response.event_id)
    return InboxOut(
        id=row.id,
        response_id=row.response_id,
        event_id=event.id,
        event_name=event.name,
        kind=row.kind,
        level=row.level,
        message=inbox_message(
            session, row.kind, row.level, event.name, list(row.warehouse_codes), lang
        ),
        warehouse_codes=list(row.warehouse_codes),
        created_at=clock.to_cst(row.created_at),
        acked_at=clock.to_cst(row.acked_at),
    )


# --- demand and coverage ----------------------------------------------------------------------


def _line_dict(line: DemandLine) -> dict[str, Any]:
    return {
        "region_code": line.region_code,
        "item_code": line.item_code,
        "quantity": int(line.quantity),
        "priority": int(line.priority),
    }


def _lines_from_json(lines: list[dict[str, Any]]) -> list[DemandLine]:
    return [
        DemandLine(d["region_code"], d["item_code"], int(d["quantity"]), int(d["priority"]))
        for d in lines
    ]


def _latest_version(session: Session, response_id: int) -> DemandVersionRow | None:
    return session.exec(
        select(DemandVersionRow)
        .where(DemandVersionRow.response_id == response_id)
        .order_by(col(DemandVersionRow.version).desc())
    ).first()


def estimate_for(session: Session, response: ResponseRow) -> list[DemandLine]:
    """The demand estimate: latest report of each region × the norms in force."""
    event = events.get_event(session, response.event_id)
    reports = events.event_reports(session, event.id)
    policy = events.event_policy(session, event)
    return estimate_demand(latest_reports(reports), policy.norms, event.started_at)


def demand_lines(session: Session, response_id: int) -> list[DemandLine]:
    """The demand in force for a response: the last edit, else the estimate. This is what
    the allocation plans for."""
    response = get_response(session, response_id)
    latest = _latest_version(session, response_id)
    if latest is not None:
        return _lines_from_json(latest.lines)
    return estimate_for(session, response)


def _check_demand_version(session: Session, response_id: int, expected: int) -> None:
    latest = _latest_version(session, response_id)
    current = latest.version if latest is not None else 0
    if current == expected:
        return
    at = clock.to_cst(latest.at) if latest is not None else None
    raise DomainError(
        "demand_stale",
        "the demand of response {response_id} was saved by {who} at {when} (now version "
        "{current}) after this edit was started from version {expected}; look at it again",
        "version",
        params={
            "response_id": response_id,
            "who": latest.actor if latest is not None else "",
            "when": at.strftime("%Y-%m-%d %H:%M") if at else "",
            "current": current,
            "expected": expected,
        },
        extra={"current_version": current},
    )


def replace_demand(
    session: Session,
    actor: Actor,
    response_id: int,
    lines: list[DemandLineIn],
    note: str = "",
    expected_version: int | None = None,
) -> list[DemandLine]:
    """Replace the whole demand list, keeping the version it replaced (audited); `note` says
    why (kept with the new version and in the audit record). `expected_version`: the
    version the edit started from (0: none saved yet); when another save came in between,
    409 `demand_stale`, checked under the response's row lock so that of two saves from
    the same version exactly one goes through. None (the API's way): not checked."""
    if len(note) > 2000:
        raise DomainError("validation_error", "the note is at most 2000 characters", "note")
    response = get_response(session, response_id, lock=True)
    if response.status != "active":
        raise DomainError(
            "invalid_transition",
            "response {response_id} has ended; its demand is final",
            None,
            params={"response_id": response_id},
        )
    if expected_version is not None:
        _check_demand_version(session, response_id, expected_version)
    event = events.get_event(session, response.event_id)
    event_regions = set(events.event_region_codes(session, event.id))
    weights = {
        n.item_code: int(n.priority_weight) for n in events.event_policy(session, event).norms
    }
    seen: dict[tuple[str, str], int] = {}
    new: list[DemandLine] = []
    for i, line in enumerate(lines):
        if network.get_region(session, line.region_code) is None:
            raise DomainError(
                "unknown_code",
                "unknown region {region_code}",
                f"[{i}].region_code",
                params={"region_code": line.region_code},
            )
        if not event_regions.intersection(network.region_lineage(session, line.region_code)):
            raise DomainError(
                "validation_error",
                "{region_code} is not one of the event's regions nor under one",
                f"[{i}].region_code",
                params={"region_code": line.region_code},
            )
        if network.get_item(session, line.item_code) is None:
            raise DomainError(
                "unknown_code",
                "unknown item {item_code}",
                f"[{i}].item_code",
                params={"item_code": line.item_code},
            )
        key = (line.region_code, line.item_code)
        if key in seen:
            raise DomainError(
                "validation_error",
                "a second line for {region_code} × {item_code}; the first is [{seen}]",
                f"[{i}].item_code",
                params={"region_code": key[0], "item_code": key[1], "seen": seen[key]},
            )
        seen[key] = i
        priority = line.priority if line.priority is not None else weights.get(line.item_code, 1)
        new.append(DemandLine(line.region_code, line.item_code, line.quantity, priority))
    new.sort(key=lambda d: (d.region_code, d.item_code))
    latest = _latest_version(session, response_id)
    if latest is None:
        previous = estimate_for(session, response)
        latest = DemandVersionRow(
            response_id=response_id,
            version=1,
            source="estimate",
            lines=[_line_dict(d) for d in previous],
            actor=actor.username,
            at=clock.now(),
        )
        session.add(latest)
        session.flush()
    version = DemandVersionRow(
        response_id=response_id,
        version=latest.version + 1,
        source="edit",
        lines=[_line_dict(d) for d in new],
        note=note.strip(),
        actor=actor.username,
        at=clock.now(),
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor,
        "replace",
        "demand",
        response_id,
        {"version": latest.version, "source": latest.source, "lines": latest.lines},
        {
            "version": version.version,
            "source": "edit",
            "note": version.note,
            "lines": version.lines,
        },
    )
    return new


def demand_versions(session: Session, response_id: int) -> list[DemandVersionOut]:
    get_response(session, response_id)
    rows = session.exec(
        select(DemandVersionRow)
        .where(DemandVersionRow.response_id == response_id)
        .order_by(col(DemandVersionRow.version))
    ).all()
    return [
        DemandVersionOut(
            version=row.version,
            source=row.source,
            lines=[DemandLineOut(**d) for d in row.lines],
            note=row.note,
            actor=row.actor,
            at=clock.to_cst(row.at),
        )
        for row in rows
    ]


def demand_out(lines: list[DemandLine]) -> list[DemandLineOut]:
    return [DemandLineOut(**_line_dict(line)) for line in lines]


def coverage(session: Session, response_id: int) -> list[CoverageOut]:
    """Per item of the demand: the demand, and the stock available in warehouses eligible
    for at least one region with demand at the response level."""
    response = get_response(session, response_id)
    event = events.get_event(session, response.event_id)
    lines = demand_lines(session, response_id)
    demand: dict[str, int] = {}
    for line in lines:
        demand[line.item_code] = demand.get(line.item_code, 0) + line.quantity
    regions = sorted({line.region_code for line in lines if line.quantity > 0})
    eligible = eligible_warehouse_codes(session, event, response.level, regions)
    available: dict[str, int] = {}
    # Expired lots are not available (a plan also leaves out lots that expire before
    # arrival; coverage is the quick look, as of today).
    for level in stock.stock_levels_for_allocation(session, usable_on=stock.today()):
        if level.warehouse_code in eligible and level.item_code in demand:
            available[level.item_code] = available.get(level.item_code, 0) + level.available
    return [
        CoverageOut(item_code=item, demand=demand[item], available_eligible=available.get(item, 0))
        for item in sorted(demand)
    ]
