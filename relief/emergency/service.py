"""Events, disaster reports, their assessment, and event-scoped road closures (the only
code that changes them).

Report rules (SCENARIOS.md "Reports"): a report's region is one of the event's regions or
under one; within an event a region above or below an already reported region is refused
(figures are never counted twice); after a `final` report of a region only another `final`
(a correction) is accepted; `reported_at` is not in the future. Posting a report locks the
event row so that two reports racing for a township and its county cannot both pass.

Choices where the contract is silent:
- A loaded event (`load_event`) is keyed by its file stem; reloading updates its attributes,
  its regions, its file reports (matched by position in the file) and its file closures to
  what the file says, audited, and leaves reports and closures added through the API alone.
  The file's reports were checked by the scenario validator and are not re-checked here.
- A report's `reported_at` may be earlier than the event's `started_at` by up to a day
  (`EARLIEST_BEFORE_START`, assumed: late-entered figures of the first hours), not more.
- A `final` report (核报) is refused (422 `final_before_stable` on `kind`) until the
  event is declared stable. A second `initial` report (初报) for a region that has a report
  is filed as an `update` (续报), so the explanation rule applies to it as to any 续报.
- Declaring an event stable twice is 409 `already_stable` (it would move the 核报's due).
- Closing roads that are already closed for the event is a no-op (201, no lost routes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_region, region_in_scope, sees_everything
from relief.auth.models import Actor
from relief.emergency import policy as policies
from relief.emergency.assessment import Assessment, assess
from relief.emergency.figures import (
    DEFAULT_JUMP_SHARE,
    FIGURE_FIELDS,
    as_json_number,
    figure_problems,
    jumps,
)
from relief.emergency.models import (
    MAX_ID,
    ClosedRoadOut,
    ClosureChangeOut,
    ClosureIn,
    EventIn,
    EventOut,
    EventRegionRow,
    EventRow,
    InboxOut,
    LostRouteOut,
    ReportIn,
    ReportOut,
    ReportRow,
    ResponseRow,
    RoadClosureRow,
    StableIn,
)
from relief.emergency.records import COUNT_FIELDS, EventSpec, Policy, Report
from relief.emergency.reporting import DueReport, due_reports, rules_from, summary_updates
from relief.errors import DomainError, Named, not_found
from relief.i18n import translate
from relief.network import service as network
from relief.network.models import RegionRow
from relief.network.records import Region

Outcome = Literal["created", "updated", "unchanged"]
# A report may claim a time up to a day before the event's start (late-entered figures of
# its first hours; the start is often set afterwards), not earlier. Assumed.
EARLIEST_BEFORE_START = timedelta(days=1)


# --- events ------------------------------------------------------------------------------


def get_event(session: Session, event_id: int, *, lock: bool = False) -> EventRow:
    """The event, or 404. `lock` takes its row lock (PostgreSQL) to serialise writers."""
    if not 0 < event_id <= MAX_ID:  # larger ids overflow PostgreSQL's integer: none exist
        raise not_found("event", event_id)
    query = select(EventRow).where(EventRow.id == event_id)
    if lock:
        query = query.with_for_update()
    event = session.exec(query).first()
    if event is None:
        raise not_found("event", event_id)
    return event


def event_by_key(session: Session, key: str) -> EventRow | None:
    """A loaded event by its key (`scenario/code`), else the first event with that code."""
    found = session.exec(select(EventRow).where(EventRow.key == key)).first()
    if found is None:
        found = session.exec(
            select(EventRow).where(EventRow.code == key).order_by(col(EventRow.id))
        ).first()
    return found


def list_events(
    session: Session, code: str | None = None, scenario: str | None = None
) -> list[EventRow]:
    """Every event, or those with the code and/or of the scenario given."""
    query = select(EventRow)
    if code is not None:
        query = query.where(EventRow.code == code)
    if scenario is not None:
        query = query.where(EventRow.scenario_code == scenario)
    return list(session.exec(query.order_by(col(EventRow.id))).all())


def event_region_codes(session: Session, event_id: int) -> list[str]:
    return list(
        session.exec(
            select(EventRegionRow.region_code)
            .where(EventRegionRow.event_id == event_id)
            .order_by(col(EventRegionRow.region_code))
        ).all()
    )


def _check_regions(session: Session, codes: Iterable[str], field: str) -> list[str]:
    out: list[str] = []
    for i, code in enumerate(codes):
        if network.get_region(session, code) is None:
            raise DomainError(
                "unknown_code", "unknown region {code}", f"{field}[{i}]", params={"code": code}
            )
        if code not in out:
            out.append(code)
    return out


def _set_regions(session: Session, event_id: int, codes: list[str]) -> None:
    stored = set(event_region_codes(session, event_id))
    for code in stored - set(codes):
        row = session.get(EventRegionRow, (event_id, code))
        if row is not None:
            session.delete(row)
    for code in codes:
        if code not in stored:
            session.add(EventRegionRow(event_id=event_id, region_code=code))


def _event_snapshot(event: EventRow, region_codes: list[str]) -> dict:
    return {**audit.snapshot(event), "region_codes": sorted(region_codes)}  # type: ignore[dict-item]


def create_event(session: Session, actor: Actor, body: EventIn) -> EventRow:
    codes = _check_regions(session, body.region_codes, "region_codes")
    event = EventRow(
        name=body.name,
        hazard=body.hazard,
        started_at=body.started_at,
        level=body.level,
        created_by=actor.username,
    )
    session.add(event)
    session.flush()
    _set_regions(session, event.id, codes)
    session.flush()
    audit.record(session, actor, "create", "event", event.id, None, _event_snapshot(event, codes))
    return event


def active_response_id(session: Session, event_id: int) -> int | None:
    return session.exec(
        select(ResponseRow.id).where(
            ResponseRow.event_id == event_id, ResponseRow.status == "active"
        )
    ).first()


def event_out(session: Session, event: EventRow) -> EventOut:
    return EventOut(
        id=event.id,
        name=event.name,
        hazard=event.hazard,
        started_at=clock.to_cst(event.started_at),
        region_codes=event_region_codes(session, event.id),
        level=event.level,
        code=event.code,
        scenario=event.scenario_code,
        key=event.code,
        active_response_id=active_response_id(session, event.id),
        created_by=event.created_by,
        created_at=clock.to_cst(event.created_at),
        stable_at=clock.to_cst(event.stable_at),
    )


def declare_stable(session: Session, actor: Actor, event_id: int, body: StableIn) -> EventRow:
    """The duty officer declares the disaster stable (for a drought: ended): no 续报 falls
    due after it, and the 核报 is due within the policy's working days."""
    event = get_event(session, event_id, lock=True)
    if event.stable_at is not None:
        # Declaring it again would move the 核报's deadline.
        raise DomainError(
            "already_stable",
            "the event was declared stable on {stable_at}",
            None,
            params={"stable_at": clock.to_cst(event.stable_at).isoformat()},
        )
    now = clock.now()
    at = body.at or now
    if at > now:
        raise DomainError(
            "validation_error",
            "at is in the future (now is {now})",
            "at",
            extra={"now": clock.to_cst(now).isoformat()},
            # Said to people as Beijing time to the minute (issue 13 review #26).
            params={"now": clock.to_cst(now).strftime("%Y-%m-%d %H:%M")},
        )
    if at < clock.as_utc(event.started_at):
        raise DomainError(
            "validation_error",
            "at is before the event started ({started_at})",
            "at",
            params={"started_at": clock.to_cst(event.started_at).isoformat()},
        )
    before = audit.snapshot(event)
    event.stable_at = at
    event.stable_by = actor.username
    session.add(event)
    session.flush()
    audit.record(session, actor, "declare_stable", "event", event.id, before, audit.snapshot(event))
    return event


