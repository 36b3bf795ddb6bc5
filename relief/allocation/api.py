"""Routes: allocation plans of a response (make, list, read, compare, approve).

Thin: parse, authorise (relief.auth.deps), call relief.allocation.service, shape the reply,
commit. Every user may read plans; making and approving them is the duty officer's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from sqlmodel import Session

from relief.allocation import jobs, service
from relief.allocation.tables import (
    ApproveIn,
    PlanComparisonOut,
    PlanIn,
    PlanOut,
    PlanProgressOut,
)
from relief.auth.deps import current_actor, require
from relief.auth.models import Actor
from relief.db import get_session
from relief.pagination import Page

router = APIRouter(prefix="/api/v1", tags=["allocation"])


@router.post(
    "/responses/{response_id}/plans",
    response_model=PlanOut,
    status_code=201,
    responses={202: {"model": PlanOut, "description": "computing in the background"}},
)
def create_plan(
    response_id: int,
    body: PlanIn,
    request: Request,
    response: Response,
    background: bool = Query(False),
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Plan the response's remaining demand. With `level` or `closed_roads` the plan is a
    what-if, shown but never approvable. A model larger than RELIEF_PLAN_INLINE_MAX_ARCS,
    or `?background=true`, answers 202 with the plan `computing`: follow it at
    GET /plans/{id}/progress."""
    settings = request.app.state.settings
    row = service.create_plan(
        session,
        actor,
        response_id,
        method=body.method,
        time_limit_s=body.time_limit_s,
        level=body.level,
        closed_roads=body.closed_roads,
        background=background,
        inline_max_arcs=settings.plan_inline_max_arcs,
    )
    view = service.plan_view(row, stale=False)
    session.commit()
    if row.job_state == "computing":
        jobs.submit(request.app.state, int(row.id))  # type: ignore[arg-type]
        response.status_code = 202
        response.headers["Location"] = f"/api/v1/plans/{row.id}/progress"
    return view


@router.get("/responses/{response_id}/plans", response_model=Page[PlanOut])
def list_plans(
    response_id: int,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10**12),
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> Page[Any]:
    """One page of the response's plans, oldest first, each with `stale` as of now (a plan
    carries all its lines: pages are smaller than elsewhere)."""
    items, total = service.plan_page(session, response_id, limit=limit, offset=offset)
    return Page[Any](items=items, total=total, limit=limit, offset=offset)


@router.get("/plans/{plan_id}", response_model=PlanOut)
def get_plan(
    plan_id: int,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return service.get_plan(session, plan_id)


@router.get("/plans/{plan_id}/progress", response_model=PlanProgressOut)
def plan_progress(
    plan_id: int,
    request: Request,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Where a plan made in the background has got to: `{state, stage, done, total,
    reason}`; `failed` carries the reason. A computing plan whose job stopped beating is
    failed here (its worker was lost)."""
    row = service.get_plan_row(session, plan_id)
    if row.job_state == "computing":
        settings = request.app.state.settings
        if service.stale_computing_plans(session, settings.plan_stale_after_s):
            session.rollback()
            jobs.sweep_stale_plans(request.app.state.engine, settings.plan_stale_after_s)
            row = service.get_plan_row(session, plan_id)
            session.refresh(row)
    return service.plan_progress(row)


@router.get("/plans/{plan_id}/compare", response_model=PlanComparisonOut)
def compare_plan(
    plan_id: int,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The plan beside the other method (greedy for an optimal plan) on the same inputs."""
    return service.compare_plan(session, plan_id)


@router.post("/plans/{plan_id}/approve", response_model=PlanOut)
def approve_plan(
    plan_id: int,
    body: ApproveIn | None = Body(default=None),
    actor: Actor = Depends(require("duty_officer")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Turn the plan into dispatch orders (one per warehouse and region), reserving their
    stock, all in one transaction; the response's other drafts are superseded."""
    row, _ = service.approve_plan(session, actor, plan_id)
    view = service.plan_view(row, stale=False)
    session.commit()
    return view
