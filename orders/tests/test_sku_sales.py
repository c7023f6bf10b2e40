"""sku_daily_sales: the sales panel of catalog's SKU page (settings.SHOPOPS_SKU_SALES_SELECTOR)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from catalog.tests.factories import SKUFactory
from orders import selectors
from orders.models import Order
from orders.tests.factories import order_with_lines

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_daily_units_and_revenue_of_counted_orders():
    """Three shop-local days up to 10 March: 8, 9 and 10 March, zeros included."""
    sku, other = SKUFactory(), SKUFactory()
    line = (sku, 2, D("49.50"), D("1.00"))  # 2 x 49.50 - 1.00 = 98.00
    order_with_lines(lines=[line, (other, 5, D("10.00"), D("0"))], placed_at=at(2026, 3, 8, 0, 0))
    order_with_lines(lines=[line], placed_at=at(2026, 3, 10, 23, 59), status=Order.Status.DELIVERED)
    order_with_lines(  # in US dollars: 19.00 x 7.1 = 134.90
        lines=[(sku, 2, D("10.00"), D("1.00"))],
        placed_at=at(2026, 3, 10, 9, 0),
        currency="USD",
        exchange_rate=D("7.1"),
    )
    order_with_lines(lines=[line], placed_at=at(2026, 3, 7, 23, 59))  # the day before
    order_with_lines(lines=[line], placed_at=at(2026, 3, 11, 0, 0))  # after today
    order_with_lines(lines=[line], placed_at=at(2026, 3, 9, 12, 0), status=Order.Status.PENDING)
    order_with_lines(lines=[line], placed_at=at(2026, 3, 9, 12, 0), status=Order.Status.CANCELLED)
    order_with_lines(lines=[line], placed_at=at(2026, 3, 9, 13, 0), status=Order.Status.REFUNDED)
    assert selectors.sku_daily_sales(sku.pk, days=3, today=date(2026, 3, 10)) == [
        {"day": date(2026, 3, 8), "units": 2, "revenue": D("98.00")},
        {"day": date(2026, 3, 9), "units": 2, "revenue": D("98.00")},  # refunded still counts as a sale
        {"day": date(2026, 3, 10), "units": 4, "revenue": D("232.90")},
    ]


@pytest.mark.django_db
def test_no_sales_is_a_row_of_zeros():
    rows = selectors.sku_daily_sales(SKUFactory().pk, days=90, today=date(2026, 3, 10))
    assert len(rows) == 90
    assert rows[0] == {"day": date(2025, 12, 11), "units": 0, "revenue": D("0.00")}
    assert rows[-1]["day"] == date(2026, 3, 10)


def test_the_setting_names_it():
    assert import_string(settings.SHOPOPS_SKU_SALES_SELECTOR) is selectors.sku_daily_sales
