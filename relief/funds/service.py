"""Relief funds (救灾资金): the only code that changes a fund balance or its ledger.

Follows the township reserve (relief/reserve/service.py): every change locks the account's
balance row first (created at zero on first use: INSERT … ON CONFLICT DO NOTHING, then
SELECT … FOR UPDATE), so two allocations draining one account queue for the row and the
second sees what the first left: a balance never goes below zero (409 `funds_insufficient`
naming the field; a CHECK constraint says so again). An allocation locks the two accounts in
a fixed order (region code, source), so two opposite allocations cannot deadlock.

Who: receipts and allocations by county staff or approvers whose scope covers the region
passing the money down (or admin); reading: those and duty officers, in scope.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_region, ensure_role
from relief.auth.models import Actor
from relief.errors import DomainError, Named, coded, not_found
from relief.funds.models import SOURCE_LEVEL, SOURCES, FundBalance, FundEntry
from relief.network import service as network
from relief.network.models import RegionRow
from relief.subsidies.models import format_fen, yuan_text

READERS = ("county_staff", "approver", "duty_officer")
WRITERS = ("county_staff", "approver")
ACCOUNT_LEVELS = ("province", "prefecture", "county")


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(FundBalance.__table__)  # type: ignore[arg-type]


def said(session: Session, code: str) -> Named:
    """A region as messages name it: its code in English, its name in Chinese."""
    region = network.get_region(session, code)
    return Named(code, region.name if region is not None else None)


def _region(session: Session, code: str, field: str) -> RegionRow:
    region = network.get_region(session, code)
    if region is None:
        raise not_found("region", code, field)
    return region


def _account_region(session: Session, code: str, field: str) -> RegionRow:
    region = _region(session, code, field)
    if region.level not in ACCOUNT_LEVELS:
        raise DomainError(
            "validation_error",
            "region {code} keeps no funds account (a province, city or county does)",
            field,
            params={"code": Named(code, region.name)},
        )
    return region


def _dated_by_today(document_date: date) -> None:
    """A 发文日期 after today (Asia/Shanghai) is a typing slip, and would keep the money from
    ever counting as overdue: refused on `document_date`."""
    today = _today()
    if document_date > today:
        raise DomainError(
            "validation_error",
            "the document date {date} is after today ({today})",
            "document_date",
            params={"date": document_date.isoformat(), "today": today.isoformat()},
        )


def _lock_balance(session: Session, code: str, source: str) -> FundBalance:
    session.execute(
        _insert(session)
        .values(region_code=code, source=source, balance_fen=0, updated_at=clock.now())
        .on_conflict_do_nothing(index_elements=["region_code", "source"])
    )
    return session.exec(
        select(FundBalance)
        .where(FundBalance.region_code == code, FundBalance.source == source)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def balance_fen(session: Session, code: str, source: str | None = None) -> int:
    query = select(func.coalesce(func.sum(FundBalance.balance_fen), 0)).where(
        FundBalance.region_code == code
    )
    if source is not None:
        query = query.where(FundBalance.source == source)
    return int(session.exec(query).one())


def has_funds(session: Session, code: str) -> bool:
    """Whether funds are recorded for the region (any entry of its accounts)."""
    return (
        session.exec(select(FundEntry.id).where(FundEntry.region_code == code)).first() is not None
    )


def _book(session: Session, actor: Actor, entry: FundEntry, field: str) -> FundEntry:
    """Add the entry to its account's balance (locked by the caller or here)."""
    row = _lock_balance(session, entry.region_code, entry.source)
    after = row.balance_fen + entry.amount_fen
    if after < 0:
        balance = format_fen(row.balance_fen) or "0.00"
        raise DomainError(
            "funds_insufficient",
            "the {source} funds of {code} hold {balance}; {amount} cannot be drawn from them",
            field,
            params={
                "code": said(session, entry.region_code),
                "source": coded("funds.source", entry.source),
                "balance": yuan_text(row.balance_fen),
                "amount": yuan_text(-entry.amount_fen),
            },
            extra={"balance": balance},
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
        f"funds_{entry.kind}",
        "fund_entry",
        entry.id,
        None,
        {
            "region_code": entry.region_code,
            "source": entry.source,
            "amount": format_fen(entry.amount_fen),
            "balance": format_fen(after),
            "counterpart_code": entry.counterpart_code,
            "document_no": entry.document_no,
            "purpose": entry.purpose,
            "reverses_id": entry.reverses_id,
        },
    )
    return entry


