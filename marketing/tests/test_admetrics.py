"""marketing.admetrics: CTR, CPC, CVR, ROI, CAC with the domain bands, and the 70/15/15 weighted ROI."""

from decimal import Decimal

import pytest

from marketing import admetrics
from marketing.admetrics import AdTotals

D = Decimal


def test_metrics_worked_example():
    # 50,000 impressions, 1,250 clicks, ¥1,875.00 spent, 50 orders, ¥7,500.00 revenue, 30 new customers
    t = AdTotals(
        impressions=50000, clicks=1250, spend=D("1875.00"), orders=50, revenue=D("7500.00"), new_customers=30
    )
    assert admetrics.metrics(t) == {
        "ctr": D("0.0250"),  # 2.5 %
        "cpc": D("1.50"),
        "cvr": D("0.0400"),  # 4 %
        "roi": D("4.0000"),
        "cac": D("62.50"),
    }
    assert admetrics.out_of_band(admetrics.metrics(t)) == []


def test_rounding_is_half_up():
    # 1 / 3 clicks -> CPC 0.333.. -> 0.33; 2 / 3 -> 0.67; CTR 1 / 8 = 0.125 exactly; 1/30000 -> 0.0000
    assert admetrics.cpc(AdTotals(clicks=3, spend=D("1.00"))) == D("0.33")
    assert admetrics.cpc(AdTotals(clicks=3, spend=D("2.00"))) == D("0.67")
    assert admetrics.cpc(AdTotals(clicks=8, spend=D("0.20"))) == D("0.03")  # 0.025 -> 0.03 (half up)
    assert admetrics.ctr(AdTotals(impressions=20000, clicks=1)) == D("0.0001")  # 0.00005 -> 0.0001
    assert admetrics.ctr(AdTotals(impressions=30000, clicks=1)) == D("0.0000")


def test_zero_denominators_give_none_and_no_flag():
    t = AdTotals()
    assert admetrics.metrics(t) == {"ctr": None, "cpc": None, "cvr": None, "roi": None, "cac": None}
    assert admetrics.flags(admetrics.metrics(t)) == {"ctr": None, "cpc": None, "cvr": None, "roi": None}


@pytest.mark.parametrize(
    ("metric", "value", "flag"),
    [
        ("ctr", D("0.0199"), "low"),
        ("ctr", D("0.0200"), None),
        ("ctr", D("0.0500"), None),
        ("ctr", D("0.0501"), "high"),
        ("cpc", D("0.49"), "low"),
        ("cpc", D("0.50"), None),
        ("cpc", D("3.00"), None),
        ("cpc", D("3.01"), "high"),
        ("cvr", D("0.0299"), "low"),
        ("cvr", D("0.1000"), None),
        ("cvr", D("0.1001"), "high"),
        ("roi", D("2.9999"), "low"),
        ("roi", D("3.0000"), None),
        ("roi", D("40"), None),  # no upper bound
        ("cac", D("999"), None),  # no band
    ],
)
def test_band_edges_are_inside(metric, value, flag):
    assert admetrics.band_flag(metric, value) == flag


def test_weighted_roi_70_15_15():
    # spend 1,000: revenue 2,500 (direct 2.5), brand value 400 (brand 0.4), 20 new × ¥150 (asset 3.0)
    t = AdTotals(spend=D("1000.00"), revenue=D("2500.00"), brand_value=D("400.00"), new_customers=20)
    parts = admetrics.weighted_roi(t, customer_value=D("150.00"))
    # 0.70 × 2.5 + 0.15 × 0.4 + 0.15 × 3.0 = 1.75 + 0.06 + 0.45 = 2.26
    assert parts == {
        "direct": D("2.5000"),
        "brand": D("0.4000"),
        "asset": D("3.0000"),
        "weighted": D("2.2600"),
    }


def test_weighted_roi_without_spend_is_none():
    assert admetrics.weighted_roi(AdTotals(revenue=D("10")), customer_value=D("1"))["weighted"] is None


def test_totals_add_and_of():
    a = AdTotals.of({"impressions": 10, "clicks": 2, "spend": "1.50", "revenue": None})
    b = AdTotals.of({"impressions": 5, "clicks": 1, "spend": D("0.50"), "orders": 1, "brand_value": "2"})
    assert a + b == AdTotals(
        impressions=15, clicks=3, spend=D("2.00"), orders=1, revenue=D("0"), brand_value=D("2")
    )
