"""Idempotency-Key for every state-changing POST/PATCH/PUT (API.md "Conventions").

A key is scoped to (user, method, path). The first request with a key inserts a marker row
(unique on that scope) before it runs; its reply is stored on the row when it finishes. A
repeat with the same body gets the stored status and body and has no effect; the same key
with another body → 409 `idempotency_key_reused`; a repeat that arrives while the first
still runs waits for it. Replies of 5xx are not kept, so a retry after a crash runs again.

A running request holds its key on a lease (`lease_until`, LEASE ahead) that it renews every
RENEW_EVERY_S while it runs: a live request is never run twice, and the key of a worker that
died is taken over by the first retry once its lease has lapsed (within LEASE, not minutes).
Multipart bodies are fingerprinted by their fields and files (name, filename, hash of the
bytes), not their bytes, so a retry that picked another random boundary is still a repeat;
they are parsed streaming, a chunk at a time, never copied whole.
Keys are kept at least 24 h (`purge_expired` deletes older ones). Bodies are compared by a
keyed fingerprint (`fingerprint`), never kept or hashed without a key: they carry ID numbers.
Replies are kept encrypted (`seal_reply`, Fernet under a key derived for this use alone) and
decrypted only to be replayed: they carry one-time passwords, fresh tokens and ID numbers.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from sqlalchemy import Text, UniqueConstraint, delete, or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Field, Session, SQLModel, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from relief import clock
from relief.auth.models import User
from relief.db import UTCDateTime, session_for
from relief.errors import DomainError
from relief.i18n import api_lang
from relief.keys import derive_key

KEEP_FOR = timedelta(hours=24)
# A running request's hold on its key: renewed every RENEW_EVERY_S while it runs; a key whose
# lease has lapsed belongs to a dead worker and is taken over by the next retry.
LEASE = timedelta(seconds=30)
RENEW_EVERY_S = 10.0
WAIT_POLL_S = 0.05
WAIT_LIMIT_S = 60.0
METHODS = frozenset({"POST", "PATCH", "PUT"})
# request.state's name for (token, user) checked by the middleware for this request.
VERIFIED = "relief_verified_user"


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
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


def _claim(engine, username, method, path, key, body_hash) -> IdempotencyKey | None:
    """Insert the marker; None when we own the key now, else the existing row."""
    with session_for(engine, write=True) as session:
        return _claim_in(session, username, method, path, key, body_hash)


def _claim_in(session: Session, username, method, path, key, body_hash) -> IdempotencyKey | None:
    """`_claim` on an open session. The insert comes first: a new key (nearly every request)
    costs one INSERT; a key already there fails the unique constraint, and only then is its
    row read (a repeat, or a key a dead worker's lease still holds)."""
    for _ in range(3):
        session.add(
            IdempotencyKey(
                username=username,
                method=method,
                path=path,
                key=key,
                body_hash=body_hash,
                lease_until=clock.now() + LEASE,
            )
        )
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        existing = _find(session, username, method, path, key)
        if existing is None:
            continue  # gone in between (a 5xx let it go): insert again
        if existing.body_hash == body_hash and _take_over(session, existing):
            return None
        return existing
    return None  # the key came and went three times: run it (as before this loop)


def _claim_for_token(
    engine, token: str | None, secret_key: str, method, path, key, body_hash
) -> tuple[User | None, IdempotencyKey | None]:
    """The caller (None: the endpoint will answer 401, nothing is claimed) and `_claim`'s
    answer, on one connection: one checkout instead of two per keyed request. The caller
    comes back detached, loaded, for the endpoint (`VERIFIED`)."""
    if not token:
        return None, None
    with session_for(engine, write=True) as session:
        user = _user_in(session, token, secret_key)
        if user is None:
            return None, None
        session.expunge(user)  # kept as read, whatever the claim commits or rolls back
        return user, _claim_in(session, user.username, method, path, key, body_hash)


def _take_over(session: Session, row: IdempotencyKey) -> bool:
    """Take the key of a request whose lease has lapsed (its worker died). One UPDATE with
    the lapse in its WHERE, so of two retries that race for it only one wins."""
    now = clock.now()
    result = session.exec(  # type: ignore[call-overload]
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == row.id,
            IdempotencyKey.status_code.is_(None),  # type: ignore[union-attr]
            or_(
                IdempotencyKey.lease_until.is_(None),  # type: ignore[union-attr]
                IdempotencyKey.lease_until < now,  # type: ignore[operator]
            ),
        )
        .values(lease_until=now + LEASE)
    )
    session.commit()
    return (result.rowcount or 0) == 1


def renew_lease(engine, username, method, path, key) -> bool:
    """Extend a running request's hold on its key; False once it has finished."""
    with session_for(engine, write=True) as session:
        result = session.exec(  # type: ignore[call-overload]
            update(IdempotencyKey)
            .where(
                IdempotencyKey.username == username,
                IdempotencyKey.method == method,
                IdempotencyKey.path == path,
                IdempotencyKey.key == key,
                IdempotencyKey.status_code.is_(None),  # type: ignore[union-attr]
            )
            .values(lease_until=clock.now() + LEASE)
        )
        session.commit()
        return (result.rowcount or 0) == 1


