"""Routes: 临时救助 (issue 15 part C) — opening a temporary case, help first from the
township reserve fund, recovery after a refusal, and the cases whose clock runs (API.md
"临时救助")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session

from relief.auth.deps import require
from relief.auth.models import Actor
from relief.db import get_session
from relief.subsidies import temporary
from relief.subsidies.api import case_detail
from relief.subsidies.models import MAX_ID, CaseDetailOut, Household

router = APIRouter(prefix="/api/v1", tags=["subsidies"])

CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
OPENERS = ("county_staff", "township_staff", "approver")
READERS = ("county_staff", "township_staff", "approver")
RECOVERERS = tuple(dict.fromkeys(r for roles in temporary.RECOVERY_ROLES.values() for r in roles))


def _detail(session: Session, case) -> CaseDetailOut:
    household = session.get(Household, case.household_id)
    return case_detail(session, case, household)


@router.post("/temporary-cases", response_model=CaseDetailOut, status_code=201)
def open_case(
    body: temporary.TemporaryCaseIn,
    actor: Actor = Depends(require(*OPENERS)),
    session: Session = Depends(get_session),
) -> CaseDetailOut:
    case = temporary.open_case(session, actor, body)
    session.commit()
    return _detail(session, case)


@router.get("/temporary-cases/due", response_model=list[temporary.DueCaseOut])
def due_cases(
    programme: Annotated[str | None, Query(max_length=64)] = None,
    actor: Actor = Depends(require(*READERS)),
    session: Session = Depends(get_session),
) -> list[temporary.DueCaseOut]:
    return [temporary.due_out(*row) for row in temporary.due_cases(session, actor, programme)]


@router.post("/cases/{case_id}/help-first", response_model=CaseDetailOut, status_code=201)
def help_first(
    case_id: CaseId,
    body: temporary.HelpFirstIn,
    actor: Actor = Depends(require("township_staff", "county_staff")),
    session: Session = Depends(get_session),
) -> CaseDetailOut:
    case = temporary.pay_help_first(session, actor, case_id, body)
    session.commit()
    return _detail(session, case)


@router.post("/cases/{case_id}/recovery", response_model=CaseDetailOut, status_code=201)
def recovery(
    case_id: CaseId,
    body: temporary.RecoveryIn,
    actor: Actor = Depends(require(*RECOVERERS)),
    session: Session = Depends(get_session),
) -> CaseDetailOut:
    # `returned`: township and county staff; `written_off`: approvers (RECOVERY_ROLES).
    case = temporary.record_recovery(session, actor, case_id, body)
    session.commit()
    return _detail(session, case)
