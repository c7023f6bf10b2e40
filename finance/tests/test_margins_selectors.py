"""Contribution margin per SKU and channel from the database, on a worked example, to the cent."""

from datetime import date
from decimal import Decimal

import pytest

from finance.selectors import margins as selectors
from finance.tests import factories_margins as f
from orders.models import Order

pytestmark = pytest.mark.django_db
D = Decimal
START, END = date(2026, 3, 1), date(2026, 4, 1)


@pytest.fixture
def example():
    """The worked example, March 2026 (logistics 6.00 per shipped order):

    Channels: tmall (commission 5 %, payment fee 0.6 %), jd (8 %, 1 %). SKUs X (unit cost 40), Y (25).
    Order 1, tmall, shipped: X 2 x 100.00, Y 1 x 50.00, order discount 10.00, refund 30.00.
        discount by net 200:50 -> 8.00 / 2.00; revenue X 192.00, Y 48.00
        refund 30.00 by revenue -> 24.00 / 6.00; logistics 6.00 -> 4.80 / 1.20
    Order 2, jd, shipped: X 1 x 100.00 - line discount 5.00 = 95.00, Y 3 x 33.33 = 99.99.
        logistics 6.00 by 95.00:99.99 -> 2.923 / 3.077 -> 2.92 / 3.08 (largest remainder)
    Not counted: a cancelled tmall order; outside the period: a tmall order of 1 April.
    Compensation 10.00 on order 1 (no SKU) -> by revenue 192:48 -> X 8.00, Y 2.00 on tmall.
    Compensation 15.00 for SKU Y, no order -> jd, where Y sold most (99.99 > 48.00).
    Compensation 7.00 with neither -> unallocated. A pending compensation counts for nothing.
    Ad spend 24.00 on tmall for every SKU -> by revenue 192:48 -> X 19.20, Y 4.80.

    X tmall: 192.00 - cogs 80.00 - commission 9.60 - fee 1.15 (1.152) - logistics 4.80 - refunds 24.00
             - compensation 8.00 - ads 19.20 = 45.25 (margin 23.57 %)
    Y tmall: 48.00 - 25.00 - 2.40 - 0.29 (0.288) - 1.20 - 6.00 - 2.00 - 4.80 = 6.31 (13.15 %)
    X jd:    95.00 - 40.00 - 7.60 - 0.95 - 2.92 = 43.53 (45.82 %)
    Y jd:    99.99 - 75.00 - 8.00 (7.9992) - 1.00 (0.9999) - 3.08 - compensation 15.00 = -2.09 (-2.09 %)
             loss-making; its largest driver is its cost of goods (75 % of revenue against 50.6 % overall)
    Totals: revenue 434.99, contribution 93.00; unallocated compensation 7.00.
    """
    f.logistics_per_order("6.00")
    tmall, jd = f.channel("tmall", "0.0500", "0.0060"), f.channel("jd", "0.0800", "0.0100")
    x, y = f.sku("X", "40.00"), f.sku("Y", "25.00")
    o1 = f.order(
        channel=tmall,
        lines=[(x, 2, "100.00", "0.00"), (y, 1, "50.00", "0.00")],
        order_discount="10.00",
        refund="30.00",
        placed=f.shop_time(2026, 3, 10),
    )
    f.order(
        channel=jd,
        lines=[(x, 1, "100.00", "5.00"), (y, 3, "33.33", "0.00")],
        placed=f.shop_time(2026, 3, 31, 23),
    )
    cancelled = f.order(channel=tmall, lines=[(x, 5, "100.00", "0.00")], placed=f.shop_time(2026, 3, 12))
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)
    f.order(channel=tmall, lines=[(x, 1, "100.00", "0.00")], placed=f.shop_time(2026, 4, 1, 0))
    f.compensation(amount="10.00", order=o1, decided=f.shop_time(2026, 3, 11))
    f.compensation(amount="15.00", sku=y, decided=f.shop_time(2026, 3, 20))
    f.compensation(amount="7.00", decided=f.shop_time(2026, 3, 21))
    f.compensation(amount="99.00", sku=x, decided=f.shop_time(2026, 3, 21), status="pending")
    f.ad_day(channel=tmall, day=date(2026, 3, 10), spend="24.00")
    f.ad_day(channel=tmall, day=date(2026, 4, 1), spend="500.00", code="april")
    return {"tmall": tmall, "jd": jd, "x": x, "y": y}


