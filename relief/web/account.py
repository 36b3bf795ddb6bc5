"""Sign-in, sign-out, the password page and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from relief.auth import service as auth
from relief.auth.api import client_address
from relief.auth.models import Actor, User
from relief.db import get_session
from relief.errors import DomainError
from relief.origin import same_site_posts
from relief.web.forms import FormState, reraise_refusal, submit
from relief.web.i18n import Translator, lang_of
from relief.web.shell import (
    LANG_COOKIE,
    PASSWORD_PAGE,
    TOKEN_COOKIE,
    _local_path,
    next_target,
    password_page_for,
    render,
    request_lang,
    user_from_cookie,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])


# --- sign-in, sign-out, language -------------------------------------------------------------


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
    target = next_target(next)
    t = Translator(request_lang(request))
    form = FormState(values={"username": username})
    # An empty form says what is missing, all at once, and never counts as a failed sign-in.
    for field, value in (("username", username), ("password", password)):
        if not value.strip():
            form.fail(field, t(f"auth.{field}_missing"))

    def signed(user: User) -> Response:
        where = password_page_for(target) if user.must_change_password else (target or "/")
        response = RedirectResponse(where, status_code=303)
        _set_token_cookie(request, response, user)
        return response

    done = submit(
        session,
        form,
        t,
        lambda: auth.sign_in(session, username, password, client_address(request), settings),
        signed,
        status=None,  # a wrong password is this form's answer (401), not the sign-in redirect
        record=_sign_in_refusal,
    )
    if done:
        return done
    response = render(request, "login.html", None, status_code=form.status, form=form, next=target)
    if form.refusal is not None:
        response.headers.update(form.refusal.headers)
    return response


def _sign_in_refusal(form: FormState, t: Translator, exc: Exception, fields: object) -> None:
    """Locked (429, with the minutes to wait), else the one message for a wrong name or
    password (which of the two is not said)."""
    if isinstance(exc, DomainError):
        reraise_refusal(exc, (503,))  # the database is what failed: the busy page
    if isinstance(exc, DomainError) and exc.code == "too_many_attempts":
        minutes = -(-int(exc.extra.get("retry_after", 0)) // 60)
        form.fail("password", t("auth.too_many_attempts", minutes=minutes))
    else:
        form.fail("password", t("auth.wrong_password"))


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
        form=FormState(),
        next=next_target(next),
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
    t = Translator(request_lang(request))
    form = FormState()

    def change() -> None:
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

    def signed(_: None) -> Response:
        response = RedirectResponse(next_target(next) or "/", status_code=303)
        _set_token_cookie(request, response, user)
        return response

    done = submit(
        session,
        form,
        t,
        change,
        signed,
        status=None,
        record=_password_refusal,
    )
    if done:
        return done
    response = render(
        request,
        "password.html",
        actor,
        status_code=form.status,
        forced=forced,
        form=form,
        next=next_target(next),
    )
    if form.refusal is not None:
        response.headers.update(form.refusal.headers)
    return response


def _password_refusal(form: FormState, t: Translator, exc: Exception, fields: object) -> None:
    """Every refusal is the form's (the user is signed in: no error page); one without a
    field (a wrong current password) is shown at the current password."""
    if isinstance(exc, DomainError):
        reraise_refusal(exc, (503,))
        form.fail(exc.field or "current_password", exc.text(t.lang))


@router.get("/lang")
def switch_language(to: str = Query("zh"), next: str = Query("/")) -> Response:
    response = RedirectResponse(_local_path(next), status_code=303)
    response.set_cookie(
        LANG_COOKIE, lang_of(to), max_age=365 * 24 * 3600, samesite="strict", path="/"
    )
    return response
