"""The county office's household and case work (issue 13): correcting a household with a
reason, deleting one registered by mistake while it has no case, opening cases in bulk for
the selected or filtered households, and the pieces the household and case lists share
(search text, the error summary's fields, a refusal worded next to its field).

Like relief/web/subsidies.py these pages hold no rules: relief.subsidies.service decides,
and a refused form comes back with everything typed and every message at once."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from relief import clock
from relief.auth.deps import ensure_role
from relief.auth.models import Actor
from relief.db import get_session
from relief.errors import DomainError
from relief.subsidies import service
from relief.subsidies.ids import vault_for
from relief.subsidies.models import DAMAGES, MAX_ID, BulkFilter, HouseholdPatch
from relief.web.forms import (
    REFUSALS,
    FieldMap,
    FormState,
    Once,
    fields_in,
    form_once,
    id_number,
    numbers_in,
    posted,
    record_error,
    same_site_posts,
    service_words,
    submit,
    validated,
)
from relief.web.i18n import Translator
from relief.web.shell import request_lang, signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

# The household form's inputs in the order they are shown: (field, input id, label key).
HOUSEHOLD_INPUTS = (
    ("event_id", "hh-event", "col.event"),
    ("region_code", "hh-region_code", "office.region"),
    ("head_name", "hh-head_name", "sub.head_name"),
    ("id_number", "hh-id_number", "sub.id_number"),
    ("size", "hh-size", "sub.size"),
    ("rooms", "hh-rooms", "sub.rooms"),
    ("damage", "hh-damage", "sub.damage"),
    ("category", "hh-category", "sub.category"),
    ("phone", "hh-phone", "sub.phone"),
    ("bank_account", "hh-bank_account", "sub.bank_account"),
    ("address", "hh-address", "hh.address"),
    ("structure", "hh-structure", "hh.structure"),
    ("collapsed_rooms", "hh-collapsed_rooms", "hh.collapsed_rooms"),
    ("severe_rooms", "hh-severe_rooms", "hh.severe_rooms"),
    ("general_rooms", "hh-general_rooms", "hh.general_rooms"),
    ("reason", "hh-reason", "office.reason"),
)
# The household form's number inputs (read by forms.number_text: ４ → 4, not 1_0 or 4.0).
NUMBER_INPUTS = ("size", "rooms", "collapsed_rooms", "severe_rooms", "general_rooms")
EDITABLE = ("region_code", "head_name", "size", "damage", "rooms", "category", "phone")
# The 倒损住房户台账's fields: optional; emptied on the form, they are cleared.
LEDGER_INPUTS = ("address", "structure", "collapsed_rooms", "severe_rooms", "general_rooms")
# The inputs of the household form (registering), and of the correction (no event, a reason).
HOUSEHOLD_FIELDS = tuple(name for name, _, _ in HOUSEHOLD_INPUTS if name != "reason")
HOUSEHOLD_FORM = posted(*HOUSEHOLD_FIELDS, rooms="0", category="general")
EDIT_FORM = posted(
    *(name for name, _, _ in HOUSEHOLD_INPUTS if name != "event_id"),
    "version",
    rooms="0",
    category="general",
)
# The household's fields whose value is a code, worded as the form words it.
_WORDED = {"damage": "damage.", "category": "category.", "structure": "structure."}


def search_text(text: str | None) -> str:
    """A list's search box as the service reads it: NFKC-folded, trimmed, at most 64."""
    return unicodedata.normalize("NFKC", text or "").strip()[:64]


SEARCH_MAX = 64  # what the service's lists search by (relief.subsidies.service)


def search_or_problem(t: Translator, text: str | None) -> tuple[str, str | None]:
    """A list's search box: the text to search by, and a message when it is longer than the
    lists search ("查找内容最多 64 字"); then nothing is searched by it."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if len(folded) > SEARCH_MAX:
        return "", t("office.search.too_long", max=SEARCH_MAX)
    return folded, None


def household_fields(t: Translator) -> list[tuple[str, str, str]]:
    """(field, input id, label) of the household form, for its error summary."""
    return [(name, id_, t(key)) for name, id_, key in HOUSEHOLD_INPUTS]


def record_household_refusal(
    form: FormState, t: Translator, exc: DomainError | ValidationError, fields: FieldMap
) -> None:
    """A service's refusal of a household form, next to its field. A region outside the
    user's scope is a mistake in the form like any other (the field says so), not a page
    of its own: what was typed stays."""
    from relief.web.subsidies import _region_reason

    if isinstance(exc, DomainError):
        if exc.code == "scope_forbidden" and exc.field == "region_code":
            form.fail("region_code", t("office.region.out_of_scope"))
            return
        region = _region_reason(t, exc) if exc.field == "region_code" else None
        if region and exc.status not in REFUSALS:
            form.fail("region_code", region)
            return
    record_error(form, t, exc, fields)


def check_id_number(form: FormState, t: Translator, text: str) -> None:
    """The household form's ID number, its reason worded next to it (a blank one is the
    model's to refuse)."""
    id_number(form, t, "id_number", text)


