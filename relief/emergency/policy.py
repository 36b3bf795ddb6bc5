"""Policy versions in the database: loading them from scenario folders, editing them
through the API, and choosing the one in force at an event's start.

A policy (thresholds, criteria, deadlines, penalties, norms, subsidies) is data with an
effective date (DESIGN.md). Each version is stored whole: the JSON `document` plus one
`policy_norms` row per norm, so that what was loaded is exactly what `policy_for` returns.

Choices where the contract is silent:
- A version is keyed by (`source`, `effective_from`): reloading a scenario's policy.yaml
  updates its version in place (audited) or changes nothing when it is the same.
- The version in force at a time `at` is the one with the latest `effective_from` on or
  before `at`'s date in China Standard Time (policy dates are local dates), among versions
  without a region scope or scoped to a region at or above one of the event's regions; a
  scoped version wins over an unscoped one of the same date, then the later created.
- With no version in force, `policy_for` returns an empty `Policy()`: nothing is
  recommended, and deadlines are null.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlmodel import Session, col, or_, select

from relief import clock
from relief.audit import service as audit
from relief.auth.models import Actor
from relief.emergency.figures import FIGURE_FIELDS
from relief.emergency.models import NormOut, PolicyIn, PolicyNormRow, PolicyOut, PolicyRow
from relief.emergency.records import DEFAULT_LOADING_H, LEVELS, SEASON_MONTHS, Norm, Policy
from relief.emergency.reporting import rules_json
from relief.errors import DomainError, not_found

Outcome = Literal["created", "updated", "unchanged"]


# --- document <-> Policy ----------------------------------------------------------------


def policy_document(policy: Policy) -> dict[str, Any]:
    """The policy as JSON-safe data, without its norms (decimals as exact text)."""
    labels = {"criterion_labels": dict(policy.criterion_labels)} if policy.criterion_labels else {}
    # Written only when given, so that a document stored before issue 14 stays the same.
    if policy.criterion_shares:
        labels["criterion_shares"] = {
            name: {"share_of": of, "within": within}
            for name, (of, within) in policy.criterion_shares.items()
        }
    if policy.update_jump_share is not None:
        labels["update_jump_share"] = str(policy.update_jump_share)
    if policy.reporting:
        labels["reporting"] = rules_json(policy.reporting)
    # 临时救助 (issue 15): the delegated limit, cap and clocks, kept with the version so that
    # the approval tier reads the stored policy, not the scenario file.
    if policy.temporary_relief:
        labels["temporary_relief"] = _json_safe(policy.temporary_relief)
    if policy.distribution:
        labels["distribution"] = dict(policy.distribution)
    # Relief funds (issue 16): pass_down_days and the split's weights, kept with the version.
    if policy.funds:
        labels["funds"] = _json_safe(policy.funds)
    return labels | {
        "criteria": {name: list(fields) for name, fields in policy.criteria.items()},
        "thresholds": {
            str(level): dict(limits) for level, limits in sorted(policy.thresholds.items())
        },
        "deadlines_h": {str(level): str(h) for level, h in sorted(policy.deadlines_h.items())},
        "response_deadlines_h": {
            name: {str(level): str(h) for level, h in sorted(by_level.items())}
            for name, by_level in policy.response_deadlines_h.items()
        },
        "cross_jurisdiction_levels": sorted(policy.cross_jurisdiction_levels),
        "tier_penalty_ton_km": {tier: str(v) for tier, v in policy.tier_penalty_ton_km.items()},
        "cross_jurisdiction_penalty_ton_km": str(policy.cross_jurisdiction_penalty_ton_km),
        "loading_h": str(policy.loading_h),
        "subsidies": _json_safe(policy.subsidies),
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _subsidies_from_json(subsidies: dict[str, Any]) -> dict[str, Any]:
    """Standards' `effective_from` back to dates, as the scenario reader gives them."""
    out = dict(subsidies)
    programmes = []
    for programme in subsidies.get("programmes", []):
        programme = dict(programme)
        standards = []
        for standard in programme.get("standards", []):
            standard = dict(standard)
            if isinstance(standard.get("effective_from"), str):
                standard["effective_from"] = date.fromisoformat(standard["effective_from"])
            standards.append(standard)
        programme["standards"] = standards
        programmes.append(programme)
    if "programmes" in subsidies:
        out["programmes"] = programmes
    if "reference_standards" in subsidies:
        out["reference_standards"] = [
            {
                **r,
                "effective_from": date.fromisoformat(r["effective_from"])
                if isinstance(r.get("effective_from"), str)
                else r.get("effective_from"),
            }
            for r in subsidies["reference_standards"]
            if isinstance(r, dict)
        ]
    return out


