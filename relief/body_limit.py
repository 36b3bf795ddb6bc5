"""A ceiling on the size of every request body (`RELIEF_MAX_UPLOAD_MB`, default 20 MB).

Enforced while the body streams in, before anything buffers or parses it (Starlette's form
parser spools uploads to disk, the idempotency middleware reads the body to fingerprint it):
a declared Content-Length over the limit is answered 413 `too_large` without reading a
byte; otherwise the bytes are counted as they arrive and the request stops at the first
chunk past the limit.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relief.errors import DomainError
from relief.i18n import api_lang


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit. An HTTPException, so that
    FastAPI's body parsing passes it on instead of turning it into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large(limit).message)
        self.limit = limit


def too_large(limit: int) -> DomainError:
    return DomainError(
        "too_large",
        "the request body is larger than {mb} MB",
        "file",
        params={"mb": limit // (1024 * 1024)},
    )


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._reply(scope, receive, send, headers)
            return
        received = 0
        tripped = started = False

        async def counted_receive() -> Message:
            nonlocal received, tripped
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    tripped = True
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if tripped:
                # Whatever the app made of the interrupted body (middleware in between may
                # have wrapped the exception into a 400), the answer is 413.
                if not started:
                    started = True
                    await self._reply(scope, receive, send, headers)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except Exception:
            if not tripped or started:
                raise
            started = True
            await self._reply(scope, receive, send, headers)

    async def _reply(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        err = too_large(self.max_bytes)
        # The client may still be sending: tell it to stop instead of reading the rest.
        close = {"Connection": "close"}
        response: Response
        if scope.get("path", "").startswith("/api/"):
            response = JSONResponse(
                {"detail": err.detail(api_lang(headers.get("accept-language")))},
                status_code=413,
                headers=close,
            )
        else:  # a page of the web UI (an import form): a page, in the user's language
            english = cookie_parser(headers.get("cookie", "")).get("relief_lang") == "en"
            response = HTMLResponse(
                _page(self.max_bytes // (1024 * 1024), english), status_code=413, headers=close
            )
        await response(scope, receive, send)


def _page(limit_mb: int, english: bool) -> str:
    """Drawn without templates or the database: the request never reached the app."""
    from relief.i18n import HTML_LANG, translate

    lang = "en" if english else "zh"
    title = translate("error.too_large.title", lang)
    text = translate("error.too_large.body", lang, mb=limit_mb)
    back = translate("error.back_home", lang)
    lang = HTML_LANG[lang]
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="stylesheet" href="/static/relief.css"></head><body><main>'
        f'<h1>{title}</h1><p role="alert">{text}</p><p><a href="/">{back}</a></p>'
        "</main></body></html>"
    )
