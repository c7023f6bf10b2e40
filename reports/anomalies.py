"""Anomalies: days whose figure leaves its expected band, with what moved.

The rule, for a day d and a daily metric:
- expected = the mean of the same weekday over the trailing `baseline_weeks` weeks (d-7, d-14, …), counting
  only weeks that have data (on or after the first day the shop has any order facts in the window read);
- a day whose baseline has fewer than MIN_BASELINE_WEEKS such weeks, or whose expected value is zero, is not
  judged (there is no band to leave);
- band = expected × (1 ± tolerance); the day is an anomaly when its value is outside the band;
- deviation = (value - expected) / expected, a 4-place fraction; direction "up" or "down".
- contributions: each channel's (and, for sales metrics, each category's line revenue or units) value on the
  day vs its own baseline over the same weeks; the five largest absolute changes.

`anomalies_detect` is the pure rule over plain {date: value} series (tested without a database);
`anomaly_list` reads the facts through reports.kpis and calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from reports import kpis
from reports.models import ReportSettings

MIN_BASELINE_WEEKS = 4
TOP_CONTRIBUTIONS = 5
DEFAULT_METRICS = ("gmv", "orders", "aov", "net_sales")
CENT = Decimal("0.01")
RATE = Decimal("0.0001")
# Category line figures that explain a change of each metric (categories only have line revenue and units).
CATEGORY_METRIC = {"gmv": "revenue", "net_sales": "revenue", "revenue": "revenue", "units": "units"}


@dataclass(frozen=True)
class Anomaly:
    day: date
    metric: str
    value: Decimal | int
    expected: Decimal
    low: Decimal
    high: Decimal
    deviation: Decimal  # fraction: 0.5000 = 50 % above expected
    direction: str  # "up" | "down"
    contributions: list = field(default_factory=list, hash=False, compare=False)

    @property
    def label(self):
        return kpis.KPI_LABELS.get(self.metric, self.metric)

    @property
    def is_money(self) -> bool:
        return self.metric in kpis.MONEY_KPIS or self.metric == "revenue"

    def as_dict(self) -> dict:
        """JSON-friendly (Decimal and dates as strings), for archived report content."""
        return {
            "day": self.day.isoformat(),
            "metric": self.metric,
            "value": str(self.value),
            "expected": str(self.expected),
            "low": str(self.low),
            "high": str(self.high),
            "deviation": str(self.deviation),
            "direction": self.direction,
            "contributions": [
                {**c, "value": str(c["value"]), "expected": str(c["expected"]), "change": str(c["change"])}
                for c in self.contributions
            ],
        }


@dataclass(frozen=True)
class Judgement:
    """What the rule says about one day (judged or not)."""

    day: date
    value: Decimal | int
    expected: Decimal | None
    low: Decimal | None
    high: Decimal | None
    weeks: int

    @property
    def judged(self) -> bool:
        return self.expected is not None

    @property
    def outside(self) -> bool:
        return self.judged and (self.value < self.low or self.value > self.high)


def _q(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def baseline_days(day: date, baseline_weeks: int, data_start: date | None) -> list[date]:
    """The same weekday in each of the trailing `baseline_weeks` weeks that has data (>= data_start)."""
    days = [day - timedelta(weeks=k) for k in range(1, baseline_weeks + 1)]
    return [d for d in days if data_start is not None and d >= data_start]


def expected_value(series: dict, day: date, baseline_weeks: int, data_start: date | None) -> tuple:
    """(mean of the same weekday over the trailing weeks with data, number of such weeks). A date absent from
    `series` counts as 0; a date present with None has no value (an AOV without orders) and is left out."""
    days = [
        d for d in baseline_days(day, baseline_weeks, data_start) if not (d in series and series[d] is None)
    ]
    if not days:
        return None, 0
    total = sum((Decimal(series.get(d) or 0) for d in days), Decimal(0))
    return _q(total / len(days)), len(days)


def judge_day(
    series: dict, day: date, *, baseline_weeks: int, tolerance: Decimal, data_start: date | None
) -> Judgement:
    value = series.get(day, 0)
    expected, weeks = expected_value(series, day, baseline_weeks, data_start)
    if value is None or expected is None or weeks < MIN_BASELINE_WEEKS or expected == 0:
        return Judgement(day=day, value=value, expected=None, low=None, high=None, weeks=weeks)
    tolerance = Decimal(tolerance)
    return Judgement(
        day=day,
        value=value,
        expected=expected,
        low=_q(expected * (1 - tolerance)),
        high=_q(expected * (1 + tolerance)),
        weeks=weeks,
    )


def contributions_compute(
    parts: dict, day: date, *, baseline_weeks: int, data_start: date | None, top: int = TOP_CONTRIBUTIONS
) -> list[dict]:
    """`parts` = {(dimension, name): {date: value}}; each part's value on `day` vs its own baseline,
    sorted by absolute change (largest first, then by name), the first `top`."""
    out = []
    for (dimension, name), series in parts.items():
        expected, _weeks = expected_value(series, day, baseline_weeks, data_start)
        expected = expected if expected is not None else Decimal("0.00")
        value = series.get(day, 0)
        if value is None:
            continue
        change = _q(Decimal(value) - expected)
        if not change and not value:
            continue
        out.append(
            {"dimension": dimension, "name": name, "value": value, "expected": expected, "change": change}
        )
    out.sort(key=lambda c: (-abs(c["change"]), c["dimension"], str(c["name"])))
    return out[:top]


def anomalies_detect(
    *,
    metric: str,
    series: dict,
    start: date,
    end: date,
    tolerance: Decimal,
    baseline_weeks: int,
    data_start: date | None,
    parts: dict | None = None,
) -> list[Anomaly]:
    """The anomalies of one metric over the days [start, end), from `series` {date: value} that also covers
    the baseline weeks before `start`. `parts` ({(dimension, name): series}) gives the contributions."""
    out = []
    day = start
    while day < end:
        judgement = judge_day(
            series, day, baseline_weeks=baseline_weeks, tolerance=tolerance, data_start=data_start
        )
        if judgement.outside:
            value, expected = judgement.value, judgement.expected
            out.append(
                Anomaly(
                    day=day,
                    metric=metric,
                    value=value,
                    expected=expected,
                    low=judgement.low,
                    high=judgement.high,
                    deviation=((Decimal(value) - expected) / expected).quantize(RATE, rounding=ROUND_HALF_UP),
                    direction="up" if value > judgement.high else "down",
                    contributions=contributions_compute(
                        parts or {}, day, baseline_weeks=baseline_weeks, data_start=data_start
                    ),
                )
            )
        day += timedelta(days=1)
    return out


# -- the DB reader ------------------------------------------------------------------------------------------


def _data_start(*, start: date, end: date, channel_id: int | None) -> date | None:
    """The first day with order facts in [start, end) (None when there is none)."""
    for day, value in kpis.daily_values(metric="orders", start=start, end=end, channel_id=channel_id).items():
        if value:
            return day
    return None


def _defined(metric: str, series: dict) -> dict:
    """An AOV of 0.00 is a day without orders: no value (None), not a value of zero."""
    if metric != "aov":
        return series
    return {day: (value if value else None) for day, value in series.items()}


def _parts(*, metric: str, start: date, end: date, channel_id: int | None, cache: dict) -> dict:
    """{(dimension, name): {date: value}}: each channel's `metric` (unless one channel is chosen) and, for
    sales metrics, each category's line revenue or units. `cache` keeps category series between metrics."""
    parts: dict = {}
    if channel_id is None:
        for name, series in kpis.per_channel_daily(metric=metric, start=start, end=end).items():
            parts[("channel", name)] = _defined(metric, series)
    category_metric = CATEGORY_METRIC.get(metric)
    if category_metric:
        if category_metric not in cache:
            cache[category_metric] = {
                ("category", name): kpis.daily_values(
                    metric=category_metric,
                    start=start,
                    end=end,
                    channel_id=channel_id,
                    category_id=category_id,
                )
                for category_id, name in kpis.category_choices()
            }
        parts.update(cache[category_metric])
    return parts


