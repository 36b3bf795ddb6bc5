"""The 冬春生活救助 pages (issue 15): the needs survey (台账: list, add, correct, withdraw) with
the county's totals and their due date, the village review form (村评) of a case, and the
rounds page (create, the equal-shares warning, pay, the 已救助 ledger, the two 统计表).
No rules here: relief/subsidies/winter.py checks role and scope as for the API; a refused
form comes back with what was typed and the message next to its field (FormState)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from relief.auth.deps import ensure_role, region_in_scope
from relief.auth.models import Actor
from relief.db import get_session
from relief.network import service as network
from relief.subsidies import service, winter
from relief.subsidies.models import yuan_text as yuan
from relief.subsidies.winter_models import (
    RoundIn,
    SurveyCorrectionIn,
    SurveyEntryIn,
    VillageReviewIn,
    WinterSurveyEntry,
)
from relief.web.forms import (
    FormState,
    fields_in,
    posted,
    same_site_posts,
    service_words,
    submit,
    validated,
)
from relief.web.i18n import Translator
from relief.web.shell import render, request_lang, signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

READERS = ("county_staff", "approver", "township_staff")
ENTRY_NAMES = (
    "household_id",
    "people",
    "grain_kg",
    "clothing_pieces",
    "heating",
    "water",
    "medical",
    "note",
    "reason",
)
ENTRY_FIELDS = fields_in(ENTRY_NAMES)
REVIEW_FIELDS = fields_in(("reviewed_on", "participants", "result", "note"))
ROUND_FIELDS = fields_in(("name", "month", "basis", "amount", "county_code"))
REFUSED = (401, 403, 404)


def _season(text: str | None) -> int:
    try:
        season = int(text or "")
    except ValueError:
        return winter.season_of(winter.today())
    return season if 2000 <= season <= 2100 else winter.season_of(winter.today())


def _entry_data(values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: values.get(k, "").strip() for k in ENTRY_NAMES}
    for flag in ("heating", "water", "medical"):
        data[flag] = bool(values.get(flag))
    data["grain_kg"] = data["grain_kg"] or "0"
    data["clothing_pieces"] = data["clothing_pieces"] or "0"
    return data


# --- the survey -------------------------------------------------------------------------------


def _survey_page(
    request: Request,
    session: Session,
    actor: Actor,
    season: int,
    *,
    entry_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    rows = winter.list_entries(session, actor, season)
    # A county's totals; a township's staff see their township's part (`part`).
    counties = winter.counties_in_scope(session, actor)
    totals = [winter.totals_status(session, actor, code, season) for code in counties]
    names = {
        code: (r.name if (r := network.get_region(session, code)) else code)
        for code in {e.region_code for e, _ in rows}
    }
    return render(
        request,
        "winter_survey.html",
        actor,
        status_code=status_code,
        season=season,
        rows=rows,
        names=names,
        totals=totals,
        may_submit=actor.role in ("admin", *winter.TOTALS_ROLES),
        may_enter=actor.role in ("admin", *winter.SURVEY_ROLES),
        entry_form=entry_form or FormState(),
        done=request.query_params.get("done"),
    )


@router.get("/winter-spring/survey", response_class=HTMLResponse)
def survey_page(
    request: Request,
    season: str | None = Query(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *READERS)
    return _survey_page(request, session, actor, _season(season))


@router.post("/winter-spring/survey", response_class=HTMLResponse)
def post_entry(
    request: Request,
    season: str = Query(""),
    values: dict[str, str] = Depends(posted(*ENTRY_NAMES)),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *winter.SURVEY_ROLES)
    year = _season(season)
    t = Translator(request_lang(request))
    form = FormState(values=dict(values))
    body = validated(form, t, SurveyEntryIn, {**_entry_data(values), "season": year}, ENTRY_FIELDS)
    done = f"/winter-spring/survey?season={year}&done=added"
    answer = submit(
        session,
        form,
        t,
        lambda: winter.add_entry(session, actor, body),  # type: ignore[arg-type]
        done,
        ENTRY_FIELDS,
        refusals=REFUSED,
        words=service_words,
    )
    return answer or _survey_page(
        request, session, actor, year, entry_form=form, status_code=form.status
    )


def _entry_page(
    request: Request,
    session: Session,
    actor: Actor,
    entry_id: int,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    entry = session.get(WinterSurveyEntry, entry_id)
    if entry is None:
        from relief.errors import not_found

        raise not_found("winter survey entry", entry_id)
    household = service.get_household(session, actor, entry.household_id)
    history = [
        e
        for e, _ in winter.list_entries(session, actor, entry.season, history=True)
        if e.household_id == entry.household_id
    ]
    if form is None:
        form = FormState(
            values={
                "people": str(entry.people),
                "grain_kg": f"{entry.grain_kg:.1f}",
                "clothing_pieces": str(entry.clothing_pieces),
                "heating": "1" if entry.heating else "",
                "water": "1" if entry.water else "",
                "medical": "1" if entry.medical else "",
                "note": entry.note,
            }
        )
    current = history[0].id if history else entry.id
    return render(
        request,
        "winter_entry.html",
        actor,
        status_code=status_code,
        entry=entry,
        household=household,
        history=history,
        current=current == entry.id and not entry.withdrawn,
        current_id=current,
        form=form,
        may_enter=actor.role in ("admin", *winter.SURVEY_ROLES),
    )


@router.get("/winter-spring/survey/{entry_id}", response_class=HTMLResponse)
def entry_page(
    request: Request,
    entry_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *READERS)
    return _entry_page(request, session, actor, entry_id)


@router.post("/winter-spring/survey/{entry_id}/correction", response_class=HTMLResponse)
def post_correction(
    request: Request,
    entry_id: int,
    values: dict[str, str] = Depends(posted(*ENTRY_NAMES)),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *winter.SURVEY_ROLES)
    t = Translator(request_lang(request))
    form = FormState(values=dict(values))
    data = _entry_data(values)
    data.pop("household_id")
    body = validated(form, t, SurveyCorrectionIn, data, ENTRY_FIELDS)
    answer = submit(
        session,
        form,
        t,
        lambda: winter.correct_entry(session, actor, entry_id, body),  # type: ignore[arg-type]
        lambda new: f"/winter-spring/survey/{new.id}",
        ENTRY_FIELDS,
        refusals=REFUSED,
        words=service_words,
    )
    return answer or _entry_page(request, session, actor, entry_id, form, form.status)


@router.post("/winter-spring/survey/{entry_id}/withdrawal", response_class=HTMLResponse)
def post_withdrawal(
    request: Request,
    entry_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *winter.SURVEY_ROLES)
    t = Translator(request_lang(request))
    form = FormState(values={"reason": reason})
    if not reason.strip():
        form.fail("reason", t("winter.reason_required"))
    answer = submit(
        session,
        form,
        t,
        lambda: winter.withdraw_entry(session, actor, entry_id, reason.strip()),
        lambda new: f"/winter-spring/survey/{new.id}",
        ENTRY_FIELDS,
        refusals=REFUSED,
        words=service_words,
    )
    return answer or _entry_page(request, session, actor, entry_id, form, form.status)


@router.post("/winter-spring/counties/{code}/totals", response_class=HTMLResponse)
def post_totals(
    request: Request,
    code: str,
    season: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *winter.TOTALS_ROLES)
    year = _season(season)
    t = Translator(request_lang(request))
    form = FormState(values={"season": season})
    answer = submit(
        session,
        form,
        t,
        lambda: winter.submit_totals(session, actor, code, year),
        f"/winter-spring/survey?season={year}&done=submitted",
        refusals=REFUSED,
        words=service_words,
    )
    return answer or _survey_page(
        request, session, actor, year, entry_form=form, status_code=form.status
    )


# --- the village review -----------------------------------------------------------------------


def _review_page(
    request: Request,
    session: Session,
    actor: Actor,
    case_id: int,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    case, household = service.get_case(session, actor, case_id)
    return render(
        request,
        "winter_review.html",
        actor,
        status_code=status_code,
        case=case,
        household=household,
        reviews=winter.reviews_of(session, case_id),
        form=form or FormState(values={"reviewed_on": winter.today().isoformat()}),
        may_review=case.status == "registered"
        and actor.role in ("admin", *service.ACTION_ROLES["village_review"]),
    )


@router.get("/winter-spring/cases/{case_id}/village-review", response_class=HTMLResponse)
def review_page(
    request: Request,
    case_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *READERS)
    return _review_page(request, session, actor, case_id)


@router.post("/winter-spring/cases/{case_id}/village-review", response_class=HTMLResponse)
def post_review(
    request: Request,
    case_id: int,
    values: dict[str, str] = Depends(posted("reviewed_on", "participants", "result", "note")),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.ACTION_ROLES["village_review"])
    t = Translator(request_lang(request))
    form = FormState(values=dict(values))
    body = validated(form, t, VillageReviewIn, dict(values), REVIEW_FIELDS)
    answer = submit(
        session,
        form,
        t,
        lambda: winter.record_village_review(session, actor, case_id, body),  # type: ignore[arg-type]
        f"/subsidies/cases/{case_id}",
        REVIEW_FIELDS,
        refusals=REFUSED,
        words=service_words,
    )
    return answer or _review_page(request, session, actor, case_id, form, form.status)


# --- rounds ---------------------------------------------------------------------------------


def _rounds_page(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    programme = service.get_programme(session, code)
    service.authorize_programme(session, actor, programme)
    rounds = [
        winter.round_view(session, r, actor) for r in winter.list_rounds(session, actor, code)
    ]
    counties = [
        c for c in winter.counties_in_scope(session, actor) if region_in_scope(session, actor, c)
    ]
    county_names = [(c, r.name if (r := network.get_region(session, c)) else c) for c in counties]
    return render(
        request,
        "winter_rounds.html",
        actor,
        status_code=status_code,
        programme=programme,
        rounds=rounds,
        ledger=winter.assisted_ledger(session, actor, code),
        counties=county_names,
        form=form or FormState(values={"basis": "per_person"}),
        may_create=actor.role in ("admin", *winter.ROUND_ROLES),
        may_pay=actor.role in ("admin", *winter.PAY_ROLES),
        yuan=yuan,
        done=request.query_params.get("done"),
    )


@router.get("/winter-spring/programmes/{code}/rounds", response_class=HTMLResponse)
def rounds_page(
    request: Request,
    code: str,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *READERS)
    return _rounds_page(request, session, actor, code)


@router.post("/winter-spring/programmes/{code}/rounds", response_class=HTMLResponse)
def post_round(
    request: Request,
    code: str,
    values: dict[str, str] = Depends(posted("name", "month", "basis", "amount", "county_code")),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *winter.ROUND_ROLES)
    t = Translator(request_lang(request))
    form = FormState(values=dict(values))
    body = validated(form, t, RoundIn, {**values, "programme_code": code}, ROUND_FIELDS)
    answer = submit(
        session,
        form,
        t,
        lambda: winter.create_round(session, actor, body),  # type: ignore[arg-type]
        lambda made: (
            f"/winter-spring/programmes/{code}/rounds?done="
            + ("warned" if made[0].warning else "created")
        ),
        ROUND_FIELDS,
        refusals=REFUSED,
        words=service_words,
    )
    return answer or _rounds_page(request, session, actor, code, form, form.status)


@router.post("/winter-spring/rounds/{round_id}/payment", response_class=HTMLResponse)
def post_round_payment(
    request: Request,
    round_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *winter.PAY_ROLES)
    t = Translator(request_lang(request))
    row = winter.get_round(session, actor, round_id)
    code = row.programme_code
    form = FormState()
    answer = submit(
        session,
        form,
        t,
        lambda: winter.pay_round(session, actor, round_id),
        f"/winter-spring/programmes/{code}/rounds?done=paid",
        refusals=REFUSED,
        words=service_words,
    )
    return answer or _rounds_page(request, session, actor, code, form, form.status)
