"""The calendar selectors: campaign calendar, budget burn, out-of-band campaigns, and the plain data the
nightly pipeline hands to the forecast (promotion_calendar_get) and the price recommendations
(promotions_soon)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from marketing.models import AdMetricDay, Campaign, Promotion
from marketing.selectors import campaigns as sel
from orders.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def aware(y, m, d, h=0):
    return timezone.make_aware(datetime(y, m, d, h))


def campaign(code, kind=Campaign.Kind.FESTIVAL, **kw):
    defaults = {"name": code, "starts_on": date(2026, 11, 1), "ends_on": date(2026, 11, 11)}
    return Campaign.objects.create(code=code, kind=kind, **{**defaults, **kw})


def promotion(code, starts_at, ends_at, **kw):
    defaults = {"name": f"Promo {code}", "kind": Promotion.Kind.PERCENT_OFF, "params": {"percent": "10"}}
    return Promotion.objects.create(code=code, starts_at=starts_at, ends_at=ends_at, **{**defaults, **kw})


def ad_day(c, day, **kw):
    channel = ChannelFactory()
    return AdMetricDay.objects.create(campaign=c, channel=channel, day=day, **kw)


def test_calendar_lists_campaigns_and_promotions_overlapping_the_window():
    campaign(
        "D11",
        planning_lead_days=45,
        checklist=[{"item": "a", "done": True}, {"item": "b", "done": False}, {"item": "c", "done": True}],
    )
    campaign("OWN", kind=Campaign.Kind.SHOP_EVENT, starts_on=date(2026, 12, 20), ends_on=date(2026, 12, 22))
    campaign("ADS", kind=Campaign.Kind.ADS)  # not a calendar kind
    campaign("OLD", starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 18))  # before the window
    # Ends at midnight on the 12th (shop time): its last day is the 11th.
    promotion("P1", aware(2026, 11, 10), aware(2026, 11, 12))
    promotion("DRAFT", aware(2026, 11, 10), aware(2026, 11, 12), active=False)
    promotion("OPEN", aware(2026, 11, 10), None)  # no end: not scheduled
    promotion("LATE", aware(2027, 1, 1), aware(2027, 1, 5))

    items = sel.campaign_calendar(start=date(2026, 11, 5), end=date(2026, 12, 31))

    assert [(i["source"], i["code"]) for i in items] == [
        ("campaign", "D11"),
        ("promotion", "P1"),
        ("campaign", "OWN"),
    ]
    d11, p1, own = items
    assert d11["starts_on"] == date(2026, 11, 1) and d11["ends_on"] == date(2026, 11, 11)
    assert d11["planning_starts_on"] == date(2026, 9, 17)
    assert (d11["checklist_done"], d11["checklist_total"]) == (2, 3)
    assert d11["url"] == "/marketing/campaigns/D11/"
    assert p1["starts_on"] == date(2026, 11, 10) and p1["ends_on"] == date(2026, 11, 11)
    assert p1["planning_starts_on"] is None and p1["kind"] == "percent_off"
    assert own["kind"] == "shop_event"


def test_calendar_window_edges_are_inclusive():
    campaign("EDGE", starts_on=date(2026, 11, 11), ends_on=date(2026, 11, 11))
    assert [i["code"] for i in sel.campaign_calendar(start=date(2026, 11, 11), end=date(2026, 11, 11))] == [
        "EDGE"
    ]
    assert sel.campaign_calendar(start=date(2026, 11, 12), end=date(2026, 11, 30)) == []


def test_budget_burn_shares_and_pace():
    # 10 days, budget 1,000.00; on day 4, 550.00 spent: 55 % spent for 40 % of the days -> over pace.
    fast = campaign(
        "FAST", kind=Campaign.Kind.ADS, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 10), budget=1000
    )
    for day, spend in ((1, "200.00"), (2, "150.00"), (4, "200.00"), (5, "999.00")):  # the 5th is after today
        ad_day(fast, date(2026, 3, day), spend=Decimal(spend))
    # 4 days, budget 300.00; on day 2, 120.00 spent: 40 % for 50 % -> on pace.
    slow = campaign(
        "SLOW", kind=Campaign.Kind.ADS, starts_on=date(2026, 3, 3), ends_on=date(2026, 3, 6), budget=300
    )
    ad_day(slow, date(2026, 3, 3), spend=Decimal("120.00"))
    campaign("NOBUDGET", kind=Campaign.Kind.ADS, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 10))
    campaign("ENDED", kind=Campaign.Kind.ADS, starts_on=date(2026, 2, 1), ends_on=date(2026, 2, 10), budget=5)

    items = sel.campaign_budget_burn(today=date(2026, 3, 4))

    assert [i["code"] for i in items] == ["FAST", "SLOW"]
    fast_row, slow_row = items
    assert fast_row["spent"] == Decimal("550.00")
    assert fast_row["share_spent"] == Decimal("0.5500")
    assert fast_row["share_elapsed"] == Decimal("0.4000")
    assert fast_row["over_pace"] is True
    assert fast_row["projected"] == Decimal("1375.00")
    assert slow_row["spent"] == Decimal("120.00")
    assert slow_row["share_spent"] == Decimal("0.4000")
    assert slow_row["share_elapsed"] == Decimal("0.5000")
    assert slow_row["over_pace"] is False
    assert slow_row["projected"] == Decimal("240.00")


def test_budget_burn_pace_tolerance_is_five_points():
    c = campaign(
        "C", kind=Campaign.Kind.ADS, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 10), budget=100
    )
    ad_day(c, date(2026, 3, 1), spend=Decimal("15.00"))  # 15 % spent, 10 % elapsed: exactly +5 points
    assert sel.campaign_budget_burn(today=date(2026, 3, 1))[0]["over_pace"] is False
    AdMetricDay.objects.update(spend=Decimal("15.01"))
    assert sel.campaign_budget_burn(today=date(2026, 3, 1))[0]["over_pace"] is True


def test_out_of_band_uses_the_last_seven_days_summed_over_channels():
    good = campaign("GOOD", kind=Campaign.Kind.ADS)
    bad = campaign("BAD", kind=Campaign.Kind.ADS)
    # GOOD: CTR 3 %, CPC 1.00, CVR 5 %, ROI 4 -> in band.
    ad_day(
        good,
        date(2026, 11, 5),
        impressions=10000,
        clicks=300,
        spend=Decimal("300"),
        orders=15,
        revenue=Decimal("1200"),
    )
    # BAD: two channels on days 5 and 11; an old day (the 4th) outside the window is ignored.
    tmall = ChannelFactory(code="tmall")
    jd = ChannelFactory(code="jd", name="JD")
    AdMetricDay.objects.create(
        campaign=bad,
        channel=tmall,
        day=date(2026, 11, 5),
        impressions=5000,
        clicks=50,
        spend=Decimal("200.00"),
        orders=1,
        revenue=Decimal("300.00"),
    )
    AdMetricDay.objects.create(
        campaign=bad,
        channel=jd,
        day=date(2026, 11, 11),
        impressions=5000,
        clicks=30,
        spend=Decimal("100.00"),
        orders=1,
        revenue=Decimal("200.00"),
        new_customers=2,
    )
    AdMetricDay.objects.create(
        campaign=bad,
        channel=jd,
        day=date(2026, 11, 4),
        impressions=1,
        clicks=1,
        spend=Decimal("1"),
        orders=1,
        revenue=Decimal("100000"),
    )

    items = sel.campaigns_out_of_band(today=date(2026, 11, 11))

    assert [i["code"] for i in items] == ["BAD"]
    row = items[0]
    assert row["start"] == date(2026, 11, 5)
    # 10,000 impressions, 80 clicks, spend 300.00, 2 orders, revenue 500.00, 2 new customers
    assert row["metrics"] == {
        "ctr": Decimal("0.0080"),
        "cpc": Decimal("3.75"),
        "cvr": Decimal("0.0250"),
        "roi": Decimal("1.6667"),
        "cac": Decimal("150.00"),
    }
    assert row["flags"] == {"ctr": "low", "cpc": "high", "cvr": "low", "roi": "low"}
    assert row["out_of_band"] == ["ctr", "cpc", "cvr", "roi"]


def test_promotion_calendar_for_the_forecast():
    cat = CategoryFactory(code="tea")
    sub = CategoryFactory(code="green-tea")
    sub.parent = cat
    sub.save()
    s1 = SKUFactory(code="S1", product=ProductFactory(category=cat))
    s2 = SKUFactory(code="S2", product=ProductFactory(category=sub))
    s3 = SKUFactory(code="S3")
    promotion("CAT", aware(2026, 5, 1), aware(2026, 5, 4), scope={"categories": ["tea"], "skus": ["S3"]})
    promotion("ALL", aware(2026, 5, 10), aware(2026, 5, 11, 12), scope={"skus": [], "categories": []})
    promotion("COUPON", aware(2026, 5, 1), aware(2026, 5, 4), coupon_required=True)
    promotion("MEMBER", aware(2026, 5, 1), aware(2026, 5, 4), kind=Promotion.Kind.MEMBER_PRICE)
    promotion("NOSKU", aware(2026, 5, 1), aware(2026, 5, 4), scope={"skus": ["GONE"]})
    d11 = campaign("D11", starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 2))  # a festival's own promotion:
    promotion("FEST", aware(2026, 5, 1), aware(2026, 5, 2), campaign=d11)  # the forecast knows festivals
    campaign("618", starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 18))  # plain festival: left out
    campaign("618-TEA", starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 18), sku_ids=[s2.id])
    campaign(
        "OWN",
        kind=Campaign.Kind.SHOP_EVENT,
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 7, 3),
        expected_lift=Decimal("1.800"),
    )

    items = sel.promotion_calendar_get(date(2026, 5, 20))

    assert items == [
        {"start": "2026-05-01", "end": "2026-05-03", "sku_ids": sorted([s1.id, s2.id, s3.id]), "lift": None},
        {"start": "2026-05-10", "end": "2026-05-11", "sku_ids": [], "lift": None},
        {"start": "2026-06-01", "end": "2026-06-18", "sku_ids": [s2.id], "lift": None},
        {"start": "2026-07-01", "end": "2026-07-03", "sku_ids": [], "lift": 1.8},
    ]


def test_promotions_soon_names_skus_of_promotions_starting_in_the_next_14_days():
    s1, s2, s3 = SKUFactory(code="S1"), SKUFactory(code="S2"), SKUFactory(code="S3")
    SKUFactory(code="OFF", active=False)
    promotion("SOON", aware(2026, 5, 5), aware(2026, 5, 8), name="五一特惠", scope={"skus": ["S1"]})
    promotion("TOMORROW", aware(2026, 5, 2), aware(2026, 5, 3), name="明日", scope={"skus": ["S1", "S2"]})
    promotion("TODAY", aware(2026, 5, 1), aware(2026, 5, 3), name="今日", scope={"skus": ["S3"]})
    promotion("FAR", aware(2026, 5, 16), aware(2026, 5, 20), name="远", scope={"skus": ["S3"]})
    campaign(
        "OWN",
        kind=Campaign.Kind.SHOP_EVENT,
        name="店庆",
        starts_on=date(2026, 5, 15),
        ends_on=date(2026, 5, 16),
    )
    d11 = campaign("D11", starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2), sku_ids=[s2.id])
    promotion(
        "FEST", aware(2026, 5, 3), aware(2026, 5, 4), name="节日", scope={"skus": ["S2", "S3"]}, campaign=d11
    )

    soon = sel.promotions_soon(date(2026, 5, 1))

    # TOMORROW (2 May) comes first for S1 and S2; TODAY started already; FAR starts on day 15; the shop event
    # on day 14 would name every active SKU not yet named.
    # a festival's promotion holds prices too (on 3 May: S3)
    assert soon == {s1.id: "明日", s2.id: "明日", s3.id: "节日"}
