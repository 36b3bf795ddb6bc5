"""The split of a sum across the counties under a region by need (relief.funds.split), read
from the reports and the registered households, and its approval, which books one allocation
per county (the officer may have changed the shares before approving)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlmodel import Session, select

from relief.auth.deps import authorize_region, ensure_role
from relief.auth.models import Actor
from relief.errors import DomainError
from relief.funds import service
from relief.funds.models import ApproveIn, FundEntry, ProposalIn
from relief.funds.split import CountyNeed, SplitError, Weights, split
from relief.network.models import RegionRow
from relief.subsidies.models import format_fen


def _counties_under(session: Session, code: str) -> list[RegionRow]:
    """The counties directly under the region (a 市 splits among its 县)."""
    return list(
        session.exec(
            select(RegionRow)
            .where(RegionRow.parent_code == code, RegionRow.level == "county")
            .order_by(RegionRow.code)
        ).all()
    )


def _need_from_records(session: Session, county: RegionRow, event_id: int | None) -> CountyNeed:
    """The latest report of the county (people needing aid, damaged households) and the
    households registered under it (低保 and 建档立卡 counts)."""
    from relief.emergency.models import ReportRow
    from relief.subsidies.models import Household

    codes = service._descendants(session, county.code)
    query = select(ReportRow).where(ReportRow.region_code == county.code)
    if event_id is not None:
        query = query.where(ReportRow.event_id == event_id)
    report = session.exec(
        query.order_by(ReportRow.reported_at.desc(), ReportRow.id.desc())  # type: ignore[attr-defined]
    ).first()
    hq = select(Household.category).where(Household.region_code.in_(codes))  # type: ignore[attr-defined]
    if event_id is not None:
        hq = hq.where(Household.event_id == event_id)
    categories = list(session.exec(hq).all())

    def figure(name: str) -> int:
        return int(getattr(report, name, 0) or 0) if report is not None else 0

    return CountyNeed(
        code=county.code,
        needing_aid=figure("needing_aid"),
        collapsed_households=figure("collapsed_households"),
        severe_households=figure("severe_households"),
        general_households=figure("general_households"),
        households=len(categories),
        dibao_households=sum(1 for c in categories if c == "dibao"),
        poverty_registered_households=sum(1 for c in categories if c == "poverty_registered"),
    )


def weights_for(session: Session, code: str) -> tuple[Weights, bool]:
    """`funds.split` of the policy in force (per_person, collapsed, severe, general in yuan;
    dibao, poverty_registered weights); (the defaults, True = assumed) when absent."""
    from relief import clock
    from relief.emergency.policy import policy_version_for
    from relief.network import service as network

    row = policy_version_for(session, clock.now(), network.region_lineage(session, code))
    doc = ((row.document or {}).get("funds") or {}).get("split") if row else None
    if not isinstance(doc, dict):
        return Weights(), True
    base = Weights()
    try:
        return (
            Weights(
                per_person_fen=int(
                    Fraction(str(doc.get("per_person", base.per_person_fen / 100))) * 100
                ),
                collapsed_fen=int(
                    Fraction(str(doc.get("collapsed", base.collapsed_fen / 100))) * 100
                ),
                severe_fen=int(Fraction(str(doc.get("severe", base.severe_fen / 100))) * 100),
                general_fen=int(Fraction(str(doc.get("general", base.general_fen / 100))) * 100),
                dibao=Fraction(str(doc.get("dibao", base.dibao))),
                poverty_registered=Fraction(
                    str(doc.get("poverty_registered", base.poverty_registered))
                ),
            ),
            bool(doc.get("assumed", True)),
        )
    except (ValueError, ZeroDivisionError):
        return Weights(), True


def _split_error(exc: SplitError) -> DomainError:
    if exc.field == "floor" and "negative" in str(exc):
        return DomainError("validation_error", "the floor must not be negative", "floor")
    if exc.field == "floor":
        return DomainError(
            "validation_error", "the floors of the counties add up to more than the total", "floor"
        )
    if exc.field == "cap" and "below" in str(exc):
        return DomainError("validation_error", "the cap is below the floor", "cap")
    if exc.field == "cap":
        return DomainError(
            "validation_error", "the caps of the counties add up to less than the total", "cap"
        )
    if "twice" in str(exc):
        return DomainError("validation_error", "a county is listed twice", "counties")
    return DomainError("validation_error", "there is no county to split the sum among", "counties")


def propose(session: Session, actor: Actor, body: ProposalIn) -> dict[str, Any]:
    ensure_role(actor, *service.WRITERS)
    top = service._account_region(session, body.from_code, "from_code")
    authorize_region(session, actor, body.from_code, "from_code")
    counties = _counties_under(session, top.code)
    by_code = {c.code: c for c in counties}
    if body.counties is not None:
        for given in body.counties:
            if given.code not in by_code:
                raise DomainError(
                    "validation_error",
                    "region {code} is not a county under {from_code}",
                    "counties",
                    params={"code": given.code, "from_code": body.from_code},
                )
        needs = [CountyNeed(**c.model_dump()) for c in body.counties]
    else:
        needs = [_need_from_records(session, c, body.event_id) for c in counties]
    weights, assumed = weights_for(session, top.code)
    try:
        shares = split(body.total, needs, body.floor, body.cap, weights)
    except SplitError as exc:
        raise _split_error(exc) from exc
    balance = service.balance_fen(session, top.code, body.source)
    items = []
    for share, need in zip(shares, needs, strict=True):
        items.append(
            {
                "code": share.code,
                "name": by_code[share.code].name if share.code in by_code else share.code,
                "amount": format_fen(share.amount_fen) or "0.00",
                "need": format_fen(share.need_fen) or "0.00",
                "weight": f"{float(share.weight):.3f}",
                "bound": share.bound,
                "needing_aid": need.needing_aid,
                "collapsed_households": need.collapsed_households,
                "severe_households": need.severe_households,
                "general_households": need.general_households,
                "households": need.households,
                "dibao_households": need.dibao_households,
                "poverty_registered_households": need.poverty_registered_households,
            }
        )
    return {
        "from_code": top.code,
        "source": body.source,
        "total": format_fen(body.total),
        "floor": format_fen(body.floor) or "0.00",
        "cap": format_fen(body.cap) if body.cap is not None else None,
        "balance": format_fen(balance) or "0.00",
        "weights_assumed": assumed,
        "method": "proportional water-filling",
        "items": items,
    }


def approve(session: Session, actor: Actor, body: ApproveIn) -> list[FundEntry]:
    """One allocation per share (zero shares skipped); all or nothing."""
    ensure_role(actor, *service.WRITERS)
    seen: set[str] = set()
    outs = []
    for i, share in enumerate(body.shares):
        if share.code in seen:
            raise DomainError(
                "validation_error",
                "region {code} is listed twice",
                f"shares.{i}.code",
                params={"code": share.code},
            )
        seen.add(share.code)
        if share.amount < 0:
            raise DomainError(
                "validation_error", "the amount must not be negative", f"shares.{i}.amount"
            )
        if share.amount == 0:
            continue
        out, _ = service.allocate(
            session,
            actor,
            body.from_code,
            share.code,
            body.source,
            share.amount,
            body.document_no,
            body.document_date,
            body.purpose,
        )
        outs.append(out)
    if not outs:
        raise DomainError("validation_error", "every share is zero", "shares")
    return outs