def _level_up(session: Session, code: str, level: str) -> str | None:
    """The region at `level` in the lineage of `code` (itself included), if any."""
    for up in network.region_lineage(session, code):
        row = network.get_region(session, up)
        if row is not None and row.level == level:
            return up
    return None


def reporting_units(session: Session, event_id: int, reports: list[Report]) -> list[str]:
    """The counties that report for the event: those of its regions (a county, or the county
    above a township or village; every county under a city or province named), and those of
    its reports. A region with no county above it reports as its own unit."""
    units: list[str] = []

    def add(code: str) -> None:
        if code not in units:
            units.append(code)

    for code in event_region_codes(session, event_id):
        county = _level_up(session, code, "county")
        if county is not None:
            add(county)
            continue
        below = network.region_descendants(session, code)
        counties = session.exec(
            select(RegionRow.code).where(
                col(RegionRow.code).in_(below), RegionRow.level == "county"
            )
        ).all()
        for county in sorted(counties) or [code]:
            add(county)
    for report in reports:
        add(_level_up(session, report.region_code, "county") or report.region_code)
    return sorted(units)


def reporting_due(session: Session, event: EventRow, actor: Actor | None = None) -> list[DueReport]:
    """The statistics reports the event's reporting units owe (relief.emergency.reporting):
    each county's 初报, 续报 and 核报 from its own reports, then each city's (10:00) and each
    province's (12:00) 续报 over the counties below them. With `actor`, only the rows of units
    in their scope (duty officers and admins: all)."""
    rules = rules_from(event_policy(session, event).reporting)
    reports = event_reports(session, event.id)
    now = clock.now()
    by_unit: dict[str, list[Report]] = {}
    for report in reports:
        unit = _level_up(session, report.region_code, "county") or report.region_code
        by_unit.setdefault(unit, []).append(report)
    counties: dict[str, list[DueReport]] = {}
    for unit in reporting_units(session, event.id, reports):
        counties[unit] = due_reports(
            rules,
            hazard=event.hazard,
            started_at=event.started_at,
            reports=by_unit.get(unit, []),
            stable_at=event.stable_at,
            now=now,
            unit=unit,
        )
    # Each county's 初报 and 续报, then the cities' and provinces' 续报, the 核报 last.
    items = [
        item for unit_items in counties.values() for item in unit_items if item.kind != "final"
    ]
    finals = [
        item for unit_items in counties.values() for item in unit_items if item.kind == "final"
    ]
    for level, region_level in (("city", "prefecture"), ("province", "province")):
        above: dict[str, list[list[DueReport]]] = {}
        for unit, unit_items in counties.items():
            up = _level_up(session, unit, region_level)
            if up is not None and up != unit:
                above.setdefault(up, []).append(unit_items)
        for up, below in sorted(above.items()):
            items.extend(summary_updates(rules, level, up, below, now))
    items.extend(finals)
    if actor is not None and not sees_everything(actor):
        cache: dict[str, bool] = {}
        for item in items:
            if item.unit is not None and item.unit not in cache:
                cache[item.unit] = region_in_scope(session, actor, item.unit)
        items = [item for item in items if item.unit is not None and cache[item.unit]]
    return items


