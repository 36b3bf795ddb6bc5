"""Subsidy service: households, programmes, standards, cases, transitions, payments,
reversals and the programme summary. The only code that changes subsidy state.

Functions take a session and an actor, raise `DomainError`s, write the audit trail and
leave committing to the caller (one transaction per request). Role checks live in the
routers (`require`); region-scope checks are here because they need the data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_region, ensure_role, region_in_scope, sees_everything
from relief.auth.models import Actor
from relief.errors import DomainError, Named, Term, coded, invalid, not_found, unknown_code
from relief.network import service as network
from relief.network.models import RegionRow
from relief.subsidies import temporary
from relief.subsidies.ids import IdNumberError, IdNumberVault, mask_id_number, normalise_id_number
from relief.subsidies.models import (
    CASE_STATUSES,
    DEFAULT_DAMAGE,
    DEFAULT_NOTICE_DAYS,
    LEDGER_FIELDS,
    LIVING_KINDS,
    ROOM_FIELDS,
    Case,
    CaseTransition,
    Eligibility,
    Household,
    HouseholdIn,
    HouseholdPatch,
    Payment,
    PaymentIn,
    Programme,
    ProgrammeIn,
    Standard,
    StandardIn,
    TransitionIn,
    format_fen,
    parse_fen,
    rooms_problem,
    yuan_text,
)

REGION_LEVELS = ("province", "prefecture", "county", "township", "village")
# Household columns that never go into an audit record (the encrypted number and its key).
_SECRET_COLUMNS = {"id_cipher", "id_hash", "bank_cipher"}

# action → (states it may start from, state it leads to); anything else is invalid_transition.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "village_review": (frozenset({"registered"}), "village_reviewed"),
    "publish": (frozenset({"village_reviewed"}), "published"),
    "object": (frozenset({"published"}), "village_reviewed"),
    "township_review": (frozenset({"published"}), "township_reviewed"),
    "approve": (frozenset({"township_reviewed"}), "approved"),
    "reject": (frozenset(CASE_STATUSES) - {"approved", "rejected"}, "rejected"),
}
# Who may take each action (admin always may); API.md "Who may do what".
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "village_review": ("county_staff", "township_staff"),
    "publish": ("county_staff", "township_staff"),
    "object": ("county_staff", "township_staff"),
    "township_review": ("county_staff", "township_staff"),
    # Township staff approve 临时救助 up to the delegated limit: see may_approve.
    "approve": ("approver",),
    "reject": ("county_staff", "approver", "township_staff"),
}


# --- events (owned by the emergency domain) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRef:
    """What subsidies need to know of an event."""

    id: int
    name: str
    started_at: datetime
    region_codes: tuple[str, ...]


def find_event(session: Session, event_id: int) -> EventRef | None:
    """The event through the emergency service (subsidies never read its tables)."""
    from relief.emergency import service as emergency

    try:
        event = emergency.get_event(session, event_id)
    except DomainError as exc:
        if exc.code == "not_found":
            return None
        raise
    return EventRef(
        id=event.id,
        name=event.name,
        started_at=clock.as_utc(event.started_at),
        region_codes=tuple(emergency.event_region_codes(session, event.id)),
    )


def _event_or_error(session: Session, event_id: int, field: str = "event_id") -> EventRef:
    event = find_event(session, event_id)
    if event is None:
        raise unknown_code(field, event_id, "event")
    return event


# --- regions ------------------------------------------------------------------------------


def lowest_region_level(session: Session) -> str | None:
    """The deepest level the loaded scenario has (village, else township, else county…)."""
    levels = set(session.exec(select(RegionRow.level).distinct()).all())
    for level in reversed(REGION_LEVELS):
        if level in levels:
            return level
    return None


def lineage_of(code: str, regions: dict[str, RegionRow]) -> list[str]:
    lineage: list[str] = []
    current = regions.get(code)
    while current is not None and current.code not in lineage:
        lineage.append(current.code)
        current = regions.get(current.parent_code) if current.parent_code else None
    return lineage


@dataclass(frozen=True)
class RegionProblem:
    """Why a household cannot be registered at a region: the API error `code` and English
    `message`, and the import's stable `reason` with the `params` its words need."""

    code: str
    message: str
    reason: str
    params: dict[str, Any]

    def message_params(self) -> dict[str, Any]:
        """The message's parameters: the import's, with region levels as words."""
        words = {k: coded("level", v) for k, v in self.params.items() if k in ("level", "lowest")}
        return {**self.params, **words}


def region_problem(
    code: str, regions: dict[str, RegionRow], lowest: str | None, event: EventRef
) -> RegionProblem | None:
    """The problem when a household cannot be registered at `code`, else None."""
    region = regions.get(code)
    if region is None:
        return RegionProblem(
            "unknown_code", "unknown region code: {code}", "unknown_region", {"code": code}
        )
    if lowest and region.level != lowest:
        return RegionProblem(
            "validation_error",
            "region {code} is a {level}; households are registered at {lowest} level",
            "region_level",
            {"code": code, "level": region.level, "lowest": lowest},
        )
    if not set(lineage_of(code, regions)) & set(event.region_codes):
        return RegionProblem(
            "validation_error",
            "region {code} is not in the area of event {event_id} ({regions})",
            "region_outside_event",
            {"code": code, "event_id": event.id, "regions": ", ".join(event.region_codes)},
        )
    return None


def _descendants_cte(roots: Sequence[str], name: str):
    """Recursive CTE of the codes of `roots` and every region under them."""
    table = RegionRow.__table__
    cte = select(table.c.code).where(table.c.code.in_(list(roots))).cte(name, recursive=True)
    return cte.union_all(select(table.c.code).where(table.c.parent_code == cte.c.code))


def _under(column: Any, roots: Sequence[str], name: str) -> ColumnElement[bool]:
    cte = _descendants_cte(roots, name)
    return column.in_(select(cte.c.code))


def _scope_condition(actor: Actor, column: Any) -> ColumnElement[bool] | None:
    """Lists filter silently to the caller's scope; None means no filter (admin)."""
    if sees_everything(actor):
        return None
    return _under(column, list(actor.region_codes), "scope_regions")


# --- households ---------------------------------------------------------------------------


def household_snapshot(household: Household) -> dict[str, Any]:
    return audit.snapshot(household, exclude=_SECRET_COLUMNS) or {}


def _check_rooms(damage: str | None, rooms: dict[str, int | None]) -> None:
    """The damage class and the rooms by degree agree (models.rooms_problem), else 422."""
    problem = rooms_problem(damage, rooms)
    if problem is None:
        return
    field, code, _template, params = problem
    if code == "collapsed_without_rooms":
        raise DomainError(
            "validation_error", "a collapsed house has collapsed rooms: collapsed_rooms is 0", field
        )
    if code == "rooms_without_damage":
        raise DomainError(
            "validation_error",
            "the house is not damaged, but {value} rooms are given as damaged",
            field,
            params=params,
        )
    raise DomainError(
        "validation_error",
        "{total} damaged rooms in one household: at most {max}",
        field,
        params=params,
    )


def create_household(
    session: Session, actor: Actor, body: HouseholdIn, vault: IdNumberVault
) -> Household:
    try:
        number = normalise_id_number(body.id_number)
    except IdNumberError as exc:
        raise invalid("id_number", exc.message) from None
    event = _event_or_error(session, body.event_id)
    regions = network.regions_and_ancestors(session, [body.region_code])
    if body.region_code not in regions:
        raise unknown_code("region_code", body.region_code, "region")
    authorize_region(session, actor, body.region_code, "region_code")
    problem = region_problem(body.region_code, regions, lowest_region_level(session), event)
    if problem:
        raise DomainError(
            problem.code, problem.message, "region_code", params=problem.message_params()
        )
    _check_rooms(body.damage, {name: getattr(body, name) for name in ROOM_FIELDS})
    id_hash = vault.uniqueness_key(number)
    existing = session.exec(
        select(Household).where(Household.event_id == event.id, Household.id_hash == id_hash)
    ).first()
    if existing is not None:
        raise duplicate_registration(session, actor, existing)
    household = Household(
        event_id=event.id,
        region_code=body.region_code,
        head_name=body.head_name,
        id_hash=id_hash,
        id_cipher=vault.encrypt(number),
        id_masked=mask_id_number(number),
        size=body.size,
        damage=body.damage,
        rooms=body.rooms,
        category=body.category,
        phone=body.phone or None,
        **vault.account_columns(body.bank_account),
        address=body.address or None,
        structure=body.structure,
        collapsed_rooms=body.collapsed_rooms,
        severe_rooms=body.severe_rooms,
        general_rooms=body.general_rooms,
        created_by=actor.username,
    )
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending before the
        # SAVEPOINT, and an INSERT that fails there fails the whole transaction.
        with session.begin_nested():
            session.add(household)
            session.flush()
    except IntegrityError:
        # Another request registered the same number between our check and our insert.
        existing = session.exec(
            select(Household).where(Household.event_id == event.id, Household.id_hash == id_hash)
        ).first()
        if existing is None:
            raise
        raise duplicate_registration(session, actor, existing) from None
    audit.record(
        session, actor, "create", "household", household.id, None, household_snapshot(household)
    )
    return household