def receive(
    session: Session,
    actor: Actor,
    code: str,
    source: str,
    amount_fen: int,
    document_no: str,
    document_date: date,
    purpose: str,
) -> FundEntry:
    """Money from above the system booked into a top account: central or provincial money
    into the province (自治区), a city's or a county's own budget into its own account."""
    ensure_role(actor, *WRITERS)
    region = _account_region(session, code, "region_code")
    authorize_region(session, actor, code, "region_code")
    _dated_by_today(document_date)
    if SOURCE_LEVEL[source] != region.level:
        raise DomainError(
            "validation_error",
            "{source} funds are received by a region of level {level}, not by {code}",
            "source",
            params={
                "source": coded("funds.source", source),
                "level": coded("level", SOURCE_LEVEL[source]),
                "code": Named(code, region.name),
            },
        )
    entry = FundEntry(
        region_code=code,
        source=source,
        kind="receipt",
        amount_fen=amount_fen,
        document_no=document_no,
        document_date=document_date,
        purpose=purpose,
    )
    return _book(session, actor, entry, "amount")


def _lock_in_order(session: Session, accounts: list[tuple[str, str]]) -> None:
    for code, source in sorted(set(accounts)):
        _lock_balance(session, code, source)


def allocate(
    session: Session,
    actor: Actor,
    from_code: str,
    to_code: str,
    source: str,
    amount_fen: int,
    document_no: str,
    document_date: date,
    purpose: str,
) -> tuple[FundEntry, FundEntry | Any]:
    """资金下拨: from a region's account to a child region's. To a township the money goes
    into its reserve fund (备用金), which is the township's account."""
    ensure_role(actor, *WRITERS)
    parent = _account_region(session, from_code, "from_code")
    authorize_region(session, actor, from_code, "from_code")
    _dated_by_today(document_date)
    child = _region(session, to_code, "to_code")
    if child.parent_code != parent.code:
        raise DomainError(
            "validation_error",
            "region {to_code} is not directly under {from_code}",
            "to_code",
            params={
                "to_code": Named(to_code, child.name),
                "from_code": Named(from_code, parent.name),
            },
        )
    if child.level == "township":
        return _to_reserve(
            session, actor, parent, child, source, amount_fen, document_no, document_date, purpose
        )
    if child.level not in ACCOUNT_LEVELS:
        raise DomainError(
            "validation_error",
            "region {code} keeps no funds account (a province, city or county does)",
            "to_code",
            params={"code": Named(to_code, child.name)},
        )
    _lock_in_order(session, [(from_code, source), (to_code, source)])
    out = _book(
        session,
        actor,
        FundEntry(
            region_code=from_code,
            source=source,
            kind="allocation_out",
            amount_fen=-amount_fen,
            counterpart_code=to_code,
            document_no=document_no,
            document_date=document_date,
            purpose=purpose,
        ),
        "amount",
    )
    into = _book(
        session,
        actor,
        FundEntry(
            region_code=to_code,
            source=source,
            kind="allocation_in",
            amount_fen=amount_fen,
            counterpart_code=from_code,
            document_no=document_no,
            document_date=document_date,
            purpose=purpose,
            link_id=out.id,
        ),
        "amount",
    )
    return out, into


def _to_reserve(session, actor, county, township, source, amount_fen, doc, doc_date, purpose):
    from relief.reserve import service as reserve
    from relief.reserve.models import ReserveEntry

    # The reserve entry first: the ledger is append-only, so the fund entry is written once
    # with its link.
    into = reserve._book(
        session,
        actor,
        ReserveEntry(
            region_code=township.code,
            kind="top_up",
            amount_fen=amount_fen,
            document_no=doc,
            note=purpose,
        ),
        "amount",
    )
    out = _book(
        session,
        actor,
        FundEntry(
            region_code=county.code,
            source=source,
            kind="reserve_draw",
            amount_fen=-amount_fen,
            counterpart_code=township.code,
            document_no=doc,
            document_date=doc_date,
            purpose=purpose,
            reserve_entry_id=into.id,
        ),
        "amount",
    )
    return out, into