def policy_from_row(row: PolicyRow, norms: Iterable[PolicyNormRow]) -> Policy:
    doc = row.document
    return Policy(
        effective_from=row.effective_from,
        criteria={name: list(fields) for name, fields in doc.get("criteria", {}).items()},
        criterion_labels=dict(doc.get("criterion_labels", {})),
        criterion_shares={
            name: (share["share_of"], share.get("within", "province"))
            for name, share in doc.get("criterion_shares", {}).items()
        },
        update_jump_share=(
            Decimal(doc["update_jump_share"]) if "update_jump_share" in doc else None
        ),
        thresholds={
            int(level): {name: int(v) for name, v in limits.items()}
            for level, limits in doc.get("thresholds", {}).items()
        },
        deadlines_h={int(level): Decimal(h) for level, h in doc.get("deadlines_h", {}).items()},
        response_deadlines_h={
            name: {int(level): Decimal(h) for level, h in by_level.items()}
            for name, by_level in doc.get("response_deadlines_h", {}).items()
        },
        cross_jurisdiction_levels=frozenset(doc.get("cross_jurisdiction_levels", [])),
        tier_penalty_ton_km={
            tier: Decimal(v) for tier, v in doc.get("tier_penalty_ton_km", {}).items()
        },
        cross_jurisdiction_penalty_ton_km=Decimal(doc.get("cross_jurisdiction_penalty_ton_km", 0)),
        loading_h=Decimal(doc.get("loading_h", DEFAULT_LOADING_H)),
        norms=[
            Norm(
                n.item_code,
                n.basis,
                Decimal(n.per_person),
                n.priority_weight,
                tuple(int(m) for m in n.months.split(",") if m),
            )
            for n in sorted(norms, key=lambda n: n.position)
        ],
        subsidies=_subsidies_from_json(doc.get("subsidies", {})),
        reporting=dict(doc.get("reporting", {})),
        temporary_relief=dict(doc.get("temporary_relief", {})),
        distribution=dict(doc.get("distribution", {})),
        funds=dict(doc.get("funds", {})),
    )


NormTuple = tuple[str, str, str, int, str]


def _months_text(months: Iterable[int]) -> str:
    return ",".join(str(m) for m in sorted(months))


def _norm_rows(policy: Policy) -> list[NormTuple]:
    return [
        (n.item_code, n.basis, str(n.per_person), int(n.priority_weight), _months_text(n.months))
        for n in policy.norms
    ]


def _stored_tuples(session: Session, policy_id: int) -> list[NormTuple]:
    return [
        (n.item_code, n.basis, n.per_person, n.priority_weight, n.months)
        for n in _stored_norms(session, policy_id)
    ]


def _stored_norms(session: Session, policy_id: int) -> list[PolicyNormRow]:
    return list(
        session.exec(
            select(PolicyNormRow)
            .where(PolicyNormRow.policy_id == policy_id)
            .order_by(col(PolicyNormRow.position))
        ).all()
    )


def _snapshot(row: PolicyRow, norms: list[NormTuple]) -> dict[str, Any]:
    return {
        "source": row.source,
        "effective_from": row.effective_from.isoformat(),
        "region_code": row.region_code,
        "document": row.document,
        "norms": [list(n) for n in norms],
    }


def _write_norms(session: Session, policy_id: int, norms: list[NormTuple]) -> None:
    for old in _stored_norms(session, policy_id):
        session.delete(old)
    session.flush()
    for position, (item_code, basis, per_person, weight, months) in enumerate(norms):
        session.add(
            PolicyNormRow(
                policy_id=policy_id,
                position=position,
                item_code=item_code,
                basis=basis,
                per_person=per_person,
                priority_weight=weight,
                months=months,
            )
        )