def duplicate_registration(session: Session, actor: Actor, existing: Household) -> DomainError:
    """The 409 for a number already registered for the event. In the caller's scope it names
    the existing household (API.md); registered by another county it names only that
    county, never the household's name, number, village or id (issue 12, point 11)."""
    # The event and the village by name in Chinese (issue 13 review #38); English keeps the
    # ids and codes API clients know.
    from relief.emergency.models import EventRow

    event = session.get(EventRow, existing.event_id)
    event_named = Named(str(existing.event_id), f"「{event.name}」" if event else None)
    if not region_in_scope(session, actor, existing.region_code):
        county = county_name(session, existing.region_code)
        return DomainError(
            "duplicate_registration",
            "this ID number is already registered for event {event_id} in another county ({county})",
            "id_number",
            params={"event_id": event_named, "county": county},
        )
    region = session.get(RegionRow, existing.region_code)
    region_named = Named(existing.region_code, region.name if region else None)
    return DomainError(
        "duplicate_registration",
        "this ID number is already registered for event {event_id} as household {existing_id} ({head_name}, {id_masked}, {region_code})",
        "id_number",
        extra={"existing_id": existing.id},
        params={
            "event_id": event_named,
            "existing_id": existing.id,
            "head_name": existing.head_name,
            "id_masked": existing.id_masked,
            "region_code": region_named,
        },
    )


def county_name(session: Session, region_code: str) -> str:
    """The name of the county-level region at or above `region_code` (else the nearest
    region above the county level), for naming another county without its villages."""
    regions = network.regions_and_ancestors(session, [region_code])
    lineage = [regions[code] for code in lineage_of(region_code, regions)]
    for levels in (("county",), ("prefecture", "province")):
        for region in lineage:
            if region.level in levels:
                return region.name
    return "?"


def existing_registrations(
    session: Session, event_id: int, hashes: Iterable[str]
) -> dict[str, tuple[int, str]]:
    """id_hash → (household id, region code) of the numbers already registered for the event."""
    found: dict[str, tuple[int, str]] = {}
    wanted = sorted(set(hashes))
    for start in range(0, len(wanted), 500):  # bounded IN lists on every backend
        chunk = wanted[start : start + 500]
        rows = session.exec(
            select(Household.id_hash, Household.id, Household.region_code).where(
                Household.event_id == event_id, Household.id_hash.in_(chunk)
            )
        ).all()
        found.update({h: (i, r) for h, i, r in rows})
    return found


def existing_id_hashes(session: Session, event_id: int, hashes: Iterable[str]) -> dict[str, int]:
    """id_hash → household id of the numbers already registered for the event."""
    return {h: i for h, (i, _) in existing_registrations(session, event_id, hashes).items()}


def insert_households(
    session: Session, actor: Actor, event_id: int, rows: list[dict[str, Any]]
) -> list[int]:
    """Bulk insert of validated rows (from an import); one audit record names them all."""
    if not rows:
        return []
    at = clock.now()
    values = [
        {**row, "event_id": event_id, "created_by": actor.username, "created_at": at}
        for row in rows
    ]
    table = Household.__table__
    ids = [r[0] for r in session.execute(insert(table).returning(table.c.id), values).all()]
    audit.record(
        session,
        actor,
        "import",
        "household",
        f"event:{event_id}",
        None,
        {"event_id": event_id, "created": len(ids), "household_ids": ids},
    )
    return ids


def get_household(session: Session, actor: Actor, household_id: int) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise not_found("household", household_id)
    authorize_region(session, actor, household.region_code, record="household")
    return household


def read_full_id_number(
    session: Session, actor: Actor, household: Household, vault: IdNumberVault
) -> tuple[str, str | None]:
    """The clear ID number and bank account, for county staff and approvers in scope and
    admins; audited (the record names the masked values only)."""
    ensure_role(actor, "county_staff", "approver", "township_staff")
    authorize_region(session, actor, household.region_code, record="household")
    audit.record(
        session,
        actor,
        "read_id_number",
        "household",
        household.id,
        None,
        {"id_number": household.id_masked, "bank_account": household.bank_masked},
    )
    account = vault.decrypt_account(household.bank_cipher) if household.bank_cipher else None
    return vault.decrypt(household.id_cipher), account


# The household list's sort keys (`sort=name`, `-name` for descending); ties go by id.
HOUSEHOLD_SORTS: dict[str, Any] = {
    "id": Household.id,
    "name": Household.head_name,
    "region": Household.region_code,
    "size": Household.size,
    "damage": Household.damage,
    "rooms": Household.rooms,
    "category": Household.category,
    "created_at": Household.created_at,
}
# Four characters that can end an ID number: what `q` takes for "the last digits".
_ID_TAIL = re.compile(r"^\d{3}[\dXx]$")


