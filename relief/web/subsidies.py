"""County staff's and approvers' pages: households (list, register, import), subsidy cases
(list, the case with its history, transitions and payments) and the programme summary.

Like every page of the UI these hold no subsidy logic: they parse the form, call
`relief.subsidies.service` / `imports` (which check role and region scope with the same
rules as the API) and commit. A refused form is rolled back and shown again with what the
user typed and the message next to the field the error names; a form that went through
answers 303 to the page that shows the result (post-redirect-get). The two exports and the
import template are the API's own downloads: the API accepts the UI's cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from relief import clock
from relief.auth.deps import ensure_role
from relief.auth.models import Actor
from relief.db import get_session
from relief.emergency import service as emergency
from relief.errors import DomainError
from relief.i18n import listed
from relief.network import service as network
from relief.subsidies import imports, service
from relief.subsidies.ids import vault_for
from relief.subsidies.models import (
    CASE_STATUSES,
    CATEGORIES,
    DAMAGES,
    MAX_ID,
    STRUCTURES,
    Case,
    HouseholdIn,
    Payment,
    PaymentIn,
    Programme,
    ProgrammeBudgetIn,
    ReversalIn,
    TransitionIn,
    format_fen,
    yuan_text,
)
from relief.web import subsidy_office as office
from relief.web.forms import (
    FormState,
    NumberError,
    Once,
    catalogue_words,
    fields_in,
    form_once,
    number_text,
    numbers_in,
    query_id,
    same_site_posts,
    service_words,
    submit,
    validated,
)
from relief.web.i18n import Translator
from relief.web.paging import PAGE_SIZE, Pager, page_number, page_offset
from relief.web.shell import people_names, render, request_lang, signed_in
from relief.web.sorting import Sorter, sort_key

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

READERS = ("county_staff", "approver", "township_staff")  # admin is always admitted by ensure_role
# A case or payment the user may not see is the 404 page, not a message on its forms.
CASE_REFUSALS = (401, 403, 404)
HOUSEHOLD_FIELDS = office.HOUSEHOLD_FIELDS


def _reader(actor: Actor) -> None:
    ensure_role(actor, *READERS)


def _eligibility_text(t: Translator, programme: Programme) -> str:
    """Which households the programme covers, in the page's language."""
    rule = service.eligibility_of(programme)
    if rule is None:
        return t("sub.eligibility.any")
    parts = []
    if rule.damage:
        words = listed((t(f"damage.{d}") for d in rule.damage), t.lang)
        parts.append(t("sub.eligibility.damage", values=words))
    if rule.categories:
        words = listed((t(f"category.{c}") for c in rule.categories), t.lang)
        parts.append(t("sub.eligibility.categories", values=words))
    if rule.in_survey and rule.season is not None:
        parts.append(
            t("sub.eligibility.in_survey_season", season=rule.season, next=rule.season + 1)
        )
    elif rule.in_survey:
        parts.append(t("sub.eligibility.in_survey"))
    return t("sub.eligibility", rules=("；" if t.lang == "zh" else "; ").join(parts))


