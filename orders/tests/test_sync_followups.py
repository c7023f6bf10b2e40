"""Follow-ups of the order sync: the ids of synced orders that carry a coupon code or a flash-sale claim
go to the tasks in settings.ORDER_SYNC_FOLLOWUP_TASKS on commit. End to end through the API: a claimed
flash sale and a coupon, synced on an order, are converted and redeemed by marketing's task.

Orders may not import marketing (the layers): its models are reached through the app registry."""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from celery import shared_task
from django.apps import apps
from django.core.cache import cache
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from inventory import services as stock
from inventory.tests.factories import WarehouseFactory
from orders.models import OrderLine
from orders.tests.factories import ChannelFactory
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
SYNC = "/api/v1/orders/sync"
seen_calls: list[list[int]] = []
SHANGHAI = ZoneInfo("Asia/Shanghai")


@shared_task(name="tests.order_followup_probe")
def order_followup_probe(order_ids):
    seen_calls.append(sorted(order_ids))


@pytest.fixture(autouse=True)
def _clean():
    cache.clear()
    seen_calls.clear()


@pytest.fixture
def shop(db):
    ChannelFactory(code="own_store", name="Own store")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    for code in ("SKU-0001", "SKU-0002"):
        sku = SKUFactory(code=code, unit_cost=Decimal("40.00"))
        stock.stock_receive(sku_id=sku.pk, warehouse=east, quantity=50, reference="opening")


def key_for(*scopes):
    _, key = ApiClient.objects.create_key(name="store", scopes=list(scopes))
    return f"Api-Key {key}"


def order(external_id, *, coupon=None, claim=None, status="paid", updated="2026-11-11T10:05:00+08:00"):
    lines = [{"sku": "SKU-0002", "quantity": 2, "unit_price": "114.00", "discount": "0.00"}]
    total = Decimal("228.00")
    if claim:
        lines.append(
            {
                "sku": "SKU-0001",
                "quantity": 1,
                "unit_price": "99.00",
                "discount": "39.10",
                "flash_claim": claim,
            }
        )
        total += Decimal("59.90")
    discount = Decimal("30.00") if coupon else Decimal("0.00")
    return {
        "external_id": external_id,
        "placed_at": "2026-11-11T10:00:00+08:00",
        "updated_at": updated,
        "status": status,
        "customer": {"external_id": "C1", "province": "上海"},
        "order_discount": str(discount),
        "coupon_code": coupon,
        "total": str(total - discount),
        "lines": lines,
    }


