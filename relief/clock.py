"""The one source of "now", replaceable in tests (no sleeping in tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
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


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
