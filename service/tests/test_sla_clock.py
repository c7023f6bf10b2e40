"""SLA clock arithmetic (service/sla.py), no database: due times exact to the minute across nights,
weekends, public holidays, adjusted working days, pauses and priority changes."""

from datetime import date, time
from decimal import Decimal

import pytest

from service import sla
from service.tests.factories_sla import shop

B = sla.BUSINESS
C = sla.CALENDAR


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 3), True),  # Tuesday
        (date(2026, 11, 7), False),  # Saturday
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),  # last day of the Golden Week
        (date(2026, 10, 10), True),  # adjusted working Saturday
        (date(2026, 9, 20), True),  # adjusted working Sunday
        (date(2026, 2, 14), True),  # adjusted working Saturday before Spring Festival
        (date(2026, 2, 28), True),  # adjusted working Saturday after it
        (date(2026, 2, 16), False),  # Spring Festival
        (date(2027, 1, 1), True),  # no 2027 data: Friday counts as a working day (fallback)
        (date(2027, 1, 2), False),  # fallback: Saturday off
        (date(2027, 10, 1), True),  # fallback knows no holidays
    ],
)
def test_working_day(day, working):
    assert sla.is_working_day(day) is working


DUE_CASES = [
    # (case, start, minutes, calendar, pauses, expected due)
    ("calendar across midnight", shop(2026, 11, 3, 23, 30), 60, C, [], shop(2026, 11, 4, 0, 30)),
    ("calendar ignores holidays", shop(2026, 10, 1, 10, 0), 1440, C, [], shop(2026, 10, 2, 10, 0)),
    ("calendar chat 5 minutes", shop(2026, 11, 7, 3, 58), 5, C, [], shop(2026, 11, 7, 4, 3)),
    ("business within a day", shop(2026, 11, 3, 10, 15), 60, B, [], shop(2026, 11, 3, 11, 15)),
    ("business ends at closing", shop(2026, 11, 3, 17, 0), 60, B, [], shop(2026, 11, 3, 18, 0)),
    ("business over the night", shop(2026, 11, 3, 17, 30), 60, B, [], shop(2026, 11, 4, 9, 30)),
    ("business opened before hours", shop(2026, 11, 3, 7, 0), 60, B, [], shop(2026, 11, 3, 10, 0)),
    ("business opened after hours", shop(2026, 11, 3, 22, 0), 30, B, [], shop(2026, 11, 4, 9, 30)),
    ("business over a weekend", shop(2026, 11, 6, 17, 0), 120, B, [], shop(2026, 11, 9, 10, 0)),
    ("business opened on Saturday", shop(2026, 11, 7, 10, 0), 30, B, [], shop(2026, 11, 9, 9, 30)),
    ("business 48 h over a week", shop(2026, 11, 2, 9, 0), 2880, B, [], shop(2026, 11, 9, 12, 0)),
    ("business over National Day", shop(2026, 9, 30, 17, 0), 120, B, [], shop(2026, 10, 8, 10, 0)),
    ("business opened on a holiday", shop(2026, 10, 1, 10, 0), 60, B, [], shop(2026, 10, 8, 10, 0)),
    ("adjusted working Saturday", shop(2026, 10, 9, 17, 30), 60, B, [], shop(2026, 10, 10, 9, 30)),
    ("Spring Festival working Saturday", shop(2026, 2, 13, 17, 0), 120, B, [], shop(2026, 2, 14, 10, 0)),
    ("Spring Festival holiday", shop(2026, 2, 14, 17, 0), 120, B, [], shop(2026, 2, 24, 10, 0)),
    ("working Saturday after it", shop(2026, 2, 27, 17, 30), 60, B, [], shop(2026, 2, 28, 9, 30)),
    ("adjusted working Sunday", shop(2026, 9, 19, 12, 0), 60, B, [], shop(2026, 9, 20, 10, 0)),
    ("into 2027 by fallback", shop(2026, 12, 31, 17, 0), 120, B, [], shop(2027, 1, 1, 10, 0)),
    ("2027 fallback weekend", shop(2027, 1, 1, 17, 0), 120, B, [], shop(2027, 1, 4, 10, 0)),
    (
        "calendar pause",
        shop(2026, 11, 3, 10, 0),
        60,
        C,
        [(shop(2026, 11, 3, 10, 20), shop(2026, 11, 3, 10, 50))],
        shop(2026, 11, 3, 11, 30),
    ),
    (
        "overlapping pauses count once",
        shop(2026, 11, 3, 10, 0),
        60,
        C,
        [
            (shop(2026, 11, 3, 10, 10), shop(2026, 11, 3, 10, 30)),
            (shop(2026, 11, 3, 10, 20), shop(2026, 11, 3, 10, 40)),
        ],
        shop(2026, 11, 3, 11, 30),
    ),
    (
        "business pause over the night",
        shop(2026, 11, 3, 17, 0),
        120,
        B,
        [(shop(2026, 11, 3, 17, 30), shop(2026, 11, 4, 10, 0))],
        shop(2026, 11, 4, 11, 30),
    ),
    (
        "business pause resumed at night",
        shop(2026, 11, 2, 16, 0),
        180,
        B,
        [(shop(2026, 11, 2, 17, 0), shop(2026, 11, 2, 21, 0))],
        shop(2026, 11, 3, 11, 0),
    ),
    (
        "open pause stops the clock",
        shop(2026, 11, 3, 10, 0),
        60,
        C,
        [(shop(2026, 11, 3, 10, 20), None)],
        None,
    ),
    (
        "open pause after the due time",
        shop(2026, 11, 3, 10, 0),
        60,
        C,
        [(shop(2026, 11, 3, 11, 30), None)],
        shop(2026, 11, 3, 11, 0),
    ),
    (
        "pause before the start is ignored",
        shop(2026, 11, 3, 10, 0),
        60,
        C,
        [(shop(2026, 11, 3, 8, 0), shop(2026, 11, 3, 9, 0))],
        shop(2026, 11, 3, 11, 0),
    ),
    (
        "warning at 80 % of 5 minutes",
        shop(2026, 11, 3, 10, 0),
        Decimal("4.0"),
        C,
        [],
        shop(2026, 11, 3, 10, 4),
    ),
    (
        "warning at 80 % of 48 h business: 4 days + 144 min",
        shop(2026, 11, 2, 9, 0),
        Decimal("2304.0"),
        B,
        [],
        shop(2026, 11, 6, 11, 24),
    ),
]


