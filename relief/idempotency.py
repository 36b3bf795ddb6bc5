"""Idempotency-Key for every state-changing POST/PATCH/PUT (API.md "Conventions").

A key is scoped to (user, method, path). The first request with a key inserts a marker row
(unique on that scope) before it runs; its reply is stored on the row when it finishes. A
repeat with the same body gets the stored status and body and has no effect; the same key
with another body → 409 `idempotency_key_reused`; a repeat that arrives while the first
still runs waits for it. Replies of 5xx are not kept, so a retry after a crash runs again.
Keys are kept at least 24 h (`purge_expired` deletes older ones). Bodies are compared by a
keyed fingerprint (`fingerprint`), never kept or hashed without a key: they carry ID numbers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from sqlalchemy import Text, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from relief import clock
from relief.db import UTCDateTime, session_for
from relief.errors import DomainError
from relief.keys import derive_key

KEEP_FOR = timedelta(hours=24)
# A marker whose request has not finished in this time is taken to be abandoned (a crashed
# worker) and may be taken over by a retry.
ABANDONED_AFTER = timedelta(minutes=5)
WAIT_POLL_S = 0.05
WAIT_LIMIT_S = 60.0
METHODS = frozenset({"POST", "PATCH", "PUT"})


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("username", "method", "path", "key", name="uq_idem_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    key: str = Field(max_length=255)
    body_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_body: str | None = Field(default=None, sa_type=Text)
    content_type: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=clock.now, sa_type=UTCDateTime, index=True)


def _claim(engine, username, method, path, key, body_hash) -> IdempotencyKey | None:
    """Insert the marker; None when we own the key now, else the existing row."""
    with session_for(engine, write=True) as session:
        existing = _find(session, username, method, path, key)
        if existing is not None:
            stale = (
                existing.status_code is None
                and clock.as_utc(existing.created_at) < clock.now() - ABANDONED_AFTER
            )
            if stale and existing.body_hash == body_hash:
                existing.created_at = clock.now()
                session.add(existing)
                session.commit()
                return None
            return existing
        session.add(
            IdempotencyKey(
                username=username, method=method, path=path, key=key, body_hash=body_hash
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return _find(session, username, method, path, key)
        return None


def _find(session: Session, username, method, path, key) -> IdempotencyKey | None:
    return session.exec(
        select(IdempotencyKey).where(
            IdempotencyKey.username == username,
            IdempotencyKey.method == method,
            IdempotencyKey.path == path,
            IdempotencyKey.key == key,
        )
    ).first()


def _reload(engine, row_id: int) -> IdempotencyKey | None:
    with session_for(engine, write=False) as session:
        return session.get(IdempotencyKey, row_id)


def _finish(engine, username, method, path, key, status: int, body: bytes, ctype: str) -> None:
    with session_for(engine, write=True) as session:
        row = _find(session, username, method, path, key)
        if row is None:
            return
        if status >= 500:
            session.delete(row)  # let a retry run again
        else:
            row.status_code = status
            row.response_body = body.decode("utf-8", errors="replace")
            row.content_type = ctype
            session.add(row)
        session.commit()


def purge_expired(session: Session) -> int:
    result = session.exec(  # type: ignore[call-overload]
        delete(IdempotencyKey).where(IdempotencyKey.created_at < clock.now() - KEEP_FOR)
    )
    return result.rowcount or 0


def _replay(row: IdempotencyKey) -> Response:
    return Response(
        content=row.response_body or "",
        status_code=row.status_code or 200,
        media_type=row.content_type or "application/json",
        headers={"Idempotency-Replayed": "true"},
    )


def _reused(prefer_zh: bool) -> JSONResponse:
    err = DomainError(
        "idempotency_key_reused",
        "this Idempotency-Key was used for a request with another body",
        "Idempotency-Key",
    )
    return JSONResponse({"detail": err.detail(prefer_zh)}, status_code=err.status)


class IdempotencyMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        key = request.headers.get("idempotency-key")
        if not key or request.method not in METHODS:
            return await call_next(request)
        username = _username(request)
        if username is None:  # the endpoint will answer 401
            return await call_next(request)
        engine = request.app.state.engine
        body = await request.body()
        body_hash = fingerprint(body, request.app.state.settings.secret_key)
        method, path = request.method, request.url.path
        prefer_zh = "zh" in request.headers.get("accept-language", "").split(",")[0]

        existing = await run_in_threadpool(_claim, engine, username, method, path, key, body_hash)
        if existing is not None:
            if existing.body_hash != body_hash:
                return _reused(prefer_zh)
            waited = 0.0
            while existing is not None and existing.status_code is None and waited < WAIT_LIMIT_S:
                await asyncio.sleep(WAIT_POLL_S)
                waited += WAIT_POLL_S
                existing = await run_in_threadpool(_reload, engine, existing.id)
            if existing is not None and existing.status_code is not None:
                return _replay(existing)
            err = DomainError("busy", "the first request with this key is still running", None)
            return JSONResponse({"detail": err.detail(prefer_zh)}, status_code=503)

        try:
            response = await call_next(request)
            chunks = [chunk async for chunk in response.body_iterator]
        except BaseException:
            await run_in_threadpool(_finish, engine, username, method, path, key, 500, b"", "")
            raise
        content = b"".join(chunks)
        ctype = response.headers.get("content-type", "application/json")
        await run_in_threadpool(
            _finish, engine, username, method, path, key, response.status_code, content, ctype
        )
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content=content, status_code=response.status_code, headers=headers)


def fingerprint(body: bytes, secret_key: str) -> str:
    """HMAC-SHA256 of the body's canonical form under a key derived for this use alone.

    Keyed, because bodies carry ID numbers and bank accounts: an unkeyed hash of a body
    whose masked ID leaves only the 8 birth-date digits unknown is brute-forced in seconds.
    """
    key = derive_key(secret_key, b"relief/idempotency/body-hmac-sha256")
    return hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()


def _canonical(body: bytes) -> bytes:
    """JSON bodies compare by content, not by key order or spacing."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        return body


def _username(request: Request) -> str | None:
    from relief.auth.service import username_from_token

    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else request.cookies.get("relief_token")
    if not token:
        return None
    try:
        return username_from_token(token, request.app.state.settings.secret_key)
    except DomainError:
        return None
