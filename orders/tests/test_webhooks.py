"""Shopify order webhooks: the signature, the mapping to an order, once-only delivery, rejections."""

import copy
import json
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from conftest import require
from inventory import services as stock
from inventory.models import StockMovement
from inventory.tests.factories import WarehouseFactory
from orders.models import (
    Channel,
    Customer,
    ExchangeRate,
    Order,
    OrderEvent,
    OrderException,
    OrderLine,
    WebhookDelivery,
)
from orders.tests.factories import ChannelFactory
from orders.webhooks import shopify_order_map, shopify_signature, shopify_signature_valid, shopify_status

SECRET = "shpss_4f1c2b9e8d7a6f5e4d3c2b1a"
SAMPLE = json.loads((Path(__file__).parent / "data" / "shopify_order.json").read_text())
URL = reverse("api-shopify-webhook", args=["shopify"])
WEBHOOK_ID = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def sample(**overrides) -> dict:
    payload = copy.deepcopy(SAMPLE)
    payload.update(overrides)
    return payload


def body_of(payload) -> bytes:
    return json.dumps(payload).encode()


def deliver(
    client, payload, *, topic="orders/create", webhook_id=WEBHOOK_ID, secret=SECRET, url=URL, **override
):
    """POST `payload` as Shopify would; `body`, `signature` and `headers` override what is sent."""
    body, signature, headers = override.get("body"), override.get("signature"), override.get("headers")
    body = body_of(payload) if body is None else body
    sent = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Hmac-Sha256": signature if signature is not None else shopify_signature(body, secret),
        "X-Shopify-Shop-Domain": "example-shop.myshopify.com",
        "X-Shopify-Api-Version": "2025-07",
    }
    sent.update(headers or {})
    sent = {name: value for name, value in sent.items() if value is not None}
    return client.post(url, data=body, content_type="application/json", headers=sent)


def written() -> dict:
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "customers": Customer.objects.count(),
        "deliveries": WebhookDelivery.objects.count(),
        "events": OrderEvent.objects.count(),
        "exceptions": OrderException.objects.count(),
        "movements": StockMovement.objects.exclude(reference="opening").count(),
    }


NOTHING = dict.fromkeys(
    ("orders", "lines", "customers", "deliveries", "events", "exceptions", "movements"), 0
)


def make_shop():
    channel = ChannelFactory(
        code="shopify",
        name="Shopify",
        kind=Channel.Kind.CROSS_BORDER,
        currency="USD",
        webhook_secret=SECRET,
    )
    ExchangeRate.objects.create(
        date=date(2026, 6, 1), currency="USD", rate_to_shop_currency=Decimal("7.15000000")
    )
    warehouse = WarehouseFactory(code="east")
    skus = [
        SKUFactory(code="SKU-0001", unit_cost=Decimal("20.00")),
        SKUFactory(code="SKU-0002", unit_cost=Decimal("8.00")),
    ]
    for sku in skus:
        stock.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=10, reference="opening")
    return channel


@pytest.fixture
def shop(db):
    return make_shop()


# --- the signature ------------------------------------------------------------------------------------------


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    # Computed independently: printf %s BODY | openssl dgst -sha256 -hmac SECRET -binary | base64
    assert shopify_signature(b'{"id":1}', "hush") == "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="
    assert shopify_signature_valid(b'{"id":1}', "hush", "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=")
    assert not shopify_signature_valid(b'{"id":2}', "hush", "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=")
    assert not shopify_signature_valid(b"", "", shopify_signature(b"", ""))  # no secret, no trust
    assert not shopify_signature_valid(b'{"id":1}', "hush", None)


# --- the mapping (no database) ------------------------------------------------------------------------------


