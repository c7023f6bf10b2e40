"""The anomaly rule over plain series, without a database."""

from datetime import date, timedelta
from decimal import Decimal

from reports.anomalies import Anomaly, anomalies_detect, contributions_compute, judge_day

D = Decimal
DATA_START = date(2026, 1, 5)  # a Monday
SPIKE = date(2026, 3, 2)  # the Monday 8 weeks later


def daily(value, start=DATA_START, end=date(2026, 3, 9)):
    out, day = {}, start
    while day < end:
        out[day] = D(value)
        day += timedelta(days=1)
    return out


def shop_series():
    series = daily("100.00")
    # the 8 Mondays before the spike: 100, 110, 90, 100, 100, 110, 90, 100 -> mean 100.00
    for k, value in enumerate(["100.00", "110.00", "90.00", "100.00", "100.00", "110.00", "90.00", "100.00"]):
        series[SPIKE - timedelta(weeks=k + 1)] = D(value)
    series[SPIKE] = D("200.00")  # spike
    series[SPIKE + timedelta(days=1)] = D("80.00")  # inside the band (75.00 - 125.00)
    series[SPIKE + timedelta(days=2)] = D("70.00")  # below it
    return series


def detect(series, parts=None, data_start=DATA_START, start=SPIKE, end=SPIKE + timedelta(days=3)):
    return anomalies_detect(
        metric="gmv",
        series=series,
        start=start,
        end=end,
        tolerance=D("0.25"),
        baseline_weeks=8,
        data_start=data_start,
        parts=parts,
    )


def test_a_spike_is_flagged_with_its_band_and_top_contributor():
    parts = {
        ("channel", "Tmall"): {**daily("60.00"), SPIKE: D("70.00")},
        ("channel", "JD"): {**daily("40.00"), SPIKE: D("130.00")},
        ("category", "Tea"): {**daily("50.00"), SPIKE: D("20.00")},
        ("category", "Cups"): daily("0.00"),  # nothing ever: left out
    }
    found = detect(shop_series(), parts)
    assert [(a.day, a.direction) for a in found] == [(SPIKE, "up"), (SPIKE + timedelta(days=2), "down")]
    spike = found[0]
    assert spike == Anomaly(
        day=SPIKE,
        metric="gmv",
        value=D("200.00"),
        expected=D("100.00"),
        low=D("75.00"),
        high=D("125.00"),
        deviation=D("1.0000"),
        direction="up",
    )
    assert spike.contributions == [
        {
            "dimension": "channel",
            "name": "JD",
            "value": D("130.00"),
            "expected": D("40.00"),
            "change": D("90.00"),
        },
        {
            "dimension": "category",
            "name": "Tea",
            "value": D("20.00"),
            "expected": D("50.00"),
            "change": D("-30.00"),
        },
        {
            "dimension": "channel",
            "name": "Tmall",
            "value": D("70.00"),
            "expected": D("60.00"),
            "change": D("10.00"),
        },
    ]
    assert spike.contributions[0]["name"] == "JD"
    low = found[1]
    assert (low.value, low.expected, low.low, low.high, low.deviation) == (
        D("70.00"),
        D("100.00"),
        D("75.00"),
        D("125.00"),
        D("-0.3000"),
    )
    assert low.as_dict()["deviation"] == "-0.3000"


def test_band_edges_are_inside():
    series = shop_series()
    series[SPIKE] = D("125.00")
    series[SPIKE + timedelta(days=2)] = D("75.00")
    assert detect(series) == []


def test_short_history_is_not_judged():
    series = shop_series()
    # data from 9 Feb: the spike Monday has only 3 earlier Mondays (23, 16, 9 Feb)
    judgement = judge_day(series, SPIKE, baseline_weeks=8, tolerance=D("0.25"), data_start=date(2026, 2, 9))
    assert (judgement.judged, judgement.weeks) == (False, 3)
    assert detect(series, data_start=date(2026, 2, 9), end=SPIKE + timedelta(days=1)) == []
    # from 2 Feb: 4 weeks (100, 110, 90, 100 -> 100.00), judged and flagged
    found = detect(series, data_start=date(2026, 2, 2), end=SPIKE + timedelta(days=1))
    assert [(a.day, a.expected, a.deviation) for a in found] == [(SPIKE, D("100.00"), D("1.0000"))]
    # no data at all
    assert detect(series, data_start=None) == []


def test_fewer_baseline_weeks_and_zero_expected():
    series = shop_series()
    # 4 weeks: 100, 110, 90, 100 -> 100.00 (the window shrinks with baseline_weeks)
    found = anomalies_detect(
        metric="orders",
        series={**series, SPIKE - timedelta(weeks=1): D("300.00")},
        start=SPIKE,
        end=SPIKE + timedelta(days=1),
        tolerance=D("0.10"),
        baseline_weeks=4,
        data_start=DATA_START,
    )
    # (300 + 90 + 110 + 100) / 4 = 150.00; band 135.00 - 165.00; 200 is above
    assert [(a.expected, a.low, a.high, a.deviation) for a in found] == [
        (D("150.00"), D("135.00"), D("165.00"), D("0.3333"))
    ]
    zeros = {**daily("0.00"), SPIKE: D("50.00")}
    assert detect(zeros) == []  # expected 0: no band to leave


def test_contributions_keep_the_five_largest():
    parts = {("channel", f"C{i}"): {**daily("10.00"), SPIKE: D(10 + i)} for i in range(1, 8)}
    rows = contributions_compute(parts, SPIKE, baseline_weeks=8, data_start=DATA_START)
    assert [(r["name"], r["change"]) for r in rows] == [
        ("C7", D("7.00")),
        ("C6", D("6.00")),
        ("C5", D("5.00")),
        ("C4", D("4.00")),
        ("C3", D("3.00")),
    ]


def test_days_without_a_value_are_left_out_of_the_baseline():
    # an AOV series: two of the 8 earlier Mondays had no orders (None), the other six average 100.00
    series = daily("100.00")
    series[SPIKE - timedelta(weeks=2)] = None
    series[SPIKE - timedelta(weeks=5)] = None
    series[SPIKE] = D("130.00")
    judgement = judge_day(series, SPIKE, baseline_weeks=8, tolerance=D("0.25"), data_start=DATA_START)
    assert (judgement.expected, judgement.weeks, judgement.outside) == (D("100.00"), 6, True)
    series[SPIKE] = None  # no orders that day: nothing to judge
    assert (
        judge_day(series, SPIKE, baseline_weeks=8, tolerance=D("0.25"), data_start=DATA_START).judged is False
    )
    parts = {("channel", "A"): {**daily("10.00"), SPIKE: None}, ("channel", "B"): daily("10.00")}
    assert [
        c["name"] for c in contributions_compute(parts, SPIKE, baseline_weeks=8, data_start=DATA_START)
    ] == ["B"]
