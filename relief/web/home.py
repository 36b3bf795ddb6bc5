"""The home page of each role (`/`: the sign-in form for a visitor) and the users list."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from relief import clock
from relief.auth import service as auth
from relief.auth.deps import ensure_role
from relief.auth.models import Actor
from relief.db import get_session
from relief.dispatch import service as dispatch
from relief.emergency import responses as emergency_responses
from relief.emergency import service as emergency
from relief.network import service as network
from relief.origin import same_site_posts
from relief.stock import service as stock
from relief.subsidies import service as subsidies
from relief.subsidies.models import CASE_STATUSES
from relief.subsidies.models import yuan_text as yuan
from relief.web import temporary as temporary_pages
from relief.web.forms import FormState
from relief.web.shell import (
    EXPIRY_DAYS,
    items_by_code,
    next_target,
    password_page_for,
    place_names,
    render,
    signed_in,
    user_from_cookie,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(same_site_posts)])


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request, next: str = Query(""), session: Session = Depends(get_session)
) -> Response:
    user = user_from_cookie(request, session)
    target = next_target(next)
    if user is None:
        return render(request, "login.html", None, form=FormState(), next=target)
    if user.must_change_password:
        return RedirectResponse(password_page_for(target), status_code=303)
    if target:
        return RedirectResponse(target, status_code=303)
    return _home(request, session, Actor.of(user))


# --- home pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemTotal:
    item_code: str
    on_hand: int
    reserved: int
    available: int


def _stock_totals(session: Session) -> list[ItemTotal]:
    sums: dict[str, list[int]] = {}
    for level in stock.stock_levels_for_allocation(session):
        row = sums.setdefault(level.item_code, [0, 0, 0])
        row[0] += level.on_hand
        row[1] += level.reserved
    # Available leaves expired lots out (their on-hand units are still on the shelf).
    for level in stock.stock_levels_for_allocation(session, usable_on=stock.today()):
        sums[level.item_code][2] += level.available
    return [ItemTotal(code, *sums[code]) for code in sorted(sums)]


@dataclass(frozen=True)
class ActiveResponse:
    response_id: int
    level: int
    event_name: str
    hazard: str
    started_at: datetime
    triggered_at: datetime
    supplies_arrive: datetime | None
    overdue: bool
    supplies_done: bool  # the duty officer marked the supplies deadline done
    region_codes: tuple[str, ...]  # the event's regions and every region it has a report for


def _active_responses(session: Session) -> list[ActiveResponse]:
    """Active responses, most urgent level first, from the emergency service when installed."""
    now = clock.now()
    out = []
    for row in emergency_responses.list_responses(session):
        if row.status != "active":
            continue
        event = emergency.get_event(session, row.event_id)
        reply = emergency_responses.response_out(session, row)
        due = reply.deadlines.supplies_arrive
        supplies = next(
            (
                e
                for e in emergency_responses.timeline(session, row.id)
                if e.kind == "deadline" and e.name == "supplies_arrive"
            ),
            None,
        )
        done = supplies is not None and supplies.done_at is not None
        if done:
            due = supplies.due_at
        out.append(
            ActiveResponse(
                response_id=row.id,
                level=row.level,
                event_name=event.name,
                hazard=event.hazard,
                started_at=event.started_at,
                triggered_at=row.triggered_at,
                supplies_arrive=due,
                overdue=not done and due is not None and due < now,
                supplies_done=done,
                region_codes=tuple(emergency_responses.affected_region_codes(session, event)),
            )
        )
    return sorted(out, key=lambda r: (r.level, r.triggered_at))


def _home(request: Request, session: Session, actor: Actor) -> Response:
    if actor.role in ("admin", "duty_officer"):
        return _duty_home(request, session, actor)
    if actor.role == "warehouse_manager":
        return _manager_home(request, session, actor)
    return _regions_home(request, session, actor)


def _unacknowledged_count(session: Session, actor: Actor) -> int:
    """How many of the user's notifications wait for an acknowledgement (the inbox page)."""
    return len(emergency_responses.inbox(session, actor, unacked_only=True))


