"""因灾死亡失踪人口台账: the deaths and missing ledger of an event (its table, service and routes).

One row per person dead or missing: name, sex, age, ID number, death or missing, date, place
(a township or village of the event's area) and cause. The ID number is kept as households'
are (relief/subsidies/ids.py): the HMAC `id_hash` (one entry per number and event), the
Fernet `id_cipher`, and `id_masked` for every list and export; it is optional (a body not
yet identified has none) but checked when given. The clear number is read back only by the
audited read of one entry, by county staff in scope (and admins), as for households.

Scope as for reports: county staff add, correct and see the entries of their regions, duty
officers (and admins) everywhere. Corrections and deletions carry a reason and are audited
with the masked before and after.

`ledger_differences` compares the ledger's counts per county with the latest reports' deaths
and missing: a report that differs is flagged on the event page and in the assessment's reply
(`ledger_differences`), never refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_region, region_in_scope, require, sees_everything
from relief.auth.models import Actor
from relief.clock import now
from relief.db import UTCDateTime, get_session
from relief.emergency import service as events
from relief.emergency.assessment import latest_reports
from relief.errors import DomainError, invalid, not_found
from relief.network import service as network
from relief.subsidies.ids import (
    IdNumberError,
    IdNumberVault,
    mask_id_number,
    normalise_id_number,
    vault_for,
)
from relief.subsidies.models import MAX_ID, _text

SEXES = ("male", "female")
STATUSES = ("dead", "missing")
Sex = Literal["male", "female"]
Status = Literal["dead", "missing"]
SEX_ZH = {"male": "男", "female": "女"}
STATUS_ZH = {"dead": "死亡", "missing": "失踪"}
# The place of a death or disappearance: the statistical unit (乡镇) or a village under it.
PLACE_LEVELS = ("township", "village")
_SECRET_COLUMNS = {"id_hash", "id_cipher"}


class Casualty(SQLModel, table=True):
    """One person dead or missing in an event (a row of the 因灾死亡失踪人口台账)."""

    __tablename__ = "casualties"
    __table_args__ = (
        UniqueConstraint("event_id", "id_hash", name="uq_casualties_event_id_number"),
        CheckConstraint("sex in ('male','female')", name="ck_casualties_sex"),
        CheckConstraint("status in ('dead','missing')", name="ck_casualties_status"),
        CheckConstraint("age is null or (age >= 0 and age <= 150)", name="ck_casualties_age"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    region_code: str = Field(foreign_key="regions.code", max_length=64)
    name: str = Field(max_length=64)
    sex: str = Field(max_length=8)
    age: int | None = None
    id_hash: str | None = Field(default=None, max_length=64)
    id_cipher: str | None = Field(default=None, max_length=255)
    id_masked: str | None = Field(default=None, max_length=18)
    status: str = Field(max_length=8)
    occurred_on: date
    cause: str = Field(max_length=200)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


# --- API shapes ----------------------------------------------------------------------------


class CasualtyIn(BaseModel):
    region_code: _text(64)  # type: ignore[valid-type]
    name: _text(64)  # type: ignore[valid-type]
    sex: Sex
    age: int | None = PField(default=None, ge=0, le=150)
    id_number: _text(32, 0) | None = None  # type: ignore[valid-type]
    status: Status
    occurred_on: date
    cause: _text(200)  # type: ignore[valid-type]


class CasualtyPatch(BaseModel):
    """A correction: the fields to change and why (null or "" clears age and ID number)."""

    model_config = ConfigDict(extra="forbid")

    reason: _text(1000)  # type: ignore[valid-type]
    region_code: _text(64) | None = None  # type: ignore[valid-type]
    name: _text(64) | None = None  # type: ignore[valid-type]
    sex: Sex | None = None
    age: int | None = PField(default=None, ge=0, le=150)
    id_number: _text(32, 0) | None = None  # type: ignore[valid-type]
    status: Status | None = None
    occurred_on: date | None = None
    cause: _text(200) | None = None  # type: ignore[valid-type]


class CasualtyOut(BaseModel):
    id: int
    event_id: int
    region_code: str
    region_name: str
    name: str
    sex: str
    age: int | None
    id_number: str | None
    status: str
    occurred_on: date
    cause: str
    created_by: str
    created_at: datetime


# --- service -------------------------------------------------------------------------------


def _id_columns(vault: IdNumberVault, raw: str | None) -> dict[str, str | None]:
    if not raw:
        return {"id_hash": None, "id_cipher": None, "id_masked": None}
    try:
        number = normalise_id_number(raw)
    except IdNumberError as exc:
        raise invalid("id_number", exc.message) from None
    return {
        "id_hash": vault.uniqueness_key(number),
        "id_cipher": vault.encrypt(number),
        "id_masked": mask_id_number(number),
    }


def _age_from_id(number_cipher: str | None, vault: IdNumberVault, on: date) -> int | None:
    """The age on `on` from the birth date in the ID number (None without a number)."""
    if not number_cipher:
        return None
    from stdnum.cn import ric

    born = ric.get_birth_date(vault.decrypt(number_cipher))
    return max(0, on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def _check_place(session: Session, actor: Actor, event_id: int, code: str) -> None:
    region = network.get_region(session, code)
    if region is None:
        raise DomainError(
            "unknown_code", "unknown region {code}", "region_code", params={"code": code}
        )
    if region.level not in PLACE_LEVELS:
        raise invalid(
            "region_code",
            "the place must be a township or a village ({code} is not)",
            params={"code": code},
        )
    if not set(network.region_lineage(session, code)) & set(
        events.event_region_codes(session, event_id)
    ):
        raise invalid(
            "region_code", "region {code} is not in the area of the event", params={"code": code}
        )
    authorize_region(session, actor, code, "region_code")


def _check_date(on: date, event: Any) -> None:
    """Not in the future, not before the day the event started (China time)."""
    if on > clock.to_cst(clock.now()).date():
        raise invalid("occurred_on", "the date is in the future")
    started = clock.to_cst(event.started_at).date()
    if on < started:
        raise invalid(
            "occurred_on",
            "the date is before the event started ({started})",
            params={"started": started.isoformat()},
        )


def _check_age(row: Casualty, vault: IdNumberVault) -> None:
    """A given age agrees with the birth date in the ID number on the date of death (or
    disappearance): 422 naming `age` when it does not."""
    if row.age is None or not row.id_cipher:
        return
    expected = _age_from_id(row.id_cipher, vault, row.occurred_on)
    if expected is not None and row.age != expected:
        raise invalid(
            "age",
            "age {age} does not match the ID number's birth date (age {expected} on that day)",
            params={"age": row.age, "expected": expected},
        )


def _duplicate() -> DomainError:
    return DomainError(
        "duplicate_casualty", "this ID number is already in the event's ledger", "id_number"
    )


def _taken(session: Session, event_id: int, id_hash: str | None, other: int | None) -> bool:
    if id_hash is None:
        return False
    query = select(Casualty.id).where(Casualty.event_id == event_id, Casualty.id_hash == id_hash)
    if other is not None:
        query = query.where(Casualty.id != other)
    return session.exec(query).first() is not None


def snapshot(row: Casualty) -> dict[str, Any]:
    """The entry as an audit record keeps it: the masked ID number only."""
    return audit.snapshot(row, exclude=_SECRET_COLUMNS) or {}


def add_casualty(
    session: Session, actor: Actor, event_id: int, body: CasualtyIn, vault: IdNumberVault
) -> Casualty:
    event = events.get_event(session, event_id)
    _check_place(session, actor, event_id, body.region_code)
    _check_date(body.occurred_on, event)
    ids = _id_columns(vault, body.id_number)
    if _taken(session, event_id, ids["id_hash"], None):
        raise _duplicate()
    row = Casualty(
        event_id=event_id,
        region_code=body.region_code,
        name=body.name,
        sex=body.sex,
        age=body.age,
        status=body.status,
        occurred_on=body.occurred_on,
        cause=body.cause,
        created_by=actor.username,
        **ids,
    )
    _check_age(row, vault)
    if row.age is None:
        row.age = _age_from_id(row.id_cipher, vault, row.occurred_on)
    _save(session, row)
    audit.record(session, actor, "create", "casualty", row.id, None, snapshot(row))
    return row


def _save(session: Session, row: Casualty) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another request entered the same number for the event meanwhile.
        raise _duplicate() from None


def _scope_filter(session: Session, actor: Actor, rows: list[Casualty]) -> list[Casualty]:
    if sees_everything(actor):
        return rows
    return [row for row in rows if region_in_scope(session, actor, row.region_code)]


def list_casualties(session: Session, actor: Actor, event_id: int) -> list[Casualty]:
    """The event's entries in the caller's scope, by date then entry."""
    events.get_event(session, event_id)
    rows = session.exec(
        select(Casualty)
        .where(Casualty.event_id == event_id)
        .order_by(col(Casualty.occurred_on), col(Casualty.id))
    ).all()
    return _scope_filter(session, actor, list(rows))


def get_casualty(session: Session, actor: Actor, event_id: int, casualty_id: int) -> Casualty:
    row = session.get(Casualty, casualty_id) if 0 < casualty_id <= MAX_ID else None
    if row is None or row.event_id != event_id:
        raise not_found("casualty", casualty_id)
    authorize_region(session, actor, row.region_code, record="casualty")
    return row


def read_full_id_number(
    session: Session, actor: Actor, row: Casualty, vault: IdNumberVault
) -> str | None:
    """The clear ID number for county staff in scope and admins (the households' rule),
    audited with the masked number; None for anyone else or when there is none."""
    if actor.role not in ("county_staff", "admin") or not row.id_cipher:
        return None
    authorize_region(session, actor, row.region_code, record="casualty")
    audit.record(
        session, actor, "read_id_number", "casualty", row.id, None, {"id_number": row.id_masked}
    )
    return vault.decrypt(row.id_cipher)


def update_casualty(
    session: Session,
    actor: Actor,
    event_id: int,
    casualty_id: int,
    body: CasualtyPatch,
    vault: IdNumberVault,
) -> Casualty:
    """Correct an entry, with a reason; audited with the masked before and after."""
    event = events.get_event(session, event_id, lock=True)
    row = get_casualty(session, actor, event_id, casualty_id)
    before = snapshot(row)
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    if changes.get("region_code") and changes["region_code"] != row.region_code:
        _check_place(session, actor, event_id, changes["region_code"])
        row.region_code = changes["region_code"]
    if changes.get("occurred_on") is not None:
        _check_date(changes["occurred_on"], event)
    if "id_number" in changes:
        ids = _id_columns(vault, changes["id_number"] or None)
        if _taken(session, event_id, ids["id_hash"], row.id):
            raise _duplicate()
        if ids["id_hash"] != row.id_hash:
            for column, value in ids.items():
                setattr(row, column, value)
    for name in ("name", "sex", "status", "occurred_on", "cause"):
        if changes.get(name) is not None:
            setattr(row, name, changes[name])
    if "age" in changes:
        row.age = changes["age"]
    elif row.id_cipher and ({"occurred_on", "id_number"} & changes.keys()):
        row.age = _age_from_id(row.id_cipher, vault, row.occurred_on)  # follows the new facts
    _check_age(row, vault)
    after = snapshot(row)
    _save(session, row)
    audit.record(
        session, actor, "update", "casualty", row.id, before, {**after, "reason": body.reason}
    )
    return row


def delete_casualty(
    session: Session, actor: Actor, event_id: int, casualty_id: int, reason: str
) -> None:
    """Delete an entry made by mistake, with a reason (audited with the masked entry)."""
    reason = reason.strip()
    events.get_event(session, event_id, lock=True)
    row = get_casualty(session, actor, event_id, casualty_id)
    if not reason:
        raise invalid("reason", "a reason is required")
    before = snapshot(row)
    session.delete(row)
    session.flush()
    audit.record(session, actor, "delete", "casualty", casualty_id, before, {"reason": reason})


def region_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Each code's name with its township for a village ("城关镇 东村")."""
    out: dict[str, str] = {}
    for code in codes:
        region = network.get_region(session, code)
        if region is None:
            out[code] = code
            continue
        name = region.name
        if region.level == "village" and region.parent_code:
            parent = network.get_region(session, region.parent_code)
            if parent is not None:
                name = f"{parent.name} {name}"
        out[code] = name
    return out


def casualty_out(row: Casualty, names: dict[str, str], id_number: str | None = None) -> CasualtyOut:
    return CasualtyOut(
        id=row.id or 0,
        event_id=row.event_id,
        region_code=row.region_code,
        region_name=names.get(row.region_code, row.region_code),
        name=row.name,
        sex=row.sex,
        age=row.age,
        id_number=id_number or row.id_masked,
        status=row.status,
        occurred_on=row.occurred_on,
        cause=row.cause,
        created_by=row.created_by,
        created_at=clock.to_cst(row.created_at),
    )


# --- reports against the ledger ---------------------------------------------------------------


@dataclass(frozen=True)
class LedgerDifference:
    """A county whose latest reported deaths or missing differ from the ledger's counts."""

    region_code: str
    region_name: str
    reported_deaths: int
    ledger_deaths: int
    reported_missing: int
    ledger_missing: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "region_code": self.region_code,
            "region_name": self.region_name,
            "reported_deaths": self.reported_deaths,
            "ledger_deaths": self.ledger_deaths,
            "reported_missing": self.reported_missing,
            "ledger_missing": self.ledger_missing,
        }


