from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from orders.models import Order
from orders.models import OrderDayFact as DailySales
from orders.tests.factories import ChannelFactory, order_with_lines
from reports import selectors, services
from shopops.common.models import JobRun

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def business(db):
    """A hand-built set of orders around a shop-local midnight."""
    tmall = ChannelFactory(code="tmall", name="Tmall")
    jd = ChannelFactory(code="jd", name="JD")
    a = SKUFactory(unit_cost=Decimal("40.00"))
    b = SKUFactory(unit_cost=Decimal("12.35"))
    # 1 March, Shanghai: two counted Tmall orders (one at 23:30 local = 15:30 UTC), one JD order
    order_with_lines(
        channel=tmall,
        placed_at=at(2026, 3, 1, 10),
        status=Order.Status.DELIVERED,
        lines=[(a, 2, Decimal("129.00"), Decimal("20.00"))],
        order_discount=Decimal("8.00"),
    )
    order_with_lines(
        channel=tmall,
        placed_at=at(2026, 3, 1, 23, 30),
        status=Order.Status.PAID,
        lines=[(b, 3, Decimal("29.90"), Decimal("0.00"))],
        shipping_fee=Decimal("6.00"),
    )
    order_with_lines(
        channel=jd,
        placed_at=at(2026, 3, 1, 9),
        status=Order.Status.RETURNED,
        lines=[(a, 1, Decimal("99.00"), Decimal("0.00"))],
    )
    # not counted: pending and cancelled
    order_with_lines(
        channel=tmall,
        placed_at=at(2026, 3, 1, 11),
        status=Order.Status.PENDING,
        lines=[(a, 5, Decimal("129.00"), Decimal("0.00"))],
    )
    order_with_lines(
        channel=tmall,
        placed_at=at(2026, 3, 1, 12),
        status=Order.Status.CANCELLED,
        lines=[(a, 5, Decimal("129.00"), Decimal("0.00"))],
    )
    # 2 March 00:10 Shanghai is still 1 March in UTC: it belongs to 2 March
    order_with_lines(
        channel=tmall,
        placed_at=at(2026, 3, 2, 0, 10),
        status=Order.Status.SHIPPED,
        lines=[(b, 1, Decimal("59.00"), Decimal("0.00"))],
    )
    return {"tmall": tmall, "jd": jd}


def test_rollup_counts_sales_on_the_shop_local_day(business):
    result = services.sales_rollup_rebuild(start=date(2026, 3, 1), end=date(2026, 3, 3))
    assert result["days"] == 3
    tmall_1 = DailySales.objects.get(date=date(2026, 3, 1), channel=business["tmall"])
    # (2*129 - 20) - 8 = 230.00 ; 3*29.90 + 6 = 95.70
    assert (tmall_1.orders, tmall_1.units, tmall_1.gmv) == (2, 5, Decimal("325.70"))
    assert tmall_1.cost_of_goods == Decimal("117.05")  # 2*40 + 3*12.35
    jd_1 = DailySales.objects.get(date=date(2026, 3, 1), channel=business["jd"])
    assert (jd_1.orders, jd_1.gmv) == (1, Decimal("99.00"))
    tmall_2 = DailySales.objects.get(date=date(2026, 3, 2), channel=business["tmall"])
    assert (tmall_2.orders, tmall_2.gmv) == (1, Decimal("59.00"))


def test_rollup_rebuild_is_idempotent_and_follows_late_changes(business):
    services.sales_rollup_rebuild(start=date(2026, 3, 1), end=date(2026, 3, 3))
    services.sales_rollup_rebuild(start=date(2026, 3, 1), end=date(2026, 3, 3))
    assert DailySales.objects.count() == 3
    Order.objects.filter(total=Decimal("99.00")).update(status=Order.Status.CANCELLED)
    services.sales_rollup_rebuild(start=date(2026, 3, 1), end=date(2026, 3, 3))
    jd = DailySales.objects.get(channel=business["jd"])  # still placed, now cancelled: no sale
    assert (jd.placed_all, jd.cancelled, jd.orders, jd.gmv, jd.customers) == (1, 1, 0, 0, 0)


def test_kpi_cards_compare_with_the_period_before(business):
    services.sales_rollup_rebuild(start=date(2026, 2, 1), end=date(2026, 3, 10))
    seven, thirty = selectors.kpi_cards(today=date(2026, 3, 8))
    # last 7 complete days = 1..7 March: 4 counted orders, GMV 325.70 + 99 + 59 = 483.70
    assert (seven.current["orders"], seven.current["gmv"]) == (4, Decimal("483.70"))
    assert seven.current["aov"] == Decimal("120.93")  # 483.70 / 4 = 120.925 -> half-up
    assert seven.previous["orders"] == 0 and seven.gmv_change is None
    assert thirty.days == 30 and thirty.current["gmv"] == Decimal("483.70")


def test_run_nightly_is_keyed_by_job_and_date(business):
    call_command("run_nightly", "--date", "2026-03-02")
    call_command("run_nightly", "--date", "2026-03-02")
    run = JobRun.objects.get(job="reports.sales_rollup_build", business_date=date(2026, 3, 2))
    assert run.status == JobRun.Status.SUCCEEDED and run.runs == 2
    assert run.detail["days"] == 3
    # the window ends with the business date: 2 March is included, nothing after it
    assert set(DailySales.objects.values_list("date", flat=True)) == {date(2026, 3, 1), date(2026, 3, 2)}


def test_run_nightly_rejects_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_nightly", "--date", "2026-13-01")


def test_home_dashboard_shows_the_rollup(business, client_for, time_machine):
    time_machine.move_to(at(2026, 3, 8, 9))
    services.sales_rollup_rebuild(start=date(2026, 2, 1), end=date(2026, 3, 8))
    html = client_for("manager").get(reverse("home")).content.decode()
    assert "¥483.70" in html and "¥120.93" in html
    assert 'id="gmv-by-channel"' in html  # the figure's JSON data block
    assert "/static/vendor/plotly/plotly.min.js" in html


def test_weekly_sales_weeks_start_on_monday(business):
    services.sales_rollup_rebuild(start=date(2026, 2, 1), end=date(2026, 3, 10))
    weeks = selectors.weekly_sales(today=date(2026, 3, 11), weeks=2)
    assert [w["week_start"] for w in weeks] == [date(2026, 2, 23), date(2026, 3, 2)]
    assert weeks[0]["gmv"] == Decimal("424.70") and weeks[1]["gmv"] == Decimal("59.00")
    assert weeks[1]["week_start"] - weeks[0]["week_start"] == timedelta(days=7)
