"""The duty officer's pages: events, reports, assessment, responses, road closures, demand
and its versions, allocation plans and what-if plans, fulfilment, and every user's inbox
of notifications (issue 7).

Like the rest of the UI these pages hold no rules of their own: every check (report
placement, the override rule, who may act) lives in the emergency and allocation services
and comes back as a `DomainError`, whose `field` tells the page which input to mark.
Anyone signed in may read these pages (API.md "Who may do what"); the forms that change
state ask the same role as the API and answer the 403 page otherwise.

CSRF: the sign-in cookie is SameSite=Strict, so a cross-site form post arrives without
it and is refused as not signed in; on top of that a POST whose `Origin` names another
host is refused before anything is read, for browsers that send it.

Forms post, then redirect (303) to a page that reads the state again; a form that fails
validation is rendered again with what the user typed and the error next to its field.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from relief import clock
from relief.allocation import jobs as plan_jobs
from relief.allocation import service as allocation
from relief.auth.deps import ensure_role, sees_everything
from relief.auth.models import Actor
from relief.db import get_session
from relief.dispatch import service as dispatch
from relief.emergency import casualties, forms, responses
from relief.emergency import service as emergency
from relief.emergency.assessment import latest_reports
from relief.emergency.figures import (
    DECIMAL_FIELDS,
    FIGURE_FIELDS,
    FIGURE_GROUPS,
    MAIN_FIELDS,
    NEW_FIELDS,
    PART_OF,
    parse_figure,
)
from relief.emergency.models import (
    ClosureIn,
    DeadlineDoneIn,
    DemandLineIn,
    DemandVersionOut,
    EventIn,
    ReportIn,
    ResponseIn,
    ResponsePatch,
    StableIn,
)
from relief.emergency.records import COUNT_FIELDS, HAZARDS, LEVELS, REPORT_KINDS, Policy
from relief.emergency.reporting import rules_from
from relief.errors import DomainError
from relief.i18n import translate
from relief.network import service as network
from relief.subsidies.imports import RowErrors
from relief.subsidies.models import yuan_text as yuan
from relief.web import netmap
from relief.web.forms import (
    FieldMap,
    FormState,
    Once,
    cst_input,
    field_name,
    fields_in,
    form_once,
    int_or_none,
    no_fields,
    number_text,
    parse_cst,
    posted,
    redirect,
    same_site_posts,
    service_words,
    submit,
    validated,
)
from relief.web.i18n import MESSAGES, Lang, Translator
from relief.web.map_pages import map_drawing
from relief.web.pictures import response_pictures
from relief.web.shell import people_names, place_names, render, request_lang, signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

# The lost routes of the last closure travel to the next page in a short-lived cookie
# (POST-redirect-GET leaves no other place for them); capped to stay far below 4 KB.
FLASH_COOKIE = "relief_flash"
FLASH_ROUTES = 20
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


# --- form plumbing ---------------------------------------------------------------------------


def _submit(
    session: Session,
    form: FormState,
    t: Translator,
    action: Callable[[], Any],
    done: str | Callable[[Any], str | Response],
    fields: FieldMap = no_fields,
    **options: Any,
) -> Response | None:
    """`submit` as the duty pages use it: a refusal says the service's own sentence (the
    catalogue words it: "reported_at is in the future (now is …)") and answers its status."""
    options.setdefault("status", None)
    options.setdefault("words", service_words)
    return submit(session, form, t, action, done, fields, **options)


def _criterion_label(lang: str, name: str, policy: Policy | None = None) -> str:
    """A criterion's words, never its key: the policy's own `label` (Chinese), else the UI's
    words for the criterion, else words built from its report fields (死亡人数和失踪人数);
    a threshold keyed by a report field is that field's name."""
    words = MESSAGES["en" if lang == "en" else "zh"]
    if policy is not None and lang != "en" and name in policy.criterion_labels:
        return policy.criterion_labels[name]
    if f"criterion.{name}" in words:
        return words[f"criterion.{name}"]
    fields = policy.criteria.get(name, [name]) if policy is not None else [name]
    named = [words.get(f"count.{f}", f) for f in fields]
    target = "en" if lang == "en" else "zh"
    joiner = "list.and" if len(named) == 2 else "list.separator"
    return translate(joiner, target).join(named)


def road_label(road: Any, places: dict[str, str]) -> str:
    """A road as people name it: its ends' place names and its length
    (`大青山乡—武川县城 12.4 km`), never `150102 — 150102001`."""
    ends = f"{places.get(road.from_code, road.from_code)}—{places.get(road.to_code, road.to_code)}"
    km = getattr(road, "distance_km", None)
    if km is None:
        return ends
    length = format(Decimal(str(km)).quantize(Decimal("0.1")).normalize(), "f")
    return f"{ends} {length} km"


def _superseded_report_ids(reports: Iterable[Any]) -> set[int]:
    """Ids of the reports that a later one of the same region replaces (the assessment
    counts only each region's latest report: 续报 figures are cumulative)."""
    records = [emergency.report_record(row) for row in reports]
    current = {r.seq for r in latest_reports(records).values()}
    return {r.seq for r in records if r.seq not in current}


# --- events ------------------------------------------------------------------------------------


def _event_regions(session: Session, t: Translator) -> list[tuple[str, str]]:
    """The places an event may name, by name: each region with the name of the one above it
    (城关镇（武川县）), so that alike names stay apart; by code, so that a county is followed
    by its townships."""
    regions, _, _, _ = network.network_records(session)
    names = {r.code: r.name for r in regions}
    return [
        (
            r.code,
            t("duty.region_in", name=r.name, parent=names[r.parent_code])
            if r.parent_code in names
            else r.name,
        )
        for r in sorted(regions, key=lambda r: r.code)
    ]


def _events_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    events = [emergency.event_out(session, row) for row in emergency.list_events(session)]
    return render(
        request,
        "duty_events.html",
        actor,
        status_code=status_code,
        events=list(reversed(events)),  # newest first: the one being worked on
        hazards=HAZARDS,
        form=form or FormState(values={"started_at": cst_input(clock.now()), "region_codes": []}),
        may_create=actor.role in ("admin", "duty_officer"),
        event_regions=_event_regions(session, Translator(request_lang(request))),
    )


