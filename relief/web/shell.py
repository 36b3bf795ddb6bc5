"""The shell every page of the web UI uses: the templates and their filters, `render`, the
signed-in user, the page's language, the navigation, the error pages and the static files.

Sign-in sets an HttpOnly, SameSite=Strict `relief_token` cookie (the API's
`current_actor` reads it too), so a page and an API call see the same actor and the
same role and scope rules. Pages hold no logic of their own: they read through the
domain services and render Jinja2 templates in Chinese or English (`relief_lang`
cookie). Everything a page loads is served from here: no CDN, no external fonts or
tiles, because the UI runs on government intranets without internet access.

Errors: `app.py` hands domain errors and HTTP errors of UI paths to `error_page`, so a
403 (`role_forbidden`, `scope_forbidden`) or a 404 is a rendered page, while `/api/…`
keeps its JSON envelope.

The pages themselves: account.py (sign-in, sign-out, password, language), home.py (the
home page of each role, the users list), map_pages.py, duty.py, warehouse.py,
subsidies.py, subsidy_office.py, ledgers.py; routes.py gathers their routers.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from relief import clock
from relief.auth import service as auth
from relief.auth.models import SYSTEM, Actor, User
from relief.db import get_session, session_for
from relief.emergency import responses as emergency_responses
from relief.errors import N_, RETRY_AFTER_S, DomainError, not_found
from relief.i18n import catalogue, colon, has, in_brackets, listed, stored_text, translate
from relief.i18n import unit as unit_word
from relief.network import service as network
from relief.network.models import ItemRow
from relief.origin import same_site_posts
from relief.subsidies.models import yuan_text
from relief.web import netmap
from relief.web.i18n import HTML_LANG, Lang, Translator, lang_of

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


@pass_context
def _yuan(context: Any, amount: int | str | None) -> str:
    """`{{ case.amount_fen|yuan }}`: money on every page in one style, "8,100.00 元"
    (integer fen, or an API amount text such as "8100.00"); nothing for None."""
    if amount is None or amount == "":
        return ""
    fen = amount if isinstance(amount, int) else int(Decimal(amount) * 100)
    return f"{yuan_text(fen)} {translate('sub.yuan', lang_of(context.get('lang')))}"


# The Jinja2 i18n extension: `_()` / `gettext()` in templates, found by `make messages`.
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=False)
templates.env.filters["cst"] = _cst
templates.env.filters["roman"] = _roman
templates.env.filters["unit"] = _unit
templates.env.filters["stored"] = _stored
templates.env.filters["iso"] = _iso
templates.env.filters["yuan"] = _yuan


def _once() -> Markup:
    """`{{ once() }}` in a create-style form: its hidden one-time token, new at every render
    (relief.web.forms, "one-time form tokens"; static/forms.js keeps the one sent for Back)."""
    return Markup('<input type="hidden" name="form_token" value="%s">') % secrets.token_urlsafe(18)


templates.env.globals["once"] = _once
templates.env.globals["star_points"] = netmap.star_points
templates.env.globals["diamond_points"] = netmap.diamond_points


def request_lang(request: Request) -> Lang:
    return lang_of(request.cookies.get(LANG_COOKIE))


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def page_for(request: Request) -> str:
    """The GET address of the page a request belongs to: its own path for a GET, else the
    nearest parent path a page answers GET on (`/orders/8/dispatch` → `/orders/8`,
    `/login` → `/`). A form refused at its POST address links its language switch here, and
    a GET of a POST-only address (reload, bookmark) is sent here (issue 13, finding 1)."""
    if request.method in ("GET", "HEAD"):
        return _here(request)
    return page_of_path(request, request.url.path)


def page_of_path(request: Request, path: str) -> str:
    """The nearest path at or above `path` that some route of the app answers GET on."""
    routes = getattr(request.app, "routes", [])
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        candidate = "/".join(parts)
        scope = {"type": "http", "path": candidate, "method": "GET", "root_path": ""}
        for route in routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return candidate
        parts.pop()
    return "/"


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
    if actor.role in ("admin", "county_staff", "approver", "township_staff"):
        links.append(NavLink("nav.subsidies", "/subsidies/cases"))  # the pages in subsidies.py
    if actor.role in ("admin", "county_staff", "approver", "township_staff"):
        links.append(NavLink("nav.temporary", "/temporary"))  # 临时救助 (web/temporary.py)
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
    # A form refused at its POST address: the language switch goes to the page's GET address.
    page_url = context.pop("page_url", None) or page_for(request)
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
            "page_url": page_url,
            "notice": request.query_params.get("notice"),
            "switch_href": f"/lang?to={other}&next={quote(page_url, safe='')}",
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


def next_target(next: str | None) -> str:
    """The page to go to after signing in: a safe local path, else "" (the home page)."""
    target = _local_path(next)
    return "" if target == "/" else target


def password_page_for(next: str) -> str:
    return f"{PASSWORD_PAGE}?next={quote(next, safe='/')}" if next else PASSWORD_PAGE


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
        target = next_target(_here(request)) if request.method == "GET" else ""
        return RedirectResponse(password_page_for(target), status_code=303)
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


# --- what several pages show ------------------------------------------------------------------


def items_by_code(session: Session) -> dict[str, ItemRow]:
    return {item.code: item for item in network.list_items(session)}


def people_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """Username → the person's real name where the user has one (else the username)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.username).in_(wanted))).all()
    named = {u.username: u.full_name for u in users if u.full_name}
    return {u: named.get(u, u) for u in wanted}


@pass_context
def _who(context: Any, username: str | None) -> str:
    """Who did something, as a page says it: the person's real name (the page's `people`),
    the catalogue's word for the system's own rows (系统), else the username."""
    if not username:
        return ""
    if username == SYSTEM.username:
        return context["t"](N_("actor.system"))
    people = context.get("people")
    return people.get(username, username) if isinstance(people, dict) else username


templates.env.globals["who"] = _who


@pass_context
def _listed(context: Any, words: Any) -> str:
    return listed(words, context.get("lang", "zh"))


@pass_context
def _colon(context: Any) -> str:
    return colon(context.get("lang", "zh"))


@pass_context
def _in_brackets(context: Any, text: Any) -> str:
    return in_brackets(text, context.get("lang", "zh"))


# Punctuation in the page's language (issue 13 review #34/#49): `、`/`：`/`（）` in Chinese,
# `, `/`: `/` ()` in English.
templates.env.filters["listed"] = _listed
templates.env.globals["colon"] = _colon
templates.env.globals["list_sep"] = pass_context(
    lambda context: listed(["", ""], context.get("lang", "zh"))
)
templates.env.globals["in_brackets"] = _in_brackets


def place_names(session: Session) -> dict[str, str]:
    """Names of every region and warehouse by code: the ends of roads, the places of orders."""
    regions, warehouses, _, _ = network.network_records(session)
    return {**{r.code: r.name for r in regions}, **{w.code: w.name for w in warehouses}}