# --- checks ------------------------------------------------------------------------------


def check_policy(session: Session, policy: Policy, region_code: str | None = None) -> None:
    """The rules of policy.yaml that a parsed document can still break (the scenario
    validator checks files; this checks what the API or a direct caller hands over)."""
    from relief.network import service as network

    for name in policy.criteria:
        if name in FIGURE_FIELDS:
            raise DomainError(
                "validation_error",
                "criterion {name} may not be named like a report field",
                f"criteria.{name}",
                params={"name": name},
            )
        if not policy.criteria[name]:
            raise DomainError(
                "validation_error",
                "a criterion needs at least one report field",
                f"criteria.{name}",
            )
    for name in policy.criterion_shares:
        if name not in policy.criteria:
            raise DomainError(
                "validation_error",
                "{name} is a share of a population but not a criterion",
                f"criterion_shares.{name}",
                params={"name": name},
            )
    for level, limits in policy.thresholds.items():
        for name in limits:
            if name not in policy.criteria and name not in FIGURE_FIELDS:
                raise DomainError(
                    "validation_error",
                    "{name} is neither a criterion nor a report field",
                    f"thresholds.{level}.{name}",
                    params={"name": name},
                )
    missing = [str(level) for level in LEVELS if level not in policy.deadlines_h]
    if missing:
        raise DomainError(
            "validation_error",
            "no deadline for level {missing}",
            "deadlines_h",
            params={"missing": ", ".join(missing)},
        )
    weights: dict[str, int] = {}
    for i, norm in enumerate(policy.norms):
        if network.get_item(session, norm.item_code) is None:
            raise DomainError(
                "unknown_code",
                "unknown item {item_code}",
                f"norms[{i}].item",
                params={"item_code": norm.item_code},
            )
        if norm.basis not in FIGURE_FIELDS:
            raise DomainError(
                "validation_error",
                "{basis} is not a report field",
                f"norms[{i}].basis",
                params={"basis": norm.basis},
            )
        first = weights.setdefault(norm.item_code, norm.priority_weight)
        if first != norm.priority_weight:
            raise DomainError(
                "validation_error",
                "the norms of {item_code} share one priority_weight ({first})",
                f"norms[{i}].priority_weight",
                params={"item_code": norm.item_code, "first": first},
            )
    if region_code is not None and network.get_region(session, region_code) is None:
        raise DomainError(
            "unknown_code",
            "unknown region {region_code}",
            "region_code",
            params={"region_code": region_code},
        )


# --- loading and choosing ------------------------------------------------------------------


def load_policy(
    session: Session,
    actor: Actor,
    policy: Policy,
    source: str,
    region_code: str | None = None,
) -> tuple[PolicyRow, Outcome]:
    """Store a policy version keyed by (source, effective_from); idempotent.

    The same content again changes nothing ("unchanged"); changed content updates the
    version (audited with before and after). The scenario loader calls this with the
    scenario's name as `source`."""
    check_policy(session, policy, region_code)
    document = policy_document(policy)
    norms = _norm_rows(policy)
    row = session.exec(
        select(PolicyRow).where(
            PolicyRow.source == source, PolicyRow.effective_from == policy.effective_from
        )
    ).first()
    if row is None:
        row = PolicyRow(
            source=source,
            effective_from=policy.effective_from,
            region_code=region_code,
            document=document,
        )
        session.add(row)
        session.flush()
        _write_norms(session, row.id, norms)
        audit.record(session, actor, "create", "policy", row.id, None, _snapshot(row, norms))
        return row, "created"
    stored = _stored_tuples(session, row.id)
    if row.document == document and stored == norms and row.region_code == region_code:
        return row, "unchanged"
    before = _snapshot(row, stored)
    row.document = document
    row.region_code = region_code
    row.updated_at = clock.now()
    session.add(row)
    _write_norms(session, row.id, norms)
    session.flush()
    audit.record(session, actor, "update", "policy", row.id, before, _snapshot(row, norms))
    return row, "updated"


