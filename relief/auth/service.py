"""Accounts: password hashing (Argon2id), the password policy, sign-in with throttling,
tokens (JWT, HS256) that sign-out and password changes revoke, and user administration.

Sign-in throttling lives in the database (`sign_in_throttles`), so several worker processes
count the same failures: after `sign_in_max_failures` failures for one account, or
`sign_in_address_max_failures` from one client address, further attempts are refused with
429 `too_many_attempts` for `sign_in_lock_minutes`, without hashing. Every attempt is
counted as a failure, in its own short transaction with the counters locked, before its
password is checked (outside any transaction): so even a burst of parallel guesses checks at
most the limit's worth of passwords. A success takes its count back afterwards.

Tokens carry the user's `session_version` (`sv`); raising it revokes every token the user
holds. Signing in does not raise it (other sessions stay valid); signing out, a password
change or reset, and disabling do.
"""

from __future__ import annotations

import math
import secrets
import threading
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from relief import clock
from relief.audit import service as audit
from relief.auth.models import ROLES, SYSTEM, Actor, SignInThrottle, User, UserCreate, UserUpdate
from relief.config import Settings
from relief.errors import DomainError, Term

_hasher = PasswordHasher()
ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

# Each Argon2 hash takes 64 MiB: without a bound, a burst of parallel sign-ins takes the
# server's memory (160 at once took 4 GB). Set per process from the settings.
_hash_slots = threading.BoundedSemaphore(4)


def limit_hashing(concurrency: int) -> None:
    """How many password hashes this process computes at once (settings)."""
    global _hash_slots
    _hash_slots = threading.BoundedSemaphore(max(1, concurrency))


# --- passwords -----------------------------------------------------------------------------


def hash_password(password: str) -> str:
    with _hash_slots:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with _hash_slots:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


@lru_cache
def _dummy_hash_for(hasher: object) -> str:
    return hasher.hash("relief-dummy-password")  # type: ignore[attr-defined]


