"""SLA clock arithmetic: pure functions over plain data, no database.

A clock counts time from a start instant, either on calendar time (24/7) or on business hours: the minutes
between `business_start` and `business_end` (shop-local wall time, Asia/Shanghai by default) on working
days. Working days come from `chinese_calendar`, which knows mainland China's public holidays and the
adjusted working days (调休, e.g. Saturday 2026-10-10 is a working day, 2026-10-01..07 are holidays).

`chinese_calendar` only has data for the years it ships with (2004-2026 in 1.11); for any other year the
calendar falls back to Monday-Friday working days, without holidays. That fallback keeps clocks running in
a year the package does not know yet; upgrade the package when the State Council publishes the next
year's holiday plan.

Pauses are `(from, to)` intervals (`to` None: still paused) whose time the clock does not count, e.g.
while the ticket waits on the customer. A clock's due time is `start + target` on its clock, so a changed
target (a priority change) moves the due time as if the new target had applied from the start.

All datetimes must be timezone-aware; results are in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

CALENDAR = "calendar"
BUSINESS = "business"
CALENDARS = (CALENDAR, BUSINESS)

SHOP_TZ = ZoneInfo("Asia/Shanghai")
BUSINESS_START = time(9, 0)
BUSINESS_END = time(18, 0)

RUNNING = "running"
PAUSED = "paused"
MET = "met"
BREACHED = "breached"

# A business clock looks this far ahead for working time before giving up (ten years of days).
MAX_DAYS = 3660

Pause = tuple[datetime, datetime | None]


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """A mainland China working day (holidays off, adjusted weekend working days on). Outside the years
    `chinese_calendar` knows: Monday to Friday."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _seconds(minutes) -> int:
    """Whole seconds of a (possibly fractional) number of minutes: 0.8 x 5 min = 240 s."""
    return int((Decimal(str(minutes)) * 60).to_integral_value(rounding=ROUND_HALF_UP))


def _check_aware(*values: datetime | None) -> None:
    for value in values:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("SLA clock times must be timezone-aware")


def _windows(
    start: datetime, *, calendar: str, business_start: time, business_end: time, tz: tzinfo
) -> Iterator[tuple[datetime, datetime | None]]:
    """The intervals the clock counts from `start` on, in order (`None` end: open-ended)."""
    if calendar == CALENDAR:
        yield start, None
        return
    if calendar != BUSINESS:
        raise ValueError(f"Unknown SLA calendar {calendar!r}")
    if business_end <= business_start:
        raise ValueError("Business hours must end after they start")
    first = start.astimezone(tz).date()
    for offset in range(MAX_DAYS):
        day = first + timedelta(days=offset)
        if not is_working_day(day):
            continue
        opens = datetime.combine(day, business_start, tzinfo=tz)
        closes = datetime.combine(day, business_end, tzinfo=tz)
        opens = max(opens, start)
        if opens < closes:
            yield opens, closes


def _normalise_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """Sorted, merged, empty ones dropped."""
    cleaned = []
    for begin, end in pauses:
        _check_aware(begin, end)
        if end is not None and end <= begin:
            continue
        cleaned.append((begin, end))
    cleaned.sort(key=lambda p: p[0])
    merged: list[Pause] = []
    for begin, end in cleaned:
        if merged:
            last_begin, last_end = merged[-1]
            if last_end is None:
                break
            if begin <= last_end:
                merged[-1] = (last_begin, None if end is None else max(end, last_end))
                continue
        merged.append((begin, end))
    return merged


def _counted(
    start: datetime,
    *,
    calendar: str,
    business_start: time,
    business_end: time,
    pauses: Sequence[Pause],
    tz: tzinfo,
) -> Iterator[tuple[datetime, datetime | None]]:
    """The clock's counted intervals: its windows minus the pauses. Stops at a pause that never ends."""
    open_pause = next((begin for begin, end in pauses if end is None), None)
    for low, high in _windows(
        start, calendar=calendar, business_start=business_start, business_end=business_end, tz=tz
    ):
        if open_pause is not None and low >= open_pause:
            return
        pieces: list[tuple[datetime, datetime | None]] = [(low, high)]
        for p_begin, p_end in pauses:
            cut = []
            for a, b in pieces:
                if (b is not None and p_begin >= b) or (p_end is not None and p_end <= a):
                    cut.append((a, b))
                    continue
                if p_begin > a:
                    cut.append((a, p_begin))
                if p_end is not None and (b is None or p_end < b):
                    cut.append((p_end, b))
            pieces = cut
        yield from pieces