def reporting_owed(session: Session, actor: Actor) -> list[tuple[EventRow, list[DueReport]]]:
    """(event, items) for each event touching the user's regions whose units in the user's
    scope owe a report (open or overdue): the county staff's inbox, page and API alike."""
    scope: set[str] = set()
    above: set[str] = set()
    for code in actor.region_codes:
        scope.update(network.region_descendants(session, code))
        above.update(network.region_lineage(session, code))
    owed = []
    for event in list_events(session):
        codes = set(event_region_codes(session, event.id))
        if not codes & (scope | above):
            continue
        items = [
            item
            for item in reporting_due(session, event, actor)
            if item.status in ("overdue", "open")
        ]
        if items:
            owed.append((event, items))
    return owed


def owed_inbox_out(
    session: Session, event: EventRow, item: DueReport, lang: str = "zh"
) -> InboxOut:
    """A report a county owes as an entry of GET /api/v1/inbox (`kind` `report_due`)."""
    unit = network.get_region(session, item.unit) if item.unit else None
    due = clock.to_cst(item.due_at)
    message = translate(
        "inbox.report_due",
        lang,  # type: ignore[arg-type]
        report=translate(f"reporting.kind.{item.kind}", lang),  # type: ignore[arg-type]
        unit=unit.name if unit else (item.unit or ""),
        due=due.strftime("%Y-%m-%d %H:%M") if due else "",
        status=translate(f"reporting.status.{item.status}", lang),  # type: ignore[arg-type]
    )
    return InboxOut(
        id=None,
        response_id=None,
        event_id=event.id,
        event_name=event.name,
        kind="report_due",
        level=None,
        message=message,
        warehouse_codes=[],
        created_at=due,
        acked_at=None,
        report_kind=item.kind,
        unit=item.unit,
        due_at=due,
        status=item.status,
    )


def event_policy(session: Session, event: EventRow) -> Policy:
    """The policy in force at the event's start for its regions."""
    return policies.policy_for(session, event.started_at, event_region_codes(session, event.id))


# --- reports -----------------------------------------------------------------------------


def list_reports(session: Session, event_id: int) -> list[ReportRow]:
    return list(
        session.exec(
            select(ReportRow).where(ReportRow.event_id == event_id).order_by(col(ReportRow.id))
        ).all()
    )


def list_reports_in_scope(session: Session, actor: Actor, event_id: int) -> list[ReportRow]:
    """The event's reports of regions in the actor's scope (duty officers, admins: all;
    a user without regions, e.g. a warehouse manager: none)."""
    rows = list_reports(session, event_id)
    if sees_everything(actor):
        return rows
    cache: dict[str, bool] = {}
    for row in rows:
        if row.region_code not in cache:
            cache[row.region_code] = region_in_scope(session, actor, row.region_code)
    return [row for row in rows if cache[row.region_code]]


def report_page(
    session: Session, actor: Actor, event_id: int, *, limit: int, offset: int
) -> tuple[list[ReportRow], int]:
    """One page of `list_reports_in_scope`, oldest first, and how many there are in all:
    scoped and paged in the database (the regions under the actor's as one filter), so a
    page costs the same however many reports the event has."""
    query = select(ReportRow).where(ReportRow.event_id == event_id)
    if not sees_everything(actor):
        regions = sorted(
            {c for code in actor.region_codes for c in network.region_descendants(session, code)}
        )
        query = query.where(col(ReportRow.region_code).in_(regions))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(ReportRow.id)).offset(offset).limit(limit)).all()
    return list(rows), total


