"""The nightly demand forecast, as pure functions over numpy arrays (no database).

For each SKU's daily demand series (all warehouses) ending on the business date D:

1. Stockout correction (`stockout_correct`): a day that ended out of stock shows what could be sold, not what
   customers wanted. Such a day gets the mean of the same weekday's non-stockout days in the 8 weeks before
   it (failing that, of any non-stockout day in the 8 weeks before), and never less than what was observed.
   Only earlier days are used, so a new SKU's days before its first sale are not filled in from later ones.
2. Festival and promotion effects (`festival_lifts_estimate`, `promotion_lifts`): 618, Double 11, Double 12,
   女王节 (8 March), the 年货节 before the Spring Festival with the holiday lull after it, and the promotion
   calendar multiply demand on known days. A festival's lift on each of its days is the shop-wide ratio of
   demand to a baseline (the mean of the same weekday over the 4 non-festival weeks before the festival
   window): the nightly job measures it once on the whole shop's two-year total and passes it in
   (`festival_lifts`), since a single SKU has too few festival days to measure its own. Measured lifts
   divide the history before fitting (the models see a festival-free series); for the days ahead each
   festival day gets the mean lift of the same festival day in earlier years. Promotions: the lift given,
   or measured on the promoted SKUs' total the same way.
3. Model choice per SKU by a rolling-origin backtest (statsforecast `cross_validation`, `windows` windows of
   `window_days` days, forecasts made at each origin and compared with what happened):
   - smooth series (average demand interval ADI <= 1.32, Syntetos-Boylan): seasonal naive (weekly) vs an
     exponential-smoothing model with weekly seasonality (fixed ETS(A,N,A): a full AutoETS search costs ~12x
     and gains nothing on daily data), chosen by the lowest mean absolute error;
   - intermittent series (ADI > 1.32): Croston, TSB, ADIDA and the seasonal naive, chosen by the lowest mean
     squared error. MAE and WAPE are minimised by the median, which is zero for a sparse SKU, so they would
     reward forecasting nothing; the squared error is minimised by the mean demand rate, which is what
     replenishment needs. Bias is stored alongside. (ETS is not a candidate here: it costs 10x the others.)
   The ETS model is fitted on the last 365 days (`ETS_INPUT_DAYS`): it halves the fitting time and a year
   holds 52 weekly cycles. In the backtest its parameters
   are estimated at the first origin and carried forward (statsforecast `refit=False`), which halves the
   backtest cost again; the final forecast refits on the whole (365-day) window.
4. Accuracy: the chosen model's WAPE and bias over the last backtest window (the last 28 days of actuals,
   stockout-corrected, with the lifts put back on the forecast). `sigma_daily` is the standard deviation of
   its daily backtest errors over all windows; the interval is forecast +/- 1.28 sigma (80 %), scaled by the
   day's lift, floored at zero.

Series too short to backtest (fewer than `window_days` + 28 days since the first sale) are not judged:
smooth ones with two weeks of history get the seasonal naive (sigma: the spread of week-on-week changes),
the rest Croston (sigma: the spread of the daily demand). A SKU that never sold is forecast at zero.
Everything uses only the arrays given, which end on D: adding later days cannot change the forecast made on D.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

SEASON = 7
INTERMITTENT_ADI = 1.32  # Syntetos-Boylan cut-off on the average inter-demand interval
Z_INTERVAL = 1.2816  # two-sided 80 % interval
MIN_TRAIN_DAYS = 28  # history before the first backtest origin
ETS_INPUT_DAYS = 365
TSB_ALPHA_D, TSB_ALPHA_P = 0.1, 0.1
BASELINE_WEEKS = 4
MIN_BASELINE_DAILY = 20.0  # shop-wide units per day below which a festival lift is not measured (too noisy)
LIFT_RANGE = (0.2, 20.0)
DEFAULT_PROMOTION_LIFT = 1.5  # a promotion with no lift given and none measurable

# The Spring Festival (lunar new year) by year, for the 年货节 before it and the holiday lull after it.
SPRING_FESTIVAL = {
    2015: date(2015, 2, 19), 2016: date(2016, 2, 8), 2017: date(2017, 1, 28), 2018: date(2018, 2, 16),
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    2031: date(2031, 1, 23), 2032: date(2032, 2, 11), 2033: date(2033, 1, 31), 2034: date(2034, 2, 19),
    2035: date(2035, 2, 8), 2036: date(2036, 1, 28), 2037: date(2037, 2, 15), 2038: date(2038, 2, 4),
    2039: date(2039, 1, 24), 2040: date(2040, 2, 12),
}  # fmt: skip

# Festivals: name -> (the peak day in a year, first and last day of the effect relative to the peak).
FESTIVALS = {
    "618": (lambda y: date(y, 6, 18), -17, 2),  # a ramp through June peaking on the 18th
    "DOUBLE11": (lambda y: date(y, 11, 11), -22, 3),  # pre-sale from ~20 Oct, first wave, the 11th, the tail
    "DOUBLE12": (lambda y: date(y, 12, 12), -4, 1),
    "QUEEN38": (lambda y: date(y, 3, 8), -1, 0),  # 女王节
    "SPRING": (SPRING_FESTIVAL.get, -30, 14),  # 年货节 from 30 days before, then the holiday lull
}

MODEL_SEASONAL_NAIVE = "seasonal_naive"
MODEL_ETS = "ets"
MODEL_CROSTON = "croston"
MODEL_TSB = "tsb"
MODEL_ADIDA = "adida"
SMOOTH_MODELS = (MODEL_SEASONAL_NAIVE, MODEL_ETS)
INTERMITTENT_MODELS = (MODEL_CROSTON, MODEL_TSB, MODEL_ADIDA, MODEL_SEASONAL_NAIVE)


@dataclass
class ForecastResult:
    sku_id: int
    model: str
    daily: list[float]
    lower: list[float]
    upper: list[float]
    mean_daily: float
    sigma_daily: float
    wape: float | None
    bias: float | None
    actual_28d: int
    intermittent: bool
    history_days: int
    stockout_days: int
    scores: dict[str, float] = field(default_factory=dict)  # backtest score per candidate (lower wins)


# -- stockout correction ------------------------------------------------------------------------------------


def _window_sums(values: np.ndarray, ok: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """For each column j: the sum and count of `values` where `ok` over columns j-width .. j-1."""
    n, m = values.shape
    cs = np.zeros((n, m + 1))
    cc = np.zeros((n, m + 1))
    np.cumsum(np.where(ok, values, 0.0), axis=1, out=cs[:, 1:])
    np.cumsum(ok, axis=1, out=cc[:, 1:])
    j = np.arange(m)
    lo = np.maximum(j - width, 0)
    return cs[:, j] - cs[:, lo], cc[:, j] - cc[:, lo]


def stockout_correct(demand: np.ndarray, stockout: np.ndarray, *, weeks: int = 8) -> np.ndarray:
    """A corrected copy of `demand` (days on the last axis, consecutive): on a stockout day, the mean of the
    same weekday's non-stockout days in the `weeks` weeks before (else of any non-stockout day in those
    weeks), if higher than what was recorded. Days with no earlier non-stockout day keep their value."""
    d = np.array(demand, dtype=np.float64, copy=True)
    s = np.asarray(stockout, dtype=bool)
    one = d.ndim == 1
    if one:
        d, s = d[None, :], s[None, :]
    n, T = d.shape
    ok = ~s
    imputed = np.full((n, T), np.nan)
    for phase in range(SEASON):  # same weekday: columns phase, phase + 7, ...
        cols = np.arange(phase, T, SEASON)
        sums, counts = _window_sums(d[:, cols], ok[:, cols], weeks)
        with np.errstate(invalid="ignore", divide="ignore"):
            imputed[:, cols] = np.where(counts > 0, sums / counts, np.nan)
    sums, counts = _window_sums(d, ok, weeks * SEASON)
    with np.errstate(invalid="ignore", divide="ignore"):
        any_day = np.where(counts > 0, sums / counts, np.nan)
    imputed = np.where(np.isnan(imputed), any_day, imputed)
    fill = s & ~np.isnan(imputed) & (imputed > d)
    out = np.where(fill, imputed, d)
    return out[0] if one else out


# -- festival and promotion lifts ---------------------------------------------------------------------------


def _festival_days(first: date, last: date) -> dict[date, tuple[str, int, int]]:
    """Day -> (festival, year, offset from the peak) for the festival days between `first` and `last`."""
    found = {}
    for year in range(first.year - 1, last.year + 2):
        for name, (peak_of, lo, hi) in FESTIVALS.items():
            peak = peak_of(year)
            if peak is None:
                continue
            for k in range(lo, hi + 1):
                d = peak + timedelta(days=k)
                if first <= d <= last:
                    found[d] = (name, year, k)
    return found


def _baseline(series: np.ndarray, start: int, excluded: np.ndarray) -> np.ndarray | None:
    """Mean per weekday phase (index t % 7) of the last BASELINE_WEEKS non-excluded same-weekday days before
    index `start`; None when a weekday has no such day."""
    base = np.zeros(SEASON)
    for phase in range(SEASON):
        t = start - 1 - ((start - 1 - phase) % SEASON)
        values = []
        while t >= 0 and len(values) < BASELINE_WEEKS:
            if not excluded[t]:
                values.append(series[t])
            t -= SEASON
        if not values:
            return None
        base[phase] = np.mean(values)
    return base


def festival_lifts_estimate(days: Sequence[date], total: np.ndarray, *, horizon: int) -> dict[date, float]:
    """Day -> demand multiplier for the festival days of the history `days` (measured on `total`, the
    shop-wide daily demand) and of the `horizon` days after it (the mean of the lifts measured on the same
    festival day in earlier years). Days without an effect are left out (multiplier 1)."""
    total = np.asarray(total, dtype=np.float64)
    first, last = days[0], days[-1]
    T = len(days)
    fest = _festival_days(first, last + timedelta(days=horizon))
    excluded = np.array([d in fest for d in days], dtype=bool)
    measured: dict[date, float] = {}
    by_offset: dict[tuple[str, int], list[float]] = {}
    occurrences: dict[tuple[str, int], list[date]] = {}
    for d, (name, year, _k) in fest.items():
        occurrences.setdefault((name, year), []).append(d)
    for (name, _year), occ_days in sorted(occurrences.items()):
        start = (min(occ_days) - first).days
        if start <= 0 or start >= T:
            continue
        base = _baseline(total, start, excluded)
        if base is None or base.mean() < MIN_BASELINE_DAILY:
            continue
        for d in occ_days:
            t = (d - first).days
            if t >= T:
                continue
            lift = float(np.clip(total[t] / base[t % SEASON], *LIFT_RANGE))
            measured[d] = lift
            by_offset.setdefault((name, fest[d][2]), []).append(lift)
    lifts = {d: lift for d, lift in measured.items() if lift != 1.0}
    for d, (name, _year, k) in fest.items():
        if d > last and (name, k) in by_offset:
            lifts[d] = float(np.mean(by_offset[(name, k)]))
    return lifts


def promotion_lifts(
    days: Sequence[date],
    demand: np.ndarray,
    sku_ids: Sequence[int],
    promotions: Iterable[dict],
    *,
    horizon: int,
) -> list[dict]:
    """The promotions with a lift each: the one given, else measured on the promoted SKUs' total demand
    (ratio to the same-weekday baseline of the 4 weeks before the start) when the promotion started within
    the history, else the mean of the lifts measured here, else DEFAULT_PROMOTION_LIFT. Only promotions that
    touch the history or the horizon are kept; dates become `date`s."""
    first, last = days[0], days[-1]
    end_of_horizon = last + timedelta(days=horizon)
    index = {sku_id: i for i, sku_id in enumerate(sku_ids)}
    kept, measured = [], []
    for promo in promotions:
        start = _as_date(promo["start"])
        end = _as_date(promo["end"])
        if end < first or start > end_of_horizon:
            continue
        rows = [index[s] for s in promo.get("sku_ids") or [] if s in index]
        if promo.get("sku_ids") and not rows:
            continue
        item = {"start": start, "end": end, "rows": rows or None, "lift": promo.get("lift")}
        if item["lift"] is None and first < start <= last:
            series = demand[rows].sum(axis=0) if rows else demand.sum(axis=0)
            t0 = (start - first).days
            base = _baseline(series, t0, np.zeros(len(days), dtype=bool))
            t1 = min((end - first).days, len(days) - 1)
            if base is not None and base.mean() > 0:
                expected = sum(base[t % SEASON] for t in range(t0, t1 + 1))
                item["lift"] = float(np.clip(series[t0 : t1 + 1].sum() / expected, *LIFT_RANGE))
                measured.append(item["lift"])
        kept.append(item)
    fallback = float(np.mean(measured)) if measured else DEFAULT_PROMOTION_LIFT
    for item in kept:
        if item["lift"] is None:
            item["lift"] = fallback
    return kept


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _multipliers(
    days: Sequence[date], n: int, horizon: int, festival_lifts: dict, promotions: list[dict]
) -> np.ndarray:
    """Demand multiplier per SKU and day over history + horizon (n x (T + horizon))."""
    first = days[0]
    T = len(days)
    row = np.ones(T + horizon)
    for d, lift in festival_lifts.items():
        t = (_as_date(d) - first).days
        if 0 <= t < T + horizon:
            row[t] = lift
    m = np.tile(row, (n, 1))
    for promo in promotions:
        t0 = max((promo["start"] - first).days, 0)
        t1 = min((promo["end"] - first).days, T + horizon - 1)
        if t1 < t0:
            continue
        rows = promo["rows"] if promo["rows"] is not None else slice(None)
        m[rows, t0 : t1 + 1] *= promo["lift"]
    return m


# -- models -------------------------------------------------------------------------------------------------


def _model(name: str):
    from statsforecast.models import ADIDA, TSB, AutoETS, CrostonClassic, SeasonalNaive

    return {
        MODEL_SEASONAL_NAIVE: lambda: SeasonalNaive(season_length=SEASON, alias=MODEL_SEASONAL_NAIVE),
        MODEL_ETS: lambda: AutoETS(season_length=SEASON, model="ANA", alias=MODEL_ETS),
        MODEL_CROSTON: lambda: CrostonClassic(alias=MODEL_CROSTON),
        MODEL_TSB: lambda: TSB(alpha_d=TSB_ALPHA_D, alpha_p=TSB_ALPHA_P, alias=MODEL_TSB),
        MODEL_ADIDA: lambda: ADIDA(alias=MODEL_ADIDA),
    }[name]()


def _frame(series: dict[int, np.ndarray], input_days: int | None = None) -> pd.DataFrame:
    """Long frame (unique_id, ds, y) with integer days (ds = index in the history, so freq=1)."""
    ids, ds, ys = [], [], []
    for row, (offset, y) in series.items():
        if input_days is not None and len(y) > input_days:
            offset, y = offset + len(y) - input_days, y[-input_days:]
        ids.append(np.full(len(y), row))
        ds.append(np.arange(offset, offset + len(y)))
        ys.append(y)
    return pd.DataFrame({"unique_id": np.concatenate(ids), "ds": np.concatenate(ds), "y": np.concatenate(ys)})


def _statsforecast(models: Sequence[str], n_jobs: int, *, forward: bool = False):
    """A StatsForecast over `models`; ETS falls back (on a series it cannot fit) to the seasonal naive, or
    to the naive model where the fallback must be carried forward."""
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    fallback = None
    if MODEL_ETS in models:
        fallback = Naive(alias=MODEL_ETS) if forward else _model(MODEL_SEASONAL_NAIVE)
    return StatsForecast(models=[_model(m) for m in models], freq=1, n_jobs=n_jobs, fallback_model=fallback)


def backtest_frame(
    series: dict[int, tuple[int, np.ndarray]],
    models: Sequence[str],
    *,
    windows: int,
    window_days: int,
    n_jobs: int,
) -> pd.DataFrame:
    """statsforecast's rolling-origin cross-validation of `models` on `series` (row -> (first index, values)):
    columns unique_id, ds, cutoff, y and one per model. ETS is fitted at the first origin on its last
    ETS_INPUT_DAYS days and carried forward (refit=False); the cheap models refit at every origin."""
    df = _frame(series)
    merged = None
    for group in ([m for m in models if m != MODEL_ETS], [m for m in models if m == MODEL_ETS]):
        if not group:
            continue
        ets = group == [MODEL_ETS]
        cv = _statsforecast(group, n_jobs, forward=ets).cross_validation(
            h=window_days,
            df=df,
            n_windows=windows,
            step_size=window_days,
            input_size=ETS_INPUT_DAYS if ets else None,
            refit=not ets,
        )
        merged = cv if merged is None else merged.merge(cv[["unique_id", "ds", "cutoff", *group]])
    return merged


def final_frame(
    series: dict[int, tuple[int, np.ndarray]], model: str, *, horizon: int, n_jobs: int
) -> pd.DataFrame:
    """statsforecast's forecast of `model` for `horizon` days after each series."""
    sf = _statsforecast([model], n_jobs)
    return sf.forecast(h=horizon, df=_frame(series, ETS_INPUT_DAYS if model == MODEL_ETS else None))


