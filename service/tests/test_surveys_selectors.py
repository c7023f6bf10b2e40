"""Satisfaction figures on hand-built answers: NPS exact overall and by channel, category and month; CSAT;
response rates; bands; the monthly trend."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from catalog.tests.factories import CategoryFactory
from orders.tests.factories import ChannelFactory
from service.selectors import satisfaction
from service.tests.factories_surveys import SurveyFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def answer(kind: str, score: int, when: datetime, **kwargs):
    return SurveyFactory(
        kind=kind, score=score, answered_at=when, created_at=when - timedelta(hours=1), **kwargs
    )


@pytest.fixture
def nps_set():
    """5 promoters, 3 passives, 2 detractors in November 2026 → NPS 30.0 (average band)."""
    tmall = ChannelFactory(code="tmall", name="Tmall")
    jd = ChannelFactory(code="jd", name="JD")
    tea = CategoryFactory(code="tea", name="Tea")
    cups = CategoryFactory(code="cups", name="Cups")
    day = at(date(2026, 11, 10))
    # Tmall/tea: 9, 10, 10, 7 ; JD/cups: 9, 10, 8, 8, 3, 6
    for score in (9, 10, 10, 7):
        answer("nps", score, day, channel=tmall, category=tea)
    for score in (9, 10, 8, 8, 3, 6):
        answer("nps", score, day, channel=jd, category=cups)
    return {"tmall": tmall, "jd": jd, "tea": tea, "cups": cups}


def test_nps_exact_overall(nps_set):
    figures = satisfaction.nps(start=date(2026, 11, 1), end=date(2026, 12, 1))
    assert figures == {
        "count": 10,
        "promoters": 5,
        "passives": 3,
        "detractors": 2,
        "nps": Decimal("30.0"),
        "band": "average",
        "band_label": satisfaction.NPS_BANDS["average"],
    }


def test_nps_by_channel_and_category(nps_set):
    by_channel = satisfaction.nps(start=date(2026, 11, 1), end=date(2026, 12, 1), by="channel")
    assert [
        (r["label"], r["count"], r["promoters"], r["passives"], r["detractors"], r["nps"], r["band"])
        for r in by_channel
    ] == [
        ("JD", 6, 2, 2, 2, Decimal("0.0"), "below_average"),
        ("Tmall", 4, 3, 1, 0, Decimal("75.0"), "leader"),
    ]
    by_category = satisfaction.nps(start=date(2026, 11, 1), end=date(2026, 12, 1), by="category")
    assert [(r["key"], r["nps"]) for r in by_category] == [
        (nps_set["cups"].pk, Decimal("0.0")),
        (nps_set["tea"].pk, Decimal("75.0")),
    ]


def test_nps_by_month_uses_shop_time_and_rounds_half_up():
    # 23:30 on 31 October in Shanghai is October, though it is 15:30 UTC.
    answer("nps", 10, at(date(2026, 10, 31), 23))
    answer("nps", 0, at(date(2026, 10, 31), 1))
    answer("nps", 10, at(date(2026, 10, 1), 0))
    # November: 1 promoter, 1 passive, 1 detractor... plus 2 promoters of 3 → (2-1)/3 = 33.33 → 33.3
    for score in (9, 8, 2):
        answer("nps", score, at(date(2026, 11, 1), 0))
    rows = satisfaction.nps(start=date(2026, 10, 1), end=date(2026, 12, 1), by="month")
    assert [(r["key"], r["label"], r["count"], r["nps"]) for r in rows] == [
        (date(2026, 10, 1), "2026-10", 3, Decimal("33.3")),
        (date(2026, 11, 1), "2026-11", 3, Decimal("0.0")),
    ]


def test_nps_period_excludes_end_and_unanswered():
    answer("nps", 10, at(date(2026, 11, 30), 23))
    answer("nps", 0, at(date(2026, 12, 1), 0))
    SurveyFactory(kind="nps")  # sent, not answered
    assert satisfaction.nps(start=date(2026, 11, 1), end=date(2026, 12, 1))["nps"] == Decimal("100.0")


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (None, None),
        (Decimal("-20.0"), "below_average"),
        (Decimal("29.9"), "below_average"),
        (Decimal("30.0"), "average"),
        (Decimal("39.9"), "average"),
        (Decimal("40.0"), "good"),
        (Decimal("59.9"), "good"),
        (Decimal("60.0"), "leader"),
    ],
)
def test_nps_bands(value, band):
    assert satisfaction.nps_band(value) == band


def test_nps_without_answers():
    assert satisfaction.nps(start=date(2026, 11, 1), end=date(2026, 12, 1))["nps"] is None


def test_nps_trend_lists_every_month():
    answer("nps", 10, at(date(2026, 9, 15)))
    answer("nps", 0, at(date(2026, 11, 2)))
    rows = satisfaction.nps_trend(months=3, today=date(2026, 11, 20))
    assert [(r["key"], r["count"], r["nps"]) for r in rows] == [
        (date(2026, 9, 1), 1, Decimal("100.0")),
        (date(2026, 10, 1), 0, None),
        (date(2026, 11, 1), 1, Decimal("-100.0")),
    ]
    assert len(satisfaction.nps_trend(today=date(2026, 1, 5))) == 12
    assert satisfaction.nps_trend(months=2, today=date(2026, 1, 5))[0]["key"] == date(2025, 12, 1)


def test_csat_summary_exact():
    tmall = ChannelFactory(code="tmall", name="Tmall")
    day = at(date(2026, 11, 10))
    for score in (5, 5, 4, 3, 1, 4, 2):  # 4 of 7 satisfied; average 24/7 = 3.428… → 3.43
        answer("csat", score, day, channel=tmall)
    SurveyFactory(kind="csat", created_at=day)  # sent in the period, not answered
    answer("csat", 5, at(date(2026, 12, 1)))  # outside
    summary = satisfaction.csat_summary(start=date(2026, 11, 1), end=date(2026, 12, 1))
    assert summary == {
        "count": 7,
        "satisfied": 4,
        "average": Decimal("3.43"),
        "csat": Decimal("0.5714"),
        "sent": 8,
        "response_rate": Decimal("0.8750"),
    }
    by_channel = satisfaction.csat_by(start=date(2026, 11, 1), end=date(2026, 12, 1), by="channel")
    assert [(r["label"], r["count"], r["average"], r["csat"]) for r in by_channel] == [
        ("Tmall", 7, Decimal("3.43"), Decimal("0.5714"))
    ]


def test_response_rate_counts_surveys_sent_in_the_period():
    day = at(date(2026, 11, 10))
    SurveyFactory(kind="nps", created_at=day, answered_at=day + timedelta(days=20), score=9)
    SurveyFactory(kind="nps", created_at=day)
    SurveyFactory(kind="nps", created_at=day)
    rates = satisfaction.response_rate(kind="nps", start=date(2026, 11, 1), end=date(2026, 12, 1))
    assert rates == {"sent": 3, "answered": 1, "rate": Decimal("0.3333")}


def test_unknown_dimension_is_refused():
    with pytest.raises(ValueError):
        satisfaction.nps(start=date(2026, 11, 1), end=date(2026, 12, 1), by="sku")