def sync(client, auth, *orders):
    response = client.post(
        SYNC,
        json.dumps({"channel": "own_store", "orders": list(orders)}),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == 200, response.content
    assert response.json()["rejected"] == []
    return response.json()


def test_only_orders_with_a_coupon_or_a_claim_are_handed_on_after_commit(
    client, shop, settings, django_capture_on_commit_callbacks
):
    settings.ORDER_SYNC_FOLLOWUP_TASKS = ["tests.order_followup_probe"]
    auth = key_for("orders:write")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sync(
            client,
            auth,
            order("A1"),
            order("A2", coupon="D11VIP"),
            order("A3", claim="6f1c1a52-8c59-4a53-9b3a-1f0f3c7d2e10"),
        )
    assert seen_calls == []  # nothing before the commit
    for callback in callbacks:
        # the follow-ups go through the task outbox, which publishes on commit of its own row
        with django_capture_on_commit_callbacks(execute=True):
            callback()
    Order = apps.get_model("orders", "Order")
    ids = dict(Order.objects.values_list("external_id", "pk"))
    assert seen_calls == [sorted([ids["A2"], ids["A3"]])]
    assert OrderLine.objects.get(order_id=ids["A3"], sku__code="SKU-0001").flash_claim == (
        "6f1c1a52-8c59-4a53-9b3a-1f0f3c7d2e10"
    )
    assert OrderLine.objects.get(order_id=ids["A2"]).flash_claim == ""
    # an update of an order with a coupon is handed on again (e.g. a cancellation gives the use back)
    seen_calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sync(
            client,
            auth,
            order("A2", coupon="D11VIP", status="cancelled", updated="2026-11-11T11:00:00+08:00"),
        )
        sync(client, auth, order("A1", status="cancelled", updated="2026-11-11T11:00:00+08:00"))
    assert seen_calls == [[ids["A2"]]]


def test_an_unknown_follow_up_task_never_breaks_the_sync(
    client, shop, settings, django_capture_on_commit_callbacks
):
    settings.ORDER_SYNC_FOLLOWUP_TASKS = ["nowhere.to_be_found", "tests.order_followup_probe"]
    with django_capture_on_commit_callbacks(execute=True):
        result = sync(client, key_for("orders:write"), order("B1", coupon="X"))
    assert result["created"] == 1
    assert len(seen_calls) == 1


def test_claim_and_coupon_synced_on_an_order_are_converted_and_redeemed(
    client, shop, django_capture_on_commit_callbacks
):
    Promotion = apps.get_model("marketing", "Promotion")
    Coupon = apps.get_model("marketing", "Coupon")
    FlashSalePool = apps.get_model("marketing", "FlashSalePool")
    FlashSaleClaim = apps.get_model("marketing", "FlashSaleClaim")
    Redemption = apps.get_model("marketing", "Redemption")
    now = timezone.now()
    flash_sale = Promotion.objects.create(
        code="D11-FLASH",
        name="秒杀",
        kind="flash_sale",
        params={"sku": "SKU-0001", "price": "59.90", "quantity": 5, "per_customer": 1},
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    FlashSalePool.objects.create(promotion=flash_sale, quantity=5)
    coupon_promotion = Promotion.objects.create(
        code="D11-COUPON",
        name="满200减30",
        kind="threshold_amount",
        params={"tiers": [{"threshold": "200.00", "amount": "30.00"}]},
        coupon_required=True,
        starts_at=datetime(2026, 11, 1, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 11, 12, tzinfo=SHANGHAI),
    )
    Coupon.objects.create(code="D11-ABC", promotion=coupon_promotion, usage_limit=1)

    claimed = client.post(
        "/api/v1/flash-sales/D11-FLASH/claims",
        json.dumps({"customer": "C1", "sku": "SKU-0001", "quantity": 1}),
        content_type="application/json",
        HTTP_AUTHORIZATION=key_for("pricing:quote"),
    )
    assert claimed.status_code == 201
    claim_id = claimed.json()["id"]

    auth = key_for("orders:write")
    with django_capture_on_commit_callbacks(execute=True):
        sync(client, auth, order("T1", coupon="d11-abc", claim=claim_id))
    claim = FlashSaleClaim.objects.get(pk=claim_id)
    assert claim.status == "converted"
    assert claim.order.external_id == "T1"
    redeemed = {
        r.promotion.code: (r.status, r.discount, r.coupon.code if r.coupon else None)
        for r in Redemption.objects.select_related("promotion", "coupon")
    }
    assert redeemed == {
        "D11-COUPON": ("accepted", Decimal("30.00"), "D11-ABC"),
        "D11-FLASH": ("accepted", Decimal("39.10"), None),
    }
    assert Coupon.objects.get().used == 1
    assert FlashSalePool.objects.get().claimed == 1

    # the same payload again is unchanged: nothing handed on, nothing counted twice
    with django_capture_on_commit_callbacks(execute=True):
        assert sync(client, auth, order("T1", coupon="d11-abc", claim=claim_id))["unchanged"] == 1
    assert Redemption.objects.count() == 2

    # a second order with the single-use coupon: recorded, refused
    with django_capture_on_commit_callbacks(execute=True):
        sync(client, auth, order("T2", coupon="D11-ABC"))
    refused = Redemption.objects.get(order__external_id="T2")
    assert (refused.status, refused.reason) == ("refused", "Coupon usage limit reached.")

    # T1 cancelled: the coupon use and the flash unit come back
    with django_capture_on_commit_callbacks(execute=True):
        sync(
            client,
            auth,
            order(
                "T1",
                coupon="d11-abc",
                claim=claim_id,
                status="cancelled",
                updated="2026-11-11T12:00:00+08:00",
            ),
        )
    assert Coupon.objects.get().used == 0
    assert FlashSalePool.objects.get().claimed == 0
    assert set(Redemption.objects.filter(order__external_id="T1").values_list("status", flat=True)) == {
        "refused"
    }
