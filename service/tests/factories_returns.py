"""Orders ready for a return, and return requests written straight with the ORM."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from catalog.tests.factories import SKUFactory
from orders.models import Order
from orders.tests.factories import order_with_lines
from service.models import ReturnLine, ReturnRequest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


_DEFAULT = object()


def delivered_order(*, delivered_at=_DEFAULT, lines=None, **kwargs) -> Order:
    """A delivered order; `lines` as for `order_with_lines` (default: 2 x 100.00 with 20.00 discount and
    1 x 50.00)."""
    if delivered_at is _DEFAULT:
        delivered_at = shanghai(2026, 11, 1, 10, 0)
    if lines is None:
        lines = [
            (SKUFactory(), 2, Decimal("100.00"), Decimal("20.00")),
            (SKUFactory(), 1, Decimal("50.00"), Decimal("0.00")),
        ]
    kwargs.setdefault("status", Order.Status.DELIVERED)
    kwargs.setdefault("placed_at", shanghai(2026, 10, 28, 9, 0))
    return order_with_lines(
        lines=lines,
        delivered_at=delivered_at,
        shipped_at=delivered_at or shanghai(2026, 10, 30, 10, 0),
        **kwargs,
    )


def return_make(*, order, lines=None, status=ReturnRequest.Status.REQUESTED, **kwargs) -> ReturnRequest:
    """A request with (order line, quantity) lines (default: every line in full)."""
    kwargs.setdefault("reason", ReturnRequest.Reason.DEFECTIVE)
    kwargs.setdefault("requested_at", order.delivered_at or order.placed_at)
    request = ReturnRequest.objects.create(
        number=f"tmp-{order.pk}-{ReturnRequest.objects.count()}",
        order=order,
        customer=order.customer,
        status=status,
        **kwargs,
    )
    request.number = f"R-{request.pk:06d}"
    request.save(update_fields=["number"])
    if lines is None:
        lines = [(line, line.quantity) for line in order.lines.all()]
    for line, quantity in lines:
        ReturnLine.objects.create(request=request, order_line=line, sku_id=line.sku_id, quantity=quantity)
    return request


def ticket_row(**kwargs):
    """A bare ticket (no events, messages or clocks) numbered T-<pk> from its pk."""
    from django.utils import timezone

    from service.models import Ticket

    values = {
        "subject": "Compensation test",
        "channel": Ticket.Channel.CHAT,
        "type": Ticket.Type.ORDER_ISSUE,
        "opened_at": timezone.now(),
        "number": f"tmp-{Ticket.objects.count() + 1}",
    }
    values.update(kwargs)
    if values.get("order") is not None and "customer" not in kwargs:
        values["customer"] = values["order"].customer
    ticket = Ticket.objects.create(**values)
    ticket.number = f"T-{ticket.pk:06d}"
    ticket.save(update_fields=["number"])
    return ticket
