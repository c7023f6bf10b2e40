"""Budget vs actual: the actual spend per cost line of a month, the variance, and the budget services."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from finance.models import Budget
from finance.selectors import budget as selectors
from finance.services import budget as services
from finance.tests import factories_margins as f
from orders.models import Order

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = date(2026, 3, 1)


@pytest.fixture
def month_data():
    """March 2026:
    platform fees: tmall order total 200.00 at 5 % + 0.6 % = 10.00 + 1.20; jd order 99.99 at 8 % + 1 %
        = 8.00 (7.9992) + 1.00 (0.9999); a cancelled order counts nothing -> 20.20
    deposits: paid 500.00 (the 500.00 deposit returned is an inflow, ignored) -> 500.00
    promotion: ad spend 100.00 (revenue 350.00) + other cost 50.00 of a campaign starting in March
        (the February campaign's 70.00 is February's) -> 150.00, ROI 3.50
    staff: payroll 12,000.00; technology: software 300.50
    logistics: nothing booked in March -> estimated 6.00 x 2 orders shipped in March = 12.00
    April: logistics booked 800.00 -> 800.00, not estimated.
    """
    f.logistics_per_order("6.00")
    tmall, jd = f.channel("tmall", "0.0500", "0.0060"), f.channel("jd", "0.0800", "0.0100")
    x = f.sku("X", "40.00")
    f.order(channel=tmall, lines=[(x, 2, "100.00", "0.00")], placed=f.shop_time(2026, 3, 2))
    f.order(channel=jd, lines=[(x, 3, "33.33", "0.00")], placed=f.shop_time(2026, 3, 31, 23))
    cancelled = f.order(
        channel=tmall, lines=[(x, 9, "100.00", "0.00")], placed=f.shop_time(2026, 3, 5), shipped=False
    )
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)
    f.order(channel=tmall, lines=[(x, 1, "100.00", "0.00")], placed=f.shop_time(2026, 4, 1, 0))
    f.cash(booked_on=date(2026, 3, 5), amount="-500.00", category="deposit")
    f.cash(booked_on=date(2026, 3, 25), amount="500.00", category="deposit")
    f.cash(booked_on=date(2026, 3, 10), amount="-12000.00", category="payroll")
    f.cash(booked_on=date(2026, 2, 28), amount="-11000.00", category="payroll")
    f.cash(booked_on=date(2026, 3, 1), amount="-300.50", category="software")
    f.cash(booked_on=date(2026, 4, 3), amount="-800.00", category="logistics")
    f.ad_day(
        channel=tmall,
        day=date(2026, 3, 10),
        spend="100.00",
        revenue="350.00",
        code="feb",
        other_cost="70.00",
        starts_on=date(2026, 2, 20),
    )
    f.ad_day(channel=tmall, day=date(2026, 3, 12), spend="0.00", code="mar", other_cost="50.00")
    return {"tmall": tmall}


def test_actuals_per_line(month_data):
    march, april = selectors.budget_actuals(first=MARCH, months=2)
    assert march.amounts == {
        "platform_fees": D("20.20"),
        "deposits": D("500.00"),
        "promotion": D("150.00"),
        "staff": D("12000.00"),
        "logistics": D("12.00"),
        "technology": D("300.50"),
    }
    assert march.logistics_estimated and march.roi == D("3.50")
    assert april.amounts["logistics"] == D("800.00") and not april.logistics_estimated
    assert april.amounts["platform_fees"] == D("5.60")


def test_budget_vs_actual_variance(month_data):
    services.budget_set(MARCH, {"platform_fees": D("15.00"), "staff": D("15000.00")}, None)
    current, history = selectors.budget_vs_actual(month=date(2026, 3, 17))
    lines = {line.line: line for line in current.lines}
    fees = lines["platform_fees"]
    assert (fees.budget, fees.actual, fees.variance, fees.variance_pct, fees.over) == (
        D("15.00"),
        D("20.20"),
        D("5.20"),
        D("0.3467"),
        True,
    )
    staff = lines["staff"]
    assert (staff.variance, staff.variance_pct, staff.over) == (D("-3000.00"), D("-0.2000"), False)
    assert lines["deposits"].budget is None and lines["deposits"].variance is None
    assert current.budget_total == D("15015.00") and current.actual_total == D("12982.70")
    assert current.variance_total == D("-2032.30")
    assert [m.month for m in history] == [
        date(2025, 10, 1),
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
        MARCH,
    ]
    assert history[4].lines[3].actual == D("11000.00")  # February's payroll


def test_budget_set_validates_and_removes():
    with pytest.raises(ValidationError) as err:
        services.budget_set(date(2026, 3, 2), {"staff": D("1.00")}, None)
    assert "month" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.budget_set(MARCH, {"staff": D("-1.00"), "promotion": D("5.00"), "nope": D("1")}, None)
    assert set(err.value.message_dict) == {"staff", "nope"}
    assert not Budget.objects.exists()  # nothing written when anything is wrong
    services.budget_set(MARCH, {"staff": D("100.00"), "promotion": D("5.005")}, None)
    assert dict(Budget.objects.values_list("line", "amount")) == {
        "staff": D("100.00"),
        "promotion": D("5.01"),
    }
    services.budget_set(MARCH, {"staff": None}, None)
    assert list(Budget.objects.values_list("line", flat=True)) == ["promotion"]


def test_budget_copy():
    services.budget_set(
        MARCH, {"staff": D("100.00"), "promotion": D("50.00")}, None, notes={"staff": "two hires"}
    )
    services.budget_set(date(2026, 4, 1), {"staff": D("1.00"), "technology": D("9.00")}, None)
    assert services.budget_copy(MARCH, date(2026, 4, 1)) == 2
    april = {b.line: (b.amount, b.note) for b in Budget.objects.filter(month=date(2026, 4, 1))}
    assert april == {
        "staff": (D("100.00"), "two hires"),
        "promotion": (D("50.00"), ""),
        "technology": (D("9.00"), ""),
    }
    with pytest.raises(ValidationError):
        services.budget_copy(MARCH, MARCH)
