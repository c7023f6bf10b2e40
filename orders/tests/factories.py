from decimal import Decimal

import factory
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from orders.models import Channel, Customer, Order, OrderLine


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = "tmall"
    name = "Tmall"
    kind = Channel.Kind.MARKETPLACE
    commission_rate = Decimal("0.0500")
    payment_fee_rate = Decimal("0.0060")
    settlement_days = 10


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    channel = factory.SubFactory(ChannelFactory)
    external_id = factory.Sequence(lambda n: f"C{n}")
    name = "王芳"
    phone = "13800000000"
    province = "上海"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    channel = factory.SubFactory(ChannelFactory)
    external_id = factory.Sequence(lambda n: f"T{n:06d}")
    customer = factory.SubFactory(CustomerFactory, channel=factory.SelfAttribute("..channel"))
    status = Order.Status.PAID
    placed_at = factory.LazyFunction(timezone.now)
    source_updated_at = factory.SelfAttribute("placed_at")
    total = Decimal("0.00")
    total_shop = factory.SelfAttribute("total")
    province = "上海"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.SubFactory(SKUFactory)
    quantity = 1
    unit_price = Decimal("99.00")
    discount = Decimal("0.00")
    unit_cost = factory.SelfAttribute("sku.unit_cost")


def order_with_lines(*, lines, order_discount=Decimal("0.00"), shipping_fee=Decimal("0.00"), **kwargs):
    """An order whose total reconciles with its lines.

    `lines` is a list of (sku, quantity, unit_price, discount)."""
    total = sum((q * p - d for _, q, p, d in lines), Decimal("0.00")) - order_discount + shipping_fee
    order = OrderFactory(total=total, order_discount=order_discount, shipping_fee=shipping_fee, **kwargs)
    for sku, quantity, unit_price, discount in lines:
        OrderLineFactory(order=order, sku=sku, quantity=quantity, unit_price=unit_price, discount=discount)
    return order
