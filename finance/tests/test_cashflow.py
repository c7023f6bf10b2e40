"""The pure projection maths: weeks, buckets, balances, commitment schedules. No database."""

from datetime import date
from decimal import Decimal

import pytest

from finance.cashflow import (
    Item,
    add_months,
    commitment_dates,
    lowest_week,
    monthly_equivalent,
    project,
    spread_evenly,
    week_index,
    week_starts,
)

D = Decimal


def test_week_starts_week_zero_holds_the_next_day():
    # 2024-10-06 is a Sunday: the next day is Monday 2024-10-07.
    starts = week_starts(date(2024, 10, 6))
    assert starts[0] == date(2024, 10, 7)
    assert len(starts) == 13
    assert starts[12] == date(2024, 12, 30)
    # A Wednesday: the next day (Thursday) is in the week beginning that Monday.
    assert week_starts(date(2024, 10, 9))[0] == date(2024, 10, 7)


def test_week_index_before_first_is_zero_after_last_none():
    starts = week_starts(date(2024, 10, 6), weeks=2)
    assert week_index(date(2024, 9, 1), starts) == 0
    assert week_index(date(2024, 10, 13), starts) == 0
    assert week_index(date(2024, 10, 14), starts) == 1
    assert week_index(date(2024, 10, 21), starts) is None


def test_project_closing_is_opening_plus_in_minus_out_to_the_cent():
    starts = week_starts(date(2024, 10, 6), weeks=3)
    items = [
        Item(date(2024, 10, 1), "settlements", D("100.10"), "order", "1"),  # overdue: week 0
        Item(date(2024, 10, 8), "forecast_sales", D("0.005"), "channel", "x"),
        Item(date(2024, 10, 8), "forecast_sales", D("0.005"), "channel", "x"),
        Item(date(2024, 10, 9), "payables", D("40.01"), "po", "2"),
        Item(date(2024, 10, 15), "rent", D("1000.00"), "commitment", "3"),
        Item(date(2024, 10, 22), "other_in", D("5.55"), "commitment", "4"),
        Item(date(2024, 10, 28), "tax", D("9.99"), "tax"),  # after the horizon: dropped
    ]
    weeks = project(opening=D("1000.00"), items=items, starts=starts)
    assert [w.week_start for w in weeks] == starts
    w0, w1, w2 = weeks
    assert w0.lines["settlements"] == D("100.10")
    assert w0.lines["forecast_sales"] == D("0.01")
    assert w0.inflow == D("100.11")
    assert w0.outflow == D("40.01")
    assert w0.closing == D("1060.10")
    assert w1.opening == D("1060.10")
    assert w1.outflow == D("1000.00")
    assert w1.closing == D("60.10")
    assert w2.inflow == D("5.55")
    assert w2.closing == D("65.65")
    for w in weeks:
        assert w.closing == w.opening + w.inflow - w.outflow
        assert set(w.lines) >= {"settlements", "payables", "tax", "other_out"}
    assert lowest_week(weeks).index == 1


def test_project_refuses_unknown_lines():
    with pytest.raises(ValueError):
        project(
            opening=D("0"),
            items=[Item(date(2024, 10, 8), "nope", D("1"), "x")],
            starts=week_starts(date(2024, 10, 6)),
        )


def test_commitment_dates_monthly_keeps_day_and_clamps_short_months():
    got = commitment_dates(
        frequency="monthly",
        starts_on=date(2024, 1, 31),
        ends_on=None,
        start=date(2024, 2, 1),
        end=date(2024, 5, 1),
    )
    assert got == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_commitment_dates_weekly_quarterly_yearly_once_and_end():
    assert commitment_dates(
        frequency="weekly",
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 1, 22),
        start=date(2024, 1, 10),
        end=date(2024, 3, 1),
    ) == [date(2024, 1, 15), date(2024, 1, 22)]
    assert commitment_dates(
        frequency="quarterly",
        starts_on=date(2023, 11, 15),
        ends_on=None,
        start=date(2024, 1, 1),
        end=date(2024, 12, 31),
    ) == [date(2024, 2, 15), date(2024, 5, 15), date(2024, 8, 15), date(2024, 11, 15)]
    assert commitment_dates(
        frequency="yearly",
        starts_on=date(2020, 2, 29),
        ends_on=None,
        start=date(2023, 1, 1),
        end=date(2024, 12, 31),
    ) == [date(2023, 2, 28), date(2024, 2, 29)]
    assert commitment_dates(
        frequency="once",
        starts_on=date(2024, 3, 3),
        ends_on=None,
        start=date(2024, 3, 1),
        end=date(2024, 3, 4),
    ) == [date(2024, 3, 3)]
    assert (
        commitment_dates(
            frequency="once",
            starts_on=date(2024, 3, 4),
            ends_on=None,
            start=date(2024, 3, 1),
            end=date(2024, 3, 4),
        )
        == []
    )
    # Not started yet within the window, and starting later than the window.
    assert commitment_dates(
        frequency="monthly",
        starts_on=date(2024, 6, 10),
        ends_on=None,
        start=date(2024, 5, 1),
        end=date(2024, 7, 1),
    ) == [date(2024, 6, 10)]


def test_add_months_and_monthly_equivalent_and_spread():
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert monthly_equivalent(frequency="weekly", amount=D("1200")) == D("5200")
    assert monthly_equivalent(frequency="quarterly", amount=D("300")) == D("100")
    assert monthly_equivalent(frequency="once", amount=D("300")) == 0
    parts = spread_evenly(total=D("100.00"), days=[date(2024, 1, d) for d in (1, 2, 3)])
    assert [a for _, a in parts] == [D("33.33"), D("33.33"), D("33.34")]
    assert spread_evenly(total=D("1"), days=[]) == []
