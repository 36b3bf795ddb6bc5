"""Authorisation in one place: who is calling, and may they do this.

Routers declare which roles may call them at all (`actor: Actor = Depends(require(
"duty_officer"))`); the domain services decide scope — which warehouse, region or order —
by calling the rules here (`authorize_warehouse`, `authorize_region`,
`dispatch_order_in_scope`, `sees_everything`), so the API, the UI and the CLI cannot differ
and every rule of API.md "Who may do what" lives in this module.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from relief.auth import service
from relief.auth.models import Actor, User
from relief.db import get_session
from relief.errors import DomainError, Term, Terms
from relief.origin import refuse_cross_site_cookie_request

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def signed_in_user(
    request: Request,
    token: str | None = Depends(oauth2_scheme),
    session: Session = Depends(get_session),
) -> User:
    """The user behind the bearer token (or the UI's cookie), if it has not been revoked;
    whether they still must change their password is not checked here."""
    if not token:
        token = request.cookies.get("relief_token")  # the web UI keeps its token in a cookie
        if token:
            refuse_cross_site_cookie_request(request)
    if not token:
        raise DomainError("not_authenticated", "a bearer token is required", None)
    # A keyed write's caller was checked for this very token when its key was claimed
    # (relief.idempotency), a moment ago: not looked up twice.
    from relief.idempotency import VERIFIED

    verified = getattr(request.state, VERIFIED, None)
    if verified is not None and verified[0] == token:
        return verified[1]
    return service.user_for_token(session, token, request.app.state.settings.secret_key)


async def current_actor(user: User = Depends(signed_in_user)) -> Actor:
    """The caller; a user who must change their password may do nothing else first.

    This and the role checks below are `async def` though nothing in them waits: they do no
    I/O, and FastAPI runs a plain `def` dependency in a worker thread, a hop per dependency
    per request that costs more than the check itself."""
    if user.must_change_password:
        raise DomainError(
            "password_change_required",
            "change your password first (POST /api/v1/me/password)",
            None,
        )
    return Actor.of(user)


async def actor_changing_password(user: User = Depends(signed_in_user)) -> Actor:
    """The caller, admitted while a password change is pending: /me, /me/password, logout."""
    return Actor.of(user)


def require(*roles: str) -> Callable[..., Actor]:
    """A dependency admitting the given roles (admin is always admitted)."""

    async def dependency(actor: Actor = Depends(current_actor)) -> Actor:
        ensure_role(actor, *roles)
        return actor

    return dependency


# The roles whose scope is everything: no warehouse or region limits what they may see.
SEES_EVERYTHING = ("admin", "duty_officer")


def sees_everything(actor: Actor) -> bool:
    """Whether the actor's scope is unlimited (admins and duty officers): the one place that
    says so, for every list that filters to a scope and every check of one."""
    return actor.role in SEES_EVERYTHING


def ensure_role(actor: Actor, *roles: str) -> None:
    if actor.role != "admin" and actor.role not in roles:
        raise DomainError(
            "role_forbidden",
            "role {role} may not do this (needs {roles})",
            None,
            params={
                "role": Term(f"role.{actor.role}"),
                "roles": Terms(f"role.{role}" for role in roles or ("admin",)),
            },
        )


def authorize_warehouse(
    actor: Actor, warehouse_code: str, field: str | None = None, session: Session | None = None
) -> None:
    """A warehouse manager acts only on their own warehouses. With `session` a refusal names
    the warehouse by its name (`仓库 呼和浩特市救灾物资骨干库 超出…`)."""
    if actor.role == "admin":
        return
    if actor.role != "warehouse_manager":
        ensure_role(actor, "warehouse_manager")
    if warehouse_code not in actor.warehouse_codes:
        name = _warehouse_name(session, warehouse_code)
        raise DomainError(
            "scope_forbidden",
            "warehouse {warehouse_code} is not in your scope",
            field,
            params={"warehouse_code": name},
        )


def _warehouse_name(session: Session | None, code: str) -> str:
    from relief.errors import Named
    from relief.network import service as network

    warehouse = network.get_warehouse(session, code) if session is not None else None
    return Named(code, warehouse.name) if warehouse is not None else code


def region_in_scope(session: Session, actor: Actor, region_code: str) -> bool:
    """A region scope covers that region and all its descendants."""
    from relief.network import service as network

    if sees_everything(actor):
        return True
    lineage = network.region_lineage(session, region_code)
    return any(code in actor.region_codes for code in lineage)


def authorize_region(
    session: Session,
    actor: Actor,
    region_code: str,
    field: str | None = None,
    *,
    record: str | None = None,
) -> None:
    """The region (typed by the caller, or of the `record` asked for: an entity name such
    as "household") is in the actor's scope, else 403 `scope_forbidden`. A typed region is
    named by its name (`地区 武川县 超出…`); a record of another county is not described at
    all (neither its place nor anything else of it)."""
    from relief.errors import Named, entity
    from relief.network import service as network

    if region_in_scope(session, actor, region_code):
        return
    if record is not None:
        raise DomainError(
            "scope_forbidden",
            "this {entity} is not in your scope",
            field,
            params={"entity": entity(record)},
        )
    region = network.get_region(session, region_code)
    name = Named(region_code, region.name if region is not None else region_code)
    raise DomainError(
        "scope_forbidden",
        "region {region_code} is not in your scope",
        field,
        params={"region_code": name},
    )


def warehouse_in_scope(actor: Actor, warehouse_code: str) -> bool:
    return sees_everything(actor) or warehouse_code in actor.warehouse_codes


# --- dispatch orders ----------------------------------------------------------------------


def dispatch_order_in_scope(
    session: Session,
    actor: Actor,
    source_warehouse_code: str,
    destination_code: str,
    destination_kind: str,
) -> bool:
    """Managers see their warehouses' orders (as source or destination), county and
    township staff the orders to regions in scope, duty officers and admins all; nobody else any."""
    if sees_everything(actor):
        return True
    if actor.role == "warehouse_manager":
        return source_warehouse_code in actor.warehouse_codes or (
            destination_kind == "warehouse" and destination_code in actor.warehouse_codes
        )
    if actor.role in ("county_staff", "township_staff"):
        return destination_kind == "region" and region_in_scope(session, actor, destination_code)
    return False


def authorize_dispatch_order_read(
    session: Session,
    actor: Actor,
    source_warehouse_code: str,
    destination_code: str,
    destination_kind: str,
) -> None:
    """One order: a role that never sees orders (approver) → `role_forbidden`; an order
    outside the caller's warehouses or regions → `scope_forbidden`."""
    ensure_role(actor, "duty_officer", "warehouse_manager", "county_staff", "township_staff")
    if not dispatch_order_in_scope(
        session, actor, source_warehouse_code, destination_code, destination_kind
    ):
        raise DomainError("scope_forbidden", "this dispatch order is not in your scope", None)


def authorize_dispatch_receipt(
    session: Session, actor: Actor, destination_code: str, destination_kind: str
) -> None:
    """Goods for a warehouse are received by its manager; for a region, by county staff
    or township staff whose scope covers it (admins may do either)."""
    if destination_kind == "warehouse":
        authorize_warehouse(actor, destination_code, session=session)
        return
    ensure_role(actor, "county_staff", "township_staff")
    authorize_region(session, actor, destination_code)


def visible_warehouses(actor: Actor) -> tuple[str, ...] | None:
    """Warehouses a stock list (alerts) is filtered to: a manager's own; None means all,
    since every other role may read all stock."""
    if actor.role == "warehouse_manager":
        return actor.warehouse_codes
    return None


# --- inbox ---------------------------------------------------------------------------------


def authorize_addressee(actor: Actor, username: str, inbox_id: object) -> None:
    """Only the addressee acts on their own notification: an admin acknowledging on
    someone's behalf would hide that they never saw it."""
    if actor.username != username:
        raise DomainError(
            "scope_forbidden",
            "notification {inbox_id} is addressed to someone else",
            None,
            params={"inbox_id": inbox_id},
        )