def report_record(row: ReportRow) -> Report:
    # The row id is the submission order: it breaks ties of reported_at.
    return Report(
        row.region_code,
        row.kind,
        row.reported_at,
        row_figures(row),
        row.id or 0,
        # A scenario file's report was filed when the file says; one posted, when posted.
        filed_at=None if row.file_seq is not None else row.created_at,
    )


def row_figures(row: ReportRow) -> dict[str, int | Decimal]:
    """Today's ten fields, then every other figure the report gave (None = not given)."""
    return {
        name: value
        for name in FIGURE_FIELDS
        if (value := getattr(row, name)) is not None or name in COUNT_FIELDS
    }


def event_reports(session: Session, event_id: int) -> list[Report]:
    """Every report of the event as plain records (all of them; the latest of each region
    counts in the assessment and the demand estimate)."""
    return [report_record(row) for row in list_reports(session, event_id)]


def report_out(row: ReportRow) -> ReportOut:
    return ReportOut(
        id=row.id,
        event_id=row.event_id,
        region_code=row.region_code,
        kind=row.kind,
        reported_at=clock.to_cst(row.reported_at),
        created_by=row.created_by,
        created_at=clock.to_cst(row.created_at),
        explanation=row.explanation,
        zero_report=row.zero_report,
        **{name: as_json_number(value) for name, value in row_figures(row).items()},
    )


def check_figures(figures: dict[str, int | Decimal | None]) -> None:
    """The quick report's logical checks (relief.emergency.figures): 422 on the first
    figure that breaks one."""
    problems = figure_problems(figures)
    if problems:
        field, template, params = problems[0]
        raise DomainError("validation_error", template, field, params=params)


def _check_explanation(
    policy: Policy, existing: list[ReportRow], body: ReportIn, figures: dict
) -> None:
    """A 续报 moving a figure the region already reported too much needs an explanation."""
    if body.kind != "update" or (body.explanation or "").strip():
        return
    earlier = sorted(
        (
            row
            for row in existing
            if row.region_code == body.region_code
            and clock.as_utc(row.reported_at) <= clock.as_utc(body.reported_at)
        ),
        key=lambda row: (clock.as_utc(row.reported_at), row.id or 0),
    )
    if not earlier:
        return
    # Each figure against the latest value any earlier report of the region gave for it: a
    # figure left out of one 续报 cannot be raised without explanation in the next.
    previous: dict[str, int | Decimal] = {}
    for row in earlier:
        previous.update(row_figures(row))
    share = policy.update_jump_share if policy.update_jump_share is not None else DEFAULT_JUMP_SHARE
    moved = jumps(previous, figures, share)
    if moved:
        raise DomainError(
            "explanation_required",
            "an update report that lowers a figure or raises it by more than {share} % "
            "needs an explanation",
            "explanation",
            params={"share": as_json_number(share * 100)},
            extra={"fields": moved},
        )


def _check_report_rules(
    session: Session,
    event_id: int,
    region_code: str,
    kind: str,
    existing: list[ReportRow],
    reported: AbstractSet[str],
) -> None:
    """The placement and `final` rules of a new report against the event's reports:
    `existing` the region's own, `reported` the regions that have any."""
    lineage = network.region_lineage(session, region_code)
    event_regions = set(event_region_codes(session, event_id))
    if not event_regions.intersection(lineage):
        # Places by name in Chinese (issue 13 review #27); English keeps the codes.
        codes = sorted(event_regions)
        names = [_region_name(session, code) for code in codes]
        region_said = Named(region_code, _region_name(session, region_code))
        regions_said = Named(", ".join(codes), "、".join(names))
        raise DomainError(
            "validation_error",
            "{region_code} is not one of the event's regions ({event_regions}) nor under one",
            "region_code",
            params={"region_code": region_said, "event_regions": regions_said},
        )
    if region_code not in reported:
        above = next((code for code in lineage[1:] if code in reported), None)
        if above is not None:
            raise DomainError(
                "validation_error",
                "{region_code} is under {above}, which is already reported: its figures would count twice",
                "region_code",
                params={"region_code": region_code, "above": above},
            )
        # One query per level below the region, rather than a lineage walk per report.
        below = sorted(c for c in network.region_descendants(session, region_code) if c in reported)
        if below:
            raise DomainError(
                "validation_error",
                "{region_code} is above {below}, which is already reported: its figures would count twice",
                "region_code",
                params={"region_code": region_code, "below": below[0]},
            )
    if kind != "final" and any(
        row.region_code == region_code and row.kind == "final" for row in existing
    ):
        raise DomainError(
            "validation_error",
            "{region_code} has a final report; only another final (a correction) may follow",
            "kind",
            params={"region_code": region_code},
        )