def _like(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own % and _ taken literally (escape '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def household_search(session: Session, q: str) -> ColumnElement[bool] | None:
    """Households whose head's name contains `q`, whose village or township (or any region
    above them) is named with `q`, or whose ID number ends in `q` when `q` is its last four
    characters: read from the masked column, which keeps them, so nothing is decrypted."""
    text = unicodedata.normalize("NFKC", q).strip()
    if not text:
        return None
    pattern = _like(text)
    named = list(
        session.exec(select(RegionRow.code).where(RegionRow.name.like(pattern, escape="\\"))).all()
    )
    conditions: list[ColumnElement[bool]] = [Household.head_name.like(pattern, escape="\\")]
    if named:
        conditions.append(_under(Household.region_code, named[:200], "named_regions"))
    if _ID_TAIL.match(text):
        conditions.append(Household.id_masked.like(f"%{text.upper()}"))
    return or_(*conditions)


def _ordered(sort: str | None, columns: dict[str, Any], default: Any) -> list[Any]:
    """ORDER BY for `sort` (a key of `columns`, "-" first for descending), ties by `default`."""
    key = (sort or "").strip()
    descending = key.startswith("-")
    column = columns.get(key.lstrip("-"))
    if column is None:
        return [default]
    return [column.desc() if descending else column.asc(), default]


def households_query(
    session: Session,
    actor: Actor,
    *,
    event_id: int | None = None,
    region_code: str | None = None,
    without_case: str | None = None,
    q: str | None = None,
    damage: str | None = None,
) -> Select:
    """The households in the caller's scope that the filters select (the list's and the
    bulk case opening's selection)."""
    query = select(Household)
    scope = _scope_condition(actor, Household.region_code)
    if scope is not None:
        query = query.where(scope)
    if event_id is not None:
        query = query.where(Household.event_id == event_id)
    if region_code:
        query = query.where(_under(Household.region_code, [region_code], "filter_regions"))
    if without_case:
        query = query.where(
            ~exists().where(Case.household_id == Household.id, Case.programme_code == without_case)
        )
    if damage:
        query = query.where(Household.damage == damage)
    if q:
        found = household_search(session, q)
        if found is not None:
            query = query.where(found)
    return query


def list_households(
    session: Session,
    actor: Actor,
    *,
    event_id: int | None = None,
    region_code: str | None = None,
    without_case: str | None = None,
    q: str | None = None,
    damage: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Household], int]:
    query = households_query(
        session,
        actor,
        event_id=event_id,
        region_code=region_code,
        without_case=without_case,
        q=q,
        damage=damage,
    )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = _ordered(sort, HOUSEHOLD_SORTS, Household.id)
    rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
    return list(rows), total


def cases_of_households(session: Session, household_ids: Sequence[int]) -> dict[int, int]:
    """household id → how many cases it has (households without any are left out)."""
    if not household_ids:
        return {}
    rows = session.exec(
        select(Case.household_id, func.count())
        .where(Case.household_id.in_(list(household_ids)))
        .group_by(Case.household_id)
    ).all()
    return {household: int(count) for household, count in rows}


def case_programmes(session: Session, household_ids: Sequence[int]) -> dict[int, set[str]]:
    """household id → the programmes it has a case in (households without any are left out)."""
    if not household_ids:
        return {}
    out: dict[int, set[str]] = {}
    rows = session.exec(
        select(Case.household_id, Case.programme_code).where(
            Case.household_id.in_(list(household_ids))
        )
    ).all()
    for household, programme in rows:
        out.setdefault(household, set()).add(programme)
    return out


def registrable_regions(session: Session, actor: Actor) -> list[tuple[RegionRow, str]]:
    """The regions a household can be registered at by this user: the scenario's lowest
    level within the user's scope (admin: everywhere), each with its parent's name, ordered
    by parent and code. What the household form's region picker offers."""
    lowest = lowest_region_level(session)
    if lowest is None:
        return []
    query = select(RegionRow).where(RegionRow.level == lowest)
    scope = _scope_condition(actor, RegionRow.code)
    if scope is not None:
        query = query.where(scope)
    rows = list(session.exec(query.order_by(RegionRow.code)).all())
    parents = {r.parent_code for r in rows if r.parent_code}
    names = {
        code: name
        for code, name in session.exec(
            select(RegionRow.code, RegionRow.name).where(RegionRow.code.in_(sorted(parents)))
        ).all()
    }
    return [(r, names.get(r.parent_code or "", "")) for r in rows]


def _masked_snapshot(household: Household) -> dict[str, Any]:
    """The household as an audit record keeps it: masked ID number and account only."""
    return household_snapshot(household)


def household_version(session: Session, household_id: int) -> int:
    """A household's version: how many corrections it has had (its audited `update`s). A
    form (or a PATCH) made from version n is refused once the household is at another one."""
    from relief.audit.models import AuditRecord

    count = session.exec(
        select(func.count()).where(
            AuditRecord.entity == "household",
            AuditRecord.entity_id == str(household_id),
            AuditRecord.action == "update",
        )
    ).one()
    return int(count or 0)


def last_correction(session: Session, household_id: int) -> Any:
    """The household's latest audited correction (who, when, before, after), or None."""
    records = audit.history(session, "household", household_id, actions=("update",))
    return records[-1] if records else None


def update_household(
    session: Session,
    actor: Actor,
    household_id: int,
    body: HouseholdPatch,
    vault: IdNumberVault,
) -> Household:
    """Correct a household's registration, with a reason. Scope is checked on the household
    and on a new region; a new ID number is checked for duplicates in the event like a new
    registration. Cases keep the amount fixed when they were opened. Audited with the
    before and after (masked) and the reason."""
    ensure_role(actor, "county_staff", "township_staff")
    household = session.exec(
        select(Household)
        .where(Household.id == household_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if household is None:
        raise not_found("household", household_id)
    authorize_region(session, actor, household.region_code, record="household")
    if body.version is not None:
        current = household_version(session, household.id or 0)
        if current != body.version:
            last = last_correction(session, household.id or 0)
            who = last.actor if last is not None else ""
            when = clock.to_cst(last.at).strftime("%Y-%m-%d %H:%M") if last is not None else ""
            raise DomainError(
                "household_stale",
                "household {household_id} was corrected by {who} at {when} after this "
                "correction was started (now version {current}); look at it again",
                "version",
                params={
                    "household_id": household.id,
                    "who": who,
                    "when": when,
                    "current": current,
                },
            )
    before = _masked_snapshot(household)
    changes = body.model_dump(exclude_unset=True, exclude={"reason", "version"})
    if "region_code" in changes and changes["region_code"] != household.region_code:
        code = changes["region_code"]
        event = _event_or_error(session, household.event_id, "region_code")
        regions = network.regions_and_ancestors(session, [code])
        if code not in regions:
            raise unknown_code("region_code", code, "region")
        authorize_region(session, actor, code, "region_code")
        problem = region_problem(code, regions, lowest_region_level(session), event)
        if problem:
            raise DomainError(
                problem.code, problem.message, "region_code", params=problem.message_params()
            )
        household.region_code = code
    if "id_number" in changes:
        try:
            number = normalise_id_number(changes["id_number"] or "")
        except IdNumberError as exc:
            raise invalid("id_number", exc.message) from None
        id_hash = vault.uniqueness_key(number)
        if id_hash != household.id_hash:
            existing = session.exec(
                select(Household).where(
                    Household.event_id == household.event_id,
                    Household.id_hash == id_hash,
                    Household.id != household.id,
                )
            ).first()
            if existing is not None:
                raise duplicate_registration(session, actor, existing)
            household.id_hash = id_hash
            household.id_cipher = vault.encrypt(number)
            household.id_masked = mask_id_number(number)
    for name in ("head_name", "size", "damage", "rooms", "category"):
        if name in changes and changes[name] is not None:
            setattr(household, name, changes[name])
    if "phone" in changes:
        household.phone = changes["phone"] or None
    for name in LEDGER_FIELDS:
        if name in changes:
            # "" and null clear a ledger field; 0 rooms is a figure, kept.
            value = changes[name]
            setattr(household, name, None if value == "" else value)
    if "bank_account" in changes:
        for column, value in vault.account_columns(changes["bank_account"] or None).items():
            setattr(household, column, value)
    _check_rooms(household.damage, {name: getattr(household, name) for name in ROOM_FIELDS})
    after = _masked_snapshot(household)
    try:
        with session.begin_nested():
            session.add(household)
            session.flush()
    except IntegrityError:
        # Another request registered the same number for the event meanwhile.
        raise DomainError(
            "duplicate_registration",
            "this ID number is already registered for the event",
            "id_number",
        ) from None
    audit.record(
        session,
        actor,
        "update",
        "household",
        household.id,
        before,
        {**after, "reason": body.reason},
    )
    return household


def delete_household(session: Session, actor: Actor, household_id: int, reason: str) -> None:
    """Delete a household registered by mistake, with a reason, while it has no case (409
    `household_has_cases` otherwise). The audit record keeps the masked registration."""
    ensure_role(actor, "county_staff", "township_staff")
    reason = reason.strip()
    household = session.exec(
        select(Household)
        .where(Household.id == household_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if household is None:
        raise not_found("household", household_id)
    authorize_region(session, actor, household.region_code, record="household")
    if not reason:
        raise invalid("reason", "a reason is required to delete a household")
    cases = cases_of_households(session, [household.id]).get(household.id, 0)
    if cases:
        raise DomainError(
            "household_has_cases",
            "household {household_id} has {cases} case(s); a household with cases is not deleted (reject its cases instead)",
            None,
            extra={"cases": cases},
            params={"household_id": household.id, "cases": cases},
        )
    before = _masked_snapshot(household)
    session.delete(household)
    session.flush()
    audit.record(session, actor, "delete", "household", household_id, before, {"reason": reason})


def _page(session: Session, query: Select, order: Any, limit: int, offset: int):
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(order).offset(offset).limit(limit)).all()
    return list(rows), total


# --- programmes and standards ------------------------------------------------------------


def default_notice_days(session: Session, region_code: str) -> int:
    """policy `subsidies.notice_days` in force now for the programme's region, else 7."""
    from relief.emergency import policy

    value = policy.policy_for(session, clock.now(), [region_code]).subsidies.get("notice_days")
    return value if isinstance(value, int) and value >= 0 else DEFAULT_NOTICE_DAYS


def create_programme(session: Session, actor: Actor, body: ProgrammeIn) -> Programme:
    if session.get(Programme, body.code) is not None:
        raise DomainError(
            "duplicate",
            "programme {programme_code} already exists",
            "code",
            params={"programme_code": body.code},
        )
    if network.get_region(session, body.region_code) is None:
        raise unknown_code("region_code", body.region_code, "region")
    if body.event_id is not None:
        _event_or_error(session, body.event_id)
    programme = Programme(
        code=body.code,
        name=body.name,
        kind=body.kind,
        region_code=body.region_code,
        event_id=body.event_id,
        budget_fen=body.budget,
        notice_days=body.notice_days
        if body.notice_days is not None
        else default_notice_days(session, body.region_code),
        supervision_phone=body.supervision_phone,
        eligibility=eligibility_column(with_kind_default(body.kind, body.eligibility)),
    )
    session.add(programme)
    session.flush()
    audit.record(session, actor, "create", "programme", programme.code, None, programme)
    for index, standard in enumerate(body.standards):
        add_standard(session, actor, programme, standard, field_prefix=f"standards[{index}].")
    return programme


def change_budget(session: Session, actor: Actor, code: str, budget_fen: int) -> Programme:
    """Set a programme's budget (PATCH /programmes/{code}; admin, as creating one). The new
    budget may not fall below what is already approved or paid on the programme's cases
    (409 `budget_below_spent` with the figures); beyond the funds that reached the region
    is only flagged on the summary. Audited as an update of the programme."""
    ensure_role(actor)
    if budget_fen < 0:
        raise invalid("budget", "the budget is not negative")
    # Lock the row: an approval checks the budget under the same lock.
    programme = session.exec(
        select(Programme).where(Programme.code == code).with_for_update()
    ).one_or_none()
    if programme is None:
        raise not_found("programme", code)
    approved = int(
        session.exec(
            select(func.coalesce(func.sum(Case.amount_fen), 0)).where(
                Case.programme_code == code, Case.status == "approved"
            )
        ).one()
    )
    paid = int(
        session.exec(
            select(func.coalesce(func.sum(Payment.amount_fen), 0))
            .join(Case, Case.id == Payment.case_id)
            .where(Case.programme_code == code)
        ).one()
    )
    floor = max(approved, paid)
    if budget_fen < floor:
        raise DomainError(
            "budget_below_spent",
            "a budget of {budget} is below what programme {programme_code} has already approved ({approved}) or paid ({paid})",
            "budget",
            extra={
                "budget": format_fen(budget_fen) or "0.00",
                "approved": format_fen(approved) or "0.00",
                "paid": format_fen(paid) or "0.00",
            },
            params={
                "programme_code": code,
                "budget": yuan_text(budget_fen),
                "approved": yuan_text(approved),
                "paid": yuan_text(paid),
            },
        )
    if programme.budget_fen != budget_fen:
        before = audit.snapshot(programme)
        programme.budget_fen = budget_fen
        session.add(programme)
        session.flush()
        audit.record(session, actor, "update", "programme", programme.code, before, programme)
    return programme


def upsert_programme(session: Session, actor: Actor, body: ProgrammeIn) -> str:
    """For the scenario loader: create the programme, or bring a stored one up to date.
    Standards are only ever added (cases point at the ones they were computed from), so a
    reload adds the standards the stored programme lacks. Returns created/updated/unchanged.
    """
    programme = session.get(Programme, body.code)
    if programme is None:
        create_programme(session, actor, body)
        return "created"
    before = audit.snapshot(programme)
    wanted = {
        "name": body.name,
        "kind": body.kind,
        "region_code": body.region_code,
        "event_id": body.event_id,
        "budget_fen": body.budget,
        "notice_days": body.notice_days if body.notice_days is not None else programme.notice_days,
        "supervision_phone": body.supervision_phone,
        "eligibility": eligibility_column(with_kind_default(body.kind, body.eligibility)),
    }
    if wanted["kind"] != programme.kind and not _reclassifiable(session, programme, body.kind):
        raise invalid(
            "kind",
            "programme {programme_code} is a {kind} programme",
            params={
                "programme_code": programme.code,
                "kind": Term(f"programme_kind.{programme.kind}"),
            },
        )
    if network.get_region(session, body.region_code) is None:
        raise unknown_code("region_code", body.region_code, "region")
    changed = False
    for name, value in wanted.items():
        if getattr(programme, name) != value:
            setattr(programme, name, value)
            changed = True
    if changed:
        session.add(programme)
        session.flush()
        audit.record(session, actor, "update", "programme", programme.code, before, programme)
    stored = {_standard_key(s) for s in standards_of(session, programme.code)}
    for index, standard in enumerate(body.standards):
        row = _standard_row(programme, standard, f"standards[{index}].")
        if _standard_key(row) not in stored:
            add_standard(session, actor, programme, standard, field_prefix=f"standards[{index}].")
            stored.add(_standard_key(row))
            changed = True
    return "updated" if changed else "unchanged"


def _reclassifiable(session: Session, programme: Programme, kind: str) -> bool:
    """A grain programme that was really 过渡期 or 冬春 (issue 15: QDN-GRAIN-2026-FLOOD) may
    become that kind on a reload: its stored standards mean the same under the new kind
    (money or kg per person and month × months × people), unless one is per household."""
    if programme.kind != "grain" or kind not in ("transitional", "winter_spring"):
        return False
    return not any(s.per_household for s in standards_of(session, programme.code))


def _standard_key(s: Standard) -> tuple[Any, ...]:
    kg = None if s.per_person_month_kg is None else Decimal(s.per_person_month_kg).normalize()
    percent = None if s.percent is None else Decimal(s.percent).normalize()
    return (
        s.per_person_fen,
        s.share_of,
        percent,
        s.cap_per_household_fen,
        s.effective_from,
        s.category,
        s.damage,
        s.per_household_fen,
        s.per_room_fen,
        s.per_person_month_fen,
        kg,
        s.price_per_kg_fen,
        s.months,
        bool(s.per_household),
    )


def eligibility_column(rule: Eligibility | None) -> dict[str, Any] | None:
    """A rule as stored on the programme row: only the lists it gives."""
    return rule.model_dump(exclude_none=True) if rule is not None else None


def with_kind_default(kind: str, rule: Eligibility | None) -> Eligibility | None:
    """The rule a programme of `kind` keeps: the one given, with the kind's default damage
    classes (DEFAULT_DAMAGE: 过渡期 → collapsed, severe) where it names none."""
    damage = DEFAULT_DAMAGE.get(kind)
    if damage is None or (rule is not None and rule.damage is not None):
        return rule
    if rule is None:
        return Eligibility(damage=list(damage))
    return rule.model_copy(update={"damage": list(damage)})


def eligibility_of(programme: Programme) -> Eligibility | None:
    return Eligibility(**programme.eligibility) if programme.eligibility else None


def check_eligibility(programme: Programme, household: Household) -> None:
    """422 `not_eligible` naming the rule when the programme's eligibility (policy.yaml or
    POST /programmes) leaves the household out; a programme without a rule takes anyone."""
    rule = eligibility_of(programme)
    refusal = rule.refusal(household.damage, household.category) if rule else None
    if rule is None or refusal is None:
        return
    extra = {"eligibility": rule.model_dump()}
    if refusal == "damage":
        raise DomainError(
            "not_eligible",
            "programme {programme_code} covers damage {covered}; household damage is {damage}",
            "household_id",
            extra=extra,
            params={
                "programme_code": programme.code,
                "covered": coded("damage", *(rule.damage or ())),
                "damage": coded("damage", household.damage),
            },
        )
    raise DomainError(
        "not_eligible",
        "programme {programme_code} covers categories {covered}; household category is {category}",
        "household_id",
        extra=extra,
        params={
            "programme_code": programme.code,
            "covered": coded("category", *(rule.categories or ())),
            "category": coded("category", household.category),
        },
    )


def get_programme(session: Session, code: str, field: str | None = None) -> Programme:
    programme = session.get(Programme, code)
    if programme is None:
        if field:
            raise unknown_code(field, code, "programme")
        raise not_found("programme", code)
    return programme


def programme_visible(session: Session, actor: Actor, programme: Programme) -> bool:
    """A programme concerns a clerk when it covers their region or lies inside it: a county
    clerk works on the city's programme for the households of their county."""
    if region_in_scope(session, actor, programme.region_code):
        return True
    return any(
        programme.region_code in network.region_lineage(session, code)
        for code in actor.region_codes
    )


def authorize_programme(session: Session, actor: Actor, programme: Programme) -> None:
    if not programme_visible(session, actor, programme):
        raise DomainError(
            "scope_forbidden",
            "programme {programme_code} is not in your scope",
            None,
            params={"programme_code": programme.code},
        )


def list_programmes(session: Session, actor: Actor) -> list[Programme]:
    rows = session.exec(select(Programme).order_by(Programme.code)).all()
    return [p for p in rows if programme_visible(session, actor, p)]


def standards_of(session: Session, code: str) -> list[Standard]:
    return list(
        session.exec(
            select(Standard)
            .where(Standard.programme_code == code)
            .order_by(Standard.effective_from, Standard.id)
        ).all()
    )


def add_standard(
    session: Session,
    actor: Actor,
    programme: Programme,
    body: StandardIn,
    *,
    field_prefix: str = "",
) -> Standard:
    standard = _standard_row(programme, body, field_prefix)
    if standard.share_of is not None:
        known = reference_codes(session)
        if standard.share_of not in known:
            raise invalid(
                field_prefix + "share_of",
                "unknown reference standard {code}; the policy's subsidies.reference_standards name: {known}",
                params={"code": standard.share_of, "known": ", ".join(sorted(known)) or "-"},
            )
    session.add(standard)
    session.flush()
    audit.record(session, actor, "create", "subsidy_standard", standard.id, None, standard)
    return standard


def _standard_row(programme: Programme, body: StandardIn, prefix: str) -> Standard:
    def bad(field: str, message: str, params: dict[str, Any] | None = None) -> DomainError:
        return invalid(prefix + field, message, params)

    if programme.kind in LIVING_KINDS:
        money = None  # per_household: an amount (the basis), or a flag (× 1, not × people)
        if body.per_household is not None and not isinstance(body.per_household, bool):
            try:
                money = parse_fen(body.per_household)
            except ValueError as exc:
                raise bad("per_household", str(exc)) from None
        return _living_standard_row(programme, body, bad, money)
    for field in ("per_person", "share_of", "percent", "cap_per_household"):
        if getattr(body, field) is not None:
            raise bad(
                field,
                "not a field of a {kind} standard",
                params={"kind": Term(f"programme_kind.{programme.kind}")},
            )
    if programme.kind == "rebuild":
        for field in ("per_person_month", "per_person_month_kg", "price_per_kg", "months"):
            if getattr(body, field) is not None:
                raise bad(field, "not a field of a rebuild standard")
        if body.damage is None:
            raise bad("damage", "a rebuild standard names the damage (collapsed, severe, general)")
        per_household = None
        if body.per_household is not None:
            try:
                per_household = parse_fen(body.per_household)
            except ValueError as exc:
                raise bad("per_household", str(exc)) from None
            if per_household < 0:
                raise bad("per_household", "an amount is not negative")
        if per_household is None and body.per_room is None:
            raise bad("per_household", "a rebuild standard needs per_household or per_room")
        return Standard(
            programme_code=programme.code,
            effective_from=body.effective_from,
            category=body.category,
            damage=body.damage,
            per_household_fen=per_household,
            per_room_fen=body.per_room,
        )
    if body.damage is not None:
        raise bad("damage", "not a field of a grain standard")
    if body.per_room is not None:
        raise bad("per_room", "not a field of a grain standard")
    if body.per_household is not None and not isinstance(body.per_household, bool):
        raise bad("per_household", "in a grain standard per_household is true or false")
    if body.months is None:
        raise bad("months", "a grain standard needs months")
    by_money = body.per_person_month is not None
    by_kg = body.per_person_month_kg is not None or body.price_per_kg is not None
    if by_money == by_kg:
        raise bad(
            "per_person_month",
            "give either per_person_month, or per_person_month_kg with price_per_kg",
        )
    if by_kg and (body.per_person_month_kg is None or body.price_per_kg is None):
        field = "price_per_kg" if body.price_per_kg is None else "per_person_month_kg"
        raise bad(field, "per_person_month_kg and price_per_kg go together")
    return Standard(
        programme_code=programme.code,
        effective_from=body.effective_from,
        category=body.category,
        per_person_month_fen=body.per_person_month,
        per_person_month_kg=body.per_person_month_kg,
        price_per_kg_fen=body.price_per_kg,
        months=body.months,
        per_household=bool(body.per_household),
    )


def _living_standard_row(
    programme: Programme, body: StandardIn, bad: Any, per_household: int | None
) -> Standard:
    """A standard of a living kind: exactly one basis (BASES), `months` with a monthly one,
    `percent` with `share_of`; `per_household: true` (× 1, not × people) only with a
    monthly or share basis; `cap_per_household` on any basis but kilograms."""
    kind = Term(f"programme_kind.{programme.kind}")
    for field in ("damage", "per_room"):
        if getattr(body, field) is not None:
            raise bad(field, "not a field of a {kind} standard", params={"kind": kind})
    flag = isinstance(body.per_household, bool)
    if per_household is not None and per_household < 0:
        raise bad("per_household", "an amount is not negative")
    given = [
        name
        for name, value in (
            ("per_household", per_household),
            ("per_person", body.per_person),
            ("per_person_month", body.per_person_month),
            ("per_person_month_kg", body.per_person_month_kg),
            ("share_of", body.share_of),
        )
        if value is not None
    ]
    if len(given) != 1:
        field = given[1] if given else "per_person_month"
        raise bad(
            field,
            "a standard gives exactly one of per_household, per_person, per_person_month, per_person_month_kg or share_of",
        )
    basis = given[0]
    monthly = basis in ("per_person_month", "per_person_month_kg", "share_of")
    if monthly and body.months is None:
        raise bad("months", "per_person_month, per_person_month_kg and share_of need months")
    if not monthly and body.months is not None:
        raise bad("months", "months go with per_person_month, per_person_month_kg or share_of")
    if flag and not monthly:
        raise bad("per_household", "per_household is an amount in yuan here, not true or false")
    if (basis == "per_person_month_kg") != (body.price_per_kg is not None):
        raise bad("price_per_kg", "per_person_month_kg and price_per_kg go together")
    if (basis == "share_of") != (body.percent is not None):
        raise bad("percent", "share_of and percent go together")
    if basis == "per_person_month_kg" and body.cap_per_household is not None:
        raise bad("cap_per_household", "a kilogram standard has no cap in yuan")
    return Standard(
        programme_code=programme.code,
        effective_from=body.effective_from,
        category=body.category,
        per_household_fen=per_household,
        per_person_fen=body.per_person,
        per_person_month_fen=body.per_person_month,
        per_person_month_kg=body.per_person_month_kg,
        price_per_kg_fen=body.price_per_kg,
        months=body.months,
        per_household=bool(body.per_household) if flag else False,
        share_of=body.share_of,
        percent=body.percent,
        cap_per_household_fen=body.cap_per_household,
    )


# --- reference standards (policy) -----------------------------------------------------------


def _references(subsidies: dict[str, Any]) -> list[dict[str, Any]]:
    found = subsidies.get("reference_standards") if isinstance(subsidies, dict) else None
    return [r for r in found or [] if isinstance(r, dict) and isinstance(r.get("code"), str)]


def reference_codes(session: Session) -> set[str]:
    """The reference standards any stored policy version names (`subsidies.reference_standards`)."""
    from relief.emergency import policy

    return {
        r["code"]
        for row in policy.list_policies(session)
        for r in _references((row.document or {}).get("subsidies", {}))
    }


def reference_name(session: Session, code: str) -> str | None:
    """The `name` a policy gives reference standard `code` (e.g. 城市居民最低生活保障标准)."""
    from relief.emergency import policy

    for row in reversed(policy.list_policies(session)):
        for r in _references((row.document or {}).get("subsidies", {})):
            if r["code"] == code and isinstance(r.get("name"), str):
                return r["name"]
    return None


def reference_standard(
    session: Session, code: str, region_code: str, at: datetime, on: date
) -> int | None:
    """Fen per person and month of reference standard `code` (e.g. dibao_urban, the urban
    低保 standard) in the policy in force at `at` for the household's region: the entry
    with the latest `effective_from` on or before `on`, an entry for a region at or above
    the household's before one without a region. None when there is none."""
    from relief.emergency import policy

    lineage = network.region_lineage(session, region_code)
    best: tuple[Any, ...] | None = None
    for entry in _references(policy.policy_for(session, at, [region_code]).subsidies):
        if entry["code"] != code:
            continue
        region = entry.get("region_code")
        if region is not None and str(region) not in lineage:
            continue
        try:
            since = entry.get("effective_from")
            since = date.fromisoformat(since) if isinstance(since, str) else since
            fen = parse_fen(entry.get("per_person_month"))
        except (TypeError, ValueError):
            continue
        if not isinstance(since, date) or since > on or fen < 0:
            continue
        key = (since, region is not None, fen)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else best[2]


# --- amounts (pure) -----------------------------------------------------------------------


def standard_basis(standard: Standard) -> str:
    """How a standard sets the amount: `rebuild` (per household and room by damage) or one
    of BASES (a grain standard's is per_person_month or per_person_month_kg)."""
    if standard.damage is not None:
        return "rebuild"
    if standard.share_of is not None:
        return "share_of"
    if standard.per_person_month_kg is not None:
        return "per_person_month_kg"
    if standard.per_person_month_fen is not None:
        return "per_person_month"
    if standard.per_person_fen is not None:
        return "per_person"
    return "per_household"


def share_monthly_fen(reference_fen: int, percent: Decimal) -> int:
    """`percent` % of a reference standard (fen per person and month), to the fen."""
    value = Decimal(reference_fen) * Decimal(percent) / 100
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def standard_in_force(
    standards: Iterable[Standard], kind: str, damage: str, category: str, on: date
) -> Standard | None:
    """The standard in force on `on` for the household's category, else the one without a
    category (API.md "Case amount"); the latest effective_from wins."""
    candidates = [
        s for s in standards if s.effective_from <= on and (kind != "rebuild" or s.damage == damage)
    ]

    def latest(pool: list[Standard]) -> Standard | None:
        return max(pool, key=lambda s: (s.effective_from, s.id or 0), default=None)

    return latest([s for s in candidates if s.category == category]) or latest(
        [s for s in candidates if s.category is None]
    )


def case_amount(
    standard: Standard,
    kind: str,
    size: int,
    rooms: int,
    *,
    months: int | None = None,
    reference_fen: int | None = None,
) -> tuple[int, Decimal | None]:
    """(amount in fen, grain kg or None) of a household under a standard. `months` (a
    case's, at most the standard's) replaces the standard's months; `reference_fen` is the
    reference standard a `share_of` standard takes its percent of. Then the cap."""
    if kind == "rebuild":
        return (standard.per_household_fen or 0) + (standard.per_room_fen or 0) * rooms, None
    basis = standard_basis(standard)
    heads = 1 if standard.per_household else size
    months = months if months is not None else (standard.months or 0)
    kg = None
    if basis == "per_person_month_kg":
        kg = Decimal(standard.per_person_month_kg or 0) * months * heads
        fen = int((kg * (standard.price_per_kg_fen or 0)).quantize(Decimal(1), ROUND_HALF_UP))
    elif basis == "share_of":
        fen = share_monthly_fen(reference_fen or 0, standard.percent or Decimal(0)) * months * heads
    elif basis == "per_person_month":
        fen = (standard.per_person_month_fen or 0) * months * heads
    elif basis == "per_person":
        fen = (standard.per_person_fen or 0) * size
    else:
        fen = standard.per_household_fen or 0
    if standard.cap_per_household_fen is not None:
        fen = min(fen, standard.cap_per_household_fen)
    return fen, kg


# --- cases -------------------------------------------------------------------------------


def case_for(session: Session, household_id: int, programme_code: str) -> Case | None:
    """The household's case in the programme, if it has one (at most one: a unique key)."""
    return session.exec(
        select(Case).where(Case.household_id == household_id, Case.programme_code == programme_code)
    ).first()


def create_case(
    session: Session,
    actor: Actor,
    household_id: int,
    programme_code: str,
    months: int | None = None,
    temporary_fields: dict[str, Any] | None = None,
) -> Case:
    """`temporary_fields`: a 临时救助 case's columns (relief_type, cause, applied_at…),
    set before the insert; such a case is not held to one per registration and programme
    (relief.subsidies.temporary applies its own once-a-year-per-cause rule)."""
    # FOR KEY SHARE: a deletion of the household (FOR UPDATE) waits for this case, or this
    # waits for the deletion and finds no household, never a foreign-key failure.
    household = session.exec(
        select(Household)
        .where(Household.id == household_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).first()
    if household is None:
        raise unknown_code("household_id", household_id, "household")
    authorize_region(session, actor, household.region_code, "household_id", record="household")
    programme = get_programme(session, programme_code, field="programme_code")
    _keep(session, household, programme)
    if programme.event_id is not None and programme.event_id != household.event_id:
        raise invalid(
            "programme_code",
            "programme {programme_code} is for event {event_id}, the household was registered for event {household_event_id}",
            params={
                "programme_code": programme.code,
                "event_id": programme.event_id,
                "household_event_id": household.event_id,
            },
        )
    if programme.region_code not in network.region_lineage(session, household.region_code):
        raise invalid(
            "programme_code",
            "programme {programme_code} covers {programme_region}, not the household's region {household_region}",
            params={
                "programme_code": programme.code,
                "programme_region": programme.region_code,
                "household_region": household.region_code,
            },
        )
    repeatable = bool(temporary_fields and temporary_fields.get("relief_type"))
    existing = None if repeatable else case_for(session, household.id, programme.code)
    if existing is not None:
        raise duplicate_case(existing)
    event = _event_or_error(session, household.event_id, "household_id")
    on = clock.to_cst(event.started_at).date()
    if programme.kind == "rebuild" and household.damage == "none":
        raise DomainError(
            "no_standard", "an undamaged house gets no rebuild subsidy", "programme_code"
        )
    check_eligibility(programme, household)
    if (
        programme.kind == "winter_spring"
    ):  # 冬春: the needs survey rule (relief/subsidies/winter.py)
        from relief.subsidies import winter

        winter.check_in_survey(session, programme, household)
    standard = standard_in_force(
        standards_of(session, programme.code),
        programme.kind,
        household.damage,
        household.category,
        on,
    )
    if standard is None:
        raise DomainError(
            "no_standard",
            "programme {programme_code} has no standard in force on {on} for damage {damage}, category {category}",
            "programme_code",
            params={
                "programme_code": programme.code,
                "on": on.isoformat(),
                "damage": coded("damage", household.damage),
                "category": coded("category", household.category),
            },
        )
    counted, reference = _months_and_reference(
        session, programme, standard, household, event, on, months
    )
    amount, grain_kg = case_amount(
        standard,
        programme.kind,
        household.size,
        household.rooms,
        months=counted,
        reference_fen=reference,
    )
    case = Case(
        household_id=household.id,
        programme_code=programme.code,
        standard_id=standard.id,
        amount_fen=amount,
        grain_kg=grain_kg,
        months=counted,
        reference_fen=reference,
        created_by=actor.username,
        **(temporary_fields or {}),
    )
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending before the
        # SAVEPOINT, and an INSERT that fails there fails the whole transaction.
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        existing = session.exec(
            select(Case).where(
                Case.household_id == household.id,
                Case.programme_code == programme.code,
                col(Case.relief_type).is_(None),
            )
        ).first()
        if existing is None or repeatable:
            raise
        raise duplicate_case(existing) from None
    audit.record(session, actor, "create", "subsidy_case", case.id, None, case)
    return case


def _months_and_reference(
    session: Session,
    programme: Programme,
    standard: Standard,
    household: Household,
    event: EventRef,
    on: date,
    months: int | None,
) -> tuple[int | None, int | None]:
    """The months a living kind's case counts (the case's, at most the standard's, else the
    standard's) and the reference standard of a share; 422 naming what is wrong."""
    basis = standard_basis(standard)
    monthly = programme.kind in LIVING_KINDS and basis in (
        "per_person_month",
        "per_person_month_kg",
        "share_of",
    )
    if months is not None and not monthly:
        raise invalid(
            "months",
            "the amount of programme {programme_code} is not counted in months",
            params={"programme_code": programme.code},
        )
    if months is not None and months > (standard.months or 0):
        raise invalid(
            "months",
            "programme {programme_code} pays at most {max_months} months",
            params={"programme_code": programme.code, "max_months": standard.months},
        )
    counted = (months or standard.months) if monthly else None
    reference = None
    if basis == "share_of" and standard.share_of is not None:
        reference = reference_standard(
            session, standard.share_of, household.region_code, event.started_at, on
        )
        if reference is None:
            raise DomainError(
                "no_standard",
                "no reference standard {reference} in force on {on} for region {region_code}",
                "programme_code",
                params={
                    "reference": standard.share_of,
                    "on": on.isoformat(),
                    "region_code": household.region_code,
                },
            )
    return counted, reference


# Households a bulk opening takes at most (a county's event is a few thousand).
BULK_MAX = 5000
# Refusals a bulk opening counts and lists instead of failing on.
_BULK_REFUSALS = ("not_eligible", "no_standard", "validation_error", "not_in_survey")


def create_cases_bulk(
    session: Session,
    actor: Actor,
    programme_code: str,
    *,
    household_ids: Sequence[int] | None = None,
    filters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Open cases in one programme for the households named (each must be in the caller's
    scope: 403 otherwise) or selected by `filters` (the household list's, within scope).
    Households that already have a case in the programme are skipped and counted; those
    the programme refuses (not eligible, no standard, another event) are counted and
    listed, not fatal. All in the caller's one transaction."""
    ensure_role(actor, "county_staff", "township_staff")
    programme = get_programme(session, programme_code, field="programme_code")
    if household_ids is not None:
        wanted = list(dict.fromkeys(household_ids))
        rows = session.exec(select(Household).where(Household.id.in_(wanted))).all()
        found = {h.id: h for h in rows}
        for index, household_id in enumerate(wanted):
            if household_id not in found:
                raise unknown_code(f"household_ids[{index}]", household_id, "household")
            authorize_region(
                session, actor, found[household_id].region_code, "household_ids", record="household"
            )
        households = [found[i] for i in wanted]
    else:
        chosen = dict(filters or {})
        without = chosen.pop("without_case", True)
        query = households_query(
            session, actor, without_case=programme.code if without else None, **chosen
        )
        households = list(session.exec(query.order_by(Household.id).limit(BULK_MAX + 1)).all())
        if len(households) > BULK_MAX:
            raise invalid(
                "filter",
                "the filter selects more than {max_households} households",
                params={"max_households": BULK_MAX},
            )
    existing = set(
        session.exec(
            select(Case.household_id).where(
                Case.programme_code == programme.code,
                Case.household_id.in_([h.id for h in households] or [0]),
            )
        ).all()
    )
    created: list[int] = []
    refused: list[dict[str, Any]] = []
    skipped = 0
    for household in households:
        if household.id in existing:
            skipped += 1
            continue
        try:
            case = create_case(session, actor, household.id, programme.code)
        except DomainError as exc:
            if exc.code == "duplicate_case":
                skipped += 1
                continue
            if exc.code not in _BULK_REFUSALS:
                raise
            refused.append(
                {
                    "household_id": household.id,
                    "code": exc.code,
                    "message": exc.text("en"),
                    "message_zh": exc.text("zh"),
                }
            )
            continue
        created.append(case.id)
    return {
        "created": len(created),
        "skipped_existing": skipped,
        "not_eligible": len(refused),
        "cases": created,
        "refused": refused,
    }


def duplicate_case(existing: Case) -> DomainError:
    return DomainError(
        "duplicate_case",
        "household {household_id} already has case {existing_id} in programme {programme_code}",
        "household_id",
        extra={"existing_id": existing.id},
        params={
            "household_id": existing.household_id,
            "existing_id": existing.id,
            "programme_code": existing.programme_code,
        },
    )


def _locked_case(session: Session, case_id: int) -> Case:
    """The case row, locked until commit on PostgreSQL (SQLite's write lock is already held)."""
    case = session.exec(
        select(Case)
        .where(Case.id == case_id)
        .with_for_update()
        # the locked read, not a copy cached earlier in this session
        .execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise not_found("case", case_id)
    return case


def get_case(session: Session, actor: Actor, case_id: int) -> tuple[Case, Household]:
    case = session.get(Case, case_id)
    if case is None:
        raise not_found("case", case_id)
    household = session.get(Household, case.household_id)
    assert household is not None  # foreign key
    authorize_region(session, actor, household.region_code, record="case")
    return case, household


def _refuse_stale_case(session: Session, case: Case, seen: str) -> None:
    """A step taken on a case as it was (`seen`) after someone else moved it on."""
    last = session.exec(
        select(CaseTransition)
        .where(CaseTransition.case_id == case.id)
        .order_by(CaseTransition.id.desc())  # type: ignore[union-attr]
    ).first()
    at = clock.to_cst(last.at) if last is not None else None
    raise DomainError(
        "case_stale",
        "case {case_id} was moved on to {status} by {who} at {when} after it was seen as "
        "{seen}; look at it again",
        "status",
        params={
            "case_id": case.id,
            "status": Term(f"case.{case.status}"),
            "seen": Term(f"case.{seen}"),
            "who": last.actor if last is not None else "",
            "when": at.strftime("%Y-%m-%d %H:%M") if at else "",
        },
        extra={"current_status": case.status},
    )


def transition_case(session: Session, actor: Actor, case_id: int, body: TransitionIn) -> Case:
    case = _locked_case(session, case_id)
    household = session.get(Household, case.household_id)
    assert household is not None  # foreign key
    if body.action != "approve":
        ensure_role(actor, *ACTION_ROLES[body.action])
    elif not may_approve(actor, case, case.amount_fen, session):
        ensure_role(actor, *ACTION_ROLES["approve"])  # role_forbidden naming who may
    authorize_region(session, actor, household.region_code, record="case")
    if body.status is not None and body.status != case.status:
        _refuse_stale_case(session, case, body.status)
    sources, target = TRANSITIONS[body.action]
    if case.status not in sources:
        raise DomainError(
            "invalid_transition",
            "a case in status {status} cannot take the action {action}",
            "action",
            params={"status": Term(f"case.{case.status}"), "action": Term(f"action.{body.action}")},
        )
    now = clock.now()
    before = audit.snapshot(case)
    programme = session.get(Programme, case.programme_code)
    assert programme is not None  # foreign key
    _keep(session, household, programme)
    if programme.kind == "winter_spring":  # 冬春: 村评 needs its record (winter.py)
        from relief.subsidies import winter

        winter.check_transition(session, case, body.action)
    if body.action == "publish":
        # 临时救助: the policy's notice days (relief.subsidies.temporary.notice_days).
        days = temporary.notice_days(session, case)
        case.notice_ends_at = now + timedelta(days=programme.notice_days if days is None else days)
    elif body.action == "approve":
        _check_approval(session, case, body, now, actor)
    history = CaseTransition(
        case_id=case.id,
        action=body.action,
        from_status=case.status,
        to_status=target,
        note=body.note,
        override_reason=body.override_reason if body.action == "approve" else None,
        actor=actor.username,
        at=now,
    )
    case.status = target
    case.status_changed_at = now
    session.add(case)
    session.add(history)
    session.flush()
    after = audit.snapshot(case) or {}
    after.update({"note": body.note, "override_reason": history.override_reason})
    audit.record(session, actor, body.action, "subsidy_case", case.id, before, after)
    temporary.after_transition(session, actor, case, body.action)  # recovery after help first
    return case


def may_approve(actor: Actor, case: Case, amount_fen: int, session: Session | None = None) -> bool:
    """Whether `actor` may approve `case` at `amount_fen` (scope is checked separately).

    Approvers (and admins) approve any amount in their scope. 临时救助 (kind `temporary`,
    relief.subsidies.temporary.may_approve): township_staff approve cases of their
    township up to the policy's `temporary_relief.delegated_limit`; above it 403
    `above_delegated_limit`."""
    del amount_fen  # the case's amount is what the tier reads
    if session is not None:
        tier = temporary.may_approve(session, actor, case)
        if tier is not None:
            return tier
    return actor.role in ("admin", *ACTION_ROLES["approve"])


def _check_approval(
    session: Session, case: Case, body: TransitionIn, now: datetime, actor: Actor
) -> None:
    if case.notice_ends_at is not None and now < clock.as_utc(case.notice_ends_at):
        ends = clock.to_cst(case.notice_ends_at)
        raise DomainError(
            "notice_window_open",
            "the public notice runs until {ends}",
            "action",
            extra={"notice_ends_at": ends.isoformat() if ends else None},
            params={"ends": ends.isoformat() if ends else ""},
        )
    # Lock the programme row so that two approvals cannot both fit the last of the budget.
    programme = session.exec(
        select(Programme).where(Programme.code == case.programme_code).with_for_update()
    ).one()
    approved = session.exec(
        select(func.coalesce(func.sum(Case.amount_fen), 0)).where(
            Case.programme_code == programme.code, Case.status == "approved"
        )
    ).one()
    over = int(approved) + case.amount_fen > programme.budget_fen
    if over and actor.role not in ("admin", "approver"):
        # Only an approver may approve beyond the budget (a township's delegated tier of
        # 临时救助 is within the budget): the township clerk asks the county approver.
        raise DomainError(
            "budget_exceeded",
            "approving {amount} would bring programme {programme_code} to {total}, over its budget of {budget}: only the county approver may approve beyond the budget; ask them",
            "action",
            extra={
                "budget": format_fen(programme.budget_fen),
                "approved": format_fen(int(approved)),
                "amount": format_fen(case.amount_fen),
            },
            params={
                "amount": yuan_text(case.amount_fen),
                "programme_code": programme.code,
                "total": yuan_text(int(approved) + case.amount_fen),
                "budget": yuan_text(programme.budget_fen),
            },
        )
    if over and not (body.override_reason and body.override_reason.strip()):
        raise DomainError(
            "budget_exceeded",
            "approving {amount} would bring programme {programme_code} to {total}, over its budget of {budget}; give override_reason to approve anyway",
            "override_reason",
            extra={
                "budget": format_fen(programme.budget_fen),
                "approved": format_fen(int(approved)),
                "amount": format_fen(case.amount_fen),
            },
            params={
                "amount": yuan_text(case.amount_fen),
                "programme_code": programme.code,
                "total": yuan_text(int(approved) + case.amount_fen),
                "budget": yuan_text(programme.budget_fen),
            },
        )


def history_of(session: Session, case_id: int) -> list[CaseTransition]:
    return list(
        session.exec(
            select(CaseTransition)
            .where(CaseTransition.case_id == case_id)
            .order_by(CaseTransition.id)
        ).all()
    )


def paid_by_case(session: Session, case_ids: Sequence[int]) -> dict[int, int]:
    if not case_ids:
        return {}
    rows = session.exec(
        select(Payment.case_id, func.sum(Payment.amount_fen))
        .where(Payment.case_id.in_(list(case_ids)))
        .group_by(Payment.case_id)
    ).all()
    return {case_id: int(total or 0) for case_id, total in rows}


# The case list's sort keys (`sort=notice_ends_at`, `-amount` for descending).
CASE_SORTS: dict[str, Any] = {
    "id": Case.id,
    "name": Household.head_name,
    "region": Household.region_code,
    "programme": Case.programme_code,
    "amount": Case.amount_fen,
    "status": Case.status,
    "notice_ends_at": Case.notice_ends_at,
    "status_changed_at": Case.status_changed_at,
    "created_at": Case.created_at,
}


def programme_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.exec(select(Programme.code, Programme.name))}


def programme_name(session: Session, code: str) -> str:
    """One programme's name ("" for an unknown code); no query when the session holds it."""
    programme = session.get(Programme, code)
    return programme.name if programme is not None else ""


def _keep(session: Session, *rows: Any) -> None:
    """Keep rows for the session's life. The identity map holds rows weakly, and the reply a
    write builds in its own transaction looks up the case's household and programme again:
    kept, `session.get` finds them without a query."""
    session.info.setdefault("relief.subsidies.rows", []).extend(rows)


def list_cases(
    session: Session,
    actor: Actor,
    *,
    programme: str | None = None,
    status: str | None = None,
    region_code: str | None = None,
    stuck_days: int | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Case, Household]], int]:
    query = select(Case, Household).join(Household, Household.id == Case.household_id)
    scope = _scope_condition(actor, Household.region_code)
    if scope is not None:
        query = query.where(scope)
    if programme:
        query = query.where(Case.programme_code == programme)
    if status:
        query = query.where(Case.status == status)
    if region_code:
        query = query.where(_under(Household.region_code, [region_code], "filter_regions"))
    if stuck_days is not None:
        query = query.where(_stuck(stuck_days))
    if q:
        found = household_search(session, q)
        if found is not None:
            query = query.where(found)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = _ordered(sort, CASE_SORTS, Case.id)
    rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
    return [(c, h) for c, h in rows], total


# How long a case may sit in one status before the county home counts it as stuck.
STUCK_DAYS = 14


def case_counts(session: Session, actor: Actor) -> dict[str, dict[str, int]]:
    """programme code → {status: cases, …, "stuck": cases not moving for STUCK_DAYS}, over
    the caller's scope (county staff: their county's households)."""
    scope = _scope_condition(actor, Household.region_code)

    def counted(*columns: Any, where: ColumnElement[bool] | None = None) -> Select:
        query = (
            select(Case.programme_code, *columns, func.count())
            .join(Household, Household.id == Case.household_id)
            .group_by(Case.programme_code, *columns)
        )
        for condition in (scope, where):
            if condition is not None:
                query = query.where(condition)
        return query

    out: dict[str, dict[str, int]] = {}
    for programme, status, count in session.exec(counted(Case.status)).all():
        out.setdefault(programme, dict.fromkeys((*CASE_STATUSES, "stuck"), 0))[status] = count
    for programme, count in session.exec(counted(where=_stuck(STUCK_DAYS))).all():
        out[programme]["stuck"] = count
    return out


def _stuck(days: int) -> ColumnElement[bool]:
    """Cases that have not moved for `days`: not rejected, and not approved-and-fully-paid
    (an approved case still waiting for its money is stuck too)."""
    paid = (
        select(func.coalesce(func.sum(Payment.amount_fen), 0))
        .where(Payment.case_id == Case.id)
        .scalar_subquery()
    )
    return and_(
        Case.status_changed_at <= clock.now() - timedelta(days=days),
        Case.status != "rejected",
        or_(Case.status != "approved", paid < Case.amount_fen),
    )


# --- payments ------------------------------------------------------------------------------


# No payment of a relief programme is dated before this (a typo such as 1900-01-01); assumed.
EARLIEST_PAID_ON = date(1990, 1, 1)


def _earliest_paid_on(session: Session, case: Case) -> date:
    """The first day a payment on `case` may be dated: the day (Asia/Shanghai) it was
    approved, from its history (its last status change when the history has no approval)."""
    approved_at = session.exec(
        select(func.max(CaseTransition.at)).where(
            CaseTransition.case_id == case.id, CaseTransition.to_status == "approved"
        )
    ).one()
    at = approved_at or case.status_changed_at
    return max(EARLIEST_PAID_ON, clock.to_cst(at).date())


def record_payment(session: Session, actor: Actor, case_id: int, body: PaymentIn) -> Payment:
    case = _locked_case(session, case_id)
    household = session.get(Household, case.household_id)
    assert household is not None  # foreign key
    authorize_region(session, actor, household.region_code, record="case")
    if case.status != "approved":
        raise DomainError(
            "case_not_approved",
            "case {case_id} is {status}; payments are recorded on approved cases",
            None,
            params={"case_id": case.id, "status": Term(f"case.{case.status}")},
        )
    today = clock.to_cst(clock.now()).date()
    future_reason = (body.future_reason or "").strip() or None
    if body.paid_on > today and future_reason is None:
        raise DomainError(
            "paid_on_future",
            "paid_on {paid_on} is after today ({today}, Asia/Shanghai); give future_reason to record it anyway",
            "paid_on",
            extra={"today": today.isoformat()},
            params={"paid_on": body.paid_on.isoformat(), "today": today.isoformat()},
        )
    earliest_on = _earliest_paid_on(session, case)
    if body.paid_on < earliest_on:
        earliest = earliest_on.isoformat()
        raise DomainError(
            "paid_on_too_early",
            "paid_on {paid_on} is before the case was approved ({earliest})",
            "paid_on",
            params={"paid_on": body.paid_on.isoformat(), "earliest": earliest},
        )
    reversed_ids = select(Payment.reverses_id).where(
        Payment.case_id == case.id, Payment.reverses_id.is_not(None)
    )
    repeat = session.exec(
        select(Payment).where(
            Payment.case_id == case.id,
            Payment.reference == body.reference,
            Payment.reverses_id.is_(None),
            Payment.id.not_in(reversed_ids),
        )
    ).first()
    if repeat is not None:
        repeat_amount = yuan_text(repeat.amount_fen)
        raise DomainError(
            "duplicate_reference",
            "reference {reference} is already recorded on this case (payment of {amount} on {paid_on}); reverse it first or give the new payment its own reference",
            "reference",
            extra={"payment_id": repeat.id},
            params={
                "reference": body.reference,
                "amount": repeat_amount,
                "paid_on": repeat.paid_on.isoformat(),
            },
        )
    paid = paid_by_case(session, [case.id]).get(case.id, 0)
    # 临时救助: help first from the reserve fund counts as paid (relief.subsidies.temporary).
    paid += temporary.help_first_amount(session, case) or 0
    if paid + body.amount > case.amount_fen:
        raise DomainError(
            "overpayment",
            "paying {amount} would bring case {case_id} to {total}, over its approved {approved}",
            "amount",
            extra={"approved": format_fen(case.amount_fen), "paid": format_fen(paid)},
            params={
                "amount": yuan_text(body.amount),
                "case_id": case.id,
                "total": yuan_text(paid + body.amount),
                "approved": yuan_text(case.amount_fen),
            },
        )
    payment = Payment(
        case_id=case.id,
        amount_fen=body.amount,
        paid_on=body.paid_on,
        reference=body.reference,
        # A payment's `reason` is why it is dated in the future (a reversal's: why it was made).
        reason=future_reason if body.paid_on > today else None,
        actor=actor.username,
    )
    session.add(payment)
    session.flush()
    audit.record(session, actor, "pay", "subsidy_payment", payment.id, None, payment)
    return payment


def reverse_payment(session: Session, actor: Actor, payment_id: int, reason: str) -> Payment:
    original = session.get(Payment, payment_id)
    if original is None:
        raise not_found("payment", payment_id)
    case = _locked_case(session, original.case_id)
    household = session.get(Household, case.household_id)
    assert household is not None  # foreign key
    authorize_region(session, actor, household.region_code, record="case")
    if original.reverses_id is not None:
        raise DomainError(
            "invalid_reversal",
            "payment {original_id} is itself a reversal",
            None,
            params={"original_id": original.id},
        )
    already = session.exec(select(Payment).where(Payment.reverses_id == original.id)).first()
    if already is not None:
        raise DomainError(
            "already_reversed",
            "payment {original_id} was already reversed by payment {already_id}",
            None,
            extra={"reversal_id": already.id},
            params={"original_id": original.id, "already_id": already.id},
        )
    reversal = Payment(
        case_id=case.id,
        amount_fen=-original.amount_fen,
        paid_on=clock.to_cst(clock.now()).date(),
        reference=original.reference,
        reverses_id=original.id,
        reason=reason,
        actor=actor.username,
    )
    session.add(reversal)
    session.flush()
    audit.record(session, actor, "reverse", "subsidy_payment", reversal.id, None, reversal)
    return reversal


def payments_of(session: Session, case_id: int) -> list[Payment]:
    return list(
        session.exec(select(Payment).where(Payment.case_id == case_id).order_by(Payment.id)).all()
    )


def list_payments(
    session: Session,
    actor: Actor,
    *,
    programme: str,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Payment, Case, Household]], int]:
    """A programme's payments (reversals included) in the order they were recorded, one page
    at a time, with each one's case and household; filtered to the caller's scope."""
    query = (
        select(Payment, Case, Household)
        .join(Case, Case.id == Payment.case_id)
        .join(Household, Household.id == Case.household_id)
        .where(Case.programme_code == programme)
    )
    scope = _scope_condition(actor, Household.region_code)
    if scope is not None:
        query = query.where(scope)
    rows, total = _page(session, query, Payment.id, limit, offset)
    return [(p, c, h) for p, c, h in rows], total


def reversed_ids(session: Session, payment_ids: Sequence[int]) -> dict[int, int]:
    """original payment id → id of its reversal."""
    if not payment_ids:
        return {}
    rows = session.exec(
        select(Payment.reverses_id, Payment.id).where(Payment.reverses_id.in_(list(payment_ids)))
    ).all()
    return {original: reversal for original, reversal in rows if original is not None}


# --- summary -------------------------------------------------------------------------------


def programme_summary(session: Session, actor: Actor, code: str) -> dict[str, Any]:
    """Where a programme's money stands. Cases and payments count for the caller's scope
    only (county staff and approvers: the households of their regions; admin: all), named
    in `region_codes`; `budget` and `remaining` (budget − approved) are the programme's,
    since the budget is shared by every county in it."""
    from relief.funds import service as funds_service

    programme = get_programme(session, code)
    authorize_programme(session, actor, programme)
    scope = _scope_condition(actor, Household.region_code)
    by_status = dict.fromkeys(CASE_STATUSES, 0)
    amounts = dict.fromkeys(CASE_STATUSES, 0)
    cases = (
        select(Case.status, func.count(), func.coalesce(func.sum(Case.amount_fen), 0))
        .join(Household, Household.id == Case.household_id)
        .where(Case.programme_code == code)
        .group_by(Case.status)
    )
    paid = (
        select(func.coalesce(func.sum(Payment.amount_fen), 0))
        .join(Case, Case.id == Payment.case_id)
        .join(Household, Household.id == Case.household_id)
        .where(Case.programme_code == code)
    )
    if scope is not None:
        cases, paid = cases.where(scope), paid.where(scope)
    for status, count, amount in session.exec(cases).all():
        by_status[status] = int(count)
        amounts[status] = int(amount)
    approved_everywhere = session.exec(
        select(func.coalesce(func.sum(Case.amount_fen), 0)).where(
            Case.programme_code == code, Case.status == "approved"
        )
    ).one()
    approved = amounts["approved"]
    committed = sum(v for k, v in amounts.items() if k not in ("approved", "rejected"))
    return {
        "budget": format_fen(programme.budget_fen),
        "committed": format_fen(committed),
        "approved": format_fen(approved),
        "paid": format_fen(int(session.exec(paid).one())),
        "remaining": format_fen(programme.budget_fen - int(approved_everywhere)),
        "cases_by_status": by_status,
        "region_codes": [programme.region_code] if scope is None else sorted(actor.region_codes),
        # 临时救助: running clocks, overdue paperwork, recoveries due (relief.subsidies.temporary).
        "temporary": temporary.summary(session, actor, code)
        if programme.kind == "temporary"
        else None,
        # Relief funds (issue 16): where funds are recorded for the programme's region, what
        # reached it against the budgets of its programmes (beyond: flagged, not refused).
        "funds": funds_service.budget_check(session, programme.region_code),
    }
