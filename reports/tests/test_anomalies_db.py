"""anomaly_list over the order facts: a spike Monday judged against 4 earlier Mondays, its contributors."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from orders import services as order_services
from orders.models import Order
from orders.tests.factories import ChannelFactory, order_with_lines
from reports.anomalies import anomaly_list
from reports.models import ReportSettings

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
SPIKE = date(2026, 3, 2)  # a Monday
D = Decimal


def at(day: date, hour=12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def build_sales(weeks_before: int = 4) -> dict:
    """One 100.00 Tmall order of tea on each of the `weeks_before` Mondays before SPIKE; on SPIKE the same
    plus a 300.00 JD order of cups (GMV 400.00 vs 100.00 expected)."""
    tmall = ChannelFactory(code="tmall", name="Tmall")
    jd = ChannelFactory(code="jd", name="JD")
    tea = SKUFactory(product=ProductFactory(category=CategoryFactory(code="tea", name="Tea")))
    cups = SKUFactory(
        product=ProductFactory(category=CategoryFactory(code="cups", name="Cups")), unit_cost=D("10.00")
    )
    for k in range(1, weeks_before + 1):
        order_with_lines(
            channel=tmall,
            placed_at=at(SPIKE - timedelta(weeks=k)),
            status=Order.Status.PAID,
            lines=[(tea, 1, D("100.00"), D("0.00"))],
        )
    order_with_lines(
        channel=tmall,
        placed_at=at(SPIKE, 9),
        status=Order.Status.PAID,
        lines=[(tea, 1, D("100.00"), D("0.00"))],
    )
    order_with_lines(
        channel=jd,
        placed_at=at(SPIKE, 15),
        status=Order.Status.PAID,
        lines=[(cups, 3, D("100.00"), D("0.00"))],
    )
    order_services.order_facts_rebuild(start=SPIKE - timedelta(weeks=10), end=SPIKE + timedelta(days=7))
    return {"tmall": tmall, "jd": jd, "tea": tea, "cups": cups}


def test_spike_flagged_with_band_and_contributors():
    build_sales()
    found = anomaly_list(start=SPIKE - timedelta(days=6), end=SPIKE + timedelta(days=1))
    assert [(a.day, a.metric, a.direction) for a in found] == [
        (SPIKE, "gmv", "up"),
        (SPIKE, "orders", "up"),
        (SPIKE, "aov", "up"),
        (SPIKE, "net_sales", "up"),
    ]
    gmv = found[0]
    assert (gmv.value, gmv.expected, gmv.low, gmv.high, gmv.deviation) == (
        D("400.00"),
        D("100.00"),
        D("75.00"),
        D("125.00"),
        D("3.0000"),
    )
    assert [
        (c["dimension"], c["name"], c["value"], c["expected"], c["change"]) for c in gmv.contributions
    ] == [
        ("category", "Cups", D("300.00"), D("0.00"), D("300.00")),
        ("channel", "JD", D("300.00"), D("0.00"), D("300.00")),
        ("category", "Tea", D("100.00"), D("100.00"), D("0.00")),
        ("channel", "Tmall", D("100.00"), D("100.00"), D("0.00")),
    ]
    orders = found[1]
    assert (orders.value, orders.expected, orders.low, orders.high, orders.deviation) == (
        2,
        D("1.00"),
        D("0.75"),
        D("1.25"),
        D("1.0000"),
    )
    assert [(c["name"], c["change"]) for c in orders.contributions] == [
        ("JD", D("1.00")),
        ("Tmall", D("0.00")),
    ]
    aov = found[2]
    assert (aov.value, aov.expected, aov.deviation) == (D("200.00"), D("100.00"), D("1.0000"))


def test_settings_and_arguments_drive_the_band():
    build_sales()
    settings = ReportSettings.get()
    settings.anomaly_tolerance = D("3.5000")  # GMV 400 is inside 0 - 450
    settings.save()
    found = anomaly_list(start=SPIKE, end=SPIKE + timedelta(days=1), metrics=("gmv",))
    assert found == []
    found = anomaly_list(start=SPIKE, end=SPIKE + timedelta(days=1), metrics=("gmv",), tolerance=D("0.5"))
    assert [(a.low, a.high) for a in found] == [(D("50.00"), D("150.00"))]


def test_one_channel_only_counts_its_own_figures():
    data = build_sales()
    found = anomaly_list(start=SPIKE, end=SPIKE + timedelta(days=1), channel_id=data["tmall"].pk)
    assert found == []  # Tmall sold 100.00 as every Monday
    found = anomaly_list(start=SPIKE, end=SPIKE + timedelta(days=1), channel_id=data["jd"].pk)
    assert found == []  # JD's first sale: no history, not judged


def test_short_history_is_not_judged():
    build_sales(weeks_before=3)
    assert anomaly_list(start=SPIKE - timedelta(days=6), end=SPIKE + timedelta(days=1)) == []


def test_empty_database():
    assert anomaly_list(start=SPIKE, end=SPIKE + timedelta(days=7)) == []