def draw_for_reserve(session: Session, actor: Actor, reserve_entry: Any) -> list[FundEntry]:
    """The hook of a reserve top-up (relief.reserve.service.top_up): when funds are recorded
    for the township's county, the top-up draws on the county's accounts (its own money
    first, then city, provincial, central), else 409 `funds_insufficient` on `amount`.
    Nothing happens where no funds are recorded for the county."""
    township = network.get_region(session, reserve_entry.region_code)
    if township is None or township.parent_code is None:
        return []
    county = township.parent_code
    if not has_funds(session, county):
        return []
    order = ("county", "city", "province", "central")
    rows = {s: _lock_balance(session, county, s) for s in sorted(order)}
    left = reserve_entry.amount_fen
    if sum(r.balance_fen for r in rows.values()) < left:
        raise DomainError(
            "funds_insufficient",
            "the funds of county {code} hold {balance}; {amount} cannot be drawn from them",
            "amount",
            params={
                "code": said(session, county),
                "balance": yuan_text(sum(r.balance_fen for r in rows.values())),
                "amount": yuan_text(left),
            },
        )
    entries = []
    for source in order:
        take = min(left, rows[source].balance_fen)
        if take <= 0:
            continue
        entries.append(
            _book(
                session,
                actor,
                FundEntry(
                    region_code=county,
                    source=source,
                    kind="reserve_draw",
                    amount_fen=-take,
                    counterpart_code=township.code,
                    document_no=reserve_entry.document_no,
                    purpose=reserve_entry.note,
                    reserve_entry_id=reserve_entry.id,
                ),
                "amount",
            )
        )
        left -= take
    return entries


def undo_reserve_draw(
    session: Session, actor: Actor, reserve_entry_id: int, reason: str
) -> list[FundEntry]:
    """The hook of a reversed reserve top-up (relief.reserve.service.reverse): what the top-up
    drew on the county's funds goes back to them, as reversal entries."""
    draws = session.exec(
        select(FundEntry).where(
            FundEntry.reserve_entry_id == reserve_entry_id, FundEntry.kind == "reserve_draw"
        )
    ).all()
    _lock_in_order(session, [(e.region_code, e.source) for e in draws])
    return [
        _book(
            session,
            actor,
            FundEntry(
                region_code=e.region_code,
                source=e.source,
                kind="reversal",
                amount_fen=-e.amount_fen,
                counterpart_code=e.counterpart_code,
                document_no=e.document_no,
                document_date=e.document_date,
                purpose=reason,
                reverses_id=e.id,
            ),
            "reason",
        )
        for e in draws
    ]


def reverse(session: Session, actor: Actor, entry_id: int, reason: str) -> list[FundEntry]:
    """The opposite of a receipt or an allocation (both sides), booked as new entries."""
    original = session.get(FundEntry, entry_id)
    if original is None:
        raise not_found("fund entry", entry_id)
    ensure_role(actor, *WRITERS)
    authorize_region(session, actor, original.region_code)
    if original.kind not in ("receipt", "allocation_out"):
        raise DomainError(
            "invalid_reversal",
            "entry {entry_id} cannot be reversed on its own; reverse the receipt or the allocation",
            None,
            params={"entry_id": entry_id},
        )
    if session.exec(select(FundEntry.id).where(FundEntry.reverses_id == entry_id)).first():
        raise DomainError(
            "already_reversed",
            "entry {entry_id} is already reversed",
            None,
            params={"entry_id": entry_id},
        )
    pair = [original]
    if original.kind == "allocation_out":
        other = session.exec(select(FundEntry).where(FundEntry.link_id == entry_id)).first()
        if other is not None:
            pair.append(other)
    _lock_in_order(session, [(e.region_code, e.source) for e in pair])
    done = []
    # The receiving side first: it is the one that may lack the money now.
    for entry in reversed(pair):
        done.append(
            _book(
                session,
                actor,
                FundEntry(
                    region_code=entry.region_code,
                    source=entry.source,
                    kind="reversal",
                    amount_fen=-entry.amount_fen,
                    counterpart_code=entry.counterpart_code,
                    document_no=entry.document_no,
                    document_date=entry.document_date,
                    purpose=reason,
                    reverses_id=entry.id,
                ),
                "reason",
            )
        )
    return done


