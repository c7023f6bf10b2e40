"""The pricing overview, the catalogue list and the SKU page, opened by operations (pricing) and manager
(read-only), showing the figures of a worked example."""

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from catalog.models import (
    BundleComponent,
    CategoryCommission,
    CategoryPricing,
    ChannelPrice,
    CompetitorPrice,
    PriceChange,
    PriceRecommendation,
    SKUCost,
    SKUStats,
)
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory

D = Decimal
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _clock_on_today():
    """TODAY is read once, at import: keep the clock on that day so a run crossing midnight still agrees."""
    with time_machine.travel(timezone.make_aware(datetime.combine(TODAY, time(12))), tick=True):
        yield


OPS, MGR = "operations", "manager"


def channels():
    return [
        SimpleNamespace(code="jd", name="JD", commission_rate=D("0.0500"), payment_fee_rate=D("0.0060")),
        SimpleNamespace(
            code="pdd", name="Pinduoduo", commission_rate=D("0.0060"), payment_fee_rate=D("0.0060")
        ),
        SimpleNamespace(
            code="tmall", name="Tmall", commission_rate=D("0.0500"), payment_fee_rate=D("0.0060")
        ),
    ]


STOCK = {}  # sku id -> [(warehouse, on hand, reserved)]


def stock(sku_id):
    return [
        {"warehouse": code, "warehouse_name": code.upper(), "on_hand": o, "reserved": r, "available": o - r}
        for code, o, r in STOCK.get(sku_id, [])
    ]


def sales(sku_id, *, days=90):
    first = TODAY - timedelta(days=days - 1)
    rows = [{"day": first + timedelta(days=i), "units": 0, "revenue": D("0.00")} for i in range(days)]
    rows[-1] = {"day": TODAY, "units": 3, "revenue": D("297.00")}
    rows[-2] = {"day": TODAY - timedelta(days=1), "units": 1, "revenue": D("99.00")}
    return rows


@pytest.fixture(autouse=True)
def _selectors(settings):
    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "catalog.tests.test_pages.channels"
    settings.SHOPOPS_SKU_STOCK_SELECTOR = "catalog.tests.test_pages.stock"
    settings.SHOPOPS_SKU_SALES_SELECTOR = "catalog.tests.test_pages.sales"
    STOCK.clear()


@pytest.fixture
def shop(db):
    """A (landed 43.70, list 99.00) sells on pdd at 72.83, below the 40 % floor; B (landed 70.00) sits in a
    category with a 30 % floor: 29.29 % at 99.00 is below it. K is a bundle of 1 x A + 2 x B."""
    home = CategoryFactory(code="home", name="Home")
    strict = CategoryFactory(code="strict", name="Strict")
    CategoryPricing.objects.create(category=strict, margin_floor=D("0.3000"))
    CategoryCommission.objects.create(category=home, channel="jd", rate=D("0.0300"))
    a = SKUFactory(code="A-1", name="Toothbrush", product=ProductFactory(category=home), unit_cost=D("40.00"))
    SKUCost.objects.create(sku=a, inbound_cost=D("2.50"), packaging_cost=D("1.20"), shipping_cost=D("6.00"))
    ChannelPrice.objects.create(sku=a, channel="pdd", price=D("72.83"))
    b = SKUFactory(code="B-2", name="Kettle", product=ProductFactory(category=strict), unit_cost=D("70.00"))
    k = SKUFactory(code="K-3", name="Kit", product=ProductFactory(category=home), list_price=D("399.00"))
    BundleComponent.objects.create(bundle=k, component=a, quantity=1)
    BundleComponent.objects.create(bundle=k, component=b, quantity=2)
    SKUStats.objects.create(sku=a, as_of=TODAY, units_28d=40, revenue_90d=D("3960.00"), cover_days=D("30.0"))
    STOCK[a.pk] = [("sh", 10, 4), ("bj", 3, 0)]
    STOCK[b.pk] = [("sh", 5, 0)]
    PriceRecommendation.objects.create(
        sku=a,
        business_date=TODAY,
        action="markdown",
        current_price=D("99.00"),
        recommended_price=D("89.00"),
        reason="Cover 120 days is above 90 and sales are slowing.",
        expires_on=TODAY + timedelta(days=7),
    )
    CompetitorPrice.objects.create(sku=a, competitor="JD self", price=D("80.00"), seen_at=timezone.now())
    PriceChange.objects.create(
        sku=a,
        field="list_price",
        old_value=D("109.00"),
        new_value=D("99.00"),
        reason="Match the 618 campaign",
        floor_override=True,
        margin=D("0.5586"),
        changed_at=timezone.now() - timedelta(days=3),
    )
    return SimpleNamespace(a=a, b=b, k=k)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("role", [OPS, MGR])