def _check_zero_report(
    existing: list[ReportRow], body: ReportIn, figures: dict[str, int | Decimal]
) -> None:
    """A 零报告 is a 续报 that repeats the region's latest report, figure for figure."""
    if body.kind != "update":
        raise DomainError("validation_error", "a zero report is an update", "kind", params={})
    previous = [row for row in existing if row.region_code == body.region_code]
    if not previous:
        raise DomainError(
            "validation_error",
            "{region_code} has no report yet: a zero report repeats one",
            "zero_report",
            params={"region_code": body.region_code},
        )
    latest = max(previous, key=lambda row: (clock.as_utc(row.reported_at), row.id or 0))
    before = row_figures(latest)
    changed = sorted(
        set(before) ^ set(figures) | {k for k in before if before[k] != figures.get(k)}
    )
    if changed:
        # The API's field name in English, the form's word for it in Chinese (受灾人口).
        figure = Named(changed[0], translate(f"count.{changed[0]}", "zh"))
        raise DomainError(
            "zero_report_changed",
            "a zero report repeats the previous report, but {field} differs",
            changed[0],
            params={"field": figure},
        )


def zero_report_body(session: Session, event_id: int, region_code: str, at: datetime) -> ReportIn:
    """A 零报告 for a region: its latest report's figures as an update reported at `at`."""
    rows = [row for row in list_reports(session, event_id) if row.region_code == region_code]
    if not rows:
        raise DomainError(
            "validation_error",
            "{region_code} has no report yet: a zero report repeats one",
            "region_code",
            params={"region_code": region_code},
        )
    latest = max(rows, key=lambda row: (clock.as_utc(row.reported_at), row.id or 0))
    return ReportIn(
        region_code=region_code,
        kind="update",
        reported_at=at,
        zero_report=True,
        **row_figures(latest),
    )


class FiledReports:
    """An event's reports by region, for filing many at once (the quick form's import):
    read once and kept up to date by add_report, so that an import of n rows reads the
    event's reports once, not once per row (n² rows read)."""

    def __init__(self, rows: Iterable[ReportRow]) -> None:
        self.by_region: dict[str, list[ReportRow]] = {}
        for row in rows:
            self.add(row)

    def add(self, row: ReportRow) -> None:
        self.by_region.setdefault(row.region_code, []).append(row)

    @classmethod
    def of(cls, session: Session, event_id: int) -> FiledReports:
        return cls(list_reports(session, event_id))


def add_report(
    session: Session,
    actor: Actor,
    event_id: int,
    body: ReportIn,
    filed: FiledReports | None = None,
) -> ReportRow:
    """File a disaster report (duty officer, admin, or county staff in scope). `filed`: the
    event's reports so far, when the caller files many (else they are read here)."""
    event = get_event(session, event_id, lock=True)
    if network.get_region(session, body.region_code) is None:
        raise DomainError(
            "unknown_code",
            "unknown region {region_code}",
            "region_code",
            params={"region_code": body.region_code},
        )
    authorize_region(session, actor, body.region_code, "region_code")
    now = clock.now()
    if body.reported_at > now:
        raise DomainError(
            "validation_error",
            "reported_at is in the future (now is {now})",
            "reported_at",
            extra={"now": clock.to_cst(now).isoformat()},
            # Said to people as Beijing time to the minute (issue 13 review #26).
            params={"now": clock.to_cst(now).strftime("%Y-%m-%d %H:%M")},
        )
    earliest = clock.as_utc(event.started_at) - EARLIEST_BEFORE_START
    if clock.as_utc(body.reported_at) < earliest:
        at = clock.to_cst(event.started_at).isoformat()
        raise DomainError(
            "validation_error",
            "reported_at is more than a day before the event started ({started_at})",
            "reported_at",
            params={"started_at": at},
        )
    if body.kind == "final" and event.stable_at is None:
        raise DomainError(
            "final_before_stable",
            "a final report is filed after the disaster is declared stable",
            "kind",
        )
    if filed is None:
        filed = FiledReports.of(session, event_id)
    # Every rule below reads the region's own reports; placement reads which regions have any.
    existing = filed.by_region.get(body.region_code, [])
    if body.kind == "initial" and existing:
        # A region has one 初报: a later one is a 续报 (stored and answered as `update`), so
        # that the explanation rule holds for it too. A re-imported form keeps working.
        body = body.model_copy(update={"kind": "update"})
    _check_report_rules(
        session, event_id, body.region_code, body.kind, existing, filed.by_region.keys()
    )
    figures = body.counts()
    if body.zero_report:
        _check_zero_report(existing, body, figures)
    check_figures(figures)
    _check_explanation(event_policy(session, event), existing, body, figures)
    explanation = (body.explanation or "").strip() or None
    row = ReportRow(
        event_id=event_id,
        region_code=body.region_code,
        kind=body.kind,
        reported_at=body.reported_at,
        created_by=actor.username,
        explanation=explanation,
        zero_report=body.zero_report,
        **figures,
    )
    session.add(row)
    session.flush()
    filed.add(row)
    audit.record(session, actor, "create", "report", row.id, None, audit.snapshot(row))
    return row


