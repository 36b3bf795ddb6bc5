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
from pydantic import ValidationError
from sqlmodel import Session

from relief.auth.deps import ensure_role
from relief.auth.models import Actor
from relief.db import get_session
from relief.emergency import service as emergency
from relief.errors import DomainError
from relief.network import service as network
from relief.subsidies import imports, service
from relief.subsidies.ids import IdNumberError, normalise_id_number, vault_for
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
    TransitionIn,
    format_fen,
)
from relief.web import subsidy_office as office
from relief.web.forms import (
    FormState,
    fields_in,
    no_fields,
    record_domain_error,
    record_error,
    record_validation_error,
    redirect,
    reraise_refusal,
    same_site_posts,
)
from relief.web.i18n import Translator
from relief.web.paging import PAGE_SIZE, Pager, page_number, page_offset
from relief.web.shell import render, request_lang, signed_in
from relief.web.sorting import Sorter, sort_key

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

READERS = ("county_staff", "approver", "township_staff")  # admin is always admitted by ensure_role
# The reasons `relief.subsidies.ids` gives for a refused ID number, worded for the page:
# the clerk reads Chinese, and these are the mistakes made while typing one in.
HOUSEHOLD_FIELDS = (
    "event_id",
    "region_code",
    "head_name",
    "id_number",
    "size",
    "damage",
    "rooms",
    "category",
    "phone",
    "bank_account",
    "address",
    "structure",
    "collapsed_rooms",
    "severe_rooms",
    "general_rooms",
)


def _reader(actor: Actor) -> None:
    ensure_role(actor, *READERS)


def _int_or_none(text: str | None) -> int | None:
    """A filter's number; anything else means no filter (a filter form never fails)."""
    try:
        value = int((text or "").strip())
    except ValueError:
        return None
    return value if 0 <= value <= MAX_ID else None


def _eligibility_text(t: Translator, programme: Programme) -> str:
    """Which households the programme covers, in the page's language."""
    rule = service.eligibility_of(programme)
    if rule is None:
        return t("sub.eligibility.any")
    parts = []
    if rule.damage:
        words = "、".join(t(f"damage.{d}") for d in rule.damage)
        parts.append(t("sub.eligibility.damage", values=words))
    if rule.categories:
        words = "、".join(t(f"category.{c}") for c in rule.categories)
        parts.append(t("sub.eligibility.categories", values=words))
    return t("sub.eligibility", rules="；".join(parts))


def _region_label(session: Session, code: str) -> str:
    region = network.get_region(session, code)
    return f"{region.name}（{code}）" if region else code


def _region_names(session: Session) -> dict[str, str]:
    regions, _, _, _ = network.network_records(session)
    return {r.code: r.name for r in regions}


def _events(session: Session) -> list[Any]:
    return list(emergency.list_events(session))


def _id_reason(t: Translator, exc: IdNumberError) -> str:
    """The reason in the page's language (`idn.<code>`), else the service's own words."""
    key = f"idn.{exc.code}"
    worded = t(key)
    return str(exc) if worded == key else worded


# --- households ------------------------------------------------------------------------------


