"""When the statistics reports are due (issue 14, 《自然灾害情况统计调查制度》): 初报, 续报 and
核报, from the policy's `reporting:` mapping (national defaults below), the event's start, its
reports and the time it was declared stable. Pure: no database here.

Deadlines are per reporting unit: `due_reports` gives one county's, from that county's own
reports (the service groups the event's reports by county: relief.emergency.service
.reporting_due); `summary_updates` the 续报 of a city or a province over its counties.
A report counts when it was filed (`filed`: its `filed_at`, the server's time; a scenario
file's report at its `reported_at`), never by the `reported_at` it claims.

- 初报: the county within `initial_h` (2) hours of learning of the disaster (the event's
  start); with `escalate_dead_missing` (10) or more dead or missing, also straight up to the
  province (and the ministry) within `escalate_h` (2) hours. Done by the county's first report.
- 续报: every day while the disaster lasts, covering up to 24:00 of the day before, due at
  `update_due` (county 09:00, city 10:00, province 12:00, China time). A county's is done by
  an `update` report (a 零报告 counts) filed that day; a city's (province's) when all its
  counties have filed that day's. Drought: every `drought_update_days` (10) days from the
  start instead. No 续报 of a county falls due after the event is declared stable or after its
  核报 is done; only the last `UPDATE_WINDOW_DAYS` days are listed (older ones are history).
- 核报: within `final_working_days` (5) working days after the event is declared stable
  (drought: when it ends, which is the same declaration), by 24:00 of the last one. Working
  days are Monday to Friday less the policy's `holidays`. Done when every region the county
  reported has a `final` report (one township's 核报 is not the county's).

An item is `done` (in time), `late` (done after its due time), `overdue` (not done and past
due), `open` (not yet due) or `waiting` (核报 before the event is declared stable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from relief.clock import CST, add_working_days, as_utc
from relief.emergency.records import Report

LEVELS_UP = ("county", "city", "province")
UPDATE_WINDOW_DAYS = 14
KEYS = (
    "initial_h",
    "escalate_dead_missing",
    "escalate_h",
    "update_due",
    "drought_update_days",
    "final_working_days",
    "holidays",
)


@dataclass(frozen=True, slots=True)
class ReportingRules:
    initial_h: Decimal = Decimal(2)
    escalate_dead_missing: int = 10
    escalate_h: Decimal = Decimal(2)
    update_due: dict[str, time] = field(
        default_factory=lambda: {"county": time(9), "city": time(10), "province": time(12)}
    )
    drought_update_days: int = 10
    final_working_days: int = 5
    holidays: frozenset[date] = frozenset()


def _hhmm(text: str) -> time:
    try:
        value = time.fromisoformat(str(text))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day (HH:MM)") from None
    return value


def rules_from(raw: dict[str, Any] | None) -> ReportingRules:
    """The rules from policy.yaml's `reporting:` mapping (plain data); absent keys take the
    national defaults. ValueError names the key of a bad value."""
    raw = raw or {}
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ValueError(f"reporting.{unknown[0]}: not a known key ({', '.join(KEYS)})")
    base = ReportingRules()
    values: dict[str, Any] = {}
    for key in ("initial_h", "escalate_h"):
        if key in raw:
            hours = Decimal(str(raw[key]))
            if not hours.is_finite() or hours <= 0 or hours > 1000:
                raise ValueError(f"reporting.{key}: hours between 0 and 1000")
            values[key] = hours
    for key in ("escalate_dead_missing", "drought_update_days", "final_working_days"):
        if key in raw:
            number = raw[key]
            if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= 366:
                raise ValueError(f"reporting.{key}: a whole number from 1 to 366")
            values[key] = number
    if "update_due" in raw:
        given = raw["update_due"]
        if not isinstance(given, dict) or set(given) - set(LEVELS_UP):
            raise ValueError("reporting.update_due: times by county, city, province")
        try:
            values["update_due"] = base.update_due | {k: _hhmm(v) for k, v in given.items()}
        except ValueError as exc:
            raise ValueError(f"reporting.update_due: {exc}") from None
    if "holidays" in raw:
        try:
            values["holidays"] = frozenset(
                d if isinstance(d, date) else date.fromisoformat(str(d)) for d in raw["holidays"]
            )
        except (TypeError, ValueError):
            raise ValueError("reporting.holidays: a list of dates (YYYY-MM-DD)") from None
    return ReportingRules(**{**_fields(base), **values})


def _fields(rules: ReportingRules) -> dict[str, Any]:
    return {name: getattr(rules, name) for name in ReportingRules.__slots__}


def rules_json(raw: dict[str, Any]) -> dict[str, Any]:
    """The `reporting:` mapping as JSON-safe data (dates and times as text)."""
    out = dict(raw)
    if "holidays" in out:
        out["holidays"] = [str(d) for d in out["holidays"]]
    if "update_due" in out:
        out["update_due"] = {k: str(v)[:5] for k, v in out["update_due"].items()}
    for key in ("initial_h", "escalate_h"):
        if key in out:
            out[key] = str(out[key])
    return out


@dataclass(frozen=True, slots=True)
class DueReport:
    kind: str  # initial | initial_province | update | final
    by: str  # who reports: county | city | province
    to: str  # to whom: city | province | ministry
    due_at: datetime | None  # UTC; None while waiting (核报 before stable)
    covers_until: datetime | None  # 续报: 24:00 of the day before (UTC)
    done_at: datetime | None  # when the report that did it was filed (server time)
    status: str  # done | late | overdue | open | waiting
    unit: str | None = None  # the reporting unit's region code (the county, city, province)
    reported_at: datetime | None = None  # the time that report claims (its reported_at)

    def to_dict(self) -> dict[str, Any]:
        cst = lambda v: v.astimezone(CST).isoformat() if v else None  # noqa: E731
        return {
            "kind": self.kind,
            "by": self.by,
            "to": self.to,
            "unit": self.unit,
            "due_at": cst(self.due_at),
            "covers_until": cst(self.covers_until),
            "done_at": cst(self.done_at),
            "reported_at": cst(self.reported_at),
            "status": self.status,
            "overdue": self.status == "overdue",
        }


def _status(due_at: datetime | None, done_at: datetime | None, now: datetime) -> str:
    if due_at is None:
        return "done" if done_at is not None else "waiting"
    if done_at is not None:
        return "done" if done_at <= due_at else "late"
    return "overdue" if now > due_at else "open"


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=CST).astimezone(UTC)


def filed(report: Report) -> datetime:
    """When a report was filed (server time); a scenario file's report: its reported_at."""
    return as_utc(report.filed_at if report.filed_at is not None else report.reported_at)