def _dummy_hash() -> str:
    """A hash with the current hasher's cost, verified for unknown and disabled users so that
    their sign-ins take as long as a wrong password for a real one."""
    return _dummy_hash_for(_hasher)


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, field: str = "password") -> None:
    """The whole policy: at least 10 characters and not a commonly used password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password",
            "a password needs at least {min_length} characters",
            field,
            params={"min_length": MIN_PASSWORD_LENGTH},
        )
    if password.lower() in common_passwords():
        raise DomainError(
            "weak_password",
            "this password is too common: choose another",
            field,
        )


def one_time_password() -> str:
    """A password handed to a user by someone else (demo, reset): 16 random characters."""
    return secrets.token_urlsafe(12)


# --- sign-in -------------------------------------------------------------------------------


def authenticate(session: Session, username: str, password: str) -> User:
    """The user with this password, or `not_authenticated`. Unknown, disabled and
    wrong-password sign-ins all verify exactly one hash, so they take the same time."""
    return _checked(user_by_username(session, username), password)


def _checked(user: User | None, password: str) -> User:
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)
        raise DomainError("not_authenticated", "wrong username or password", "password")
    if not verify_password(user.password_hash, password):
        raise DomainError("not_authenticated", "wrong username or password", "password")
    return user


def _throttle_keys(username: str, address: str) -> list[tuple[str, str]]:
    return [("account", f"account:{username[:64]}"), ("address", f"address:{address[:120]}")]


def _limit(kind: str, settings: Settings) -> int:
    if kind == "account":
        return settings.sign_in_max_failures
    return settings.sign_in_address_max_failures


def _too_many_attempts(until: datetime) -> DomainError:
    seconds = max(1, math.ceil((until - clock.now()).total_seconds()))
    return DomainError(
        "too_many_attempts",
        "too many failed sign-ins: try again in {minutes} minutes",
        None,
        extra={"retry_after": seconds},
        headers={"Retry-After": str(seconds)},
        params={"minutes": math.ceil(seconds / 60)},
    )


def _throttle_row(session: Session, key: str) -> SignInThrottle:
    """The row for `key`, locked for this transaction; created when missing (a racing
    creator wins and this one reads its row)."""
    query = select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
    row = session.exec(query).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(SignInThrottle(key=key, failures=0))
    except IntegrityError:
        pass
    return session.exec(query).one()


def _locked_rows(session: Session, username: str, address: str) -> list[tuple[str, SignInThrottle]]:
    """Both counters, locked (FOR UPDATE; on SQLite the request's BEGIN IMMEDIATE), always
    the account's before the address's, so that two sign-ins never deadlock."""
    return [(kind, _throttle_row(session, key)) for kind, key in _throttle_keys(username, address)]


def _count_attempt(session: Session, username: str, address: str, settings: Settings) -> None:
    """Count this attempt as a failure before its password is checked, and commit.

    The count includes attempts still being checked, so however many arrive at once, at most
    the limit of them go on to verify a password; the rest are refused (429) without hashing.
    A success takes its count back (`_settle_success`)."""
    now = clock.now()
    window = timedelta(minutes=settings.sign_in_lock_minutes)
    try:
        rows = _locked_rows(session, username, address)
        refusal = None
        for kind, row in rows:
            locked = clock.as_utc(row.locked_until) if row.locked_until else None
            if locked is not None and locked > now:
                refusal = max(refusal or locked, locked)
                continue
            started = clock.as_utc(row.first_failure_at) if row.first_failure_at else None
            if started is None or now - started > window:
                row.failures, row.first_failure_at = 0, now
            if row.failures >= _limit(kind, settings):
                # The limit's worth of attempts are being checked right now: until they end,
                # the count's window is the longest this one could have to wait.
                until = clock.as_utc(row.first_failure_at) + window
                refusal = max(refusal or until, until)
        if refusal is not None:
            raise _too_many_attempts(refusal)
        for _, row in rows:
            row.failures += 1
            session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _settle_failure(
    session: Session, username: str, address: str, settings: Settings, reason: str
) -> None:
    """The attempt stays counted; a counter that reached its limit locks (audited)."""
    now = clock.now()
    window = timedelta(minutes=settings.sign_in_lock_minutes)
    audit.record(
        session,
        SYSTEM,
        "sign_in_failed",
        "user",
        username[:64],
        None,
        {"address": address, "reason": reason},
    )
    for kind, row in _locked_rows(session, username, address):
        locked = clock.as_utc(row.locked_until) if row.locked_until else None
        if row.failures < _limit(kind, settings) or (locked is not None and locked > now):
            continue
        row.locked_until = now + window
        row.failures, row.first_failure_at = 0, None
        audit.record(
            session,
            SYSTEM,
            "sign_in_locked",
            "sign_in",
            row.key,
            None,
            {"address": address, "locked_until": row.locked_until.isoformat()},
        )
        session.add(row)
    session.commit()


def _settle_success(session: Session, username: str, address: str) -> None:
    """The right password: the account's failures are forgiven, and this attempt no longer
    counts against the address."""
    for kind, row in _locked_rows(session, username, address):
        if kind == "account":
            row.failures, row.first_failure_at = 0, None
        else:
            row.failures = max(0, row.failures - 1)
        session.add(row)
    session.commit()


def _verify_counted(
    session: Session,
    username: str,
    user: User | None,
    password: str,
    address: str,
    settings: Settings,
    reason: str,
) -> bool:
    """Whether `password` is the user's, checked in no transaction (no database lock is held
    while Argon2 runs) after `_count_attempt`; the outcome is settled in a second one."""
    session.commit()  # end the transaction that read the user, if any
    try:
        _checked(user, password)
    except DomainError:
        _settle_failure(session, username, address, settings, reason)
        return False
    _settle_success(session, username, address)
    return True


def sign_in(
    session: Session, username: str, password: str, address: str, settings: Settings
) -> User:
    """`authenticate`, throttled per account and per client address. Locked, or the limit's
    worth of attempts already under way: 429 `too_many_attempts` (with Retry-After) before
    any hashing, even for the right password."""
    _count_attempt(session, username, address, settings)
    user = user_by_username(session, username)
    if not _verify_counted(
        session, username, user, password, address, settings, "not_authenticated"
    ):
        raise DomainError("not_authenticated", "wrong username or password", "password")
    assert user is not None  # _checked refused a missing user
    return user


def clear_sign_in_lock(session: Session, username: str) -> None:
    account = session.get(SignInThrottle, f"account:{username[:64]}")
    if account is not None:
        session.delete(account)


# --- tokens --------------------------------------------------------------------------------


def issue_token(user: User, secret_key: str, hours: int) -> str:
    issued = clock.now()
    payload = {
        "sub": user.username,
        "role": user.role,
        "sv": user.session_version,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(hours=hours)).timestamp()),
    }
    return jwt.encode(payload, secret_key, algorithm=ALGORITHM)


def _claims(token: str, secret_key: str) -> dict:
    try:
        payload = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise DomainError("not_authenticated", "invalid token", None) from exc
    # Expiry is checked against relief's clock (relief/clock.py), not PyJWT's own reading of
    # the system clock (its `iat` check is off for the same reason), so a moved clock means
    # the same for issuing and checking.
    exp, sub = payload["exp"], payload["sub"]
    # A validly signed token with claims of the wrong type is as bad as a forged one.
    if isinstance(exp, bool) or not isinstance(exp, int | float) or not isinstance(sub, str):
        raise DomainError("not_authenticated", "invalid token", None)
    if exp < clock.now().timestamp():
        raise DomainError("not_authenticated", "token expired", None)
    return payload


def username_from_token(token: str, secret_key: str) -> str:
    """Whose token this is, by signature and expiry alone (not whether it was revoked)."""
    return str(_claims(token, secret_key)["sub"])


def user_for_token(session: Session, token: str, secret_key: str) -> User:
    """The active user a token was issued to, unless it has since been revoked."""
    payload = _claims(token, secret_key)
    user = user_by_username(session, str(payload["sub"]))
    if user is None or not user.active:
        raise DomainError("not_authenticated", "unknown or inactive user", None)
    if payload.get("sv") != user.session_version:
        raise DomainError("not_authenticated", "this session has ended: sign in again", None)
    return user


def revoke_sessions(session: Session, user: User) -> None:
    user.session_version += 1
    session.add(user)


def sign_out(session: Session, user: User) -> None:
    """Ends every session of this user (one version for all their tokens)."""
    revoke_sessions(session, user)
    audit.record(session, Actor.of(user), "sign_out", "user", user.username)


# --- users ---------------------------------------------------------------------------------


def user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def _user(session: Session, username: str) -> User:
    user = user_by_username(session, username)
    if user is None:
        raise DomainError(
            "not_found", "user {username} does not exist", None, params={"username": username}
        )
    return user


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    from relief.network import service as network  # network owns the codes a scope names

    if data.role not in ROLES:
        raise DomainError(
            "validation_error", "unknown role {role}", "role", params={"role": data.role}
        )
    check_password(data.password)
    if user_by_username(session, data.username) is not None:
        raise DomainError(
            "duplicate",
            "user {username} already exists",
            "username",
            params={"username": data.username},
        )
    if data.role == "warehouse_manager" and not data.warehouse_codes:
        raise DomainError(
            "validation_error",
            "a warehouse manager needs at least one warehouse",
            "warehouse_codes",
        )
    if data.role in ("county_staff", "approver", "township_staff") and not data.region_codes:
        raise DomainError(
            "validation_error",
            "a {role} needs a region",
            "region_codes",
            params={"role": Term(f"role.{data.role}")},
        )
    for i, code in enumerate(data.warehouse_codes):
        if network.get_warehouse(session, code) is None:
            raise DomainError(
                "unknown_code",
                "unknown warehouse {code}",
                f"warehouse_codes[{i}]",
                params={"code": code},
            )
    for i, code in enumerate(data.region_codes):
        if network.get_region(session, code) is None:
            raise DomainError(
                "unknown_code", "unknown region {code}", f"region_codes[{i}]", params={"code": code}
            )
    if data.role == "township_staff":
        # 乡镇民政助理: exactly one region, and it is a township (issue 15).
        region = network.get_region(session, data.region_codes[0])
        if len(data.region_codes) != 1 or region is None or region.level != "township":
            code = data.region_codes[0]
            raise DomainError(
                "validation_error",
                "township staff look after one township; {code} is not a township",
                "region_codes",
                params={"code": code},
            )
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role,
        warehouse_codes=list(data.warehouse_codes),
        region_codes=list(data.region_codes),
        display_name=data.display_name,
        full_name=data.full_name.strip() if data.full_name else None,
        phone=data.phone.strip() if data.phone else None,
        must_change_password=data.must_change_password,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "user",
        user.username,
        None,
        audit.snapshot(user, {"password_hash"}),
    )
    return user


def update_user(session: Session, actor: Actor, username: str, data: UserUpdate) -> User:
    """An admin sets a user's full name and phone (the fields sent; null clears one), so that
    a duty officer can call them; audited with the values before and after."""
    user = _user(session, username)
    before = {"full_name": user.full_name, "phone": user.phone}
    for name in data.model_fields_set:
        value = getattr(data, name)
        value = value.strip() if isinstance(value, str) else None
        if name == "full_name" and value is not None and not value:
            raise DomainError("validation_error", "the full name is empty", "full_name")
        setattr(user, name, value or None)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "user",
        username,
        before,
        {"full_name": user.full_name, "phone": user.phone},
    )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)).all())


def change_password(
    session: Session, user: User, current: str, new: str, address: str, settings: Settings
) -> User:
    """The user's own change: the current password is checked like a sign-in (a stolen
    token cannot guess it unthrottled); every session, this one included, ends."""
    _count_attempt(session, user.username, address, settings)
    if not _verify_counted(
        session, user.username, user, current, address, settings, "wrong_password"
    ):
        raise DomainError("wrong_password", "the current password is wrong", "current_password")
    check_password(new, "new_password")
    if new == current:
        raise DomainError(
            "weak_password",
            "the new password must differ from the current one",
            "new_password",
        )
    user.password_hash = hash_password(new)
    user.must_change_password = False
    revoke_sessions(session, user)
    audit.record(session, Actor.of(user), "change_password", "user", user.username)
    return user


def set_password(session: Session, actor: Actor, username: str, password: str) -> User:
    """An admin (or the demo) sets a password that someone else saw: it must be changed at
    first sign-in, and every session of the user ends."""
    check_password(password)
    user = _user(session, username)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    revoke_sessions(session, user)
    clear_sign_in_lock(session, username)
    audit.record(session, actor, "reset_password", "user", username)
    return user


def reset_password(session: Session, actor: Actor, username: str) -> tuple[User, str]:
    """A new one-time password for the user (returned once, never stored in clear)."""
    password = one_time_password()
    return set_password(session, actor, username, password), password


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    """Disable (every session ends at once) or enable an account."""
    user = _user(session, username)
    if not active and actor.username == username:
        raise DomainError("invalid_transition", "you cannot disable your own account", None)
    before = {"active": user.active}
    user.active = active
    if not active:
        revoke_sessions(session, user)
    else:
        clear_sign_in_lock(session, username)
    audit.record(
        session,
        actor,
        "enable" if active else "disable",
        "user",
        username,
        before,
        {"active": active},
    )
    return user