def basis_text(t: Translator, session: Session, standard: Any, case: Case | None = None) -> str:
    """How a standard sets the amount, in the page's language (issue 15): the basis with
    its figures, the months (a case's own when given), a share's reference standard (its
    Chinese name on a Chinese page, its code on an English one), per household, the cap."""
    money = yuan_text
    basis = service.standard_basis(standard)
    months = case.months if case is not None and case.months else standard.months
    if basis == "rebuild":
        text = t(
            "sub.basis.rebuild",
            per_household=money(standard.per_household_fen or 0),
            per_room=money(standard.per_room_fen or 0),
        )
    elif basis == "share_of":
        # A Chinese page names the reference in Chinese: the policy's name, else a word.
        name = standard.share_of
        if t.lang == "zh":
            name = service.reference_name(session, standard.share_of) or t("sub.basis.reference")
        text = t(
            "sub.basis.share_of",
            reference=name,
            percent=f"{standard.percent:.2f}".rstrip("0").rstrip("."),
            months=months,
        )
        if case is not None and case.reference_fen is not None:
            text += t("sub.basis.reference_value", amount=money(case.reference_fen))
    elif basis == "per_person_month_kg":
        text = t(
            "sub.basis.per_person_month_kg",
            kg=f"{standard.per_person_month_kg:.3f}".rstrip("0").rstrip("."),
            price=money(standard.price_per_kg_fen),
            months=months,
        )
    elif basis == "per_person_month":
        text = t(
            "sub.basis.per_person_month", amount=money(standard.per_person_month_fen), months=months
        )
    elif basis == "per_person":
        text = t("sub.basis.per_person", amount=money(standard.per_person_fen))
    else:
        text = t("sub.basis.per_household", amount=money(standard.per_household_fen))
    if standard.per_household and basis != "per_household":
        text += t("sub.basis.household_once")
    if standard.cap_per_household_fen is not None:
        text += t("sub.basis.cap", amount=money(standard.cap_per_household_fen))
    return text


def _region_label(session: Session, code: str) -> str:
    region = network.get_region(session, code)
    return f"{region.name}（{code}）" if region else code


def _region_names(session: Session) -> dict[str, str]:
    regions, _, _, _ = network.network_records(session)
    return {r.code: r.name for r in regions}


def _events(session: Session) -> list[Any]:
    return list(emergency.list_events(session))


# --- households ------------------------------------------------------------------------------