@router.get("/events", response_class=HTMLResponse)
def events_page(
    request: Request,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    return _events_page(request, session, actor)


@router.post("/events", response_class=HTMLResponse)
def create_event(
    request: Request,
    name: str = Form(""),
    hazard: str = Form(""),
    started_at: str = Form(""),
    region_codes: list[str] = Form([]),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "duty_officer")
    t = Translator(request_lang(request))
    form = FormState(
        values={
            "name": name,
            "hazard": hazard,
            "started_at": started_at,
            "region_codes": region_codes,
        }
    )
    start = parse_cst(started_at)
    if start is None:
        form.fail("started_at", t("form.bad_time"))
    # The picker sends one code per place; a script may still send them in one text,
    # separated by spaces, commas or 、 (as typed from a Chinese notice).
    codes = [
        c for text in region_codes for c in text.replace("、", " ").replace(",", " ").split() if c
    ]
    form.values["region_codes"] = codes
    fields = fields_in(form.values)
    body = validated(
        form,
        t,
        EventIn,
        {"name": name.strip(), "hazard": hazard, "started_at": start, "region_codes": codes},
        fields,
    )
    done = _submit(
        session,
        form,
        t,
        lambda: emergency.create_event(session, actor, body),
        lambda event: f"/events/{event.id}",
        fields,
        once=once,
    )
    return done or _events_page(request, session, actor, form, form.status)


# --- one event: reports, assessment, trigger ---------------------------------------------------


def _report_regions(session: Session, actor: Actor, event_id: int) -> list[tuple[str, str]]:
    """(code, label) of the regions a report of this event may name, for this user: the
    event's regions and everything under them, within a county clerk's scope."""
    codes: list[str] = []
    for code in emergency.event_region_codes(session, event_id):
        codes.extend(c for c in network.region_descendants(session, code) if c not in codes)
    if not sees_everything(actor):
        scope: set[str] = set()
        for code in actor.region_codes:
            scope.update(network.region_descendants(session, code))
        codes = [c for c in codes if c in scope]
    out = []
    for code in sorted(codes):
        region = network.get_region(session, code)
        if region is not None:
            out.append((code, f"{region.name}（{code}）"))
    return out


def _region_names(session: Session, codes: list[str]) -> dict[str, str]:
    names = {}
    for code in codes:
        region = network.get_region(session, code)
        names[code] = region.name if region else code
    return names


def _default_report() -> FormState:
    values = {"kind": "update", "reported_at": cst_input(clock.now()), "region_code": ""}
    return FormState(values=values)


def _default_trigger(recommended: int | None) -> FormState:
    return FormState(values={"level": str(recommended or 4), "note": "", "override_reason": ""})


def _event_page(
    request: Request,
    session: Session,
    actor: Actor,
    event_id: int,
    *,
    report: FormState | None = None,
    zero: FormState | None = None,
    trigger: FormState | None = None,
    stable: FormState | None = None,
    quick: FormState | None = None,
    import_errors: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    event = emergency.get_event(session, event_id)
    assessment = emergency.assess_event(session, event_id).to_dict()
    policy = emergency.event_policy(session, event)
    reports = emergency.list_reports(session, event_id)
    region_codes = emergency.event_region_codes(session, event_id)
    names = _region_names(session, sorted({*region_codes, *(r.region_code for r in reports)}))
    lang = request_lang(request)
    report_regions = (
        _report_regions(session, actor, event_id)
        if actor.role in ("admin", "duty_officer", "county_staff")
        else []
    )
    reported = {r.region_code for r in reports}
    rules = rules_from(policy.reporting)
    return render(
        request,
        "duty_event.html",
        actor,
        status_code=status_code,
        event=event,
        due=(due := [item.to_dict() for item in emergency.reporting_due(session, event, actor)]),
        unit_names=_region_names(session, sorted({d["unit"] for d in due if d["unit"]})),
        update_due={level: at.strftime("%H:%M") for level, at in rules.update_due.items()},
        final_working_days=rules.final_working_days,
        stable_at=clock.to_cst(event.stable_at),
        stable=stable or FormState(),
        # The quick form in and out (relief.emergency.forms): who files reports may import.
        can_import=actor.role in ("admin", "duty_officer", "county_staff"),
        can_download=actor.role in ("admin", "duty_officer", "county_staff", "approver"),
        import_errors=import_errors or [],
        quick=quick or FormState(),
        imported=request.query_params.get("imported"),
        # A 零报告 repeats a region's latest report: offered for the regions reported.
        zero_regions=[(code, label) for code, label in report_regions if code in reported],
        region_codes=region_codes,
        region_names=names,
        reports=list(reversed(reports)),
        # Reports that are no longer their region's latest: they no longer count.
        superseded=_superseded_report_ids(reports),
        assessment=assessment,
        criterion_label=lambda name: _criterion_label(lang, name, policy),
        count_fields=COUNT_FIELDS,
        figure_groups=FIGURE_GROUPS,
        figure_fields=FIGURE_FIELDS,
        main_fields=MAIN_FIELDS,
        decimal_fields=DECIMAL_FIELDS,
        # The browser checks each 其中 against its first total; the server checks them all.
        part_of=dict(reversed(PART_OF)),
        report_kinds=REPORT_KINDS,
        report_regions=report_regions,
        report=report or _default_report(),
        report_fields=_report_fields(lang),
        zero=zero or FormState(),
        active_response_id=emergency.active_response_id(session, event_id),
        levels=LEVELS,
        trigger=trigger or _default_trigger(assessment["recommended_level"]),
        is_duty=actor.role in ("admin", "duty_officer"),
        # Counties whose reported deaths or missing differ from the ledger: flagged only.
        ledger_differences=casualties.differences_in_scope(session, actor, event_id),
        keeps_ledger=actor.role in ("admin", "duty_officer", "county_staff"),
    )


def _report_fields(lang: Lang) -> list[tuple[str, str, str]]:
    """The report form's inputs for its error summary: (name, input id, label)."""
    t = Translator(lang)
    head = [
        ("region_code", "rp-region", t("col.region")),
        ("kind", "rp-kind", t("col.kind")),
        ("reported_at", "rp-at", t("duty.reported_at_cst")),
    ]
    figures = [(name, f"rp-{name}", t(f"count.{name}")) for name in FIGURE_FIELDS]
    return [*head, *figures, ("explanation", "rp-explanation", t("report.explanation"))]


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request,
    event_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    return _event_page(request, session, actor, event_id)


REPORT_FORM = posted("region_code", "kind", "reported_at", "explanation", *FIGURE_FIELDS)


@router.post("/events/{event_id}/reports", response_class=HTMLResponse)
def add_report(
    request: Request,
    event_id: int,
    typed: dict[str, str] = Depends(REPORT_FORM),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "duty_officer", "county_staff")
    emergency.get_event(session, event_id)
    t = Translator(request_lang(request))
    values = {name: typed[name] for name in ("region_code", "kind", "reported_at", "explanation")}
    values.update({name: typed[name].strip() for name in FIGURE_FIELDS})
    form = FormState(values=values)
    counts: dict[str, int | Decimal | None] = {}
    for name in COUNT_FIELDS:
        number = int_or_none(values[name] or "0")  # a blank count is a zero on the phone
        if number is None or number < 0:
            form.fail(name, t("form.count"))
        counts[name] = number
    for name in NEW_FIELDS:  # the quick report's other figures: blank = not reported
        try:
            # The one number reading of the forms first (１１０ and 8,100 yes; 1e3, 1_0 no).
            plain = number_text(values[name], decimals=2) if values[name] else ""
            counts[name] = parse_figure(name, plain) if plain else None
        except ValueError:
            form.fail(name, t("form.amount") if name in DECIMAL_FIELDS else t("form.count"))
    reported_at = parse_cst(values["reported_at"])
    if reported_at is None:
        form.fail("reported_at", t("form.bad_time"))
    if not values["region_code"]:
        form.fail("region_code", t("form.required"))
    fields = fields_in(values)
    data = {
        "region_code": values["region_code"],
        "kind": values["kind"],
        "reported_at": reported_at,
        "explanation": values["explanation"].strip() or None,
        **counts,
    }
    # Every problem at once (finding 25): the model sees the whole report, figures that did
    # not parse included (their own message, recorded first, stays).
    body = validated(form, t, ReportIn, data, fields)
    done = _submit(
        session,
        form,
        t,
        lambda: emergency.add_report(session, actor, event_id, body),
        f"/events/{event_id}#assessment",
        fields,
        once=once,
    )
    return done or _event_page(
        request, session, actor, event_id, report=form, status_code=form.status
    )


@router.post("/events/{event_id}/reports/zero", response_class=HTMLResponse)
def add_zero_report(
    request: Request,
    event_id: int,
    region_code: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """A 零报告 for a region: its latest figures again, as a 续报 reported now."""
    ensure_role(actor, "duty_officer", "county_staff")
    emergency.get_event(session, event_id)
    t = Translator(request_lang(request))
    form = FormState(values={"region_code": region_code})

    def zero_report() -> object:
        body = emergency.zero_report_body(session, event_id, region_code.strip(), clock.now())
        return emergency.add_report(session, actor, event_id, body)

    done = _submit(
        session, form, t, zero_report, f"/events/{event_id}#reporting", fields_in(("region_code",))
    )
    return done or _event_page(
        request, session, actor, event_id, zero=form, status_code=form.status
    )


@router.post("/events/{event_id}/statistics/import", response_class=HTMLResponse)
def import_quick_form(
    request: Request,
    event_id: int,
    file: UploadFile | None = File(None),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """The quick form (.xlsx or .csv) filed as reports, all or nothing; a rejected file's
    problems by row and column on the event page."""
    ensure_role(actor, "duty_officer", "county_staff")
    emergency.get_event(session, event_id)
    t = Translator(request_lang(request))
    form = FormState()
    content = file.file.read() if file is not None else b""
    if file is None or not file.filename or not content:
        form.fail(None, t("sub.import.no_file"))
    done = _submit(
        session,
        form,
        t,
        lambda: forms.import_quick(
            session, actor, event_id, file.filename if file else "", content
        ),
        lambda created: f"/events/{event_id}?imported={len(created)}#quick-form",
        once=once,
    )
    if done:
        return done
    rejected = form.refusal.extra.get("rejected") if form.refusal else None
    return _event_page(
        request,
        session,
        actor,
        event_id,
        quick=form,
        import_errors=rejected.said(t.lang) if isinstance(rejected, RowErrors) else [],
        status_code=form.status,
    )


@router.post("/events/{event_id}/stable", response_class=HTMLResponse)
def declare_stable(
    request: Request,
    event_id: int,
    at: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """The duty officer declares the disaster stable (blank time: now)."""
    ensure_role(actor, "duty_officer")
    emergency.get_event(session, event_id)
    t = Translator(request_lang(request))
    form = FormState(values={"at": at})
    when = parse_cst(at) if at.strip() else None
    if at.strip() and when is None:
        form.fail("at", t("form.bad_time"))
    done = _submit(
        session,
        form,
        t,
        lambda: emergency.declare_stable(session, actor, event_id, StableIn(at=when)),
        f"/events/{event_id}#reporting",
        fields_in(("at",)),
    )
    return done or _event_page(
        request, session, actor, event_id, stable=form, status_code=form.status
    )


@router.post("/events/{event_id}/responses", response_class=HTMLResponse)
def trigger_response(
    request: Request,
    event_id: int,
    level: str = Form(""),
    note: str = Form(""),
    override_reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "duty_officer")
    t = Translator(request_lang(request))
    form = FormState(values={"level": level, "note": note, "override_reason": override_reason})
    fields = fields_in(form.values)
    body = validated(
        form,
        t,
        ResponseIn,
        {
            "level": int_or_none(level) or 0,
            "note": note.strip(),
            "override_reason": override_reason.strip() or None,
        },
        fields,
    )
    done = _submit(
        session,
        form,
        t,
        lambda: responses.trigger_response(session, actor, event_id, body),
        lambda response: f"/responses/{response.id}",
        fields,
    )
    return done or _event_page(
        request, session, actor, event_id, trigger=form, status_code=form.status
    )


# --- one response ------------------------------------------------------------------------------


# Failed background plans shown on a response's page (the newest).
FAILED_SHOWN = 3


def _plan_progress(session: Session, plan_id: int) -> dict[str, Any]:
    return allocation.plan_progress(allocation.get_plan_row(session, plan_id))


def _latest_plans(plans: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The newest plan of each method that is not a what-if: what the page compares."""
    out: dict[str, dict[str, Any]] = {}
    for plan in plans:
        if not plan["what_if"]:
            out[plan["method"]] = plan  # oldest first, so the last one wins
    return out


def _flows(plan: dict[str, Any] | None) -> list[netmap.Flow]:
    """A plan's lines summed per (warehouse, region): one arrow each on the map, drawn
    along the route the plan's lines take (their `path`; one route per pair)."""
    if plan is None:
        return []
    sums: dict[tuple[str, str], int] = defaultdict(int)
    paths: dict[tuple[str, str], tuple[str, ...]] = {}
    for line in plan["lines"]:
        key = (line["warehouse_code"], line["region_code"])
        sums[key] += int(line["quantity"])
        paths.setdefault(key, tuple(line.get("path") or ()))
    return [netmap.Flow(w, r, q, paths[(w, r)]) for (w, r), q in sorted(sums.items())]


def _read_flash(request: Request, response_id: int) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        flash = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(flash, dict) or flash.get("response_id") != response_id:
        return None
    # The browser keeps this cookie: a hand-edited one shows nothing rather than failing.
    routes = flash.get("routes")
    if not isinstance(routes, list) or not all(isinstance(r, dict) for r in routes):
        return None
    return flash


def _place_names(session: Session, flash: dict[str, Any] | None) -> dict[str, str]:
    """Names of the regions and warehouses of the routes a closure changed."""
    names: dict[str, str] = {}
    for route in (flash or {}).get("routes", []):
        region = network.get_region(session, str(route.get("region_code")))
        warehouse = network.get_warehouse(session, str(route.get("warehouse_code")))
        if region is not None:
            names[region.code] = region.name
        if warehouse is not None:
            names[warehouse.code] = warehouse.name
    return names


def _response_orders(session: Session, actor: Actor, response_id: int) -> list[dict[str, Any]]:
    """The response's dispatch orders the user may open (the orders page has no filter by
    response), each with whether it is past its ETA and not received."""
    return [
        {"order": order, "late": dispatch.is_late(order)}
        for order in dispatch.visible_orders(session, actor, response_id=response_id)
    ]


WHATIF_STATS = ("allocated", "shortfall", "min_fill_rate", "regions_unserved", "ton_km")
WHATIF_SHOWN = 3  # the newest what-ifs; older ones stay in the API


def _whatif_views(
    session: Session,
    every_plan: list[dict[str, Any]],
    real: dict[str, Any] | None,
    places: dict[str, str],
) -> list[dict[str, Any]]:
    """The newest what-if plans, newest first, each set beside the newest real optimal plan:
    its level, the roads it treats as closed, and each figure with its difference."""
    out = []
    for plan in reversed([p for p in every_plan if p["what_if"]][-WHATIF_SHOWN:]):
        inputs = allocation.get_plan_row(session, plan["id"]).inputs
        closed = [
            f"{places.get(a, a)} — {places.get(b, b)}" for a, b in inputs.get("extra_closures", [])
        ]
        stats = []
        for key in WHATIF_STATS:
            mine = plan["stats"][key]
            theirs = real["stats"][key] if real else None
            stats.append((key, theirs, mine, None if theirs is None else mine - theirs))
        real_items = {row["item_code"]: row["allocated"] for row in (real or {}).get("by_item", [])}
        by_item = [
            (
                row["item_code"],
                real_items.get(row["item_code"]) if real else None,
                row["allocated"],
                row["allocated"] - real_items.get(row["item_code"], 0) if real else None,
            )
            for row in plan["by_item"]
        ]
        out.append(
            {
                "plan": plan,
                "real_id": real["id"] if real else None,
                "closed": closed,
                "stats": stats,
                "by_item": by_item,
            }
        )
    return out


def _response_page(
    request: Request,
    session: Session,
    actor: Actor,
    response_id: int,
    *,
    change: FormState | None = None,
    demand: FormState | None = None,
    closure: FormState | None = None,
    plan: FormState | None = None,
    whatif: FormState | None = None,
    deadline: FormState | None = None,
    status_code: int = 200,
) -> Response:
    row = responses.get_response(session, response_id)
    reply = responses.response_out(session, row)
    event = emergency.get_event(session, row.event_id)
    timeline = responses.timeline(session, response_id, request_lang(request))
    # One row per deadline name: the timeline's entry (open or done), else "none set".
    by_name = {e.name: e for e in timeline if e.kind == "deadline"}
    deadlines = [
        by_name.get(name) or {"name": name, "due_at": None, "overdue": False, "done_at": None}
        for name in responses.DEADLINE_NAMES
    ]
    demand = demand or FormState(values={"rows": _current_demand_rows(session, response_id)})
    rows = demand.values["rows"]
    t = Translator(request_lang(request))
    every_plan = allocation.list_plans(session, response_id)
    # Plans still computing in the background (or failed there) have no figures: shown
    # apart, with their progress, and left out of the comparison and the what-ifs.
    in_background = [p for p in every_plan if p["state"] in ("computing", "failed")]
    computing = [p for p in in_background if p["state"] == "computing"]
    computing += [p for p in in_background if p["state"] == "failed"][-FAILED_SHOWN:]
    computing = [{"plan": p, "progress": _plan_progress(session, p["id"])} for p in computing]
    every_plan = [p for p in every_plan if p["state"] not in ("computing", "failed")]
    plans = _latest_plans(every_plan)
    approved = next((p for p in every_plan if p["state"] == "approved"), None)
    affected = responses.affected_region_codes(session, event)
    closures = emergency.list_closures(session, event.id)
    closed_ids = {c.id for c in closures if c.status == "closed"}
    roads = [r for r in network.list_roads(session) if r.id not in closed_ids]
    items = {item.code: item for item in network.list_items(session)}
    fulfilment = dispatch.response_fulfilment(session, response_id)
    late = [line for line in fulfilment if line.overdue]
    # The map shades the affected regions at the response's level (the severity the
    # province acts on) and draws the approved plan, else the optimal draft.
    drawing = map_drawing(
        session,
        affected={code: row.level for code in affected},
        flows=_flows(approved or plans.get("optimal")),
        closed_road_ids=closed_ids,
    )
    names = _region_names(
        session,
        sorted(
            {*affected, *(row["region_code"] for row in rows if row["region_code"])}
            | {line.region_code for line in fulfilment}
        ),
    )
    places = place_names(session)
    flash = _read_flash(request, response_id)
    lang = request_lang(request)
    versions = responses.demand_versions(session, response_id)
    # The places a new demand row may name, chosen by name: the affected regions and what
    # lies under them (finding 29).
    every_region, _, _, _ = network.network_records(session)
    demand_regions = [
        (r.code, r.name)
        for r in sorted(every_region, key=lambda r: r.code)
        if any(r.code.startswith(code) for code in affected)
    ]
    return render(
        request,
        "duty_response.html",
        actor,
        status_code=status_code,
        response=reply,
        event=event,
        # Names and phones of the people involved: the duty officer's to call (issue 13
        # review #44), not every role's to read.
        involved=(
            responses.involved_people(session, response_id)
            if actor.role in ("admin", "duty_officer")
            else None
        ),
        lambda_place=lambda code: places.get(code, code),
        deadlines=deadlines,
        deadline=deadline or FormState(),
        timeline=timeline,
        people=people_names(session, [e.actor for e in timeline]),
        closures=closures,
        roads=roads,
        flash=flash,
        place_names=_place_names(session, flash),
        demand_rows=rows,
        demand=demand,
        demand_fields=_demand_fields(t, rows, names, items),
        demand_version=versions[-1].version if versions else 0,
        demand_regions=demand_regions,
        coverage=responses.coverage(session, response_id),
        plans=plans,
        approved=approved,
        drawing=drawing,
        items=items,
        region_names=names,
        levels=LEVELS,
        change=change
        or FormState(values={"action": "escalate", "level": "", "note": "", "override_reason": ""}),
        closure=closure or FormState(),
        plan=plan or FormState(),
        fulfilment=fulfilment,
        late_regions=[names.get(c, c) for c in sorted({line.region_code for line in late})],
        late_count=len(late),
        orders=_response_orders(session, actor, response_id),
        road_names=places,
        road_label=lambda road: road_label(road, places),
        computing=computing,
        whatifs=_whatif_views(session, every_plan, approved or plans.get("optimal"), places),
        whatif=whatif or FormState(values={"level": "", "closed_roads": []}),
        is_duty=actor.role in ("admin", "duty_officer"),
        active=row.status == "active",
        # Escalating above today's recommendation needs an override, as triggering does.
        recommended=emergency.assess_event(session, event.id).recommended_level,
        words=MESSAGES[lang],
        # Issue 13: the fulfilment and the deadlines as pictures above the tables.
        pictures=response_pictures(
            fulfilment=fulfilment,
            deadlines=deadlines,
            triggered_at=reply.triggered_at,
            region_names=names,
            items=items,
            lang=lang,
            t=t,
        ),
    )


def _demand_fields(
    t: Translator,
    rows: list[dict[str, str]],
    names: dict[str, str],
    items: dict[str, Any],
) -> list[tuple[str, str, str]]:
    """The demand editor's inputs for its error summary: (name, input id, label) per row,
    a row named by its place and item (哈拉合少乡 · 蒙古包), not its number (finding 32)."""
    inputs = (("region_code", "region"), ("item_code", "item"), ("quantity", "qty"))
    inputs += (("priority", "prio"),)
    out = []
    for n in range(len(rows) + 1):
        row = rows[n] if n < len(rows) else {}
        label = _demand_row_label(t, row, names, items) or t("duty.demand_row", n=n + 1)
        out += [(f"{n}.{name}", f"dm-{n}-{suffix}", label) for name, suffix in inputs]
    return out


def _demand_row_label(
    t: Translator, row: dict[str, Any], names: dict[str, str], items: dict[str, Any]
) -> str:
    """A demand row by its place and item: 哈拉合少乡 · 蒙古包 ("" for a blank row)."""
    region, item = row.get("region_code") or "", row.get("item_code") or ""
    if not region and not item:
        return ""
    found = items.get(item)
    item_name = (found.name_zh if t.lang == "zh" else found.name_en) if found else item
    return f"{names.get(region, region)} · {item_name}"


def _version_seen(seen: str) -> int | None:
    """The demand version a page was opened at (its hidden field); None when not sent."""
    return int(seen) if seen.isdigit() and len(seen) < 10 else None


def _demand_stale(session: Session, t: Translator, response_id: int, seen: str) -> str | None:
    """Why a demand saved from an older page is refused: the versions saved since, who saved
    them, when, and the rows they changed (「需求清单已于 … 由 … 修改：哈拉合少乡 · 饮用水
    1000→1100」). None when `seen` is the current version (0: none saved yet), or not sent
    (the API's way)."""
    versions = responses.demand_versions(session, response_id)
    current = str(versions[-1].version) if versions else "0"
    if not seen or seen == current:
        return None
    latest = versions[-1]
    before = next((v for v in versions if str(v.version) == seen), None)
    old = {(ln.region_code, ln.item_code): ln.quantity for ln in (before.lines if before else [])}
    new = {(ln.region_code, ln.item_code): ln.quantity for ln in latest.lines}
    regions, _, _, _ = network.network_records(session)
    names = {r.code: r.name for r in regions}
    items = {item.code: item for item in network.list_items(session)}
    changes = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            row = {"region_code": key[0], "item_code": key[1]}
            was, now = old.get(key, "—"), new.get(key, "—")
            changes.append(f"{_demand_row_label(t, row, names, items)} {was}→{now}")
    shown = t("list.separator").join(changes[:5]) + ("…" if len(changes) > 5 else "")
    at = clock.to_cst(latest.at)
    from relief.web.warehouse import people_names

    return t(
        "duty.demand_stale",
        who=people_names(session, [latest.actor]).get(latest.actor, latest.actor),
        at=at.strftime("%Y-%m-%d %H:%M") if at else "",
        version=latest.version,
        changes=shown or "—",
    )


@router.get("/responses/{response_id}", response_class=HTMLResponse)
def response_page(
    request: Request,
    response_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    page = _response_page(request, session, actor, response_id)
    page.delete_cookie(FLASH_COOKIE, path="/")  # the lost routes are shown once
    return page


def _acting(request: Request, actor: Actor) -> None:
    ensure_role(actor, "duty_officer")


@router.post("/responses/{response_id}/change", response_class=HTMLResponse)
def change_response(
    request: Request,
    response_id: int,
    action: str = Form(""),
    level: str = Form(""),
    note: str = Form(""),
    override_reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _acting(request, actor)
    t = Translator(request_lang(request))
    values = {"action": action, "level": level, "note": note, "override_reason": override_reason}
    form = FormState(values=values)
    fields = fields_in(values)
    body = validated(
        form,
        t,
        ResponsePatch,
        {
            "action": action,
            "level": int_or_none(level) if action != "end" else None,
            "note": note.strip(),
            "override_reason": override_reason.strip() or None,
        },
        fields,
    )
    done = _submit(
        session,
        form,
        t,
        lambda: responses.change_response(session, actor, response_id, body),
        f"/responses/{response_id}",
        fields,
    )
    return done or _response_page(
        request, session, actor, response_id, change=form, status_code=form.status
    )


@router.post("/responses/{response_id}/deadlines/{name}/done", response_class=HTMLResponse)
def mark_deadline_done(
    request: Request,
    response_id: int,
    name: str,
    note: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _acting(request, actor)
    t = Translator(request_lang(request))
    form = FormState(values={"note": note})
    fields = fields_in(("note",))
    body = validated(form, t, DeadlineDoneIn, {"note": note.strip()}, fields)
    done = _submit(
        session,
        form,
        t,
        lambda: responses.mark_deadline_done(session, actor, response_id, name, body.note),
        f"/responses/{response_id}#deadlines-h",
        fields,
        refusals=(401, 403, 404),  # an unknown response or deadline: the 404 page
    )
    return done or _response_page(
        request, session, actor, response_id, deadline=form, status_code=form.status
    )


def _with_flash(url: str, response_id: int, change: Any, kind: str) -> Response:
    routes = [route.model_dump() for route in change.lost_routes + change.restored_routes]
    answer = redirect(url)
    flash = {
        "response_id": response_id,
        "kind": kind,
        "routes": routes[:FLASH_ROUTES],
        "more": max(0, len(routes) - FLASH_ROUTES),
    }
    answer.set_cookie(
        FLASH_COOKIE,
        json.dumps(flash, separators=(",", ":")),
        max_age=300,
        httponly=True,
        samesite="strict",
        path="/",
    )
    return answer


@router.post("/responses/{response_id}/closures", response_class=HTMLResponse)
def close_road(
    request: Request,
    response_id: int,
    road_id: str = Form(""),
    note: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _acting(request, actor)
    row = responses.get_response(session, response_id)
    t = Translator(request_lang(request))
    form = FormState(values={"road_id": road_id, "note": note})
    if int_or_none(road_id) is None:
        form.fail("road_id", t("form.required"))

    def close() -> object:
        body = ClosureIn(road_id=int_or_none(road_id), note=note.strip())
        return emergency.close_roads(session, actor, row.event_id, body)

    done = _submit(
        session,
        form,
        t,
        close,
        lambda change: _with_flash(
            f"/responses/{response_id}#closures", response_id, change, "closed"
        ),
        # Every refusal is the road's: the one choice the form has.
        lambda _: "road_id",
    )
    return done or _response_page(
        request, session, actor, response_id, closure=form, status_code=form.status
    )


@router.post("/responses/{response_id}/closures/{road_id}/reopen", response_class=HTMLResponse)
def reopen_road(
    request: Request,
    response_id: int,
    road_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _acting(request, actor)
    row = responses.get_response(session, response_id)
    change = emergency.reopen_road(session, actor, row.event_id, road_id)
    session.commit()
    return _with_flash(f"/responses/{response_id}#closures", response_id, change, "reopened")


def _current_demand_rows(session: Session, response_id: int) -> list[dict[str, str]]:
    """The demand in force as the editor's rows, grouped by region; `key` names the line a
    row started as, so that a sent row replaces it (see `_merge_demand_rows`)."""
    lines = sorted(
        responses.demand_lines(session, response_id), key=lambda d: (d.region_code, d.item_code)
    )
    return [
        {
            "key": f"{line.region_code}|{line.item_code}",
            "region_code": line.region_code,
            "item_code": line.item_code,
            "quantity": str(line.quantity),
            "priority": str(line.priority),
        }
        for line in lines
    ]


def _merge_demand_rows(
    current: list[dict[str, str]], sent: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The editor sends only changed rows: each replaces the current line it started as
    (its `key`; a cleared row removes it), rows without a known key are added at the end,
    and the lines not sent stay as they are. The API's PUT still receives the whole list."""
    known = {row["key"] for row in current}
    by_key = {row["key"]: row for row in sent if row.get("key") in known}
    merged = [
        {**by_key[row["key"]], "orig_quantity": row["quantity"], "orig_priority": row["priority"]}
        if row["key"] in by_key
        else row
        for row in current
    ]
    return merged + [row for row in sent if row.get("key") not in known]


@router.post("/responses/{response_id}/demand", response_class=HTMLResponse)
def save_demand(
    request: Request,
    response_id: int,
    region_code: list[str] = Form([]),
    item_code: list[str] = Form([]),
    quantity: list[str] = Form([]),
    priority: list[str] = Form([]),
    key: list[str] = Form([]),
    partial: str = Form(""),
    note: str = Form(""),
    version: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _acting(request, actor)
    t = Translator(request_lang(request))
    seen = version.strip()
    keys = key + [""] * (len(region_code) - len(key))
    rows = [
        {
            "key": k.strip(),
            "region_code": r.strip(),
            "item_code": i.strip(),
            "quantity": q.strip(),
            "priority": p.strip(),
        }
        for k, r, i, q, p in zip(keys, region_code, item_code, quantity, priority, strict=False)
    ]
    if partial:
        rows = _merge_demand_rows(_current_demand_rows(session, response_id), rows)
    # A row left blank (the spare one at the bottom, or one cleared) is not a line.
    rows = [row for row in rows if row["region_code"] or row["item_code"] or row["quantity"]]
    form = FormState(values={"rows": rows, "note": note})
    lines: list[DemandLineIn] = []
    for n, row in enumerate(rows):
        number = int_or_none(row["quantity"])
        weight = int_or_none(row["priority"]) if row["priority"] else None
        if number is None or number < 0:
            form.fail(f"{n}.quantity", t("form.count"))
            continue
        if row["priority"] and (weight is None or weight < 0):
            form.fail(f"{n}.priority", t("form.count"))
            continue
        line = validated(
            form,
            t,
            DemandLineIn,
            {
                "region_code": row["region_code"],
                "item_code": row["item_code"],
                "quantity": number,
                "priority": weight,
            },
            lambda path, n=n: f"{n}.{field_name(path)}",
        )
        if line is not None:
            lines.append(line)
    done = _submit(
        session,
        form,
        t,
        lambda: responses.replace_demand(
            session, actor, response_id, lines, note, _version_seen(seen)
        ),
        f"/responses/{response_id}#demand",
        # `[3].item_code` → row 3's item input (`3.item_code`); no field → above the table.
        lambda path: path.replace("[", "").replace("]", ""),
        status=422,
    )
    if done is None and form.code == "demand_stale":
        # Saved from a page opened before another save (another tab, another officer): the
        # service refused it under the response's lock; say who changed which rows. The
        # rows typed here stay, merged on the current demand, and the page now carries the
        # current version (finding 31).
        form.general = None
        form.errors.pop("version", None)
        form.fail(None, _demand_stale(session, t, response_id, seen) or t("error.demand_stale"))
        form.status = 409
    return done or _response_page(
        request, session, actor, response_id, demand=form, status_code=form.status
    )


def _plan_words(t: Translator, exc: DomainError) -> str:
    """A plan the service would not draw or approve: in the page's words when it has some
    for the code (`duty.err.plan_is_what_if`), else the service's."""
    key = f"duty.err.{exc.code}"
    worded = t(key)
    return exc.text(t.lang) if worded == key else worded


def _whatif_closures(session: Session, road_ids: list[str]) -> list[tuple[str, str]] | None:
    """The (from, to) codes of the roads picked by id; None when one is not a road."""
    roads = {str(road.id): road for road in network.list_roads(session)}
    if any(text.strip() not in roads for text in road_ids):
        return None
    return [(roads[t.strip()].from_code, roads[t.strip()].to_code) for t in road_ids]


@router.post("/responses/{response_id}/plans", response_class=HTMLResponse)
def run_plans(
    request: Request,
    response_id: int,
    level: str = Form(""),
    closed_roads: list[str] = Form([]),
    background: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Both methods on the same inputs, so that the page can set them side by side; with a
    hypothetical level or roads to treat as closed, one what-if plan (optimal) instead.
    A model above RELIEF_PLAN_INLINE_MAX_ARCS, or the 后台计算 box, makes them in the
    background: the page shows their progress until they are made."""
    _acting(request, actor)
    closed_roads = [text for text in closed_roads if text.strip()]
    if level.strip() or closed_roads:
        return _run_whatif(request, session, actor, response_id, level, closed_roads)
    form = FormState()
    made: list[Any] = []
    settings = request.app.state.settings

    def draw() -> None:
        for method in ("optimal", "greedy"):
            made.append(
                allocation.create_plan(
                    session,
                    actor,
                    response_id,
                    method,
                    background=bool(background),
                    inline_max_arcs=settings.plan_inline_max_arcs,
                )
            )

    t = Translator(request_lang(request))
    done = _submit(session, form, t, draw, f"/responses/{response_id}#plans", words=_plan_words)
    if done is not None and done.status_code == 303:
        for row in made:  # committed: a job may read them now
            if row.job_state == "computing":
                plan_jobs.submit(request.app.state, int(row.id))
    return done or _response_page(
        request, session, actor, response_id, plan=form, status_code=form.status
    )


def _run_whatif(
    request: Request,
    session: Session,
    actor: Actor,
    response_id: int,
    level: str,
    road_ids: list[str],
) -> Response:
    t = Translator(request_lang(request))
    form = FormState(values={"level": level, "closed_roads": road_ids})
    number = int_or_none(level) if level.strip() else None
    if level.strip() and number not in (1, 2, 3, 4):  # the service says the same, in English
        form.fail("level", t("duty.whatif_bad_level"))
    pairs = _whatif_closures(session, road_ids)
    if pairs is None:
        form.fail("closed_roads", t("duty.whatif_unknown_road"))
    done = _submit(
        session,
        form,
        t,
        lambda: allocation.create_plan(
            session, actor, response_id, "optimal", level=number, closed_roads=pairs
        ),
        f"/responses/{response_id}#whatif",
        fields_in(form.values),
    )
    return done or _response_page(
        request, session, actor, response_id, whatif=form, status_code=form.status
    )


@router.post("/plans/{plan_id}/approve", response_class=HTMLResponse)
def approve_plan(
    request: Request,
    plan_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _acting(request, actor)
    response_id = allocation.get_plan_row(session, plan_id).response_id
    t = Translator(request_lang(request))
    form = FormState()
    done = _submit(
        session,
        form,
        t,
        lambda: allocation.approve_plan(session, actor, plan_id),
        f"/responses/{response_id}#plans",
        words=_plan_words,
    )
    return done or _response_page(
        request, session, actor, response_id, plan=form, status_code=form.status
    )


# --- demand versions ---------------------------------------------------------------------------


def _version_changes(before: DemandVersionOut, after: DemandVersionOut) -> list[dict[str, Any]]:
    """What one demand version changed against the one before, per region × item: the
    quantity (and priority) before and after; a line added or dropped has None on one side."""
    old = {(d.region_code, d.item_code): d for d in before.lines}
    new = {(d.region_code, d.item_code): d for d in after.lines}
    out = []
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        if was is not None and was == now:
            continue
        out.append(
            {
                "region_code": key[0],
                "item_code": key[1],
                "before": was.quantity if was else None,
                "after": now.quantity if now else None,
                "delta": (now.quantity if now else 0) - (was.quantity if was else 0),
                "priority_before": was.priority if was else None,
                "priority_after": now.priority if now else None,
            }
        )
    return out


@router.get("/responses/{response_id}/demand/versions", response_class=HTMLResponse)
def demand_versions_page(
    request: Request,
    response_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Every kept version of the demand, newest first, with what each changed."""
    row = responses.get_response(session, response_id)
    versions = responses.demand_versions(session, response_id)
    shown = [
        {
            "version": v,
            "changes": _version_changes(versions[n - 1], v) if n else None,
        }
        for n, v in enumerate(versions)
    ]
    codes = {line.region_code for v in versions for line in v.lines}
    return render(
        request,
        "duty_demand_versions.html",
        actor,
        people=people_names(session, [v.actor for v in versions]),
        response=responses.response_out(session, row),
        event=emergency.get_event(session, row.event_id),
        versions=list(reversed(shown)),
        region_names=_region_names(session, sorted(codes)),
        items={item.code: item for item in network.list_items(session)},
    )


# --- inbox -------------------------------------------------------------------------------------


def _awaiting(session: Session) -> list[tuple[Any, list[responses.InvolvedPerson]]]:
    """Active responses with the people notified of them who have not acknowledged."""
    out = []
    for row in responses.list_responses(session):
        if row.status != "active":
            continue
        people = [p for p in responses.involved_people(session, row.id) if p.acknowledged is False]
        if people:
            event = emergency.get_event(session, row.event_id)
            out.append((_ResponseHead(row.id, row.level, event.name), people))
    return out


@dataclass(frozen=True)
class _ResponseHead:
    response_id: int
    level: int
    event_name: str


def _reporting_owed(session: Session, actor: Actor) -> list[tuple[Any, list[dict[str, Any]]]]:
    """(event, items) for each event whose units in the user's scope owe a report (the
    service's, as GET /api/v1/inbox lists them)."""
    return [
        (event, [item.to_dict() for item in items])
        for event, items in emergency.reporting_owed(session, actor)
    ]


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """The signed-in user's notifications (as GET /api/v1/inbox): any user has an inbox."""
    lang = request_lang(request)
    notes = [responses.inbox_out(session, row, lang) for row in responses.inbox(session, actor)]
    places = place_names(session)
    # Unacknowledged first, each part newest first (the service's order).
    notes.sort(key=lambda note: note.acked_at is not None)
    return render(
        request,
        "duty_inbox.html",
        actor,
        notes=notes,
        unacked=sum(1 for note in notes if note.acked_at is None),
        # The duty officer's inbox also lists, per active response, who has not
        # acknowledged yet, with names and phones to call them.
        awaiting=_awaiting(session) if actor.role in ("admin", "duty_officer") else None,
        # County staff: the statistics reports their events owe (open or overdue).
        reporting=(
            owed := _reporting_owed(session, actor) if actor.role == "county_staff" else None
        ),
        unit_names=_region_names(
            session, sorted({d["unit"] for _, items in owed or [] for d in items if d["unit"]})
        ),
        lambda_place=lambda code: places.get(code, code),
        done=request.query_params.get("done") == "ack",
        # 临时救助: paperwork overdue and help first owed back (as GET /api/v1/inbox).
        temporary_due=_temporary_due(session, actor),
        cause_of=_cause_namer(session),
        yuan=yuan,
        # 冬春 county totals owed to the city (as GET /api/v1/inbox lists them).
        winter_due=_winter_due(session, actor, lang),
    )


def _temporary_due(session: Session, actor: Actor) -> list | None:
    """(case, household, clock) of the caller's 临时救助 cases whose paperwork is overdue or
    whose help first is owed back (the API inbox's `temporary_*` entries); None for roles
    that do not handle 临时救助."""
    from relief.subsidies import temporary

    if actor.role not in ("admin", "county_staff", "township_staff", "approver"):
        return None
    return [
        (case, household, running)
        for case, household, running in temporary.due_cases(session, actor)
        if (running is not None and running.overdue) or case.recovery == "due"
    ]


def _cause_namer(session: Session) -> Any:
    from relief.subsidies import temporary

    return temporary.cause_namer(session)


def _winter_due(session: Session, actor: Actor, lang: str) -> list[Any]:
    from relief.subsidies import winter

    return winter.inbox_rows(session, actor, lang)


@router.post("/inbox/{inbox_id}/ack", response_class=HTMLResponse)
def acknowledge(
    request: Request,
    inbox_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Acknowledge one notification; someone else's is the 403 page, an unknown one 404."""
    responses.acknowledge(session, actor, inbox_id)
    session.commit()
    return redirect("/inbox?done=ack")
