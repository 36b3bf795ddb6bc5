"""Routes: households, imports, programmes and standards, cases, transitions, payments,
reversals, the programme summary and the two exports (API.md "Houses and subsidies")."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from relief.auth.deps import require
from relief.auth.models import Actor
from relief.clock import to_cst
from relief.db import get_session
from relief.pagination import Page
from relief.subsidies import exports, household_form, imports, service, temporary
from relief.subsidies.ids import IdNumberVault, vault_for
from relief.subsidies.models import (
    MAX_ID,
    Case,
    CaseBulkIn,
    CaseBulkOut,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CaseStatus,
    Damage,
    Household,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    ImportResult,
    PaymentIn,
    PaymentOut,
    ProgrammeBudgetIn,
    ProgrammeIn,
    ProgrammeOut,
    ReversalIn,
    StandardIn,
    StandardOut,
    SummaryOut,
    TransitionIn,
    TransitionOut,
    format_fen,
)

router = APIRouter(prefix="/api/v1", tags=["subsidies"])

# Households, cases, payments and programmes: county staff and approvers (in scope), admin.
readers = require("county_staff", "approver", "township_staff")
Format = Literal["xlsx", "csv"]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Codes in paths and queries: bounded, and free of control characters, which PostgreSQL
# refuses in text (a NUL would otherwise surface as a 500).
_CODE = r"^[^\x00-\x1f\x7f]+$"
PathCode = Annotated[str, Path(max_length=64, pattern=_CODE)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
# A search text: bounded, free of control characters.
SearchText = Annotated[str | None, Query(max_length=64, pattern=_CODE)]
HouseholdSort = Literal[tuple(f"{d}{k}" for k in service.HOUSEHOLD_SORTS for d in ("", "-"))]  # type: ignore[valid-type]
CaseSort = Literal[tuple(f"{d}{k}" for k in service.CASE_SORTS for d in ("", "-"))]  # type: ignore[valid-type]


def _code_query(description: str | None = None):
    return Query(None, max_length=64, pattern=_CODE, description=description)


MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _vault(request: Request) -> IdNumberVault:
    return vault_for(request.app.state.settings.secret_key)


def _download(content: bytes, fmt: str, stem: str) -> Response:
    filename = f"{stem}.{fmt}"
    return Response(
        content,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


# --- shaping replies ----------------------------------------------------------------------


def household_out(
    household: Household, id_number: str | None = None, bank_account: str | None = None
) -> HouseholdOut:
    """Lists get the masked ID number and account; the audited full read passes the clear ones."""
    return HouseholdOut(
        id=household.id or 0,
        event_id=household.event_id,
        region_code=household.region_code,
        head_name=household.head_name,
        id_number=id_number or household.id_masked,
        size=household.size,
        damage=household.damage,
        rooms=household.rooms,
        category=household.category,
        phone=household.phone,
        bank_account=bank_account or household.bank_masked,
        created_at=to_cst(household.created_at),
        address=household.address,
        structure=household.structure,
        collapsed_rooms=household.collapsed_rooms,
        severe_rooms=household.severe_rooms,
        general_rooms=household.general_rooms,
    )


def standard_out(standard) -> StandardOut:
    # per_household: money (rebuild, a living kind's basis), else a grain or share flag.
    flag = standard.damage is None and standard.per_household_fen is None
    return StandardOut(
        id=standard.id,
        programme_code=standard.programme_code,
        effective_from=standard.effective_from,
        category=standard.category,
        damage=standard.damage,
        per_household=standard.per_household if flag else format_fen(standard.per_household_fen),
        per_room=format_fen(standard.per_room_fen),
        per_person_month=format_fen(standard.per_person_month_fen),
        per_person_month_kg=(
            str(standard.per_person_month_kg) if standard.per_person_month_kg is not None else None
        ),
        price_per_kg=format_fen(standard.price_per_kg_fen),
        months=standard.months,
        per_person=format_fen(standard.per_person_fen),
        share_of=standard.share_of,
        percent=f"{standard.percent:.2f}" if standard.percent is not None else None,
        cap_per_household=format_fen(standard.cap_per_household_fen),
        basis=service.standard_basis(standard),
    )


def programme_out(session: Session, programme) -> ProgrammeOut:
    return ProgrammeOut(
        code=programme.code,
        name=programme.name,
        kind=programme.kind,
        region_code=programme.region_code,
        event_id=programme.event_id,
        budget=format_fen(programme.budget_fen) or "0.00",
        notice_days=programme.notice_days,
        supervision_phone=programme.supervision_phone,
        eligibility=service.eligibility_of(programme),
        standards=[standard_out(s) for s in service.standards_of(session, programme.code)],
    )


def case_out(case: Case, household: Household, paid: int, programme_name: str = "") -> CaseOut:
    return CaseOut(
        programme_name=programme_name,
        id=case.id or 0,
        household_id=case.household_id,
        programme_code=case.programme_code,
        standard_id=case.standard_id,
        amount=format_fen(case.amount_fen) or "0.00",
        grain_kg=f"{case.grain_kg:.3f}" if case.grain_kg is not None else None,
        status=case.status,
        months=case.months,
        reference=format_fen(case.reference_fen),
        notice_ends_at=to_cst(case.notice_ends_at),
        status_changed_at=to_cst(case.status_changed_at),
        region_code=household.region_code,
        head_name=household.head_name,
        id_number=household.id_masked,
        paid=format_fen(paid) or "0.00",
        created_at=to_cst(case.created_at),
    )


def payment_out(payment, reversed_by_id: int | None = None) -> PaymentOut:
    return PaymentOut(
        id=payment.id,
        case_id=payment.case_id,
        amount=format_fen(payment.amount_fen) or "0.00",
        paid_on=payment.paid_on,
        reference=payment.reference,
        reverses_id=payment.reverses_id,
        reversed_by_id=reversed_by_id,
        reason=payment.reason,
        actor=payment.actor,
        at=to_cst(payment.at),
    )


def case_detail(session: Session, case: Case, household: Household) -> CaseDetailOut:
    payments = service.payments_of(session, case.id)
    reversed_by = service.reversed_ids(session, [p.id for p in payments])
    base = case_out(
        case,
        household,
        sum(p.amount_fen for p in payments),
        service.programme_name(session, case.programme_code),
    )
    return CaseDetailOut(
        **base.model_dump(),
        history=[
            TransitionOut.model_validate(t, from_attributes=True).model_copy(
                update={"at": to_cst(t.at)}
            )
            for t in service.history_of(session, case.id)
        ],
        payments=[payment_out(p, reversed_by.get(p.id)) for p in payments],
        temporary=(
            extra.model_dump(mode="json")
            if (extra := temporary.temporary_out(session, case, household)) is not None
            else None
        ),
    )


# --- households ---------------------------------------------------------------------------


@router.post("/households", response_model=HouseholdOut, status_code=201)
def create_household(
    body: HouseholdIn,
    request: Request,
    actor: Actor = Depends(require("county_staff", "township_staff")),
    session: Session = Depends(get_session),
) -> HouseholdOut:
    household = service.create_household(session, actor, body, _vault(request))
    session.commit()
    return household_out(household)


@router.get("/households", response_model=Page[HouseholdOut])
def list_households(
    event_id: int | None = Query(None, ge=1, le=MAX_ID),
    region_code: str | None = _code_query(),
    without_case: str | None = _code_query("a programme code"),
    q: SearchText = None,
    damage: Damage | None = None,
    sort: HouseholdSort | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> Page[HouseholdOut]:
    rows, total = service.list_households(
        session,
        actor,
        event_id=event_id,
        region_code=region_code,
        without_case=without_case,
        q=q,
        damage=damage,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return Page[HouseholdOut](
        items=[household_out(h) for h in rows], total=total, limit=limit, offset=offset
    )


@router.get("/households/import-template")
def import_template(format: Format = "xlsx", _: Actor = Depends(readers)) -> Response:
    return _download(imports.template(format), format, "households-template")


@router.post("/households/import", response_model=ImportResult, status_code=201)
def import_households(
    request: Request,
    file: UploadFile = File(...),
    event_id: int = Form(..., ge=1, le=MAX_ID),
    actor: Actor = Depends(require("county_staff", "township_staff")),
    session: Session = Depends(get_session),
) -> ImportResult:
    content = file.file.read()
    created = imports.import_households(
        session, actor, event_id, file.filename, content, _vault(request)
    )
    session.commit()
    return ImportResult(created=created, rejected=[])


@router.get("/households/{household_id}", response_model=HouseholdOut)
def get_household(
    household_id: PathId,
    request: Request,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> HouseholdOut:
    household = service.get_household(session, actor, household_id)
    number, account = service.read_full_id_number(session, actor, household, _vault(request))
    session.commit()  # the audit record of the full-ID read
    out = household_out(household, number, account)
    out.version = service.household_version(session, household_id)
    return out


@router.get("/households/{household_id}/form.pdf", response_class=Response)
def household_form_pdf(
    household_id: PathId,
    actor: Actor = Depends(require(*household_form.FORM_READERS)),
    session: Session = Depends(get_session),
) -> Response:
    """The household's 一户一表 as an A4 PDF (ID number and account masked); duty officers
    read it too (the damaged-housing ledger is theirs to check)."""
    from relief.subsidies.household_form import form_pdf

    household = service.get_household(session, actor, household_id)
    return Response(
        form_pdf(session, household),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="household-{household.id}.pdf"'},
    )


@router.patch("/households/{household_id}", response_model=HouseholdOut)
def update_household(
    household_id: PathId,
    body: HouseholdPatch,
    request: Request,
    actor: Actor = Depends(require("county_staff", "township_staff")),
    session: Session = Depends(get_session),
) -> HouseholdOut:
    household = service.update_household(session, actor, household_id, body, _vault(request))
    session.commit()
    out = household_out(household)
    out.version = service.household_version(session, household_id)
    return out


@router.delete("/households/{household_id}", status_code=204)
def delete_household(
    household_id: PathId,
    reason: str = Query(..., min_length=1, max_length=1000, pattern=_CODE),
    actor: Actor = Depends(require("county_staff", "township_staff")),
    session: Session = Depends(get_session),
) -> Response:
    service.delete_household(session, actor, household_id, reason)
    session.commit()
    return Response(status_code=204)


# --- programmes and standards -------------------------------------------------------------


@router.get("/programmes", response_model=list[ProgrammeOut])
def list_programmes(
    actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> list[ProgrammeOut]:
    return [programme_out(session, p) for p in service.list_programmes(session, actor)]


@router.post("/programmes", response_model=ProgrammeOut, status_code=201)
def create_programme(
    body: ProgrammeIn, actor: Actor = Depends(require()), session: Session = Depends(get_session)
) -> ProgrammeOut:
    programme = service.create_programme(session, actor, body)
    session.commit()
    return programme_out(session, programme)


@router.get("/programmes/{code}", response_model=ProgrammeOut)
def get_programme(
    code: PathCode, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> ProgrammeOut:
    programme = service.get_programme(session, code)
    service.authorize_programme(session, actor, programme)
    return programme_out(session, programme)


@router.patch("/programmes/{code}", response_model=ProgrammeOut)
def change_programme(
    code: PathCode,
    body: ProgrammeBudgetIn,
    actor: Actor = Depends(require()),
    session: Session = Depends(get_session),
) -> ProgrammeOut:
    """Change the programme's budget (admin, as creating it); audited. Below what is already
    approved or paid → 409 `budget_below_spent` with the figures."""
    programme = service.change_budget(session, actor, code, body.budget)
    session.commit()
    return programme_out(session, programme)


@router.post("/programmes/{code}/standards", response_model=StandardOut, status_code=201)
def add_standard(
    code: PathCode,
    body: StandardIn,
    actor: Actor = Depends(require()),
    session: Session = Depends(get_session),
) -> StandardOut:
    programme = service.get_programme(session, code)
    standard = service.add_standard(session, actor, programme, body)
    session.commit()
    return standard_out(standard)


@router.get("/programmes/{code}/summary", response_model=SummaryOut)
def programme_summary(
    code: PathCode, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> SummaryOut:
    return SummaryOut(**service.programme_summary(session, actor, code))


@router.get("/programmes/{code}/payments")
def payment_list(
    code: PathCode,
    request: Request,
    format: Format = "xlsx",
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> Response:
    rows = exports.payment_rows(session, actor, code, _vault(request))
    session.commit()  # the audit record of an export with bank accounts in clear
    name = service.get_programme(session, code).name
    content = exports.render(
        exports.PAYMENT_HEADERS, rows, format, "支付清单", f"{name} 救助资金发放名单"
    )
    return _download(content, format, f"{code}-payments")


@router.get("/public-notice")
def public_notice(
    programme: Annotated[str, Query(max_length=64, pattern=_CODE)],
    region_code: str | None = _code_query(),
    format: Format = "xlsx",
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> Response:
    if format == "xlsx":  # a sheet per village, to post
        content = exports.public_notice_xlsx(session, actor, programme, region_code)
    else:
        rows = exports.public_notice_rows(session, actor, programme, region_code)
        content = exports.render(exports.NOTICE_HEADERS, rows, format, "公示名单")
    return _download(content, format, f"{programme}-public-notice")


# --- cases ---------------------------------------------------------------------------------


@router.post("/cases", response_model=CaseOut, status_code=201)
def create_case(
    body: CaseIn,
    actor: Actor = Depends(require("county_staff", "township_staff")),
    session: Session = Depends(get_session),
) -> CaseOut:
    case = service.create_case(
        session, actor, body.household_id, body.programme_code, months=body.months
    )
    # Built in the write's own transaction, before the commit: the reply shows what it wrote.
    view = case_out(
        case,
        session.get(Household, case.household_id),
        0,
        service.programme_name(session, case.programme_code),
    )
    session.commit()
    return view


@router.post("/cases/bulk", response_model=CaseBulkOut, status_code=201)
def create_cases_bulk(
    body: CaseBulkIn,
    actor: Actor = Depends(require("county_staff", "township_staff")),
    session: Session = Depends(get_session),
) -> CaseBulkOut:
    result = service.create_cases_bulk(
        session,
        actor,
        body.programme_code,
        household_ids=body.household_ids,
        filters=body.filter.model_dump() if body.filter is not None else None,
    )
    session.commit()
    return CaseBulkOut(**result)


@router.get("/cases", response_model=Page[CaseOut])
def list_cases(
    programme: str | None = _code_query(),
    status: CaseStatus | None = None,
    region_code: str | None = _code_query(),
    stuck_days: int | None = Query(None, ge=0, le=36_500),
    q: SearchText = None,
    sort: CaseSort | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> Page[CaseOut]:
    rows, total = service.list_cases(
        session,
        actor,
        programme=programme,
        status=status,
        region_code=region_code,
        stuck_days=stuck_days,
        q=q,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    paid = service.paid_by_case(session, [c.id for c, _ in rows])
    names = service.programme_names(session)
    return Page[CaseOut](
        items=[case_out(c, h, paid.get(c.id, 0), names.get(c.programme_code, "")) for c, h in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/cases/{case_id}", response_model=CaseDetailOut)
def get_case(
    case_id: PathId, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> CaseDetailOut:
    case, household = service.get_case(session, actor, case_id)
    return case_detail(session, case, household)


@router.post("/cases/{case_id}/transitions", response_model=CaseDetailOut)
def transition_case(
    case_id: PathId,
    body: TransitionIn,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> CaseDetailOut:
    case = service.transition_case(session, actor, case_id, body)
    # Built in the write's own transaction, before the commit: the reply shows what it wrote.
    view = case_detail(session, case, session.get(Household, case.household_id))
    session.commit()
    return view


@router.post("/cases/{case_id}/payments", response_model=PaymentOut, status_code=201)
def record_payment(
    case_id: PathId,
    body: PaymentIn,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> PaymentOut:
    payment = service.record_payment(session, actor, case_id, body)
    session.commit()
    return payment_out(payment)


@router.get("/cases/{case_id}/payments", response_model=list[PaymentOut])
def list_payments(
    case_id: PathId, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> list[PaymentOut]:
    case, _ = service.get_case(session, actor, case_id)
    payments = service.payments_of(session, case.id)
    reversed_by = service.reversed_ids(session, [p.id for p in payments])
    return [payment_out(p, reversed_by.get(p.id)) for p in payments]


@router.post("/payments/{payment_id}/reversal", response_model=PaymentOut, status_code=201)
def reverse_payment(
    payment_id: PathId,
    body: ReversalIn,
    actor: Actor = Depends(require("approver")),
    session: Session = Depends(get_session),
) -> PaymentOut:
    reversal = service.reverse_payment(session, actor, payment_id, body.reason)
    session.commit()
    return payment_out(reversal)