async def _keep_leased(engine, username, method, path, key) -> None:
    while True:
        await asyncio.sleep(RENEW_EVERY_S)
        try:
            if not await run_in_threadpool(renew_lease, engine, username, method, path, key):
                return
        except OperationalError:  # a busy database: try again at the next beat
            continue


def _lapsed(row: IdempotencyKey) -> bool:
    return row.status_code is None and (
        row.lease_until is None or clock.as_utc(row.lease_until) < clock.now()
    )


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


SEALED = "fernet:"


def _reply_cipher(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret_key, b"relief/idempotency/reply")))


def seal_reply(body: bytes, secret_key: str) -> str:
    """A reply as it is kept on its key's row: encrypted and authenticated."""
    return SEALED + _reply_cipher(secret_key).encrypt(body).decode("ascii")


def open_reply(stored: str | None, secret_key: str) -> bytes:
    """The reply kept by `seal_reply`. A row kept in clear before replies were sealed is
    replayed as it is (it is gone within KEEP_FOR); one that no longer decrypts (the secret
    key changed) replays its status with an empty body rather than failing."""
    if not stored:
        return b""
    if not stored.startswith(SEALED):
        return stored.encode("utf-8")
    try:
        return _reply_cipher(secret_key).decrypt(stored[len(SEALED) :].encode("ascii"))
    except (InvalidToken, ValueError):
        return b""


def _finish(
    engine, username, method, path, key, status: int, body: bytes, ctype: str, secret_key: str
) -> None:
    """Keep the reply on the key's row (one UPDATE), or drop the row after a 5xx."""
    scope = (
        IdempotencyKey.username == username,
        IdempotencyKey.method == method,
        IdempotencyKey.path == path,
        IdempotencyKey.key == key,
    )
    with session_for(engine, write=True) as session:
        if status >= 500:
            session.exec(delete(IdempotencyKey).where(*scope))  # type: ignore[call-overload]
        else:
            session.exec(  # type: ignore[call-overload]
                update(IdempotencyKey)
                .where(*scope)
                .values(
                    status_code=status,
                    response_body=seal_reply(body, secret_key),
                    content_type=ctype,
                )
            )
        session.commit()


def purge_expired(session: Session) -> int:
    result = session.exec(  # type: ignore[call-overload]
        delete(IdempotencyKey).where(IdempotencyKey.created_at < clock.now() - KEEP_FOR)
    )
    return result.rowcount or 0


def _replay(row: IdempotencyKey, secret_key: str) -> Response:
    return Response(
        content=open_reply(row.response_body, secret_key),
        status_code=row.status_code or 200,
        media_type=row.content_type or "application/json",
        headers={"Idempotency-Replayed": "true"},
    )


def _reused(lang: str) -> JSONResponse:
    err = DomainError(
        "idempotency_key_reused",
        "this Idempotency-Key was used for a request with another body",
        "Idempotency-Key",
    )
    return JSONResponse({"detail": err.detail(lang)}, status_code=err.status)