# --- assessment --------------------------------------------------------------------------


def _region_records(session: Session, codes: Iterable[str]) -> list[Region]:
    """The regions named and all their ancestors (what a roll-up needs; never the whole
    tree, which at national scale is hundreds of thousands of villages)."""
    out: dict[str, Region] = {}
    for code in codes:
        for ancestor in network.region_lineage(session, code):
            if ancestor in out:
                break
            row = network.get_region(session, ancestor)
            if row is not None:
                out[ancestor] = Region(
                    row.code,
                    row.name,
                    row.level,
                    row.parent_code,
                    row.lat,
                    row.lon,
                    row.population,
                    row.rural_population,
                )
    return list(out.values())


def assess_event(session: Session, event_id: int) -> Assessment:
    """Totals, roll-up, recommended level and exceeded criteria under the policy in force
    at the event's start (the same `assess` as `relief assess`)."""
    event = get_event(session, event_id)
    reports = event_reports(session, event_id)
    regions = _region_records(session, {r.region_code for r in reports})
    return assess(reports, event_policy(session, event), regions)


# --- loading from a scenario folder --------------------------------------------------------


def event_key(code: str, scenario_code: str | None) -> str:
    """The unique `key` of a loaded event: `scenario/code` (the code alone without one)."""
    return f"{scenario_code}/{code}" if scenario_code else code


def _loaded_event(session: Session, code: str, scenario_code: str | None) -> EventRow | None:
    """The stored event of (scenario, code), locked; else one loaded before events had a
    scenario (same code, none yet), which this load then claims."""
    found = session.exec(
        select(EventRow).where(EventRow.key == event_key(code, scenario_code)).with_for_update()
    ).first()
    if found is None and scenario_code:
        found = session.exec(
            select(EventRow)
            .where(EventRow.code == code, col(EventRow.scenario_code).is_(None))
            .where(EventRow.key == code)
            .with_for_update()
        ).first()
    return found


def load_event(
    session: Session,
    actor: Actor,
    spec: EventSpec,
    code: str,
    scenario_code: str | None = None,
    kept: list[str] | None = None,
) -> tuple[EventRow, Outcome]:
    """Create or update the event of a scenario file, keyed by (`scenario_code`, `code`:
    the file stem), with its reports and its `closed_roads` as closures scoped to it.
    Idempotent: the same spec again changes and records nothing. A file closure that a
    user lifted stays lifted; `kept` receives a sentence for each such road. The caller
    validated the folder and commits."""
    if len(code) > 128:
        raise DomainError("validation_error", "an event's code has at most 128 characters", "code")
    codes = _check_regions(session, spec.region_codes, "region_codes")
    event = _loaded_event(session, code, scenario_code)
    changed = False
    if event is None:
        event = EventRow(
            name=spec.title,
            hazard=spec.hazard,
            started_at=spec.started_at,
            level=spec.level,
            key=event_key(code, scenario_code),
            code=code,
            scenario_code=scenario_code,
            created_by=actor.username,
        )
        session.add(event)
        session.flush()
        _set_regions(session, event.id, codes)
        session.flush()
        audit.record(
            session, actor, "create", "event", event.id, None, _event_snapshot(event, codes)
        )
        outcome: Outcome = "created"
    else:
        outcome = "unchanged"
        before = _event_snapshot(event, event_region_codes(session, event.id))
        wanted = {
            "name": spec.title,
            "hazard": spec.hazard,
            "started_at": spec.started_at,
            "level": spec.level,
            "key": event_key(code, scenario_code),
            "code": code,
            "scenario_code": scenario_code,
        }
        for name, value in wanted.items():
            current = getattr(event, name)
            same = (
                clock.as_utc(current) == clock.as_utc(value)
                if name == "started_at"
                else current == value
            )
            if not same:
                setattr(event, name, value)
                changed = True
        if set(codes) != set(event_region_codes(session, event.id)):
            _set_regions(session, event.id, codes)
            changed = True
        if changed:
            session.add(event)
            session.flush()
            audit.record(
                session, actor, "update", "event", event.id, before, _event_snapshot(event, codes)
            )
    if _sync_file_reports(session, actor, event.id, spec.reports):
        changed = True
    if _sync_file_closures(session, actor, event.id, spec.closed_roads, kept):
        changed = True
    if outcome == "unchanged" and changed:
        outcome = "updated"
    return event, outcome


