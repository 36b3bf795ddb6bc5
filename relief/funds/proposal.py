"""The split of a sum across the regions directly under a region by need (relief.funds.split):
a province's cities, a city's counties, a county's townships, each child's need read over its
whole subtree from the reports and the registered households; and its approval, which books
one allocation per child (the officer may have changed the shares before approving).
`counties` in the API names the children whatever their level (API.md keeps the name)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from relief.auth.deps import authorize_region, ensure_role
from relief.auth.models import Actor
from relief.errors import DomainError, Named
from relief.funds import service
from relief.funds.models import ApproveIn, FundEntry, ProposalIn
from relief.funds.split import CountyNeed, SplitError, Weights, split
from relief.network.models import RegionRow
from relief.subsidies.models import format_fen


def _children_under(session: Session, code: str) -> list[RegionRow]:
    """The regions directly under the region, whatever its level: a province splits among
    its cities, a city among its counties, a county among its townships (whose account is
    their reserve fund, 备用金)."""
    return list(
        session.exec(
            select(RegionRow).where(RegionRow.parent_code == code).order_by(RegionRow.code)
        ).all()
    )


NEED_FIGURES = ("needing_aid", "collapsed_households", "severe_households", "general_households")


def _reported(session: Session, codes: list[str], event_id: int | None) -> dict[str, Any]:
    """The latest report of each region in `codes` (of the event, when given)."""
    from relief.emergency.models import ReportRow

    query = select(ReportRow).where(ReportRow.region_code.in_(codes))  # type: ignore[attr-defined]
    if event_id is not None:
        query = query.where(ReportRow.event_id == event_id)
    latest: dict[str, Any] = {}
    for row in session.exec(
        query.order_by(ReportRow.reported_at, ReportRow.id)  # type: ignore[arg-type]
    ).all():
        latest[row.region_code] = row  # the later overwrites the earlier
    return latest


def _subtree_figures(
    code: str, kids: dict[str, list[str]], latest: dict[str, Any]
) -> dict[str, int]:
    """A region's need figures over its subtree: its own latest report where it has one (a
    county's report covers its townships, so they are not added again), else the sum of its
    children's."""
    report = latest.get(code)
    if report is not None:
        return {name: int(getattr(report, name, 0) or 0) for name in NEED_FIGURES}
    total = dict.fromkeys(NEED_FIGURES, 0)
    for kid in kids.get(code, []):
        for name, value in _subtree_figures(kid, kids, latest).items():
            total[name] += value
    return total


def _need_from_records(session: Session, child: RegionRow, event_id: int | None) -> CountyNeed:
    """The need of a child region over its whole subtree: the reports (people needing aid,
    damaged households; see `_subtree_figures`) and the households registered anywhere under
    it (低保 and 建档立卡 counts)."""
    from relief.subsidies.models import Household

    codes = service._descendants(session, child.code)
    kids: dict[str, list[str]] = {}
    for code, parent in session.exec(
        select(RegionRow.code, RegionRow.parent_code).where(RegionRow.code.in_(codes))  # type: ignore[attr-defined]
    ).all():
        if code != child.code and parent is not None:
            kids.setdefault(parent, []).append(code)
    figures = _subtree_figures(child.code, kids, _reported(session, codes, event_id))
    hq = select(Household.category).where(Household.region_code.in_(codes))  # type: ignore[attr-defined]
    if event_id is not None:
        hq = hq.where(Household.event_id == event_id)
    categories = list(session.exec(hq).all())
    return CountyNeed(
        code=child.code,
        **figures,
        households=len(categories),
        dibao_households=sum(1 for c in categories if c == "dibao"),
        poverty_registered_households=sum(1 for c in categories if c == "poverty_registered"),
    )


def weights_for(session: Session, code: str) -> tuple[Weights, bool]:
    """The policy's `funds.weights` in force for the region (relief.funds.rules), and
    whether they are assumed (the defaults, or values the policy marks assumed)."""
    from relief.funds.rules import rules_for

    rules = rules_for(session, code)
    return rules.weights, rules.assumed


def _split_error(exc: SplitError) -> DomainError:
    if exc.field == "floor" and "negative" in str(exc):
        return DomainError("validation_error", "the floor must not be negative", "floor")
    if exc.field == "floor":
        return DomainError(
            "validation_error",
            "the floors of the regions add up to more than the total",
            "floor",
        )
    if exc.field == "cap" and "below" in str(exc):
        return DomainError("validation_error", "the cap is below the floor", "cap")
    if exc.field == "cap":
        return DomainError(
            "validation_error", "the caps of the regions add up to less than the total", "cap"
        )
    if "twice" in str(exc):
        return DomainError("validation_error", "a region is listed twice", "counties")
    return DomainError(
        "validation_error", "there is no region under it to split the sum among", "counties"
    )


def propose(session: Session, actor: Actor, body: ProposalIn) -> dict[str, Any]:
    ensure_role(actor, *service.WRITERS)
    top = service._account_region(session, body.from_code, "from_code")
    authorize_region(session, actor, body.from_code, "from_code")
    children = _children_under(session, top.code)
    by_code = {c.code: c for c in children}
    if body.counties is not None:
        for given in body.counties:
            if given.code not in by_code:
                raise DomainError(
                    "validation_error",
                    "region {code} is not directly under {from_code}",
                    "counties",
                    params={
                        "code": service.said(session, given.code),
                        "from_code": Named(top.code, top.name),
                    },
                )
        needs = [CountyNeed(**c.model_dump()) for c in body.counties]
    else:
        needs = [_need_from_records(session, c, body.event_id) for c in children]
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
                params={"code": service.said(session, share.code)},
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