def _rows(report):
    return {(r.extra["sku_code"], r.extra["channel_code"]): r for r in report.rows}


def test_worked_example_to_the_cent(example):
    report = selectors.margin_report(start=START, end=END)
    rows = _rows(report)
    assert set(rows) == {("X", "tmall"), ("Y", "tmall"), ("X", "jd"), ("Y", "jd")}
    expected = {
        # revenue, cogs, commission, fee, logistics, refunds, compensation, ads, contribution, margin
        ("X", "tmall"): (
            "192.00",
            "80.00",
            "9.60",
            "1.15",
            "4.80",
            "24.00",
            "8.00",
            "19.20",
            "45.25",
            "0.2357",
        ),
        ("Y", "tmall"): ("48.00", "25.00", "2.40", "0.29", "1.20", "6.00", "2.00", "4.80", "6.31", "0.1315"),
        ("X", "jd"): ("95.00", "40.00", "7.60", "0.95", "2.92", "0.00", "0.00", "0.00", "43.53", "0.4582"),
        ("Y", "jd"): ("99.99", "75.00", "8.00", "1.00", "3.08", "0.00", "15.00", "0.00", "-2.09", "-0.0209"),
    }
    for key, values in expected.items():
        r = rows[key]
        got = (
            r.revenue,
            r.cogs,
            r.commission,
            r.payment_fee,
            r.logistics,
            r.refunds,
            r.compensation,
            r.ad_spend,
            r.contribution,
            r.margin,
        )
        assert got == tuple(D(v) for v in values), key
    assert rows[("X", "tmall")].units == 2 and rows[("Y", "jd")].units == 3
    assert (report.totals.revenue, report.totals.contribution) == (D("434.99"), D("93.00"))
    assert report.totals.logistics == D("12.00") and report.totals.ad_spend == D("24.00")
    assert report.unallocated_compensation == D("7.00")
    assert report.contribution_after_unallocated == D("86.00")
    assert report.loss_count == 1 and report.loss_total == D("-2.09")
    assert rows[("Y", "jd")].driver == "cogs"
    assert [(r.extra["sku_code"], r.extra["channel_code"]) for r in report.rows][0] == (
        "Y",
        "jd",
    )  # worst first


def test_filters_and_sort(example):
    report = selectors.margin_report(start=START, end=END, channel="jd", sort="-contribution")
    assert [r.extra["sku_code"] for r in report.rows] == ["X", "Y"]
    assert report.totals.revenue == D("194.99")
    assert selectors.margin_report(start=START, end=END, loss_only=True).rows[0].extra["sku_code"] == "Y"
    category = example["x"].product.category.code
    assert {
        r.extra["sku_code"] for r in selectors.margin_report(start=START, end=END, category=category).rows
    } == {"X"}


def test_refund_heavy_sku_is_named_for_refunds(example):
    z = f.sku("Z", "30.00")
    f.order(
        channel=example["tmall"],
        lines=[(z, 2, "60.00", "0.00")],
        refund="60.00",
        placed=f.shop_time(2026, 3, 15),
    )
    rows = _rows(selectors.margin_report(start=START, end=END))
    z_row = rows[("Z", "tmall")]
    assert z_row.revenue == D("120.00") and z_row.refunds == D("60.00")
    assert z_row.contribution < 0
    assert z_row.driver == "refunds"


def test_sku_detail_per_channel_and_month(example):
    detail = selectors.sku_margin_detail(sku_id=example["y"].pk, start=date(2026, 2, 15), end=END)
    assert [r.extra["channel_code"] for r in detail["by_channel"]] == ["jd", "tmall"]
    assert detail["totals"].contribution == D("4.22")
    assert [(m.extra["start"], m.revenue) for m in detail["months"]] == [
        (date(2026, 2, 15), D("0.00")),
        (date(2026, 3, 1), D("147.99")),
    ]