def edited_by_user(
    session: Session, actor: Actor, policy: Policy, source: str
) -> audit.AuditRecord | None:
    """When the stored version (source, policy.effective_from) was last written by someone
    other than `actor` (an administrator's PUT or POST), and differs from `policy`: that
    audit record. A scenario reload keeps such a version as the administrator left it."""
    row = session.exec(
        select(PolicyRow).where(
            PolicyRow.source == source, PolicyRow.effective_from == policy.effective_from
        )
    ).first()
    if row is None:
        return None
    records = audit.history(session, "policy", row.id)
    if not records or records[-1].actor == actor.username:
        return None
    stored = _stored_tuples(session, row.id)
    same = row.document == policy_document(policy) and stored == _norm_rows(policy)
    if same and row.region_code is None:
        return None
    return records[-1]


def policy_version_for(
    session: Session, at: datetime, region_codes: Iterable[str] = ()
) -> PolicyRow | None:
    """The stored version in force at `at` for an event in `region_codes` (module doc)."""
    from relief.network import service as network

    day = clock.to_cst(at).date()
    scopes: set[str] = set()
    for code in region_codes:
        scopes.update(network.region_lineage(session, code))
    query = select(PolicyRow).where(PolicyRow.effective_from <= day)
    if scopes:
        query = query.where(
            or_(col(PolicyRow.region_code).is_(None), col(PolicyRow.region_code).in_(scopes))
        )
    else:
        query = query.where(col(PolicyRow.region_code).is_(None))
    rows = session.exec(query).all()
    if not rows:
        return None
    return max(rows, key=lambda r: (r.effective_from, r.region_code is not None, r.id))


def policy_for(session: Session, at: datetime, region_codes: Iterable[str] = ()) -> Policy:
    """The policy in force at `at` (an event's start); an empty Policy when none is."""
    row = policy_version_for(session, at, region_codes)
    if row is None:
        return Policy()
    return policy_from_row(row, _stored_norms(session, row.id))


# --- the admin API -----------------------------------------------------------------------


def policy_from_input(
    body: PolicyIn,
    stored_subsidies: dict[str, Any] | None = None,
    stored_temporary_relief: dict[str, Any] | None = None,
    stored_distribution: dict[str, Any] | None = None,
    stored_funds: dict[str, Any] | None = None,
) -> Policy:
    return Policy(
        effective_from=body.effective_from,
        criteria={name: list(fields) for name, fields in body.criteria.items()},
        criterion_labels={k: v for k, v in body.criterion_labels.items() if k in body.criteria},
        criterion_shares={k: (v.share_of, v.within) for k, v in body.criterion_shares.items()},
        update_jump_share=body.update_jump_share,
        thresholds={level: dict(limits) for level, limits in body.thresholds.items()},
        deadlines_h=dict(body.deadlines_h),
        response_deadlines_h={
            name: dict(by_level) for name, by_level in body.response_deadlines_h.items()
        },
        cross_jurisdiction_levels=frozenset(body.cross_jurisdiction_levels),
        tier_penalty_ton_km=dict(body.tier_penalty_ton_km),
        cross_jurisdiction_penalty_ton_km=body.cross_jurisdiction_penalty_ton_km,
        loading_h=body.loading_h,
        norms=[
            Norm(
                n.item,
                n.basis,
                n.per_person,
                n.priority_weight,
                SEASON_MONTHS[n.season] if n.season else tuple(sorted(n.months)),
            )
            for n in body.norms
        ],
        subsidies=(
            body.subsidies
            if body.subsidies is not None
            else _subsidies_from_json(stored_subsidies or {})
        ),
        reporting=dict(body.reporting),
        # Left out of the body: a PUT keeps what is stored.
        temporary_relief=dict(
            body.temporary_relief
            if body.temporary_relief is not None
            else (stored_temporary_relief or {})
        ),
        distribution=dict(
            body.distribution if body.distribution is not None else (stored_distribution or {})
        ),
        funds=dict(body.funds if body.funds is not None else (stored_funds or {})),
    )


def list_policies(session: Session) -> list[PolicyRow]:
    return list(
        session.exec(
            select(PolicyRow).order_by(col(PolicyRow.effective_from), col(PolicyRow.id))
        ).all()
    )


def get_policy(session: Session, policy_id: int) -> PolicyRow:
    row = session.get(PolicyRow, policy_id) if 0 < policy_id <= 2_147_483_647 else None
    if row is None:
        raise not_found("policy", policy_id)
    return row