def entries(
    session: Session, actor: Actor, code: str, limit: int, offset: int
) -> tuple[RegionRow, dict[str, int], list[FundEntry], int]:
    ensure_role(actor, *READERS)
    region = _region(session, code, "code")
    authorize_region(session, actor, code)
    where = FundEntry.region_code == code
    total = session.exec(select(func.count()).select_from(FundEntry).where(where)).one()
    rows = list(
        session.exec(
            select(FundEntry)
            .where(where)
            .order_by(FundEntry.id.desc())  # type: ignore[union-attr]
            .limit(limit)
            .offset(offset)
        ).all()
    )
    balances = {
        s: int(b)
        for s, b in session.exec(
            select(FundBalance.source, FundBalance.balance_fen).where(
                FundBalance.region_code == code
            )
        ).all()
    }
    return region, balances, rows, int(total)


# --- relief check ------------------------------------------------------------------------


def check_balances(session: Session) -> list[str]:
    """Every account whose stored balance differs from the sum of its ledger, or is below
    zero, and every allocation whose two sides differ; empty when all is well."""
    stored = {
        (code, source): int(fen)
        for code, source, fen in session.exec(
            select(FundBalance.region_code, FundBalance.source, FundBalance.balance_fen)
        ).all()
    }
    summed = {
        (code, source): int(fen or 0)
        for code, source, fen in session.exec(
            select(
                FundEntry.region_code, FundEntry.source, func.sum(FundEntry.amount_fen)
            ).group_by(FundEntry.region_code, FundEntry.source)
        ).all()
    }
    problems = []
    for key in sorted(set(stored) | set(summed)):
        recorded, computed = stored.get(key, 0), summed.get(key, 0)
        name = f"funds {key[0]} ({key[1]})"
        if recorded != computed:
            problems.append(
                f"{name}: balance {format_fen(recorded)}, ledger {format_fen(computed)} "
                f"(difference {format_fen(recorded - computed)})"
            )
        if recorded < 0:
            problems.append(f"{name}: balance {format_fen(recorded)} is below zero")
    return problems


def pass_down_days(session: Session, code: str) -> int:
    """`funds.pass_down_days` of the policy in force for the region (relief.funds.rules;
    10 when the policy gives none, assumed)."""
    from relief.funds.rules import rules_for

    return rules_for(session, code).pass_down_days


def _today() -> date:
    return clock.now().astimezone(clock.CST).date()


def overdue_fen(session: Session, code: str, days: int) -> int:
    """Money received by the region (receipts, allocations in) more than `days` ago that is
    still not passed down nor spent: FIFO, everything that left counts against the oldest."""
    rows = session.exec(select(FundEntry).where(FundEntry.region_code == code)).all()
    cutoff = _today() - timedelta(days=days)
    old_in = sum(
        e.amount_fen
        for e in rows
        if e.amount_fen > 0
        and e.kind in ("receipt", "allocation_in")
        and (e.document_date or e.at.astimezone(clock.CST).date()) < cutoff
    )
    out = -sum(e.amount_fen for e in rows if e.kind in ("allocation_out", "reserve_draw"))
    # A reversed receipt is not received; a reversed allocation is not passed down.
    reversed_in = sum(-e.amount_fen for e in rows if e.kind == "reversal" and e.amount_fen < 0)
    reversed_out = sum(e.amount_fen for e in rows if e.kind == "reversal" and e.amount_fen > 0)
    return max(0, old_in - reversed_in - (out - reversed_out) - paid_out_fen(session, code))


def paid_out_fen(session: Session, code: str) -> int:
    """Payments of cases of the programmes set at the region itself: what its own account paid
    to households (a programme's budget is the money of the region that set it). Payments
    under programmes of the regions below came out of money already passed down."""
    from relief.subsidies.models import Case, Payment, Programme

    total = session.exec(
        select(func.coalesce(func.sum(Payment.amount_fen), 0))
        .join(Case, Case.id == Payment.case_id)
        .join(Programme, Programme.code == Case.programme_code)
        .where(Programme.region_code == code)
    ).one()
    return int(total)


def spent_fen(session: Session, code: str) -> int:
    """Payments of subsidy cases of households in the region (and below)."""
    from relief.subsidies.models import Case, Household, Payment

    codes = _descendants(session, code)
    total = session.exec(
        select(func.coalesce(func.sum(Payment.amount_fen), 0))
        .join(Case, Case.id == Payment.case_id)
        .join(Household, Household.id == Case.household_id)
        .where(Household.region_code.in_(codes))  # type: ignore[attr-defined]
    ).one()
    return int(total)