def _duty_home(request: Request, session: Session, actor: Actor) -> Response:
    regions, warehouses, roads, _ = network.network_records(session)
    active = _active_responses(session)
    return render(
        request,
        "home_duty.html",
        actor,
        tiers=Counter(w.tier for w in warehouses),
        levels=Counter(r.level for r in regions),
        roads=Counter(r.status for r in roads),
        totals=_stock_totals(session),
        items=items_by_code(session),
        responses=active,
        low=stock.low_stock(session, actor),
        expiring=stock.expiring_lots(session, actor, EXPIRY_DAYS),
        expiry_days=EXPIRY_DAYS,
        warehouse_names={w.code: w.name for w in warehouses},
        inbox_unacked=_unacknowledged_count(session, actor),
        # Managers not yet acknowledging the notice of each active response.
        unacked_managers={
            r.response_id: emergency_responses.unacknowledged(session, r.response_id)
            for r in active
        },
    )


def _manager_home(request: Request, session: Session, actor: Actor) -> Response:
    mine = [w for code in actor.warehouse_codes if (w := network.get_warehouse(session, code))]
    return render(
        request,
        "home_manager.html",
        actor,
        warehouses=[(w, stock.stock_of(session, w.code)) for w in mine],
        items=items_by_code(session),
        low=stock.low_stock(session, actor),
        expiring=stock.expiring_lots(session, actor, EXPIRY_DAYS),
        expiry_days=EXPIRY_DAYS,
        warehouse_names={w.code: w.name for w in mine},
        inbox_unacked=_unacknowledged_count(session, actor),
        # Orders to dispatch and receipts to confirm, soonest due first (issue 13).
        todo=dispatch.manager_todo(session, actor),
        names=place_names(session),
    )


def _regions_home(request: Request, session: Session, actor: Actor) -> Response:
    """County staff and approvers: their regions and the warehouses within them."""
    regions = []
    covered: set[str] = set()
    for code in actor.region_codes:
        region = network.get_region(session, code)
        if region is None:
            continue
        below = network.region_descendants(session, code)
        covered.update(below)
        parent = network.get_region(session, region.parent_code) if region.parent_code else None
        regions.append((region, parent, len(below) - 1))
    warehouses = [w for w in network.list_warehouses(session) if w.region_code in covered]
    region_names = {r.code: r.name for r, _, _ in regions}
    for w in warehouses:
        if w.region_code not in region_names:
            found = network.get_region(session, w.region_code)
            region_names[w.region_code] = found.name if found else w.region_code
    # Responses that touch the user's regions: what county staff will register households for.
    responses = [r for r in _active_responses(session) if covered.intersection(r.region_codes)]
    counts = subsidies.case_counts(session, actor)
    # The townships whose reserve fund (备用金) the user keeps or tops up (issue 15).
    townships = (
        [
            t
            for code in sorted(covered)
            if (t := network.get_region(session, code)) is not None and t.level == "township"
        ]
        if actor.role in ("county_staff", "approver", "township_staff")
        else []
    )
    return render(
        request,
        "home_regions.html",
        actor,
        responses=responses,
        # The cases of their regions by state, per programme they can see (zeros included).
        case_counts=[
            (p, counts.get(p.code, dict.fromkeys((*CASE_STATUSES, "stuck"), 0)))
            for p in subsidies.list_programmes(session, actor)
        ],
        case_statuses=CASE_STATUSES,
        stuck_days=subsidies.STUCK_DAYS,
        regions=regions,
        warehouses=warehouses,
        region_names=region_names,
        townships=townships,
        # 临时救助 cases with a running clock or help first owed back (issue 15).
        temporary_due=temporary_pages.due_rows(session, actor),
        cause_of=temporary_pages.cause_namer(session),
        yuan=yuan,
        # 冬春 (issue 15): the survey totals due to the city (late in red), and the rounds.
        winter_due=winter_due(session, actor),
        winter_programmes=[
            p for p in subsidies.list_programmes(session, actor) if p.kind == "winter_spring"
        ]
        if actor.role in ("county_staff", "approver", "township_staff")
        else [],
    )


def winter_due(session: Session, actor: Actor) -> list[dict]:
    from relief.subsidies import winter

    return winter.totals_due_items(session, actor)


# --- users (admin) ---------------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    actor: Actor = Depends(signed_in),
    session: Session = Depends(get_session),
) -> Response:
    ensure_role(actor)  # admin only, as GET /api/v1/users
    # Scopes by place and warehouse name, not code (issue 13 review #4).
    return render(
        request, "users.html", actor, users=auth.list_users(session), names=place_names(session)
    )