def test_the_sample_maps_to_these_exact_fields():
    order, errors = shopify_order_map(sample())
    assert errors is None
    assert (order.external_id, order.status, order.currency, order.payment_method) == (
        "820982911946154508",
        "paid",
        "USD",
        "shopify_payments",
    )
    assert order.placed_at == datetime(2026, 6, 18, 14, 21, tzinfo=UTC)
    assert order.updated_at == datetime(2026, 6, 18, 14, 25, tzinfo=UTC)
    assert [(li.sku, li.quantity, li.unit_price, li.discount) for li in order.lines] == [
        ("SKU-0001", 2, Decimal("59.00"), Decimal("10.00")),
        ("SKU-0002", 1, Decimal("25.50"), Decimal("0.00")),
    ]
    # total_discounts 15.00 - line discounts 10.00 (the other 5.00 is the shipping discount)
    assert (order.order_discount, order.shipping_fee, order.tax, order.total) == (
        Decimal("5.00"),
        Decimal("12.00"),
        Decimal("11.40"),
        Decimal("151.90"),
    )
    assert (order.city, order.address, order.coupon_code) == (
        "Louisville",
        "123 Shipping Street Suite 4",
        "SUMMER10",
    )
    c = order.customer
    assert (c.external_id, c.name, c.phone, c.email, c.province) == (
        "115310627314723954",
        "Jon Doe",
        "+15025550123",
        "jon.doe@example.com",
        "Kentucky",
    )


@pytest.mark.parametrize(
    ("financial", "fulfillment", "cancelled_at", "expected"),
    [
        ("pending", None, None, "pending"),
        ("authorized", None, None, "pending"),
        ("paid", None, None, "paid"),
        ("partially_paid", None, None, "paid"),
        ("paid", "partial", None, "paid"),
        ("paid", "fulfilled", None, "shipped"),
        ("pending", "fulfilled", None, "shipped"),  # cash on delivery
        ("partially_refunded", None, None, "paid"),
        ("partially_refunded", "fulfilled", None, "shipped"),
        ("refunded", None, None, "refunded"),
        ("refunded", "fulfilled", "2026-06-19T08:00:00-04:00", "refunded"),
        ("voided", None, None, "cancelled"),
        ("paid", None, "2026-06-19T08:00:00-04:00", "cancelled"),
        ("pending", None, "2026-06-19T08:00:00-04:00", "cancelled"),
        ("expired", None, None, None),
        (None, None, None, None),
    ],
)
def test_status_mapping(financial, fulfillment, cancelled_at, expected):
    payload = {"financial_status": financial, "fulfillment_status": fulfillment, "cancelled_at": cancelled_at}
    assert shopify_status(payload) == expected


def test_line_discount_falls_back_to_total_discount_and_order_discount_is_never_negative():
    items = copy.deepcopy(SAMPLE["line_items"])
    items[0]["discount_allocations"] = []
    items[0]["total_discount"] = "10.00"
    order, errors = shopify_order_map(sample(line_items=items, total_discounts="4.00"))
    assert errors is None
    assert order.lines[0].discount == Decimal("10.00")
    assert order.order_discount == Decimal("0.00")


def test_prices_with_tax_included_add_no_tax_and_the_gateway_wins():
    order, errors = shopify_order_map(sample(taxes_included=True, gateway="paypal"))
    assert errors is None
    assert (order.tax, order.payment_method) == (Decimal("0.00"), "paypal")


def test_mapping_errors_name_the_shopify_field():
    items = copy.deepcopy(SAMPLE["line_items"])
    items[1]["price"] = "twelve"
    order, errors = shopify_order_map(sample(financial_status="expired", line_items=items))
    assert order is None
    assert errors == {
        "financial_status": ["Unknown financial_status 'expired'."],
        "line_items[1].price": ["Not an amount: 'twelve'."],
    }
    assert shopify_order_map([1, 2]) == (
        None,
        {"non_field_errors": ["A Shopify order must be a JSON object."]},
    )


def test_a_guest_checkout_has_no_customer():
    order, errors = shopify_order_map(sample(customer=None))
    assert errors is None and order.customer is None