def _sync_file_reports(
    session: Session, actor: Actor, event_id: int, reports: list[Report]
) -> bool:
    stored = {
        row.file_seq: row
        for row in session.exec(
            select(ReportRow).where(
                ReportRow.event_id == event_id, col(ReportRow.file_seq).is_not(None)
            )
        ).all()
    }
    changed = False
    for report in sorted(reports, key=lambda r: r.seq):
        if network.get_region(session, report.region_code) is None:
            raise DomainError(
                "unknown_code",
                "unknown region {region_code}",
                f"reports[{report.seq}]",
                params={"region_code": report.region_code},
            )
        wanted = {
            "region_code": report.region_code,
            "kind": report.kind,
            "reported_at": report.reported_at,
            "explanation": report.explanation,
            # Every figure: one the file no longer gives goes back to NULL.
            **{
                name: report.counts.get(name, 0 if name in COUNT_FIELDS else None)
                for name in FIGURE_FIELDS
            },
        }
        row = stored.pop(report.seq, None)
        if row is None:
            row = ReportRow(
                event_id=event_id, file_seq=report.seq, created_by=actor.username, **wanted
            )
            session.add(row)
            session.flush()
            audit.record(session, actor, "create", "report", row.id, None, audit.snapshot(row))
            changed = True
            continue
        current = {name: getattr(row, name) for name in wanted}
        current["reported_at"] = clock.as_utc(row.reported_at)
        if current != {**wanted, "reported_at": clock.as_utc(report.reported_at)}:
            before = audit.snapshot(row)
            for name, value in wanted.items():
                setattr(row, name, value)
            session.add(row)
            session.flush()
            audit.record(session, actor, "update", "report", row.id, before, audit.snapshot(row))
            changed = True
    for row in stored.values():  # lines that left the file
        audit.record(session, actor, "delete", "report", row.id, audit.snapshot(row), None)
        session.delete(row)
        changed = True
    session.flush()
    return changed


def _roads_between(session: Session, a: str, b: str) -> list[int]:
    ends = {a, b}
    return [
        road.id for road in network.list_roads(session) if {road.from_code, road.to_code} == ends
    ]


def _lifted_by_users(session: Session, actor: Actor, event_id: int) -> dict[int, audit.AuditRecord]:
    """This event's closures that someone other than `actor` (the loader) lifted, by road:
    the latest lifting of each, read from the audit trail."""
    lifted: dict[int, audit.AuditRecord] = {}
    for record in audit.history(
        session, "road_closure", actions=("delete",), other_than=actor.username
    ):
        before = record.before or {}
        if before.get("event_id") == event_id and isinstance(before.get("road_id"), int):
            lifted[before["road_id"]] = record
    return lifted


def _sync_file_closures(
    session: Session,
    actor: Actor,
    event_id: int,
    pairs: list[tuple[str, str]],
    kept: list[str] | None = None,
) -> bool:
    wanted: set[int] = set()
    for i, (a, b) in enumerate(pairs):
        ids = _roads_between(session, a, b)
        if not ids:
            raise DomainError(
                "validation_error",
                "no road between {a} and {b}",
                f"closed_roads[{i}]",
                params={"a": a, "b": b},
            )
        wanted.update(ids)
    rows = {row.road_id: row for row in _closures(session, event_id)}
    # A closure of the file that a user lifted stays lifted: reloading never reverts it.
    lifted = _lifted_by_users(session, actor, event_id) if wanted - rows.keys() else {}
    changed = False
    for road_id in sorted(wanted):
        if road_id not in rows and road_id in lifted:
            if kept is not None:
                road = network.get_road(session, road_id)
                record = lifted[road_id]
                kept.append(
                    f"road {road.from_code}—{road.to_code} (id {road_id}) reopened for event "
                    f"{event_id} by {record.actor} on {clock.to_cst(record.at).isoformat()}: "
                    "the file still closes it; not closed again"
                )
            continue
        if road_id not in rows:
            _add_closure(
                session, actor, event_id, road_id, "closed_roads in the scenario file", True
            )
            changed = True
    for road_id, row in rows.items():
        if row.from_file and road_id not in wanted:
            audit.record(
                session, actor, "delete", "road_closure", row.id, audit.snapshot(row), None
            )
            session.delete(row)
            changed = True
    session.flush()
    return changed


# --- road closures -----------------------------------------------------------------------


def _closures(session: Session, event_id: int) -> list[RoadClosureRow]:
    return list(
        session.exec(
            select(RoadClosureRow)
            .where(RoadClosureRow.event_id == event_id)
            .order_by(col(RoadClosureRow.road_id))
        ).all()
    )


def closed_road_ids(session: Session, event_id: int) -> set[int]:
    """The ids of the roads closed for this event (global road status not included: the
    network's `status` column says which roads are closed for everyone)."""
    return {row.road_id for row in _closures(session, event_id)}


def _region_name(session: Session, code: str) -> str:
    region = network.get_region(session, code)
    return region.name if region is not None else code


def closed_road_ids_of_active_responses(session: Session) -> set[int]:
    """The ids of the roads closed for any event that has an active response: the roads
    that movements made now (transfers) must go around, as that response's plans do."""
    rows = session.exec(
        select(RoadClosureRow.road_id)
        .join(ResponseRow, ResponseRow.event_id == RoadClosureRow.event_id)  # type: ignore[arg-type]
        .where(ResponseRow.status == "active")
    ).all()
    return set(rows)


