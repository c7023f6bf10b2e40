"""Coupon limits racing on real PostgreSQL: 40 orders for a coupon of 10 uses give exactly 10 redemptions."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from conftest import require
from marketing.models import Coupon, Promotion, PromotionCustomerUsage, Redemption
from marketing.services import redemptions
from marketing.services.coupons import coupon_create
from orders.tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")


def run_threads(target, args_list):
    errors = []
    barrier = threading.Barrier(len(args_list))

    def wrapped(*args):
        try:
            barrier.wait()
            target(*args)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrapped, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return errors


def coupon_promotion(**kwargs):
    now = timezone.now()
    return Promotion.objects.create(
        code="D11-COUPON",
        name="满200减30 券",
        kind=Promotion.Kind.THRESHOLD_AMOUNT,
        params={"tiers": [{"threshold": "200.00", "amount": "30.00"}]},
        coupon_required=True,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
        **kwargs,
    )


def orders_with(code, count, customer=None):
    orders = []
    for _ in range(count):
        kwargs = {"customer": customer} if customer else {}
        order = OrderFactory(
            coupon_code=code, order_discount=Decimal("30.00"), total=Decimal("198.00"), **kwargs
        )
        OrderLineFactory(order=order, quantity=2, unit_price=Decimal("114.00"))
        orders.append(order)
    return orders


@pytest.mark.parametrize("run", [1, 2])
def test_coupon_with_limit_10_redeemed_by_40_orders_concurrently(run):
    promotion = coupon_promotion()
    coupon = coupon_create(promotion=promotion, code="D11-TEN", usage_limit=10)
    orders = orders_with("D11-TEN", 40)
    errors = run_threads(
        lambda order_id: redemptions.order_promotions_record(order_ids=[order_id]), [(o.pk,) for o in orders]
    )
    assert errors == []
    assert Redemption.objects.filter(status="accepted").count() == 10
    assert Redemption.objects.filter(status="refused", reason=redemptions.REASON_COUPON_LIMIT).count() == 30
    coupon.refresh_from_db()
    promotion.refresh_from_db()
    assert (coupon.used, promotion.used) == (10, 10)
    assert sum(PromotionCustomerUsage.objects.values_list("used", flat=True)) == 10


def test_per_customer_limit_holds_under_concurrency():
    promotion = coupon_promotion(per_customer_limit=3)
    coupon_create(promotion=promotion, code="MINE", usage_limit=None, per_customer_limit=2)
    wang = CustomerFactory()
    orders = orders_with("MINE", 20, customer=wang)
    errors = run_threads(
        lambda order_id: redemptions.order_promotions_record(order_ids=[order_id]), [(o.pk,) for o in orders]
    )
    assert errors == []
    assert Redemption.objects.filter(status="accepted").count() == 2  # the coupon's own cap is lower
    assert Coupon.objects.get().used == 2
    assert PromotionCustomerUsage.objects.get(customer=wang).used == 2


def test_the_same_order_recorded_concurrently_counts_once():
    promotion = coupon_promotion()
    coupon_create(promotion=promotion, code="DUP", usage_limit=5)
    (order,) = orders_with("DUP", 1)
    errors = run_threads(lambda: redemptions.order_promotions_record(order_ids=[order.pk]), [()] * 10)
    assert errors == []
    assert Redemption.objects.count() == 1
    assert Coupon.objects.get().used == 1
    assert Promotion.objects.get().used == 1
