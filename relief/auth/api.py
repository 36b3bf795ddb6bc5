"""Routes: token, sign-out, me and my password, users and their administration."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import Session

from relief.auth import service
from relief.auth.deps import actor_changing_password, require
from relief.auth.models import (
    Actor,
    OneTimePassword,
    PasswordChange,
    SignedOut,
    Token,
    UserCreate,
    UserOut,
    UserStatus,
    UserUpdate,
)
from relief.db import get_session

router = APIRouter(prefix="/api/v1", tags=["auth"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _token_for(request: Request, user) -> Token:
    settings = request.app.state.settings
    return Token(access_token=service.issue_token(user, settings.secret_key, settings.token_hours))


@router.post("/auth/token", response_model=Token)
def token(
    request: Request,
    form: OAuth2PasswordRequestForm = Depends(),
    session: Session = Depends(get_session),
) -> Token:
    settings = request.app.state.settings
    user = service.sign_in(session, form.username, form.password, client_address(request), settings)
    session.commit()
    return _token_for(request, user)


@router.post("/auth/logout", response_model=SignedOut)
def logout(
    actor: Actor = Depends(actor_changing_password), session: Session = Depends(get_session)
) -> SignedOut:
    """Ends every session of the caller (all their tokens), not only this one."""
    user = service.user_by_username(session, actor.username)
    service.sign_out(session, user)
    session.commit()
    return SignedOut()


@router.get("/me", response_model=UserOut)
def me(
    actor: Actor = Depends(actor_changing_password), session: Session = Depends(get_session)
) -> UserOut:
    user = service.user_by_username(session, actor.username)
    return UserOut(
        username=actor.username,
        role=actor.role,
        warehouse_codes=list(actor.warehouse_codes),
        region_codes=list(actor.region_codes),
        full_name=user.full_name if user else None,
        phone=user.phone if user else None,
    )


@router.post("/me/password", response_model=Token)
def change_my_password(
    request: Request,
    body: PasswordChange,
    actor: Actor = Depends(actor_changing_password),
    session: Session = Depends(get_session),
) -> Token:
    """Every session ends, this one too; the reply is a fresh token for the caller."""
    user = service.user_by_username(session, actor.username)
    service.change_password(
        session,
        user,
        body.current_password,
        body.new_password,
        client_address(request),
        request.app.state.settings,
    )
    session.commit()
    return _token_for(request, user)


@router.get("/users", response_model=list[UserOut])
def list_users(
    _: Actor = Depends(require()), session: Session = Depends(get_session)
) -> list[UserOut]:
    return [UserOut.model_validate(u, from_attributes=True) for u in service.list_users(session)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(
    body: UserCreate,
    actor: Actor = Depends(require()),
    session: Session = Depends(get_session),
) -> UserOut:
    user = service.create_user(session, actor, body)
    session.commit()
    return UserOut.model_validate(user, from_attributes=True)


@router.patch("/users/{username}", response_model=UserOut)
def update_user(
    username: str,
    body: UserUpdate,
    actor: Actor = Depends(require()),
    session: Session = Depends(get_session),
) -> UserOut:
    """admin: a user's `full_name` and `phone` (the fields sent; null clears one), audited."""
    user = service.update_user(session, actor, username, body)
    session.commit()
    return UserOut.model_validate(user, from_attributes=True)


@router.post("/users/{username}/disable", response_model=UserStatus)
def disable_user(
    username: str, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> UserStatus:
    user = service.set_active(session, actor, username, False)
    session.commit()
    return UserStatus.model_validate(user, from_attributes=True)


@router.post("/users/{username}/enable", response_model=UserStatus)
def enable_user(
    username: str, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> UserStatus:
    user = service.set_active(session, actor, username, True)
    session.commit()
    return UserStatus.model_validate(user, from_attributes=True)


@router.post("/users/{username}/reset-password", response_model=OneTimePassword)
def reset_user_password(
    username: str, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> OneTimePassword:
    """A one-time password, shown once; the user must change it at first sign-in."""
    _, password = service.reset_password(session, actor, username)
    session.commit()
    return OneTimePassword(username=username, one_time_password=password)