def _descendants(session: Session, code: str) -> list[str]:
    found, frontier = [code], [code]
    while frontier:
        kids = list(
            session.exec(
                select(RegionRow.code).where(RegionRow.parent_code.in_(frontier))  # type: ignore[attr-defined]
            ).all()
        )
        found += kids
        frontier = kids
    return found


def summary(session: Session, actor: Actor, code: str) -> dict[str, Any]:
    """Per region at and one level under `code`: received, passed down, spent, left, overdue;
    and the programme budgets of each county beyond what reached it (flagged, not refused)."""
    ensure_role(actor, *READERS)
    top = _region(session, code, "code")
    authorize_region(session, actor, code)
    days = pass_down_days(session, code)
    regions = [top] + list(
        session.exec(
            select(RegionRow).where(RegionRow.parent_code == code).order_by(RegionRow.code)
        ).all()
    )
    out = []
    for region in regions:
        if region.level == "township":
            out.append(_township_row(session, region))
            continue
        rows = session.exec(select(FundEntry).where(FundEntry.region_code == region.code)).all()
        received, down = _received_and_down(session, rows)
        spent = spent_fen(session, region.code)
        budgets = _budgets_fen(session, region.code)
        out.append(
            {
                "region_code": region.code,
                "region_name": region.name,
                "level": region.level,
                "received": format_fen(received) or "0.00",
                "passed_down": format_fen(down) or "0.00",
                "spent": format_fen(spent) or "0.00",
                # What the account holds less what the region's own programmes paid out.
                "left": format_fen(
                    balance_fen(session, region.code) - paid_out_fen(session, region.code)
                )
                or "0.00",
                "overdue": format_fen(overdue_fen(session, region.code, days)) or "0.00",
                "programme_budgets": format_fen(budgets) or "0.00",
                "budget_beyond_funds": bool(rows) and budgets > received,
            }
        )
    return {"region_code": top.code, "pass_down_days": days, "regions": out}


def _received_and_down(session: Session, rows: Any) -> tuple[int, int]:
    """Fen received (receipts, allocations in) and passed down (allocations out, reserve
    draws) by an account's ledger rows, reversals taken off the side they undo."""
    received = sum(e.amount_fen for e in rows if e.kind in ("receipt", "allocation_in"))
    down = -sum(e.amount_fen for e in rows if e.kind in ("allocation_out", "reserve_draw"))
    for e in rows:
        if e.kind == "reversal":
            original = session.get(FundEntry, e.reverses_id)
            if original is not None and original.kind in ("receipt", "allocation_in"):
                received += e.amount_fen
            else:
                down -= e.amount_fen
    return received, down


def budget_check(session: Session, code: str) -> dict[str, Any] | None:
    """For a programme's summary: the funds that reached the region, the budgets of all its
    programmes, and whether they go beyond (flagged, not refused); None where no funds are
    recorded for the region (budgets set directly, as before)."""
    rows = session.exec(select(FundEntry).where(FundEntry.region_code == code)).all()
    if not rows:
        return None
    received, _ = _received_and_down(session, rows)
    budgets = _budgets_fen(session, code)
    return {
        "region_code": code,
        "received": format_fen(received) or "0.00",
        "programme_budgets": format_fen(budgets) or "0.00",
        "budget_beyond_funds": budgets > received,
    }


def _township_row(session: Session, region: RegionRow) -> dict[str, Any]:
    from relief.reserve import service as reserve

    return {
        "region_code": region.code,
        "region_name": region.name,
        "level": region.level,
        "received": None,
        "passed_down": None,
        "spent": format_fen(spent_fen(session, region.code)) or "0.00",
        "left": format_fen(reserve.balance_fen(session, region.code)) or "0.00",
        "overdue": "0.00",
        "programme_budgets": "0.00",
        "budget_beyond_funds": False,
    }


def _budgets_fen(session: Session, code: str) -> int:
    from relief.subsidies.models import Programme

    return int(
        session.exec(
            select(func.coalesce(func.sum(Programme.budget_fen), 0)).where(
                Programme.region_code == code
            )
        ).one()
    )


__all__ = ["SOURCES"]
