"""The one source of "now", replaceable in tests (no sleeping in tests)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Timezone-aware current time in UTC."""
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the system clock."""
    global _now
    _now = fn or (lambda: datetime.now(UTC))


@contextmanager
def shifted(delta: timedelta) -> Iterator[None]:
    """Run a block as if the clock read `delta` later (negative: earlier), then put the clock
    back as it was (the demo's practice cases were published days ago)."""
    global _now
    before = _now
    _now = lambda: before() + delta  # noqa: E731
    try:
        yield
    finally:
        _now = before


def to_cst(value: datetime | None) -> datetime | None:
    """Shown times are China Standard Time; stored times are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CST)


def today() -> date:
    """Today's date in China: what decides a lot's expiry, a payment's earliest date and
    a season (from 16:00 UTC it is already tomorrow in Beijing)."""
    return now().astimezone(CST).date()


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# --- working days (Monday to Friday less a policy's `holidays`) ---------------------------
# One calendar for every deadline counted in working days: the statistics 核报
# (relief.emergency.reporting) and the 临时救助 clocks (relief.subsidies.temporary).


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The date `days` working days after `start` (Monday–Friday less holidays)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            days -= 1
    return day


def working_days_between(start: date, end: date, holidays: Collection[date] = ()) -> int:
    """Working days after `start` up to and including `end`; negative when `end` is before
    `start` (how many working days an `end` deadline is past `start`, counted back)."""
    if end < start:
        return -working_days_between(end, start, holidays)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count
