"""Routes: policy, events, reports, assessment, road closures, responses, timeline, inbox,
demand and coverage. Each handler authorises, calls a service, commits, shapes the reply.

Who may do what (API.md): any authenticated user reads; duty officers (and admins) create
events, trigger and change responses, close roads and edit demand; county staff may file
reports for regions in their scope; administrators edit the policy.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import AwareDatetime
from sqlmodel import Session

from relief import clock
from relief.auth.deps import current_actor, require
from relief.auth.models import Actor
from relief.db import get_session
from relief.emergency import casualties, responses, statistics
from relief.emergency import policy as policies
from relief.emergency import service as events
from relief.emergency.figures import FIGURE_FIELDS
from relief.emergency.models import (
    MAX_ID,
    ClosedRoadOut,
    ClosureChangeOut,
    ClosureIn,
    CoverageOut,
    DeadlineDoneIn,
    DemandLineIn,
    DemandLineOut,
    DemandVersionOut,
    EventIn,
    EventOut,
    InboxOut,
    PolicyIn,
    PolicyOut,
    ReportIn,
    ReportOut,
    ResponseIn,
    ResponseOut,
    ResponsePatch,
    StableIn,
    TimelineEntry,
)
from relief.errors import DomainError
from relief.exports import safe_row
from relief.i18n import lang_from_accept
from relief.pagination import Page

router = APIRouter(prefix="/api/v1", tags=["emergency"])
# The ledgers and the statistics tables have their own modules (and routers).
router.include_router(casualties.router)
router.include_router(statistics.router)

# Write handlers shape their reply before committing: a read after the commit would open a
# new write transaction (SQLite's BEGIN IMMEDIATE) that lives until the session closes,
# after the reply is sent, and would block the Idempotency-Key middleware storing it.


# --- policy ------------------------------------------------------------------------------


@router.get("/policy", response_model=PolicyOut)
def policy_in_force(
    at: AwareDatetime | None = Query(None, description="default: now"),
    region_code: list[str] = Query([], description="the event's regions, for scoped versions"),
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> PolicyOut:
    """The policy version in force at `at` (404 when none is)."""
    row = policies.policy_version_for(session, at or clock.now(), region_code)
    if row is None:
        raise DomainError(
            "not_found",
            "no policy is in force at {at}",
            None,
            params={"at": (at or clock.now()).isoformat()},
        )
    return policies.policy_out(session, row)


@router.get("/policies", response_model=list[PolicyOut])
def list_policies(
    _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[PolicyOut]:
    return [policies.policy_out(session, row) for row in policies.list_policies(session)]


@router.get("/policies/{policy_id}", response_model=PolicyOut)
def get_policy(
    policy_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> PolicyOut:
    return policies.policy_out(session, policies.get_policy(session, policy_id))


@router.post("/policies", response_model=PolicyOut, status_code=201)
def create_policy(
    body: PolicyIn, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> PolicyOut:
    row = policies.create_policy(session, actor, body)
    reply = policies.policy_out(session, row)
    session.commit()
    return reply


@router.put("/policies/{policy_id}", response_model=PolicyOut)
def replace_policy(
    policy_id: int,
    body: PolicyIn,
    actor: Actor = Depends(require()),
    session: Session = Depends(get_session),
) -> PolicyOut:
    row = policies.replace_policy(session, actor, policy_id, body)
    reply = policies.policy_out(session, row)
    session.commit()
    return reply


# --- events, reports, assessment -----------------------------------------------------------


@router.post("/events", response_model=EventOut, status_code=201)
def create_event(
    body: EventIn,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> EventOut:
    event = events.create_event(session, actor, body)
    reply = events.event_out(session, event)
    session.commit()
    return reply


@router.get("/events", response_model=list[EventOut])
def list_events(
    code: str | None = Query(None, max_length=128, description="an event's code (file stem)"),
    scenario: str | None = Query(None, max_length=64, description="a scenario's code"),
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[EventOut]:
    return [
        events.event_out(session, event)
        for event in events.list_events(session, code=code, scenario=scenario)
    ]


@router.get("/events/{event_id}", response_model=EventOut)
def get_event(
    event_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> EventOut:
    return events.event_out(session, events.get_event(session, event_id))


@router.post("/events/{event_id}/reports", response_model=ReportOut, status_code=201)
def add_report(
    event_id: int,
    body: ReportIn,
    actor: Actor = Depends(require("duty_officer", "county_staff")),
    session: Session = Depends(get_session),
) -> ReportOut:
    row = events.add_report(session, actor, event_id, body)
    reply = events.report_out(row)
    session.commit()
    return reply


@router.get("/events/{event_id}/reports", response_model=Page[ReportOut])
def list_reports(
    event_id: int,
    format: Literal["json", "csv"] = "json",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**12),
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> Any:
    """One page of the event's reports of the regions in the caller's scope (duty officers
    and admins: all), oldest first; `format=csv` gives them all as a sheet whose headers
    are the field names (every figure of the quick report, empty when not reported)."""
    events.get_event(session, event_id)
    if format == "json":
        rows, total = events.report_page(session, actor, event_id, limit=limit, offset=offset)
        return Page[ReportOut](
            items=[events.report_out(r) for r in rows], total=total, limit=limit, offset=offset
        )
    reports = [
        events.report_out(row) for row in events.list_reports_in_scope(session, actor, event_id)
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for report in reports:
        values = report.model_dump()
        writer.writerow(
            safe_row("" if values[name] is None else _cell(values[name]) for name in REPORT_COLUMNS)
        )
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="event-{event_id}-reports.csv"'},
    )


REPORT_COLUMNS = (
    "id",
    "region_code",
    "kind",
    "reported_at",
    *FIGURE_FIELDS,
    "explanation",
    "created_by",
    "created_at",
)


@router.get("/events/{event_id}/reporting")
def reporting_due(
    event_id: int, actor: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[dict[str, Any]]:
    """The statistics reports each reporting unit of the event owes: per county 初报, 续报
    (the last days and the next one), 核报, and the 续报 of the cities and provinces above;
    each with its `unit`, who reports to whom, when it is due (China time), when it was
    filed and the time it claims, and its status (done, late, overdue, open, waiting).
    Rows of the units in the caller's scope (duty officers and admins: all)."""
    event = events.get_event(session, event_id)
    return [item.to_dict() for item in events.reporting_due(session, event, actor)]