@router.get("/subsidies/households", response_class=HTMLResponse)
def households_page(
    request: Request,
    event_id: str = Query(""),
    region_code: str = Query(""),
    q: str = Query(""),
    damage: str = Query(""),
    sort: str = Query(""),
    page: str = Query(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Households in the user's scope with masked ID numbers (lists never show the clear
    one), searched (name, township/village, the ID's last 4), sorted, a page at a time. A
    search longer than the service takes is a message under the box (finding 55)."""
    _reader(actor)
    t = Translator(request_lang(request))
    search, too_long = office.search_or_problem(t, q)
    region, _ = office.search_or_problem(t, region_code)
    return _households_page(
        request,
        session,
        actor,
        event_id=query_id(event_id),
        region_code=region,
        q=search,
        search_problem=too_long,
        damage=damage if damage in DAMAGES else "",
        sort=sort_key(sort[:32], service.HOUSEHOLD_SORTS),
        page=page_number(page),
        done=request.query_params.get("done"),
    )


def _households_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    event_id: int | None = None,
    region_code: str = "",
    q: str = "",
    damage: str = "",
    sort: str = "",
    page: int = 1,
    done: str | None = None,
    problem: str | None = None,
    search_problem: str | None = None,
    status_code: int = 200,
) -> Response:
    rows, total = service.list_households(
        session,
        actor,
        event_id=event_id,
        region_code=region_code or None,
        q=q or None,
        damage=damage or None,
        sort=sort or None,
        limit=PAGE_SIZE,
        offset=page_offset(page),
    )
    filters = {"event_id": event_id, "region_code": region_code, "q": q, "damage": damage}
    return render(
        request,
        "sub_households.html",
        actor,
        status_code=status_code,
        households=rows,
        pager=Pager(page, total, "/subsidies/households", {**filters, "sort": sort}),
        sorter=Sorter("/subsidies/households", sort, filters),
        q=q,
        damage=damage,
        damages=DAMAGES,
        with_cases=service.case_programmes(session, [h.id for h in rows if h.id is not None]),
        bulk=office.bulk_result(request),
        events=_events(session),
        event_id=event_id,
        region_code=region_code,
        names=_region_names(session),
        regions=service.registrable_regions(session, actor),
        programmes=service.list_programmes(session, actor),
        programme_names=service.programme_names(session),
        may_register=actor.role in ("county_staff", "township_staff", "admin"),
        problem=problem,
        search_problem=search_problem,
        done=done,
    )


def _household_form(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormState,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    return render(
        request,
        "sub_household_form.html",
        actor,
        status_code=status_code,
        form=form,
        events=_events(session),
        damages=DAMAGES,
        categories=CATEGORIES,
        structures=STRUCTURES,
        regions=service.registrable_regions(session, actor),
        summary_fields=office.household_fields(Translator(request_lang(request))),
        **extra,
    )


@router.get("/subsidies/households/{household_id}/form", response_class=HTMLResponse)
def household_form_print(
    request: Request,
    household_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> HTMLResponse:
    """The household's printable 一户一表 (the PDF is the API's, which takes the UI's cookie)."""
    from relief.subsidies.household_form import FORM_READERS, form_html

    ensure_role(actor, *FORM_READERS)
    if not 0 < household_id <= MAX_ID:
        raise DomainError("not_found", "household {id} does not exist", params={"id": household_id})
    household = service.get_household(session, actor, household_id)
    t = Translator(request_lang(request))
    return HTMLResponse(
        form_html(session, household, print_label=t("doc.print"), back_label=t("hh.form.back"))
    )


@router.get("/subsidies/households/new", response_class=HTMLResponse)
def household_form(
    request: Request,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "county_staff", "township_staff")
    return _household_form(request, session, actor, FormState(values={"size": "", "rooms": "0"}))


@router.post("/subsidies/households", response_class=HTMLResponse)
def post_household(
    request: Request,
    typed: dict[str, str] = Depends(office.HOUSEHOLD_FORM),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "county_staff", "township_staff")
    t = Translator(request_lang(request))
    form = FormState(values=typed)
    office.check_id_number(form, t, typed["id_number"])
    fields = fields_in(HOUSEHOLD_FIELDS)
    # The one number reading of every form: ４ is 4, 1_0 and 4.0 are not a household size.
    numbers = numbers_in(form, t, typed, office.NUMBER_INPUTS)
    # Every field's problem at once (the ID number's own reason, if any, stays).
    body = validated(
        form,
        t,
        HouseholdIn,
        {
            **{k: v.strip() for k, v in typed.items()},
            **numbers,
            "rooms": numbers["rooms"] if typed["rooms"].strip() else "0",
            "phone": typed["phone"].strip() or None,
            "bank_account": typed["bank_account"].strip() or None,
            # The ledger's fields are optional: empty is "not given".
            **{
                name: numbers[name] if name in numbers else typed[name].strip() or None
                for name in office.LEDGER_INPUTS
            },
        },
        fields,
    )
    done = submit(
        session,
        form,
        t,
        lambda: service.create_household(
            session, actor, body, vault_for(request.app.state.settings.secret_key)
        ),
        lambda household: f"/subsidies/households?event_id={household.event_id}&done=household",
        fields,
        record=office.record_household_refusal,
        once=once,
    )
    return done or _household_form(request, session, actor, form, status_code=form.status)


def _region_reason(t: Translator, exc: DomainError) -> str | None:
    """The two reasons `service.region_problem` gives for a region a household cannot be
    registered at, in the page's language (the generic validation words would hide them)."""
    if exc.code != "validation_error":
        return None
    if "lowest" in exc.params:  # service.region_problem's `region_level`
        return t("sub.region.level", level=t(f"level.{exc.params['lowest']}"))
    if exc.template.startswith("region {code} is not in the area of event"):
        return t("sub.region.outside_event")
    return None


# --- import ----------------------------------------------------------------------------------


def row_error_text(t: Translator, problem: dict[str, Any]) -> str:
    """One row error of the import in the page's language, worded from its `code` and
    `params` (never from the service's English): 第 5 行「身份证号码」：校验位不正确. The
    column is named as in the template's header; an unknown code keeps the service's text."""
    params = dict(problem.get("params") or {})
    for key in ("level", "lowest"):  # region levels are words too
        if key in params:
            params[key] = t(f"level.{params[key]}")
    key = f"imp.{problem.get('code')}"
    worded = t(key, **params) if params else t(key)
    text = str(problem.get("message", "")) if worded == key else worded
    field = problem.get("field")
    if field in imports.HEADER_ZH:
        return t("imp.row_column", row=problem.get("row"), column=t(f"sub.{field}"), problem=text)
    return t("imp.row_only", row=problem.get("row"), problem=text)


def _import_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormState,
    rejected: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "sub_import.html",
        actor,
        status_code=status_code,
        form=form,
        events=_events(session),
        rejected=rejected or [],
        row_error=row_error_text,
        created=request.query_params.get("created"),
    )


@router.get("/subsidies/import", response_class=HTMLResponse)
def import_page(
    request: Request,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "county_staff", "township_staff")
    return _import_page(request, session, actor, FormState())


@router.post("/subsidies/import", response_class=HTMLResponse)
def post_import(
    request: Request,
    event_id: str = Form(""),
    file: UploadFile | None = File(None),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "county_staff", "township_staff")
    t = Translator(request_lang(request))
    form = FormState(values={"event_id": event_id})
    event = query_id(event_id)
    if event is None:
        form.fail("event_id", t("err.required"))
    content = file.file.read() if file is not None else b""
    if file is None or not file.filename or not content:
        form.fail("file", t("sub.import.no_file"))
    done = submit(
        session,
        form,
        t,
        lambda: imports.import_households(
            session,
            actor,
            event or 0,
            file.filename if file is not None else "",
            content,
            vault_for(request.app.state.settings.secret_key),
        ),
        lambda created: f"/subsidies/import?created={created}",
        fields_in(("event_id", "file")),
        once=once,
    )
    rejected = list(form.refusal.extra.get("rejected", [])) if form.refusal else []
    return done or _import_page(request, session, actor, form, rejected, status_code=form.status)


# --- cases -----------------------------------------------------------------------------------


@router.get("/subsidies/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    programme: str = Query(""),
    status: str = Query(""),
    region_code: str = Query(""),
    stuck_days: str = Query(""),
    q: str = Query(""),
    sort: str = Query(""),
    page: str = Query(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _reader(actor)
    t = Translator(request_lang(request))
    wanted = status if status in CASE_STATUSES else None
    stuck = query_id(stuck_days)
    number = page_number(page)
    # A search longer than the service takes: a message under the box (finding 55).
    search, too_long = office.search_or_problem(t, q)
    region_code, _ = office.search_or_problem(t, region_code)
    programme, _ = office.search_or_problem(t, programme)
    order = sort_key(sort[:32], service.CASE_SORTS)
    rows, total = service.list_cases(
        session,
        actor,
        programme=programme.strip() or None,
        status=wanted,
        region_code=region_code.strip() or None,
        stuck_days=stuck,
        q=search or None,
        sort=order or None,
        limit=PAGE_SIZE,
        offset=page_offset(number),
    )
    paid = service.paid_by_case(session, [c.id for c, _ in rows if c.id is not None])
    filters = {
        "programme": programme.strip(),
        "status": wanted,
        "region_code": region_code.strip(),
        "stuck_days": stuck,
        "q": search,
    }
    return render(
        request,
        "sub_cases.html",
        actor,
        rows=rows,
        pager=Pager(number, total, "/subsidies/cases", {**filters, "sort": order}),
        sorter=Sorter("/subsidies/cases", order, filters),
        q=search,
        programme_names=service.programme_names(session),
        paid=paid,
        programmes=service.list_programmes(session, actor),
        programme=programme,
        status=wanted or "",
        statuses=CASE_STATUSES,
        region_code=region_code,
        stuck_days="" if stuck is None else str(stuck),
        names=_region_names(session),
        search_problem=too_long,
    )


@router.post("/subsidies/cases", response_class=HTMLResponse)
def post_case(
    request: Request,
    household_id: str = Form(""),
    programme_code: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Open a case for a household; a refusal (no standard, a case already open) is shown
    on the household list, where the button was."""
    ensure_role(actor, "county_staff", "township_staff")
    household = query_id(household_id)
    if household is None:
        raise DomainError("validation_error", "household_id must be a number", "household_id")
    t = Translator(request_lang(request))
    form = FormState(values={"household_id": household_id, "programme_code": programme_code})
    done = submit(
        session,
        form,
        t,
        lambda: service.create_case(session, actor, household, programme_code.strip()),
        lambda case: f"/subsidies/cases/{case.id}?done=opened",
        refusals=CASE_REFUSALS,
        status=None,
        words=service_words,
        once=once,
    )
    return done or _households_page(
        request, session, actor, problem=form.general, status_code=form.status
    )


def _actions(actor: Actor, case: Case) -> list[str]:
    """The transitions this user may take on the case now: the role's actions whose
    starting states include the case's status (the service checks both again)."""
    out = []
    for action, roles in service.ACTION_ROLES.items():
        sources, _ = service.TRANSITIONS[action]
        if case.status in sources and (actor.role == "admin" or actor.role in roles):
            out.append(action)
    return out


def _case_page(
    request: Request,
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    transition: FormState | None = None,
    payment: FormState | None = None,
    reversal: FormState | None = None,
    status_code: int = 200,
) -> Response:
    case, household = service.get_case(session, actor, case_id)
    programme = session.get(Programme, case.programme_code)
    standard = next(
        (s for s in service.standards_of(session, case.programme_code) if s.id == case.standard_id),
        None,
    )
    payments = service.payments_of(session, case_id)
    history = service.history_of(session, case_id)
    return render(
        request,
        "sub_case.html",
        actor,
        status_code=status_code,
        case=case,
        household=household,
        programme=programme,
        standard=standard,
        basis=basis_text(Translator(request_lang(request)), session, standard, case)
        if standard
        else "",
        history=history,
        people=people_names(session, [h.actor for h in history] + [p.actor for p in payments]),
        payments=payments,
        paid=sum(p.amount_fen for p in payments),
        reversed_by=service.reversed_ids(session, [p.id for p in payments if p.id is not None]),
        # 冬春: 村评 is recorded on its own form (relief/web/winter.py), not a bare button.
        actions=[
            a
            for a in _actions(actor, case)
            if not (
                programme is not None
                and programme.kind == "winter_spring"
                and a == "village_review"
            )
        ],
        winter_case=programme is not None and programme.kind == "winter_spring",
        winter_reviews=_winter_reviews(session, case_id)
        if programme is not None and programme.kind == "winter_spring"
        else [],
        may_pay=case.status == "approved"
        and actor.role in ("county_staff", "approver", "township_staff", "admin"),
        may_reverse=actor.role in ("approver", "admin"),
        names=_region_names(session),
        transition=transition or FormState(),
        payment=payment or FormState(),
        reversal=reversal or FormState(),
        done=request.query_params.get("done"),
    )


def _winter_reviews(session: Session, case_id: int) -> list[Any]:
    from relief.subsidies import winter

    return winter.reviews_of(session, case_id)


def _case_id(case_id: int) -> int:
    if not 1 <= case_id <= MAX_ID:
        raise DomainError(
            "not_found", "case {case_id} not found", None, params={"case_id": case_id}
        )
    return case_id


@router.get("/subsidies/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _reader(actor)
    return _case_page(request, session, actor, _case_id(case_id))


@router.post("/subsidies/cases/{case_id}/transitions", response_class=HTMLResponse)
def post_transition(
    request: Request,
    case_id: int,
    action: str = Form(""),
    note: str = Form(""),
    override_reason: str = Form(""),
    status: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _reader(actor)
    case, _ = service.get_case(session, actor, _case_id(case_id))  # 404 / 403 before anything
    seen_status = status.strip()
    t = Translator(request_lang(request))
    form = FormState(
        values={"action": action, "note": note, "override_reason": override_reason}, status=409
    )
    # The model's one rule beyond lengths and the action's name: object and reject need a
    # note; say so in words next to the note field.
    if action in ("object", "reject") and not note.strip():
        form.fail("note", t("sub.note_required"))

    def transition() -> TransitionIn:
        body = TransitionIn.model_validate(
            {
                "action": action,
                "note": note.strip(),
                "override_reason": override_reason.strip() or None,
                "status": seen_status if seen_status in CASE_STATUSES else None,
            }
        )
        service.transition_case(session, actor, case_id, body)
        return body

    done = submit(
        session,
        form,
        t,
        transition,
        lambda body: f"/subsidies/cases/{case_id}?done={body.action}",
        fields_in(("note", "override_reason")),
        refusals=CASE_REFUSALS,
        status=409,
        words=_case_words,
    )
    if (
        done is None
        and form.code in ("case_stale", "invalid_transition")
        and (seen_status != case.status or form.code == "case_stale")
    ):
        # Opened before someone else moved the case on (finding 47): the service refused it
        # under the case's lock; say what it is now, who moved it and when, instead of
        # "刷新页面".
        form.general = None
        form.errors.pop("status", None)
        form.fail(None, _case_moved(session, t, case_id))
    return done or _case_page(
        request, session, actor, case_id, transition=form, status_code=form.status
    )


def _case_moved(session: Session, t: Translator, case_id: int) -> str:
    """「该案件已于 … 由 … 办理“乡镇审核通过”，现为乡镇已审核」: the case's last step."""
    from relief.subsidies.models import CaseTransition
    from relief.web.warehouse import people_names

    last = session.exec(
        select(CaseTransition)
        .where(CaseTransition.case_id == case_id)
        .order_by(CaseTransition.id.desc())  # type: ignore[union-attr]
    ).first()
    if last is None:
        return t("sub.invalid_transition")
    at = clock.to_cst(last.at)
    return t(
        "sub.case.moved",
        at=at.strftime("%Y-%m-%d %H:%M") if at else "",
        who=people_names(session, [last.actor]).get(last.actor, last.actor),
        action=t(f"action.{last.action}"),
        status=t(f"case.{last.to_status}"),
    )


def _case_words(t: Translator, exc: DomainError) -> str:
    # The shared err.invalid_transition words speak of dispatch orders.
    if exc.code == "invalid_transition":
        return t("sub.invalid_transition")
    return catalogue_words(t, exc)


@router.post("/subsidies/cases/{case_id}/payments", response_class=HTMLResponse)
def post_payment(
    request: Request,
    case_id: int,
    amount: str = Form(""),
    paid_on: str = Form(""),
    reference: str = Form(""),
    future_reason: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _reader(actor)
    service.get_case(session, actor, _case_id(case_id))
    t = Translator(request_lang(request))
    typed = {
        "amount": amount,
        "paid_on": paid_on,
        "reference": reference,
        "future_reason": future_reason,
    }
    form = FormState(values=typed)
    fields = fields_in(tuple(typed))
    # Every problem at once (finding 42): the amount by the one number reading (8,100 and
    # ８１００ yes, 1e3 and 5_000 no, findings 10 and 52), then the whole body by the model.
    try:
        yuan: str | None = number_text(amount, decimals=2)
    except NumberError:
        yuan = None
        form.fail("amount", t("err.validation_error.amount"))
    body = validated(
        form,
        t,
        PaymentIn,
        {
            "amount": yuan,
            "paid_on": paid_on.strip(),
            "reference": reference.strip(),
            "future_reason": future_reason.strip() or None,
        },
        fields,
    )
    if form.error("reference") == t("err.validation_error.reference"):
        form.errors["reference"] = t("sub.payment.reference_required")  # 单据号 (finding 12)

    def pay() -> object:
        return service.record_payment(session, actor, case_id, body)

    done = submit(
        session,
        form,
        t,
        pay,
        f"/subsidies/cases/{case_id}?done=payment#payments-h",
        fields,
        refusals=CASE_REFUSALS,
        once=once,
    )
    return done or _case_page(
        request, session, actor, case_id, payment=form, status_code=form.status
    )


@router.post("/subsidies/payments/{payment_id}/reversal", response_class=HTMLResponse)
def post_reversal(
    request: Request,
    payment_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "approver")
    original = session.get(Payment, payment_id) if 1 <= payment_id <= MAX_ID else None
    if original is None:
        raise DomainError(
            "not_found", "payment {payment_id} not found", None, params={"payment_id": payment_id}
        )
    case_id = original.case_id
    service.get_case(session, actor, case_id)
    t = Translator(request_lang(request))
    form = FormState(values={"reason": reason, "payment_id": payment_id}, status=409)
    if not reason.strip():
        form.fail("reason", t("err.validation_error.reason"))
    done = submit(
        session,
        form,
        t,
        # Read as the API reads it (ReversalIn): a reason over its length says 「最多 N 字」.
        lambda: service.reverse_payment(
            session, actor, payment_id, ReversalIn.model_validate({"reason": reason.strip()}).reason
        ),
        f"/subsidies/cases/{case_id}?done=reversal#payments-h",
        fields_in(("reason",)),
        refusals=CASE_REFUSALS,
        status=409,
    )
    return done or _case_page(
        request, session, actor, case_id, reversal=form, status_code=form.status
    )


# --- programmes ------------------------------------------------------------------------------


@router.get("/subsidies/programmes/{code}", response_class=HTMLResponse)
def programme_page(
    request: Request,
    code: str,
    page: str = Query(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """The budget and where the money stands, the payments a page at a time, and the notice
    and payment-list downloads."""
    return _programme_page(request, session, actor, code, page)


@router.post("/subsidies/programmes/{code}/budget", response_class=HTMLResponse)
def post_budget(
    request: Request,
    code: str,
    budget: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Change the programme's budget (admin, as PATCH /api/v1/programmes/{code}); back on
    the programme's page, whose summary flags a budget beyond the funds that reached the
    region."""
    ensure_role(actor)
    if len(code) > 64:
        raise DomainError("not_found", "programme not found", None)
    service.get_programme(session, code)
    t = Translator(request_lang(request))
    form = FormState(values={"budget": budget})
    fields = fields_in(("budget",))
    try:
        yuan: str | None = number_text(budget, decimals=2)
    except NumberError:
        yuan = None
        form.fail("budget", t("err.validation_error.budget"))
    body = validated(form, t, ProgrammeBudgetIn, {"budget": yuan}, fields)
    done = submit(
        session,
        form,
        t,
        lambda: service.change_budget(session, actor, code, body.budget),
        f"/subsidies/programmes/{quote(code, safe='')}?done=budget#sum-h",
        fields,
        words=service_words,
    )
    return done or _programme_page(
        request, session, actor, code, "", budget_form=form, status_code=form.status
    )


def _programme_page(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    page: str,
    *,
    budget_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    _reader(actor)
    if len(code) > 64:
        raise DomainError("not_found", "programme not found", None)
    summary = service.programme_summary(session, actor, code)
    programme = service.get_programme(session, code)
    number = page_number(page)
    payments, total = service.list_payments(
        session, actor, programme=code, limit=PAGE_SIZE, offset=page_offset(number)
    )
    ids = [p.id for p, _, _ in payments if p.id is not None]
    return render(
        request,
        "sub_programme.html",
        actor,
        programme=programme,
        summary=summary,
        summary_scope=listed(
            (_region_label(session, c) for c in summary["region_codes"]), request_lang(request)
        ),
        eligibility=_eligibility_text(Translator(request_lang(request)), programme),
        standards=[
            (s, basis_text(Translator(request_lang(request)), session, s))
            for s in service.standards_of(session, code)
        ],
        statuses=CASE_STATUSES,
        notice_query=urlencode({"programme": code}),
        payments=payments,
        reversed_by=service.reversed_ids(session, ids),
        pager=Pager(number, total, f"/subsidies/programmes/{quote(code, safe='')}"),
        may_change_budget=actor.role == "admin",
        done=request.query_params.get("done"),
        budget_form=budget_form
        or FormState(values={"budget": format_fen(programme.budget_fen) or "0.00"}),
        status_code=status_code,
    )
