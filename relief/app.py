"""The FastAPI application: assembles the domain routers, error handling and middleware."""

from __future__ import annotations

import importlib.resources
import logging
import uuid
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from relief.audit import service as audit
from relief.body_limit import BodySizeLimitMiddleware, BodyTooLarge, too_large
from relief.config import Settings, get_settings
from relief.db import engine_for, ensure_schema_current
from relief.errors import N_, RETRY_AFTER_S, DomainError
from relief.i18n import Lang, api_lang, has, translate
from relief.idempotency import IdempotencyMiddleware
from relief.web import routes as web
from relief.web import shell

log = logging.getLogger("relief")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or engine_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ensure_schema_current(engine)  # refuse to serve on a schema that is behind
        yield

    app = FastAPI(
        title="relief",
        version="0.1.0",
        description="Disaster-relief emergency response and stockpile logistics",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    from relief.auth.service import limit_hashing

    limit_hashing(settings.password_hash_concurrency)

    _install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestIdMiddleware)
    # The size of a body is checked before anything inside reads it.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_upload_mb * 1024 * 1024)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: on every reply, errors included
    _mount_docs(app)

    from relief.audit.api import router as audit_router
    from relief.auth.api import router as auth_router

    app.include_router(auth_router)
    app.include_router(audit_router)
    for router in _domain_routers():
        app.include_router(router)

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def prepare_routes(routes) -> int:
    """Build each included router's route table now, at start-up; returns how many routes.

    FastAPI (0.16x) builds an included router's routes — their parameters, body and
    response models — the first time a request is matched against it, so each worker's
    first request did it for nearly every router: 0.5–0.8 CPU-seconds in the request of
    whoever came first after a start, and a few per cent of a short load run's CPU with
    four workers. Looked up with getattr: a FastAPI without these methods skips this.
    `relief serve` calls it (each worker, through `app_from_environment`); tests, which
    build an app per test, do not.
    """
    count = 0
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            count += prepare_routes(candidates())
            low_priority = getattr(route, "effective_low_priority_routes", None)
            if callable(low_priority):
                low_priority()
        else:
            count += 1
    return count


def app_from_environment() -> FastAPI:
    """The app of one worker of `relief serve --workers N` (uvicorn's factory): settings and
    engine from the environment, so every worker process builds its own pool. Nothing a
    worker keeps in memory is needed by another: sessions are signed tokens, idempotency
    keys, sign-in throttles and the audit trail live in the database."""
    app = create_app()
    prepare_routes(app.router.routes)
    return app


def _domain_routers() -> list:
    """Routers of the domain packages, in the order of the API contract."""
    from relief.allocation.api import router as allocation_router
    from relief.dispatch.api import router as dispatch_router
    from relief.emergency.api import router as emergency_router
    from relief.network.api import router as network_router
    from relief.reserve.api import router as reserve_router
    from relief.stock.api import router as stock_router
    from relief.subsidies.api import router as subsidies_router
    from relief.subsidies.temporary_api import router as temporary_router
    from relief.web.duty import router as duty_router

    routers = [
        network_router,
        stock_router,
        emergency_router,
        allocation_router,
        dispatch_router,
        subsidies_router,
        reserve_router,
        temporary_router,
    ]
    from relief.subsidies.winter_api import router as winter_router  # 冬春 (issue 15)

    routers.append(winter_router)
    from relief.distribution.api import router as distribution_router

    routers.append(distribution_router)
    from relief.funds.api import router as funds_router

    routers.append(funds_router)
    # The web UI last: its pages call the same services as the routers above.
    routers.append(web.router)
    routers.append(duty_router)
    from relief.web.warehouse import router as warehouse_pages

    routers.append(warehouse_pages)
    from relief.web.subsidies import router as subsidy_pages

    routers.append(subsidy_pages)
    from relief.web.reserve import router as reserve_pages

    routers.append(reserve_pages)
    from relief.web.funds import router as funds_pages

    routers.append(funds_pages)
    from relief.web.subsidy_office import router as subsidy_office_pages

    routers.append(subsidy_office_pages)
    from relief.web.ledgers import router as ledger_pages

    routers.append(ledger_pages)
    from relief.web.temporary import router as temporary_pages

    routers.append(temporary_pages)
    from relief.web.winter import router as winter_pages  # 冬春 (issue 15)

    routers.append(winter_pages)
    from relief.web.distribution import router as distribution_pages

    routers.append(distribution_pages)
    return routers


