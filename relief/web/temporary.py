"""临时救助 pages (issue 15 part C): the list of cases whose clock runs or whose help first is
owed back, the form that opens a temporary case, and the case page with its clock, the
help-first form and the recovery form. No rules here: relief.subsidies.temporary checks role,
scope and policy as for the API; a refused form comes back with what was typed (FormState)."""

from __future__ import annotations

import unicodedata

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from relief.auth.deps import ensure_role
from relief.auth.models import Actor
from relief.db import get_session
from relief.errors import N_
from relief.subsidies import service as subsidies
from relief.subsidies import temporary
from relief.subsidies.models import yuan_text as yuan
from relief.web.forms import FormState, fields_in, refusal_words, same_site_posts, submit
from relief.web.i18n import Translator
from relief.web.shell import render, request_lang, signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

READERS = ("county_staff", "township_staff", "approver")
# Words the templates compose (nav link, done notes).
WORDS = (
    N_("nav.temporary"),
    N_("temporary.done.opened"),
    N_("temporary.done.help_first"),
    N_("temporary.done.recovery"),
    N_("temporary.preview"),
    N_("temporary.preview_capped"),
    N_("temporary.preview_button"),
)
OPEN_FIELDS = fields_in(
    (
        "household_id",
        "programme_code",
        "relief_type",
        "cause",
        "cause_detail",
        "months",
        "repeat_override_reason",
    )
)
HELP_FIELDS = fields_in(("amount", "reason"))
RECOVERY_FIELDS = fields_in(("how", "reason"))
REFUSED = (401, 403, 404)


def cause_namer(session: Session):
    """`cause_of(case, household, lang)` for _temporary_due.html (the home page)."""
    return temporary.cause_namer(session)


def due_rows(session: Session, actor: Actor) -> list:
    """(case, household, clock) of the caller's 临时救助 cases due or owed back (homes too)."""
    if actor.role not in ("admin", *READERS):
        return []
    return temporary.due_cases(session, actor)


def _programmes(session: Session, actor: Actor) -> list:
    return [p for p in subsidies.list_programmes(session, actor) if p.kind == temporary.KIND]


def _list(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormState | None = None,
    status_code: int = 200,
    preview: temporary.Preview | None = None,
) -> Response:
    return render(
        request,
        "temporary.html",
        actor,
        status_code=status_code,
        preview=preview,
        due=due_rows(session, actor),
        programmes=_programmes(session, actor),
        form=form or FormState(values={"relief_type": "emergency", "months": "1"}),
        max_months=temporary.MAX_MONTHS,
        causes=temporary.form_causes(session, actor),
        cause_of=temporary.cause_namer(session),
        yuan=yuan,
    )


@router.get("/temporary", response_class=HTMLResponse)
def temporary_page(
    request: Request, actor: Actor = Depends(signed_in), session: Session = Depends(get_session)
) -> Response:
    ensure_role(actor, *READERS)
    return _list(request, session, actor)


@router.post("/temporary/cases", response_class=HTMLResponse)
def post_case(
    request: Request,
    household_id: str = Form(""),
    programme_code: str = Form(""),
    relief_type: str = Form(""),
    cause: str = Form(""),
    cause_detail: str = Form(""),
    months: str = Form(""),
    repeat_override_reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *READERS)
    values = {
        "household_id": household_id,
        "programme_code": programme_code,
        "relief_type": relief_type,
        "cause": cause,
        "cause_detail": cause_detail,
        "months": months,
        "repeat_override_reason": repeat_override_reason,
    }
    form = FormState(values=values)

    def open_case() -> int:
        body = _case_in(values)
        return temporary.open_case(session, actor, body).id or 0

    t = Translator(request_lang(request))
    answer = submit(
        session,
        form,
        t,
        open_case,
        lambda case_id: f"/temporary/cases/{case_id}?done=opened",
        OPEN_FIELDS,
        refusals=REFUSED,
        status=None,
        words=refusal_words,
    )
    return answer or _list(request, session, actor, form, form.status)


def _case_in(values: dict[str, str]) -> temporary.TemporaryCaseIn:
    return temporary.TemporaryCaseIn.model_validate(
        {
            **values,
            # Digits typed with a Chinese input method (２) are digits.
            "household_id": unicodedata.normalize("NFKC", values["household_id"]).strip(),
            "months": unicodedata.normalize("NFKC", values["months"]).strip(),
            "repeat_override_reason": values["repeat_override_reason"] or None,
            "cause_detail": values["cause_detail"] or None,
        }
    )


