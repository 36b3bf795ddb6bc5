"""Where a browser says a request came from, and the refusals that follow from it.

The UI's second line against cross-site form posts (the first is the SameSite=Strict
sign-in cookie): a POST whose `Origin` names another host is refused before anything is
read. The API applies the stricter rule of `refuse_cross_site_cookie_request` to calls that
the UI's cookie authenticates (relief/auth/deps.py).

Its own module so every UI router — sign-in and sign-out included (relief/web/account.py) —
and the API's authentication can depend on it without importing the form plumbing of
relief/web/forms.py."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from relief.errors import DomainError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_scheme(request: Request) -> str:
    """The scheme the browser used to reach this server: the request's own, or the one a
    proxy in front of relief names in X-Forwarded-Proto when RELIEF_TRUST_FORWARDED_PROTO
    says such a proxy is there (otherwise anyone may send that header)."""
    if request.app.state.settings.trust_forwarded_proto:
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        if forwarded in ("http", "https"):
            return forwarded
    return request.url.scheme.lower()


def _names_this_server(url: str, request: Request) -> bool:
    """Whether `url` (an Origin or a Referer) is on this server's scheme, host and port: an
    https page on the same host is another origin than an http server, and vice versa."""
    # "null" is what a sandboxed frame or a data: page sends: never one of our own pages.
    if not url or url == "null":
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[": not a URL, so not ours
        return False
    return (
        bool(parts.netloc)
        and parts.netloc == request.headers.get("host")
        and parts.scheme.lower() == request_scheme(request)
    )


def check_origin(request: Request) -> None:
    """Refuse a form post that a browser says came from another site."""
    origin = request.headers.get("origin")
    if origin and not _names_this_server(origin, request):
        raise DomainError("role_forbidden", "a form from another site may not act here", None)


async def same_site_posts(request: Request) -> None:
    """Router dependency of every UI router: no form post from another site acts here.

    Checked once per router rather than per handler, so a new form cannot forget it.
    `async def` though it waits for nothing: a plain `def` would cost a thread hop."""
    if request.method not in SAFE_METHODS:
        check_origin(request)


def refuse_cross_site_cookie_request(request: Request) -> None:
    """A state-changing API call authenticated by the UI's cookie must show that it came
    from one of our pages: an `Origin` of this server, or (a browser that sends none) a
    `Referer` on it. Browsers send the cookie with a form or fetch from any site, so a call
    that shows neither is refused (403 `cross_site_request`). Bearer clients never get here:
    another site cannot make a browser send our bearer token."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None:
        ours = _names_this_server(origin, request)
    else:
        ours = _names_this_server(request.headers.get("referer", ""), request)
    if not ours:
        raise DomainError(
            "cross_site_request",
            "a change signed in with the web page's cookie must come from this site's pages "
            "(Origin or Referer); scripts use a bearer token",
            None,
        )