class RequestIdMiddleware:
    """The request's id (the caller's X-Request-ID, else a new one) for the audit trail and
    on the reply. A plain ASGI middleware: no BaseHTTPMiddleware task group per request."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        request_id = (given.decode("latin-1") or uuid.uuid4().hex)[:64]

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        token = audit.request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            audit.request_id_var.reset(token)


# What every reply carries. A response that sets its own Content-Security-Policy (the UI's
# pages, relief/web/shell.py) keeps it; the rest get DEFAULT_CSP, which lets the printable
# 调拨单 use its inline print styles and still forbids scripts and framing.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Every reply but a static file is someone's: tokens, one-time passwords, full ID numbers,
# payment lists, pages. None may stay in a browser's or a proxy's cache (HTTP/1.0 caches
# read Pragma).
NOT_STORED = {"Cache-Control": "no-store", "Pragma": "no-cache"}
STATIC_PREFIX = "/static/"
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
# Swagger UI at /docs starts from an inline script and styles its widgets inline; its
# files are served from here (/static/swagger), so 'self' covers everything else.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


class SecurityHeadersMiddleware:
    """nosniff, a Content-Security-Policy with frame-ancestors 'none' and Referrer-Policy on
    every HTTP reply: pages, JSON, print views, PDFs, static files, /docs, errors; and
    `no-store` on all of them but static files. A plain ASGI middleware, so streamed files
    pass through untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path") == "/docs" else DEFAULT_CSP
        cacheable = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = csp
                if not cacheable:
                    for name, value in NOT_STORED.items():
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


# pydantic's error types the catalogue words in Chinese (`validation.<type>`, with the error's
# context as parameters); any other type is said as `error.validation_error`.
VALIDATION_IDS: tuple[str, ...] = (
    N_("validation.missing"),
    N_("validation.int_parsing"),
    N_("validation.int_type"),
    N_("validation.int_from_float"),
    N_("validation.float_parsing"),
    N_("validation.float_type"),
    N_("validation.decimal_parsing"),
    N_("validation.bool_parsing"),
    N_("validation.bool_type"),
    N_("validation.string_type"),
    N_("validation.string_too_short"),
    N_("validation.string_too_long"),
    N_("validation.string_pattern_mismatch"),
    N_("validation.too_short"),
    N_("validation.too_long"),
    N_("validation.greater_than"),
    N_("validation.greater_than_equal"),
    N_("validation.less_than"),
    N_("validation.less_than_equal"),
    N_("validation.literal_error"),
    N_("validation.enum"),
    N_("validation.date_parsing"),
    N_("validation.date_from_datetime_parsing"),
    N_("validation.date_type"),
    N_("validation.datetime_parsing"),
    N_("validation.datetime_from_date_parsing"),
    N_("validation.datetime_type"),
    N_("validation.list_type"),
    N_("validation.dict_type"),
    N_("validation.model_type"),
    N_("validation.model_attributes_type"),
    N_("validation.extra_forbidden"),
    N_("validation.value_error"),
    N_("validation.json_invalid"),
    N_("validation.timezone_aware"),
    N_("validation.multiple_of"),
    N_("validation.decimal_max_places"),
)


def _lang(request: Request) -> Lang:
    """The language of an API error's message (API.md): the `Accept-Language`'s."""
    return api_lang(request.headers.get("accept-language"))


def validation_message(err: dict[str, Any], lang: Lang) -> str:
    """One pydantic error's message in `lang`. English is pydantic's own sentence; Chinese is
    the catalogue's `validation.<type>` with the error's context, a validator's message (a
    catalogue id, see relief.errors.Problem) or, failing both, the generic `error.validation_error`."""
    english = str(err.get("msg", "invalid"))
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, DomainError):
        return cause.text(lang)
    if isinstance(cause, ValueError) and has(str(cause), lang):
        return translate(str(cause), lang)
    if lang == "en":
        # A validator's own sentence, without pydantic's "Value error, " before it.
        return str(cause) if isinstance(cause, ValueError) and str(cause) else english
    key = f"validation.{err.get('type')}"
    if has(key, lang):
        values = {k: v for k, v in ctx.items() if isinstance(v, str | int | float)}
        if "expected" in values:
            values["expected"] = str(values["expected"])
        return translate(key, lang, **values)
    return translate("error.validation_error", lang)