def anomaly_list(
    *,
    start: date,
    end: date,
    channel_id: int | None = None,
    metrics=DEFAULT_METRICS,
    tolerance: Decimal | None = None,
    baseline_weeks: int | None = None,
) -> list[Anomaly]:
    """The anomalies of [start, end) for each metric (a name of reports.kpis.DAILY_METRICS), newest day
    first, then by metric order. `tolerance` and `baseline_weeks` default to ReportSettings."""
    if tolerance is None or baseline_weeks is None:
        report_settings = ReportSettings.get()
        tolerance = report_settings.anomaly_tolerance if tolerance is None else tolerance
        baseline_weeks = report_settings.baseline_weeks if baseline_weeks is None else baseline_weeks
    if start >= end:
        return []
    lookback = start - timedelta(weeks=baseline_weeks)
    data_start = _data_start(start=lookback, end=end, channel_id=channel_id)
    if data_start is None or data_start > end - timedelta(weeks=MIN_BASELINE_WEEKS):
        return []  # too little history for any day of the span to be judged
    out, cache = [], {}
    for metric in metrics:
        series = _defined(
            metric, kpis.daily_values(metric=metric, start=lookback, end=end, channel_id=channel_id)
        )
        found = anomalies_detect(
            metric=metric,
            series=series,
            start=start,
            end=end,
            tolerance=tolerance,
            baseline_weeks=baseline_weeks,
            data_start=data_start,
        )
        if not found:
            continue
        parts = _parts(metric=metric, start=lookback, end=end, channel_id=channel_id, cache=cache)
        for anomaly in found:
            contributions = contributions_compute(
                parts, anomaly.day, baseline_weeks=baseline_weeks, data_start=data_start
            )
            out.append(replace(anomaly, contributions=contributions))
    order = {m: i for i, m in enumerate(metrics)}
    out.sort(key=lambda a: (-a.day.toordinal(), order[a.metric]))
    return out
