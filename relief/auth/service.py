"""Accounts: password hashing (Argon2id), tokens (JWT, HS256), user creation."""

from __future__ import annotations

from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from relief import clock
from relief.audit import service as audit
from relief.auth.models import ROLES, Actor, User, UserCreate
from relief.errors import DomainError

_hasher = PasswordHasher()
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    # Hash even for unknown users so response time does not reveal which usernames exist.
    if user is None:
        verify_password(_DUMMY_HASH, password)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise DomainError("not_authenticated", "wrong username or password", "password")
    return user


def issue_token(user: User, secret_key: str, hours: int) -> str:
    issued = clock.now()
    payload = {
        "sub": user.username,
        "role": user.role,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(hours=hours)).timestamp()),
    }
    return jwt.encode(payload, secret_key, algorithm=ALGORITHM)


def username_from_token(token: str, secret_key: str) -> str:
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
    return sub


def user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    from relief.network import service as network  # network owns the codes a scope names

    if data.role not in ROLES:
        raise DomainError("validation_error", f"unknown role {data.role}", "role")
    if user_by_username(session, data.username) is not None:
        raise DomainError("duplicate", f"user {data.username} already exists", "username")
    if data.role == "warehouse_manager" and not data.warehouse_codes:
        raise DomainError(
            "validation_error",
            "a warehouse manager needs at least one warehouse",
            "warehouse_codes",
        )
    if data.role in ("county_staff", "approver") and not data.region_codes:
        raise DomainError("validation_error", f"a {data.role} needs a region", "region_codes")
    for i, code in enumerate(data.warehouse_codes):
        if network.get_warehouse(session, code) is None:
            raise DomainError("unknown_code", f"unknown warehouse {code}", f"warehouse_codes[{i}]")
    for i, code in enumerate(data.region_codes):
        if network.get_region(session, code) is None:
            raise DomainError("unknown_code", f"unknown region {code}", f"region_codes[{i}]")
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role,
        warehouse_codes=list(data.warehouse_codes),
        region_codes=list(data.region_codes),
        display_name=data.display_name,
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


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)).all())


_DUMMY_HASH = _hasher.hash("relief-dummy-password")