@router.get("/subsidies/households", response_class=HTMLResponse)
def households_page(
    request: Request,
    event_id: str = Query(""),
    region_code: str = Query("", max_length=64),
    q: str = Query("", max_length=64),
    damage: str = Query(""),
    sort: str = Query("", max_length=32),
    page: str = Query(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Households in the user's scope with masked ID numbers (lists never show the clear
    one), searched (name, township/village, the ID's last 4), sorted, a page at a time."""
    _reader(actor)
    return _households_page(
        request,
        session,
        actor,
        event_id=_int_or_none(event_id),
        region_code=region_code.strip(),
        q=office.search_text(q),
        damage=damage if damage in DAMAGES else "",
        sort=sort_key(sort, service.HOUSEHOLD_SORTS),
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
        programmes=service.list_programmes(session, actor),
        may_register=actor.role in ("county_staff", "township_staff", "admin"),
        problem=problem,
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
    from relief.subsidies.household_form import form_html

    _reader(actor)
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
    event_id: str = Form(""),
    region_code: str = Form(""),
    head_name: str = Form(""),
    id_number: str = Form(""),
    size: str = Form(""),
    damage: str = Form(""),
    rooms: str = Form("0"),
    category: str = Form("general"),
    phone: str = Form(""),
    bank_account: str = Form(""),
    address: str = Form(""),
    structure: str = Form(""),
    collapsed_rooms: str = Form(""),
    severe_rooms: str = Form(""),
    general_rooms: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "county_staff", "township_staff")
    t = Translator(request_lang(request))
    typed = {
        "event_id": event_id,
        "region_code": region_code,
        "head_name": head_name,
        "id_number": id_number,
        "size": size,
        "damage": damage,
        "rooms": rooms,
        "category": category,
        "phone": phone,
        "bank_account": bank_account,
        "address": address,
        "structure": structure,
        "collapsed_rooms": collapsed_rooms,
        "severe_rooms": severe_rooms,
        "general_rooms": general_rooms,
    }
    form = FormState(values=typed)
    # The ID number is checked here first only to word the reason in the page's language;
    # the service checks it again and stays the judge.
    try:
        normalise_id_number(id_number)
    except IdNumberError as exc:
        form.errors["id_number"] = _id_reason(t, exc)
    fields = fields_in(HOUSEHOLD_FIELDS)
    body: HouseholdIn | None = None
    try:
        body = HouseholdIn.model_validate(
            {
                **{k: v.strip() for k, v in typed.items()},
                "rooms": rooms.strip() or "0",
                "phone": phone.strip() or None,
                "bank_account": bank_account.strip() or None,
                # The ledger's fields are optional: empty is "not given".
                **{name: typed[name].strip() or None for name in office.LEDGER_INPUTS},
            }
        )
    except ValidationError as exc:
        # Every field's problem at once (the ID number's own reason, if any, stays).
        record_validation_error(form, t, exc, fields)
    if body is not None and not form.errors:
        try:
            vault = vault_for(request.app.state.settings.secret_key)
            household = service.create_household(session, actor, body, vault)
            session.commit()
            return redirect(f"/subsidies/households?event_id={household.event_id}&done=household")
        except DomainError as exc:
            office.record_household_refusal(form, t, exc, fields)
    session.rollback()
    return _household_form(request, session, actor, form, status_code=422)


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
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "county_staff", "township_staff")
    t = Translator(request_lang(request))
    form = FormState(values={"event_id": event_id})
    event = _int_or_none(event_id)
    if event is None:
        form.errors["event_id"] = t("err.required")
    content = file.file.read() if file is not None else b""
    if file is None or not file.filename or not content:
        form.errors["file"] = t("sub.import.no_file")
    rejected: list[dict[str, Any]] = []
    if not form.errors and event is not None and file is not None:
        try:
            vault = vault_for(request.app.state.settings.secret_key)
            created = imports.import_households(
                session, actor, event, file.filename, content, vault
            )
            session.commit()
            return redirect(f"/subsidies/import?created={created}")
        except DomainError as exc:
            reraise_refusal(exc)
            rejected = list(exc.extra.get("rejected", []))
            record_domain_error(form, t, exc, fields_in(("event_id", "file")))
    session.rollback()
    return _import_page(request, session, actor, form, rejected, status_code=422)


# --- cases -----------------------------------------------------------------------------------


@router.get("/subsidies/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    programme: str = Query("", max_length=64),
    status: str = Query(""),
    region_code: str = Query("", max_length=64),
    stuck_days: str = Query(""),
    q: str = Query("", max_length=64),
    sort: str = Query("", max_length=32),
    page: str = Query(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _reader(actor)
    wanted = status if status in CASE_STATUSES else None
    stuck = _int_or_none(stuck_days)
    number = page_number(page)
    search = office.search_text(q)
    order = sort_key(sort, service.CASE_SORTS)
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
        paid={k: format_fen(v) for k, v in paid.items()},
        money=format_fen,
        programmes=service.list_programmes(session, actor),
        programme=programme,
        status=wanted or "",
        statuses=CASE_STATUSES,
        region_code=region_code,
        stuck_days="" if stuck is None else str(stuck),
        names=_region_names(session),
    )


@router.post("/subsidies/cases", response_class=HTMLResponse)
def post_case(
    request: Request,
    household_id: str = Form(""),
    programme_code: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Open a case for a household; a refusal (no standard, a case already open) is shown
    on the household list, where the button was."""
    ensure_role(actor, "county_staff", "township_staff")
    household = _int_or_none(household_id)
    if household is None:
        raise DomainError("validation_error", "household_id must be a number", "household_id")
    try:
        case = service.create_case(session, actor, household, programme_code.strip())
        session.commit()
        return redirect(f"/subsidies/cases/{case.id}?done=opened")
    except DomainError as exc:
        reraise_refusal(exc, (401, 403, 404))
        session.rollback()
        t = Translator(request_lang(request))
        message = exc.text(t.lang)
        return _households_page(request, session, actor, problem=message, status_code=exc.status)


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
    return render(
        request,
        "sub_case.html",
        actor,
        status_code=status_code,
        case=case,
        household=household,
        programme=programme,
        standard=standard,
        money=format_fen,
        history=service.history_of(session, case_id),
        payments=payments,
        paid=format_fen(sum(p.amount_fen for p in payments)),
        reversed_by=service.reversed_ids(session, [p.id for p in payments if p.id is not None]),
        actions=_actions(actor, case),
        may_pay=case.status == "approved"
        and actor.role in ("county_staff", "approver", "township_staff", "admin"),
        may_reverse=actor.role in ("approver", "admin"),
        names=_region_names(session),
        transition=transition or FormState(),
        payment=payment or FormState(),
        reversal=reversal or FormState(),
        done=request.query_params.get("done"),
    )


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
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    _reader(actor)
    service.get_case(session, actor, _case_id(case_id))  # 404 / 403 before anything else
    t = Translator(request_lang(request))
    form = FormState(values={"action": action, "note": note, "override_reason": override_reason})
    fields = fields_in(("note", "override_reason"))
    try:
        body = TransitionIn.model_validate(
            {
                "action": action,
                "note": note.strip(),
                "override_reason": override_reason.strip() or None,
            }
        )
        service.transition_case(session, actor, case_id, body)
        session.commit()
        return redirect(f"/subsidies/cases/{case_id}?done={body.action}")
    except ValidationError as exc:
        # The model's one rule beyond lengths and the action's name: object and reject
        # need a note; say so in words next to the note field.
        if action in ("object", "reject") and not note.strip():
            form.errors["note"] = t("sub.note_required")
        else:
            record_validation_error(form, t, exc, fields)
    except DomainError as exc:
        reraise_refusal(exc, (401, 403, 404))
        if exc.code == "invalid_transition":
            # The shared err.invalid_transition words speak of dispatch orders.
            form.general = t("sub.invalid_transition")
        else:
            record_domain_error(form, t, exc, fields)
    session.rollback()
    return _case_page(request, session, actor, case_id, transition=form, status_code=409)


@router.post("/subsidies/cases/{case_id}/payments", response_class=HTMLResponse)
def post_payment(
    request: Request,
    case_id: int,
    amount: str = Form(""),
    paid_on: str = Form(""),
    reference: str = Form(""),
    future_reason: str = Form(""),
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
    try:
        body = PaymentIn.model_validate(
            {
                "amount": amount.strip(),
                "paid_on": paid_on.strip(),
                "reference": reference.strip(),
                "future_reason": future_reason.strip() or None,
            }
        )
        service.record_payment(session, actor, case_id, body)
        session.commit()
        return redirect(f"/subsidies/cases/{case_id}?done=payment#payments-h")
    except (ValidationError, DomainError) as exc:
        record_error(form, t, exc, fields, (401, 403, 404))
    session.rollback()
    return _case_page(request, session, actor, case_id, payment=form, status_code=422)


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
    form = FormState(values={"reason": reason, "payment_id": payment_id})
    if not reason.strip():
        form.errors["reason"] = t("err.validation_error.reason")
    else:
        try:
            service.reverse_payment(session, actor, payment_id, reason.strip())
            session.commit()
            return redirect(f"/subsidies/cases/{case_id}?done=reversal#payments-h")
        except DomainError as exc:
            record_error(form, t, exc, no_fields, (401, 403, 404))
    session.rollback()
    return _case_page(request, session, actor, case_id, reversal=form, status_code=409)


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
        summary_scope="、".join(_region_label(session, c) for c in summary["region_codes"]),
        eligibility=_eligibility_text(Translator(request_lang(request)), programme),
        statuses=CASE_STATUSES,
        notice_query=urlencode({"programme": code}),
        payments=payments,
        reversed_by=service.reversed_ids(session, ids),
        money=format_fen,
        pager=Pager(number, total, f"/subsidies/programmes/{quote(code, safe='')}"),
    )
