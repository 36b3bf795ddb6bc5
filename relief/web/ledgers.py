"""The event's ledgers page (linked from the event page): the 因灾死亡失踪人口台账 with its
entry form, the counties whose reports differ from it, and the downloads of both ledgers
(the API's `/events/{id}/statistics`, which takes the UI's cookie).

County staff see and add the entries of their regions, duty officers (and admins) all, by
the same service as the API (relief/emergency/casualties.py). A refused entry is shown again
with what was typed and the message next to its input (FormState); one that went through
answers 303 back to the page (post-redirect-get).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from relief.auth.deps import ensure_role, sees_everything
from relief.auth.models import Actor
from relief.db import get_session
from relief.emergency import casualties
from relief.emergency import service as emergency
from relief.network import service as network
from relief.subsidies.ids import vault_for
from relief.web.forms import FormState, Once, fields_in, form_once, same_site_posts, submit
from relief.web.forms import id_number as check_id_number
from relief.web.i18n import Translator
from relief.web.shell import render, request_lang, signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

KEEPERS = ("duty_officer", "county_staff")  # admin is always admitted by ensure_role
FIELDS = ("region_code", "name", "sex", "age", "id_number", "status", "occurred_on", "cause")


def _places(session: Session, actor: Actor, event_id: int) -> list[tuple[str, str]]:
    """(code, label) of the townships and villages of the event's area in the user's
    scope, chosen by name ("城关镇 东村（…）")."""
    codes: list[str] = []
    for code in emergency.event_region_codes(session, event_id):
        codes.extend(c for c in network.region_descendants(session, code) if c not in codes)
    if not sees_everything(actor):
        scope: set[str] = set()
        for code in actor.region_codes:
            scope.update(network.region_descendants(session, code))
        codes = [c for c in codes if c in scope]
    out = []
    names = casualties.region_names(session, set(codes))
    for code in sorted(codes):
        region = network.get_region(session, code)
        if region is not None and region.level in casualties.PLACE_LEVELS:
            out.append((code, f"{names[code]}（{code}）"))
    return out


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    event_id: int,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    event = emergency.get_event(session, event_id)
    rows = casualties.list_casualties(session, actor, event_id)
    names = casualties.region_names(session, {row.region_code for row in rows})
    return render(
        request,
        "ledgers.html",
        actor,
        status_code=status_code,
        event=event,
        entries=rows,
        names=names,
        places=_places(session, actor, event_id),
        differences=[
            d.to_dict() for d in casualties.differences_in_scope(session, actor, event_id)
        ],
        sexes=casualties.SEXES,
        statuses=casualties.STATUSES,
        form=form or FormState(values={"status": "dead"}),
    )


@router.get("/events/{event_id}/casualties", response_class=HTMLResponse)
def ledgers_page(
    request: Request,
    event_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *KEEPERS)
    return _page(request, session, actor, event_id)


@router.post("/events/{event_id}/casualties", response_class=HTMLResponse)
def add_entry(
    request: Request,
    event_id: int,
    region_code: str = Form(""),
    name: str = Form(""),
    sex: str = Form(""),
    age: str = Form(""),
    id_number: str = Form(""),
    status: str = Form(""),
    occurred_on: str = Form(""),
    cause: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *KEEPERS)
    t = Translator(request_lang(request))
    values = {
        "region_code": region_code,
        "name": name,
        "sex": sex,
        "age": age,
        "id_number": id_number,
        "status": status,
        "occurred_on": occurred_on,
        "cause": cause,
    }
    form = FormState(values=values)
    for required in ("region_code", "name", "sex", "status", "occurred_on", "cause"):
        if not values[required].strip():
            form.fail(required, t("form.required"))
    if id_number.strip():
        check_id_number(form, t, "id_number", id_number)
    age_value: int | None = None
    if age.strip():
        try:
            age_value = int(age.strip())
        except ValueError:
            form.fail("age", t("ledger.age_whole"))
    day: date | None = None
    if occurred_on.strip() and "occurred_on" not in form.errors:
        try:
            day = date.fromisoformat(occurred_on.strip())
        except ValueError:
            form.fail("occurred_on", t("ledger.bad_date"))

    def add() -> object:
        body = casualties.CasualtyIn(
            region_code=region_code,
            name=name,
            sex=sex,  # type: ignore[arg-type]
            age=age_value,
            id_number=id_number or None,
            status=status,  # type: ignore[arg-type]
            occurred_on=day,  # type: ignore[arg-type]
            cause=cause,
        )
        vault = vault_for(request.app.state.settings.secret_key)
        return casualties.add_casualty(session, actor, event_id, body, vault)

    done = submit(
        session,
        form,
        t,
        add,
        f"/events/{event_id}/casualties?added=1#ledger",
        fields_in(FIELDS),
        once=once,
    )
    return done or _page(request, session, actor, event_id, form, status_code=form.status)
