"""The reads behind the pricing overview, the catalogue list and the SKU page, on worked examples with
exact figures: margins by channel to the cent, floor breaches (category override through a parent
category, loss leaders current and expired, a bundle, a price exactly on the floor), the range mix and
competitor alerts."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from catalog import pricing, selectors
from catalog.models import (
    SKU,
    BundleComponent,
    CategoryCommission,
    CategoryPricing,
    ChannelPrice,
    CompetitorPrice,
    PriceChange,
    PriceRecommendation,
    PricingSettings,
    SKUCost,
    SKUStats,
)
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory

D = Decimal
TODAY = timezone.localdate()

TMALL = SimpleNamespace(code="tmall", name="Tmall", commission_rate=D("0.0500"), payment_fee_rate=D("0.0060"))
JD = SimpleNamespace(code="jd", name="JD", commission_rate=D("0.0500"), payment_fee_rate=D("0.0060"))
PDD = SimpleNamespace(code="pdd", name="Pinduoduo", commission_rate=D("0.0060"), payment_fee_rate=D("0.0060"))


def channels():
    return [JD, PDD, TMALL]


@pytest.fixture(autouse=True)
def _channels(settings):
    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "catalog.tests.test_selectors_pages.channels"


def _sku(code, category, *, cost, price, active=True, role=SKU.Role.CORE):
    return SKUFactory(
        code=code,
        product=ProductFactory(category=category),
        unit_cost=D(cost),
        list_price=D(price),
        active=active,
        role=role,
    )


@pytest.fixture
def shop(db):
    """Floors: shop-wide 40 %; "cleaning" 30 %, inherited by its sub-category "vacuums"; "other" none.

    A (other): 40.00 + inbound 2.50 + packaging 1.20 = landed 43.70, shipping 6.00, list 99.00 (55.86 %);
       on pdd at 72.83: 29.13 / 72.83 = 39.997 % < 40 % (floor price 72.84). JD's commission for
       "other" is overridden to 3 %.
    B (vacuums): landed 70.00 at 99.00 = 29.29 % < 30 % (category floor, from the parent).
    C (vacuums): landed 69.30 at 99.00 = exactly 30.00 %: on the floor, not below it.
    D (other): landed 80.00 at 99.00 = 19.19 %, a loss leader (floor 10 %) until in 5 days: fine.
    E (other): the same, but its loss-leader time ended yesterday: 19.19 % < 40 %.
    F (other): inactive, far below the floor: not listed.
    G (other): a bundle of 1 x A + 2 x B = landed 183.70 (its own unit cost 10.00 does not count) at
       299.00 = 38.56 % < 40 %.
    """
    cleaning = CategoryFactory(code="cleaning", name="Cleaning")
    vacuums = CategoryFactory(code="vacuums", name="Vacuums", parent=cleaning)
    other = CategoryFactory(code="other", name="Other")
    CategoryPricing.objects.create(category=cleaning, margin_floor=D("0.3000"))
    CategoryCommission.objects.create(category=other, channel="jd", rate=D("0.0300"))
    a = _sku("A", other, cost="40.00", price="99.00")
    SKUCost.objects.create(sku=a, inbound_cost=D("2.50"), packaging_cost=D("1.20"), shipping_cost=D("6.00"))
    ChannelPrice.objects.create(sku=a, channel="pdd", price=D("72.83"))
    ChannelPrice.objects.create(sku=a, channel="gone", price=D("1.00"))  # not an active channel
    b = _sku("B", vacuums, cost="70.00", price="99.00")
    c = _sku("C", vacuums, cost="69.30", price="99.00")
    d = _sku("D", other, cost="80.00", price="99.00")
    SKUCost.objects.create(
        sku=d,
        loss_leader=True,
        loss_leader_floor=D("0.1000"),
        loss_leader_reason="Traffic",
        loss_leader_until=TODAY + timedelta(days=5),
    )
    e = _sku("E", other, cost="80.00", price="99.00")
    SKUCost.objects.create(
        sku=e,
        loss_leader=True,
        loss_leader_floor=D("0.1000"),
        loss_leader_reason="Traffic",
        loss_leader_until=TODAY - timedelta(days=1),
    )
    f = _sku("F", other, cost="90.00", price="10.00", active=False)
    g = _sku("G", other, cost="10.00", price="299.00")
    BundleComponent.objects.create(bundle=g, component=a, quantity=1)
    BundleComponent.objects.create(bundle=g, component=b, quantity=2)
    return SimpleNamespace(a=a, b=b, c=c, d=d, e=e, f=f, g=g, cleaning=cleaning, vacuums=vacuums, other=other)


def test_channel_margins_to_the_cent(shop):
    figures = selectors.sku_pricing_get(shop.a, channels=channels(), today=TODAY)
    assert figures.landed == D("43.70")
    assert (figures.floor.value, figures.floor.source) == (D("0.4000"), "setting")
    assert figures.floor_price == D("72.84")
    base = figures.base  # the list price, no channel costs; marketing 5 % of 99.00 = 4.95
    assert (base.price, base.gross_profit, base.gross_margin) == (D("99.00"), D("55.30"), D("0.5586"))
    assert (base.commission, base.payment_fee, base.marketing) == (D("0.00"), D("0.00"), D("4.95"))
    assert (base.contribution, base.contribution_margin) == (D("44.35"), D("0.4480"))
    rows = {row.channel: row for row in figures.channels}
    assert list(rows) == ["jd", "pdd", "tmall"]
    tmall = rows["tmall"].breakdown  # 55.30 - 6.00 - 4.95 - 0.59 - 4.95
    assert (tmall.price, tmall.commission, tmall.payment_fee, tmall.marketing) == (
        D("99.00"),
        D("4.95"),
        D("0.59"),
        D("4.95"),
    )
    assert (tmall.contribution, tmall.contribution_margin) == (D("38.81"), D("0.3920"))
    assert not rows["tmall"].has_own_price and not rows["tmall"].commission_overridden
    jd = rows["jd"]  # the category's 3 % instead of JD's 5 %: 55.30 - 6.00 - 2.97 - 0.59 - 4.95
    assert (jd.commission_rate, jd.commission_overridden) == (D("0.0300"), True)
    assert (jd.breakdown.commission, jd.breakdown.contribution) == (D("2.97"), D("40.79"))
    pdd = rows["pdd"]  # its own price 72.83: commission 0.44, fee 0.44, marketing 3.64
    assert pdd.has_own_price and pdd.price == D("72.83")
    assert (pdd.breakdown.gross_profit, pdd.breakdown.gross_margin) == (D("29.13"), D("0.4000"))
    assert (pdd.breakdown.commission, pdd.breakdown.payment_fee, pdd.breakdown.marketing) == (
        D("0.44"),
        D("0.44"),
        D("3.64"),
    )
    assert pdd.breakdown.contribution == D("18.61")
    assert pdd.breach and not rows["tmall"].breach and not jd.breach


def test_bundle_figures_come_from_its_components(shop):
    figures = selectors.sku_pricing_get(shop.g, channels=channels(), today=TODAY)
    assert figures.landed == D("183.70")
    assert figures.base.gross_margin == D("0.3856")
    assert figures.floor_price == D("306.17")  # 183.70 / 0.6 = 306.1666… up
    stock = {shop.a.pk: 7, shop.b.pk: 9}
    bundle = selectors.sku_bundle_get(sku=shop.g, available_of=stock.get)
    assert [(line.component.code, line.quantity, line.landed, line.total) for line in bundle.lines] == [
        ("A", 1, D("43.70"), D("43.70")),
        ("B", 2, D("70.00"), D("140.00")),
    ]
    assert (bundle.landed, bundle.available) == (D("183.70"), 4)  # min(7 // 1, 9 // 2)
    assert selectors.sku_bundle_get(sku=shop.a, available_of=stock.get) is None


def test_floor_breaches(shop):
    found = selectors.floor_breaches_get(channels=["jd", "pdd", "tmall"], today=TODAY)
    assert (found.count, found.sku_count) == (4, 4)
    breaches = found.rows
    got = [
        (b.sku.code, b.channel, b.price, b.landed, b.margin, b.floor, b.floor_source, b.floor_price)
        for b in breaches
    ]
    assert got == [
        ("E", "", D("99.00"), D("80.00"), D("0.1919"), D("0.4000"), "setting", D("133.34")),
        ("B", "", D("99.00"), D("70.00"), D("0.2929"), D("0.3000"), "category", D("100.00")),
        ("G", "", D("299.00"), D("183.70"), D("0.3856"), D("0.4000"), "setting", D("306.17")),
        ("A", "pdd", D("72.83"), D("43.70"), D("0.4000"), D("0.4000"), "setting", D("72.84")),
    ]


def test_catalogue_list_computes_margin_and_floor_in_the_database(shop):
    rows = {s.code: s for s in selectors.sku_margin_list(today=TODAY)}
    assert set(rows) == {"A", "B", "C", "D", "E", "F", "G"}
    figures = {
        code: (
            s.shown_price,
            s.landed_cost,
            selectors.margin_of(s),
            s.floor_value,
            s.floor_source,
            s.below_floor,
        )
        for code, s in rows.items()
    }
    assert figures == {
        "A": (D("99.00"), D("43.70"), D("0.5586"), D("0.4000"), "setting", False),
        "B": (D("99.00"), D("70.00"), D("0.2929"), D("0.3000"), "category", True),
        "C": (D("99.00"), D("69.30"), D("0.3000"), D("0.3000"), "category", False),
        "D": (D("99.00"), D("80.00"), D("0.1919"), D("0.1000"), "loss_leader", False),
        "E": (D("99.00"), D("80.00"), D("0.1919"), D("0.4000"), "setting", True),
        "F": (D("10.00"), D("90.00"), D("-8.0000"), D("0.4000"), "setting", True),
        "G": (D("299.00"), D("183.70"), D("0.3856"), D("0.4000"), "setting", True),
    }


def test_catalogue_list_filters_and_sorts(shop):
    def codes(**kwargs):
        return [s.code for s in selectors.sku_margin_list(today=TODAY, **kwargs)]

    assert codes(margin="below", active=True) == ["B", "E", "G"]
    assert codes(margin="ok") == ["A", "C", "D"]
    assert codes(margin="below", channel="pdd", active=True) == ["A", "B", "E", "G"]
    pdd = selectors.sku_margin_list(today=TODAY, channel="pdd", search="A").get()
    assert (pdd.shown_price, selectors.margin_of(pdd)) == (D("72.83"), D("0.4000"))
    assert codes(category="cleaning") == ["B", "C"]  # the sub-category's SKUs too
    assert codes(role="hero") == []
    assert codes(ordering="-margin", active=True) == ["A", "G", "C", "B", "D", "E"]
    assert codes(ordering="margin")[:2] == ["F", "D"]
    assert codes(ordering="-price", active=True)[0] == "G"
    SKUStats.objects.create(sku=shop.c, as_of=TODAY, units_28d=50, cover_days=D("12.5"))
    SKUStats.objects.create(sku=shop.b, as_of=TODAY, units_28d=80, cover_days=D("200.0"))
    assert codes(ordering="-sales", active=True)[:3] == ["B", "C", "A"]
    assert codes(ordering="cover", active=True)[:2] == ["C", "B"]  # no cover figure: last
    assert codes(ordering="-cover", active=True)[:2] == ["B", "C"]


def test_range_mix_by_count_and_revenue(db):
    """10 active SKUs: hero 2, core 5, long tail 2, new 1 -> 20/50/20/10 %, all inside the bands (edges
    count). Revenue 600 / 300 / 50 / 50 of 1,000: hero 60 % above, core 30 % and long tail 5 % below."""
    category = CategoryFactory()
    plan = (
        [("hero", 300)] * 2 + [("core", 75)] * 4 + [("core", None)] + [("long_tail", 25)] * 2 + [("new", 50)]
    )
    for index, (role, revenue) in enumerate(plan):
        sku = _sku(f"M{index}", category, cost="1.00", price="9.00", role=role)
        if revenue is not None:  # one core SKU has no stats yet: revenue 0
            SKUStats.objects.create(sku=sku, as_of=TODAY, revenue_90d=D(revenue))
    inactive = _sku("OFF", category, cost="1.00", price="9.00", role="hero", active=False)
    SKUStats.objects.create(sku=inactive, as_of=TODAY, revenue_90d=D("5000"))
    mix = selectors.range_mix_get()
    assert (mix.count, mix.revenue) == (10, D("1000"))
    got = {
        r.role: (r.count, r.count_share, r.count_flag, r.revenue, r.revenue_share, r.revenue_flag)
        for r in mix.rows
    }
    assert got == {
        "hero": (2, D("0.2000"), "", D("600"), D("0.6000"), "above"),
        "core": (5, D("0.5000"), "", D("300"), D("0.3000"), "below"),
        "long_tail": (2, D("0.2000"), "", D("50"), D("0.0500"), "below"),
        "new": (1, D("0.1000"), "", D("50"), D("0.0500"), ""),
        "image": (0, D("0"), "", D("0"), D("0"), ""),
    }
    assert mix.flagged == 3


def test_recommendations_waiting(db):
    sku = SKUFactory()
    for offset, status in ((0, "pending"), (1, "pending"), (2, "accepted"), (3, "pending")):
        PriceRecommendation.objects.create(
            sku=sku,
            business_date=TODAY - timedelta(days=offset),
            action="hold",
            current_price=D("99.00"),
            recommended_price=D("99.00"),
            reason="hold",
            status=status,
            expires_on=TODAY + timedelta(days=1) if offset < 3 else TODAY - timedelta(days=1),
        )
    assert selectors.recommendation_waiting_count(today=TODAY) == 2  # not the accepted, not the expired


def test_competitor_alerts_use_each_competitors_latest_offer(db):
    """X at 120.00: latest offers 100 (c1's older 200 is replaced), 105, 95 -> median 100.00; 120 is 20 %
    over, more than the 10 % gap. Y at 108.00 against a median of 100.00: 8 %, no alert. An offer older
    than 30 days is ignored. Our prices (120, 108, 15) leave the bands 50-80 and 80-100 empty, where
    competitors sell at 60 and 95."""
    now = timezone.now()
    category = CategoryFactory()
    x = _sku("X", category, cost="10.00", price="120.00")
    y = _sku("Y", category, cost="10.00", price="108.00")
    z = _sku("Z", category, cost="1.00", price="15.00")
    offers = [
        (x, "c1", "200.00", 10),
        (x, "c1", "100.00", 2),
        (x, "c2", "105.00", 3),
        (x, "c3", "95.00", 1),
        (x, "c4", "10.00", 40),
        (y, "c1", "100.00", 1),
        (z, "c3", "60.00", 1),
    ]
    for sku, competitor, price, days_ago in offers:
        CompetitorPrice.objects.create(
            sku=sku, competitor=competitor, price=D(price), seen_at=now - timedelta(days=days_ago)
        )
    alerts, gaps = selectors.competitor_alert_list(now=now)
    assert [
        (a.sku.code, a.price, a.band.low, a.band.median, a.band.high, a.band.count, a.gap) for a in alerts
    ] == [("X", D("120.00"), D("95.00"), D("100.00"), D("105.00"), 3, D("0.2000"))]
    assert gaps == [pricing.Gap(D("50"), D("80"), 1), pricing.Gap(D("80"), D("100"), 1)]
    view = selectors.sku_competitors_get(sku=x, now=now)
    assert (view.band.median, view.above) == (D("100.00"), True)
    assert [o.competitor for o in view.offers] == ["c3", "c1", "c2"]  # newest first
    assert len(view.recent) == 5


def test_price_history_steps(db):
    sku = SKUFactory(unit_cost=D("42.00"), list_price=D("89.00"))
    now = timezone.now()
    created = sku.created_at
    for field, old, new, days_ago in (
        ("list_price", "99.00", "95.00", 20),
        ("list_price", "95.00", "89.00", 10),
        ("unit_cost", "40.00", "42.00", 5),
        ("channel_price", "99.00", "79.00", 3),  # not a list price: not on the chart
    ):
        PriceChange.objects.create(
            sku=sku,
            field=field,
            channel="tmall" if field == "channel_price" else "",
            old_value=D(old),
            new_value=D(new),
            reason="test",
            changed_at=now - timedelta(days=days_ago),
        )
    series = selectors.sku_price_history(sku=sku, now=now)
    start = min(created, now - timedelta(days=20))
    assert series["list_price"] == [
        (start, D("99.00")),
        (now - timedelta(days=20), D("95.00")),
        (now - timedelta(days=10), D("89.00")),
        (now, D("89.00")),
    ]
    assert series["unit_cost"][0][1] == D("40.00")
    assert series["unit_cost"][-2:] == [(now - timedelta(days=5), D("42.00")), (now, D("42.00"))]


def test_floor_settings_are_read(shop):
    settings = PricingSettings.current()
    settings.margin_floor = D("0.2500")
    settings.save()
    assert [b.sku.code for b in selectors.floor_breaches_get(channels=["pdd"], today=TODAY).rows] == [
        "E",
        "B",
    ]


def test_the_overview_shows_the_lowest_margins_and_counts_them_all(shop):
    ChannelPrice.objects.create(sku=shop.b, channel="tmall", price=D("90.00"))  # B twice: 22.22 %
    found = selectors.floor_breaches_get(channels=["pdd", "tmall"], limit=2, today=TODAY)
    assert [(b.sku.code, b.channel, b.margin) for b in found.rows] == [
        ("E", "", D("0.1919")),
        ("B", "tmall", D("0.2222")),
    ]
    assert (found.count, found.sku_count) == (5, 4)