@router.post("/events/{event_id}/stable", response_model=EventOut)
def declare_stable(
    event_id: int,
    body: StableIn,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> EventOut:
    """Declare the disaster stable (a drought: ended); the 核报 falls due from it."""
    event = events.declare_stable(session, actor, event_id, body)
    reply = events.event_out(session, event)
    session.commit()
    return reply


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@router.get("/events/{event_id}/assessment")
def assessment(
    event_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> dict[str, Any]:
    """`{totals, by_region, recommended_level, exceeded, ledger_differences}` under the policy
    in force at the event's start; `ledger_differences` lists the counties whose reported
    deaths or missing differ from the deaths and missing ledger (a flag, never a refusal)."""
    reply = events.assess_event(session, event_id).to_dict()
    reply["ledger_differences"] = [
        d.to_dict() for d in casualties.ledger_differences(session, event_id)
    ]
    return reply


# --- road closures -----------------------------------------------------------------------


@router.get("/events/{event_id}/road-closures", response_model=list[ClosedRoadOut])
def list_closures(
    event_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[ClosedRoadOut]:
    return events.list_closures(session, event_id)


@router.post("/events/{event_id}/road-closures", response_model=ClosureChangeOut, status_code=201)
def close_roads(
    event_id: int,
    body: ClosureIn,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> ClosureChangeOut:
    reply = events.close_roads(session, actor, event_id, body)
    session.commit()
    return reply


@router.delete("/events/{event_id}/road-closures/{road_id}", response_model=ClosureChangeOut)
def reopen_road(
    event_id: int,
    road_id: int,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> ClosureChangeOut:
    reply = events.reopen_road(session, actor, event_id, road_id)
    session.commit()
    return reply


# --- responses ---------------------------------------------------------------------------


@router.post("/events/{event_id}/responses", response_model=ResponseOut, status_code=201)
def trigger_response(
    event_id: int,
    body: ResponseIn,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> ResponseOut:
    response = responses.trigger_response(session, actor, event_id, body)
    reply = responses.response_out(session, response)
    session.commit()
    return reply


@router.get("/responses", response_model=list[ResponseOut])
def list_responses(
    event_id: int | None = Query(None, ge=1, le=MAX_ID),
    _: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[ResponseOut]:
    return [
        responses.response_out(session, row) for row in responses.list_responses(session, event_id)
    ]


@router.get("/responses/{response_id}", response_model=ResponseOut)
def get_response(
    response_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> ResponseOut:
    return responses.response_out(session, responses.get_response(session, response_id))


@router.patch("/responses/{response_id}", response_model=ResponseOut)
def change_response(
    response_id: int,
    body: ResponsePatch,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> ResponseOut:
    response = responses.change_response(session, actor, response_id, body)
    reply = responses.response_out(session, response)
    session.commit()
    return reply


@router.get(
    "/responses/{response_id}/timeline",
    response_model=list[TimelineEntry],
    response_model_exclude_unset=True,  # `due_at` only on deadlines
)
def timeline(
    response_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[TimelineEntry]:
    return responses.timeline(session, response_id)


@router.post(
    "/responses/{response_id}/deadlines/{name}/done",
    response_model=TimelineEntry,
    response_model_exclude_unset=True,
)
def mark_deadline_done(
    response_id: int,
    name: str,
    body: DeadlineDoneIn | None = None,
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> TimelineEntry:
    note = body.note if body is not None else ""
    entry = responses.mark_deadline_done(session, actor, response_id, name, note)
    session.commit()
    return entry


# --- inbox -------------------------------------------------------------------------------


@router.get("/inbox", response_model=list[InboxOut])
def inbox(
    request: Request,
    unacked: bool = Query(False, description="only notifications not yet acknowledged"),
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> list[InboxOut]:
    # Each message in the Accept-Language language (Chinese unless English is preferred).
    lang = lang_from_accept(request.headers.get("accept-language"))
    rows = responses.inbox(session, actor, unacked)
    out = [responses.inbox_out(session, row, lang) for row in rows]
    # County staff: the statistics reports their county owes, as the inbox page lists them.
    if actor.role == "county_staff":
        for event, items in events.reporting_owed(session, actor):
            out.extend(events.owed_inbox_out(session, event, item, lang) for item in items)
    # 临时救助 paperwork overdue and money owed back (relief.subsidies.temporary).
    from relief.subsidies.temporary import inbox_rows

    out.extend(inbox_rows(session, actor, lang))
    # 冬春 county totals owed to the city, due or late (relief.subsidies.winter).
    from relief.subsidies import winter

    out.extend(winter.inbox_rows(session, actor, lang))
    return out


@router.post("/inbox/{inbox_id}/ack", response_model=InboxOut)
def acknowledge(
    inbox_id: int,
    request: Request,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> InboxOut:
    row = responses.acknowledge(session, actor, inbox_id)
    lang = lang_from_accept(request.headers.get("accept-language"))
    reply = responses.inbox_out(session, row, lang)
    session.commit()
    return reply


# --- demand and coverage ----------------------------------------------------------------------


@router.get("/responses/{response_id}/demand", response_model=list[DemandLineOut])
def get_demand(
    response_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[DemandLineOut]:
    return responses.demand_out(responses.demand_lines(session, response_id))


@router.put("/responses/{response_id}/demand", response_model=list[DemandLineOut])
def replace_demand(
    response_id: int,
    lines: list[DemandLineIn] = Body(..., max_length=100_000),
    note: str = Query("", max_length=2000, description="why the list is edited"),
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> list[DemandLineOut]:
    new = responses.replace_demand(session, actor, response_id, lines, note)
    reply = responses.demand_out(new)
    session.commit()
    return reply


@router.get("/responses/{response_id}/demand/versions", response_model=list[DemandVersionOut])
def demand_versions(
    response_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[DemandVersionOut]:
    return responses.demand_versions(session, response_id)


@router.get("/responses/{response_id}/coverage", response_model=list[CoverageOut])
def coverage(
    response_id: int, _: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[CoverageOut]:
    return responses.coverage(session, response_id)
