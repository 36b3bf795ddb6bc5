"""Routes of 冬春受灾人员生活救助 (issue 15): the policy values, the needs survey and its
totals, the village review, rounds and their payment, the 已救助 ledger and the two 统计表
(docs/api-reference.md "冬春生活救助")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from relief.auth.deps import require
from relief.auth.models import Actor
from relief.db import get_session
from relief.i18n import translate
from relief.subsidies import exports, service, winter, winter_sheets
from relief.subsidies.api import Format, _download, _vault
from relief.subsidies.models import MAX_ID, format_fen
from relief.subsidies.winter_models import (
    RoundIn,
    RoundOut,
    SurveyCorrectionIn,
    SurveyEntryIn,
    SurveyEntryOut,
    SurveyWithdrawIn,
    TotalsOut,
    VillageReviewIn,
    VillageReviewOut,
    WinterPolicyIn,
    WinterRound,
    WinterSurveyEntry,
)

router = APIRouter(prefix="/api/v1/winter-spring", tags=["winter-spring"])
readers = require("county_staff", "approver", "township_staff")
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
_CODE = r"^[0-9A-Za-z_.\-]+$"
PathCode = Annotated[str, Path(max_length=64, pattern=_CODE)]
Season = Annotated[int, Query(ge=2000, le=2100)]


def entry_out(session: Session, entry: WinterSurveyEntry, household: Any) -> SurveyEntryOut:
    region = service.network.get_region(session, entry.region_code)
    return SurveyEntryOut(
        id=entry.id,  # type: ignore[arg-type]
        season=entry.season,
        household_id=entry.household_id,
        head_name=household.head_name,
        region_code=entry.region_code,
        region_name=region.name if region else entry.region_code,
        people=entry.people,
        grain_kg=f"{entry.grain_kg:.1f}",
        clothing_pieces=entry.clothing_pieces,
        heating=entry.heating,
        water=entry.water,
        medical=entry.medical,
        note=entry.note,
        supersedes_id=entry.supersedes_id,
        withdrawn=entry.withdrawn,
        reason=entry.reason,
        actor=entry.actor,
        at=entry.at,
    )


def round_out(
    session: Session, row: WinterRound, lang: str = "en", actor: Actor | None = None
) -> RoundOut:
    view = winter.round_view(session, row, actor)
    if row.warning:
        view["warning_message"] = translate(f"winter.warning.{row.warning}", lang)
    return RoundOut(**view)


def _lang(request: Request) -> str:
    accept = request.headers.get("accept-language", "")
    return "zh" if accept.lower().startswith("zh") else "en"


# --- policy -------------------------------------------------------------------------------


@router.get("/policy")
def get_policy(
    region_code: str = Query(..., max_length=64, pattern=_CODE),
    actor: Actor = Depends(require("county_staff", "approver", "township_staff", "duty_officer")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return winter.policy_out(winter.policy_for(session, region_code))


@router.post("/policy", status_code=201)
def post_policy(
    body: WinterPolicyIn,
    actor: Actor = Depends(require()),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    row = winter.store_policy(session, actor, body)
    session.commit()
    return winter.policy_out(row)


# --- the needs survey ---------------------------------------------------------------------


@router.post("/survey", response_model=SurveyEntryOut, status_code=201)
def add_entry(
    body: SurveyEntryIn, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> SurveyEntryOut:
    entry = winter.add_entry(session, actor, body)
    session.commit()
    return entry_out(session, entry, session.get(service.Household, entry.household_id))


@router.get("/survey", response_model=list[SurveyEntryOut])
def list_entries(
    season: Season,
    region_code: str | None = Query(None, max_length=64, pattern=_CODE),
    history: bool = False,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> list[SurveyEntryOut]:
    rows = winter.list_entries(session, actor, season, region_code, history)
    return [entry_out(session, e, h) for e, h in rows]


@router.post("/survey/{entry_id}/correction", response_model=SurveyEntryOut, status_code=201)
def correct_entry(
    entry_id: PathId,
    body: SurveyCorrectionIn,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> SurveyEntryOut:
    entry = winter.correct_entry(session, actor, entry_id, body)
    session.commit()
    return entry_out(session, entry, session.get(service.Household, entry.household_id))


@router.post("/survey/{entry_id}/withdrawal", response_model=SurveyEntryOut, status_code=201)
def withdraw_entry(
    entry_id: PathId,
    body: SurveyWithdrawIn,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> SurveyEntryOut:
    entry = winter.withdraw_entry(session, actor, entry_id, body.reason)
    session.commit()
    return entry_out(session, entry, session.get(service.Household, entry.household_id))


@router.get("/counties/{code}/totals", response_model=TotalsOut)
def get_totals(
    code: PathCode,
    season: Season,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> TotalsOut:
    return TotalsOut(**winter.totals_status(session, actor, code, season))


@router.post("/counties/{code}/totals", response_model=TotalsOut, status_code=201)
def submit_totals(
    code: PathCode,
    season: Season,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> TotalsOut:
    winter.submit_totals(session, actor, code, season)
    session.commit()
    return TotalsOut(**winter.totals_status(session, actor, code, season))


@router.get("/due")
def due(actor: Actor = Depends(readers), session: Session = Depends(get_session)) -> list[dict]:
    """The inbox of 冬春 deadlines: the counties in scope whose survey totals are not yet
    sent to the city, with their due date and whether they are late."""
    return winter.totals_due_items(session, actor)


@router.get("/counties/{code}/needs-sheet")
def needs_sheet(
    code: PathCode,
    season: Season,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> Response:
    """受灾人员冬春生活需救助情况统计表 (.xlsx)."""
    content = winter_sheets.needs_xlsx(session, actor, code, season)
    return _download(content, "xlsx", f"{code}-{season}-winter-needs")


# --- the village review -------------------------------------------------------------------


@router.post("/cases/{case_id}/village-review", response_model=VillageReviewOut, status_code=201)
def village_review(
    case_id: PathId,
    body: VillageReviewIn,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> VillageReviewOut:
    review, _case = winter.record_village_review(session, actor, case_id, body)
    session.commit()
    return VillageReviewOut(**review.model_dump())


@router.get("/cases/{case_id}/village-reviews", response_model=list[VillageReviewOut])
def village_reviews(
    case_id: PathId, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> list[VillageReviewOut]:
    service.get_case(session, actor, case_id)
    return [VillageReviewOut(**r.model_dump()) for r in winter.reviews_of(session, case_id)]


# --- rounds -------------------------------------------------------------------------------


@router.post("/rounds", response_model=RoundOut, status_code=201)
def create_round(
    body: RoundIn,
    request: Request,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> RoundOut:
    row, _lines = winter.create_round(session, actor, body)
    session.commit()
    return round_out(session, row, _lang(request))


@router.get("/rounds", response_model=list[RoundOut])
def list_rounds(
    request: Request,
    programme: str = Query(..., max_length=64, pattern=_CODE),
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> list[RoundOut]:
    return [
        round_out(session, r, _lang(request), actor)
        for r in winter.list_rounds(session, actor, programme)
    ]


@router.get("/rounds/{round_id}", response_model=RoundOut)
def get_round(
    round_id: PathId,
    request: Request,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> RoundOut:
    return round_out(session, winter.get_round(session, actor, round_id), _lang(request), actor)


@router.post("/rounds/{round_id}/payment", response_model=RoundOut, status_code=201)
def pay_round(
    round_id: PathId,
    request: Request,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> RoundOut:
    row = winter.pay_round(session, actor, round_id)
    session.commit()
    return round_out(session, row, _lang(request))


@router.get("/rounds/{round_id}/payments")
def round_payments(
    round_id: PathId,
    request: Request,
    format: Format = "xlsx",
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> Response:
    """The round's bank batch, in the format of GET /programmes/{code}/payments."""
    row = winter.get_round(session, actor, round_id)
    reference = winter.round_reference(row)
    rows = [
        r
        for r in exports.payment_rows(session, actor, row.programme_code, _vault(request))
        if r[7] == reference
    ]
    for number, r in enumerate(rows, start=1):
        r[0] = number
    session.commit()  # the audit record of an export with bank accounts in clear
    name = service.get_programme(session, row.programme_code).name
    content = exports.render(
        exports.PAYMENT_HEADERS, rows, format, "支付清单", f"{name} {row.name} 救助资金发放名单"
    )
    return _download(content, format, f"{row.programme_code}-round-{row.id}-payments")


# --- the 已救助 ledger ---------------------------------------------------------------------


@router.get("/programmes/{code}/assisted")
def assisted(
    code: PathCode, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> list[dict[str, Any]]:
    rows = winter.assisted_ledger(session, actor, code)
    return [{k: v for k, v in r.items() if k != "paid_fen"} for r in rows]


@router.get("/programmes/{code}/assisted-sheet")
def assisted_sheet(
    code: PathCode, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> Response:
    """受灾人员冬春生活已救助情况统计表 (.xlsx)."""
    content = winter_sheets.assisted_xlsx(session, actor, code)
    return _download(content, "xlsx", f"{code}-winter-assisted")


__all__ = ["router", "format_fen"]
