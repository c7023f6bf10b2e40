"""GET /api/v1/skus: the catalogue for API clients (the writes: test_api_write.py)."""

from datetime import datetime
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog.models import SKU
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from shopops.common.models import ApiClient

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key(db):
    _client, key = ApiClient.objects.create_key(name="erp", scopes=["catalog:read"])
    return key


@pytest.fixture
def api(client, key):
    def get(query="", *, path=None):
        return client.get(path or f"{reverse('api-sku-list')}{query}", HTTP_AUTHORIZATION=f"Api-Key {key}")

    return get


def test_the_url():
    assert reverse("api-sku-list") == "/api/v1/skus"


def test_skus_in_exact_shape(api):
    category = CategoryFactory(code="oral-care", name="Oral care")
    brush = SKUFactory(
        product=ProductFactory(category=category),
        code="SKU-0001",
        name="Electric toothbrush",
        unit_cost=Decimal("40"),
        list_price=Decimal("129.5"),
        weight_kg=Decimal("0.35"),
        role=SKU.Role.HERO,
    )
    SKUFactory(
        product=ProductFactory(category=category),
        code="SKU-0002",
        name="Brush heads ×3",
        unit_cost=Decimal("12.34"),
        list_price=Decimal("39.00"),
        weight_kg=Decimal("0.100"),
        role=SKU.Role.LONG_TAIL,
        active=False,
    )
    brush.channel_prices.create(channel="tmall", price=Decimal("125"))
    brush.refresh_from_db()

    response = api()
    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "code": "SKU-0001",
                "name": "Electric toothbrush",
                "category": "oral-care",
                "unit_cost": "40.00",
                "list_price": "129.50",
                "weight_kg": "0.350",
                "weight": "0.350",
                "role": "hero",
                "active": True,
                "channel_prices": {"tmall": "125.00"},
            },
            {
                "code": "SKU-0002",
                "name": "Brush heads ×3",
                "category": "oral-care",
                "unit_cost": "12.34",
                "list_price": "39.00",
                "weight_kg": "0.100",
                "weight": "0.100",
                "role": "long_tail",
                "active": False,
                "channel_prices": {},
            },
        ],
    }


def codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_filter_by_code_repeated_or_comma_separated(api, db):
    for n in range(1, 5):
        SKUFactory(code=f"SKU-000{n}")
    assert codes(api("?code=SKU-0003")) == ["SKU-0003"]
    assert codes(api("?code=SKU-0001,SKU-0003")) == ["SKU-0001", "SKU-0003"]
    assert codes(api("?code=SKU-0004&code=SKU-0001, SKU-0002")) == ["SKU-0001", "SKU-0002", "SKU-0004"]
    assert codes(api("?code=sku-0001")) == []  # exact
    assert codes(api("?code=")) == ["SKU-0001", "SKU-0002", "SKU-0003", "SKU-0004"]


def test_filter_by_active(api, db):
    SKUFactory(code="SKU-0001", active=True)
    SKUFactory(code="SKU-0002", active=False)
    assert codes(api("?active=true")) == ["SKU-0001"]
    assert codes(api("?active=false")) == ["SKU-0002"]
    assert codes(api("?active=0")) == ["SKU-0002"]
    assert codes(api()) == ["SKU-0001", "SKU-0002"]


def test_filter_by_updated_since(api, db):
    for n, hour in ((1, 8), (2, 9), (3, 10)):
        sku = SKUFactory(code=f"SKU-000{n}")
        SKU.objects.filter(pk=sku.pk).update(updated_at=datetime(2025, 6, 1, hour, tzinfo=SHANGHAI))

    assert codes(api("?updated_since=2025-06-01T09:00:00%2B08:00")) == ["SKU-0002", "SKU-0003"]  # inclusive
    assert codes(api("?updated_since=2025-06-01T01:00:01Z")) == ["SKU-0003"]
    # an unencoded + arrives as a space
    assert codes(api("?updated_since=2025-06-01T09:00:01+08:00")) == ["SKU-0003"]
    # without an offset: the shop's time zone
    assert codes(api("?updated_since=2025-06-01T09:00:00")) == ["SKU-0002", "SKU-0003"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("?updated_since=yesterday", "updated_since"),
        ("?active=maybe", "active"),
        (f"?code={quote('x' * 65)}", "code"),
        ("?code=" + ",".join(f"S{n}" for n in range(501)), "code"),
    ],
)
def test_bad_filters_are_400_with_field_errors(api, db, query, field):
    response = api(query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [field]


def test_the_list_is_paginated_with_a_cursor_by_id(api, db):
    for n in (3, 1, 5, 2, 4):
        SKUFactory(code=f"SKU-000{n}")
    first = api("?page_size=2")
    assert codes(first) == ["SKU-0003", "SKU-0001"]  # by id, not by code
    assert first.json()["previous"] is None
    second = api(path=first.json()["next"])
    assert codes(second) == ["SKU-0005", "SKU-0002"]
    third = api(path=second.json()["next"])
    assert codes(third) == ["SKU-0004"]
    assert third.json()["next"] is None
    assert api("?page_size=2&cursor=bogus").status_code == 404


def test_the_default_page_holds_100(api, db):
    SKUFactory.create_batch(101)
    response = api()
    assert len(response.json()["results"]) == 100
    assert response.json()["next"]


def test_without_key_401_and_without_scope_403(client, db):
    assert client.get(reverse("api-sku-list")).status_code == 401
    _api_client, stock_key = ApiClient.objects.create_key(name="stock only", scopes=["stock:read"])
    response = client.get(reverse("api-sku-list"), HTTP_AUTHORIZATION=f"Api-Key {stock_key}")
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key lacks the scope 'catalog:read'."}
