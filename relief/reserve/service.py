"""The township reserve fund (备用金): the only code that changes a balance or its ledger.

Every change locks the township's balance row first (created at zero on first use, as stock
levels are: INSERT … ON CONFLICT DO NOTHING, then SELECT … FOR UPDATE), so two payments at
the same moment queue for the row and the second sees what the first left: the balance
never goes below zero (and a CHECK constraint says so again).
Who: top-ups by county staff or approvers whose scope covers the township (or admin);
payments by the township's own staff or county staff of its county; reversals by whoever
may make the entry reversed. Reading: those, in scope.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_region, ensure_role
from relief.auth.models import Actor
from relief.errors import DomainError, not_found
from relief.network import service as network
from relief.network.models import RegionRow
from relief.reserve.models import ReserveBalance, ReserveEntry
from relief.subsidies.models import Case, Household, format_fen, yuan_text

READERS = ("county_staff", "approver", "township_staff")
TOP_UP_ROLES = ("county_staff", "approver")
PAYMENT_ROLES = ("township_staff", "county_staff")


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(ReserveBalance.__table__)  # type: ignore[arg-type]


def township(session: Session, code: str) -> RegionRow:
    """The township region `code`: 404 when unknown, 422 on `code` when not a township."""
    region = network.get_region(session, code)
    if region is None:
        raise not_found("region", code)
    if region.level != "township":
        raise DomainError(
            "validation_error",
            "region {code} is not a township; a reserve fund belongs to a township",
            "code",
            params={"code": code},
        )
    return region


def _lock_balance(session: Session, code: str) -> ReserveBalance:
    session.execute(
        _insert(session)
        .values(region_code=code, balance_fen=0, updated_at=clock.now())
        .on_conflict_do_nothing(index_elements=["region_code"])
    )
    return session.exec(
        select(ReserveBalance)
        .where(ReserveBalance.region_code == code)
        .with_for_update()
        # Another transaction may have changed the row since this session last read it.
        .execution_options(populate_existing=True)
    ).one()


def has_entries(session: Session, code: str) -> bool:
    return (
        session.exec(select(ReserveEntry.id).where(ReserveEntry.region_code == code)).first()
        is not None
    )


def balance_fen(session: Session, code: str) -> int:
    row = session.get(ReserveBalance, code)
    return row.balance_fen if row is not None else 0


def _book(session: Session, actor: Actor, entry: ReserveEntry, field: str) -> ReserveEntry:
    """Add the entry to its township's locked balance; refuse what would go below zero."""
    row = _lock_balance(session, entry.region_code)
    after = row.balance_fen + entry.amount_fen
    if after < 0:
        raise DomainError(
            "reserve_insufficient",
            "the reserve fund of {code} holds {balance}; {amount} cannot be paid from it",
            field,
            params={
                "code": entry.region_code,
                "balance": yuan_text(row.balance_fen),
                "amount": yuan_text(-entry.amount_fen),
            },
            extra={"balance": format_fen(row.balance_fen)},
        )
    row.balance_fen = after
    row.updated_at = clock.now()
    entry.actor = actor.username
    entry.at = row.updated_at
    session.add(row)
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor,
        f"reserve_{entry.kind}",
        "reserve_entry",
        entry.id,
        None,
        {
            "region_code": entry.region_code,
            "amount": format_fen(entry.amount_fen),
            "balance": format_fen(after),
            "household_id": entry.household_id,
            "case_id": entry.case_id,
            "document_no": entry.document_no,
            "note": entry.note,
            "reverses_id": entry.reverses_id,
        },
    )
    return entry


def top_up(
    session: Session, actor: Actor, code: str, amount_fen: int, document_no: str, note: str | None
) -> ReserveEntry:
    """Money from the county into the township's fund."""
    ensure_role(actor, *TOP_UP_ROLES)
    township(session, code)
    authorize_region(session, actor, code)
    entry = ReserveEntry(
        region_code=code, kind="top_up", amount_fen=amount_fen, document_no=document_no, note=note
    )
    entry = _book(session, actor, entry, "amount")
    # Where funds are recorded for the county, the top-up draws on them (relief.funds).
    from relief.funds.service import draw_for_reserve

    draw_for_reserve(session, actor, entry)
    return entry


