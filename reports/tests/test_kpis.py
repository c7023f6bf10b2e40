"""Every order KPI definition on a hand-built set of orders, exact: new vs returning across period edges,
pending and cancelled excluded, a refund in a later period, shop-local midnight (Shanghai) edges; the facts
and the direct computation from the orders agree; series by day, week (Monday) and month."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from catalog.tests.factories import SKUFactory
from orders.models import Order
from orders.services import order_facts_check, order_facts_rebuild
from orders.tests.factories import ChannelFactory, CustomerFactory, order_with_lines
from reports import kpis

D = Decimal
SH = ZoneInfo("Asia/Shanghai")
S = Order.Status


def at(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def shop(db):
    """March 2026 (Mon 2 .. Sun 8 is one week). Customers:
    - ann: first order in February (before the period), two orders in the period -> returning, repurchase
    - bob: first order ever on 2 March 00:05 Shanghai (1 March 16:05 UTC) -> new, one order
    - cat: first order on 8 March 23:59 Shanghai (inside), a second on 9 March 00:01 (outside)
    - dan: only a pending and a cancelled order in the period -> not a customer of the period
    - eve: an order delivered 3 March, returned and refunded 10 March (the refund is in a later period)
    """
    tmall = ChannelFactory(code="tmall", name="Tmall")
    jd = ChannelFactory(code="jd", name="JD")
    a = SKUFactory(code="A", unit_cost=D("40.00"))
    b = SKUFactory(code="B", unit_cost=D("10.00"))
    c = {n: CustomerFactory(channel=tmall, external_id=n) for n in ("ann", "bob", "cat", "dan")}
    c["eve"] = CustomerFactory(channel=jd, external_id="eve")

    def order(customer, when, status, lines, **kw):
        return order_with_lines(
            channel=customer.channel, customer=customer, placed_at=when, status=status, lines=lines, **kw
        )

    order(c["ann"], at(2026, 2, 10), S.DELIVERED, [(a, 1, D("100.00"), D("0"))])
    order(c["ann"], at(2026, 3, 3), S.DELIVERED, [(a, 2, D("100.00"), D("0"))], shipped_at=at(2026, 3, 4))
    order(c["ann"], at(2026, 3, 6), S.PAID, [(b, 3, D("30.00"), D("0"))], shipping_fee=D("6.00"))
    order(c["bob"], datetime(2026, 3, 1, 16, 5, tzinfo=ZoneInfo("UTC")), S.PAID, [(b, 1, D("50.00"), D("0"))])
    order(
        c["cat"], at(2026, 3, 8, 23, 59), S.SHIPPED, [(a, 1, D("80.00"), D("0"))], shipped_at=at(2026, 3, 9)
    )
    order(c["cat"], at(2026, 3, 9, 0, 1), S.PAID, [(a, 1, D("80.00"), D("0"))])
    order(c["dan"], at(2026, 3, 4), S.PENDING, [(a, 5, D("100.00"), D("0"))])
    order(c["dan"], at(2026, 3, 5), S.CANCELLED, [(a, 5, D("100.00"), D("0"))])
    order(
        c["eve"],
        at(2026, 3, 3),
        S.REFUNDED,
        [(a, 1, D("120.00"), D("0")), (b, 2, D("15.00"), D("0"))],
        shipped_at=at(2026, 3, 3, 18),
        closed_at=at(2026, 3, 10),
        refund_amount=D("150.00"),
    )
    # a return shipped and closed inside the week: 1 unit returned, 1 shipped
    order(
        c["eve"],
        at(2026, 2, 20),
        S.RETURNED,
        [(b, 1, D("40.00"), D("0"))],
        shipped_at=at(2026, 3, 2, 9),
        closed_at=at(2026, 3, 7),
        refund_amount=D("40.00"),
    )
    order_facts_rebuild(start=date(2026, 1, 1), end=date(2026, 4, 1))
    return {"tmall": tmall, "jd": jd}


WEEK = (date(2026, 3, 2), date(2026, 3, 9))


def test_the_week_s_kpis_exactly(shop):
    k = kpis.kpi_totals(start=WEEK[0], end=WEEK[1])
    # counted: ann 3/3 (200) and 3/6 (96), bob 3/2 (50), cat 3/8 (80), eve 3/3 (150) -> 5 orders
    assert k["orders"] == 5
    assert k["units"] == 2 + 3 + 1 + 1 + 3
    assert k["gmv"] == D("576.00")
    assert k["aov"] == D("115.20")
    # eve's 150 refund is dated 10 March (next week); her earlier order's 40 was refunded on 7 March
    assert k["refunds"] == D("40.00")
    assert k["net_sales"] == D("536.00")
    assert (k["customers"], k["new_customers"], k["returning_customers"]) == (4, 2, 2)  # new: bob, cat
    assert k["returning_rate"] == D("0.5000")
    assert k["repurchase_rate"] == D("0.2500")  # only ann has two orders in the week
    # cost of goods of the counted lines: ann 80 + 30, bob 10, cat 40, eve 40 + 20 = 220
    assert k["gross_margin"] == D("0.5896")  # (536 - 220) / 536 = 0.58955…
    # shipped in the week: ann 2 (4 Mar), eve 3 (3 Mar), eve's returned order 1 (2 Mar) = 6; returned: 1
    assert k["return_rate"] == D("0.1667")
    # placed in the week: 5 counted + dan's pending + dan's cancelled = 7
    assert k["cancel_rate"] == D("0.1429")
    assert kpis.kpi_totals_direct(start=WEEK[0], end=WEEK[1]) == k
    assert order_facts_check(start=date(2026, 1, 1), end=date(2026, 4, 1)) == []


def test_the_refund_lands_in_the_later_week_and_midnight_belongs_to_the_local_day(shop):
    later = kpis.kpi_totals(start=date(2026, 3, 9), end=date(2026, 3, 16))
    assert later["refunds"] == D("150.00") and later["orders"] == 1  # cat's 00:01 order of 9 March
    assert later["new_customers"] == 0 and later["customers"] == 1  # cat's first order was on 8 March
    one_day = kpis.kpi_totals(start=date(2026, 3, 2), end=date(2026, 3, 3))
    assert (one_day["orders"], one_day["gmv"], one_day["new_customers"]) == (1, D("50.00"), 1)  # bob, 00:05
    assert kpis.kpi_totals(start=date(2026, 3, 1), end=date(2026, 3, 2))["orders"] == 0


def test_a_channel_filter_and_empty_periods(shop):
    jd = kpis.kpi_totals(start=WEEK[0], end=WEEK[1], channel_id=shop["jd"].pk)
    assert (jd["orders"], jd["gmv"], jd["customers"], jd["returning_customers"]) == (1, D("150.00"), 1, 1)
    assert kpis.kpi_totals_direct(start=WEEK[0], end=WEEK[1], channel_id=shop["jd"].pk) == jd
    empty = kpis.kpi_totals(start=date(2025, 1, 1), end=date(2025, 1, 8))
    assert empty["orders"] == 0 and empty["aov"] is None and empty["gross_margin"] is None
    assert empty["gmv"] == D("0.00") and empty["repurchase_rate"] is None


def test_series_by_day_week_and_month(shop):
    days = kpis.kpi_series(start=WEEK[0], end=WEEK[1], granularity="day")
    assert [d["period_start"] for d in days] == [date(2026, 3, n) for n in range(2, 9)]
    assert [d["orders"] for d in days] == [1, 2, 0, 0, 1, 0, 1]
    assert sum(d["gmv"] for d in days) == D("576.00")
    weeks = kpis.kpi_series(start=date(2026, 3, 4), end=date(2026, 3, 16), granularity="week")
    assert [w["period_start"] for w in weeks] == [date(2026, 3, 4), date(2026, 3, 9)]  # cut to the span
    # 4..8 March: ann (3/6), cat (3/8): 2 customers, 1 new (cat), nobody with two orders
    assert (weeks[0]["orders"], weeks[0]["customers"], weeks[0]["new_customers"]) == (2, 2, 1)
    assert weeks[0]["repurchase_rate"] == D("0.0000")
    assert weeks[0] == {
        "period_start": date(2026, 3, 4),
        **kpis.kpi_totals_direct(start=date(2026, 3, 4), end=date(2026, 3, 9)),
    }
    months = kpis.kpi_series(start=date(2026, 2, 1), end=date(2026, 4, 1), granularity="month")
    assert [m["period_start"] for m in months] == [date(2026, 2, 1), date(2026, 3, 1)]
    march = kpis.kpi_totals_direct(start=date(2026, 3, 1), end=date(2026, 4, 1))
    assert months[1] == {"period_start": date(2026, 3, 1), **march}
    assert march["repurchase_rate"] == D("0.5000")  # ann and cat both ordered twice in March


def test_compare_with_the_previous_period_and_last_year(shop):
    result = kpis.kpi_compare(start=WEEK[0], end=WEEK[1])
    assert (result["previous_start"], result["previous_end"]) == (date(2026, 2, 23), date(2026, 3, 2))
    assert (result["last_year_start"], result["last_year_end"]) == (date(2025, 3, 2), date(2025, 3, 9))
    assert result["current"]["orders"] == 5 and result["previous"]["orders"] == 0
    assert kpis.change(D("110"), D("100")) == D("0.1000") and kpis.change(5, 0) is None


def test_category_sales_and_daily_values(shop):
    rows = kpis.category_sales(start=WEEK[0], end=WEEK[1])
    assert sum(r["revenue"] for r in rows) == D("570.00")  # line revenue, without the 6.00 shipping
    gmv = kpis.daily_values(metric="gmv", start=WEEK[0], end=WEEK[1])
    assert gmv[date(2026, 3, 3)] == D("350.00") and gmv[date(2026, 3, 4)] == D("0.00") and len(gmv) == 7


def test_the_check_command_finds_and_repairs_a_difference(shop):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from orders.models import OrderDayFact

    out = StringIO()
    call_command("check_kpi_rollups", "--start", "2026-02-01", "--end", "2026-04-01", stdout=out)
    assert "equal the direct computation: 8 orders, GMV 796.00, 4 customers" in out.getvalue()
    OrderDayFact.objects.filter(date=date(2026, 3, 3), channel=shop["jd"]).update(gmv=D("1.00"))
    with pytest.raises(CommandError, match=r"5 difference\(s\)"):
        call_command(
            "check_kpi_rollups", "--start", "2026-02-01", "--end", "2026-04-01", "--rebuild", stdout=out
        )
    assert (
        "day 2026-03-03 channel" in out.getvalue()
        and "KPI gmv: rollups 647.00, direct 796.00" in out.getvalue()
    )
    call_command("check_kpi_rollups", "--start", "2026-02-01", "--end", "2026-04-01", stdout=StringIO())
