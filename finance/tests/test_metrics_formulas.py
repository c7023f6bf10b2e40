"""The working-capital formulas on plain numbers (no database)."""

from decimal import Decimal as D

from finance import metrics


def test_days_outstanding_is_outstanding_over_the_window_flow_times_days():
    # 12,345.67 outstanding on 100,000.00 of sales in 90 days: 11.11101 days -> 11.1
    assert metrics.days_outstanding(D("12345.67"), D("100000.00")) == D("11.1")
    assert metrics.days_outstanding(D("500.00"), D("3000.00")) == D("15.0")
    assert metrics.days_outstanding(D("1.00"), D("0.00")) is None
    assert metrics.days_outstanding(D("0.00"), D("10.00")) == D("0.0")


def test_ccc_adds_inventory_and_receivable_days_and_subtracts_payable_days():
    assert metrics.cash_conversion_cycle(D("45.2"), D("15.0"), D("30.5")) == D("29.7")
    assert metrics.cash_conversion_cycle(None, D("15.0"), D("30.5")) is None
    assert metrics.cash_conversion_cycle(D("1"), D("1"), None) is None


def test_weekly_burn_runway_and_cushion():
    # 8 weeks lost 40,000.04 net: burn 5,000.01 a week (half-up to the cent).
    assert metrics.weekly_net_burn(D("-40000.04")) == D("5000.01")
    assert metrics.weekly_net_burn(D("8000.00")) == D("-1000.00")
    # 100,000 / (5,000 x 52 / 12) = 4.615... months
    assert metrics.runway_months(D("100000.00"), D("5000.00")) == D("4.6")
    assert metrics.runway_months(D("100000.00"), D("0.00")) is None
    assert metrics.runway_months(D("-5.00"), D("10.00")) == D("0.0")
    assert metrics.runway_months(D("100000.00"), D("-1000.00")) is None
    assert metrics.cushion_months(D("75000.00"), D("20000.00")) == D("3.8")
    assert metrics.cushion_months(D("75000.00"), D("0.00")) is None


def test_gross_margin_shares_and_top_supplier():
    assert metrics.gross_margin(D("1000.00"), D("600.00")) == D("0.4000")
    assert metrics.gross_margin(D("300.00"), D("200.00")) == D("0.3333")
    assert metrics.gross_margin(D("0.00"), D("0.00")) is None
    assert metrics.share(D("1.00"), D("3.00")) == D("0.3333")
    assert metrics.months_of(D("-5000.00"), D("10000.00")) == D("-0.5000")
    assert metrics.top_share({"b": D("300"), "a": D("300"), "c": D("400")}) == ("c", D("0.4000"))
    assert metrics.top_share({"b": D("1"), "a": D("1")}) == ("a", D("0.5000"))
    assert metrics.top_share({}) == ("", None)