def test_overview(shop, client_for, role):
    response = client_for(role).get(reverse("catalog:overview"))
    assert response.status_code == 200
    html = _text(response)
    assert 'data-testid="breach-count">2<' in html
    assert "Pinduoduo" in html and "¥72.83" in html and "¥72.84" in html  # price, lowest allowed price
    assert "¥100.00" in html  # B's lowest price at its category's 30 % floor
    assert "Match the 618 campaign" in html  # the override
    assert 'data-testid="waiting-count">1<' in html
    assert response.context["recommendations_url"] in html


def test_overview_breaches_exactly(shop, client_for):
    """K: 1 x 43.70 + 2 x 70.00 = 183.70 at 399.00 is 53.96 %: fine. B at 29.29 % < 30 %; A on pdd at
    39.997 % < 40 %."""
    response = client_for(OPS).get(reverse("catalog:overview"))
    got = [
        (
            b["row"].sku.code,
            b["channel_name"],
            b["row"].margin,
            b["row"].floor,
            str(b["source"]),
            b["row"].floor_price,
        )
        for b in response.context["breaches"]
    ]
    assert got == [
        ("B-2", "", D("0.2929"), D("0.3000"), "category override", D("100.00")),
        ("A-1", "Pinduoduo", D("0.4000"), D("0.4000"), "shop-wide setting", D("72.84")),
    ]
    assert response.context["breach_count"] == 2


@pytest.mark.parametrize("role", [OPS, MGR])
def test_sku_list(shop, client_for, role):
    response = client_for(role).get(reverse("catalog:sku-list"), {"sort": "-margin"})
    assert response.status_code == 200
    rows = [
        (s.code, s.shown_price, s.landed_cost, s.margin, s.below_floor) for s in response.context["page_obj"]
    ]
    assert rows == [
        ("A-1", D("99.00"), D("43.70"), D("0.5586"), False),
        ("K-3", D("399.00"), D("183.70"), D("0.5396"), False),
        ("B-2", D("99.00"), D("70.00"), D("0.2929"), True),
    ]
    html = _text(response)
    assert "55.9%" in html and "¥43.70" in html and "Below floor" in html


def test_sku_list_on_a_channel_and_below_the_floor(shop, client_for):
    client = client_for(OPS)
    response = client.get(reverse("catalog:sku-list"), {"channel": "pdd", "margin": "below"})
    assert [(s.code, s.shown_price) for s in response.context["page_obj"]] == [
        ("A-1", D("72.83")),
        ("B-2", D("99.00")),
    ]
    assert "Channel price" in _text(response)
    response = client.get(reverse("catalog:sku-list"), {"channel": "nope", "margin": "ok"})
    assert [s.code for s in response.context["page_obj"]] == ["A-1", "K-3"]  # unknown channel: list price