def _dead_missing(reports: list[Report]) -> int:
    latest: dict[str, Report] = {}
    for report in sorted(reports, key=lambda r: (as_utc(r.reported_at), r.seq)):
        latest[report.region_code] = report
    return sum(
        int(r.counts.get("deaths", 0)) + int(r.counts.get("missing", 0)) for r in latest.values()
    )


def _first(reports: list[Report]) -> Report | None:
    return min(reports, key=lambda r: (filed(r), r.seq), default=None)


def final_done(reports: list[Report]) -> Report | None:
    """The 核报 that completed the unit's: every region the unit reported has a `final`
    report; the last of their first finals (by filing). None while one region lacks it."""
    regions = {r.region_code for r in reports}
    firsts = [
        _first([r for r in reports if r.region_code == code and r.kind == "final"])
        for code in regions
    ]
    if not firsts or any(f is None for f in firsts):
        return None
    return max(firsts, key=lambda r: (filed(r), r.seq))  # type: ignore[arg-type,return-value]


def due_reports(
    rules: ReportingRules,
    *,
    hazard: str,
    started_at: datetime,
    reports: list[Report],
    stable_at: datetime | None,
    now: datetime,
    unit: str | None = None,
) -> list[DueReport]:
    """Every report one county (`unit`) owes for the event, from that county's own reports,
    in due order (核报 last). Timeliness is judged by when a report was filed (`filed`),
    never by the reported_at it claims."""
    started_at, now = as_utc(started_at), as_utc(now)
    stable_at = as_utc(stable_at) if stable_at is not None else None
    first = _first(reports)
    first_at = filed(first) if first else None
    first_claim = as_utc(first.reported_at) if first else None
    items = [
        DueReport(
            "initial",
            "county",
            "city",
            due := started_at + timedelta(hours=float(rules.initial_h)),
            None,
            first_at,
            _status(due, first_at, now),
            unit,
            first_claim,
        )
    ]
    if _dead_missing(reports) >= rules.escalate_dead_missing:
        due = started_at + timedelta(hours=float(rules.escalate_h))
        items.append(
            DueReport(
                "initial_province",
                "county",
                "province",
                due,
                None,
                first_at,
                _status(due, first_at, now),
                unit,
                first_claim,
            )
        )
    final = final_done(reports)
    updates = sorted((r for r in reports if r.kind == "update"), key=lambda r: (filed(r), r.seq))
    # No 续报 falls due after the disaster is declared stable or the unit's 核报 is done
    # (every township it reported has a final report).
    ends = [t for t in (stable_at, filed(final) if final else None) if t is not None]
    end_day = min(ends).astimezone(CST).date() if ends else None
    start_day = started_at.astimezone(CST).date()
    today = now.astimezone(CST).date()
    step = rules.drought_update_days if hazard == "drought" else 1
    last_day = today + timedelta(days=step)  # the next one to come
    if end_day is not None:
        last_day = min(last_day, end_day)
    day = start_day + timedelta(days=step)
    at = rules.update_due["county"]
    dailies: list[DueReport] = []
    while day <= last_day:
        due = _local(day, at)
        window = _local(day - timedelta(days=step - 1), time(0))
        done = next(
            (r for r in updates if window <= filed(r) < _local(day + timedelta(days=1), time(0))),
            None,
        )
        done_at = filed(done) if done else None
        dailies.append(
            DueReport(
                "update",
                "county",
                "city",
                due,
                _local(day, time(0)),
                done_at,
                _status(due, done_at, now),
                unit,
                as_utc(done.reported_at) if done else None,
            )
        )
        if due > now:
            break  # only the next one to come
        day += timedelta(days=step)
    items.extend(dailies[-UPDATE_WINDOW_DAYS:])
    final_due = None
    if stable_at is not None:
        last = add_working_days(
            stable_at.astimezone(CST).date(), rules.final_working_days, rules.holidays
        )
        final_due = _local(last + timedelta(days=1), time(0))
    final_at = filed(final) if final else None
    items.append(
        DueReport(
            "final",
            "county",
            "city",
            final_due,
            None,
            final_at,
            _status(final_due, final_at, now),
            unit,
            as_utc(final.reported_at) if final else None,
        )
    )
    return items


NEXT_UP = {"city": "province", "province": "ministry"}


def summary_updates(
    rules: ReportingRules,
    level: str,
    unit: str,
    below: list[list[DueReport]],
    now: datetime,
) -> list[DueReport]:
    """The 续报 a city (`level` city, due 10:00) or a province (12:00) owes: one for each day
    its counties owe one, done once every county below it has filed that day's (the summary
    can then be made), at the time the last of them was filed."""
    now = as_utc(now)
    days: dict[datetime, list[DueReport]] = {}
    for items in below:
        for item in items:
            if item.kind == "update" and item.covers_until is not None:
                days.setdefault(item.covers_until, []).append(item)
    out = []
    for covers_until, items in sorted(days.items()):
        day = covers_until.astimezone(CST).date()
        due = _local(day, rules.update_due[level])
        done_ats = [i.done_at for i in items]
        done = max(done_ats) if all(d is not None for d in done_ats) else None  # type: ignore[type-var]
        out.append(
            DueReport(
                "update",
                level,
                NEXT_UP[level],
                due,
                covers_until,
                done,
                _status(due, done, now),
                unit,
            )
        )
    return out
