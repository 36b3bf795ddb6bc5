"""Goods held by a receiving region and issued to households: the only code that changes a
holding, its ledger or an issue.

Every change locks the holding rows first (created at zero on first use, as stock levels and
reserve balances are: INSERT … ON CONFLICT DO NOTHING, then SELECT … FOR UPDATE, in item and
lot order), so two issues of the last units queue for the rows and the second sees what the
first left: a holding never goes below zero (and a CHECK constraint says so again).

Who: receipts are booked by the dispatch domain when a region signs for an order. Issues and
reversals: county staff whose scope covers the region, township staff of the township.
Reading: those, in scope; warehouse managers read holdings and their ledger (as every role
but theirs reads all stock), not households.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_region, ensure_role
from relief.auth.models import Actor
from relief.distribution.models import (
    DEFAULT_NOTHING_AFTER_DAYS,
    MAX_QUANTITY,
    MAX_SCAN_BYTES,
    SCAN_TYPES,
    HoldingEntry,
    HoldingRow,
    IssueLineRow,
    IssueRow,
)
from relief.errors import DomainError, Named, invalid, not_found
from relief.network import service as network
from relief.network.models import RegionRow
from relief.subsidies.models import MAX_ID, Household

ISSUERS = ("county_staff", "township_staff")
HOUSEHOLD_READERS = ISSUERS
HOLDING_READERS = (*ISSUERS, "warehouse_manager")
HOLDING_LEVELS = ("county", "township")


@dataclass(frozen=True, slots=True)
class LotQuantity:
    lot: str | None
    expires_on: date | None
    quantity: int


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(HoldingRow.__table__)  # type: ignore[arg-type]


def item_named(session: Session, code: str) -> Named:
    row = network.get_item(session, code)
    return Named(code, row.name_zh if row is not None else code)


def holding_region(session: Session, code: str, field: str | None = "code") -> RegionRow:
    """The region `code` that may hold goods: 404 when unknown, 422 when not a township or
    a county."""
    region = network.get_region(session, code)
    if region is None:
        raise not_found("region", code, field)
    if region.level not in HOLDING_LEVELS:
        raise DomainError(
            "validation_error",
            "region {code} is not a township or a county; only they hold goods for households",
            field,
            params={"code": code},
        )
    return region


def _lock_rows(
    session: Session, code: str, item_code: str, lots: Iterable[LotQuantity] = ()
) -> list[HoldingRow]:
    """Create the rows for `lots` at zero when missing, then lock every row of the region ×
    item (lot order) and return them fresh from the database."""
    for lot in sorted({(lq.lot or "", lq.expires_on) for lq in lots}, key=lambda x: x[0]):
        session.execute(
            _insert(session)
            .values(
                region_code=code,
                item_code=item_code,
                lot=lot[0],
                expires_on=lot[1],
                quantity=0,
                updated_at=clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["region_code", "item_code", "lot"])
        )
    return list(
        session.exec(
            select(HoldingRow)
            .where(HoldingRow.region_code == code, HoldingRow.item_code == item_code)
            .order_by(col(HoldingRow.lot))
            .with_for_update()
            # Another transaction may have changed the rows since this session last read them.
            .execution_options(populate_existing=True)
        ).all()
    )


def _entry(
    session: Session,
    actor: Actor,
    row: HoldingRow,
    kind: str,
    quantity: int,
    *,
    order_id: int | None = None,
    issue_id: int | None = None,
) -> None:
    row.quantity += quantity
    row.updated_at = clock.now()
    session.add(row)
    session.add(
        HoldingEntry(
            region_code=row.region_code,
            item_code=row.item_code,
            lot=row.lot,
            kind=kind,
            quantity=quantity,
            order_id=order_id,
            issue_id=issue_id,
            actor=actor.username,
            at=row.updated_at,
        )
    )


# --- receipts (called by the dispatch domain) ---------------------------------------------


def lock_holdings(session: Session, region_code: str, item_codes: Iterable[str]) -> None:
    """Lock the region's rows of these items in item order, before a receipt books them one
    line at a time: an issue locks its items in the same order, so the two cannot deadlock."""
    for item in sorted(set(item_codes)):
        _lock_rows(session, region_code, item)


def receive_into(
    session: Session,
    actor: Actor,
    region_code: str,
    item_code: str,
    lots: Sequence[Any],
    order_id: int | None,
) -> None:
    """What a region signed for on a dispatch order becomes its holding, lot by lot
    (`lots`: objects with `lot`, `expires_on`, `quantity`). The caller has authorised the
    receipt."""
    wanted = [LotQuantity(p.lot, p.expires_on, int(p.quantity)) for p in lots if p.quantity]
    if not wanted:
        return
    rows = {r.lot: r for r in _lock_rows(session, region_code, item_code, wanted)}
    for lq in wanted:
        _entry(session, actor, rows[lq.lot or ""], "receipt", lq.quantity, order_id=order_id)
    session.flush()
    audit.record(
        session,
        actor,
        "holding_receipt",
        "holding",
        f"{region_code}/{item_code}",
        None,
        {"order_id": order_id, "quantity": sum(lq.quantity for lq in wanted)},
    )


# --- issues to households ------------------------------------------------------------------


def _household_of(
    session: Session, region_code: str, event_id: int, household_id: int, field: str
) -> Household:
    # A larger id names nothing (and overflows PostgreSQL's integer).
    household = session.get(Household, household_id) if 0 < household_id <= MAX_ID else None
    if household is None:
        raise not_found("household", household_id, field)
    if household.event_id != event_id:
        raise DomainError(
            "validation_error",
            "household {household_id} is not registered for event {event_id}",
            field,
            params={"household_id": household_id, "event_id": event_id},
        )
    if region_code not in network.region_lineage(session, household.region_code):
        raise DomainError(
            "validation_error",
            "household {household_id} does not live in {code}",
            field,
            params={"household_id": household_id, "code": region_code},
        )
    return household


def _clean_lines(
    session: Session, lines: Sequence[Any], prefix: str = "lines"
) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        item, quantity = line.item_code, line.quantity
        if network.get_item(session, item) is None:
            raise not_found("item", item, f"{prefix}[{i}].item_code")
        if item in seen:
            raise invalid(
                f"{prefix}[{i}].item_code", "item {item} is listed twice", params={"item": item}
            )
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 0 < quantity <= MAX_QUANTITY
        ):
            raise invalid(f"{prefix}[{i}].quantity", "must be a whole number, 1 or more")
        seen.add(item)
        out.append((item, quantity))
    if not out:
        raise invalid(prefix, "issue at least one item")
    return out


def check_scan(content: bytes | None) -> str | None:
    """The media type of an uploaded scan (JPEG, PNG or PDF, by its first bytes, at most
    MAX_SCAN_BYTES); None for no scan; 422 on `scan` otherwise."""
    if not content:
        return None
    if len(content) > MAX_SCAN_BYTES:
        raise DomainError(
            "too_large",
            "the scan is larger than {max_mb} MB",
            "scan",
            params={"max_mb": MAX_SCAN_BYTES // (1024 * 1024)},
        )
    for magic, media in SCAN_TYPES.items():
        if content.startswith(magic):
            return media
    raise invalid("scan", "the scan must be a JPEG or PNG photo or a PDF")


def issue_goods(
    session: Session,
    actor: Actor,
    region_code: str,
    *,
    event_id: int,
    household_id: int,
    issued_on: date,
    signed_by: str,
    lines: Sequence[Any],
    note: str | None = None,
    scan: bytes | None = None,
    source: str = "form",
    field_prefix: str = "",
) -> IssueRow:
    """Goods from the region's holding to a household registered for the event there;
    refused with 409 `stock_insufficient` on `lines[i].quantity` beyond what is held.
    Lots go out earliest expiry first."""
    ensure_role(actor, *ISSUERS)
    region = holding_region(session, region_code)
    authorize_region(session, actor, region_code)
    _household_of(session, region_code, event_id, household_id, f"{field_prefix}household_id")
    if not signed_by or not signed_by.strip():
        raise invalid(f"{field_prefix}signed_by", "say who signed for the goods")
    if issued_on > clock.to_cst(clock.now()).date():
        raise invalid(f"{field_prefix}issued_on", "the date of issue is in the future")
    started_on = event_started_on(session, event_id)
    if issued_on < started_on:
        raise invalid(
            f"{field_prefix}issued_on",
            "the date of issue is before the event started ({started_on})",
            params={"started_on": started_on.isoformat()},
        )
    scan_type = check_scan(scan)
    cleaned = _clean_lines(session, lines, f"{field_prefix}lines")
    issue = IssueRow(
        region_code=region_code,
        event_id=event_id,
        household_id=household_id,
        kind="issue",
        issued_on=issued_on,
        signed_by=signed_by.strip(),
        note=note or None,
        source=source,
        scan=scan or None,
        scan_type=scan_type,
        actor=actor.username,
        at=clock.now(),
    )
    session.add(issue)
    session.flush()
    for i, (item, quantity) in sorted(enumerate(cleaned), key=lambda x: x[1][0]):
        rows = _lock_rows(session, region_code, item)
        held = sum(r.quantity for r in rows)
        if held < quantity:
            raise DomainError(
                "stock_insufficient",
                "{code} holds {held} of {item_code}; {quantity} cannot be issued",
                f"{field_prefix}lines[{i}].quantity",
                params={
                    "code": Named(region_code, region.name),
                    "held": held,
                    "item_code": item_named(session, item),
                    "quantity": quantity,
                },
                extra={"item_code": item, "held": held},
            )
        left = quantity
        for row in sorted(
            rows, key=lambda r: (r.expires_on is None, r.expires_on or date.max, r.lot)
        ):
            take = min(left, row.quantity)
            if take:
                _entry(session, actor, row, "issue", -take, issue_id=issue.id)
                left -= take
        session.add(IssueLineRow(issue_id=issue.id, item_code=item, quantity=quantity))  # type: ignore[arg-type]
    session.flush()
    audit.record(
        session,
        actor,
        "issue_goods",
        "household_issue",
        issue.id,
        None,
        _audit_view(issue, cleaned),
    )
    return issue


def event_started_on(session: Session, event_id: int) -> date:
    """The day (Beijing time) the event started: no goods are given for it before."""
    from relief.emergency import service as emergency

    return clock.to_cst(emergency.get_event(session, event_id).started_at).date()


def _audit_view(issue: IssueRow, lines: Iterable[tuple[str, int]]) -> dict[str, Any]:
    return {
        "region_code": issue.region_code,
        "household_id": issue.household_id,
        "kind": issue.kind,
        "issued_on": issue.issued_on.isoformat(),
        "signed_by": issue.signed_by,
        "reverses_id": issue.reverses_id,
        "note": issue.note,
        "lines": dict(lines),
    }


def get_issue(session: Session, issue_id: int) -> IssueRow:
    issue = session.get(IssueRow, issue_id) if 0 < issue_id <= MAX_ID else None
    if issue is None:
        raise not_found("issue", issue_id)
    return issue


def readable_issue(session: Session, actor: Actor, issue_id: int) -> IssueRow:
    ensure_role(actor, *HOUSEHOLD_READERS)
    issue = get_issue(session, issue_id)
    authorize_region(session, actor, issue.region_code, record="household")
    return issue


def reverse_issue(session: Session, actor: Actor, issue_id: int, reason: str) -> IssueRow:
    """Take an issue back: the same lots return to the holding, and a `reversal` issue with
    the opposite quantities is recorded (the issue itself is never edited)."""
    ensure_role(actor, *ISSUERS)
    original = get_issue(session, issue_id)
    authorize_region(session, actor, original.region_code, record="household")
    if original.kind == "reversal":
        raise DomainError(
            "invalid_reversal",
            "issue {issue_id} is itself a reversal",
            None,
            params={"issue_id": issue_id},
        )
    if session.exec(select(IssueRow.id).where(IssueRow.reverses_id == issue_id)).first():
        raise DomainError(
            "already_reversed",
            "issue {issue_id} is already reversed",
            None,
            params={"issue_id": issue_id},
        )
    if not reason or not reason.strip():
        raise invalid("reason", "say why the issue is reversed")
    reversal = IssueRow(
        region_code=original.region_code,
        event_id=original.event_id,
        household_id=original.household_id,
        kind="reversal",
        issued_on=clock.to_cst(clock.now()).date(),
        signed_by=original.signed_by,
        note=reason.strip(),
        reverses_id=issue_id,
        source=original.source,
        actor=actor.username,
        at=clock.now(),
    )
    session.add(reversal)
    session.flush()
    taken = session.exec(
        select(HoldingEntry).where(HoldingEntry.issue_id == issue_id).order_by(col(HoldingEntry.id))
    ).all()
    by_item: dict[str, list[HoldingEntry]] = {}
    for entry in taken:
        by_item.setdefault(entry.item_code, []).append(entry)
    for item in sorted(by_item):
        rows = {r.lot: r for r in _lock_rows(session, original.region_code, item)}
        for entry in by_item[item]:
            _entry(
                session, actor, rows[entry.lot], "reversal", -entry.quantity, issue_id=reversal.id
            )
    lines = issue_lines(session, [issue_id]).get(issue_id, [])
    for line in lines:
        session.add(
            IssueLineRow(issue_id=reversal.id, item_code=line.item_code, quantity=-line.quantity)
        )  # type: ignore[arg-type]
    session.flush()
    audit.record(
        session,
        actor,
        "reverse_issue",
        "household_issue",
        reversal.id,
        None,
        _audit_view(reversal, [(x.item_code, -x.quantity) for x in lines]),
    )
    return reversal


def attach_scan(session: Session, actor: Actor, issue_id: int, content: bytes) -> IssueRow:
    """Keep the scan of a signed list on an issue that has none (a scan is never replaced:
    reverse the issue to correct it)."""
    ensure_role(actor, *ISSUERS)
    issue = get_issue(session, issue_id)
    authorize_region(session, actor, issue.region_code, record="household")
    media = check_scan(content)
    if media is None:
        raise invalid("scan", "choose the file of the scan")
    if issue.scan is not None:
        raise DomainError(
            "duplicate",
            "issue {issue_id} already has a scan",
            "scan",
            params={"issue_id": issue_id},
        )
    issue.scan, issue.scan_type = content, media
    session.add(issue)
    session.flush()
    audit.record(
        session, actor, "attach_scan", "household_issue", issue.id, None, {"scan_type": media}
    )
    return issue


# --- reading ------------------------------------------------------------------------------


def issue_lines(session: Session, ids: Sequence[int | None]) -> dict[int, list[IssueLineRow]]:
    wanted = [i for i in ids if i is not None]
    out: dict[int, list[IssueLineRow]] = {}
    if not wanted:
        return out
    for line in session.exec(
        select(IssueLineRow)
        .where(col(IssueLineRow.issue_id).in_(wanted))
        .order_by(col(IssueLineRow.item_code))
    ).all():
        out.setdefault(line.issue_id, []).append(line)
    return out


def reversed_by(session: Session, ids: Sequence[int | None]) -> dict[int, int]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        reverses: rid
        for rid, reverses in session.exec(
            select(IssueRow.id, IssueRow.reverses_id).where(col(IssueRow.reverses_id).in_(wanted))
        ).all()
    }


def list_issues(
    session: Session,
    actor: Actor,
    region_code: str,
    event_id: int | None,
    household_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[IssueRow], int]:
    ensure_role(actor, *HOUSEHOLD_READERS)
    holding_region(session, region_code)
    authorize_region(session, actor, region_code)
    where = [IssueRow.region_code == region_code]
    if event_id is not None:
        where.append(IssueRow.event_id == event_id)
    if household_id is not None:
        where.append(IssueRow.household_id == household_id)
    total = session.exec(select(func.count()).select_from(IssueRow).where(*where)).one()
    rows = session.exec(
        select(IssueRow).where(*where).order_by(col(IssueRow.id).desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total)


def holdings(
    session: Session, actor: Actor, region_code: str, limit: int, offset: int
) -> tuple[RegionRow, list[HoldingRow], list[HoldingEntry], int]:
    """(region, its holding rows with anything in them, one page of the ledger newest
    first, the ledger's length)."""
    ensure_role(actor, *HOLDING_READERS)
    region = holding_region(session, region_code)
    if actor.role != "warehouse_manager":
        authorize_region(session, actor, region_code)
    rows = session.exec(
        select(HoldingRow)
        .where(HoldingRow.region_code == region_code, HoldingRow.quantity > 0)
        .order_by(col(HoldingRow.item_code), col(HoldingRow.lot))
    ).all()
    where = HoldingEntry.region_code == region_code
    total = session.exec(select(func.count()).select_from(HoldingEntry).where(where)).one()
    entries = session.exec(
        select(HoldingEntry)
        .where(where)
        .order_by(col(HoldingEntry.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return region, list(rows), list(entries), int(total)


def held_by_item(session: Session, region_code: str) -> dict[str, int]:
    return {
        item: int(q or 0)
        for item, q in session.exec(
            select(HoldingRow.item_code, func.sum(HoldingRow.quantity))
            .where(HoldingRow.region_code == region_code)
            .group_by(HoldingRow.item_code)
        ).all()
    }


def event_households(session: Session, region_code: str, event_id: int) -> list[Household]:
    """The households registered for the event in the region or below it, by id."""
    codes = network.region_descendants(session, region_code)
    return list(
        session.exec(
            select(Household)
            .where(Household.event_id == event_id, col(Household.region_code).in_(codes))
            .order_by(col(Household.region_code), col(Household.id))
        ).all()
    )


def nothing_after_days(session: Session, event_id: int, region_code: str) -> int:
    """The policy's `distribution.nothing_after_days` in force at the event's start (3 when
    the policy does not say)."""
    from relief.emergency import service as emergency
    from relief.emergency.policy import policy_version_for

    event = emergency.get_event(session, event_id)
    row = policy_version_for(session, event.started_at, [region_code])
    value = (
        ((row.document or {}).get("distribution") or {}).get("nothing_after_days") if row else None
    )
    try:
        days = int(value) if value is not None else DEFAULT_NOTHING_AFTER_DAYS
    except (TypeError, ValueError):
        days = DEFAULT_NOTHING_AFTER_DAYS
    return max(days, 0)


def per_person_norms(session: Session, event_id: int, region_code: str) -> dict[str, Decimal]:
    """Per item, what one person is owed: the policy's per-capita norms at the event's start.
    An item with several norms (rice for the relocated and for those needing aid) counts
    its largest, since one person is one person whichever count they were reported in."""
    from relief.emergency import service as emergency
    from relief.emergency.policy import policy_for

    event = emergency.get_event(session, event_id)
    policy = policy_for(session, event.started_at, [region_code])
    out: dict[str, Decimal] = {}
    for norm in policy.norms:
        per = (
            norm.per_person
            if isinstance(norm.per_person, Decimal)
            else Decimal(str(norm.per_person))
        )
        out[norm.item_code] = max(out.get(norm.item_code, Decimal(0)), per)
    return out


def share(per_person: Decimal, size: int) -> int:
    """A household's share of an item: per-capita norm × people, to the nearest unit (half
    up). Not rounded up as a region's demand is: a norm of 0.01 yurt a person sizes a
    township's yurts, and would give every household a yurt if each share were rounded up."""
    return int((per_person * size).to_integral_value(rounding=ROUND_HALF_UP))


def issued_by_household(
    session: Session, household_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Net quantities given (issues less reversals) per household and item."""
    out: dict[int, dict[str, int]] = {}
    if not household_ids:
        return out
    for hid, item, q in session.exec(
        select(IssueRow.household_id, IssueLineRow.item_code, func.sum(IssueLineRow.quantity))
        .join(IssueRow, IssueRow.id == IssueLineRow.issue_id)  # type: ignore[arg-type]
        .where(col(IssueRow.household_id).in_(list(household_ids)))
        .group_by(IssueRow.household_id, IssueLineRow.item_code)
    ).all():
        if q:
            out.setdefault(hid, {})[item] = int(q)
    return out


def goods_since(session: Session, region_code: str) -> datetime | None:
    """When goods first reached the region (its first receipt), or None."""
    codes = network.region_lineage(session, region_code)
    return session.exec(
        select(func.min(HoldingEntry.at)).where(
            col(HoldingEntry.region_code).in_(codes), HoldingEntry.kind == "receipt"
        )
    ).one()


@dataclass(slots=True)
class Fulfilment:
    region: RegionRow
    event_id: int
    days: int
    since: datetime | None
    rows: list[tuple[Household, list[tuple[str, int, int]], bool, bool]]


def fulfilment(
    session: Session, actor: Actor, region_code: str, event_id: int, at: datetime | None = None
) -> Fulfilment:
    """Per household of the event in the region: per item its share (per-capita norm ×
    people, rounded up) and what it was given; `waiting` when it has been given nothing
    `nothing_after_days` days after goods first reached the region."""
    from relief.emergency import service as emergency

    ensure_role(actor, *HOUSEHOLD_READERS)
    region = holding_region(session, region_code)
    authorize_region(session, actor, region_code)
    emergency.get_event(session, event_id)
    at = at or clock.now()
    days = nothing_after_days(session, event_id, region_code)
    since = goods_since(session, region_code)
    norms = per_person_norms(session, event_id, region_code)
    households = event_households(session, region_code, event_id)
    given = issued_by_household(session, [h.id for h in households])  # type: ignore[misc]
    rows = []
    for household in households:
        got = given.get(household.id, {})  # type: ignore[arg-type]
        items = sorted(set(norms) | set(got))
        lines = [
            (item, share(norms.get(item, Decimal(0)), household.size), got.get(item, 0))
            for item in items
        ]
        lines = [line for line in lines if line[1] or line[2]]
        nothing = not any(q > 0 for q in got.values())
        start = max(since, household.created_at) if since is not None else None
        waiting = nothing and start is not None and at - start >= timedelta(days=days)
        rows.append((household, lines, nothing, waiting))
    return Fulfilment(region, event_id, days, since, rows)


# --- relief check ------------------------------------------------------------------------


def check_holdings(session: Session) -> list[str]:
    """Every holding whose quantity differs from the sum of its ledger, or is below zero;
    empty when all is well."""
    stored = {
        (r, i, lot): int(q)
        for r, i, lot, q in session.exec(
            select(
                HoldingRow.region_code, HoldingRow.item_code, HoldingRow.lot, HoldingRow.quantity
            )
        ).all()
    }
    summed = {
        (r, i, lot): int(q or 0)
        for r, i, lot, q in session.exec(
            select(
                HoldingEntry.region_code,
                HoldingEntry.item_code,
                HoldingEntry.lot,
                func.sum(HoldingEntry.quantity),
            ).group_by(HoldingEntry.region_code, HoldingEntry.item_code, HoldingEntry.lot)
        ).all()
    }
    problems = []
    for key in sorted(set(stored) | set(summed)):
        recorded, computed = stored.get(key, 0), summed.get(key, 0)
        where = f"holding {key[0]} {key[1]}" + (f" lot {key[2]}" if key[2] else "")
        if recorded != computed:
            problems.append(
                f"{where}: quantity {recorded}, ledger {computed} (difference {recorded - computed})"
            )
        if recorded < 0:
            problems.append(f"{where}: quantity {recorded} is below zero")
    return problems
