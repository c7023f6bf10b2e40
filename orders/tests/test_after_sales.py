"""order_after_sales_mark: customer service pushes returned / refunded onto the order."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.models import Order, OrderEvent
from orders.services import order_after_sales_mark
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_returned_then_refunded_adds_up_and_is_on_the_timeline():
    order = OrderFactory(status=Order.Status.DELIVERED, total=Decimal("300.00"))
    order_after_sales_mark(order_id=order.pk, status="returned", at=AT, detail="R-000001 received")
    order.refresh_from_db()
    assert (order.status, order.refund_amount, order.closed_at) == ("returned", Decimal("0.00"), AT)
    order_after_sales_mark(order_id=order.pk, status="refunded", at=AT, refund_amount=Decimal("120.50"))
    order_after_sales_mark(order_id=order.pk, status="refunded", at=AT, refund_amount=Decimal("29.50"))
    order.refresh_from_db()
    assert (order.status, order.refund_amount) == ("refunded", Decimal("150.00"))
    events = list(
        OrderEvent.objects.filter(order=order, kind="after_sales").values_list("from_status", "to_status")
    )
    assert events == [("delivered", "returned"), ("returned", "refunded"), ("refunded", "refunded")]


def test_a_later_return_keeps_a_refunded_order_refunded():
    order = OrderFactory(status=Order.Status.DELIVERED)
    order_after_sales_mark(order_id=order.pk, status="refunded", at=AT, refund_amount=Decimal("10.00"))
    order_after_sales_mark(order_id=order.pk, status="returned", at=AT)
    order.refresh_from_db()
    assert order.status == "refunded"


def test_only_after_sales_states():
    order = OrderFactory(status=Order.Status.DELIVERED)
    with pytest.raises(ValueError):
        order_after_sales_mark(order_id=order.pk, status="cancelled", at=AT)
