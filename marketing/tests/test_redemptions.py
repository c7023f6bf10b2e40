"""Recording what synced orders used: coupon redemptions (limits, refusals, idempotence, cancellation) and
flash-claim conversions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from marketing.models import (
    Coupon,
    FlashSaleClaim,
    FlashSaleCustomerCount,
    FlashSalePool,
    Promotion,
    PromotionCustomerUsage,
    Redemption,
)
from marketing.services import flash, redemptions
from marketing.services.coupons import coupon_create
from orders.models import Order
from orders.tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def coupon_promotion(code="D11-COUPON", **kwargs):
    now = timezone.now()
    defaults = {
        "name": "满200减30 券",
        "kind": Promotion.Kind.THRESHOLD_AMOUNT,
        "params": {"tiers": [{"threshold": "200.00", "amount": "30.00"}]},
        "coupon_required": True,
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=1),
    }
    defaults.update(kwargs)
    return Promotion.objects.create(code=code, **defaults)


def coupon_order(code, *, customer=None, status=Order.Status.PAID, order_discount="30.00", line_discount="0"):
    kwargs = {"customer": customer} if customer is not None else {}
    order = OrderFactory(
        coupon_code=code,
        status=status,
        order_discount=Decimal(order_discount),
        total=Decimal("228.00") - Decimal(order_discount) - Decimal(line_discount),
        **kwargs,
    )
    OrderLineFactory(order=order, quantity=2, unit_price=Decimal("114.00"), discount=Decimal(line_discount))
    return order


def record(*orders):
    return redemptions.order_promotions_record(order_ids=[o.pk for o in orders])


def test_coupon_redemption_accepted_with_the_order_discount():
    promotion = coupon_promotion()
    coupon = coupon_create(promotion=promotion, code="vip30", usage_limit=5)
    order = coupon_order(" Vip30 ", order_discount="30.00", line_discount="12.50")
    result = record(order)
    assert result.as_dict() == {"accepted": 1, "refused": 0, "given_back": 0, "converted": 0, "unchanged": 0}
    redemption = Redemption.objects.get()
    assert (redemption.promotion, redemption.coupon, redemption.order, redemption.status) == (
        promotion,
        coupon,
        order,
        "accepted",
    )
    assert redemption.customer_id == order.customer_id
    assert redemption.discount == Decimal("42.50")
    coupon.refresh_from_db()
    promotion.refresh_from_db()
    assert (coupon.used, promotion.used) == (1, 1)
    assert PromotionCustomerUsage.objects.get(promotion=promotion, customer=order.customer).used == 1


def test_personal_coupon_is_refused_for_another_customer():
    """A coupon issued to a customer (a referral reward) works for that customer only."""
    from marketing.services.coupons import coupon_issue

    promotion = coupon_promotion()
    owner, stranger = CustomerFactory(), CustomerFactory()
    coupon = coupon_issue(promotion=promotion, customer=owner, prefix="RW")
    assert coupon.customer == owner and coupon.code.startswith("RW")
    theirs = coupon_order(coupon.code, customer=stranger)
    assert record(theirs).as_dict()["refused"] == 1
    refused = Redemption.objects.get(order=theirs)
    assert (refused.status, refused.reason) == ("refused", "Coupon was issued to another customer.")
    mine = coupon_order(coupon.code.lower(), customer=owner)
    assert record(mine).as_dict()["accepted"] == 1
    coupon.refresh_from_db()
    assert coupon.used == 1


def test_recording_twice_changes_nothing():
    promotion = coupon_promotion()
    coupon_create(promotion=promotion, code="ONCE", usage_limit=5)
    order = coupon_order("ONCE")
    record(order)
    assert record(order).as_dict()["unchanged"] == 1
    assert Redemption.objects.count() == 1
    assert Coupon.objects.get().used == 1
    assert Promotion.objects.get().used == 1


def test_public_code_of_a_coupon_promotion():
    promotion = coupon_promotion(code="D11VIP")
    order = coupon_order("d11vip")
    assert record(order).accepted == 1
    redemption = Redemption.objects.get()
    assert (redemption.promotion, redemption.coupon) == (promotion, None)


def test_public_code_stops_once_the_promotion_has_generated_codes():
    promotion = coupon_promotion(code="D11VIP")
    coupon_create(promotion=promotion, code="D11VIP-A1", usage_limit=5)
    record(coupon_order("D11VIP"), coupon_order("D11VIP-A1"))
    refused = Redemption.objects.get(coupon=None)
    assert (refused.status, refused.reason) == ("refused", redemptions.REASON_PUBLIC_CODE)
    assert Redemption.objects.get(coupon__code="D11VIP-A1").status == "accepted"
    promotion.refresh_from_db()
    assert promotion.used == 1


def test_unknown_code_and_promotion_without_coupon_are_ignored():
    coupon_promotion(code="OPEN", coupon_required=False)
    assert record(coupon_order("OPEN"), coupon_order("REF-KOC-1")).as_dict()["accepted"] == 0
    assert Redemption.objects.count() == 0


def test_coupon_total_limit_refuses_the_third_use():
    promotion = coupon_promotion()
    coupon = coupon_create(promotion=promotion, code="TWO", usage_limit=2)
    orders = [coupon_order("TWO") for _ in range(3)]
    result = record(*orders)
    assert (result.accepted, result.refused) == (2, 1)
    refused = Redemption.objects.get(status="refused")
    assert refused.order == orders[2]
    assert refused.reason == redemptions.REASON_COUPON_LIMIT
    coupon.refresh_from_db()
    promotion.refresh_from_db()
    assert (coupon.used, promotion.used) == (2, 2)  # the refused one took nothing


def test_coupon_per_customer_limit():
    promotion = coupon_promotion()
    coupon_create(promotion=promotion, code="ONEEACH", usage_limit=10, per_customer_limit=1)
    wang, li = CustomerFactory(), CustomerFactory()
    result = record(coupon_order("ONEEACH", customer=wang), coupon_order("ONEEACH", customer=wang))
    assert (result.accepted, result.refused) == (1, 1)
    assert result.reasons == [redemptions.REASON_COUPON_CUSTOMER_LIMIT]
    assert record(coupon_order("ONEEACH", customer=li)).accepted == 1
    assert Coupon.objects.get().used == 2
    assert Promotion.objects.get().used == 2


def test_promotion_limits_total_and_per_customer():
    promotion = coupon_promotion(usage_limit=3, per_customer_limit=2)
    coupon_create(promotion=promotion, code="P1", usage_limit=None)
    wang = CustomerFactory()
    result = record(*(coupon_order("P1", customer=wang) for _ in range(3)))
    assert (result.accepted, result.refused) == (2, 1)
    assert result.reasons == [redemptions.REASON_PROMOTION_CUSTOMER_LIMIT]
    assert PromotionCustomerUsage.objects.get(promotion=promotion, customer=wang).used == 2
    assert Coupon.objects.get().used == 2  # rolled back with the refusal
    result = record(coupon_order("P1"), coupon_order("P1"))
    assert (result.accepted, result.refused) == (1, 1)
    assert result.reasons == [redemptions.REASON_PROMOTION_LIMIT]
    promotion.refresh_from_db()
    assert promotion.used == 3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"coupon_active": False}, redemptions.REASON_COUPON_INACTIVE),
        ({"active": False}, redemptions.REASON_PROMOTION_INACTIVE),
        ({"ends_at_delta": -2}, redemptions.REASON_OUTSIDE_WINDOW),
    ],
)
def test_refusals_with_reasons(change, reason):
    promotion = coupon_promotion()
    coupon = coupon_create(promotion=promotion, code="X1", usage_limit=None)
    if "coupon_active" in change:
        Coupon.objects.filter(pk=coupon.pk).update(active=False)
    if "active" in change:
        Promotion.objects.filter(pk=promotion.pk).update(active=False)
    if "ends_at_delta" in change:
        Promotion.objects.filter(pk=promotion.pk).update(
            starts_at=timezone.now() - timedelta(days=5), ends_at=timezone.now() - timedelta(days=2)
        )
    record(coupon_order("X1"))
    redemption = Redemption.objects.get()
    assert (redemption.status, redemption.reason) == ("refused", reason)
    assert Coupon.objects.get().used == 0
    assert Promotion.objects.get().used == 0


def test_cancelled_order_gives_the_use_back():
    promotion = coupon_promotion(per_customer_limit=1)
    coupon = coupon_create(promotion=promotion, code="BACK", usage_limit=1)
    order = coupon_order("BACK")
    record(order)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    result = record(order)
    assert result.given_back == 1
    redemption = Redemption.objects.get()
    assert (redemption.status, redemption.reason) == ("refused", redemptions.REASON_CANCELLED)
    coupon.refresh_from_db()
    promotion.refresh_from_db()
    assert (coupon.used, promotion.used) == (0, 0)
    assert PromotionCustomerUsage.objects.get(customer=order.customer).used == 0
    assert record(order).as_dict()["given_back"] == 0  # idempotent
    # the single-use coupon is free again for another order
    assert record(coupon_order("BACK")).accepted == 1


def test_order_first_seen_cancelled_consumes_nothing():
    promotion = coupon_promotion()
    coupon_create(promotion=promotion, code="NEVER", usage_limit=1)
    record(coupon_order("NEVER", status=Order.Status.CANCELLED))
    redemption = Redemption.objects.get()
    assert (redemption.status, redemption.reason) == ("refused", redemptions.REASON_CANCELLED_FIRST)
    assert Coupon.objects.get().used == 0


def test_refunded_order_keeps_its_redemption():
    promotion = coupon_promotion()
    coupon_create(promotion=promotion, code="KEEP", usage_limit=1)
    order = coupon_order("KEEP")
    record(order)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED)
    assert record(order).given_back == 0
    assert Redemption.objects.get().status == "accepted"
    assert Coupon.objects.get().used == 1


# ---------------------------------------------------------------------------------------------
# Flash-sale claims
# ---------------------------------------------------------------------------------------------
def flash_sale(sku, *, quantity=10, per_customer=2, code="FS-1"):
    now = timezone.now()
    promotion = Promotion.objects.create(
        code=code,
        name="秒杀",
        kind=Promotion.Kind.FLASH_SALE,
        params={"sku": sku.code, "price": "59.90", "quantity": quantity, "per_customer": per_customer},
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    flash.flash_pool_sync(promotion=promotion)
    return promotion


def claim_order(sku, claim_id, *, customer, quantity=1, discount="40.00"):
    order = OrderFactory(customer=customer, total=Decimal("99.00") * quantity - Decimal(discount))
    OrderLineFactory(
        order=order,
        sku=sku,
        quantity=quantity,
        unit_price=Decimal("99.00"),
        discount=Decimal(discount),
        flash_claim=str(claim_id),
    )
    return order


def test_claim_converted_by_the_order():
    sku = SKUFactory()
    promotion = flash_sale(sku)
    customer = CustomerFactory(external_id="C1")
    claim = flash.flash_claim_create(code="FS-1", customer="C1", sku=sku.code, quantity=2)
    order = claim_order(sku, claim.id, customer=customer, quantity=2, discount="78.20")
    result = record(order)
    assert (result.accepted, result.converted) == (1, 1)
    stored = FlashSaleClaim.objects.get()
    assert (stored.status, stored.order) == ("converted", order)
    assert stored.closed_at is not None
    redemption = Redemption.objects.get()
    assert (redemption.promotion, redemption.status, redemption.discount) == (
        promotion,
        "accepted",
        Decimal("78.20"),
    )
    assert FlashSalePool.objects.get().claimed == 2  # converted units stay counted
    assert Promotion.objects.get().used == 1
    assert record(order).unchanged == 1
    # the expiry task leaves converted claims alone
    assert flash.flash_claims_expire(now=timezone.now() + timedelta(hours=1)) == 0


def test_claim_of_another_customer_or_sku_is_refused():
    sku, other = SKUFactory(), SKUFactory()
    flash_sale(sku)
    claim = flash.flash_claim_create(code="FS-1", customer="C1", sku=sku.code, quantity=1)
    record(claim_order(sku, claim.id, customer=CustomerFactory(external_id="C2")))
    redemption = Redemption.objects.get()
    assert (redemption.status, redemption.reason) == ("refused", redemptions.REASON_CLAIM_CUSTOMER)
    assert FlashSaleClaim.objects.get().status == "held"
    Redemption.objects.all().delete()
    record(claim_order(other, claim.id, customer=CustomerFactory(external_id="C1")))
    assert Redemption.objects.get().reason == redemptions.REASON_CLAIM_SKU


def test_claim_used_by_two_orders_converts_once():
    sku = SKUFactory()
    flash_sale(sku)
    customer = CustomerFactory(external_id="C1")
    claim = flash.flash_claim_create(code="FS-1", customer="C1", sku=sku.code, quantity=1)
    first = claim_order(sku, claim.id, customer=customer)
    second = claim_order(sku, claim.id, customer=customer)
    result = record(first, second)
    assert (result.accepted, result.refused) == (1, 1)
    assert Redemption.objects.get(order=second).reason == redemptions.REASON_CLAIM_TAKEN
    assert FlashSaleClaim.objects.get().order == first


def test_expired_claim_converts_when_units_are_left_else_refused():
    sku = SKUFactory()
    flash_sale(sku, quantity=1, per_customer=1)
    customer = CustomerFactory(external_id="C1")
    past = timezone.now() - timedelta(minutes=30)
    claim = flash.flash_claim_create(code="FS-1", customer="C1", sku=sku.code, quantity=1, now=past)
    flash.flash_claims_expire()
    assert FlashSalePool.objects.get().claimed == 0
    assert record(claim_order(sku, claim.id, customer=customer)).converted == 1
    assert FlashSalePool.objects.get().claimed == 1
    # a second claim, released since, finds the pool full: refused, nothing taken
    late = FlashSaleClaim.objects.create(
        promotion=Promotion.objects.get(),
        customer_ref="C9",
        sku=sku,
        quantity=1,
        status="expired",
        expires_at=past,
    )
    record(claim_order(sku, late.pk, customer=CustomerFactory(external_id="C9")))
    assert Redemption.objects.get(status="refused").reason == redemptions.REASON_CLAIM_SOLD_OUT
    assert FlashSalePool.objects.get().claimed == 1
    assert not FlashSaleCustomerCount.objects.filter(customer_ref="C9", claimed__gt=0).exists()
    assert FlashSaleClaim.objects.get(pk=late.pk).status == "expired"


def test_cancelled_order_returns_its_flash_units():
    sku = SKUFactory()
    flash_sale(sku, quantity=5, per_customer=2)
    customer = CustomerFactory(external_id="C1")
    claim = flash.flash_claim_create(code="FS-1", customer="C1", sku=sku.code, quantity=2)
    order = claim_order(sku, claim.id, customer=customer, quantity=2, discount="0")
    record(order)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    assert record(order).given_back == 1
    assert FlashSaleClaim.objects.get().status == "expired"
    assert FlashSalePool.objects.get().claimed == 0
    assert FlashSaleCustomerCount.objects.get(customer_ref="C1").claimed == 0
    assert Promotion.objects.get().used == 0
    assert Redemption.objects.get().reason == redemptions.REASON_CANCELLED


def test_coupon_and_claim_on_one_order_split_the_discount():
    sku = SKUFactory()
    flash_sale(sku)
    promotion = coupon_promotion()
    coupon_create(promotion=promotion, code="BOTH", usage_limit=None)
    customer = CustomerFactory(external_id="C1")
    claim = flash.flash_claim_create(code="FS-1", customer="C1", sku=sku.code, quantity=1)
    order = OrderFactory(customer=customer, coupon_code="BOTH", order_discount=Decimal("30.00"), total=0)
    OrderLineFactory(
        order=order,
        sku=sku,
        unit_price=Decimal("99.00"),
        discount=Decimal("39.10"),
        flash_claim=str(claim.id),
    )
    OrderLineFactory(order=order, unit_price=Decimal("200.00"), discount=Decimal("5.00"))
    result = record(order)
    assert (result.accepted, result.converted) == (2, 1)
    discounts = dict(Redemption.objects.values_list("promotion__code", "discount"))
    assert discounts == {"D11-COUPON": Decimal("35.00"), "FS-1": Decimal("39.10")}


def test_unknown_claim_id_is_ignored():
    sku = SKUFactory()
    flash_sale(sku)
    order = claim_order(sku, "not-a-uuid", customer=CustomerFactory())
    result = record(order)
    assert result.reasons == [redemptions.REASON_CLAIM_UNKNOWN]
    assert Redemption.objects.count() == 0
