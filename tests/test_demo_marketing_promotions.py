"""The demo promotions seed: the promotions the marketing pages and the quote show, repeatable."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from marketing.models import Promotion
from orders.tests.factories import ChannelFactory
from shopops.demo.marketing_promotions import promotions_seed

pytestmark = pytest.mark.django_db


def test_demo_promotions_seed(django_capture_on_commit_callbacks):
    ChannelFactory(code="own_store", name="Own store")
    care = CategoryFactory(code="personal-care")
    supplies = CategoryFactory(code="cleaning-supplies")
    SKUFactory(
        code="HERO-1",
        product=ProductFactory(category=care),
        role="hero",
        list_price=Decimal("199.00"),
        unit_cost=Decimal("80.00"),
    )
    SKUFactory(code="CLOTH-1", product=ProductFactory(category=supplies), unit_cost=Decimal("38.00"))
    with django_capture_on_commit_callbacks(execute=True):
        counts = promotions_seed(scale="small", seed=1, end_date=date(2026, 11, 21))
    assert counts == {"marketing.Promotion": 10, "marketing.FlashSalePool": 2}
    rows = {p.code: p for p in Promotion.objects.all()}
    assert rows["D11-TIERS"].starts_at == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert rows["D12-TIERS"].starts_at == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert rows["GIFT-399"].params == {"threshold": "399.00", "gift_sku": "CLOTH-1", "quantity": 1}
    assert rows["FLASH-HERO"].params == {
        "sku": "HERO-1",
        "price": "139.00",
        "quantity": 200,
        "per_customer": 2,
    }
    assert rows["SPRING-DRAFT"].active is False
    again = promotions_seed(scale="small", seed=1, end_date=date(2026, 11, 21))
    assert again == {"marketing.Promotion": 0, "marketing.FlashSalePool": 0}
