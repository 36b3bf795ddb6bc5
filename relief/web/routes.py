"""The web UI: server-rendered pages over the same services as the API.

Sign-in sets an HttpOnly, SameSite=Strict `relief_token` cookie (the API's
`current_actor` reads it too), so a page and an API call see the same actor and the
same role and scope rules. Pages hold no logic of their own: they read through the
domain services and render Jinja2 templates in Chinese or English (`relief_lang`
cookie). Everything a page loads is served from here: no CDN, no external fonts or
tiles, because the UI runs on government intranets without internet access.

Errors: `app.py` hands domain errors and HTTP errors of UI paths to `error_page`, so a
403 (`role_forbidden`, `scope_forbidden`) or a 404 is a rendered page, while `/api/…`
keeps its JSON envelope.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from relief import clock
from relief.auth import service as auth
from relief.auth.api import client_address
from relief.auth.deps import ensure_role
from relief.auth.models import Actor, User
from relief.db import get_session, session_for
from relief.dispatch import service as dispatch
from relief.emergency import responses as emergency_responses
from relief.emergency import service as emergency
from relief.errors import RETRY_AFTER_S, DomainError, not_found
from relief.i18n import catalogue, has, stored_text, translate
from relief.i18n import unit as unit_word
from relief.network import service as network
from relief.network.models import ItemRow
from relief.stock import service as stock
from relief.subsidies import service as subsidies
from relief.subsidies.models import CASE_STATUSES
from relief.web import netmap
from relief.web.i18n import HTML_LANG, Lang, Translator, lang_of
from relief.web.origin import same_site_posts

TOKEN_COOKIE = "relief_token"
PASSWORD_PAGE = "/password"
LANG_COOKIE = "relief_lang"
# How far ahead the manager's home page warns about expiring lots (the API's default).
EXPIRY_DAYS = 30
WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
# Paths that keep the API's JSON errors; every other path is a page of the UI.
_API_PATHS = ("/api/", "/openapi.json", "/docs", "/static/swagger")

# The browser itself refuses anything from another host, so a stray external link in a
# template fails the browser tests instead of quietly needing the internet.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
)

templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])


# --- rendering ---------------------------------------------------------------------------


def _cst(value: datetime | None) -> str:
    shown = clock.to_cst(value)
    return shown.strftime("%Y-%m-%d %H:%M") if shown else ""


def _iso(value: datetime | date | None) -> str:
    if isinstance(value, datetime):
        shown = clock.to_cst(value)
        return shown.isoformat() if shown else ""
    return value.isoformat() if value else ""


def _roman(level: int) -> str:
    """Response levels are written Ⅰ–Ⅳ (应急响应Ⅳ级), as in the documents users know."""
    return emergency_responses.ROMAN.get(level, str(level))


@pass_context
def _gettext(context: Any, msgid: str, **params: Any) -> str:
    """`_("key", name=value)` in templates: the catalogue's text in the page's language."""
    return translate(msgid, lang_of(context.get("lang")), **params)


@pass_context
def _unit(context: Any, word: str | None) -> str:
    """`{{ item.unit|unit }}`: an item's unit word in the page's language (relief.i18n.unit)."""
    return unit_word(word, lang_of(context.get("lang")))


@pass_context
def _stored(context: Any, text: str | None) -> str:
    """`{{ m.reason|stored }}`: a stored free text, a service's fixed one in the page's
    language (relief.i18n.stored_text)."""
    return stored_text(text, lang_of(context.get("lang")))


@pass_context
def _ngettext(context: Any, singular: str, plural: str, count: int, **params: Any) -> str:
    lang = lang_of(context.get("lang"))
    text = catalogue(lang).ngettext(singular, plural, count)
    return text.format(count=count, **params)


# The Jinja2 i18n extension: `_()` / `gettext()` in templates, found by `make messages`.
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=False)
templates.env.filters["cst"] = _cst
templates.env.filters["roman"] = _roman
templates.env.filters["unit"] = _unit
templates.env.filters["stored"] = _stored
templates.env.filters["iso"] = _iso
templates.env.globals["star_points"] = netmap.star_points
templates.env.globals["diamond_points"] = netmap.diamond_points


def request_lang(request: Request) -> Lang:
    return lang_of(request.cookies.get(LANG_COOKIE))


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def _local_path(target: str | None) -> str:
    """Only a path on this server may be a redirect target (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@dataclass(frozen=True)
class NavLink:
    key: str
    href: str


def nav_for(actor: Actor | None) -> list[NavLink]:
    """The header links a role sees; pages outside the role still answer 403 if typed in."""
    if actor is None:
        return []
    links = [NavLink("nav.home", "/"), NavLink("nav.map", "/map"), NavLink("nav.events", "/events")]
    links.append(NavLink("nav.inbox", "/inbox"))  # every user has one (duty.py)
    if actor.role in ("admin", "duty_officer", "warehouse_manager", "county_staff"):
        links.append(NavLink("nav.orders", "/orders"))  # the pages in warehouse.py
    if actor.role in ("admin", "county_staff", "approver"):
        links.append(NavLink("nav.subsidies", "/subsidies/cases"))  # the pages in subsidies.py
    if actor.role == "admin":
        links.append(NavLink("nav.users", "/users"))
    return links


def render(
    request: Request,
    template: str,
    actor: Actor | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = request_lang(request)
    other = "en" if lang == "zh" else "zh"
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": Translator(lang),
            "lang": lang,
            "html_lang": HTML_LANG[lang],
            "actor": actor,
            "nav": nav_for(actor),
            "current_path": request.url.path,
            "switch_href": f"/lang?to={other}&next={quote(_here(request), safe='')}",
            **context,
        },
        status_code=status_code,
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


# --- who is signed in ----------------------------------------------------------------------


def user_from_cookie(request: Request, session: Session) -> User | None:
    """The signed-in user, or None for no, a bad, an expired or a revoked cookie."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    try:
        return auth.user_for_token(session, token, request.app.state.settings.secret_key)
    except DomainError:
        return None


def actor_from_cookie(request: Request, session: Session) -> Actor | None:
    """The signed-in actor, or None for no, a bad, an expired or a revoked cookie."""
    user = user_from_cookie(request, session)
    return Actor.of(user) if user is not None else None


def signed_in(request: Request, session: Session = Depends(get_session)) -> Actor:
    """A page dependency: the actor, or `not_authenticated` (which sends the browser to /);
    a user who must change their password is sent to the page for it first."""
    user = user_from_cookie(request, session)
    if user is None:
        raise DomainError("not_authenticated", "sign in first", None)
    if user.must_change_password:
        raise DomainError("password_change_required", "change your password first", None)
    return Actor.of(user)


# --- errors --------------------------------------------------------------------------------


def renders_html(request: Request) -> bool:
    """Whether an error on this path is shown as a page (else the API's JSON envelope)."""
    return not request.url.path.startswith(_API_PATHS)


async def error_page(request: Request, status: int, code: str, message: str) -> Response:
    """The page for a failed UI request: 401 → the sign-in form, 403 and 404 → their pages,
    anything else → the error's message on a page. `message` is in the page's language
    (relief/app.py and domain_error_page say it from the catalogue, or leave it empty); the
    code is never shown, only kept in `data-code`."""
    if status == 401:
        # A signed-out user who opened a page comes back to it after signing in.
        target = _here(request) if request.method == "GET" else ""
        where = "/" if target in ("", "/") else f"/?next={quote(target, safe='/')}"
        response: Response = RedirectResponse(where, status_code=303)
        response.delete_cookie(TOKEN_COOKIE, path="/")
        return response
    # Exception handlers run outside the page's dependencies and on the event loop: read
    # the actor for the header in a worker thread, like any other database read.
    actor = await run_in_threadpool(_actor_for_error, request)
    kind = str(status) if status in (403, 404) else "other"
    return render(
        request, "error.html", actor, status_code=status, kind=kind, code=code, message=message
    )


def busy_page(request: Request, exc: DomainError) -> Response:
    """The page for 503 `busy`: rendered without the database (no signed-in header), since
    the database is what is failing."""
    message = exc.text(request_lang(request))
    response = render(
        request, "error.html", None, status_code=503, kind="other", code=exc.code, message=message
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def domain_error_page(request: Request, exc: DomainError) -> Response:
    if exc.status == 503:
        return busy_page(request, exc)
    if exc.code == "password_change_required":
        target = _next_target(_here(request)) if request.method == "GET" else ""
        return RedirectResponse(_password_page(target), status_code=303)
    message = error_sentence(exc, request_lang(request))
    return await error_page(request, exc.status, exc.code, message)


def error_sentence(exc: DomainError, lang: Lang) -> str:
    """What went wrong, in the reader's language (`exc.text`), or "" when the catalogue has no
    sentence for it in a language other than English: the page then says only its kind's
    words (无权访问 …), never a code or an English sentence in Chinese mode."""
    if lang == "en" or has(exc.template, lang):
        return exc.text(lang)
    return ""


def _actor_for_error(request: Request) -> Actor | None:
    session = session_for(request.app.state.engine, write=False)
    try:
        return actor_from_cookie(request, session)
    finally:
        session.close()


# --- static files --------------------------------------------------------------------------


@router.get("/static/web/{name}")
def static_file(name: str) -> FileResponse:
    # A flat directory: a name with a separator or `..` is not one of ours.
    path = STATIC_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise not_found("file", name)
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})


# --- sign-in, sign-out, language -------------------------------------------------------------


def _next_target(next: str | None) -> str:
    """The page to go to after signing in: a safe local path, else "" (the home page)."""
    target = _local_path(next)
    return "" if target == "/" else target


def _password_page(next: str) -> str:
    return f"{PASSWORD_PAGE}?next={quote(next, safe='/')}" if next else PASSWORD_PAGE


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request, next: str = Query(""), session: Session = Depends(get_session)
) -> Response:
    user = user_from_cookie(request, session)
    target = _next_target(next)
    if user is None:
        return render(
            request, "login.html", None, username="", errors={}, retry_minutes=0, next=target
        )
    if user.must_change_password:
        return RedirectResponse(_password_page(target), status_code=303)
    if target:
        return RedirectResponse(target, status_code=303)
    return _home(request, session, Actor.of(user))