def pay(
    session: Session,
    actor: Actor,
    code: str,
    amount_fen: int,
    household_id: int,
    reason: str,
    case_id: int | None = None,
    *,
    help_first: bool = False,
) -> ReserveEntry:
    """A payment out of the fund to a household of the township (help first, 先行救助).
    A payment for a case is help first, paid only through the case's rules (once, within
    the window, at most the case's amount: `subsidies.temporary.pay_help_first`)."""
    ensure_role(actor, *PAYMENT_ROLES)
    if case_id is not None and not help_first:
        raise DomainError(
            "validation_error",
            "a payment for case {case_id} is help first: pay it on the case",
            "case_id",
            params={"case_id": case_id},
        )
    township(session, code)
    authorize_region(session, actor, code)
    household = session.get(Household, household_id)
    if household is None:
        raise not_found("household", household_id, "household_id")
    if code not in network.region_lineage(session, household.region_code):
        raise DomainError(
            "validation_error",
            "household {household_id} does not live in township {code}",
            "household_id",
            params={"household_id": household_id, "code": code},
        )
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None:
            raise not_found("case", case_id, "case_id")
        if case.household_id != household_id:
            raise DomainError(
                "validation_error",
                "case {case_id} is not a case of household {household_id}",
                "case_id",
                params={"case_id": case_id, "household_id": household_id},
            )
    entry = ReserveEntry(
        region_code=code,
        kind="payment",
        amount_fen=-amount_fen,
        household_id=household_id,
        case_id=case_id,
        note=reason,
    )
    return _book(session, actor, entry, "amount")


def reverse(
    session: Session,
    actor: Actor,
    code: str,
    entry_id: int,
    reason: str,
    *,
    recovery: bool = False,
) -> ReserveEntry:
    """The opposite of an entry, booked as a new entry (the ledger is never edited). A case's
    help first comes back only as the case's recovery (`subsidies.temporary.record_recovery`),
    so that the case knows its money is back."""
    original = session.get(ReserveEntry, entry_id)
    if original is None or original.region_code != code:
        raise not_found("reserve entry", entry_id)
    if original.case_id is not None and not recovery:
        raise DomainError(
            "validation_error",
            "entry {entry_id} is the help first of case {case_id}: record its recovery on the case",
            "entry_id",
            params={"entry_id": entry_id, "case_id": original.case_id},
        )
    ensure_role(actor, *(TOP_UP_ROLES if original.kind == "top_up" else PAYMENT_ROLES))
    authorize_region(session, actor, code)
    if original.kind == "reversal":
        raise DomainError(
            "invalid_reversal",
            "entry {entry_id} is itself a reversal",
            None,
            params={"entry_id": entry_id},
        )
    if session.exec(select(ReserveEntry.id).where(ReserveEntry.reverses_id == entry_id)).first():
        raise DomainError(
            "already_reversed",
            "entry {entry_id} is already reversed",
            None,
            params={"entry_id": entry_id},
        )
    entry = ReserveEntry(
        region_code=code,
        kind="reversal",
        amount_fen=-original.amount_fen,
        household_id=original.household_id,
        case_id=original.case_id,
        note=reason,
        reverses_id=entry_id,
    )
    entry = _book(session, actor, entry, "reason")
    if original.kind == "top_up":  # what it drew on the county's funds goes back (relief.funds)
        from relief.funds.service import undo_reserve_draw

        undo_reserve_draw(session, actor, entry_id, reason)
    return entry


def ledger(
    session: Session, actor: Actor, code: str, limit: int, offset: int
) -> tuple[RegionRow, int, list[ReserveEntry], int, dict[int, int]]:
    """(township, balance in fen, one page of entries newest first, total, reversed_by)."""
    ensure_role(actor, *READERS)
    region = township(session, code)
    authorize_region(session, actor, code)
    where = ReserveEntry.region_code == code
    total = session.exec(select(func.count()).select_from(ReserveEntry).where(where)).one()
    rows = list(
        session.exec(
            select(ReserveEntry)
            .where(where)
            .order_by(ReserveEntry.id.desc())  # type: ignore[union-attr]
            .limit(limit)
            .offset(offset)
        ).all()
    )
    return (
        region,
        balance_fen(session, code),
        rows,
        int(total),
        reversed_by(session, [r.id for r in rows]),
    )


def reversed_by(session: Session, ids: Sequence[int | None]) -> dict[int, int]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        reverses: rid
        for rid, reverses in session.exec(
            select(ReserveEntry.id, ReserveEntry.reverses_id).where(
                ReserveEntry.reverses_id.in_(wanted)  # type: ignore[union-attr]
            )
        ).all()
    }


# --- relief check ------------------------------------------------------------------------


def check_balances(session: Session) -> list[str]:
    """Every township whose stored balance differs from the sum of its ledger, or is below
    zero; empty when all is well."""
    stored = {
        code: int(fen)
        for code, fen in session.exec(
            select(ReserveBalance.region_code, ReserveBalance.balance_fen)
        ).all()
    }
    summed = {
        code: int(fen or 0)
        for code, fen in session.exec(
            select(ReserveEntry.region_code, func.sum(ReserveEntry.amount_fen)).group_by(
                ReserveEntry.region_code
            )
        ).all()
    }
    problems = []
    for code in sorted(set(stored) | set(summed)):
        recorded, computed = stored.get(code, 0), summed.get(code, 0)
        if recorded != computed:
            problems.append(
                f"reserve fund {code}: balance {format_fen(recorded)}, ledger "
                f"{format_fen(computed)} (difference {format_fen(recorded - computed)})"
            )
        if recorded < 0:
            problems.append(f"reserve fund {code}: balance {format_fen(recorded)} is below zero")
    return problems
