"""Factories of the order-risk tests: orders with customers, lines and addresses, and scored risks."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from finance.models import OrderRisk
from orders.models import Order
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory, OrderLineFactory

__all__ = [
    "ChannelFactory",
    "CustomerFactory",
    "OrderFactory",
    "OrderLineFactory",
    "OrderRiskFactory",
    "SKUFactory",
    "risk_order",
]


def risk_order(
    *,
    customer=None,
    total=Decimal("100.00"),
    payment_method="alipay",
    status=Order.Status.PAID,
    placed_at=None,
    days_ago: float = 0,
    lines=(),
    **kwargs,
):
    """An order (shop currency) with `lines` [(sku, quantity)], placed `days_ago` before now."""
    placed = placed_at or timezone.now() - timedelta(days=days_ago)
    order = OrderFactory(
        customer=customer,
        channel=customer.channel if customer is not None else ChannelFactory(),
        total=total,
        total_shop=total,
        payment_method=payment_method,
        status=status,
        placed_at=placed,
        source_updated_at=placed,
        **kwargs,
    )
    for sku, quantity in lines:
        OrderLineFactory(order=order, sku=sku, quantity=quantity, unit_price=Decimal("10.00"))
    return order


class OrderRiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderRisk

    order = factory.SubFactory(OrderFactory)
    score = 70
    reasons = factory.LazyFunction(
        lambda: [{"rule": "new_customer_cod", "points": 40, "detail": "COD", "key": "", "params": {}}]
    )
    status = OrderRisk.Status.HELD
    scored_at = factory.LazyFunction(timezone.now)
