"""Flash-sale pool and claims (service level): sizes, caps, windows, expiry, the count before expiry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from marketing.models import FlashSaleClaim, FlashSaleCustomerCount, FlashSalePool, Promotion
from marketing.services import flash

pytestmark = pytest.mark.django_db


def flash_promotion(*, code="FS1", sku=None, quantity=10, per_customer=2, price="59.90", **kwargs):
    sku = sku or SKUFactory()
    now = timezone.now()
    promotion = Promotion.objects.create(
        code=code,
        name="秒杀",
        kind=Promotion.Kind.FLASH_SALE,
        params={"sku": sku.code, "price": price, "quantity": quantity, "per_customer": per_customer},
        starts_at=kwargs.pop("starts_at", now - timedelta(hours=1)),
        ends_at=kwargs.pop("ends_at", now + timedelta(hours=1)),
        **kwargs,
    )
    flash.flash_pool_sync(promotion=promotion)
    return promotion


def test_pool_sync_creates_and_resizes():
    promotion = flash_promotion(quantity=10)
    assert FlashSalePool.objects.get(promotion=promotion).quantity == 10
    promotion.params["quantity"] = 25
    flash.flash_pool_sync(promotion=promotion)
    pool = FlashSalePool.objects.get(promotion=promotion)
    assert (pool.quantity, pool.claimed) == (25, 0)


def test_pool_never_below_claimed():
    promotion = flash_promotion(quantity=10, per_customer=None)
    flash.flash_claim_create(code="FS1", customer="C1", sku=promotion.params["sku"], quantity=6)
    promotion.params["quantity"] = 5
    with pytest.raises(ValidationError) as exc:
        flash.flash_pool_sync(promotion=promotion)
    assert "params.quantity" in exc.value.message_dict
    assert FlashSalePool.objects.get(promotion=promotion).quantity == 10
    promotion.params["quantity"] = 6
    assert flash.flash_pool_sync(promotion=promotion).quantity == 6


def test_pool_sync_bad_quantity_and_kind():
    promotion = flash_promotion()
    promotion.params["quantity"] = "lots"
    with pytest.raises(ValidationError) as exc:
        flash.flash_pool_sync(promotion=promotion)
    assert list(exc.value.message_dict) == ["params.quantity"]
    promotion.kind = Promotion.Kind.PERCENT_OFF
    with pytest.raises(ValidationError):
        flash.flash_pool_sync(promotion=promotion)


def test_pool_shrink_releases_expired_holds_first():
    promotion = flash_promotion(quantity=10, per_customer=None)
    sku = promotion.params["sku"]
    past = timezone.now() - timedelta(minutes=11)
    flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=8, now=past)
    promotion.params["quantity"] = 3
    pool = flash.flash_pool_sync(promotion=promotion)
    assert (pool.quantity, pool.claimed) == (3, 0)
    assert FlashSaleClaim.objects.get().status == FlashSaleClaim.Status.EXPIRED


def test_claim_holds_units_and_returns_the_price():
    promotion = flash_promotion(quantity=10, per_customer=3, price="59.9")
    sku = promotion.params["sku"]
    now = timezone.now()
    result = flash.flash_claim_create(code="FS1", customer="C1", sku=sku.lower(), quantity=2, now=now)
    assert result.price == Decimal("59.90")
    assert result.sku == sku
    assert result.quantity == 2
    assert result.expires_at == now + timedelta(minutes=10)
    claim = FlashSaleClaim.objects.get(pk=result.id)
    assert (claim.status, claim.customer_ref, claim.quantity) == ("held", "C1", 2)
    assert FlashSalePool.objects.get(promotion=promotion).claimed == 2
    assert FlashSaleCustomerCount.objects.get(promotion=promotion, customer_ref="C1").claimed == 2


def test_customer_cap_and_sold_out():
    promotion = flash_promotion(quantity=5, per_customer=2)
    sku = promotion.params["sku"]
    flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=2)
    with pytest.raises(flash.ClaimRefused) as exc:
        flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=1)
    assert exc.value.code == "customer_limit"
    with pytest.raises(flash.ClaimRefused) as exc:
        flash.flash_claim_create(code="FS1", customer="C9", sku=sku, quantity=3)
    assert exc.value.code == "customer_limit"
    flash.flash_claim_create(code="FS1", customer="C2", sku=sku, quantity=2)
    flash.flash_claim_create(code="FS1", customer="C3", sku=sku, quantity=1)
    with pytest.raises(flash.ClaimRefused) as exc:
        flash.flash_claim_create(code="FS1", customer="C4", sku=sku, quantity=1)
    assert exc.value.code == "sold_out"
    # the refused claim left the customer's count untouched (rolled back with the pool update)
    assert not FlashSaleCustomerCount.objects.filter(customer_ref="C4", claimed__gt=0).exists()
    assert FlashSalePool.objects.get(promotion=promotion).claimed == 5
    assert FlashSaleClaim.objects.count() == 3


def test_claim_field_errors():
    promotion = flash_promotion()
    other = SKUFactory()
    with pytest.raises(ValidationError) as exc:
        flash.flash_claim_create(code="FS1", customer="", sku=other.code, quantity=0)
    assert set(exc.value.message_dict) == {"customer", "sku", "quantity"}
    promotion.ends_at = timezone.now() - timedelta(minutes=1)
    promotion.starts_at = timezone.now() - timedelta(hours=2)
    promotion.save()
    with pytest.raises(ValidationError) as exc:
        flash.flash_claim_create(code="FS1", customer="C1", sku=promotion.params["sku"], quantity=1)
    assert set(exc.value.message_dict) == {"non_field_errors"}
    with pytest.raises(Promotion.DoesNotExist):
        flash.flash_claim_create(code="NOPE", customer="C1", sku="X", quantity=1)


def test_expired_holds_count_as_free_before_the_task_and_are_released_by_a_claim():
    promotion = flash_promotion(quantity=3, per_customer=3)
    sku = promotion.params["sku"]
    now = timezone.now()
    flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=3, now=now - timedelta(minutes=10))
    assert flash.flash_remaining(promotion_ids=[promotion.pk], now=now) == {promotion.pk: 3}
    assert flash.flash_remaining(promotion_ids=[promotion.pk], now=now - timedelta(minutes=5)) == {
        promotion.pk: 0
    }
    # the pool looks full, but the hold expired: the claim releases it and succeeds
    flash.flash_claim_create(code="FS1", customer="C2", sku=sku, quantity=3, now=now)
    pool = FlashSalePool.objects.get(promotion=promotion)
    assert pool.claimed == 3
    statuses = dict(FlashSaleClaim.objects.values_list("customer_ref", "status"))
    assert statuses == {"C1": "expired", "C2": "held"}
    assert FlashSaleCustomerCount.objects.get(promotion=promotion, customer_ref="C1").claimed == 0


def test_expired_hold_of_the_same_customer_frees_their_cap():
    promotion = flash_promotion(quantity=10, per_customer=1)
    sku = promotion.params["sku"]
    now = timezone.now()
    flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=1, now=now - timedelta(minutes=11))
    flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=1, now=now)
    assert FlashSaleCustomerCount.objects.get(promotion=promotion, customer_ref="C1").claimed == 1
    assert FlashSalePool.objects.get(promotion=promotion).claimed == 1


def test_expire_task_releases_only_expired_held_claims():
    promotion = flash_promotion(quantity=10, per_customer=5)
    sku = promotion.params["sku"]
    now = timezone.now()
    flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=2, now=now - timedelta(minutes=15))
    flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=1, now=now - timedelta(minutes=5))
    flash.flash_claim_create(code="FS1", customer="C2", sku=sku, quantity=3, now=now - timedelta(minutes=12))
    assert flash.flash_claims_expire(now=now) == 5
    assert flash.flash_claims_expire(now=now) == 0
    assert FlashSalePool.objects.get(promotion=promotion).claimed == 1
    counts = dict(
        FlashSaleCustomerCount.objects.filter(promotion=promotion).values_list("customer_ref", "claimed")
    )
    assert counts == {"C1": 1, "C2": 0}
    assert FlashSaleClaim.objects.filter(status="expired").count() == 2


def test_expiry_task_is_registered_and_scheduled_every_minute(settings):
    from celery import current_app
    from celery.schedules import crontab

    from marketing.tasks import sales

    entry = settings.CELERY_BEAT_SCHEDULE["flash-claims-expire"]
    assert entry["task"] == "marketing.flash_claims_expire"
    assert entry["schedule"] == crontab(minute="*")
    assert current_app.tasks["marketing.flash_claims_expire"].name == sales.flash_claims_expire.name
    assert current_app.tasks["marketing.order_promotions_record"].name == sales.order_promotions_record.name
    assert settings.ORDER_SYNC_FOLLOWUP_TASKS[0] == "marketing.order_promotions_record"
    promotion = flash_promotion(quantity=4, per_customer=4)
    flash.flash_claim_create(
        code="FS1",
        customer="C1",
        sku=promotion.params["sku"],
        quantity=4,
        now=timezone.now() - timedelta(hours=1),
    )
    assert sales.flash_claims_expire.delay().get() == 4
    assert FlashSalePool.objects.get(promotion=promotion).claimed == 0


def test_stale_cached_sale_is_rechecked():
    """A claim reads the sale from a per-process cache; a change is seen at once all the same."""
    promotion = flash_promotion(quantity=10, per_customer=5)
    sku = promotion.params["sku"]
    flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=1)  # cached now
    Promotion.objects.filter(pk=promotion.pk).update(active=False)
    with pytest.raises(ValidationError) as exc:
        flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=1)
    assert exc.value.message_dict == {"non_field_errors": ["This flash sale is not active."]}
    promotion.params["per_customer"] = 1
    Promotion.objects.filter(pk=promotion.pk).update(active=True, params=promotion.params)
    with pytest.raises(flash.ClaimRefused) as refused:  # the new cap holds although the cache says 5
        flash.flash_claim_create(code="FS1", customer="C1", sku=sku, quantity=1)
    assert refused.value.code == "customer_limit"
