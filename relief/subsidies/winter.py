"""冬春受灾人员生活救助 (issue 15, the 冬春 part): the needs survey (需救助台账) and the
county's totals due to the city, the village review (村评) on the case workflow, rounds of
payments and the 已救助 ledger. Tables: relief/subsidies/winter_models.py.

The workflow is the existing case workflow (户报 = the case, 村评 = `village_review`, 公示 =
`publish` with its notice window, 乡审 = `township_review`, 县定 = `approve`); this module adds
the survey rule (`in_survey`: only households in the survey of the programme's season get a
case), the record
the village review needs, and the rounds (docs/county-staff.md "冬春生活救助").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_region, ensure_role, region_in_scope, sees_everything
from relief.auth.models import Actor
from relief.errors import N_, DomainError, Term, invalid, not_found
from relief.network import service as network
from relief.subsidies import service
from relief.subsidies.models import (
    Case,
    Household,
    PaymentIn,
    Programme,
    TransitionIn,
    format_fen,
    yuan_text,
)
from relief.subsidies.winter_models import (
    DEFAULT_SEASON_MONTHS,
    SINGLE_CROP_EXTRA,
    RoundIn,
    SurveyCorrectionIn,
    SurveyEntryIn,
    VillageReviewIn,
    WinterPolicy,
    WinterPolicyIn,
    WinterRound,
    WinterRoundLine,
    WinterSurveyEntry,
    WinterTotals,
    WinterVillageReview,
)

SURVEY_ROLES = ("county_staff", "township_staff")
TOTALS_ROLES = ("county_staff",)
ROUND_ROLES = ("county_staff",)
PAY_ROLES = ("county_staff", "approver")
DEFAULT_SURVEY_FROM = "09-20"
DEFAULT_TOTALS_DUE = "10-15"
# The warning a round gets when every household receives the same amount (平均分配 is
# forbidden by the rules; the round is made, and the warning is shown).
EQUAL_SHARES = "equal_shares"
TOTAL_KEYS = (
    "households",
    "people",
    "grain_people",
    "grain_kg",
    "clothing_people",
    "clothing_pieces",
    "heating_people",
    "water_people",
    "medical_people",
)


def today() -> date:
    return clock.today()


def season_of(day: date) -> int:
    """The season a day belongs to, named by the year it starts: the survey runs from late
    September, the season to May (July) of the next year. August starts the next one."""
    return day.year if day.month >= 8 else day.year - 1


def _month_day(season: int, text: str) -> date:
    month, day = (int(part) for part in text.split("-"))
    return date(season, month, day)


# --- policy -------------------------------------------------------------------------------


def store_policy(session: Session, actor: Actor, body: WinterPolicyIn) -> WinterPolicy:
    """The policy's `winter_spring:` values for a region (a new row; the newest wins)."""
    if network.get_region(session, body.region_code) is None:
        raise invalid("region_code", "unknown region {code}", params={"code": body.region_code})
    row = WinterPolicy(
        region_code=body.region_code,
        survey_from=body.survey_from,
        totals_due=body.totals_due,
        season_months=sorted(set(body.season_months)),
        single_crop_counties=list(body.single_crop_counties),
        min_per_person_fen=body.min_per_person,
        source=body.source,
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "winter_policy", row.id, None, row)
    return row


def load_policy(session: Session, actor: Actor, values: dict[str, Any]) -> bool:
    """Store the scenario's `winter_spring:` values unless the newest row for the region
    already holds them (loading twice adds nothing). Returns whether a row was added."""
    body = WinterPolicyIn(**values)
    newest = session.exec(
        select(WinterPolicy)
        .where(WinterPolicy.region_code == body.region_code)
        .order_by(WinterPolicy.id.desc())  # type: ignore[union-attr]
    ).first()
    if newest is not None and (
        newest.survey_from,
        newest.totals_due,
        list(newest.season_months),
        list(newest.single_crop_counties),
        newest.min_per_person_fen,
        newest.source,
    ) == (
        body.survey_from,
        body.totals_due,
        sorted(set(body.season_months)),
        list(body.single_crop_counties),
        body.min_per_person,
        body.source,
    ):
        return False
    store_policy(session, actor, body)
    return True


def policy_for(session: Session, region_code: str) -> WinterPolicy | None:
    """The newest policy row covering the region (its own or an ancestor's)."""
    lineage = network.region_lineage(session, region_code)
    if not lineage:
        return None
    return session.exec(
        select(WinterPolicy)
        .where(WinterPolicy.region_code.in_(lineage))  # type: ignore[attr-defined]
        .order_by(WinterPolicy.id.desc())  # type: ignore[union-attr]
    ).first()


