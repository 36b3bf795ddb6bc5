"""Routes: token, me, users."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import Session

from relief.auth import service
from relief.auth.deps import current_actor, require
from relief.auth.models import Actor, Token, UserCreate, UserOut
from relief.db import get_session

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=Token)
def token(
    request: Request,
    form: OAuth2PasswordRequestForm = Depends(),
    session: Session = Depends(get_session),
) -> Token:
    user = service.authenticate(session, form.username, form.password)
    settings = request.app.state.settings
    return Token(access_token=service.issue_token(user, settings.secret_key, settings.token_hours))


@router.get("/me", response_model=UserOut)
def me(actor: Actor = Depends(current_actor)) -> UserOut:
    return UserOut(
        username=actor.username,
        role=actor.role,
        warehouse_codes=list(actor.warehouse_codes),
        region_codes=list(actor.region_codes),
    )


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