@pytest.mark.parametrize(("case", "start", "minutes", "calendar", "pauses", "expected"), DUE_CASES)
def test_due_at(case, start, minutes, calendar, pauses, expected):
    assert sla.due_at(start, minutes, calendar=calendar, pauses=pauses) == expected, case


ELAPSED_CASES = [
    # (case, start, now, calendar, pauses, expected minutes)
    ("calendar", shop(2026, 11, 3, 10, 0), shop(2026, 11, 3, 12, 0), C, [], 120),
    ("rounds down", shop(2026, 11, 3, 10, 0), shop(2026, 11, 3, 10, 59, 59), C, [], 59),
    ("before the start", shop(2026, 11, 3, 10, 0), shop(2026, 11, 3, 9, 0), C, [], 0),
    (
        "closed pause",
        shop(2026, 11, 3, 10, 0),
        shop(2026, 11, 3, 12, 0),
        C,
        [(shop(2026, 11, 3, 10, 30), shop(2026, 11, 3, 11, 0))],
        90,
    ),
    (
        "open pause",
        shop(2026, 11, 3, 10, 0),
        shop(2026, 11, 3, 12, 0),
        C,
        [(shop(2026, 11, 3, 11, 0), None)],
        60,
    ),
    ("business night", shop(2026, 11, 3, 17, 0), shop(2026, 11, 4, 10, 0), B, [], 120),
    ("business weekend", shop(2026, 11, 6, 17, 0), shop(2026, 11, 9, 10, 0), B, [], 120),
    # Friday 60 + adjusted Saturday 540 + Sunday off + Monday 60
    ("business adjusted Saturday", shop(2026, 10, 9, 17, 0), shop(2026, 10, 12, 10, 0), B, [], 660),
    ("business Golden Week", shop(2026, 9, 30, 9, 0), shop(2026, 10, 8, 9, 0), B, [], 540),
    ("business 2027 fallback", shop(2026, 12, 31, 9, 0), shop(2027, 1, 4, 18, 0), B, [], 1620),
    (
        "business with pause",
        shop(2026, 11, 3, 9, 0),
        shop(2026, 11, 3, 18, 0),
        B,
        [(shop(2026, 11, 3, 12, 0), shop(2026, 11, 3, 13, 30))],
        450,
    ),
]


@pytest.mark.parametrize(("case", "start", "now", "calendar", "pauses", "expected"), ELAPSED_CASES)
def test_elapsed_minutes(case, start, now, calendar, pauses, expected):
    assert sla.elapsed_minutes(start, now, calendar=calendar, pauses=pauses) == expected, case


def test_custom_business_hours():
    # 08:30-17:30 shop time.
    due = sla.due_at(
        shop(2026, 11, 3, 17, 0), 60, calendar=B, business_start=time(8, 30), business_end=time(17, 30)
    )
    assert due == shop(2026, 11, 4, 9, 0)


def test_naive_datetimes_are_refused():
    from datetime import datetime

    with pytest.raises(ValueError):
        sla.due_at(datetime(2026, 11, 3, 10, 0), 60)