def policy_out(row: WinterPolicy | None) -> dict[str, Any]:
    if row is None:
        return {
            "region_code": None,
            "survey_from": DEFAULT_SURVEY_FROM,
            "totals_due": DEFAULT_TOTALS_DUE,
            "season_months": list(DEFAULT_SEASON_MONTHS),
            "single_crop_counties": [],
            "min_per_person": None,
            "source": "",
        }
    return {
        "region_code": row.region_code,
        "survey_from": row.survey_from,
        "totals_due": row.totals_due,
        "season_months": list(row.season_months),
        "single_crop_counties": list(row.single_crop_counties),
        "min_per_person": format_fen(row.min_per_person_fen),
        "source": row.source,
    }


def county_of(session: Session, region_code: str) -> str | None:
    for code in network.region_lineage(session, region_code):
        region = network.get_region(session, code)
        if region is not None and region.level == "county":
            return code
    return None


# --- the needs survey ---------------------------------------------------------------------


def _current() -> Any:
    """Rows nobody supersedes (withdrawn rows are current too, and say so)."""
    successor = select(WinterSurveyEntry.supersedes_id).where(
        WinterSurveyEntry.supersedes_id.is_not(None)  # type: ignore[union-attr]
    )
    return WinterSurveyEntry.id.not_in(successor)  # type: ignore[union-attr]


def current_entry(session: Session, household_id: int, season: int) -> WinterSurveyEntry | None:
    return session.exec(
        select(WinterSurveyEntry).where(
            WinterSurveyEntry.household_id == household_id,
            WinterSurveyEntry.season == season,
            _current(),
            WinterSurveyEntry.withdrawn.is_(False),  # type: ignore[attr-defined]
        )
    ).first()


def programme_season(programme: Programme) -> int:
    """The season a 冬春 programme serves: its rule's `season` (the year the season starts),
    else the current season (season_of today)."""
    rule = service.eligibility_of(programme)
    if rule is not None and rule.season is not None:
        return rule.season
    return season_of(today())


def check_in_survey(session: Session, programme: Programme, household: Household) -> None:
    """Hook of create_case: a programme whose rule asks `in_survey` takes only households in
    the needs survey of the programme's season (422 `not_in_survey`): an entry of another
    season does not count."""
    rule = service.eligibility_of(programme)
    if rule is None or not rule.in_survey:
        return
    season = programme_season(programme)
    if current_entry(session, household.id, season) is None:  # type: ignore[arg-type]
        raise DomainError(
            "not_in_survey",
            "programme {programme_code} covers households in the winter-spring needs survey of season {season}; household {household_id} is not in it",
            "household_id",
            params={
                "programme_code": programme.code,
                "household_id": household.id,
                "season": f"{season}-{season + 1}",
            },
        )


def _locked_household(session: Session, household_id: int) -> Household:
    household = session.exec(
        select(Household)
        .where(Household.id == household_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if household is None:
        raise invalid("household_id", "unknown household {id}", params={"id": household_id})
    return household


def _check_people(people: int, household: Household) -> None:
    if people > household.size:
        raise invalid(
            "people",
            "{people} people needing help is more than the household's {size}",
            params={"people": people, "size": household.size},
        )


def add_entry(session: Session, actor: Actor, body: SurveyEntryIn) -> WinterSurveyEntry:
    ensure_role(actor, *SURVEY_ROLES)
    household = _locked_household(session, body.household_id)
    authorize_region(session, actor, household.region_code, "household_id", record="household")
    policy = policy_for(session, household.region_code)
    opens = _month_day(body.season, policy.survey_from if policy else DEFAULT_SURVEY_FROM)
    if today() < opens:
        raise DomainError(
            "survey_not_open",
            "the needs survey of season {season} opens on {opens}",
            "season",
            params={"season": body.season, "opens": opens.isoformat()},
        )
    _check_people(body.people, household)
    existing = current_entry(session, household.id, body.season)  # type: ignore[arg-type]
    if existing is not None:
        raise DomainError(
            "already_in_survey",
            "household {household_id} is already in the survey of season {season} (entry {entry_id}); correct that entry",
            "household_id",
            extra={"entry_id": existing.id},
            params={
                "household_id": household.id,
                "season": body.season,
                "entry_id": existing.id,
            },
        )
    entry = WinterSurveyEntry(
        season=body.season,
        household_id=household.id,  # type: ignore[arg-type]
        region_code=household.region_code,
        people=body.people,
        grain_kg=body.grain_kg,
        clothing_pieces=body.clothing_pieces,
        heating=body.heating,
        water=body.water,
        medical=body.medical,
        note=body.note,
        actor=actor.username,
    )
    session.add(entry)
    session.flush()
    audit.record(session, actor, "create", "winter_survey_entry", entry.id, None, entry)
    return entry


def _locked_entry(session: Session, actor: Actor, entry_id: int) -> WinterSurveyEntry:
    entry = session.exec(
        select(WinterSurveyEntry)
        .where(WinterSurveyEntry.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if entry is None:
        raise not_found("winter survey entry", entry_id)
    authorize_region(session, actor, entry.region_code, record="household")
    successor = session.exec(
        select(WinterSurveyEntry.id).where(WinterSurveyEntry.supersedes_id == entry.id)
    ).first()
    if successor is not None or entry.withdrawn:
        raise DomainError(
            "entry_superseded",
            "entry {entry_id} is no longer current; correct the newest version",
            None,
            extra={"current_id": successor},
            params={"entry_id": entry.id},
        )
    return entry


def correct_entry(
    session: Session, actor: Actor, entry_id: int, body: SurveyCorrectionIn
) -> WinterSurveyEntry:
    """A new version of the entry; the old one stays readable (and audited)."""
    ensure_role(actor, *SURVEY_ROLES)
    old = _locked_entry(session, actor, entry_id)
    household = session.get(Household, old.household_id)
    assert household is not None  # foreign key
    _check_people(body.people, household)
    new = WinterSurveyEntry(
        season=old.season,
        household_id=old.household_id,
        region_code=old.region_code,
        people=body.people,
        grain_kg=body.grain_kg,
        clothing_pieces=body.clothing_pieces,
        heating=body.heating,
        water=body.water,
        medical=body.medical,
        note=body.note,
        supersedes_id=old.id,
        reason=body.reason,
        actor=actor.username,
    )
    session.add(new)
    session.flush()
    audit.record(session, actor, "correct", "winter_survey_entry", new.id, old, new)
    return new


def withdraw_entry(session: Session, actor: Actor, entry_id: int, reason: str) -> WinterSurveyEntry:
    """Takes the household out of the survey (a reversal row); its history stays."""
    ensure_role(actor, *SURVEY_ROLES)
    old = _locked_entry(session, actor, entry_id)
    new = WinterSurveyEntry(
        season=old.season,
        household_id=old.household_id,
        region_code=old.region_code,
        people=old.people,
        grain_kg=old.grain_kg,
        clothing_pieces=old.clothing_pieces,
        heating=old.heating,
        water=old.water,
        medical=old.medical,
        note=old.note,
        supersedes_id=old.id,
        withdrawn=True,
        reason=reason,
        actor=actor.username,
    )
    session.add(new)
    session.flush()
    audit.record(session, actor, "withdraw", "winter_survey_entry", new.id, old, new)
    return new


def list_entries(
    session: Session,
    actor: Actor,
    season: int,
    region_code: str | None = None,
    history: bool = False,
) -> list[tuple[WinterSurveyEntry, Household]]:
    """The survey of a season in the caller's scope: current entries (with `history`, every
    version), newest first."""
    query = (
        select(WinterSurveyEntry, Household)
        .join(Household, Household.id == WinterSurveyEntry.household_id)
        .where(WinterSurveyEntry.season == season)
    )
    if not history:
        query = query.where(_current(), WinterSurveyEntry.withdrawn.is_(False))  # type: ignore[attr-defined]
    scope = service._scope_condition(actor, WinterSurveyEntry.region_code)
    if scope is not None:
        query = query.where(scope)
    if region_code:
        query = query.where(
            service._under(WinterSurveyEntry.region_code, [region_code], "survey_regions")
        )
    return list(session.exec(query.order_by(WinterSurveyEntry.id.desc())).all())  # type: ignore[union-attr]


def _add(totals: dict[str, Any], entry: WinterSurveyEntry) -> None:
    totals["households"] += 1
    totals["people"] += entry.people
    if entry.grain_kg > 0:
        totals["grain_people"] += entry.people
        totals["grain_kg"] += Decimal(entry.grain_kg)
    if entry.clothing_pieces > 0:
        totals["clothing_people"] += entry.people
        totals["clothing_pieces"] += entry.clothing_pieces
    for need in ("heating", "water", "medical"):
        if getattr(entry, need):
            totals[f"{need}_people"] += entry.people


def _zero() -> dict[str, Any]:
    out: dict[str, Any] = {key: 0 for key in TOTAL_KEYS}
    out["grain_kg"] = Decimal(0)
    return out


def survey_totals(
    session: Session, actor: Actor, county_code: str, season: int
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The county's totals and its townships' (code, totals), of the current entries."""
    rows = list_entries(session, actor, season, county_code)
    total = _zero()
    by_township: dict[str, dict[str, Any]] = defaultdict(_zero)
    for entry, _household in rows:
        _add(total, entry)
        township = entry.region_code
        for code in network.region_lineage(session, entry.region_code):
            region = network.get_region(session, code)
            if region is not None and region.level == "township":
                township = code
                break
        _add(by_township[township], entry)
    return total, sorted(by_township.items())


def _json(totals: dict[str, Any]) -> dict[str, Any]:
    return {k: (f"{v:.1f}" if isinstance(v, Decimal) else v) for k, v in totals.items()}


def within_county(session: Session, actor: Actor, county_code: str) -> bool:
    """Whether the caller's scope lies inside the county without covering it (township
    staff): they read their township's part of the county's survey, rounds and ledger."""
    if sees_everything(actor) or region_in_scope(session, actor, county_code):
        return False
    return any(county_code in network.region_lineage(session, code) for code in actor.region_codes)


def _county(session: Session, actor: Actor, county_code: str, *, part: bool = False) -> Any:
    """The county, in the caller's scope (403 else); with `part`, a scope inside the county
    (a township's staff, reading their part) is let through too."""
    region = network.get_region(session, county_code)
    if region is None or region.level != "county":
        raise invalid("county_code", "{code} is not a county", params={"code": county_code})
    if part and within_county(session, actor, county_code):
        return region
    authorize_region(session, actor, county_code, "county_code")
    return region


def due_on(session: Session, county_code: str, season: int) -> date:
    policy = policy_for(session, county_code)
    return _month_day(season, policy.totals_due if policy else DEFAULT_TOTALS_DUE)


def submit_totals(session: Session, actor: Actor, county_code: str, season: int) -> WinterTotals:
    """The county sends its survey totals to the city (once per season)."""
    ensure_role(actor, *TOTALS_ROLES)
    _county(session, actor, county_code)
    existing = session.exec(
        select(WinterTotals).where(
            WinterTotals.county_code == county_code, WinterTotals.season == season
        )
    ).first()
    if existing is not None:
        raise DomainError(
            "totals_already_submitted",
            "the totals of season {season} were submitted on {at}",
            None,
            params={"season": season, "at": clock.to_cst(existing.at).isoformat()},
        )
    total, _ = survey_totals(session, actor, county_code, season)
    row = WinterTotals(
        county_code=county_code,
        season=season,
        totals=_json(total),
        due_on=due_on(session, county_code, season),
        actor=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "submit", "winter_totals", row.id, None, row)
    return row


def totals_status(session: Session, actor: Actor, county_code: str, season: int) -> dict[str, Any]:
    """The county's totals (as sent once sent), due date and lateness. A township's staff get
    their township's part (`part: true`): the current entries in their scope."""
    region = _county(session, actor, county_code, part=True)
    part = within_county(session, actor, county_code)
    submitted = session.exec(
        select(WinterTotals).where(
            WinterTotals.county_code == county_code, WinterTotals.season == season
        )
    ).first()
    due = due_on(session, county_code, season)
    if submitted is not None:
        totals = dict(submitted.totals)
        late = clock.to_cst(submitted.at).date() > due
        if part:
            totals = _json(survey_totals(session, actor, county_code, season)[0])
    else:
        totals = _json(survey_totals(session, actor, county_code, season)[0])
        late = today() > due
    return {
        "county_code": county_code,
        "county_name": region.name,
        "season": season,
        "due_on": due,
        "submitted_at": submitted.at if submitted else None,
        "late": late,
        "totals": totals,
        "part": part,
    }


def counties_in_scope(session: Session, actor: Actor) -> list[str]:
    """The counties the caller's scope covers (or lies in), for the home page and inbox."""
    out: list[str] = []
    for root in actor.region_codes:
        county = county_of(session, root)
        if county is not None:
            out.append(county)
            continue
        for code in network.region_descendants(session, root):
            region = network.get_region(session, code)
            if region is not None and region.level == "county":
                out.append(code)
    return sorted(set(out))


def totals_due_items(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The counties whose totals are due and not yet sent: for the inbox and the county home.
    A county is listed from the survey's opening day of the current season."""
    if actor.role not in ("county_staff", "admin"):
        return []
    season = season_of(today())
    items = []
    for county in counties_in_scope(session, actor):
        policy = policy_for(session, county)
        if policy is None:
            continue  # no 冬春 policy: nothing due
        if today() < _month_day(season, policy.survey_from):
            continue
        sent = session.exec(
            select(WinterTotals.id).where(
                WinterTotals.county_code == county, WinterTotals.season == season
            )
        ).first()
        if sent is not None:
            continue
        due = _month_day(season, policy.totals_due)
        region = network.get_region(session, county)
        items.append(
            {
                "kind": "winter_totals_due",
                "county_code": county,
                "county_name": region.name if region else county,
                "season": season,
                "due_on": due,
                "late": today() > due,
            }
        )
    return items


INBOX_WORDS = (N_("inbox.winter_totals_due"), N_("inbox.winter_totals_late"))


def inbox_rows(session: Session, actor: Actor, lang: str = "zh") -> list[Any]:
    """GET /api/v1/inbox entries (`kind` `winter_totals_due`, `status` `due` or `late`): the
    counties in the caller's scope whose 冬春 survey totals are owed to the city (as
    totals_due_items). No id (nothing to acknowledge: they leave when the totals are sent),
    no event (`event_id` 0)."""
    from datetime import datetime

    from relief.emergency.models import InboxOut
    from relief.i18n import translate

    out = []
    for item in totals_due_items(session, actor):
        due_at = datetime.combine(
            item["due_on"], datetime.max.time().replace(microsecond=0), clock.CST
        )
        word = "inbox.winter_totals_late" if item["late"] else "inbox.winter_totals_due"
        message = translate(
            word,
            lang,  # type: ignore[arg-type]
            county=item["county_name"],
            season=f"{item['season']}-{item['season'] + 1}",
            due=item["due_on"].isoformat(),
        )
        out.append(
            InboxOut(
                id=None,
                response_id=None,
                event_id=0,
                event_name="",
                kind="winter_totals_due",
                level=None,
                message=message,
                warehouse_codes=[],
                created_at=due_at,
                acked_at=None,
                unit=item["county_code"],
                due_at=due_at,
                status="late" if item["late"] else "due",
            )
        )
    return out


# --- the village review -------------------------------------------------------------------


def _winter_case(session: Session, actor: Actor, case_id: int) -> tuple[Case, Programme]:
    case, _household = service.get_case(session, actor, case_id)
    programme = session.get(Programme, case.programme_code)
    assert programme is not None  # foreign key
    if programme.kind != "winter_spring":
        raise invalid(
            "case_id",
            "case {case_id} is not a winter-spring case",
            params={"case_id": case_id},
        )
    return case, programme


def record_village_review(
    session: Session, actor: Actor, case_id: int, body: VillageReviewIn
) -> tuple[WinterVillageReview, Case]:
    """The village's democratic review (村评): stored, then the case moves on (agreed →
    `village_review`) or is rejected with the review as its note."""
    ensure_role(actor, *service.ACTION_ROLES["village_review"])
    case, _ = _winter_case(session, actor, case_id)
    if body.reviewed_on > today():
        raise invalid(
            "reviewed_on",
            "the review date {date} is after today",
            params={"date": body.reviewed_on.isoformat()},
        )
    if case.status != "registered":
        raise DomainError(
            "invalid_transition",
            "a case in status {status} cannot take the action {action}",
            "action",
            params={
                "status": Term(f"case.{case.status}"),
                "action": Term("action.village_review"),
            },
        )
    review = WinterVillageReview(
        case_id=case.id,  # type: ignore[arg-type]
        reviewed_on=body.reviewed_on,
        participants=body.participants,
        result=body.result,
        note=body.note,
        actor=actor.username,
    )
    session.add(review)
    session.flush()
    audit.record(session, actor, "create", "winter_village_review", review.id, None, review)
    note = f"村评 {body.reviewed_on.isoformat()}：{body.participants}" + (
        f"；{body.note}" if body.note else ""
    )
    action = "village_review" if body.result == "agreed" else "reject"
    case = service.transition_case(
        session,
        actor,
        case.id,
        TransitionIn(action=action, note=note[:1000]),  # type: ignore[arg-type]
    )
    return review, case


def reviews_of(session: Session, case_id: int) -> list[WinterVillageReview]:
    return list(
        session.exec(
            select(WinterVillageReview)
            .where(WinterVillageReview.case_id == case_id)
            .order_by(WinterVillageReview.id)  # type: ignore[arg-type]
        ).all()
    )


def check_transition(session: Session, case: Case, action: str) -> None:
    """Hook of transition_case for 冬春 cases: `village_review` needs the village's review
    record (POST /api/v1/winter-spring/cases/{id}/village-review), agreed."""
    if action != "village_review":
        return
    agreed = session.exec(
        select(WinterVillageReview.id).where(
            WinterVillageReview.case_id == case.id, WinterVillageReview.result == "agreed"
        )
    ).first()
    if agreed is None:
        raise DomainError(
            "village_review_record_missing",
            "a winter-spring case needs the record of the village's democratic review (date, participants, result)",
            "action",
        )


# --- rounds -------------------------------------------------------------------------------


def season_months(session: Session, county_code: str) -> list[int]:
    policy = policy_for(session, county_code)
    months = list(policy.season_months) if policy else list(DEFAULT_SEASON_MONTHS)
    if policy is not None and county_code in policy.single_crop_counties:
        months.extend(m for m in SINGLE_CROP_EXTRA if m not in months)
    return months


def _approved_cases(
    session: Session, programme_code: str, county_code: str
) -> list[tuple[Case, Household]]:
    return list(
        session.exec(
            select(Case, Household)
            .join(Household, Household.id == Case.household_id)
            .where(
                Case.programme_code == programme_code,
                Case.status == "approved",
                service._under(Household.region_code, [county_code], "round_regions"),
            )
            .order_by(Case.id)  # type: ignore[arg-type]
        ).all()
    )


def _committed_by_case(session: Session, case_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per case: (paid, in rounds not paid yet). A round's line is money promised to the
    case: a new round counts both against the approved amount, so that no round is created
    that could never be paid (its payment would take the case over its approved amount)."""
    paid = service.paid_by_case(session, case_ids)
    pending: dict[int, int] = {}
    if case_ids:
        rows = session.exec(
            select(WinterRoundLine.case_id, func.sum(WinterRoundLine.amount_fen))
            .join(WinterRound, WinterRound.id == WinterRoundLine.round_id)
            .where(
                WinterRoundLine.case_id.in_(case_ids),  # type: ignore[attr-defined]
                WinterRound.paid_on.is_(None),  # type: ignore[union-attr]
                WinterRoundLine.payment_id.is_(None),  # type: ignore[union-attr]
            )
            .group_by(WinterRoundLine.case_id)
        ).all()
        pending = {case_id: int(total or 0) for case_id, total in rows}
    return {c: (paid.get(c, 0), pending.get(c, 0)) for c in case_ids}


def _check_within_approved(
    case: Case,
    household: Household,
    amount_fen: int,
    committed: dict[int, tuple[int, int]],
    field: str | None,
) -> None:
    """409 `overpayment` naming the household and the amounts when the case's payments, its
    unpaid rounds and `amount_fen` together exceed its approved amount."""
    paid, pending = committed.get(case.id, (0, 0))  # type: ignore[arg-type]
    if paid + pending + amount_fen <= case.amount_fen:
        return
    raise DomainError(
        "overpayment",
        "household {head_name} (case {case_id}): {amount} more would bring it to {total} ({paid} paid, {pending} in rounds not paid yet), over its approved {approved}",
        field,
        extra={
            "approved": format_fen(case.amount_fen),
            "paid": format_fen(paid) or "0.00",
            "pending": format_fen(pending) or "0.00",
            "case_id": case.id,
        },
        params={
            "head_name": household.head_name,
            "case_id": case.id,
            "amount": yuan_text(amount_fen),
            "total": yuan_text(paid + pending + amount_fen),
            "paid": yuan_text(paid),
            "pending": yuan_text(pending),
            "approved": yuan_text(case.amount_fen),
        },
    )


def create_round(
    session: Session, actor: Actor, body: RoundIn
) -> tuple[WinterRound, list[WinterRoundLine]]:
    ensure_role(actor, *ROUND_ROLES)
    _county(session, actor, body.county_code)  # scope first: nothing else is told outside it
    programme = service.get_programme(session, body.programme_code, field="programme_code")
    if programme.kind != "winter_spring":
        raise invalid(
            "programme_code",
            "programme {programme_code} is not a winter-spring programme",
            params={"programme_code": programme.code},
        )
    months = season_months(session, body.county_code)
    if body.month not in months:
        raise DomainError(
            "month_out_of_season",
            "month {month} is outside the winter-spring season of this county (months {months})",
            "month",
            params={"month": body.month, "months": ", ".join(str(m) for m in months)},
        )
    cases = _approved_cases(session, programme.code, body.county_code)
    if not cases:
        raise DomainError(
            "no_approved_cases",
            "programme {programme_code} has no approved case in this county",
            "county_code",
            params={"programme_code": programme.code},
        )
    amounts = {
        case.id: body.amount * (household.size if body.basis == "per_person" else 1)
        for case, household in cases
    }
    policy = policy_for(session, body.county_code)
    minimum = policy.min_per_person_fen if policy else None
    if minimum:
        for case, household in cases:
            per_person = amounts[case.id] // household.size
            if per_person < minimum:
                raise DomainError(
                    "below_minimum",
                    "{per_person} per person is below the policy's minimum of {minimum} per person",
                    "amount",
                    extra={"minimum": format_fen(minimum), "case_id": case.id},
                    params={
                        "per_person": format_fen(per_person),
                        "minimum": format_fen(minimum),
                    },
                )
    committed = _committed_by_case(session, [case.id for case, _ in cases])
    for case, household in cases:
        _check_within_approved(case, household, amounts[case.id], committed, "amount")
    warning = EQUAL_SHARES if len(cases) > 1 and len(set(amounts.values())) == 1 else None
    row = WinterRound(
        programme_code=programme.code,
        county_code=body.county_code,
        name=body.name,
        month=body.month,
        basis=body.basis,
        amount_fen=body.amount,
        warning=warning,
        created_by=actor.username,
    )
    existing = session.exec(
        select(WinterRound.id).where(
            WinterRound.programme_code == programme.code,
            WinterRound.county_code == body.county_code,
            WinterRound.name == body.name,
        )
    ).first()
    if existing is not None:
        raise DomainError(
            "duplicate_round",
            "a round named {name} already exists for this county",
            "name",
            extra={"round_id": existing},
            params={"name": body.name},
        )
    session.add(row)
    session.flush()
    lines = [
        WinterRoundLine(round_id=row.id, case_id=case.id, amount_fen=amounts[case.id])  # type: ignore[arg-type]
        for case, _ in cases
    ]
    session.add_all(lines)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "winter_round",
        row.id,
        None,
        {**row.model_dump(), "lines": len(lines)},
    )
    return row, lines


def get_round(session: Session, actor: Actor, round_id: int) -> WinterRound:
    row = session.get(WinterRound, round_id)
    if row is None:
        raise not_found("winter round", round_id)
    if not within_county(session, actor, row.county_code):  # a township reads its lines
        authorize_region(session, actor, row.county_code, record="case")
    return row


def lines_of(
    session: Session, round_id: int, actor: Actor | None = None
) -> list[tuple[WinterRoundLine, Household]]:
    """The round's lines; with `actor`, those of households in the caller's scope (a
    township's staff see their township's lines only)."""
    query = (
        select(WinterRoundLine, Household)
        .join(Case, Case.id == WinterRoundLine.case_id)
        .join(Household, Household.id == Case.household_id)
        .where(WinterRoundLine.round_id == round_id)
    )
    scope = service._scope_condition(actor, Household.region_code) if actor else None
    if scope is not None:
        query = query.where(scope)
    return list(session.exec(query.order_by(WinterRoundLine.id)).all())  # type: ignore[arg-type]


def list_rounds(session: Session, actor: Actor, programme_code: str) -> list[WinterRound]:
    query = select(WinterRound).where(WinterRound.programme_code == programme_code)
    scope = service._scope_condition(actor, WinterRound.county_code)
    if scope is not None:
        # a county's round is seen by its county's staff and by those above
        lineage_ok = [
            r.id
            for r in session.exec(query).all()
            if any(c in actor.region_codes for c in network.region_lineage(session, r.county_code))
            or within_county(session, actor, r.county_code)  # a township: its lines only
        ]
        query = query.where(WinterRound.id.in_(lineage_ok))  # type: ignore[union-attr]
    return list(session.exec(query.order_by(WinterRound.id)).all())  # type: ignore[arg-type]


def round_reference(row: WinterRound) -> str:
    return f"冬春-{row.id}-{row.name}"[:128]


def pay_round(session: Session, actor: Actor, round_id: int) -> WinterRound:
    """Today's payments, one per line, to each household's card (一卡通); all or none."""
    ensure_role(actor, *PAY_ROLES)
    row = session.exec(
        select(WinterRound)
        .where(WinterRound.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise not_found("winter round", round_id)
    authorize_region(session, actor, row.county_code, record="case")
    if row.paid_on is not None:
        raise DomainError(
            "round_already_paid",
            "round {name} was paid on {paid_on}",
            None,
            params={"name": row.name, "paid_on": row.paid_on.isoformat()},
        )
    paid_on = today()
    lines = lines_of(session, row.id)  # type: ignore[arg-type]
    # Paid since the round was made (by hand, or another round): say which household, at the
    # top of the page (the pay button has no field).
    paid = service.paid_by_case(session, [line.case_id for line, _ in lines])
    for line, household in lines:
        case = session.get(Case, line.case_id)
        assert case is not None
        _check_within_approved(
            case, household, line.amount_fen, {case.id: (paid.get(case.id, 0), 0)}, None
        )
    for line, household in lines:
        if not household.bank_cipher:
            raise DomainError(
                "no_bank_account",
                "household {head_name} (case {case_id}) has no bank card account",
                None,
                extra={"case_id": line.case_id},
                params={"head_name": household.head_name, "case_id": line.case_id},
            )
        payment = service.record_payment(
            session,
            actor,
            line.case_id,
            PaymentIn(
                amount=format_fen(line.amount_fen),  # type: ignore[arg-type]
                paid_on=paid_on,
                reference=round_reference(row),
            ),
        )
        line.payment_id = payment.id
        session.add(line)
    row.paid_on = paid_on
    row.paid_by = actor.username
    session.add(row)
    session.flush()
    audit.record(session, actor, "pay", "winter_round", row.id, None, row)
    return row


def round_view(session: Session, row: WinterRound, actor: Actor | None = None) -> dict[str, Any]:
    """The round and its lines (with `actor`, the lines in the caller's scope, and the
    sums of those)."""
    lines = lines_of(session, row.id, actor)  # type: ignore[arg-type]
    return {
        "id": row.id,
        "programme_code": row.programme_code,
        "county_code": row.county_code,
        "name": row.name,
        "month": row.month,
        "basis": row.basis,
        "amount": format_fen(row.amount_fen),
        "total": format_fen(sum(line.amount_fen for line, _ in lines)) or "0.00",
        "households": len(lines),
        "people": sum(h.size for _, h in lines),
        "warning": row.warning,
        "paid_on": row.paid_on,
        "lines": [
            {
                "case_id": line.case_id,
                "household_id": h.id,
                "head_name": h.head_name,
                "size": h.size,
                "amount": format_fen(line.amount_fen),
                "payment_id": line.payment_id,
            }
            for line, h in lines
        ],
    }


# --- the 已救助 ledger ---------------------------------------------------------------------


def assisted_ledger(session: Session, actor: Actor, programme_code: str) -> list[dict[str, Any]]:
    """One row per household paid in a round of the programme: its rounds and total (net of
    reversals), in the caller's scope."""
    programme = service.get_programme(session, programme_code)
    service.authorize_programme(session, actor, programme)
    rows: dict[int, dict[str, Any]] = {}
    for row in list_rounds(session, actor, programme_code):
        if row.paid_on is None:
            continue
        for line, household in lines_of(session, row.id, actor):  # type: ignore[arg-type]
            item = rows.setdefault(
                line.case_id,
                {
                    "case_id": line.case_id,
                    "household_id": household.id,
                    "head_name": household.head_name,
                    "id_number": household.id_masked,
                    "region_code": household.region_code,
                    "size": household.size,
                    "rounds": [],
                    "paid_fen": 0,
                },
            )
            item["rounds"].append(row.name)
    paid = service.paid_by_case(session, list(rows))
    for case_id, item in rows.items():
        item["paid_fen"] = paid.get(case_id, 0)
        item["paid"] = format_fen(item["paid_fen"]) or "0.00"
    return sorted(rows.values(), key=lambda r: (r["region_code"], r["case_id"]))


def assisted_totals(
    session: Session, actor: Actor, programme_code: str
) -> list[tuple[str, dict[str, int]]]:
    """Per township: households, people and yuan paid (for the 已救助情况统计表)."""
    out: dict[str, dict[str, int]] = defaultdict(
        lambda: {"households": 0, "people": 0, "paid_fen": 0}
    )
    for item in assisted_ledger(session, actor, programme_code):
        if item["paid_fen"] <= 0:
            continue
        bucket = out[item["region_code"]]
        bucket["households"] += 1
        bucket["people"] += item["size"]
        bucket["paid_fen"] += item["paid_fen"]
    return sorted(out.items())


def count_rounds(session: Session, programme_code: str) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(WinterRound)
            .where(WinterRound.programme_code == programme_code)
        ).one()
    )