def _add_closure(
    session: Session, actor: Actor, event_id: int, road_id: int, note: str, from_file: bool
) -> RoadClosureRow:
    row = RoadClosureRow(
        event_id=event_id,
        road_id=road_id,
        note=note,
        from_file=from_file,
        closed_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "road_closure", row.id, None, audit.snapshot(row))
    return row


def _closed_road_out(
    session: Session, closure: RoadClosureRow, *, lifted: bool = False
) -> ClosedRoadOut:
    road = network.get_road(session, closure.road_id)
    return ClosedRoadOut(
        id=road.id,
        from_code=road.from_code,
        to_code=road.to_code,
        distance_km=float(road.distance_km),
        travel_time_h=float(road.travel_time_h),
        status=road.status if lifted else "closed",
        network_status=road.status,
        closed_at=clock.to_cst(closure.closed_at),
        closed_by=closure.closed_by,
    )


def list_closures(session: Session, event_id: int) -> list[ClosedRoadOut]:
    get_event(session, event_id)
    return [_closed_road_out(session, row) for row in _closures(session, event_id)]


def _route_changes(
    session: Session, closed_before: set[int], closed_after: set[int], ends: tuple[str, str]
) -> list[LostRouteOut]:
    """The routes lost going from one set of event closures to the other, on top of the
    network's own road status (the network service's computation, reused)."""
    regions, warehouses, roads, _ = network.network_records(session)

    def state(closed: set[int]):
        return [dataclasses.replace(r, status="closed") if r.id in closed else r for r in roads]

    lost = network.road_change_costs(
        regions, warehouses, state(closed_before), state(closed_after), ends
    )
    return [LostRouteOut(**entry) for entry in lost]


def close_roads(session: Session, actor: Actor, event_id: int, body: ClosureIn) -> ClosureChangeOut:
    """Close one road, or every road between two ends, for this event only."""
    get_event(session, event_id, lock=True)
    if body.road_id is not None:
        road = network.get_road(session, body.road_id) if body.road_id <= MAX_ID else None
        if road is None:
            raise DomainError(
                "unknown_code",
                "unknown road {road_id}",
                "road_id",
                params={"road_id": body.road_id},
            )
        ids = [road.id]
        ends = (road.from_code, road.to_code)
    else:
        a, b = body.from_code, body.to_code
        for name, code in (("from_code", a), ("to_code", b)):
            if (
                network.get_region(session, code) is None
                and network.get_warehouse(session, code) is None
            ):
                raise DomainError(
                    "unknown_code",
                    "unknown code {code} (neither region nor warehouse)",
                    name,
                    params={"code": code},
                )
        if a == b:
            raise DomainError("validation_error", "from_code and to_code are the same", "to_code")
        ids = _roads_between(session, a, b)
        if not ids:
            raise DomainError(
                "validation_error",
                "no road between {a} and {b}",
                "to_code",
                params={"a": a, "b": b},
            )
        ends = (a, b)
    before = closed_road_ids(session, event_id)
    new = [road_id for road_id in ids if road_id not in before]
    for road_id in new:
        _add_closure(session, actor, event_id, road_id, body.note, False)
    lost = _route_changes(session, before, before | set(new), ends) if new else []
    closures = {row.road_id: row for row in _closures(session, event_id)}
    return ClosureChangeOut(
        event_id=event_id,
        roads=[_closed_road_out(session, closures[road_id]) for road_id in ids],
        lost_routes=lost,
    )


def reopen_road(session: Session, actor: Actor, event_id: int, road_id: int) -> ClosureChangeOut:
    """Lift this event's closure of a road; replies with the routes that come back."""
    get_event(session, event_id, lock=True)
    row = None
    if 0 < road_id <= MAX_ID:
        row = session.exec(
            select(RoadClosureRow).where(
                RoadClosureRow.event_id == event_id, RoadClosureRow.road_id == road_id
            )
        ).first()
    if row is None:
        raise DomainError(
            "not_found",
            "road {road_id} is not closed in event {event_id}",
            None,
            params={"road_id": road_id, "event_id": event_id},
        )
    out = _closed_road_out(session, row, lifted=True)
    road = network.get_road(session, road_id)
    before = closed_road_ids(session, event_id)
    audit.record(session, actor, "delete", "road_closure", row.id, audit.snapshot(row), None)
    session.delete(row)
    session.flush()
    # Routes that closing the road had cost are the ones reopening it restores.
    restored = _route_changes(session, before - {road_id}, before, (road.from_code, road.to_code))
    return ClosureChangeOut(
        event_id=event_id, roads=[out], lost_routes=[], restored_routes=restored
    )