def _set_token_cookie(request: Request, response: Response, user: User) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        TOKEN_COOKIE,
        auth.issue_token(user, settings.secret_key, settings.token_hours),
        max_age=settings.token_hours * 3600,
        httponly=True,
        samesite="strict",
        # Intranet servers often run plain HTTP: outside production the cookie is Secure only
        # when it came over HTTPS, else the browser would drop it and nobody could sign in.
        # In production it is always Secure (TLS may end at a proxy in front of relief).
        secure=settings.env == "production" or request.url.scheme == "https",
        path="/",
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
    session: Session = Depends(get_session),
) -> Response:
    settings = request.app.state.settings
    target = _next_target(next)
    # An empty form says what is missing, all at once, and never counts as a failed sign-in.
    missing = {
        field: f"auth.{field}_missing"
        for field, value in (("username", username), ("password", password))
        if not value.strip()
    }
    if missing:
        return render(
            request,
            "login.html",
            None,
            status_code=422,
            username=username,
            errors=missing,
            retry_minutes=0,
            next=target,
        )
    try:
        user = auth.sign_in(session, username, password, client_address(request), settings)
    except DomainError as exc:
        locked = exc.code == "too_many_attempts"
        response = render(
            request,
            "login.html",
            None,
            status_code=exc.status if locked else 401,
            username=username,
            errors={"password": "auth.too_many_attempts" if locked else "auth.wrong_password"},
            retry_minutes=-(-int(exc.extra.get("retry_after", 0)) // 60),
            next=target,
        )
        response.headers.update(exc.headers)
        return response
    session.commit()
    where = _password_page(target) if user.must_change_password else (target or "/")
    response = RedirectResponse(where, status_code=303)
    _set_token_cookie(request, response, user)
    return response


@router.post("/logout")
def logout(request: Request, session: Session = Depends(get_session)) -> Response:
    """Signs the user out everywhere: every token they hold stops working."""
    user = user_from_cookie(request, session)
    if user is not None:
        auth.sign_out(session, user)
        session.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get(PASSWORD_PAGE, response_class=HTMLResponse)
def password_page(
    request: Request, next: str = Query(""), session: Session = Depends(get_session)
) -> Response:
    user = user_from_cookie(request, session)
    if user is None:
        raise DomainError("not_authenticated", "sign in first", None)
    return render(
        request,
        "password.html",
        Actor.of(user),
        forced=user.must_change_password,
        errors={},
        next=_next_target(next),
    )


@router.post(PASSWORD_PAGE, response_class=HTMLResponse)
def change_password(
    request: Request,
    current_password: str = Form(""),
    new_password: str = Form(""),
    new_password_again: str = Form(""),
    next: str = Form(""),
    session: Session = Depends(get_session),
) -> Response:
    """The user's own change; every other session ends and this browser gets a new cookie."""
    user = user_from_cookie(request, session)
    if user is None:
        raise DomainError("not_authenticated", "sign in first", None)
    actor, forced = Actor.of(user), user.must_change_password
    try:
        if new_password != new_password_again:
            raise DomainError(
                "validation_error",
                "the two new passwords differ",
                "new_password_again",
            )
        auth.change_password(
            session,
            user,
            current_password,
            new_password,
            client_address(request),
            request.app.state.settings,
        )
    except DomainError as exc:
        session.rollback()
        field = exc.field or "current_password"
        response = render(
            request,
            "password.html",
            actor,
            status_code=exc.status,
            forced=forced,
            errors={field: exc.text(request_lang(request))},
            next=_next_target(next),
        )
        response.headers.update(exc.headers)
        return response
    session.commit()
    response = RedirectResponse(_next_target(next) or "/", status_code=303)
    _set_token_cookie(request, response, user)
    return response


@router.get("/lang")
def switch_language(to: str = Query("zh"), next: str = Query("/")) -> Response:
    response = RedirectResponse(_local_path(next), status_code=303)
    response.set_cookie(
        LANG_COOKIE, lang_of(to), max_age=365 * 24 * 3600, samesite="strict", path="/"
    )
    return response


# --- home pages ------------------------------------------------------------------------------


def _items(session: Session) -> dict[str, ItemRow]:
    return {item.code: item for item in network.list_items(session)}


@dataclass(frozen=True)
class ItemTotal:
    item_code: str
    on_hand: int
    reserved: int
    available: int


def place_names(session: Session) -> dict[str, str]:
    """Names of every region and warehouse by code: the ends of roads, the places of orders."""
    regions, warehouses, _, _ = network.network_records(session)
    return {**{r.code: r.name for r in regions}, **{w.code: w.name for w in warehouses}}


def _stock_totals(session: Session) -> list[ItemTotal]:
    sums: dict[str, list[int]] = {}
    for level in stock.stock_levels_for_allocation(session):
        row = sums.setdefault(level.item_code, [0, 0, 0])
        row[0] += level.on_hand
        row[1] += level.reserved
    # Available leaves expired lots out (their on-hand units are still on the shelf).
    for level in stock.stock_levels_for_allocation(session, usable_on=stock.today()):
        sums[level.item_code][2] += level.available
    return [ItemTotal(code, *sums[code]) for code in sorted(sums)]


@dataclass(frozen=True)
class ActiveResponse:
    response_id: int
    level: int
    event_name: str
    hazard: str
    started_at: datetime
    triggered_at: datetime
    supplies_arrive: datetime | None
    overdue: bool
    supplies_done: bool  # the duty officer marked the supplies deadline done
    region_codes: tuple[str, ...]  # the event's regions and every region it has a report for


def _active_responses(session: Session) -> list[ActiveResponse]:
    """Active responses, most urgent level first, from the emergency service when installed."""
    now = clock.now()
    out = []
    for row in emergency_responses.list_responses(session):
        if row.status != "active":
            continue
        event = emergency.get_event(session, row.event_id)
        reply = emergency_responses.response_out(session, row)
        due = reply.deadlines.supplies_arrive
        supplies = next(
            (
                e
                for e in emergency_responses.timeline(session, row.id)
                if e.kind == "deadline" and e.name == "supplies_arrive"
            ),
            None,
        )
        done = supplies is not None and supplies.done_at is not None
        if done:
            due = supplies.due_at
        out.append(
            ActiveResponse(
                response_id=row.id,
                level=row.level,
                event_name=event.name,
                hazard=event.hazard,
                started_at=event.started_at,
                triggered_at=row.triggered_at,
                supplies_arrive=due,
                overdue=not done and due is not None and due < now,
                supplies_done=done,
                region_codes=tuple(emergency_responses.affected_region_codes(session, event)),
            )
        )
    return sorted(out, key=lambda r: (r.level, r.triggered_at))


def _home(request: Request, session: Session, actor: Actor) -> Response:
    if actor.role in ("admin", "duty_officer"):
        return _duty_home(request, session, actor)
    if actor.role == "warehouse_manager":
        return _manager_home(request, session, actor)
    return _regions_home(request, session, actor)


def _unacknowledged_count(session: Session, actor: Actor) -> int:
    """How many of the user's notifications wait for an acknowledgement (the inbox page)."""
    return len(emergency_responses.inbox(session, actor, unacked_only=True))


def _duty_home(request: Request, session: Session, actor: Actor) -> Response:
    regions, warehouses, roads, _ = network.network_records(session)
    active = _active_responses(session)
    return render(
        request,
        "home_duty.html",
        actor,
        tiers=Counter(w.tier for w in warehouses),
        levels=Counter(r.level for r in regions),
        roads=Counter(r.status for r in roads),
        totals=_stock_totals(session),
        items=_items(session),
        responses=active,
        low=stock.low_stock(session, actor),
        expiring=stock.expiring_lots(session, actor, EXPIRY_DAYS),
        expiry_days=EXPIRY_DAYS,
        warehouse_names={w.code: w.name for w in warehouses},
        inbox_unacked=_unacknowledged_count(session, actor),
        # Managers not yet acknowledging the notice of each active response.
        unacked_managers={
            r.response_id: emergency_responses.unacknowledged(session, r.response_id)
            for r in active
        },
    )


def _manager_home(request: Request, session: Session, actor: Actor) -> Response:
    mine = [w for code in actor.warehouse_codes if (w := network.get_warehouse(session, code))]
    return render(
        request,
        "home_manager.html",
        actor,
        warehouses=[(w, stock.stock_of(session, w.code)) for w in mine],
        items=_items(session),
        low=stock.low_stock(session, actor),
        expiring=stock.expiring_lots(session, actor, EXPIRY_DAYS),
        expiry_days=EXPIRY_DAYS,
        warehouse_names={w.code: w.name for w in mine},
        inbox_unacked=_unacknowledged_count(session, actor),
        # Orders to dispatch and receipts to confirm, soonest due first (issue 13).
        todo=dispatch.manager_todo(session, actor),
        names=place_names(session),
    )


def _regions_home(request: Request, session: Session, actor: Actor) -> Response:
    """County staff and approvers: their regions and the warehouses within them."""
    regions = []
    covered: set[str] = set()
    for code in actor.region_codes:
        region = network.get_region(session, code)
        if region is None:
            continue
        below = network.region_descendants(session, code)
        covered.update(below)
        parent = network.get_region(session, region.parent_code) if region.parent_code else None
        regions.append((region, parent, len(below) - 1))
    warehouses = [w for w in network.list_warehouses(session) if w.region_code in covered]
    region_names = {r.code: r.name for r, _, _ in regions}
    for w in warehouses:
        if w.region_code not in region_names:
            found = network.get_region(session, w.region_code)
            region_names[w.region_code] = found.name if found else w.region_code
    # Responses that touch the user's regions: what county staff will register households for.
    responses = [r for r in _active_responses(session) if covered.intersection(r.region_codes)]
    counts = subsidies.case_counts(session, actor)
    return render(
        request,
        "home_regions.html",
        actor,
        responses=responses,
        # The cases of their regions by state, per programme they can see (zeros included).
        case_counts=[
            (p, counts.get(p.code, dict.fromkeys((*CASE_STATUSES, "stuck"), 0)))
            for p in subsidies.list_programmes(session, actor)
        ],
        case_statuses=CASE_STATUSES,
        stuck_days=subsidies.STUCK_DAYS,
        regions=regions,
        warehouses=warehouses,
        region_names=region_names,
    )


# --- warehouse page ----------------------------------------------------------------------------

# The warehouse page, with the manager's receipt and stocktake forms, is in warehouse.py.


# --- users (admin) ---------------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor)  # admin only, as GET /api/v1/users
    return render(request, "users.html", actor, users=auth.list_users(session))


# --- network map -----------------------------------------------------------------------------


def _selection(
    session: Session, warehouse: str | None, region: str | None
) -> dict[str, Any] | None:
    """What the side panel shows for a selected warehouse or region (None: nothing chosen)."""
    if warehouse:
        row = network.get_warehouse(session, warehouse)
        if row is None:
            raise not_found("warehouse", warehouse, "warehouse")
        return {
            "kind": "warehouse",
            "warehouse": row,
            "region": network.get_region(session, row.region_code),
            "stock": stock.stock_of(session, row.code),
        }
    if region:
        row = network.get_region(session, region)
        if row is None:
            raise not_found("region", region, "region")
        return {
            "kind": "region",
            "region": row,
            "parent": network.get_region(session, row.parent_code) if row.parent_code else None,
            "warehouses": network.list_warehouses(session, region_code=row.code),
            "below": len(network.region_descendants(session, row.code)) - 1,
            "needs": _region_needs(session, row.code),
        }
    return None


def _region_needs(session: Session, code: str) -> list[tuple[ActiveResponse, list]]:
    """The region's needs in each active response: per item, demand, planned, dispatched and
    received, overdue marked (the fulfilment the duty officer follows)."""
    needs = []
    for response in _active_responses(session):
        lines = [
            line
            for line in dispatch.response_fulfilment(session, response.response_id)
            if line.region_code == code
        ]
        if lines:
            needs.append((response, lines))
    return needs


def map_drawing(
    session: Session,
    *,
    affected: dict[str, int] | None = None,
    flows: Iterable[netmap.Flow] = (),
    closed_road_ids: Iterable[int] = (),
) -> netmap.MapDrawing:
    """The network drawn for the map; response pages pass `affected` regions, plan `flows`
    and the event's closed roads."""
    regions, warehouses, roads, _ = network.network_records(session)
    return netmap.draw_network(
        regions,
        warehouses,
        roads,
        affected=affected,
        flows=list(flows),
        closed_road_ids=set(closed_road_ids),
    )


def _closed_for_active_events(session: Session) -> set[int]:
    """Roads closed by the events that have an active response: the network map shows what
    is impassable now, not only the network's own road status."""
    closed: set[int] = set()
    for row in emergency_responses.list_responses(session):
        if row.status == "active":
            closed |= emergency.closed_road_ids(session, row.event_id)
    return closed


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    warehouse: str | None = Query(None),
    region: str | None = Query(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    return render(
        request,
        "map.html",
        actor,
        drawing=map_drawing(session, closed_road_ids=_closed_for_active_events(session)),
        selected=_selection(session, warehouse, region),
        items=_items(session),
    )


@router.get("/map/panel", response_class=HTMLResponse)
def map_panel(
    request: Request,
    warehouse: str | None = Query(None),
    region: str | None = Query(None),
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    """The side panel alone, for map.js to swap in without reloading the map."""
    return render(
        request,
        "map_panel.html",
        actor,
        selected=_selection(session, warehouse, region),
        items=_items(session),
    )