# ---------------------------------------------------------------------------------------------
# Reading a clock: states, priority changes
# ---------------------------------------------------------------------------------------------
START = shop(2026, 11, 2, 10, 0)


def read(target, now, **kwargs):
    return sla.clock_evaluate(start=START, target_minutes=target, now=now, **kwargs)


def test_running_clock():
    r = read(60, shop(2026, 11, 2, 10, 30))
    assert (r.state, r.due_at, r.warn_at, r.remaining_minutes) == (
        sla.RUNNING,
        shop(2026, 11, 2, 11, 0),
        shop(2026, 11, 2, 10, 48),
        30,
    )


def test_at_the_due_minute_still_running_then_breached():
    assert read(60, shop(2026, 11, 2, 11, 0)).state == sla.RUNNING
    r = read(60, shop(2026, 11, 2, 11, 25))
    assert (r.state, r.remaining_minutes) == (sla.BREACHED, -25)


def test_met_and_met_late():
    met = read(60, shop(2026, 11, 2, 15, 0), stopped_at=shop(2026, 11, 2, 10, 50))
    assert (met.state, met.remaining_minutes, met.stopped_at) == (sla.MET, None, shop(2026, 11, 2, 10, 50))
    late = read(60, shop(2026, 11, 2, 15, 0), stopped_at=shop(2026, 11, 2, 11, 20))
    assert (late.state, late.remaining_minutes) == (sla.BREACHED, -20)


def test_paused_then_resumed():
    waiting = [(shop(2026, 11, 2, 10, 20), None)]
    paused = read(60, shop(2026, 11, 2, 12, 0), pauses=waiting)
    assert (paused.state, paused.due_at, paused.warn_at, paused.remaining_minutes) == (
        sla.PAUSED,
        None,
        None,
        40,
    )
    resumed = read(
        60, shop(2026, 11, 2, 12, 10), pauses=[(shop(2026, 11, 2, 10, 20), shop(2026, 11, 2, 12, 0))]
    )
    assert (resumed.state, resumed.due_at, resumed.remaining_minutes) == (
        sla.RUNNING,
        shop(2026, 11, 2, 12, 40),
        30,
    )


def test_breached_before_the_pause_stays_breached():
    r = read(60, shop(2026, 11, 2, 12, 0), pauses=[(shop(2026, 11, 2, 11, 10), None)])
    assert (r.state, r.due_at, r.remaining_minutes) == (sla.BREACHED, shop(2026, 11, 2, 11, 0), -10)


def test_pause_after_now_is_ignored():
    r = read(60, shop(2026, 11, 2, 10, 30), pauses=[(shop(2026, 11, 2, 10, 40), None)])
    assert (r.state, r.due_at) == (sla.RUNNING, shop(2026, 11, 2, 11, 0))


@pytest.mark.parametrize(
    ("case", "target", "now", "pauses", "state", "due", "remaining"),
    [
        # Normal (24 h) -> urgent (4 h) at 10:30: 4 h from the original start.
        ("normal to urgent", 240, shop(2026, 11, 2, 10, 30), [], sla.RUNNING, shop(2026, 11, 2, 14, 0), 210),
        # -> major (1 h) at 11:15: the new due time (11:00) has already passed.
        (
            "urgent to major, past",
            60,
            shop(2026, 11, 2, 11, 15),
            [],
            sla.BREACHED,
            shop(2026, 11, 2, 11, 0),
            -15,
        ),
        # 30 minutes waiting on the customer do not count towards the new target.
        (
            "to major after a pause",
            60,
            shop(2026, 11, 2, 11, 0),
            [(shop(2026, 11, 2, 10, 10), shop(2026, 11, 2, 10, 40))],
            sla.RUNNING,
            shop(2026, 11, 2, 11, 30),
            30,
        ),
        # Major -> normal: the due time moves back out to 24 h from the start.
        ("major to normal", 1440, shop(2026, 11, 2, 11, 15), [], sla.RUNNING, shop(2026, 11, 3, 10, 0), 1365),
    ],
)
def test_priority_change_retargets_from_the_start(case, target, now, pauses, state, due, remaining):
    r = read(target, now, pauses=pauses)
    assert (r.state, r.due_at, r.remaining_minutes) == (state, due, remaining), case


def test_business_clock_reading_over_a_holiday():
    # Opened on the evening before National Day with a 4 h business target: 1 h on 30 Sep, then 8 Oct.
    r = sla.clock_evaluate(
        start=shop(2026, 9, 30, 17, 0),
        target_minutes=240,
        now=shop(2026, 10, 5, 12, 0),
        calendar=B,
        warn_ratio=Decimal("0.8000"),
    )
    assert (r.state, r.due_at, r.warn_at, r.remaining_minutes) == (
        sla.RUNNING,
        shop(2026, 10, 8, 12, 0),
        shop(2026, 10, 8, 11, 12),
        180,
    )