def create_policy(session: Session, actor: Actor, body: PolicyIn) -> PolicyRow:
    """A new version (POST /policies); its (source, effective_from) must be new."""
    taken = session.exec(
        select(PolicyRow).where(
            PolicyRow.source == body.source, PolicyRow.effective_from == body.effective_from
        )
    ).first()
    if taken is not None:
        raise DomainError(
            "duplicate",
            "policy {taken_id} already has source {source} and effective_from {effective_from}; edit it with PUT /api/v1/policies/{taken_id}",
            "effective_from",
            params={
                "taken_id": taken.id,
                "source": body.source,
                "effective_from": body.effective_from,
            },
        )
    row, _ = load_policy(session, actor, policy_from_input(body), body.source, body.region_code)
    return row


def replace_policy(session: Session, actor: Actor, policy_id: int, body: PolicyIn) -> PolicyRow:
    """Replace a version's content (PUT /policies/{id}), audited with before and after.

    `subsidies` left out keeps the stored ones (they are edited as programmes)."""
    row = get_policy(session, policy_id)
    taken = session.exec(
        select(PolicyRow).where(
            PolicyRow.source == body.source,
            PolicyRow.effective_from == body.effective_from,
            PolicyRow.id != row.id,
        )
    ).first()
    if taken is not None:
        raise DomainError(
            "duplicate",
            "policy {taken_id} already has source {source} and effective_from {effective_from}",
            "effective_from",
            params={
                "taken_id": taken.id,
                "source": body.source,
                "effective_from": body.effective_from,
            },
        )
    policy = policy_from_input(
        body,
        row.document.get("subsidies"),
        row.document.get("temporary_relief"),
        row.document.get("distribution"),
        row.document.get("funds"),
    )
    check_policy(session, policy, body.region_code)
    stored = _stored_tuples(session, row.id)
    before = _snapshot(row, stored)
    norms = _norm_rows(policy)
    row.source = body.source
    row.effective_from = body.effective_from
    row.region_code = body.region_code
    row.document = policy_document(policy)
    row.updated_at = clock.now()
    session.add(row)
    _write_norms(session, row.id, norms)
    session.flush()
    audit.record(session, actor, "update", "policy", row.id, before, _snapshot(row, norms))
    return row


def policy_out(session: Session, row: PolicyRow) -> PolicyOut:
    policy = policy_from_row(row, _stored_norms(session, row.id))
    doc = row.document
    return PolicyOut(
        id=row.id,
        source=row.source,
        effective_from=row.effective_from,
        region_code=row.region_code,
        criteria=policy.criteria,
        criterion_labels=policy.criterion_labels,
        criterion_shares={
            name: {"share_of": of, "within": within}
            for name, (of, within) in policy.criterion_shares.items()
        },
        update_jump_share=(
            float(policy.update_jump_share) if policy.update_jump_share is not None else None
        ),
        thresholds={str(k): v for k, v in sorted(policy.thresholds.items())},
        deadlines_h={str(k): float(v) for k, v in sorted(policy.deadlines_h.items())},
        response_deadlines_h={
            name: {str(k): float(v) for k, v in sorted(by_level.items())}
            for name, by_level in policy.response_deadlines_h.items()
        },
        cross_jurisdiction_levels=sorted(policy.cross_jurisdiction_levels),
        tier_penalty_ton_km={k: float(v) for k, v in policy.tier_penalty_ton_km.items()},
        cross_jurisdiction_penalty_ton_km=float(policy.cross_jurisdiction_penalty_ton_km),
        loading_h=float(policy.loading_h),
        norms=[
            NormOut(
                item=n.item_code,
                basis=n.basis,
                per_person=str(n.per_person),
                priority_weight=n.priority_weight,
                months=list(n.months),
            )
            for n in policy.norms
        ],
        subsidies=doc.get("subsidies", {}),
        reporting=doc.get("reporting", {}),
        temporary_relief=doc.get("temporary_relief", {}),
        distribution=doc.get("distribution", {}),
        funds=doc.get("funds", {}),
        created_at=clock.to_cst(row.created_at),
        updated_at=clock.to_cst(row.updated_at),
    )