def _field_path(loc: tuple[Any, ...]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or None


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if shell.renders_html(request):  # a page of the web UI: a rendered 403/404, not JSON
            return await shell.domain_error_page(request, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        if exc.status == 503:
            headers["Retry-After"] = str(RETRY_AFTER_S)
        headers.update(exc.headers)
        return JSONResponse(
            {"detail": exc.detail(_lang(request))}, status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        lang = _lang(request)
        errors = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                detail = DomainError("bad_request", "the body is not valid JSON", None)
                return JSONResponse({"detail": detail.detail(lang)}, status_code=400)
            field = _field_path(tuple(err.get("loc", ())))
            errors.append({"field": field, "message": validation_message(err, lang)})
        if errors:
            first = errors[0]
        else:
            first = {"field": None, "message": translate("error.validation_error", lang)}
        message = first["message"]
        if first["field"]:
            message = translate("validation.in_field", lang, field=first["field"], message=message)
        body = {
            "detail": {
                "code": "validation_error",
                "message": message,
                "field": first["field"],
                "errors": errors,
            }
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if isinstance(exc, BodyTooLarge):  # the body passed RELIEF_MAX_UPLOAD_MB while parsed
            err = too_large(exc.limit)
            return JSONResponse(
                {"detail": err.detail(_lang(request))},
                status_code=err.status,
                headers={"Connection": "close"},
            )
        if (
            exc.status_code == 405
            and request.method in ("GET", "HEAD")
            and shell.renders_html(request)
        ):
            # A reload or bookmark of a form's POST address (the page came back refused
            # there): the page the form is on, not "method not allowed" (issue 13, #1).
            return RedirectResponse(shell.page_of_path(request, request.url.path), 303)
        code = {
            400: "bad_request",
            401: "not_authenticated",
            403: "role_forbidden",
            404: "not_found",
            405: "method_not_allowed",
        }.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        # A page is in the page's language (its cookie), the API in its Accept-Language.
        html = shell.renders_html(request)
        lang = shell.request_lang(request) if html else _lang(request)
        if lang != "en":
            message = translate(
                f"error.{code}" if has(f"error.{code}", lang) else "error.unknown", lang
            )
        if html:
            return await shell.error_page(request, exc.status_code, code, message)
        return JSONResponse(
            {"detail": {"code": code, "message": message, "field": None}},
            status_code=exc.status_code,
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def database_busy(request: Request, exc: Exception):
        # A lock that outlasted the retries, no free connection in the pool within
        # RELIEF_DB_POOL_TIMEOUT_S, a database that did not answer within the connect
        # timeout, a statement cancelled by the statement timeout: all "retry later".
        log.warning("database busy: %s", str(exc).splitlines()[0] if str(exc) else repr(exc))
        err = DomainError("busy", "the database is busy, retry later", None)
        if shell.renders_html(request):
            return shell.busy_page(request, err)
        return JSONResponse(
            {"detail": err.detail(_lang(request))},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.exception_handler(IntegrityError)
    async def integrity_conflict(request: Request, exc: IntegrityError):
        # The schema's constraints are the last line of defence; services check first.
        log.warning("integrity error: %s", exc)
        err = DomainError("conflict", "the change conflicts with the current state", None)
        return JSONResponse({"detail": err.detail(_lang(request))}, status_code=409)

    @app.exception_handler(UnicodeError)
    async def invalid_text(request: Request, exc: UnicodeError):
        # Text that is not Unicode (a lone surrogate, JSON "\ud800") that a parser or
        # validator choked on instead of refusing: bad input, so 422 rather than a 500.
        log.warning("invalid text: %s", exc)
        err = DomainError("validation_error", "a value is not valid text (a lone surrogate)", None)
        return JSONResponse({"detail": err.detail(_lang(request))}, status_code=422)

    @app.exception_handler(DataError)
    async def unstorable_value(request: Request, exc: DataError):
        # A value the database cannot hold (NUL in text on PostgreSQL, a number out of the
        # column's range) that no schema caught: bad input, so 422 rather than a 500.
        log.warning("data error: %s", exc)
        err = DomainError("validation_error", "a value is out of range or cannot be stored", None)
        return JSONResponse({"detail": err.detail(_lang(request))}, status_code=422)


# Swagger UI 5 (from swagger-ui-py's files): the 4.x that swagger-ui-bundle ships cannot read
# the OpenAPI 3.1 documents FastAPI writes ("Unable to render this definition").
SWAGGER_UI_FILES = importlib.resources.files("swagger_ui") / "static"


def _mount_docs(app: FastAPI) -> None:
    """Browsable API docs with Swagger UI served from the installed package (no CDN)."""
    app.mount(
        "/static/swagger",
        StaticFiles(directory=str(SWAGGER_UI_FILES)),
        name="swagger",
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="relief API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )
