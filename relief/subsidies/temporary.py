"""临时救助 (programme kind `temporary`, issue 15 part C): opening a case, the approval tier,
help first (先行救助) from the township reserve fund, the paperwork clocks and recovery.

Rules (docs/county-staff.md "临时救助"; the values are the policy's `temporary_relief:`,
stored with the policy version, never read from the scenario file at run time):
- A case has a `relief_type` (emergency 急难型 | support 支出型), a `cause` and `applied_at`.
  Amount = months (1–6) × the standard (the local urban 低保 standard, `share_of`), capped
  by the standard's cap and by the policy's `cap`.
- Once per year per cause per household: a case of the same cause for the same person
  (the ID number, across registrations) applied for within 365 days of an earlier one that
  was not refused without help → 409 `temporary_repeat` naming the earlier case, unless an
  approver (or admin) gives `repeat_override_reason` (stored and audited).
- Approval: township_staff approve up to `delegated_limit` in their township; above it 403
  `above_delegated_limit` (the county approves); approvers approve every amount in scope.
- Help first (急难型 only): one payment from the township's reserve fund (relief.reserve,
  in the same transaction and under its lock) within `help_first_hours` of `applied_at`;
  then the review and approval are due within `paperwork_working_days` working days.
- 支出型: the township's investigation and notice (up to `township_review`) within
  `support_township_working_days` working days of `applied_at`, then the county's approval
  within `support_county_working_days`.
- A case refused after help first is flagged `recovery = due` and listed until the money is
  returned to the reserve fund (`returned`) or an approver writes it off (`written_off`).
Working days: relief.clock (Monday–Friday less the policy's `holidays`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlmodel import Session, col, select

from relief import clock
from relief.audit import service as audit
from relief.auth.deps import authorize_region, ensure_role, sees_everything
from relief.auth.models import Actor
from relief.errors import N_, DomainError, Named, invalid, not_found, unknown_code
from relief.network import service as network
from relief.subsidies.models import (
    MAX_ID,
    Case,
    CaseTransition,
    Fen,
    Household,
    Programme,
    _text,
    format_fen,
    parse_fen,
    yuan_text,
)

KIND = "temporary"
RELIEF_TYPES = ("emergency", "support")
ReliefType = Literal["emergency", "support"]
MAX_MONTHS = 6
REPEAT_DAYS = 365
# How far ahead of the server's clock an application time may be (clock skew).
FUTURE_SKEW = timedelta(minutes=5)
CAUSE_DETAIL_MAX = 200
RECOVERIES = ("due", "returned", "written_off")
# Who records a recovery: the money `returned` to the reserve fund is booked by those who may
# book its payments (the township's own staff, county staff of its county: reserve
# PAYMENT_ROLES); a write-off is the approver's decision. Admin may do both.
RECOVERY_ROLES: dict[str, tuple[str, ...]] = {
    "returned": ("township_staff", "county_staff"),
    "written_off": ("approver",),
}
# Words of the pages and the inbox (catalogue).
WORDS = (
    N_("temporary.type.emergency"),
    N_("temporary.type.support"),
    N_("temporary.stage.paperwork"),
    N_("temporary.stage.township"),
    N_("temporary.stage.county"),
    N_("temporary.recovery.due"),
    N_("temporary.recovery.returned"),
    N_("temporary.recovery.written_off"),
)


@dataclass(frozen=True, slots=True)
class Cause:
    """A coded cause of a 临时救助 case (the policy's `temporary_relief.causes`)."""

    code: str
    zh: str
    en: str

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


# The causes when the policy lists none. 国发〔2014〕47号 (statistics-and-programmes.md
# §临时救助, R) names 急难型 causes — fire, traffic accidents and other accidents, a sudden
# grave illness — and 支出型 ones — a sudden rise in essential medical or schooling costs;
# the list and its words are assumed from it (natural disaster and other added).
DEFAULT_CAUSES: tuple[Cause, ...] = (
    Cause("fire", "火灾", "fire"),
    Cause("traffic", "交通事故", "traffic accident"),
    Cause("accident", "意外事故", "other accident"),
    Cause("illness", "重大疾病", "grave illness"),
    Cause("disaster", "自然灾害", "natural disaster"),
    Cause("medical_costs", "医疗支出骤增", "sudden medical costs"),
    Cause("school_costs", "教育支出骤增", "sudden schooling costs"),
    Cause("other", "其他", "other"),
)


@dataclass(frozen=True, slots=True)
class Rules:
    """The policy's `temporary_relief:` values (defaults: the national practice read)."""

    delegated_limit_fen: int | None = None
    cap_fen: int | None = None
    help_first_hours: int = 24
    paperwork_working_days: int = 5
    support_township_working_days: int = 10
    support_county_working_days: int = 10
    # Days a 临时救助 case stays on public notice (publish → township review). Not in the
    # sources (statistics-and-programmes.md §临时救助 has the clocks, not a notice length):
    # assumed 3, so that village review, notice and township review fit in the 5 working
    # days of paperwork after help first (急难型: help first, paperwork after), and in the
    # 支出型 township's 10 working days; a programme's own `notice_days` is not used.
    notice_days: int = 3
    # How many days back an application date may be recorded (old paper cases entered
    # late). Not in the sources: assumed 90 days (a quarter), long enough for a township's
    # backlog, short enough that the once-a-year check still sees the earlier cases.
    backdate_days: int = 90
    holidays: frozenset[date] = frozenset()
    causes: tuple[Cause, ...] = DEFAULT_CAUSES

    def cause(self, code: str | None) -> Cause | None:
        return next((c for c in self.causes if c.code == code), None)

    def cause_name(self, code: str | None, lang: str) -> str:
        found = self.cause(code)
        return found.name(lang) if found is not None else (code or "")


def _causes(raw: Any) -> tuple[Cause, ...]:
    return tuple(Cause(str(c["code"]), str(c["zh"]), str(c["en"])) for c in raw)


def rules_from(raw: dict[str, Any] | None, fallback_holidays: Any = ()) -> Rules:
    raw = raw or {}
    values: dict[str, Any] = {}
    for key, name in (("delegated_limit", "delegated_limit_fen"), ("cap", "cap_fen")):
        if raw.get(key) is not None:
            values[name] = parse_fen(raw[key])
    for key in (
        "help_first_hours",
        "paperwork_working_days",
        "support_township_working_days",
        "support_county_working_days",
        "notice_days",
        "backdate_days",
    ):
        if isinstance(raw.get(key), int):
            values[key] = raw[key]
    if raw.get("causes"):
        values["causes"] = _causes(raw["causes"])
    days = raw.get("holidays", fallback_holidays) or ()
    values["holidays"] = frozenset(
        d if isinstance(d, date) else date.fromisoformat(str(d)) for d in days
    )
    return Rules(**values)


RULE_KEYS = (
    "delegated_limit",
    "reserve_fund_initial",
    "cap",
    "help_first_hours",
    "paperwork_working_days",
    "support_township_working_days",
    "support_county_working_days",
    "notice_days",
    "backdate_days",
    "holidays",
    "causes",
)
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _check_causes(value: Any) -> list[dict[str, str]]:
    wrong = ValueError(
        "temporary_relief.causes: a list of {code, zh, en} (code: lower-case letters, digits, _)"
    )
    if not isinstance(value, list) or not value:
        raise wrong
    out: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"code", "zh", "en"}:
            raise wrong
        code, zh, en = (str(item[k]).strip() for k in ("code", "zh", "en"))
        if not _CODE.fullmatch(code) or not zh or not en or len(zh) > 50 or len(en) > 50:
            raise wrong
        out.append({"code": code, "zh": zh, "en": en})
    for key in ("code", "zh", "en"):
        names = [c[key].casefold() for c in out]
        if len(set(names)) != len(names):
            raise ValueError(f"temporary_relief.causes: the same {key} twice")
    if "other" not in {c["code"] for c in out}:
        raise ValueError("temporary_relief.causes: the list needs the code other")
    return out


def check_rules(raw: dict[str, Any]) -> dict[str, Any]:
    """A `temporary_relief` mapping given through the API: known keys, amounts in yuan,
    whole numbers of hours and days (1–366), dates; ValueError names the key."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in RULE_KEYS:
            raise ValueError(f"temporary_relief.{key}: not a known key ({', '.join(RULE_KEYS)})")
        if key in ("delegated_limit", "cap"):
            try:
                fen = parse_fen(value)
            except ValueError:
                raise ValueError(f"temporary_relief.{key}: an amount in yuan") from None
            if fen < 0:
                raise ValueError(f"temporary_relief.{key}: an amount in yuan")
            out[key] = format_fen(fen)
        elif key == "holidays":
            try:
                out[key] = [date.fromisoformat(str(d)).isoformat() for d in value]
            except (TypeError, ValueError):
                raise ValueError("temporary_relief.holidays: a list of dates") from None
        elif key == "causes":
            out[key] = _check_causes(value)
        elif key == "reserve_fund_initial":
            if not isinstance(value, dict):
                raise ValueError("temporary_relief.reserve_fund_initial: county code → yuan")
            out[key] = {str(k): str(v) for k, v in value.items()}
        else:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 366:
                raise ValueError(f"temporary_relief.{key}: a whole number from 1 to 366")
            out[key] = value
    return out


def form_causes(session: Session, actor: Actor) -> tuple[Cause, ...]:
    """The causes a registration form offers: the policy in force now for the actor's
    first region (every region's policy lists the same by default)."""
    from relief.emergency import policy

    found = policy.policy_for(session, clock.now(), list(actor.region_codes[:1]))
    return rules_from(found.temporary_relief).causes


def rules_for(session: Session, at: datetime, region_code: str) -> Rules:
    """The rules of the policy version in force at `at` for a household of `region_code`."""
    from relief.emergency import policy

    found = policy.policy_for(session, at, [region_code])
    return rules_from(found.temporary_relief, (found.reporting or {}).get("holidays", ()))


# --- API schemas -----------------------------------------------------------------------------


class TemporaryCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household_id: int = PField(ge=1, le=MAX_ID)
    programme_code: _text(64)  # type: ignore[valid-type]
    relief_type: ReliefType
    # A code of the policy's `temporary_relief.causes` (fire, illness…), or one of its names.
    cause: _text(100)  # type: ignore[valid-type]
    # Free words on the cause (what burned, which illness); whitespace collapsed.
    cause_detail: _text(CAUSE_DETAIL_MAX, 0) | None = None  # type: ignore[valid-type]
    months: int = PField(ge=1, le=MAX_MONTHS)
    # When the household applied (default: now); tz-aware, not in the future.
    applied_at: datetime | None = None
    # An approver's reason to open a second case of the same cause within a year.
    repeat_override_reason: _text(1000, 0) | None = None  # type: ignore[valid-type]


class HelpFirstIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Yuan (text or number, at most 2 decimals); default: the case's amount.
    amount: Fen | None = None
    reason: _text(1000)  # type: ignore[valid-type]


class RecoveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    how: Literal["returned", "written_off"]
    reason: _text(1000)  # type: ignore[valid-type]


class ClockOut(BaseModel):
    stage: str
    started_on: date
    due_on: date
    working_days_left: int
    overdue: bool


class TemporaryOut(BaseModel):
    relief_type: str
    cause: str
    cause_detail: str | None = None
    # The cause's name in each language ({"zh": "火灾", "en": "fire"}).
    cause_name: dict[str, str] = {}
    applied_at: datetime | None
    repeat_override_reason: str | None = None
    help_first_amount: str | None = None
    help_first_at: datetime | None = None
    help_first_entry_id: int | None = None
    recovery: str | None = None
    recovery_reason: str | None = None
    clock: ClockOut | None = None


class DueCaseOut(BaseModel):
    case_id: int
    programme_code: str
    household_id: int
    head_name: str
    region_code: str
    relief_type: str
    cause: str
    cause_detail: str | None = None
    cause_name: dict[str, str] = {}
    amount: str
    status: str
    recovery: str | None
    clock: ClockOut | None


# --- helpers ---------------------------------------------------------------------------------


def township_of(session: Session, region_code: str) -> str | None:
    for code in network.region_lineage(session, region_code):
        region = network.get_region(session, code)
        if region is not None and region.level == "township":
            return code
    return None


def is_temporary(session: Session, case: Case) -> bool:
    programme = session.get(Programme, case.programme_code)
    return programme is not None and programme.kind == KIND


def _applied_at(value: datetime | None, rules: Rules) -> datetime:
    """When the household applied: now by default; never ahead of the clock (beyond a few
    minutes' skew), nor more than the policy's `backdate_days` back (an old paper case is
    entered late, but not so late that it slips past the once-a-year check)."""
    now = clock.now()
    if value is None:
        return now
    if value.tzinfo is None:
        raise invalid("applied_at", "applied_at needs a time zone, e.g. 2026-07-01T08:00:00+08:00")
    try:
        utc = clock.as_utc(value)  # 0001-01-01T00:00+14:00 has no UTC time
    except OverflowError:
        raise invalid("applied_at", "applied_at is not a time this case can have") from None
    if utc > now + FUTURE_SKEW:
        raise invalid("applied_at", "applied_at is in the future")
    if utc.year < 2000:
        raise invalid("applied_at", "applied_at is not a time this case can have")
    earliest = now - timedelta(days=rules.backdate_days)
    if utc < earliest:
        shown = clock.to_cst(earliest)
        raise invalid(
            "applied_at",
            "applied_at may be at most {days} days back (not before {earliest})",
            params={
                "days": rules.backdate_days,
                "earliest": shown.strftime("%Y-%m-%d %H:%M") if shown else "",
            },
        )
    return utc


def _name_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split())


def resolve_cause(rules: Rules, text: str) -> Cause:
    """A cause as sent: its code (`fire`), or exactly one of its names (火灾, `fire`;
    spaces and width ignored); anything else → 422 naming `cause` with the codes."""
    key = _name_key(text)
    for cause in rules.causes:
        if key in (cause.code, _name_key(cause.zh), _name_key(cause.en)):
            return cause
    raise DomainError(
        "validation_error",
        "cause must be one of the codes {codes}",
        "cause",
        params={
            "codes": Named(
                ", ".join(c.code for c in rules.causes),
                "、".join(c.zh for c in rules.causes),
            )
        },
        extra={"codes": [c.code for c in rules.causes]},
    )


def cause_detail(text: str | None) -> str | None:
    """The free words of a cause, whitespace collapsed; None when blank."""
    collapsed = " ".join((text or "").split())
    return collapsed or None


def earlier_case(
    session: Session, household: Household, cause: str, applied_at: datetime
) -> Case | None:
    """The person's case of the same cause code whose application is within REPEAT_DAYS
    before or after `applied_at` (a case refused without help first does not count)."""
    rows = session.exec(
        select(Case)
        .join(Household, Household.id == Case.household_id)
        .where(
            Household.id_hash == household.id_hash,
            col(Case.relief_type).is_not(None),
            Case.cause == cause,
        )
        .order_by(col(Case.id))
    ).all()
    for case in rows:
        if case.applied_at is None:
            continue
        if case.status == "rejected" and case.help_first_entry_id is None:
            continue
        if abs(clock.as_utc(case.applied_at) - applied_at) < timedelta(days=REPEAT_DAYS):
            return case
    return None


# --- opening a case --------------------------------------------------------------------------


def lock_person(session: Session, household: Household) -> None:
    """Serialise openings for one person: lock every registration of the ID number (in id
    order, FOR NO KEY UPDATE, which other cases' foreign keys do not wait for) until the
    transaction ends, so a second opening reads the first's case before its once-a-year
    check. SQLite: the write transaction began IMMEDIATE and holds the database already."""
    session.exec(
        select(Household.id)
        .where(Household.id_hash == household.id_hash)
        .order_by(col(Household.id))
        .with_for_update(key_share=True)
    ).all()


def open_case(session: Session, actor: Actor, body: TemporaryCaseIn) -> Case:
    from relief.subsidies import service

    household = session.get(Household, body.household_id)
    if household is None:
        raise unknown_code("household_id", body.household_id, "household")
    authorize_region(session, actor, household.region_code, "household_id", record="household")
    entering = rules_for(session, clock.now(), household.region_code)
    applied_at = _applied_at(body.applied_at, entering)
    cause = resolve_cause(entering, body.cause)
    programme = service.get_programme(session, body.programme_code, field="programme_code")
    if programme.kind != KIND:
        raise invalid(
            "programme_code",
            "programme {programme_code} is not a 临时救助 (temporary) programme",
            params={"programme_code": programme.code},
        )
    override = (body.repeat_override_reason or "").strip() or None
    lock_person(session, household)
    earlier = earlier_case(session, household, cause.code, applied_at)
    if earlier is not None:
        if override is None:
            applied = clock.to_cst(earlier.applied_at)
            raise DomainError(
                "temporary_repeat",
                "case {existing_id} already helped this household for {cause} on {applied_on}: once a year per cause, unless an approver gives repeat_override_reason",
                "cause",
                extra={"existing_id": earlier.id},
                params={
                    "existing_id": earlier.id,
                    "cause": Named(cause.en, cause.zh),
                    "applied_on": applied.date().isoformat() if applied else "",
                },
            )
        ensure_role(actor, "approver")  # township and county staff may not override
    fields: dict[str, Any] = {
        "relief_type": body.relief_type,
        "cause": cause.code,
        "cause_detail": cause_detail(body.cause_detail),
        "applied_at": applied_at,
        "repeat_override_reason": override if earlier is not None else None,
    }
    case = service.create_case(
        session, actor, household.id, programme.code, months=body.months, temporary_fields=fields
    )  # months beyond the standard's → 422 naming months
    before = audit.snapshot(case)
    rules = rules_for(session, applied_at, household.region_code)
    if rules.cap_fen is not None and case.amount_fen > rules.cap_fen:
        case.amount_fen = rules.cap_fen
    session.add(case)
    session.flush()
    after = audit.snapshot(case) or {}
    if earlier is not None:
        after["repeat_of"] = earlier.id
    audit.record(session, actor, "temporary_open", "subsidy_case", case.id, before, after)
    return case


@dataclass(frozen=True, slots=True)
class Preview:
    amount_fen: int
    months: int
    capped: bool


def preview(session: Session, actor: Actor, body: TemporaryCaseIn) -> Preview:
    """The amount a case would have (months × the standard, capped), with every check of
    `open_case` (scope, programme, once a year per cause), written nowhere: the case is
    made inside a savepoint that is rolled back."""
    from relief.subsidies.models import Standard

    nested = session.begin_nested()
    try:
        case = open_case(session, actor, body)
        household = session.get(Household, case.household_id)
        standard = session.get(Standard, case.standard_id)
        assert household is not None and standard is not None  # foreign keys
        rules = rules_for(session, case.applied_at or case.created_at, household.region_code)
        caps = [c for c in (rules.cap_fen, standard.cap_per_household_fen) if c is not None]
        result = Preview(case.amount_fen, body.months, case.amount_fen in caps)
    finally:
        nested.rollback()
    return result


# --- approval tier ---------------------------------------------------------------------------


def may_approve(session: Session, actor: Actor, case: Case) -> bool | None:
    """The tier of a 临时救助 case: True when `actor` may approve it, None when the case is
    not temporary (the general rule applies). Township staff above the delegated limit: 403
    `above_delegated_limit`."""
    if not is_temporary(session, case):
        return None
    if actor.role in ("admin", "approver"):
        return True
    if actor.role != "township_staff":
        return False
    household = session.get(Household, case.household_id)
    assert household is not None  # foreign key
    authorize_region(session, actor, household.region_code, record="case")
    rules = rules_for(session, case.applied_at or case.created_at, household.region_code)
    if rules.delegated_limit_fen is None:
        return False
    if case.amount_fen > rules.delegated_limit_fen:
        raise DomainError(
            "above_delegated_limit",
            "{amount} is above the township's delegated limit of {limit}: the county approves this case",
            "action",
            status=403,
            extra={"limit": format_fen(rules.delegated_limit_fen)},
            params={
                "amount": format_fen(case.amount_fen),
                "limit": format_fen(rules.delegated_limit_fen),
            },
        )
    return True


def after_transition(session: Session, actor: Actor, case: Case, action: str) -> None:
    """A 临时救助 case refused after help first owes the money back (`recovery` due)."""
    if action == "reject" and case.help_first_entry_id is not None and case.recovery is None:
        case.recovery = "due"
        session.add(case)
        session.flush()
        audit.record(
            session, actor, "recovery_due", "subsidy_case", case.id, None, {"recovery": "due"}
        )


# --- help first ------------------------------------------------------------------------------


def _locked(session: Session, actor: Actor, case_id: int) -> tuple[Case, Household]:
    case = session.exec(
        select(Case)
        .where(Case.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise not_found("case", case_id)
    household = session.get(Household, case.household_id)
    assert household is not None  # foreign key
    authorize_region(session, actor, household.region_code, record="case")
    if not is_temporary(session, case) or case.relief_type is None:
        raise invalid(
            "case_id",
            "case {case_id} is not a 临时救助 case",
            params={"case_id": case_id},
        )
    return case, household


def pay_help_first(session: Session, actor: Actor, case_id: int, body: HelpFirstIn) -> Case:
    from relief.reserve import service as reserve

    ensure_role(actor, *reserve.PAYMENT_ROLES)
    case, household = _locked(session, actor, case_id)
    if case.relief_type != "emergency":
        raise DomainError(
            "help_first_emergency_only",
            "help first is for 急难型 (emergency) cases only",
            "relief_type",
        )
    if case.status in ("approved", "rejected"):
        raise DomainError(
            "help_first_decided",
            "case {case_id} is already decided: pay it as an approved case",
            "case_id",
            params={"case_id": case.id},
        )
    if case.help_first_entry_id is not None:
        raise DomainError(
            "help_first_already_paid",
            "case {case_id} has had help first already (reserve entry {entry_id})",
            "case_id",
            extra={"entry_id": case.help_first_entry_id},
            params={"case_id": case.id, "entry_id": case.help_first_entry_id},
        )
    rules = rules_for(session, case.applied_at or case.created_at, household.region_code)
    now = clock.now()
    applied = clock.as_utc(case.applied_at or case.created_at)
    closes = applied + timedelta(hours=rules.help_first_hours)
    if now > closes:
        shown = clock.to_cst(closes)
        raise DomainError(
            "help_first_window_closed",
            "help first is paid within {hours} hours of the application; the window closed at {closes}",
            "applied_at",
            extra={"closed_at": shown.isoformat() if shown else None},
            params={
                "hours": rules.help_first_hours,
                "closes": shown.strftime("%Y-%m-%d %H:%M") if shown else "",
            },
        )
    amount = case.amount_fen if body.amount is None else body.amount
    if amount <= 0 or amount > case.amount_fen:
        raise invalid(
            "amount",
            "help first is more than 0 yuan and at most the case's amount, {max} yuan",
            params={"max": yuan_text(case.amount_fen)},
        )
    township = township_of(session, household.region_code)
    if township is None:
        raise invalid(
            "household_id",
            "the household's region {region_code} is in no township: no reserve fund pays it",
            params={"region_code": household.region_code},
        )
    entry = reserve.pay(
        session, actor, township, amount, household.id, body.reason, case.id, help_first=True
    )
    before = audit.snapshot(case)
    case.help_first_entry_id = entry.id
    case.help_first_at = now
    session.add(case)
    session.flush()
    audit.record(session, actor, "help_first", "subsidy_case", case.id, before, case)
    return case


def help_first_amount(session: Session, case: Case) -> int | None:
    from relief.reserve.models import ReserveEntry

    if case.help_first_entry_id is None:
        return None
    entry = session.get(ReserveEntry, case.help_first_entry_id)
    return -entry.amount_fen if entry is not None else None


# --- recovery --------------------------------------------------------------------------------


def record_recovery(session: Session, actor: Actor, case_id: int, body: RecoveryIn) -> Case:
    from relief.reserve import service as reserve

    ensure_role(actor, *RECOVERY_ROLES[body.how])
    case, household = _locked(session, actor, case_id)
    if case.recovery != "due":
        raise DomainError(
            "recovery_not_due",
            "case {case_id} owes no recovery",
            "how",
            params={"case_id": case.id},
        )
    if body.how == "returned":
        township = township_of(session, household.region_code)
        assert township is not None and case.help_first_entry_id is not None
        reserve.reverse(
            session, actor, township, case.help_first_entry_id, body.reason, recovery=True
        )
    before = audit.snapshot(case)
    case.recovery = body.how
    case.recovery_reason = body.reason
    session.add(case)
    session.flush()
    audit.record(session, actor, f"recovery_{body.how}", "subsidy_case", case.id, before, case)
    return case


# --- clocks ----------------------------------------------------------------------------------


def _cst_date(value: datetime) -> date:
    shown = clock.to_cst(value)
    assert shown is not None
    return shown.date()


def clock_of(
    session: Session, case: Case, rules: Rules, today: date | None = None
) -> ClockOut | None:
    """The open clock of a 临时救助 case: its stage, due date, working days left (negative:
    overdue by as many); None when no clock runs (decided, or 急难型 without help first)."""
    if case.relief_type is None or case.status in ("approved", "rejected"):
        return None
    today = today or _cst_date(clock.now())
    if case.relief_type == "emergency":
        if case.help_first_at is None:
            return None
        stage, start, days = (
            "paperwork",
            _cst_date(case.help_first_at),
            rules.paperwork_working_days,
        )
    else:
        reviewed = session.exec(
            select(CaseTransition.at)
            .where(CaseTransition.case_id == case.id, CaseTransition.action == "township_review")
            .order_by(col(CaseTransition.id).desc())
        ).first()
        if reviewed is None or case.status in ("registered", "village_reviewed", "published"):
            stage = "township"
            start = _cst_date(case.applied_at or case.created_at)
            days = rules.support_township_working_days
        else:
            stage, start, days = "county", _cst_date(reviewed), rules.support_county_working_days
    due = clock.add_working_days(start, days, rules.holidays)
    return ClockOut(
        stage=stage,
        started_on=start,
        due_on=due,
        working_days_left=clock.working_days_between(today, due, rules.holidays),
        overdue=today > due,
    )


def case_rules(session: Session, case: Case, household: Household) -> Rules:
    return rules_for(session, case.applied_at or case.created_at, household.region_code)


def notice_days(session: Session, case: Case) -> int | None:
    """The days a 临时救助 case stays on public notice (the policy's
    `temporary_relief.notice_days`); None for other cases (the programme's apply)."""
    if case.relief_type is None:
        return None
    household = session.get(Household, case.household_id)
    assert household is not None  # foreign key
    return case_rules(session, case, household).notice_days


def cause_names(rules: Rules, code: str | None) -> dict[str, str]:
    return {lang: rules.cause_name(code, lang) for lang in ("zh", "en")}


def cause_namer(session: Session) -> Any:
    """For pages listing cases: `name(case, household, lang)`, the case's cause in the
    reader's language (never its code), with its free words after it."""
    cache: dict[tuple[str, date], Rules] = {}

    def name(case: Case, household: Household, lang: str = "zh") -> str:
        key = (household.region_code, _cst_date(case.applied_at or case.created_at))
        if key not in cache:
            cache[key] = case_rules(session, case, household)
        said = cache[key].cause_name(case.cause, "en" if lang == "en" else "zh")
        return f"{said}（{case.cause_detail}）" if case.cause_detail else said

    return name


def temporary_out(session: Session, case: Case, household: Household) -> TemporaryOut | None:
    if case.relief_type is None:
        return None
    rules = case_rules(session, case, household)
    return TemporaryOut(
        relief_type=case.relief_type,
        cause=case.cause or "",
        cause_detail=case.cause_detail,
        cause_name=cause_names(rules, case.cause),
        applied_at=clock.to_cst(case.applied_at),
        repeat_override_reason=case.repeat_override_reason,
        help_first_amount=format_fen(help_first_amount(session, case)),
        help_first_at=clock.to_cst(case.help_first_at),
        help_first_entry_id=case.help_first_entry_id,
        recovery=case.recovery,
        recovery_reason=case.recovery_reason,
        clock=clock_of(session, case, rules),
    )


def due_cases(
    session: Session, actor: Actor, programme_code: str | None = None
) -> list[tuple[Case, Household, ClockOut | None]]:
    """The 临时救助 cases in the caller's scope with a running clock or a recovery due,
    overdue first, then by due date."""
    query = (
        select(Case, Household)
        .join(Household, Household.id == Case.household_id)
        .where(col(Case.relief_type).is_not(None))
        .where((col(Case.status).not_in(("approved", "rejected"))) | (Case.recovery == "due"))
    )
    if programme_code is not None:
        query = query.where(Case.programme_code == programme_code)
    if not sees_everything(actor):
        from relief.subsidies.service import _scope_condition

        scope = _scope_condition(actor, Household.region_code)
        if scope is not None:
            query = query.where(scope)
    out = []
    cache: dict[tuple[str, date], Rules] = {}
    for case, household in session.exec(query).all():
        key = (household.region_code, _cst_date(case.applied_at or case.created_at))
        if key not in cache:
            cache[key] = case_rules(session, case, household)
        running = clock_of(session, case, cache[key])
        if running is None and case.recovery != "due":
            continue
        out.append((case, household, running))
    out.sort(
        key=lambda row: (
            not (row[2] is not None and row[2].overdue),
            row[0].recovery != "due",
            row[2].due_on if row[2] is not None else date.max,
            row[0].id,
        )
    )
    return out


def due_out(case: Case, household: Household, running: ClockOut | None) -> DueCaseOut:
    return DueCaseOut(
        case_id=case.id or 0,
        programme_code=case.programme_code,
        household_id=household.id or 0,
        head_name=household.head_name,
        region_code=household.region_code,
        relief_type=case.relief_type or "",
        cause=case.cause or "",
        amount=format_fen(case.amount_fen) or "0.00",
        status=case.status,
        recovery=case.recovery,
        clock=running,
    )


def summary(session: Session, actor: Actor, programme_code: str) -> dict[str, int]:
    """For the programme summary: running clocks, overdue, recoveries due (caller's scope)."""
    rows = due_cases(session, actor, programme_code)
    return {
        "running": sum(1 for _, _, c in rows if c is not None),
        "overdue": sum(1 for _, _, c in rows if c is not None and c.overdue),
        "recovery_due": sum(1 for case, _, _ in rows if case.recovery == "due"),
    }


# --- inbox -----------------------------------------------------------------------------------

INBOX_WORDS = (N_("inbox.temporary_overdue"), N_("inbox.temporary_recovery_due"))


def inbox_rows(session: Session, actor: Actor, lang: str = "zh") -> list[Any]:
    """GET /api/v1/inbox entries (`kind` `temporary_overdue` or `temporary_recovery_due`):
    the 临时救助 cases in the caller's scope whose paperwork is overdue or whose money is
    owed back. No id (nothing to acknowledge: they leave when the case is done)."""
    from relief.emergency.models import InboxOut
    from relief.i18n import translate
    from relief.subsidies.service import find_event

    if actor.role not in ("admin", "county_staff", "township_staff", "approver"):
        return []
    out = []
    name_of = cause_namer(session)
    for case, household, running in due_cases(session, actor):
        overdue = running is not None and running.overdue
        if not overdue and case.recovery != "due":
            continue
        event = find_event(session, household.event_id)
        kind = "temporary_overdue" if overdue else "temporary_recovery_due"
        due_at = (
            datetime.combine(running.due_on, datetime.max.time().replace(microsecond=0), clock.CST)
            if running is not None
            else None
        )
        message = translate(
            f"inbox.{kind}",
            lang,  # type: ignore[arg-type]
            case_id=case.id,
            head_name=household.head_name,
            cause=name_of(case, household, lang),
            stage=translate(f"temporary.stage.{running.stage}", lang) if running else "",  # type: ignore[arg-type]
            due=running.due_on.isoformat() if running else "",
            amount=format_fen(help_first_amount(session, case)) or "",
        )
        out.append(
            InboxOut(
                id=None,
                response_id=None,
                event_id=household.event_id,
                event_name=event.name if event is not None else "",
                kind=kind,
                level=None,
                message=message,
                warehouse_codes=[],
                created_at=due_at or clock.to_cst(case.status_changed_at),
                acked_at=None,
                unit=household.region_code,
                due_at=due_at,
                status="overdue" if overdue else "recovery_due",
                case_id=case.id,
            )
        )
    return out