# -- the forecast -------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """The series as the models see them, and the backtest groups: (candidates, windows) -> {row: (index of
    the first sale, adjusted series from it)}; `fallback` holds the model of each series too short to
    backtest."""

    corrected: np.ndarray
    mult: np.ndarray
    adjusted: np.ndarray
    first_sale: np.ndarray
    length: np.ndarray
    intermittent: np.ndarray
    groups: dict[tuple[tuple[str, ...], int], dict[int, tuple[int, np.ndarray]]]
    fallback: dict[int, str]


def forecast_prepare(
    sku_ids: Sequence[int],
    days: Sequence[date],
    demand: np.ndarray,
    stockout: np.ndarray,
    *,
    horizon: int = 90,
    promotions: Iterable[dict] = (),
    windows: int = 2,
    window_days: int = 28,
    festival_lifts: dict | None = None,
) -> Prepared:
    """Steps 1-2 of the module docstring and the demand classes: everything before the models run."""
    demand = np.asarray(demand, dtype=np.float64)
    stockout = np.asarray(stockout, dtype=bool)
    n, T = demand.shape
    corrected = stockout_correct(demand, stockout)
    if festival_lifts is None:
        festival_lifts = festival_lifts_estimate(days, corrected.sum(axis=0), horizon=horizon)
    promos = promotion_lifts(days, corrected, sku_ids, promotions, horizon=horizon)
    mult = _multipliers(days, n, horizon, festival_lifts, promos)
    adjusted = corrected / mult[:, :T]

    # Classify: trimmed to the first sale; ADI over the last year.
    sold = corrected > 0
    first_sale = np.where(sold.any(axis=1), sold.argmax(axis=1), T)
    length = T - first_sale
    recent = np.minimum(length, 365)
    nonzero = np.array([sold[i, T - recent[i] :].sum() for i in range(n)])
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(nonzero > 0, recent / np.maximum(nonzero, 1), np.inf)
    intermittent = adi > INTERMITTENT_ADI
    n_windows = np.minimum((length - MIN_TRAIN_DAYS) // window_days, windows)

    groups: dict[tuple[tuple[str, ...], int], dict[int, tuple[int, np.ndarray]]] = {}
    fallback: dict[int, str] = {}
    for i in range(n):
        if length[i] == 0:
            continue
        if n_windows[i] >= 1:
            models = INTERMITTENT_MODELS if intermittent[i] else SMOOTH_MODELS
            groups.setdefault((models, int(n_windows[i])), {})[i] = (
                int(first_sale[i]),
                adjusted[i, first_sale[i] :],
            )
        else:
            smooth_enough = not intermittent[i] and length[i] >= 2 * SEASON
            fallback[i] = MODEL_SEASONAL_NAIVE if smooth_enough else MODEL_CROSTON
    return Prepared(corrected, mult, adjusted, first_sale, length, intermittent, groups, fallback)


def forecast_series(
    sku_ids: Sequence[int],
    days: Sequence[date],
    demand: np.ndarray,
    stockout: np.ndarray,
    *,
    horizon: int = 90,
    promotions: Iterable[dict] = (),
    windows: int = 2,
    window_days: int = 28,
    season: int = SEASON,
    festival_lifts: dict | None = None,
    n_jobs: int = 1,
) -> list[ForecastResult]:
    """Forecast each SKU's daily demand for the `horizon` days after days[-1] (see the module docstring).

    `demand` and `stockout` are n x T (SKUs x consecutive days). `festival_lifts` (day -> multiplier, as from
    `festival_lifts_estimate` on the shop's total demand) defaults to an estimate on these SKUs' total;
    `promotions` are dicts {"start", "end", "sku_ids" ([] = all), "lift" (None = measure)}.
    """
    if season != SEASON:
        raise ValueError(f"only weekly seasonality ({SEASON}) is supported")
    stockout = np.asarray(stockout, dtype=bool)
    n, T = stockout.shape
    prep = forecast_prepare(
        sku_ids,
        days,
        demand,
        stockout,
        horizon=horizon,
        promotions=promotions,
        windows=windows,
        window_days=window_days,
        festival_lifts=festival_lifts,
    )
    corrected, mult, adjusted = prep.corrected, prep.mult, prep.adjusted
    first_sale, length, intermittent = prep.first_sale, prep.length, prep.intermittent
    groups, fallback = prep.groups, prep.fallback

    chosen: dict[int, str] = dict(fallback)
    scores: dict[int, dict[str, float]] = {}
    errors: dict[int, np.ndarray] = {}
    last_window: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for (models, w), series in groups.items():
        cv = backtest_frame(series, models, windows=w, window_days=window_days, n_jobs=n_jobs)
        cv = cv.sort_values(["unique_id", "ds"])
        rows = cv["unique_id"].to_numpy()
        ds = cv["ds"].to_numpy().astype(np.int64)
        cutoff = cv["cutoff"].to_numpy()
        bounds = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1], True])
        preds = {m: np.nan_to_num(cv[m].to_numpy(dtype=np.float64), nan=0.0).clip(min=0) for m in models}
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            i = int(rows[a])
            t = ds[a:b]
            actual = corrected[i, t]
            lifted = {m: preds[m][a:b] * mult[i, t] for m in models}
            if intermittent[i]:
                score = {m: float(np.mean((lifted[m] - actual) ** 2)) for m in models}
            else:
                score = {m: float(np.mean(np.abs(lifted[m] - actual))) for m in models}
            best = min(models, key=lambda m: score[m])  # ties: the first listed
            chosen[i], scores[i] = best, score
            errors[i] = lifted[best] - actual
            last = cutoff[a:b] == cutoff[a:b].max()
            last_window[i] = (lifted[best][last], actual[last])

    # Final forecasts, one statsforecast call per chosen model.
    by_model: dict[str, dict[int, tuple[int, np.ndarray]]] = {}
    for i, model in chosen.items():
        by_model.setdefault(model, {})[i] = (int(first_sale[i]), adjusted[i, first_sale[i] :])
    future: dict[int, np.ndarray] = {}
    for model, series in by_model.items():
        fc = final_frame(series, model, horizon=horizon, n_jobs=n_jobs).sort_values(["unique_id", "ds"])
        values = np.nan_to_num(fc[model].to_numpy(dtype=np.float64), nan=0.0).clip(min=0).reshape(-1, horizon)
        for i, row in zip(np.unique(fc["unique_id"].to_numpy()), values, strict=True):
            future[int(i)] = row

    results = []
    for i in range(n):
        start = int(first_sale[i])
        history = corrected[i, start:]
        if i in errors:
            sigma = float(np.std(errors[i], ddof=1)) if len(errors[i]) > 1 else 0.0
            f_last, a_last = last_window[i]
            actual_sum = float(a_last.sum())
            wape = float(np.abs(f_last - a_last).sum() / actual_sum) if actual_sum > 0 else None
            bias = float((f_last - a_last).sum() / actual_sum) if actual_sum > 0 else None
        else:
            wape = bias = None
            if chosen.get(i) == MODEL_SEASONAL_NAIVE:
                sigma = float(np.std(history[SEASON:] - history[:-SEASON], ddof=1))
            else:
                sigma = float(np.std(history, ddof=1)) if len(history) > 1 else float(history.sum())
        daily = future[i] * mult[i, T:] if i in future else np.zeros(horizon)
        spread = Z_INTERVAL * sigma * mult[i, T:]
        results.append(
            ForecastResult(
                sku_id=sku_ids[i],
                model=chosen.get(i, MODEL_CROSTON),
                daily=np.round(daily, 3).tolist(),
                lower=np.round(np.maximum(daily - spread, 0.0), 3).tolist(),
                upper=np.round(daily + spread, 3).tolist(),
                mean_daily=float(daily[:28].mean()),
                sigma_daily=sigma,
                wape=wape,
                bias=bias,
                actual_28d=int(round(float(corrected[i, -28:].sum()))),
                intermittent=bool(intermittent[i]),
                history_days=int(length[i]),
                stockout_days=int(stockout[i, start:].sum()),
                scores=scores.get(i, {}),
            )
        )
    return results
