"""Routes: goods held by townships and counties and issued to households (发放到户) —
holdings and their ledger, issues, reversals, scans, the 发放花名册 and its import, and
fulfilment per household (API.md "Goods to households")."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from relief.auth.deps import require
from relief.auth.models import Actor
from relief.db import get_session
from relief.distribution import roster, service
from relief.distribution.models import (
    MAX_SCAN_BYTES,
    FulfilmentOut,
    HoldingEntryOut,
    HoldingOut,
    HoldingsOut,
    HouseholdFulfilment,
    IssueIn,
    IssueLineOut,
    IssueListOut,
    IssueOut,
    IssueReversalIn,
    IssueRow,
    ItemShare,
    RosterImportOut,
)
from relief.errors import DomainError
from relief.i18n import unit
from relief.network import service as network
from relief.subsidies.models import MAX_ID, Household

router = APIRouter(prefix="/api/v1", tags=["distribution"])

RegionCode = Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z_.\-]+$")]
IssueId = Annotated[int, Path(ge=1, le=MAX_ID)]
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _item(session: Session, code: str) -> tuple[str, str]:
    row = network.get_item(session, code)
    return (row.name_zh, unit(row.unit, "zh")) if row is not None else (code, "")


def issues_out(session: Session, rows: list[IssueRow]) -> list[IssueOut]:
    ids = [r.id for r in rows]
    lines = service.issue_lines(session, ids)
    reversed_by = service.reversed_by(session, ids)
    out = []
    for r in rows:
        household = session.get(Household, r.household_id)
        out.append(
            IssueOut(
                id=r.id,  # type: ignore[arg-type]
                region_code=r.region_code,
                event_id=r.event_id,
                household_id=r.household_id,
                head_name=household.head_name if household else "",
                kind=r.kind,
                issued_on=r.issued_on,
                signed_by=r.signed_by,
                note=r.note,
                reverses_id=r.reverses_id,
                reversed_by_id=reversed_by.get(r.id),  # type: ignore[arg-type]
                source=r.source,
                has_scan=r.scan is not None,
                lines=[
                    IssueLineOut(
                        item_code=x.item_code,
                        item_name=_item(session, x.item_code)[0],
                        unit=_item(session, x.item_code)[1],
                        quantity=x.quantity,
                    )
                    for x in lines.get(r.id, [])  # type: ignore[arg-type]
                ],
                actor=r.actor,
                at=r.at,
            )
        )
    return out


@router.get("/regions/{code}/holdings", response_model=HoldingsOut)
def get_holdings(
    code: RegionCode,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    actor: Actor = Depends(require(*service.HOLDING_READERS)),
    session: Session = Depends(get_session),
) -> HoldingsOut:
    region, rows, entries, total = service.holdings(session, actor, code, limit, offset)
    return HoldingsOut(
        region_code=region.code,
        region_name=region.name,
        holdings=[
            HoldingOut(
                item_code=r.item_code,
                item_name=_item(session, r.item_code)[0],
                unit=_item(session, r.item_code)[1],
                lot=r.lot or None,
                expires_on=r.expires_on,
                quantity=r.quantity,
            )
            for r in rows
        ],
        entries=[
            HoldingEntryOut(
                id=e.id,  # type: ignore[arg-type]
                item_code=e.item_code,
                lot=e.lot or None,
                kind=e.kind,
                quantity=e.quantity,
                order_id=e.order_id,
                issue_id=e.issue_id,
                actor=e.actor,
                at=e.at,
            )
            for e in entries
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("/regions/{code}/issues", response_model=IssueOut, status_code=201)
def issue_goods(
    code: RegionCode,
    body: IssueIn,
    actor: Actor = Depends(require(*service.ISSUERS)),
    session: Session = Depends(get_session),
) -> IssueOut:
    issue = service.issue_goods(
        session,
        actor,
        code,
        event_id=body.event_id,
        household_id=body.household_id,
        issued_on=body.issued_on,
        signed_by=body.signed_by,
        lines=body.lines,
        note=body.note,
    )
    session.commit()
    return issues_out(session, [issue])[0]


@router.get("/regions/{code}/issues", response_model=IssueListOut)
def list_issues(
    code: RegionCode,
    event_id: int | None = Query(None, ge=1, le=MAX_ID),
    household_id: int | None = Query(None, ge=1, le=MAX_ID),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    actor: Actor = Depends(require(*service.HOUSEHOLD_READERS)),
    session: Session = Depends(get_session),
) -> IssueListOut:
    rows, total = service.list_issues(session, actor, code, event_id, household_id, limit, offset)
    return IssueListOut(items=issues_out(session, rows), total=total, limit=limit, offset=offset)


@router.get("/issues/{issue_id}", response_model=IssueOut)
def get_issue(
    issue_id: IssueId,
    actor: Actor = Depends(require(*service.HOUSEHOLD_READERS)),
    session: Session = Depends(get_session),
) -> IssueOut:
    return issues_out(session, [service.readable_issue(session, actor, issue_id)])[0]


@router.post("/issues/{issue_id}/reversal", response_model=IssueOut, status_code=201)
def reverse_issue(
    issue_id: IssueId,
    body: IssueReversalIn,
    actor: Actor = Depends(require(*service.ISSUERS)),
    session: Session = Depends(get_session),
) -> IssueOut:
    reversal = service.reverse_issue(session, actor, issue_id, body.reason)
    session.commit()
    return issues_out(session, [reversal])[0]


@router.put("/issues/{issue_id}/scan", response_model=IssueOut)
def attach_scan(
    issue_id: IssueId,
    file: UploadFile = File(...),
    actor: Actor = Depends(require(*service.ISSUERS)),
    session: Session = Depends(get_session),
) -> IssueOut:
    content = file.file.read(MAX_SCAN_BYTES + 1)
    issue = service.attach_scan(session, actor, issue_id, content)
    session.commit()
    return issues_out(session, [issue])[0]


@router.get("/issues/{issue_id}/scan", response_class=Response)
def get_scan(
    issue_id: IssueId,
    actor: Actor = Depends(require(*service.HOUSEHOLD_READERS)),
    session: Session = Depends(get_session),
) -> Response:
    issue = service.readable_issue(session, actor, issue_id)
    if issue.scan is None:
        raise DomainError(
            "not_found", "issue {issue_id} has no scan", None, params={"issue_id": issue_id}
        )
    return Response(
        issue.scan,
        media_type=issue.scan_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename=issue-{issue_id}-scan",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/regions/{code}/roster", response_class=Response)
def get_roster(
    code: RegionCode,
    event_id: int = Query(..., ge=1, le=MAX_ID),
    # Empty (the page's "whole township" choice) is the whole region.
    village: str | None = Query(None, max_length=64, pattern=r"^[0-9A-Za-z_.\-]*$"),
    format: Literal["xlsx", "pdf"] = "xlsx",
    actor: Actor = Depends(require(*service.ISSUERS)),
    session: Session = Depends(get_session),
) -> Response:
    context = roster.roster_context(session, actor, code, event_id, village)
    content = roster.roster_xlsx(context) if format == "xlsx" else roster.roster_pdf(context)
    filename = f"{context['title']}.{format}"
    return Response(
        content,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.post("/regions/{code}/roster/import", response_model=RosterImportOut, status_code=201)
def import_roster(
    code: RegionCode,
    file: UploadFile = File(...),
    event_id: int = Form(..., ge=1, le=MAX_ID),
    actor: Actor = Depends(require(*service.ISSUERS)),
    session: Session = Depends(get_session),
) -> RosterImportOut:
    content = file.file.read()
    issues = roster.import_roster(session, actor, code, event_id, file.filename, content)
    session.commit()
    return RosterImportOut(created=len(issues), issue_ids=[i.id for i in issues])  # type: ignore[misc]


@router.get("/regions/{code}/fulfilment", response_model=FulfilmentOut)
def get_fulfilment(
    code: RegionCode,
    event_id: int = Query(..., ge=1, le=MAX_ID),
    actor: Actor = Depends(require(*service.HOUSEHOLD_READERS)),
    session: Session = Depends(get_session),
) -> FulfilmentOut:
    result = service.fulfilment(session, actor, code, event_id)
    households = [
        HouseholdFulfilment(
            household_id=h.id,  # type: ignore[arg-type]
            head_name=h.head_name,
            region_code=h.region_code,
            size=h.size,
            items=[
                ItemShare(
                    item_code=item,
                    item_name=_item(session, item)[0],
                    unit=_item(session, item)[1],
                    share=share,
                    issued=issued,
                )
                for item, share, issued in lines
            ],
            nothing_yet=nothing,
            waiting=waiting,
        )
        for h, lines, nothing, waiting in result.rows
    ]
    return FulfilmentOut(
        region_code=result.region.code,
        region_name=result.region.name,
        event_id=event_id,
        nothing_after_days=result.days,
        goods_since=result.since,
        households=households,
        waiting=[h.household_id for h in households if h.waiting],
    )