class IdempotencyMiddleware:
    """Requests without a key, and reads, go straight through (a plain ASGI check, no
    BaseHTTPMiddleware task group per request); keyed writes go to `_KeyedRequests`."""

    def __init__(self, app) -> None:
        self.app = app
        self.keyed = _KeyedRequests(app)

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method") in METHODS
            and any(name == b"idempotency-key" for name, _ in scope.get("headers", ()))
        ):
            await self.keyed(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _KeyedRequests:
    """A keyed write: claim its key, run it (or wait for, or replay, the first run), keep its
    reply. Plain ASGI like the rest: the body is read once and handed on, the reply is
    buffered to be kept, with no task group or memory streams per request."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope)
        body = await _read_body(receive)
        inner = _replaying(body, receive)
        engine = request.app.state.engine
        secret = request.app.state.settings.secret_key
        body_hash = fingerprint(body, secret, request.headers.get("content-type", ""))
        method, path = request.method, request.url.path
        key = request.headers["idempotency-key"]
        lang = api_lang(request.headers.get("accept-language"))
        token = _token(request)
        user, existing = await run_in_threadpool(
            _claim_for_token, engine, token, secret, method, path, key, body_hash
        )
        if user is None:  # the endpoint will answer 401
            await self.app(scope, inner, send)
            return
        # The endpoint's sign-in check takes this caller for the same token, not a second
        # lookup (relief.auth.deps.signed_in_user).
        scope.setdefault("state", {})[VERIFIED] = (token, user)
        claim = (engine, user.username, method, path, key)

        waited = 0.0
        first = True
        while True:
            if not first:
                existing = await run_in_threadpool(_claim, *claim, body_hash)
            first = False
            if existing is None:
                break  # ours: run it
            if existing.body_hash != body_hash:
                await _reused(lang)(scope, inner, send)
                return
            # Wait for the first request to finish, or for its lease to lapse (then claim).
            while existing is not None and existing.status_code is None and not _lapsed(existing):
                if waited >= WAIT_LIMIT_S:
                    err = DomainError(
                        "busy", "the first request with this key is still running", None
                    )
                    busy = JSONResponse({"detail": err.detail(lang)}, status_code=503)
                    await busy(scope, inner, send)
                    return
                await asyncio.sleep(WAIT_POLL_S)
                waited += WAIT_POLL_S
                existing = await run_in_threadpool(_reload, engine, existing.id)
            if existing is not None and existing.status_code is not None:
                await _replay(existing, secret)(scope, inner, send)
                return
            # Gone (a 5xx let it go) or lapsed: try to claim it again.

        reply: dict = {}
        chunks: list[bytes] = []

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                reply.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        renewal = asyncio.create_task(_keep_leased(*claim))
        try:
            await self.app(scope, inner, keep)
        except BaseException:
            renewal.cancel()
            await run_in_threadpool(_finish, *claim, 500, b"", "", secret)
            raise
        renewal.cancel()
        content = b"".join(chunks)
        headers = MutableHeaders(raw=list(reply.get("headers", [])))
        ctype = headers.get("content-type", "application/json")
        await run_in_threadpool(_finish, *claim, reply["status"], content, ctype, secret)
        headers["content-length"] = str(len(content))
        await send({**reply, "headers": headers.raw})
        await send({"type": "http.response.body", "body": content})


async def _read_body(receive) -> bytes:
    """The whole request body (the body limit outside bounds its size). A client that goes
    away in the middle raises ClientDisconnect, as Starlette's `request.body()` does: a
    partial body must not claim the key (its retry, whole, would be refused as another
    body)."""
    parts = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replaying(body: bytes, receive):
    """A receive that gives the app the body already read, then listens to the client as
    the original did (a disconnect while the app runs)."""
    sent = False

    async def inner():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return inner


def fingerprint(body: bytes, secret_key: str, content_type: str = "") -> str:
    """HMAC-SHA256 of the body's canonical form under a key derived for this use alone.

    Keyed, because bodies carry ID numbers and bank accounts: an unkeyed hash of a body
    whose masked ID leaves only the 8 birth-date digits unknown is brute-forced in seconds.
    A multipart body is fingerprinted by its fields and files, not its random boundary.
    """
    key = derive_key(secret_key, b"relief/idempotency/body-hmac-sha256")
    mac = hmac.new(key, digestmod=hashlib.sha256)
    fields = multipart_fields(body, content_type)
    if fields is None:
        mac.update(b"body\0" + _canonical(body))
    else:
        mac.update(b"multipart\0")
        for name, filename, content in fields:
            for piece in (name.encode(), (filename or "").encode(), content):
                mac.update(len(piece).to_bytes(8, "big") + piece)
    return mac.hexdigest()


_CHUNK = 64 * 1024


def multipart_fields(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]] | None:
    """(name, filename, SHA-256 of the bytes) of each part of a multipart/form-data body,
    sorted; None for another kind of body or one that does not parse.

    Streamed: the body is fed to python-multipart a chunk at a time and each part's bytes go
    into its hash as they are found, so no copy of an upload is made (the email parser this
    replaces held ~10 copies of it)."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return None
    parts: list[tuple[str, str | None, bytes]] = []
    header: dict[str, bytearray] = {"field": bytearray(), "value": bytearray()}
    current: dict[str, object] = {}

    def on_part_begin() -> None:
        current.clear()
        current["hash"] = hashlib.sha256()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] += data[start:end]

    def on_header_end() -> None:
        if bytes(header["field"]).lower() == b"content-disposition":
            current["disposition"] = bytes(header["value"])
        header["field"].clear()
        header["value"].clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current["hash"].update(memoryview(data)[start:end])  # type: ignore[attr-defined]

    def on_part_end() -> None:
        _, params = parse_options_header(current.get("disposition", b""))  # type: ignore[arg-type]
        name = params.get(b"name")
        if name is None:
            raise ValueError("a part without a name")
        filename = params.get(b"filename")
        parts.append(
            (
                name.decode("utf-8", "surrogateescape"),
                None if filename is None else filename.decode("utf-8", "surrogateescape"),
                current["hash"].digest(),  # type: ignore[attr-defined]
            )
        )

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        view = memoryview(body)
        for offset in range(0, len(body), _CHUNK):
            parser.write(bytes(view[offset : offset + _CHUNK]))
        parser.finalize()
    except Exception:  # a malformed body is fingerprinted by its bytes
        return None
    if not parts or parser.state != MultipartState.END:
        return None
    return sorted(parts, key=lambda p: (p[0], p[1] or "", p[2]))


def _canonical(body: bytes) -> bytes:
    """JSON bodies compare by content, not by key order or spacing."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        return body


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else request.cookies.get("relief_token")
    return token or None


def _user_in(session: Session, token: str, secret_key: str) -> User | None:
    """The caller, if their token is valid now: signed, unexpired and not revoked (a token
    ended by sign-out or a password change must not replay the replies it once got)."""
    from relief.auth.service import user_for_token

    try:
        return user_for_token(session, token, secret_key)
    except DomainError:
        return None