# --- the endpoint -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_order_is_created_with_the_mapped_fields(client, shop):
    response = deliver(client, sample())
    assert response.status_code == 200
    assert response.json() == {
        "status": "applied",
        "topic": "orders/create",
        "result": {"created": 1, "updated": 0, "unchanged": 0, "rejected": []},
    }
    order = Order.objects.select_related("customer").get()
    assert (order.channel_id, order.external_id, order.status) == (shop.pk, "820982911946154508", "paid")
    assert (order.placed_at, order.source_updated_at, order.paid_at) == (
        datetime(2026, 6, 18, 14, 21, tzinfo=UTC),
        datetime(2026, 6, 18, 14, 25, tzinfo=UTC),
        datetime(2026, 6, 18, 14, 25, tzinfo=UTC),
    )
    assert (order.currency, order.exchange_rate, order.total, order.total_shop) == (
        "USD",
        Decimal("7.15000000"),
        Decimal("151.90"),
        Decimal("1086.09"),  # 151.90 x 7.15 = 1086.085, half up
    )
    assert (order.shipping_fee, order.tax, order.order_discount, order.coupon_code) == (
        Decimal("12.00"),
        Decimal("11.40"),
        Decimal("5.00"),
        "SUMMER10",
    )
    assert (order.payment_method, order.province, order.city, order.address) == (
        "shopify_payments",
        "Kentucky",
        "Louisville",
        "123 Shipping Street Suite 4",
    )
    assert sorted(
        order.lines.values_list("sku__code", "quantity", "unit_price", "discount", "unit_cost")
    ) == [
        ("SKU-0001", 2, Decimal("59.00"), Decimal("10.00"), Decimal("20.00")),
        ("SKU-0002", 1, Decimal("25.50"), Decimal("0.00"), Decimal("8.00")),
    ]
    c = order.customer
    assert (c.channel_id, c.external_id, c.name, c.phone, c.email, c.province) == (
        shop.pk,
        "115310627314723954",
        "Jon Doe",
        "+15025550123",
        "jon.doe@example.com",
        "Kentucky",
    )
    assert list(OrderEvent.objects.values_list("kind", "to_status", "source")) == [
        ("created", "paid", "webhook")
    ]
    assert list(WebhookDelivery.objects.values_list("channel_id", "webhook_id", "topic", "outcome")) == [
        (shop.pk, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "orders/create", "created")
    ]
    assert OrderException.objects.count() == 0  # stock was there; no address check for cross-border


@pytest.mark.django_db
def test_a_tampered_body_is_refused_and_nothing_is_written(client, shop):
    body = body_of(sample())
    signature = shopify_signature(body, SECRET)
    tampered = body.replace(b'"151.90"', b'"1.90"')
    assert tampered != body
    response = deliver(client, None, body=tampered, signature=signature)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid webhook signature."}
    assert written() == NOTHING


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    [
        "wrong secret",
        "missing header",
        "empty header",
        "unknown channel",
        "channel without secret",
        "inactive",
    ],
)
def test_unverifiable_deliveries_get_401_and_write_nothing(client, shop, case):
    kwargs = {}
    if case == "wrong secret":
        kwargs["secret"] = "shpss_not_the_channel_secret"
    elif case == "missing header":
        kwargs["headers"] = {"X-Shopify-Hmac-Sha256": None}
    elif case == "empty header":
        kwargs["signature"] = ""
    elif case == "unknown channel":
        kwargs["url"] = reverse("api-shopify-webhook", args=["nowhere"])
    elif case == "channel without secret":
        ChannelFactory(code="shopify-eu", kind=Channel.Kind.CROSS_BORDER, currency="USD", webhook_secret="")
        kwargs.update(url=reverse("api-shopify-webhook", args=["shopify-eu"]), secret="")
    else:
        Channel.objects.filter(pk=shop.pk).update(active=False)
    response = deliver(client, sample(), **kwargs)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid webhook signature."}
    assert written() == NOTHING