def bulk_result(request: Request) -> dict[str, int] | None:
    """The counts of a bulk opening, from the redirect's query (shown once on the list)."""
    params = request.query_params
    if params.get("done") != "bulk":
        return None
    out = {}
    for key in ("created", "skipped", "refused"):
        value = params.get(key, "0")
        out[key] = int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0
    return out


def _household_id(household_id: int) -> int:
    if not 1 <= household_id <= MAX_ID:
        raise DomainError(
            "not_found",
            "household {household_id} not found",
            None,
            params={"household_id": household_id},
        )
    return household_id


# --- correcting a household --------------------------------------------------------------------


def _current_values(household: Any) -> dict[str, str]:
    values = {
        name: "" if getattr(household, name) is None else str(getattr(household, name))
        for name in (*EDITABLE, *LEDGER_INPUTS)
    }
    values.update({"event_id": str(household.event_id), "id_number": "", "bank_account": ""})
    return values


def stale_words(session: Session, t: Translator, household_id: int) -> str:
    """What the correction that came first changed, who made it and when, in the form's words:
    「该户信息已被 王某 于 2026-07-11 10:32 修改：家庭人口 3→6」 (finding 33)."""
    from relief.web.shell import place_names
    from relief.web.warehouse import people_names

    last = service.last_correction(session, household_id)
    if last is None:
        return t("office.stale.changed")
    before, after = last.before or {}, last.after or {}
    places = place_names(session)

    def shown(name: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if name == "region_code":
            return places.get(str(value), str(value))
        if name in _WORDED:
            return t(_WORDED[name] + str(value))
        return str(value)

    labels = {name: t(key) for name, _, key in HOUSEHOLD_INPUTS}
    changes = [
        f"{labels[name]} {shown(name, before.get(name))}→{shown(name, after.get(name))}"
        for name in (*EDITABLE, *LEDGER_INPUTS)
        if name in after and before.get(name) != after.get(name)
    ]
    if after.get("id_masked") != before.get("id_masked"):
        changes.append(labels["id_number"])
    if after.get("bank_masked") != before.get("bank_masked"):
        changes.append(labels["bank_account"])
    at = clock.to_cst(last.at)
    return t(
        "office.stale.household",
        who=people_names(session, [last.actor]).get(last.actor, last.actor),
        at=at.strftime("%Y-%m-%d %H:%M") if at else "",
        changes=t("list.separator").join(changes) or "—",
    )


@router.get("/subsidies/households/{household_id}/edit")
def edit_form(
    request: Request,
    household_id: int,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    from relief.web.subsidies import _household_form

    ensure_role(actor, "county_staff", "township_staff")
    household = service.get_household(session, actor, _household_id(household_id))
    form = FormState(values=_current_values(household))
    form.values["version"] = str(service.household_version(session, household_id))
    return _household_form(request, session, actor, form, household=household)


@router.post("/subsidies/households/{household_id}/edit")
def post_edit(
    request: Request,
    household_id: int,
    typed: dict[str, str] = Depends(EDIT_FORM),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Only what differs from the registration is sent to the service; a blank ID number or
    account keeps the one registered (they are never shown in clear on a form)."""
    from relief.web.subsidies import _household_form

    ensure_role(actor, "county_staff", "township_staff")
    household = service.get_household(session, actor, _household_id(household_id))
    t = Translator(request_lang(request))
    form = FormState(values={**typed, "event_id": str(household.event_id)})
    current = _current_values(household)
    typed = dict(typed)
    for name, number in numbers_in(form, t, typed, NUMBER_INPUTS).items():
        if number is not None:
            typed[name] = number  # ４ reads as 4: no change where 4 is registered
        elif typed[name].strip():
            typed[name] = current[name]  # refused above: not sent as a change
    changes: dict[str, Any] = {
        name: typed[name].strip()
        for name in EDITABLE
        if typed[name].strip() != current[name]
        and not (name == "rooms" and not typed[name].strip())
    }
    for name in LEDGER_INPUTS:
        if typed[name].strip() != current[name]:
            changes[name] = typed[name].strip() or None
    if typed["id_number"].strip():
        check_id_number(form, t, typed["id_number"])
        changes["id_number"] = typed["id_number"].strip()
    if typed["bank_account"].strip():
        changes["bank_account"] = typed["bank_account"].strip()
    reason = typed["reason"].strip()
    if not reason:
        form.fail("reason", t("office.reason.required"))
    fields = fields_in([name for name, _, _ in HOUSEHOLD_INPUTS])
    # The version the form was made from: a correction saved meanwhile (another tab, another
    # clerk) refuses this one with what it changed, instead of silently undoing it.
    version = typed["version"].strip()
    if version.isascii() and version.isdigit():
        changes["version"] = int(version)
    body = validated(form, t, HouseholdPatch, {**changes, "reason": reason or "-"}, fields)

    def record(
        form: FormState, t: Translator, exc: DomainError | ValidationError, fields: FieldMap
    ) -> None:
        if isinstance(exc, DomainError) and exc.code == "household_stale":
            form.fail(None, stale_words(session, t, household_id))
            form.values["version"] = str(service.household_version(session, household_id))
            return
        record_household_refusal(form, t, exc, fields)

    done = submit(
        session,
        form,
        t,
        lambda: service.update_household(
            session, actor, household.id, body, vault_for(request.app.state.settings.secret_key)
        ),
        f"/subsidies/households?event_id={household.event_id}&done=corrected",
        fields,
        record=record,
    )
    if form.code == "household_stale":
        form.status = 409
    return done or _household_form(
        request, session, actor, form, status_code=form.status, household=household
    )


@router.post("/subsidies/households/{household_id}/delete")
def post_delete(
    request: Request,
    household_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    from relief.web.subsidies import _households_page

    ensure_role(actor, "county_staff", "township_staff")
    household = service.get_household(session, actor, _household_id(household_id))
    t = Translator(request_lang(request))
    event_id = household.event_id
    form = FormState(values={"reason": reason}, status=409)
    if not reason.strip():
        form.fail(None, t("office.delete.reason_required"))
    done = submit(
        session,
        form,
        t,
        lambda: service.delete_household(session, actor, household.id, reason),
        f"/subsidies/households?event_id={event_id}&done=deleted",
        refusals=(401, 403, 404),
        status=409,
        words=_delete_words,
    )
    return done or _households_page(
        request, session, actor, problem=form.general, status_code=form.status
    )


def _delete_words(t: Translator, exc: DomainError) -> str:
    if exc.code == "household_has_cases":
        return t("office.delete.has_cases")
    return exc.text(t.lang)


# --- opening cases in bulk ---------------------------------------------------------------------


@router.post("/subsidies/cases/bulk")
def post_bulk(
    request: Request,
    programme_code: str = Form(""),
    selection: str = Form("filtered"),
    household_ids: list[str] = Form([]),
    event_id: str = Form(""),
    region_code: str = Form(""),
    q: str = Form(""),
    damage: str = Form(""),
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """Cases for the households ticked (`selection=selected`) or for every household the
    list's filter selects, in one transaction; the list shows how many were opened, skipped
    (a case already) and refused (not eligible)."""
    from relief.web.forms import query_id
    from relief.web.subsidies import _households_page

    ensure_role(actor, "county_staff", "township_staff")
    t = Translator(request_lang(request))
    filters = {
        "event_id": query_id(event_id),
        "region_code": region_code.strip(),
        "q": search_text(q),
        "damage": damage if damage in DAMAGES else "",
    }
    form = FormState(values={"programme_code": programme_code, "selection": selection})
    ids = [i for i in (query_id(v) for v in household_ids) if i]
    if not programme_code.strip():
        form.fail(None, t("office.bulk.no_programme"))
    elif selection == "selected" and not ids:
        form.fail(None, t("office.bulk.none_selected"))

    def open_cases() -> dict[str, Any]:
        if selection == "selected":
            return service.create_cases_bulk(
                session, actor, programme_code.strip(), household_ids=ids[: service.BULK_MAX]
            )
        # Households with a case already stay in the selection, so the page can say how
        # many were skipped.
        chosen = BulkFilter.model_validate(
            {**{k: v or None for k, v in filters.items()}, "without_case": False}
        )
        return service.create_cases_bulk(
            session, actor, programme_code.strip(), filters=chosen.model_dump()
        )

    def listed(result: dict[str, Any]) -> str:
        kept = {k: v for k, v in filters.items() if v not in (None, "")}
        counts = {
            "created": result["created"],
            "skipped": result["skipped_existing"],
            "refused": result["not_eligible"],
        }
        return f"/subsidies/households?{urlencode({**kept, 'done': 'bulk', **counts})}"

    done = submit(
        session,
        form,
        t,
        open_cases,
        listed,
        refusals=(401, 403, 404),
        words=service_words,
        once=once,
    )
    return done or _households_page(
        request,
        session,
        actor,
        event_id=filters["event_id"],
        region_code=filters["region_code"],
        q=filters["q"],
        damage=filters["damage"],
        problem=form.general,
        status_code=form.status,
    )
