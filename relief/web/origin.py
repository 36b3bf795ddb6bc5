"""The UI's second line against cross-site form posts (the first is the SameSite=Strict
sign-in cookie): a POST whose `Origin` names another host is refused before anything is read.

Its own module so every UI router — sign-in and sign-out included (relief/web/routes.py) —
can depend on it without importing the form plumbing of relief/web/forms.py."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from relief.errors import DomainError


def check_origin(request: Request) -> None:
    """Refuse a form post that a browser says came from another site."""
    origin = request.headers.get("origin")
    # "null" is what a sandboxed frame or a data: page sends: never one of our own pages.
    if origin and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host")):
        raise DomainError("role_forbidden", "a form from another site may not act here", None)


def same_site_posts(request: Request) -> None:
    """Router dependency of every UI router: no form post from another site acts here.

    Checked once per router rather than per handler, so a new form cannot forget it."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_origin(request)
