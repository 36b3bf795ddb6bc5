"""The page of goods to households (发放到户, issue 16) for one township or county: what it
holds, the issue form, the issues with their reversal, fulfilment per household (who has
nothing yet), the 发放花名册 to print and the signed one to import. No rules here:
`relief.distribution.service` checks role and scope as for the API; a refused form is shown
again with what was typed and the message next to its field (FormState)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile as PostedFile

from relief import clock
from relief.auth.deps import ensure_role
from relief.auth.models import Actor
from relief.db import get_session
from relief.distribution import roster, service
from relief.distribution.api import issues_out
from relief.distribution.models import MAX_SCAN_BYTES
from relief.emergency import service as emergency
from relief.errors import N_
from relief.i18n import has
from relief.network import service as network
from relief.network.models import RegionRow
from relief.web.forms import (
    FormState,
    Once,
    field_name,
    form_once,
    int_or_none,
    refusal_words,
    same_site_posts,
    service_words,
    submit,
)
from relief.web.i18n import Translator
from relief.web.shell import render, request_lang, signed_in
from relief.web.subsidies import row_error_text

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])

# A region the user may not see is the error page, not a message on its forms.
REFUSED = (401, 403, 404)
# On the issue form, an unknown household (404 on household_id) is a message next to it;
# an unknown region is still the error page (the page cannot be shown again for it).
FORM_REFUSED = (401, 403)
ISSUE_FIELDS = ("household_id", "issued_on", "signed_by", "note", "scan")
# The page's done notes (`dist.done.<what>`).
WORDS = (N_("dist.done.issue"), N_("dist.done.reversal"), N_("dist.done.scan"))


def _words(t: Translator, exc: Any) -> str:
    """A refusal in the service's own sentence when the catalogue has it (it says what is
    wrong: the date is in the future, the file is not a photo, who signed is missing);
    others as the forms word them."""
    if exc.field == "scan" or has(exc.template, t.lang):
        return service_words(t, exc)
    return refusal_words(t, exc)


def _event_id(session: Session, code: str, wanted: str | None) -> int | None:
    """The event asked for, else the latest event with households registered in the region."""
    chosen = int_or_none(wanted)
    if chosen is not None:
        return chosen
    events = sorted(emergency.list_events(session), key=lambda e: e.started_at, reverse=True)
    for event in events:
        if service.event_households(session, code, event.id):  # type: ignore[arg-type]
            return event.id
    return events[0].id if events else None


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    event_id: int | None,
    *,
    issue: FormState | None = None,
    reversal: FormState | None = None,
    scan: FormState | None = None,
    upload: FormState | None = None,
    rejected: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    ensure_role(actor, *service.HOUSEHOLD_READERS)
    region, holdings, _, _ = service.holdings(session, actor, code, 1, 0)
    items = sorted({h.item_code for h in holdings})
    zh = request_lang(request) == "zh"

    def named(row: Any) -> tuple[str, str]:
        """An item's name in the reader's language and its unit (as stored: `|unit` words it)."""
        return (row.name_zh if zh else row.name_en), row.unit

    names = {i: named(row) if (row := network.get_item(session, i)) else (i, "") for i in items}
    events = emergency.list_events(session)
    result = service.fulfilment(session, actor, code, event_id) if event_id else None
    if result is not None:
        for _, lines, _, _ in result.rows:
            for item, _, _ in lines:
                if item not in names and (row := network.get_item(session, item)):
                    names[item] = named(row)
    issues, _ = service.list_issues(session, actor, code, event_id, None, 100, 0)
    shown = issues_out(session, issues)
    for issued in shown:
        for line in issued.lines:
            if line.item_code not in names and (row := network.get_item(session, line.item_code)):
                names[line.item_code] = named(row)
    households = [h for h, _, _, _ in result.rows] if result else []
    # The villages below (for the roster of one village); none where households are
    # registered at township level.
    below = network.region_descendants(session, code)[1:]
    villages = (
        list(
            session.exec(
                select(RegionRow)
                .where(col(RegionRow.code).in_(below), RegionRow.level == "village")
                .order_by(col(RegionRow.code))
            ).all()
        )
        if below
        else []
    )
    return render(
        request,
        "distribution.html",
        actor,
        status_code=status_code,
        region=region,
        event_id=event_id,
        events=events,
        holdings=holdings,
        items=items,
        names=names,
        households=households,
        villages=villages,
        fulfilment=result,
        waiting=[h for h, _, _, late in result.rows if late] if result else [],
        issues=shown,
        may_issue=actor.role == "admin" or actor.role in service.ISSUERS,
        issue=issue
        or FormState(values={"issued_on": clock.to_cst(clock.now()).date().isoformat()}),
        reversal=reversal or FormState(),
        scan=scan or FormState(),
        max_scan_mb=MAX_SCAN_BYTES // (1024 * 1024),
        upload=upload or FormState(),
        rejected=rejected or [],
        row_error=row_error_text,
        done=request.query_params.get("done"),
        created=request.query_params.get("created"),
    )


@router.get("/regions/{code}/distribution", response_class=HTMLResponse)
def distribution_page(
    request: Request,
    code: str,
    event_id: str | None = Query(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.HOUSEHOLD_READERS)
    return _page(request, session, actor, code, _event_id(session, code, event_id))


@router.post("/regions/{code}/distribution/issues", response_class=HTMLResponse)
async def post_issue(
    request: Request,
    code: str,
    once: Once | None = Depends(form_once),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.ISSUERS)
    data = await request.form()
    posted = {k: str(v) for k, v in data.items() if not isinstance(v, PostedFile)}
    # The scan or photo of the signed list, optional: read no further than the service
    # accepts (it refuses a larger one, and one that is not a JPEG, PNG or PDF, on `scan`).
    chosen = data.get("scan")
    scan = await chosen.read(MAX_SCAN_BYTES + 1) if isinstance(chosen, PostedFile) else None
    t = Translator(request_lang(request))
    form = FormState(values=posted)
    event_id = int_or_none(posted.get("event_id"))
    household_id = int_or_none(posted.get("household_id"))
    if household_id is None:
        form.fail("household_id", t("err.required"))
    try:
        issued_on = date.fromisoformat(posted.get("issued_on", "").strip())
    except ValueError:
        issued_on = None
        form.fail("issued_on", t("dist.err.date"))
    # One quantity input per item held (`q_<item>`); blanks and zeros are not issued.
    lines = []
    for key, value in posted.items():
        if key.startswith("q_") and value.strip():
            quantity = int_or_none(value)
            if quantity is None or quantity < 0:
                form.fail(key, t("err.whole_number"))
            elif quantity:
                lines.append(SimpleNamespace(item_code=key[2:], quantity=quantity))
    if not lines and not form.errors:
        form.fail(None, t("dist.err.no_lines"))

    # An item the page has no input for (not held here: a tampered form) is refused above
    # the form, not next to an input that is not there.
    shown = set(service.held_by_item(session, code))

    def where(path: str) -> str | None:
        if path.startswith("lines[") and "]" in path:
            index = int(path[6 : path.index("]")])
            if index < len(lines) and lines[index].item_code in shown:
                return f"q_{lines[index].item_code}"
            return None
        name = field_name(path)
        return name if name in ISSUE_FIELDS else None

    def give() -> None:
        service.issue_goods(
            session,
            actor,
            code,
            event_id=event_id or 0,
            household_id=household_id or 0,
            issued_on=issued_on,  # type: ignore[arg-type]
            signed_by=posted.get("signed_by", ""),
            lines=lines,
            note=posted.get("note", "").strip() or None,
            scan=scan or None,
        )

    done = f"/regions/{code}/distribution?event_id={event_id}&done=issue"
    answer = submit(
        session,
        form,
        t,
        give,
        done,
        where,
        refusals=FORM_REFUSED,
        status=None,
        words=_words,
        once=once,
    )
    return answer or _page(
        request, session, actor, code, event_id, issue=form, status_code=form.status
    )


@router.post("/regions/{code}/distribution/issues/{issue_id}/reversal", response_class=HTMLResponse)
def post_reversal(
    request: Request,
    code: str,
    issue_id: int,
    event_id: str = Form(""),
    reason: str = Form(""),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.ISSUERS)
    t = Translator(request_lang(request))
    form = FormState(values={"reason": reason, "issue_id": str(issue_id)})
    event = int_or_none(event_id)
    done = f"/regions/{code}/distribution?event_id={event}&done=reversal"
    answer = submit(
        session,
        form,
        t,
        lambda: service.reverse_issue(session, actor, issue_id, reason),
        done,
        lambda path: "reason" if path == "reason" else None,
        refusals=REFUSED,
    )
    return answer or _page(
        request, session, actor, code, event, reversal=form, status_code=form.status
    )


@router.post("/regions/{code}/distribution/issues/{issue_id}/scan", response_class=HTMLResponse)
def post_scan(
    request: Request,
    code: str,
    issue_id: int,
    event_id: str = Form(""),
    scan: UploadFile | None = File(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """The scan or photo of an issue's signed list, kept once (JPEG, PNG or PDF, at most
    MAX_SCAN_BYTES: the API's PUT /issues/{id}/scan)."""
    ensure_role(actor, *service.ISSUERS)
    t = Translator(request_lang(request))
    form = FormState(values={"issue_id": str(issue_id)})
    event = int_or_none(event_id)
    content = scan.file.read(MAX_SCAN_BYTES + 1) if scan is not None else b""
    done = f"/regions/{code}/distribution?event_id={event}&done=scan"
    answer = submit(
        session,
        form,
        t,
        lambda: service.attach_scan(session, actor, issue_id, content),
        done,
        lambda path: "scan" if path == "scan" else None,
        refusals=REFUSED,
        status=None,
        words=_words,
    )
    return answer or _page(request, session, actor, code, event, scan=form, status_code=form.status)


@router.post("/regions/{code}/distribution/roster", response_class=HTMLResponse)
def post_roster(
    request: Request,
    code: str,
    event_id: str = Form(""),
    file: UploadFile | None = File(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor, *service.ISSUERS)
    t = Translator(request_lang(request))
    form = FormState(values={"event_id": event_id})
    event = int_or_none(event_id)
    content = file.file.read() if file is not None else b""
    if file is None or not file.filename or not content:
        form.fail("file", t("sub.import.no_file"))
    answer = submit(
        session,
        form,
        t,
        lambda: roster.import_roster(
            session, actor, code, event or 0, file.filename if file else "", content
        ),
        lambda issues: f"/regions/{code}/distribution?event_id={event}&created={len(issues)}",
        lambda path: "file" if path == "file" else None,
        refusals=REFUSED,
    )
    rejected = list(form.refusal.extra.get("rejected", [])) if form.refusal else []
    return answer or _page(
        request,
        session,
        actor,
        code,
        event,
        upload=form,
        rejected=rejected,
        status_code=form.status,
    )
