"""GET /api/v1/stock: available-to-sell per SKU for channels."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from inventory import selectors, services
from inventory.models import StockMovement
from inventory.services import MovementSpec
from inventory.tests.factories import WarehouseFactory
from shopops.common.models import ApiClient


def channel_list():
    """Stands in for orders' active-channel selector, which inventory must not import (it sits above)."""
    return [SimpleNamespace(code="tmall"), SimpleNamespace(code="jd")]


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = f"{__name__}.channel_list"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(client, db):
    _api_client, key = ApiClient.objects.create_key(name="tmall connector", scopes=["stock:read"])

    def get(query="", *, path=None):
        return client.get(path or f"{reverse('api-stock-list')}{query}", HTTP_AUTHORIZATION=f"Api-Key {key}")

    return get


def receive(sku, warehouse, quantity):
    services.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=quantity, reference="PO-1")


def reserve(sku, warehouse, quantity):
    services.stock_movements_apply(
        movements=[
            MovementSpec(sku.pk, warehouse.pk, StockMovement.Kind.RESERVATION, reserved_delta=quantity)
        ]
    )


@pytest.fixture
def stock(db):
    """SKU-0001: east 10 on hand / 0 reserved, west 5 / 3; SKU-0002: east 4 / 4; SKU-0003: none."""
    east, west = WarehouseFactory(code="east"), WarehouseFactory(code="west")
    one, two, three = SKUFactory(code="SKU-0001"), SKUFactory(code="SKU-0002"), SKUFactory(code="SKU-0003")
    receive(one, west, 5)
    receive(one, east, 10)
    reserve(one, west, 3)
    receive(two, east, 4)
    reserve(two, east, 4)
    return SimpleNamespace(east=east, west=west, skus=(one, two, three))


EXPECTED = [
    {
        "sku": "SKU-0001",
        "available": 12,
        "warehouses": [{"warehouse": "east", "available": 10}, {"warehouse": "west", "available": 2}],
    },
    {"sku": "SKU-0002", "available": 0, "warehouses": [{"warehouse": "east", "available": 0}]},
    {"sku": "SKU-0003", "available": 0, "warehouses": []},
]


def test_the_url():
    assert reverse("api-stock-list") == "/api/v1/stock"


def test_available_sums_the_warehouses_in_exact_shape(api, stock):
    response = api()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"next": None, "previous": None, "results": EXPECTED}


def test_an_inactive_warehouse_does_not_count(api, stock):
    stock.west.active = False
    stock.west.save()
    assert api("?sku=SKU-0001").json()["results"] == [
        {"sku": "SKU-0001", "available": 10, "warehouses": [{"warehouse": "east", "available": 10}]}
    ]


def test_fully_reserved_stock_is_0_not_negative(api, stock):
    assert api("?sku=SKU-0002").json()["results"] == [EXPECTED[1]]


def test_available_is_floored_at_0_per_warehouse(monkeypatch):
    """The database keeps reserved <= on hand; should a level break that, it still counts 0, not less."""
    rows = [(1, "east", 2, 5), (1, "west", 3, 1)]

    class Levels:
        def filter(self, **kwargs):
            return self

        def order_by(self, *fields):
            return self

        def values_list(self, *fields):
            return rows

    monkeypatch.setattr(selectors, "StockLevel", SimpleNamespace(objects=Levels()))
    assert selectors.stock_available_list(skus=[SimpleNamespace(id=1, code="A")]) == [
        {
            "sku": "A",
            "available": 2,
            "warehouses": [{"warehouse": "east", "available": 0}, {"warehouse": "west", "available": 2}],
        }
    ]


def test_filter_by_sku_codes(api, stock):
    assert api("?sku=SKU-0003,SKU-0001").json()["results"] == [EXPECTED[0], EXPECTED[2]]
    assert api("?sku=SKU-0002&sku=SKU-0003").json()["results"] == [EXPECTED[1], EXPECTED[2]]
    assert api("?sku=NOPE").json()["results"] == []


def test_a_known_channel_sees_the_shared_pool(api, stock):
    assert api("?channel=tmall").json()["results"] == EXPECTED
    assert api("?channel=jd&sku=SKU-0001").json()["results"] == [EXPECTED[0]]


def test_an_unknown_channel_is_400_with_a_field_error(api, stock):
    response = api("?channel=ebay")
    assert response.status_code == 400
    assert response.json() == {"channel": ["Unknown or inactive channel 'ebay'."]}


def test_the_list_is_paginated(api, stock):
    first = api("?page_size=2")
    assert first.json()["results"] == EXPECTED[:2]
    assert first.json()["next"]
    second = api(path=first.json()["next"])
    assert second.json()["results"] == EXPECTED[2:]
    assert second.json()["next"] is None


def test_queries_do_not_grow_with_the_page(api, stock, django_assert_num_queries):
    SKUFactory.create_batch(20)
    api()  # the first request writes last_used_at
    # the key, the page of SKUs, their stock levels
    with django_assert_num_queries(3):
        assert len(api().json()["results"]) == 23


def test_without_key_401_and_without_scope_403(client, db):
    response = client.get(reverse("api-stock-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    _api_client, key = ApiClient.objects.create_key(name="catalogue only", scopes=["catalog:read"])
    response = client.get(reverse("api-stock-list"), HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key lacks the scope 'stock:read'."}
