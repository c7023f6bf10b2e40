"""POST /api/v1/flash-sales/{code}/claims: exact shapes and status codes."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from marketing.models import FlashSaleClaim, Promotion
from marketing.services import flash
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
URL = "/api/v1/flash-sales/{}/claims"


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()


@pytest.fixture
def sale(db):
    sku = SKUFactory(code="SKU-0001")
    now = timezone.now()
    promotion = Promotion.objects.create(
        code="D11-FLASH",
        name="秒杀",
        kind=Promotion.Kind.FLASH_SALE,
        params={"sku": sku.code, "price": "59.9", "quantity": 3, "per_customer": 2},
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    flash.flash_pool_sync(promotion=promotion)
    return promotion


def key_for(*scopes):
    _, key = ApiClient.objects.create_key(name="store", scopes=list(scopes))
    return f"Api-Key {key}"


def post(client, code, body, auth):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL.format(code), raw, content_type="application/json", HTTP_AUTHORIZATION=auth)


def test_claim_201_with_the_documented_shape(client, sale):
    before = timezone.now()
    response = post(
        client, "D11-FLASH", {"customer": "C1", "sku": "SKU-0001", "quantity": 2}, key_for("pricing:quote")
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "promotion", "sku", "quantity", "price", "expires_at"}
    assert (body["promotion"], body["sku"], body["quantity"], body["price"]) == (
        "D11-FLASH",
        "SKU-0001",
        2,
        "59.90",
    )
    claim = FlashSaleClaim.objects.get(pk=body["id"])
    assert claim.customer_ref == "C1"
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(minutes=10) <= expires <= timezone.now() + timedelta(minutes=10)


def test_409_customer_limit_then_sold_out(client, sale):
    auth = key_for("pricing:quote")
    assert (
        post(client, "D11-FLASH", {"customer": "C1", "sku": "SKU-0001", "quantity": 2}, auth).status_code
        == 201
    )
    over = post(client, "D11-FLASH", {"customer": "C1", "sku": "SKU-0001", "quantity": 1}, auth)
    assert over.status_code == 409
    assert over.json()["code"] == "customer_limit"
    assert "detail" in over.json()
    assert post(client, "D11-FLASH", {"customer": "C2", "sku": "SKU-0001"}, auth).status_code == 201
    sold_out = post(client, "D11-FLASH", {"customer": "C3", "sku": "SKU-0001", "quantity": 1}, auth)
    assert sold_out.status_code == 409
    assert sold_out.json() == {"detail": "Sold out: no units left in this flash sale.", "code": "sold_out"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"customer": "C1", "sku": "SKU-9999", "quantity": 1}, {"sku"}),
        ({"customer": "C1", "sku": "SKU-0001", "quantity": 0}, {"quantity"}),
        ({"customer": "C1", "sku": "SKU-0001", "quantity": "two"}, {"quantity"}),
        ({"sku": "SKU-0001", "quantity": 1}, {"customer"}),
        ([1, 2], {"non_field_errors"}),
    ],
)
def test_400_field_errors(client, sale, body, fields):
    response = post(client, "D11-FLASH", body, key_for("pricing:quote"))
    assert response.status_code == 400
    assert set(response.json()) == fields
    assert FlashSaleClaim.objects.count() == 0


def test_400_outside_the_window(client, sale):
    Promotion.objects.filter(pk=sale.pk).update(
        starts_at=timezone.now() + timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=2)
    )
    response = post(client, "D11-FLASH", {"customer": "C1", "sku": "SKU-0001"}, key_for("pricing:quote"))
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The flash sale is not running at this time."]}


def test_404_unknown_or_not_a_flash_sale(client, sale):
    auth = key_for("pricing:quote")
    assert post(client, "NOPE", {"customer": "C1", "sku": "SKU-0001"}, auth).status_code == 404
    Promotion.objects.create(code="PCT", name="9折", kind="percent_off", params={"percent": "10"})
    assert post(client, "PCT", {"customer": "C1", "sku": "SKU-0001"}, auth).status_code == 404


def test_scopes(client, sale):
    body = {"customer": "C1", "sku": "SKU-0001"}
    assert (
        client.post(URL.format("D11-FLASH"), json.dumps(body), content_type="application/json").status_code
        == 401
    )
    assert post(client, "D11-FLASH", body, key_for("orders:write")).status_code == 403
    assert post(client, "D11-FLASH", body, key_for("marketing:write")).status_code == 201


def test_documented_in_the_schema(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/flash-sales/{code}/claims"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "401", "403", "404", "409", "429"}
    assert "pricing:quote" in operation["description"]