def _county_of(session: Session, code: str, cache: dict[str, str]) -> str:
    """The county a region lies in (the region itself at county level or above)."""
    if code not in cache:
        lineage = network.region_lineage(session, code)
        county = code
        for ancestor in lineage:
            region = network.get_region(session, ancestor)
            if region is not None and region.level == "county":
                county = ancestor
                break
        cache[code] = county
    return cache[code]


def ledger_differences(session: Session, event_id: int) -> list[LedgerDifference]:
    """Per county, the latest reports' deaths and missing (summed over the county's
    reported regions) against the ledger's entries there, where they differ; a county with
    neither a report nor an entry is not listed. Every entry counts, whoever reads."""
    cache: dict[str, str] = {}
    reported: dict[str, list[int]] = {}
    for report in latest_reports(events.event_reports(session, event_id)).values():
        county = _county_of(session, report.region_code, cache)
        sums = reported.setdefault(county, [0, 0])
        sums[0] += report.counts.get("deaths", 0)
        sums[1] += report.counts.get("missing", 0)
    ledger: dict[str, list[int]] = {}
    for code, status in session.exec(
        select(Casualty.region_code, Casualty.status).where(Casualty.event_id == event_id)
    ).all():
        sums = ledger.setdefault(_county_of(session, code, cache), [0, 0])
        sums[0 if status == "dead" else 1] += 1
    out: list[LedgerDifference] = []
    counties = sorted(set(reported) | set(ledger))
    names = {code: (network.get_region(session, code) or None) for code in counties}
    for county in counties:
        r = reported.get(county, [0, 0])
        ledger_counts = ledger.get(county, [0, 0])
        if r != ledger_counts:
            region = names[county]
            out.append(
                LedgerDifference(
                    county,
                    region.name if region is not None else county,
                    r[0],
                    ledger_counts[0],
                    r[1],
                    ledger_counts[1],
                )
            )
    return out


