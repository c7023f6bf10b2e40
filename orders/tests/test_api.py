"""The orders API contract: exact JSON shapes, status codes and rejection reasons."""

import copy
import json
from decimal import Decimal

import pytest
from django.core.cache import cache

from catalog.tests.factories import SKUFactory
from inventory import services as stock
from inventory.tests.factories import WarehouseFactory
from orders.api.views import SYNC_EXAMPLE
from orders.models import Order
from orders.tests.factories import ChannelFactory
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
SYNC = "/api/v1/orders/sync"


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()


@pytest.fixture
def shop(db):
    ChannelFactory(code="tmall", name="Tmall")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    sku = SKUFactory(code="SKU-0001", unit_cost=Decimal("50.00"))
    stock.stock_receive(sku_id=sku.pk, warehouse=east, quantity=10, reference="opening")


def key_for(*scopes):
    _, key = ApiClient.objects.create_key(name="connector", scopes=list(scopes))
    return f"Api-Key {key}"


def order(**overrides):
    """The documented example order (the API docs show the same), with overrides."""
    data = copy.deepcopy(SYNC_EXAMPLE["orders"][0])
    data.update(overrides)
    return data


def post(client, body, auth):
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(SYNC, raw, content_type="application/json", HTTP_AUTHORIZATION=auth)


def test_sync_creates_then_reports_unchanged(client, shop):
    auth = key_for("orders:write")
    body = {"channel": "tmall", "orders": [order()]}
    first = post(client, body, auth)
    assert first.status_code == 200
    assert first.json() == {"created": 1, "updated": 0, "unchanged": 0, "rejected": []}
    assert post(client, body, auth).json() == {"created": 0, "updated": 0, "unchanged": 1, "rejected": []}


def test_sync_needs_a_key_and_the_scope(client, shop):
    body = {"channel": "tmall", "orders": [order()]}
    assert client.post(SYNC, json.dumps(body), content_type="application/json").status_code == 401
    assert post(client, body, "Api-Key wrong.key").status_code == 401
    assert post(client, body, key_for("orders:read")).status_code == 403
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"lines": [{"sku": "SKU-0001", "quantity": -1, "unit_price": "129.00"}]}, "lines[0].quantity"),
        ({"total": "12.3.4"}, "total"),
        ({"total": "218.001"}, "total"),
        ({"placed_at": "18/06/2026"}, "placed_at"),
        ({"placed_at": "2026-06-18T10:21:00"}, "placed_at"),
        ({"status": "lost"}, "status"),
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "SKU-9999", "quantity": 1, "unit_price": "238.00"}]}, "lines[0].sku"),
        ({"total": "219.00"}, "total"),
        ({"currency": "usd"}, "currency"),
        ({"customer": {"name": "no id"}}, "customer.external_id"),
    ],
)
def test_each_bad_order_is_rejected_with_field_errors_and_the_rest_applied(client, shop, bad, field):
    body = {"channel": "tmall", "orders": [order(external_id="GOOD"), order(external_id="BAD", **bad)]}
    response = post(client, body, key_for("orders:write"))
    assert response.status_code == 200
    data = response.json()
    assert data["created"] == 1
    assert [r["external_id"] for r in data["rejected"]] == ["BAD"]
    assert list(data["rejected"][0]["errors"]) == [field]
    assert isinstance(data["rejected"][0]["errors"][field][0], str)
    assert list(Order.objects.values_list("external_id", flat=True)) == ["GOOD"]


def test_an_order_missing_its_external_id_is_reported(client, shop):
    data = post(client, {"channel": "tmall", "orders": [{"status": "paid"}]}, key_for("orders:write")).json()
    assert data["rejected"] == [{"external_id": None, "errors": {"external_id": ["This field is required."]}}]


def test_unknown_channel_is_a_field_error_per_order(client, shop):
    data = post(client, {"channel": "ebay", "orders": [order()]}, key_for("orders:write")).json()
    assert data["rejected"] == [
        {"external_id": "T100023", "errors": {"channel": ["Unknown channel 'ebay'."]}}
    ]


def test_request_level_errors(client, shop):
    auth = key_for("orders:write")
    assert post(client, b"{not json", auth).status_code == 400
    assert post(client, [1, 2], auth).status_code == 400
    response = post(client, {"orders": []}, auth)
    assert response.status_code == 400 and set(response.json()) == {"channel", "orders"}
    too_many = {"channel": "tmall", "orders": [order(external_id=f"T{n}") for n in range(1001)]}
    assert post(client, too_many, auth).status_code == 413
    assert Order.objects.count() == 0


def test_list_and_detail(client, shop):
    post(
        client,
        {"channel": "tmall", "orders": [order(), order(external_id="T2", status="pending")]},
        key_for("orders:write"),
    )
    auth = key_for("orders:read")
    listed = client.get("/api/v1/orders?status=paid", HTTP_AUTHORIZATION=auth)
    assert listed.status_code == 200
    results = listed.json()["results"]
    assert [o["external_id"] for o in results] == ["T100023"]
    detail = client.get("/api/v1/orders/tmall/T100023", HTTP_AUTHORIZATION=auth).json()
    assert detail == results[0]
    assert detail["total"] == "218.00" and detail["total_shop"] == "218.00"
    assert detail["customer"] == {
        "external_id": "C881",
        "name": "王芳",
        "phone": "138****0000",
        "email": "",
        "province": "上海",
    }
    assert detail["lines"] == [
        {
            "sku": "SKU-0001",
            "quantity": 2,
            "unit_price": "129.00",
            "discount": "20.00",
            "backordered": 0,
            "allocations": [{"warehouse": "east", "quantity": 2, "state": "reserved"}],
        }
    ]
    assert client.get("/api/v1/orders/tmall/NOPE", HTTP_AUTHORIZATION=auth).status_code == 404
    assert client.get("/api/v1/orders?placed_from=garbage", HTTP_AUTHORIZATION=auth).status_code == 400
    assert client.get("/api/v1/orders", HTTP_AUTHORIZATION=key_for("stock:read")).status_code == 403


def test_list_is_cursor_paginated(client, shop):
    post(
        client,
        {"channel": "tmall", "orders": [order(external_id=f"T{n}") for n in range(3)]},
        key_for("orders:write"),
    )
    auth = key_for("orders:read")
    first = client.get("/api/v1/orders?page_size=2", HTTP_AUTHORIZATION=auth).json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"], HTTP_AUTHORIZATION=auth).json()
    assert [o["external_id"] for o in second["results"]] == ["T2"] and second["next"] is None
