"""Promotion results: GMV, margin, discount and gift cost in scope, the two baselines, uplift and ROI, the
nightly task's idempotence, and the results pages."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from inventory.models import SKUForecast
from marketing.models import AdMetricDay, Campaign, Promotion, PromotionResult, Redemption
from marketing.services.results import promotion_results_build
from marketing.tasks.campaigns import promotion_results_build as promotion_results_task
from orders.models import Order
from orders.tests.factories import ChannelFactory, order_with_lines
from shopops.common.models import JobRun

pytestmark = pytest.mark.django_db
D = Decimal
BUSINESS_DATE = date(2026, 6, 5)


def at(y, m, d, h=12):
    return timezone.make_aware(datetime(y, m, d, h))


@pytest.fixture
def shop():
    """SKU A (¥100, cost ¥40) in scope, B out of scope. Baseline weeks (4 May - 31 May): one unit of A each
    Monday (¥100 a Monday) and two units on Tuesday 26 May (¥200 over four Tuesdays: ¥50 a Tuesday).
    The promotion runs Monday 1 June and Tuesday 2 June."""
    channel = ChannelFactory(code="tmall")
    a = SKUFactory(code="A", unit_cost=D("40.00"), list_price=D("100.00"))
    b = SKUFactory(code="B", unit_cost=D("50.00"), list_price=D("100.00"))
    g = SKUFactory(code="GIFT", unit_cost=D("15.00"), list_price=D("30.00"))
    for day in (4, 11, 18, 25):
        order_with_lines(lines=[(a, 1, D("100.00"), D("0"))], channel=channel, placed_at=at(2026, 5, day))
    order_with_lines(lines=[(a, 2, D("100.00"), D("0"))], channel=channel, placed_at=at(2026, 5, 26))
    order_with_lines(
        lines=[(a, 9, D("100.00"), D("0"))], channel=channel, placed_at=at(2026, 5, 3)
    )  # too early
    # 1 June: 3 × A with ¥30 off, 1 × B, ¥20 order discount (A's share 20 × 270 / 370), a free gift
    o1 = order_with_lines(
        lines=[(a, 3, D("100.00"), D("30.00")), (b, 1, D("100.00"), D("0")), (g, 1, D("0.00"), D("0"))],
        order_discount=D("20.00"),
        channel=channel,
        placed_at=at(2026, 6, 1),
    )
    o2 = order_with_lines(lines=[(a, 1, D("100.00"), D("10.00"))], channel=channel, placed_at=at(2026, 6, 2))
    order_with_lines(
        lines=[(a, 5, D("100.00"), D("0"))],
        channel=channel,
        placed_at=at(2026, 6, 2),
        status=Order.Status.CANCELLED,
    )
    late = order_with_lines(lines=[(a, 7, D("100.00"), D("0"))], channel=channel, placed_at=at(2026, 6, 3))
    return {"a": a, "b": b, "g": g, "o1": o1, "o2": o2, "late": late, "channel": channel}


def promo(code, **kw):
    defaults = {
        "name": code,
        "kind": Promotion.Kind.PERCENT_OFF,
        "params": {"percent": "10"},
        "scope": {"skus": ["A"]},
        "starts_at": timezone.make_aware(datetime(2026, 6, 1)),
        "ends_at": timezone.make_aware(datetime(2026, 6, 3)),
    }
    return Promotion.objects.create(code=code, **{**defaults, **kw})


def test_history_baseline_uplift_and_roi(shop):
    p = promo("P")
    assert promotion_results_build(business_date=BUSINESS_DATE) == {"promotions": 1, "skipped": 0}
    r = PromotionResult.objects.get(promotion=p)
    # A on 1 June: 270 - 14.5946 = 255.4054; on 2 June: 90 -> GMV 345.41; cost 4 × 40 = 160
    assert (r.orders, r.redemptions) == (2, 0)
    assert r.gmv == D("345.41")
    assert r.margin == D("185.41")
    # no redemptions: the in-scope discounts, 30 + 14.59 + 10
    assert r.discount_cost == D("54.59")
    assert r.gift_cost == D("0.00")
    # baseline: Monday ¥100 (margin 60) + Tuesday ¥50 (margin 30)
    assert (r.baseline_gmv, r.baseline_margin) == (D("150.00"), D("90.00"))
    assert r.uplift == D("1.3027")
    assert r.roi == D("1.7475")  # (185.4054 - 90) / 54.5946
    assert r.detail["baseline_method"] == "history"
    assert r.detail["baseline_from"] == "2026-05-04"
    assert r.detail["window"] == ["2026-06-01", "2026-06-02"]
    assert r.detail["daily"] == [
        {"day": "2026-06-01", "gmv": "255.41", "margin": "135.41", "orders": 1, "baseline_gmv": "100.00"},
        {"day": "2026-06-02", "gmv": "90.00", "margin": "50.00", "orders": 1, "baseline_gmv": "50.00"},
    ]


def test_campaign_cost_is_split_over_its_promotions(shop):
    campaign = Campaign.objects.create(
        code="C",
        name="C",
        kind=Campaign.Kind.SHOP_EVENT,
        starts_on=date(2026, 6, 1),
        ends_on=date(2026, 6, 2),
        other_cost=D("100.00"),
    )
    AdMetricDay.objects.create(
        campaign=campaign, channel=shop["channel"], day=date(2026, 6, 1), spend=D("50.00")
    )
    AdMetricDay.objects.create(
        campaign=campaign, channel=shop["channel"], day=date(2026, 6, 6), spend=D("999")
    )
    p = promo("P", campaign=campaign)
    promo("OTHER", campaign=campaign, active=False)
    promotion_results_build(business_date=BUSINESS_DATE)
    r = PromotionResult.objects.get(promotion=p)
    assert r.detail["campaign_cost"] == "75.00"  # (50 + 100) / 2 promotions; the 6 June spend is later
    assert r.roi == D("0.7362")  # 95.4054 / (54.5946 + 75)


def member_promo(code="M"):
    return promo(code, kind=Promotion.Kind.MEMBER_PRICE, params={"tiers": {"gold": "10"}})


def test_forecast_baseline_for_a_promotion_outside_the_forecast_calendar(shop):
    m = member_promo()  # member prices are not in the forecast's promotion calendar
    SKUForecast.objects.create(
        sku=shop["a"], business_date=date(2026, 5, 31), model="ets", daily=[2.0, 1.0, 5.0]
    )
    promotion_results_build(business_date=BUSINESS_DATE)
    r = PromotionResult.objects.get(promotion=m)
    assert r.detail["baseline_method"] == "forecast"
    assert r.detail["baseline_from"] == "2026-05-31"
    # 2 + 1 units forecast × ¥100 value (margin ¥60) per unit sold in the 28 days before
    assert (r.baseline_gmv, r.baseline_margin) == (D("300.00"), D("180.00"))
    assert (r.gmv, r.margin, r.discount_cost) == (D("345.41"), D("185.41"), D("54.59"))
    assert r.uplift == D("0.1514")
    assert r.roi == D("0.0990")  # (185.4054 - 180) / 54.5946


def test_forecast_not_covering_the_window_falls_back_to_history(shop):
    m = member_promo()
    SKUForecast.objects.create(sku=shop["a"], business_date=date(2026, 5, 31), model="ets", daily=[2.0])
    promotion_results_build(business_date=BUSINESS_DATE)
    assert PromotionResult.objects.get(promotion=m).detail["baseline_method"] == "history"


def test_coupon_promotion_counts_the_redeeming_orders_against_their_customers(shop):
    q = promo("Q", coupon_required=True)
    SKUForecast.objects.create(sku=shop["a"], business_date=date(2026, 5, 31), model="ets", daily=[2.0, 1.0])
    buyer = shop["o1"].customer
    # the coupon user's own purchase in the baseline weeks: 1 × A on Monday 25 May (¥25 a Monday, margin 15)
    order_with_lines(
        lines=[(shop["a"], 1, D("100.00"), D("0"))],
        channel=shop["channel"],
        customer=buyer,
        placed_at=at(2026, 5, 25),
    )
    Redemption.objects.create(promotion=q, order=shop["o1"], discount=D("25.00"))
    Redemption.objects.create(
        promotion=q, order=shop["o2"], discount=D("9.00"), status=Redemption.Status.REFUSED
    )
    # an order placed after the promotion's window does not count, whenever it was recorded
    Redemption.objects.create(promotion=q, order=shop["late"], discount=D("7.00"))
    promotion_results_build(business_date=BUSINESS_DATE)
    r = PromotionResult.objects.get(promotion=q)
    assert r.detail["baseline_method"] == "history"  # never the SKU forecast for a coupon
    assert (r.orders, r.redemptions, r.discount_cost) == (1, 1, D("25.00"))
    assert (r.gmv, r.margin) == (D("255.41"), D("135.41"))  # o1's A line only
    assert (r.baseline_gmv, r.baseline_margin) == (D("25.00"), D("15.00"))
    assert r.uplift == D("9.2162")
    assert r.roi == D("4.8162")  # (135.4054 - 15) / 25


def test_promotion_in_the_forecast_calendar_never_uses_the_forecast(shop):
    p = promo("P")  # not coupon-only: the forecast got it with its lift
    SKUForecast.objects.create(sku=shop["a"], business_date=date(2026, 5, 31), model="ets", daily=[2.0, 1.0])
    promotion_results_build(business_date=BUSINESS_DATE)
    assert PromotionResult.objects.get(promotion=p).detail["baseline_method"] == "history"


def test_gift_cost(shop):
    p = promo(
        "GIFT-P", kind=Promotion.Kind.GIFT, params={"threshold": "199", "gift_sku": "GIFT", "quantity": 1}
    )
    promotion_results_build(business_date=BUSINESS_DATE)
    assert PromotionResult.objects.get(promotion=p).gift_cost == D("15.00")


def test_running_promotion_is_measured_up_to_the_business_date(shop):
    p = promo("RUN", ends_at=timezone.make_aware(datetime(2026, 6, 30)))
    promotion_results_build(business_date=date(2026, 6, 1))
    r = PromotionResult.objects.get(promotion=p)
    assert r.detail["window"] == ["2026-06-01", "2026-06-01"]
    assert r.gmv == D("255.41") and r.orders == 1


def test_which_promotions_are_measured(shop):
    promo(
        "OLD",
        starts_at=timezone.make_aware(datetime(2026, 4, 1)),
        ends_at=timezone.make_aware(datetime(2026, 5, 6)),
    )
    promo(
        "LATER",
        starts_at=timezone.make_aware(datetime(2026, 6, 6)),
        ends_at=timezone.make_aware(datetime(2026, 6, 9)),
    )
    promo("DRAFT", active=False)
    promo("GONE", scope={"skus": ["NOPE"]})
    promo(
        "RECENT",
        starts_at=timezone.make_aware(datetime(2026, 5, 1)),
        ends_at=timezone.make_aware(datetime(2026, 5, 8)),
    )
    assert promotion_results_build(business_date=BUSINESS_DATE) == {"promotions": 1, "skipped": 1}
    assert list(PromotionResult.objects.values_list("promotion__code", flat=True)) == ["RECENT"]


def test_task_is_idempotent(shop):
    p = promo("P")
    promotion_results_task("2026-06-05")
    first = PromotionResult.objects.get(promotion=p)
    promotion_results_task("2026-06-05")
    again = PromotionResult.objects.get(promotion=p)
    assert PromotionResult.objects.count() == 1
    assert (again.gmv, again.margin, again.roi, again.detail["daily"]) == (
        first.gmv,
        first.margin,
        first.roi,
        first.detail["daily"],
    )
    run = JobRun.objects.get(job="marketing.promotion_results_build", business_date=date(2026, 6, 5))
    assert (run.status, run.runs, run.detail["promotions"]) == ("succeeded", 2, 1)


def test_results_pages(shop, client_for):
    promo("P")
    promo("NORESULT", starts_at=timezone.make_aware(datetime(2026, 7, 1)), ends_at=None)
    promotion_results_build(business_date=BUSINESS_DATE)
    client = client_for("manager")
    html = client.get(reverse("marketing:promotion-results")).content.decode()
    assert 'data-promotion="P"' in html and "¥345.41" in html and "+130.3%" in html
    html = client.get(reverse("marketing:promotion-result", args=["P"])).content.decode()
    assert "weekday-matched average of the 28 days before the start" in html
    assert 'data-figure="result-daily"' in html and "1.75" in html
    html = client.get(reverse("marketing:promotion-result", args=["NORESULT"])).content.decode()
    assert 'data-testid="no-result"' in html
    assert client.get(reverse("marketing:promotion-result", args=["NOPE"])).status_code == 404
    response = client.get(reverse("marketing:promotion-results"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert body[1].startswith(
        "P,P,Percent off,2,0,54.59,0.00,345.41,185.41,150.00,90.00,1.3027,1.7475,history"
    )
    assert client_for("finance").get(reverse("marketing:promotion-results")).status_code == 403
