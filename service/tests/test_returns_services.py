"""Return requests: the 7-day no-reason window to the minute, exempt SKUs, quantities, the state machine,
restock / scrap through the inventory ledger and the status pushed to the order."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.tests.factories import SKUFactory
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReturnDefect,
    StockLevel,
    StockMovement,
    Supplier,
)
from inventory.purchasing import supplier_scorecard
from inventory.tests.factories import WarehouseFactory
from orders.models import Order, OrderEvent
from service.models import ReturnRequest, ServiceSettings
from service.services import returns as svc
from service.tests.factories_returns import delivered_order, return_make, shanghai

pytestmark = pytest.mark.django_db
R = ReturnRequest.Reason
S = ReturnRequest.Status


def _lines(order):
    return list(order.lines.order_by("id"))


def _create(order, quantities, *, reason=R.NO_REASON, at=None, **kwargs):
    lines = [(line.pk, q) for line, q in zip(_lines(order), quantities, strict=False)]
    return svc.return_request_create(order=order, lines=lines, reason=reason, at=at, **kwargs)


# --- eligibility ------------------------------------------------------------------------------------------


def test_no_reason_window_ends_with_day_seven_in_shop_time():
    order = delivered_order(delivered_at=shanghai(2026, 11, 1, 10, 0))
    last_minute = svc.return_eligibility(order=order, at=shanghai(2026, 11, 8, 23, 59))
    assert last_minute.no_reason_deadline == date(2026, 11, 8)
    assert last_minute.no_reason_closes_at == shanghai(2026, 11, 9, 0, 0)
    assert last_minute.no_reason_open is True
    assert svc.return_eligibility(order=order, at=shanghai(2026, 11, 9, 0, 0)).no_reason_open is False


def test_window_counts_shop_days_not_utc_days():
    # 2026-11-01 01:00 Shanghai is still 31 October in UTC: the shop's day is what counts.
    order = delivered_order(delivered_at=shanghai(2026, 11, 1, 1, 0))
    eligibility = svc.return_eligibility(order=order, at=shanghai(2026, 11, 8, 23, 59))
    assert (eligibility.no_reason_deadline, eligibility.no_reason_open) == (date(2026, 11, 8), True)


def test_window_follows_the_settings():
    settings = ServiceSettings.load()
    settings.return_days = 15
    settings.save()
    order = delivered_order()
    assert svc.return_eligibility(order=order, at=shanghai(2026, 11, 9)).no_reason_deadline == date(
        2026, 11, 16
    )


def test_no_reason_accepted_on_day_seven_and_refused_on_day_eight():
    order = delivered_order()
    request = _create(order, [1], at=shanghai(2026, 11, 8, 23, 59))
    assert (request.status, request.reason, request.number) == (
        S.REQUESTED,
        R.NO_REASON,
        f"R-{request.pk:06d}",
    )
    with pytest.raises(ValidationError) as err:
        _create(order, [1], at=shanghai(2026, 11, 9, 0, 0))
    assert err.value.message_dict["reason"] == [
        "The 7-day no-reason return window closed at the end of 2026-11-08; choose another reason."
    ]


def test_other_reasons_are_accepted_after_the_window():
    order = delivered_order()
    request = _create(order, [2, 1], reason=R.DEFECTIVE, at=shanghai(2026, 12, 20, 9, 0))
    assert sorted(request.lines.values_list("quantity", flat=True)) == [1, 2]


def test_exempt_sku_refused_without_reason_with_the_reason_named():
    sku = SKUFactory(code="UW-1", return_exempt=True, return_exempt_reason="Intimate apparel")
    order = delivered_order(lines=[(sku, 1, Decimal("80.00"), Decimal("0.00"))])
    eligibility = svc.return_eligibility(order=order, at=shanghai(2026, 11, 2))
    assert [(line.sku_code, line.exempt_reason) for line in eligibility.exempt_lines] == [
        ("UW-1", "Intimate apparel")
    ]
    with pytest.raises(ValidationError) as err:
        _create(order, [1], at=shanghai(2026, 11, 2))
    assert err.value.message_dict["reason"] == ["UW-1 is exempt from no-reason return: Intimate apparel"]
    assert _create(order, [1], reason=R.DEFECTIVE, at=shanghai(2026, 11, 2)).status == S.REQUESTED


def test_shipped_not_delivered_order_is_within_the_window():
    order = delivered_order(delivered_at=None, status=Order.Status.SHIPPED)
    eligibility = svc.return_eligibility(order=order, at=shanghai(2026, 12, 30))
    assert (eligibility.no_reason_deadline, eligibility.no_reason_open, eligibility.status_ok) == (
        None,
        True,
        True,
    )


def test_unshipped_order_refused():
    order = delivered_order(delivered_at=None, status=Order.Status.PAID)
    with pytest.raises(ValidationError) as err:
        _create(order, [1], at=shanghai(2026, 11, 2))
    assert list(err.value.message_dict) == ["order"]


# --- quantities -----------------------------------------------------------------------------------------


def test_over_quantity_refused_and_requests_already_made_count():
    order = delivered_order()
    first, second = _lines(order)
    with pytest.raises(ValidationError) as err:
        _create(order, [3], at=shanghai(2026, 11, 2))
    assert err.value.message_dict["lines"] == [
        f"{first.sku.code}: at most 2 of 2 units can still be returned, not 3."
    ]
    _create(order, [1], at=shanghai(2026, 11, 2))
    eligibility = svc.return_eligibility(order=order, at=shanghai(2026, 11, 2))
    assert eligibility.returnable == {first.pk: 1, second.pk: 1}
    with pytest.raises(ValidationError):
        _create(order, [2], at=shanghai(2026, 11, 2))


def test_rejected_and_cancelled_requests_free_their_units():
    order = delivered_order()
    first, second = _lines(order)
    return_make(order=order, status=S.REJECTED)
    return_make(order=order, status=S.CANCELLED)
    assert svc.return_eligibility(order=order).returnable == {first.pk: 2, second.pk: 1}


def test_at_least_one_unit_and_lines_of_this_order_only():
    order, other = delivered_order(), delivered_order()
    with pytest.raises(ValidationError) as err:
        _create(order, [0, 0], at=shanghai(2026, 11, 2))
    assert err.value.message_dict["lines"] == ["Return at least one unit."]
    with pytest.raises(ValidationError) as err:
        svc.return_request_create(order=order, lines=[(_lines(other)[0].pk, 1)], reason=R.DEFECTIVE)
    assert err.value.message_dict["lines"] == ["A line is not part of this order."]
    with pytest.raises(ValidationError) as err:
        _create(order, [1], reason="whim")
    assert "reason" in err.value.message_dict
    assert not ReturnRequest.objects.exists()


def test_same_external_id_returns_the_same_request():
    order = delivered_order()
    first = _create(order, [1], external_id="RMA-9", source="api", at=shanghai(2026, 11, 2))
    again = _create(order, [2], external_id="RMA-9", source="api", at=shanghai(2026, 11, 2))
    assert again.pk == first.pk
    assert ReturnRequest.objects.count() == 1


# --- the flow -------------------------------------------------------------------------------------------


def test_full_flow_restock_scrap_and_order_pushed_returned_then_refunded(django_user_model):
    user = django_user_model.objects.create_user("agent")
    sku = SKUFactory()
    supplier = Supplier.objects.create(code="sup-1", name="Supplier")
    wh = WarehouseFactory()
    po = PurchaseOrder.objects.create(
        number="PO-1", supplier=supplier, warehouse=wh, status=PurchaseOrder.Status.RECEIVED
    )
    po_line = PurchaseOrderLine.objects.create(
        order=po, sku=sku, quantity=100, unit_cost=Decimal("10.00"), received=100, defective=2
    )
    Receipt.objects.create(line=po_line, quantity=100, defective=2, received_on=date(2026, 10, 5))
    before = supplier_scorecard(supplier, today=date(2026, 11, 22)).quarters[-1]
    assert before.defect_rate == Decimal("0.0200")

    order = delivered_order(
        lines=[
            (sku, 4, Decimal("100.00"), Decimal("20.00")),
            (SKUFactory(), 1, Decimal("50.00"), Decimal("0")),
        ]
    )
    line, _other = _lines(order)
    request = svc.return_request_create(
        order=order, lines=[(line.pk, 4)], reason=R.DEFECTIVE, at=shanghai(2026, 11, 3, 9, 0), user=user
    )
    request = svc.return_approve(request=request, user=user, at=shanghai(2026, 11, 3, 10, 0))
    assert (request.status, request.decided_by) == (S.APPROVED, user)
    request = svc.return_receive(request=request, warehouse=wh, user=user, at=shanghai(2026, 11, 5, 10, 0))
    order.refresh_from_db()
    assert (request.status, order.status, order.refund_amount) == (S.RECEIVED, "returned", Decimal("0.00"))

    return_line = request.lines.get()
    with pytest.raises(ValidationError) as err:
        svc.return_inspect(request=request, results={return_line.pk: (1, 1)}, user=user)
    assert err.value.message_dict["results"] == [
        f"{sku.code}: restocked + scrapped must equal the 4 units returned."
    ]
    request = svc.return_inspect(
        request=request, results={return_line.pk: (3, 1)}, user=user, at=shanghai(2026, 11, 6, 9, 0)
    )
    return_line.refresh_from_db()
    assert (request.status, return_line.restocked, return_line.scrapped) == (S.INSPECTED, 3, 1)
    movement = StockMovement.objects.get(sku=sku)
    assert (movement.kind, movement.on_hand_delta, movement.reference) == ("return", 3, request.number)
    assert StockLevel.objects.get(sku=sku, warehouse=wh).on_hand == 3
    defect = ReturnDefect.objects.get(sku=sku)
    assert (defect.supplier, defect.quantity, defect.reference, defect.recorded_on) == (
        supplier,
        1,
        request.number,
        date(2026, 11, 6),
    )
    after = supplier_scorecard(supplier, today=date(2026, 11, 22)).quarters[-1]
    assert (after.units_defective, after.defect_rate) == (3, Decimal("0.0300"))

    # 4 x 100.00 - the whole 20.00 line discount
    assert svc.return_default_refund(request=request) == Decimal("380.00")
    request = svc.return_refund(request=request, method="alipay", user=user, at=shanghai(2026, 11, 6, 15, 0))
    order.refresh_from_db()
    assert (request.status, request.refund_amount, request.refund_method) == (
        S.REFUNDED,
        Decimal("380.00"),
        "alipay",
    )
    assert (order.status, order.refund_amount) == ("refunded", Decimal("380.00"))
    assert list(
        OrderEvent.objects.filter(order=order, kind="after_sales")
        .order_by("id")
        .values_list("to_status", flat=True)
    ) == ["returned", "refunded"]
    with pytest.raises(ValidationError):
        svc.return_refund(request=request, method="alipay", user=user)


def test_refund_default_is_the_net_of_the_returned_units_and_capped_by_the_order():
    order = delivered_order()  # 2 x 100 - 20 = 180, 1 x 50: total 230
    first, _second = _lines(order)
    request = return_make(order=order, lines=[(first, 1)], status=S.APPROVED)
    assert svc.return_default_refund(request=request) == Decimal("90.00")
    with pytest.raises(ValidationError) as err:
        svc.return_refund(request=request, amount=Decimal("230.01"), method="original")
    assert err.value.message_dict["amount"] == [
        "At most 230.00 can still be refunded on this order (total less refunds)."
    ]
    Order.objects.filter(pk=order.pk).update(refund_amount=Decimal("200.00"))
    with pytest.raises(ValidationError):
        svc.return_refund(request=request, method="original")
    request = svc.return_refund(request=request, amount="30", method="original")
    order.refresh_from_db()
    assert (request.refund_amount, order.refund_amount, order.status) == (
        Decimal("30.00"),
        Decimal("230.00"),
        "refunded",
    )


def test_refund_only_after_approval_and_never_from_requested():
    order = delivered_order()
    request = return_make(order=order, reason=R.MISSING_PARTS)
    with pytest.raises(ValidationError) as err:
        svc.return_refund(request=request, method="original")
    assert list(err.value.message_dict) == ["status"]
    request = svc.return_approve(request=request)
    request = svc.return_refund(request=request, method="original")
    assert (request.status, request.refund_amount, request.received_at) == (
        S.REFUNDED,
        Decimal("230.00"),
        None,
    )
    with pytest.raises(ValidationError):
        svc.return_receive(request=request, warehouse=WarehouseFactory())


def test_refund_before_inspection_then_inspection_keeps_refunded():
    order = delivered_order()
    wh = WarehouseFactory()
    request = return_make(order=order, status=S.APPROVED)
    request = svc.return_receive(request=request, warehouse=wh)
    request = svc.return_refund(request=request, method="wechat")
    results = {line.pk: (line.quantity, 0) for line in request.lines.all()}
    request = svc.return_inspect(request=request, results=results)
    assert request.status == S.REFUNDED and request.inspected_at is not None
    with pytest.raises(ValidationError):
        svc.return_inspect(request=request, results=results)


def test_state_machine_refusals():
    order = delivered_order()
    request = return_make(order=order)
    with pytest.raises(ValidationError):
        svc.return_receive(request=request, warehouse=WarehouseFactory())
    with pytest.raises(ValidationError) as err:
        svc.return_reject(request=request, reason=" ")
    assert list(err.value.message_dict) == ["reason"]
    request = svc.return_reject(request=request, reason="Used goods")
    assert (request.status, request.rejection_reason) == (S.REJECTED, "Used goods")
    for action in (svc.return_approve, svc.return_cancel):
        with pytest.raises(ValidationError):
            action(request=request)
    other = svc.return_cancel(request=return_make(order=order))
    assert other.status == S.CANCELLED


def test_every_unit_must_be_decided_at_inspection():
    order = delivered_order()
    request = return_make(order=order, status=S.APPROVED)
    request = svc.return_receive(request=request, warehouse=WarehouseFactory(), at=shanghai(2026, 11, 4))
    first = request.lines.order_by("id").first()
    with pytest.raises(ValidationError) as err:
        svc.return_inspect(request=request, results={first.pk: (2, 0)})
    assert len(err.value.message_dict["results"]) == 1
    assert not StockMovement.objects.exists()


def test_window_deadline_helper():
    last_day, closes = svc.no_reason_window(shanghai(2026, 11, 1, 23, 59), 7)
    assert (last_day, closes - timedelta(minutes=1)) == (date(2026, 11, 8), shanghai(2026, 11, 8, 23, 59))
