"""The demand forecast's pure parts: stockout correction, festival and promotion lifts, model choice by
backtest, and the replay property (nothing after the business date is used)."""

from datetime import date, timedelta

import numpy as np
import pytest

from inventory.forecasting import (
    INTERMITTENT_MODELS,
    festival_lifts_estimate,
    forecast_series,
    promotion_lifts,
    stockout_correct,
)

WEEK = np.array([5.0, 5.0, 5.0, 5.0, 5.0, 10.0, 10.0])  # weekend doubles


def day_list(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


# -- stockout correction ------------------------------------------------------------------------------------


def test_a_stockout_day_gets_the_mean_of_the_same_weekday_before_it():
    demand = np.tile(WEEK, 5)  # 35 days
    demand[28:35] = [4.0, 9.0, 0.0, 5.0, 5.0, 2.0, 10.0]
    demand[7] = 3.0  # an ordinary low Monday two weeks before
    stockout = np.zeros(35, dtype=bool)
    stockout[[28, 29, 30, 33]] = True
    out = stockout_correct(demand, stockout)
    # Monday 28: Mondays 0, 7, 14, 21 = 5, 3, 5, 5 -> 4.5 (> 4 recorded)
    # Tuesday 29: 9 recorded is above the usual 5: kept. Wednesday 30: 0 -> 5. Saturday 33: 2 -> 10.
    assert out[28:35].tolist() == [4.5, 9.0, 5.0, 5.0, 5.0, 10.0, 10.0]
    assert out[:28].tolist() == demand[:28].tolist()
    assert demand[30] == 0.0  # a copy: the input is untouched


def test_stockout_days_with_no_history_before_them_are_kept_and_fallback_is_any_recent_day():
    demand = np.array([0.0, 0.0, 6.0, 8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    stockout = np.array([1, 1, 0, 0, 1, 1, 1, 1, 1, 1], dtype=bool)
    out = stockout_correct(demand, stockout)
    # days 0-1: nothing known before -> 0; days 4-8: no same weekday seen yet -> mean of days 2, 3 = 7;
    # day 9 is the weekday of day 2 (6.0), the same-weekday mean wins
    assert out.tolist() == [0.0, 0.0, 6.0, 8.0, 7.0, 7.0, 7.0, 7.0, 7.0, 6.0]


def test_correction_of_a_matrix_is_row_by_row():
    rng = np.random.default_rng(3)
    demand = rng.poisson(4.0, (3, 70)).astype(float)
    stockout = rng.random((3, 70)) < 0.2
    out = stockout_correct(demand, stockout)
    for i in range(3):
        assert out[i].tolist() == stockout_correct(demand[i], stockout[i]).tolist()
    assert (out >= demand).all()


def test_history_with_stockout_days_yields_a_higher_demand_estimate_than_the_raw_zeros():
    rng = np.random.default_rng(7)
    days = day_list(date(2025, 3, 3), 182)
    demand = rng.poisson(6.0, 182).astype(float)
    stockout = np.zeros(182, dtype=bool)
    stockout[-30:] = rng.random(30) < 0.5
    demand[stockout] = 0.0
    corrected = forecast_series([1], days, demand[None], stockout[None])[0]
    raw = forecast_series([1], days, demand[None], np.zeros((1, 182), dtype=bool))[0]
    assert corrected.stockout_days == 15
    assert raw.stockout_days == 0
    assert raw.mean_daily == pytest.approx(3.07, abs=0.01)  # the stockout zeros drag the level down
    assert corrected.mean_daily == pytest.approx(5.84, abs=0.01)  # back near the true 6 a day
    # corrected actuals: 28-day demand as customers wanted it, and an unbiased last window
    assert corrected.actual_28d == 167
    assert raw.actual_28d == 87
    assert abs(corrected.bias) < 0.01


# -- model choice -------------------------------------------------------------------------------------------


def test_backtest_picks_an_intermittent_method_for_a_sparse_series_and_a_seasonal_model_for_a_weekly_one():
    rng = np.random.default_rng(11)
    T = 364
    days = day_list(date(2025, 1, 6), T)  # a Monday
    sparse = np.where(rng.random(T) < 0.06, rng.integers(1, 6, T), 0).astype(float)
    weekly = rng.poisson(np.tile([4.0, 4.0, 4.0, 4.0, 4.0, 16.0, 16.0], T // 7)).astype(float)
    results = forecast_series([10, 20], days, np.vstack([sparse, weekly]), np.zeros((2, T), dtype=bool))
    sparse_r, weekly_r = results

    assert sparse_r.intermittent is True
    assert sparse_r.model in INTERMITTENT_MODELS[:3]
    # chosen by the backtest: the seasonal naive competed and lost on squared error
    assert set(sparse_r.scores) == {"croston", "tsb", "adida", "seasonal_naive"}
    assert sparse_r.scores[sparse_r.model] < sparse_r.scores["seasonal_naive"]
    assert sparse_r.wape is not None and sparse_r.bias is not None

    assert weekly_r.intermittent is False
    assert weekly_r.model in ("ets", "seasonal_naive")
    assert set(weekly_r.scores) == {"ets", "seasonal_naive"}
    # the weekly shape is forecast: days[-1] is a Sunday, so the horizon starts on a Monday
    week = np.array(weekly_r.daily[:7])
    assert week[5:].mean() / week[:5].mean() == pytest.approx(4.0, rel=0.15)
    assert len(weekly_r.daily) == len(weekly_r.lower) == len(weekly_r.upper) == 90
    assert all(
        lo <= f <= up for lo, f, up in zip(weekly_r.lower, weekly_r.daily, weekly_r.upper, strict=True)
    )
    assert weekly_r.upper[0] - weekly_r.daily[0] == pytest.approx(1.2816 * weekly_r.sigma_daily, abs=2e-3)


def test_short_and_empty_series_fall_back_without_a_backtest():
    T = 120
    days = day_list(date(2025, 1, 6), T)
    short = np.zeros(T)
    short[-21:] = np.tile([3.0, 3.0, 3.0, 3.0, 3.0, 6.0, 6.0], 3)  # three weeks since launch
    demand = np.vstack([short, np.zeros(T)])
    short_r, empty_r = forecast_series([1, 2], days, demand, np.zeros((2, T), dtype=bool))
    assert (short_r.model, short_r.history_days, short_r.wape, short_r.bias) == (
        "seasonal_naive",
        21,
        None,
        None,
    )
    assert short_r.daily[:7] == [3.0, 3.0, 3.0, 3.0, 3.0, 6.0, 6.0]
    assert short_r.sigma_daily == 0.0  # week on week nothing changed
    assert (empty_r.model, empty_r.history_days, empty_r.mean_daily, empty_r.actual_28d) == (
        "croston",
        0,
        0.0,
        0,
    )
    assert empty_r.daily == [0.0] * 90


# -- festivals and promotions -------------------------------------------------------------------------------


def festive_shop(first: date, n_days: int, level: float = 100.0) -> np.ndarray:
    """A noiseless shop: weekly shape times the festival multipliers of 11 Nov (x6) and its eve (x2.3)."""
    series = []
    for d in day_list(first, n_days):
        factor = {(11, 10): 2.3, (11, 11): 6.0}.get((d.month, d.day), 1.0)
        series.append(level * WEEK[d.weekday()] / 5.0 * factor)
    return np.array(series)


def test_festival_lift_is_measured_against_the_same_weekday_baseline_and_applied_ahead():
    first = date(2023, 11, 1)
    days = day_list(first, 731)  # to 31 Oct 2025
    total = festive_shop(first, 731)
    lifts = festival_lifts_estimate(days, total, horizon=30)
    assert lifts[date(2024, 11, 11)] == pytest.approx(6.0)
    assert lifts[date(2024, 11, 10)] == pytest.approx(2.3)
    assert date(2024, 11, 9) not in lifts  # a pre-sale day with no effect in this shop: 1.0, left out
    # ahead: the mean of the years measured (2023 started too early for a baseline, 2024 counts)
    assert lifts[date(2025, 11, 11)] == pytest.approx(6.0)
    assert lifts[date(2025, 11, 10)] == pytest.approx(2.3)

    # a SKU too small to measure festivals on its own gets the shop's lifts
    sku = festive_shop(first, 731, level=10.0)
    assert festival_lifts_estimate(days, sku, horizon=30) == {}
    (result,) = forecast_series(
        [1], days, sku[None], np.zeros((1, 731), dtype=bool), horizon=30, festival_lifts=lifts
    )
    by_day = dict(zip(day_list(date(2025, 11, 1), 30), result.daily, strict=True))
    # the festival is taken out of the history (the weekly shape is fitted clean) and put back on the days
    assert by_day[date(2025, 11, 11)] == pytest.approx(6.0 * 10.0 * WEEK[1] / 5.0, rel=1e-3)  # a Tuesday
    assert by_day[date(2025, 11, 10)] == pytest.approx(2.3 * 10.0, rel=1e-3)
    assert by_day[date(2025, 11, 12)] == pytest.approx(10.0, rel=1e-3)
    assert by_day[date(2025, 11, 15)] == pytest.approx(20.0, rel=1e-3)  # a Saturday


def test_promotions_given_lift_multiply_the_horizon_and_past_ones_are_measured_and_removed():
    first = date(2025, 1, 6)
    T = 168
    days = day_list(first, T)
    base = np.tile(WEEK, T // 7)
    promoted = base.copy()
    promoted[140:147] *= 3.0  # a past week-long promotion tripled SKU 2's demand
    demand = np.vstack([base, promoted])
    past = {"start": days[140].isoformat(), "end": days[146].isoformat(), "sku_ids": [2], "lift": None}
    ahead = {"start": "2025-06-24", "end": "2025-06-26", "sku_ids": [1], "lift": 2.0}

    measured = promotion_lifts(days, demand, [1, 2], [past, ahead], horizon=30)
    assert [(p["rows"], p["lift"]) for p in measured] == [([1], pytest.approx(3.0)), ([0], 2.0)]

    one, two = forecast_series(
        [1, 2], days, demand, np.zeros((2, T), dtype=bool), horizon=30, promotions=[past, ahead]
    )
    assert days[-1] == date(2025, 6, 22)  # horizon starts on Monday 23 June
    assert one.daily[:7] == pytest.approx([5.0, 10.0, 10.0, 10.0, 5.0, 10.0, 10.0], rel=1e-3)
    assert two.daily[:7] == pytest.approx(WEEK.tolist(), rel=1e-3)  # the past promotion is not repeated


# -- replay -------------------------------------------------------------------------------------------------


def test_nothing_after_the_business_date_changes_what_is_derived_up_to_it():
    rng = np.random.default_rng(5)
    first = date(2023, 9, 1)
    long_days = day_list(first, 800)
    demand = rng.poisson(30.0, (4, 800)).astype(float)
    stockout = rng.random((4, 800)) < 0.1
    k = 700  # the business date is long_days[k - 1]
    later = demand.copy()
    later[:, k:] *= 5.0
    assert (
        stockout_correct(demand[:, :k], stockout[:, :k]).tolist()
        == stockout_correct(later, stockout)[:, :k].tolist()
    )
    short = festival_lifts_estimate(long_days[:k], demand[:, :k].sum(axis=0), horizon=0)
    full = festival_lifts_estimate(long_days, later.sum(axis=0), horizon=0)
    assert short and short == {d: lift for d, lift in full.items() if d <= long_days[k - 1]}

    made_on_d = forecast_series([1, 2, 3, 4], long_days[:k], demand[:, :k], stockout[:, :k], horizon=14)
    again = forecast_series([1, 2, 3, 4], long_days[:k], later[:, :k], stockout[:, :k], horizon=14)
    assert [r.daily for r in made_on_d] == [r.daily for r in again]