@router.post("/temporary/preview", response_class=HTMLResponse)
def post_preview(
    request: Request,
    household_id: str = Form(""),
    programme_code: str = Form(""),
    relief_type: str = Form(""),
    cause: str = Form(""),
    cause_detail: str = Form(""),
    months: str = Form(""),
    repeat_override_reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """The registration form again with the amount the case would have (months × the
    standard, capped) and what was typed; nothing is written. The form's 试算 button posts
    here (no script needed); temporary.js posts here too when a field changes and shows
    the answer's amount line."""
    ensure_role(actor, *READERS)
    values = {
        "household_id": household_id,
        "programme_code": programme_code,
        "relief_type": relief_type,
        "cause": cause,
        "cause_detail": cause_detail,
        "months": months,
        "repeat_override_reason": repeat_override_reason,
    }
    form = FormState(values=values)
    t = Translator(request_lang(request))

    def reckon() -> temporary.Preview:
        return temporary.preview(session, actor, _case_in(values))

    answer = submit(
        session,
        form,
        t,
        reckon,
        lambda found: _list(request, session, actor, form, preview=found),
        OPEN_FIELDS,
        refusals=REFUSED,
        status=None,
        words=refusal_words,
    )
    return answer or _list(request, session, actor, form, form.status)


def _case_page(
    request: Request,
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    help_form: FormState | None = None,
    recovery_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    case, household = subsidies.get_case(session, actor, case_id)
    extra = temporary.temporary_out(session, case, household)
    if extra is None:
        from relief.errors import not_found

        raise not_found("case", case_id)
    may_pay = actor.role in ("admin", "township_staff", "county_staff")
    # The ways of recovery this user may record (township and county staff: returned;
    # approvers: written off): the page offers no choice the service would refuse.
    hows = [
        how
        for how, roles in temporary.RECOVERY_ROLES.items()
        if actor.role == "admin" or actor.role in roles
    ]
    # A refused post (a second help first, a recovery recorded meanwhile: 409) keeps its
    # form on the page with the message and what was typed, even when the case no longer
    # takes one.
    help_refused = help_form is not None and not help_form.ok
    recovery_refused = recovery_form is not None and not recovery_form.ok
    return render(
        request,
        "temporary_case.html",
        actor,
        status_code=status_code,
        case=case,
        household=household,
        extra=extra,
        cause_of=temporary.cause_namer(session),
        programme_name=subsidies.programme_names(session).get(case.programme_code, ""),
        yuan=yuan,
        may_help_first=help_refused
        or (
            may_pay
            and case.relief_type == "emergency"
            and case.help_first_entry_id is None
            and case.status not in ("approved", "rejected")
        ),
        may_recover=recovery_refused or (case.recovery == "due" and bool(hows)),
        recovery_hows=hows,
        help_form=help_form or FormState(values={"amount": yuan(case.amount_fen)}),
        recovery_form=recovery_form or FormState(values={"how": hows[0] if hows else ""}),
        done=request.query_params.get("done"),
    )


@router.get("/temporary/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *READERS)
    return _case_page(request, session, actor, case_id)


@router.post("/temporary/cases/{case_id}/help-first", response_class=HTMLResponse)
def post_help_first(
    request: Request,
    case_id: int,
    amount: str = Form(""),
    reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, "township_staff", "county_staff")
    form = FormState(values={"amount": amount, "reason": reason})

    def pay() -> None:
        body = temporary.HelpFirstIn.model_validate(
            {"amount": amount.replace(",", "") or None, "reason": reason}
        )
        temporary.pay_help_first(session, actor, case_id, body)

    t = Translator(request_lang(request))
    done = f"/temporary/cases/{case_id}?done=help_first"
    answer = submit(
        session, form, t, pay, done, HELP_FIELDS, refusals=REFUSED, status=None, words=refusal_words
    )
    return answer or _case_page(
        request, session, actor, case_id, help_form=form, status_code=form.status
    )


@router.post("/temporary/cases/{case_id}/recovery", response_class=HTMLResponse)
def post_recovery(
    request: Request,
    case_id: int,
    how: str = Form(""),
    reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *READERS)
    form = FormState(values={"how": how, "reason": reason})

    def recover() -> None:
        body = temporary.RecoveryIn.model_validate({"how": how, "reason": reason})
        temporary.record_recovery(session, actor, case_id, body)

    t = Translator(request_lang(request))
    done = f"/temporary/cases/{case_id}?done=recovery"
    answer = submit(
        session,
        form,
        t,
        recover,
        done,
        RECOVERY_FIELDS,
        refusals=REFUSED,
        status=None,
        words=refusal_words,
    )
    return answer or _case_page(
        request, session, actor, case_id, recovery_form=form, status_code=form.status
    )