def due_at(
    start: datetime,
    minutes,
    *,
    calendar: str = CALENDAR,
    business_start: time = BUSINESS_START,
    business_end: time = BUSINESS_END,
    pauses: Iterable[Pause] = (),
    tz: tzinfo = SHOP_TZ,
) -> datetime | None:
    """The instant the clock started at `start` has counted `minutes` (may be fractional), in UTC.
    None when a pause that has not ended stops the clock before then."""
    _check_aware(start)
    remaining = timedelta(seconds=_seconds(minutes))
    for low, high in _counted(
        start,
        calendar=calendar,
        business_start=business_start,
        business_end=business_end,
        pauses=_normalise_pauses(pauses),
        tz=tz,
    ):
        if high is None or remaining <= high - low:
            return (low + remaining).astimezone(UTC)
        remaining -= high - low
    return None


def elapsed_seconds(
    start: datetime,
    now: datetime,
    *,
    calendar: str = CALENDAR,
    business_start: time = BUSINESS_START,
    business_end: time = BUSINESS_END,
    pauses: Iterable[Pause] = (),
    tz: tzinfo = SHOP_TZ,
) -> int:
    """Whole seconds the clock has counted between `start` and `now`."""
    _check_aware(start, now)
    total = timedelta(0)
    if now <= start:
        return 0
    for low, high in _counted(
        start,
        calendar=calendar,
        business_start=business_start,
        business_end=business_end,
        pauses=_normalise_pauses(pauses),
        tz=tz,
    ):
        if low >= now:
            break
        total += (now if high is None else min(high, now)) - low
    return int(total.total_seconds())


def elapsed_minutes(
    start: datetime,
    now: datetime,
    *,
    calendar: str = CALENDAR,
    business_start: time = BUSINESS_START,
    business_end: time = BUSINESS_END,
    pauses: Iterable[Pause] = (),
    tz: tzinfo = SHOP_TZ,
) -> int:
    """Whole minutes (rounded down) the clock has counted between `start` and `now`."""
    return (
        elapsed_seconds(
            start,
            now,
            calendar=calendar,
            business_start=business_start,
            business_end=business_end,
            pauses=pauses,
            tz=tz,
        )
        // 60
    )


@dataclass(frozen=True)
class ClockReading:
    """One clock at one instant."""

    state: str  # running, paused, met, breached
    due_at: datetime | None  # None while paused (unless already breached before the pause)
    warn_at: datetime | None
    elapsed_seconds: int
    target_seconds: int
    stopped_at: datetime | None

    @property
    def breached(self) -> bool:
        return self.state == BREACHED

    @property
    def remaining_seconds(self) -> int | None:
        """Counted time left (negative: overdue by); None once the clock has been met."""
        return None if self.state == MET else self.target_seconds - self.elapsed_seconds

    @property
    def remaining_minutes(self) -> int | None:
        remaining = self.remaining_seconds
        return None if remaining is None else remaining // 60


def clock_evaluate(
    *,
    start: datetime,
    target_minutes: int,
    now: datetime,
    stopped_at: datetime | None = None,
    pauses: Iterable[Pause] = (),
    warn_ratio: Decimal | float = Decimal("0.8"),
    calendar: str = CALENDAR,
    business_start: time = BUSINESS_START,
    business_end: time = BUSINESS_END,
    tz: tzinfo = SHOP_TZ,
) -> ClockReading:
    """Read a clock at `now`: running, paused (inside a pause), met (stopped within target) or breached
    (counted more than its target, stopped or not). Pauses beginning after `now` (or after the stop) are
    ignored: they have not happened yet."""
    _check_aware(start, now, stopped_at)
    until = min(now, stopped_at) if stopped_at is not None else now
    known = [(b, e) for b, e in _normalise_pauses(pauses) if b <= until]
    hours = {"calendar": calendar, "business_start": business_start, "business_end": business_end, "tz": tz}
    elapsed = elapsed_seconds(start, until, pauses=known, **hours)
    target = _seconds(target_minutes)
    due = due_at(start, target_minutes, pauses=known, **hours)
    warn = due_at(start, Decimal(str(target_minutes)) * Decimal(str(warn_ratio)), pauses=known, **hours)
    paused = stopped_at is None and any(b <= until and (e is None or e > until) for b, e in known)
    if elapsed > target:
        state = BREACHED
    elif stopped_at is not None:
        state = MET
    elif paused:
        state = PAUSED
    else:
        state = RUNNING
    if state == PAUSED:
        # The due time is unknown until the pause ends; a future end would be guesswork.
        due = warn = None
    return ClockReading(
        state=state,
        due_at=due,
        warn_at=warn,
        elapsed_seconds=elapsed,
        target_seconds=target,
        stopped_at=stopped_at,
    )