def test_sku_list_export(shop, client_for):
    client = client_for(MGR)
    response = client.get(reverse("catalog:sku-list"), {"margin": "below", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:9] == [
        "Code",
        "Name",
        "Category",
        "Role",
        "Price",
        "Unit cost",
        "Landed cost",
        "Gross margin",
        "Margin floor",
    ]
    assert rows[1:] == [
        ["B-2", "Kettle", "Strict", "Core / profit", "99.00", "70.00", "70.00", "0.2929", "0.3000"]
        + ["category override", "True", "0", "", "True"]
    ]
    xlsx = client.get(reverse("catalog:sku-list"), {"export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_sku_list_queries_do_not_grow_with_the_page(shop, client_for):
    client = client_for(OPS)
    client.get(reverse("catalog:sku-list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("catalog:sku-list"))
    for index in range(20):
        SKUFactory(code=f"Z-{index:02d}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("catalog:sku-list"))
    assert len(many) == len(few)


@pytest.mark.parametrize("role", [OPS, MGR])
def test_sku_page(shop, client_for, role):
    response = client_for(role).get(reverse("catalog:sku-detail", args=["A-1"]))
    assert response.status_code == 200
    html = _text(response)
    # cost build-up: landed 43.70, floor 40 % (shop-wide), lowest price 72.84
    assert 'data-testid="landed">¥43.70<' in html
    assert 'data-testid="floor-source">shop-wide setting<' in html
    assert 'data-testid="floor-price">¥72.84<' in html
    channels = {row.channel: row for row in response.context["figures"].channels}
    assert channels["tmall"].breakdown.contribution == D("38.81")  # 55.30 - 6.00 - 4.95 - 0.59 - 4.95
    assert channels["jd"].breakdown.contribution == D("40.79")  # the category's 3 % commission
    assert "¥38.81" in html and "¥40.79" in html and "¥18.61" in html and "55.86%" in html
    # the waterfall at the list price, and the history chart
    waterfall = response.context["waterfall"]
    assert '<script id="cost-waterfall" type="application/json">' in response.content.decode()
    assert waterfall["data"][0]["type"] == "waterfall"
    assert waterfall["data"][0]["y"] == [99.0, -40.0, -2.5, -1.2, 55.3, -6.0, 0.0, 0.0, -4.95, 44.35]
    assert 'id="price-history"' in html
    # audit, stock, sales, competitors, recommendations
    assert "Match the 618 campaign" in html and "¥109.00" in html
    assert response.context["stock_total"] == {"on_hand": 13, "reserved": 4, "available": 9}
    assert "4 units, ¥396.00 revenue" in html
    assert response.context["competitors"].band.median == D("80.00")
    assert "Cover 120 days is above 90 and sales are slowing." in html


def test_bundle_page(shop, client_for):
    """1 x A (43.70) + 2 x B (70.00) = 183.70; available min(9 // 1, 5 // 2) = 2."""
    response = client_for(MGR).get(reverse("catalog:sku-detail", args=["K-3"]))
    html = _text(response)
    assert 'data-testid="bundle-landed">¥183.70<' in html
    assert 'data-testid="bundle-available">2<' in html
    assert 'data-testid="landed">¥183.70<' in html


def test_unknown_sku_is_404(db, client_for):
    assert client_for(OPS).get(reverse("catalog:sku-detail", args=["NOPE"])).status_code == 404


def _resolves(name, code):
    try:
        return reverse(name, args=[code])
    except NoReverseMatch:
        return None


def test_edit_links_only_for_editors(shop, client, client_for):
    manager = client_for(MGR).get(reverse("catalog:sku-detail", args=["A-1"]))
    assert manager.context["price_url"] is None and manager.context["costs_url"] is None
    client.logout()
    ops = client_for(OPS).get(reverse("catalog:sku-detail", args=["A-1"]))
    assert ops.context["price_url"] == _resolves("catalog:sku-price", "A-1")
    assert ops.context["costs_url"] == _resolves("catalog:sku-costs", "A-1")


def test_sales_panel_dates(shop, client_for):
    response = client_for(OPS).get(reverse("catalog:sku-detail", args=["B-2"]))
    assert [row["day"] for row in response.context["sales"]][-1] == TODAY
    assert isinstance(response.context["sales"][0]["day"], date)
