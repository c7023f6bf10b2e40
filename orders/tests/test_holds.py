"""Holds (finance's risk review): a held order cannot ship through the sync until released; other changes
still apply; cancelling a held order releases its reservations through the ledger."""

import copy
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from inventory import services as stock
from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.tests.factories import WarehouseFactory
from orders import services
from orders.api.views import SYNC_EXAMPLE
from orders.models import Order, OrderAllocation, OrderEvent, OrderException
from orders.schemas import order_parse
from orders.services import order_sync
from orders.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
HELD = "The order is on hold for risk review; it cannot ship until released."


@pytest.fixture
def shop(db):
    ChannelFactory(code="tmall", name="Tmall")
    east = WarehouseFactory(code="east", province="上海", provinces_served=["上海", "江苏", "浙江"])
    sku = SKUFactory(code="SKU-0001", unit_cost=Decimal("50.00"))
    stock.stock_receive(sku_id=sku.pk, warehouse=east, quantity=10, reference="opening")
    return {"east": east, "sku": sku}


def payload(**overrides):
    data = copy.deepcopy(SYNC_EXAMPLE["orders"][0])
    data.update(overrides)
    return data


def sync(*orders):
    parsed = []
    for raw in orders:
        order, errors = order_parse(raw)
        assert errors is None, errors
        parsed.append(order)
    return order_sync(channel_code="tmall", orders=parsed).as_dict()


def level(shop):
    lv = StockLevel.objects.get(sku=shop["sku"], warehouse=shop["east"])
    return lv.on_hand, lv.reserved


def held_order(shop) -> Order:
    sync(payload())
    order = Order.objects.get()
    services.order_hold(order_id=order.pk, reason="Risk score 85: new customer COD")
    return order


def test_hold_sets_the_hold_once_with_an_event(shop):
    order = held_order(shop)
    order.refresh_from_db()
    first = order.held_at
    assert first is not None and order.hold_reason == "Risk score 85: new customer COD"
    again = services.order_hold(order_id=order.pk, reason="other")  # already held: no-op
    assert (again.held_at, again.hold_reason) == (first, "Risk score 85: new customer COD")
    assert list(OrderEvent.objects.filter(order=order, kind="hold").values_list("source", "detail")) == [
        ("risk", "Risk score 85: new customer COD")
    ]


def test_only_open_orders_can_be_held(shop):
    sync(payload(status="shipped"))
    with pytest.raises(ValidationError):
        services.order_hold(order_id=Order.objects.get().pk, reason="late")
    assert Order.objects.get().held_at is None


@pytest.mark.parametrize("status", ["shipped", "delivered"])
def test_a_held_order_cannot_ship_until_released(shop, status):
    order = held_order(shop)
    result = sync(payload(status=status, updated_at="2026-06-18T15:00:00+08:00"))
    assert result == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": [{"external_id": "T100023", "errors": {"status": [HELD]}}],
    }
    order.refresh_from_db()
    assert order.status == "paid" and level(shop) == (10, 2)

    services.order_release(order_id=order.pk, note="called the customer", user=None)
    order.refresh_from_db()
    assert (order.held_at, order.hold_reason) == (None, "")
    assert sync(payload(status=status, updated_at="2026-06-18T15:00:00+08:00"))["updated"] == 1
    order.refresh_from_db()
    assert order.status == status and level(shop) == (8, 0)
    assert ledger_mismatches() == []


def test_other_changes_of_a_held_order_still_apply(shop):
    order = held_order(shop)
    result = sync(payload(address="上海市 新地址 1号", updated_at="2026-06-18T11:00:00+08:00"))
    assert (result["updated"], result["rejected"]) == (1, [])
    order.refresh_from_db()
    assert order.address == "上海市 新地址 1号" and order.held_at is not None
    # cancellation by the channel applies and releases the reservation
    sync(payload(address="上海市 新地址 1号", status="cancelled", updated_at="2026-06-18T12:00:00+08:00"))
    order.refresh_from_db()
    assert order.status == "cancelled" and level(shop) == (10, 0)


def test_cancelling_a_held_order_releases_its_reservations(shop):
    order = held_order(shop)
    OrderException.objects.create(order=order, kind=OrderException.Kind.LATE, detail="late")
    assert level(shop) == (10, 2)
    services.order_hold_cancel(order_id=order.pk, note="fake address", user=None)
    order.refresh_from_db()
    assert (order.status, order.held_at, order.hold_reason) == ("cancelled", None, "")
    assert order.closed_at is not None
    assert level(shop) == (10, 0)
    assert OrderAllocation.objects.get().state == "released"
    release = StockMovement.objects.get(kind="release")
    assert (release.reserved_delta, release.reference) == (-2, "order tmall:T100023")
    assert ledger_mismatches() == []
    assert OrderException.objects.get().resolved_at is not None
    assert OrderEvent.objects.filter(
        order=order, kind="status", to_status="cancelled", source="risk"
    ).exists()
    # the channel's later "paid" is an illegal move now, and shipping too
    assert sync(payload(status="shipped", updated_at="2026-06-18T15:00:00+08:00"))["rejected"][0][
        "errors"
    ] == {"status": ["Cannot move from 'cancelled' to 'shipped'."]}


def test_release_and_cancel_need_a_held_order(shop):
    sync(payload())
    order = Order.objects.get()
    with pytest.raises(ValidationError):
        services.order_release(order_id=order.pk, note="x", user=None)
    with pytest.raises(ValidationError):
        services.order_hold_cancel(order_id=order.pk, note="x", user=None)


def test_the_order_page_shows_the_hold_banner(shop, client_for):
    order = held_order(shop)
    html = client_for("finance").get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert "On hold for risk review: Risk score 85: new customer COD" in html
    assert reverse("finance:risk-order", args=[order.pk]) in html
    html = client_for("operations").get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert "On hold for risk review" in html
    assert reverse("finance:risk-order", args=[order.pk]) not in html  # operations cannot open finance