@pytest.mark.django_db
def test_the_same_delivery_five_times_is_applied_once_and_a_new_update_applies(client, shop):
    answers = [deliver(client, sample()).json()["status"] for _ in range(5)]
    assert answers == ["applied", "duplicate", "duplicate", "duplicate", "duplicate"]
    assert (Order.objects.count(), WebhookDelivery.objects.count(), OrderEvent.objects.count()) == (1, 1, 1)

    shipped = sample(fulfillment_status="fulfilled", updated_at="2026-06-19T09:00:00-04:00")
    response = deliver(client, shipped, topic="orders/updated", webhook_id="7d0a3a1c-second")
    assert response.json() == {
        "status": "applied",
        "topic": "orders/updated",
        "result": {"created": 0, "updated": 1, "unchanged": 0, "rejected": []},
    }
    order = Order.objects.get()
    assert (order.status, order.shipped_at) == ("shipped", datetime(2026, 6, 19, 13, 0, tzinfo=UTC))
    assert list(WebhookDelivery.objects.order_by("id").values_list("webhook_id", "topic", "outcome")) == [
        ("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "orders/create", "created"),
        ("7d0a3a1c-second", "orders/updated", "updated"),
    ]
    # The same content under yet another delivery id: recorded, and the order is unchanged.
    again = deliver(client, shipped, topic="orders/updated", webhook_id="7d0a3a1c-third")
    assert again.json()["result"] == {"created": 0, "updated": 0, "unchanged": 1, "rejected": []}
    assert WebhookDelivery.objects.get(webhook_id="7d0a3a1c-third").outcome == "unchanged"


@pytest.mark.django_db
def test_a_rejected_order_is_answered_200_with_the_reason_and_recorded(client, shop):
    items = copy.deepcopy(SAMPLE["line_items"])
    items[0]["sku"] = "SKU-9999"
    response = deliver(client, sample(line_items=items))
    assert response.status_code == 200
    assert response.json() == {
        "status": "rejected",
        "topic": "orders/create",
        "result": {
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": [
                {"external_id": "820982911946154508", "errors": {"lines[0].sku": ["Unknown SKU 'SKU-9999'."]}}
            ],
        },
    }
    assert WebhookDelivery.objects.get().outcome == "rejected: lines[0].sku: Unknown SKU 'SKU-9999'."
    assert written() == {**NOTHING, "deliveries": 1}
    # A redelivery of the rejected one is a duplicate, not a second attempt.
    assert deliver(client, sample(line_items=items)).json() == {"status": "duplicate"}


@pytest.mark.django_db
def test_a_payload_that_cannot_be_mapped_is_rejected_with_the_shopify_field(client, shop):
    response = deliver(client, sample(financial_status="expired"))
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["result"]["rejected"] == [
        {
            "external_id": "820982911946154508",
            "errors": {"financial_status": ["Unknown financial_status 'expired'."]},
        }
    ]
    assert (
        WebhookDelivery.objects.get().outcome
        == "rejected: financial_status: Unknown financial_status 'expired'."
    )
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_an_illegal_status_move_is_rejected(client, shop):
    deliver(client, sample(financial_status="voided", cancelled_at="2026-06-18T11:00:00-04:00"))
    response = deliver(
        client, sample(updated_at="2026-06-19T09:00:00-04:00"), topic="orders/updated", webhook_id="later"
    )
    assert response.json()["result"]["rejected"] == [
        {
            "external_id": "820982911946154508",
            "errors": {"status": ["Cannot move from 'cancelled' to 'paid'."]},
        }
    ]
    assert Order.objects.get().status == "cancelled"


@pytest.mark.django_db
def test_other_topics_are_recorded_and_ignored(client, shop):
    response = deliver(client, {"id": 1}, topic="customers/update")
    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "topic": "customers/update"}
    assert list(WebhookDelivery.objects.values_list("topic", "outcome")) == [
        ("customers/update", "ignored: topic customers/update")
    ]
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_signed_but_malformed_json_or_no_webhook_id_is_400_and_writes_nothing(client, shop):
    assert deliver(client, None, body=b"{not json").status_code == 400
    assert deliver(client, sample(), headers={"X-Shopify-Webhook-Id": None}).status_code == 400
    assert written() == NOTHING


@pytest.mark.django_db
def test_no_api_key_no_session_and_no_csrf_token_are_needed(shop):
    client = Client(enforce_csrf_checks=True)
    assert deliver(client, sample()).status_code == 200


@pytest.mark.django_db
def test_get_is_not_allowed(client, shop):
    assert client.get(URL).status_code == 405


# --- concurrent duplicates (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_deliveries_apply_once():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")
    make_shop()
    body = body_of(sample())
    barrier = threading.Barrier(5)
    answers, errors = [], []

    def send():
        try:
            barrier.wait(timeout=30)
            answers.append(deliver(Client(), None, body=body).json()["status"])
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(answers) == ["applied", "duplicate", "duplicate", "duplicate", "duplicate"]
    assert (Order.objects.count(), WebhookDelivery.objects.count(), OrderEvent.objects.count()) == (1, 1, 1)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RESERVATION).count() == 2