def differences_in_scope(session: Session, actor: Actor, event_id: int) -> list[LedgerDifference]:
    """The differences of the counties in the caller's scope (county staff: their own)."""
    return [
        d
        for d in ledger_differences(session, event_id)
        if sees_everything(actor) or region_in_scope(session, actor, d.region_code)
    ]


# --- routes --------------------------------------------------------------------------------

router = APIRouter(tags=["emergency"])
readers = require("duty_officer", "county_staff")
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _vault(request: Request) -> IdNumberVault:
    return vault_for(request.app.state.settings.secret_key)


@router.get("/events/{event_id}/casualties", response_model=list[CasualtyOut])
def list_route(
    event_id: PathId, actor: Actor = Depends(readers), session: Session = Depends(get_session)
) -> list[CasualtyOut]:
    """The ledger in the caller's scope, ID numbers masked."""
    rows = list_casualties(session, actor, event_id)
    names = region_names(session, {row.region_code for row in rows})
    return [casualty_out(row, names) for row in rows]


@router.post("/events/{event_id}/casualties", response_model=CasualtyOut, status_code=201)
def add_route(
    event_id: PathId,
    body: CasualtyIn,
    request: Request,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> CasualtyOut:
    row = add_casualty(session, actor, event_id, body, _vault(request))
    reply = casualty_out(row, region_names(session, {row.region_code}))
    session.commit()
    return reply


@router.get("/events/{event_id}/casualties/{casualty_id}", response_model=CasualtyOut)
def get_route(
    event_id: PathId,
    casualty_id: PathId,
    request: Request,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> CasualtyOut:
    """One entry; county staff in scope get the clear ID number (an audited read)."""
    row = get_casualty(session, actor, event_id, casualty_id)
    number = read_full_id_number(session, actor, row, _vault(request))
    reply = casualty_out(row, region_names(session, {row.region_code}), number)
    session.commit()  # the audit record of the full-ID read
    return reply


@router.patch("/events/{event_id}/casualties/{casualty_id}", response_model=CasualtyOut)
def update_route(
    event_id: PathId,
    casualty_id: PathId,
    body: CasualtyPatch,
    request: Request,
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> CasualtyOut:
    row = update_casualty(session, actor, event_id, casualty_id, body, _vault(request))
    reply = casualty_out(row, region_names(session, {row.region_code}))
    session.commit()
    return reply


@router.delete("/events/{event_id}/casualties/{casualty_id}", status_code=204)
def delete_route(
    event_id: PathId,
    casualty_id: PathId,
    reason: str = Query(..., min_length=1, max_length=1000, pattern=r"^[^\x00-\x1f\x7f]+$"),
    actor: Actor = Depends(readers),
    session: Session = Depends(get_session),
) -> Response:
    delete_casualty(session, actor, event_id, casualty_id, reason)
    session.commit()
    return Response(status_code=204)
