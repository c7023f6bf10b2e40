"""order_sync: the rules of the sync contract, checked on the service (the API adds auth and shape)."""

import copy
from datetime import date
from decimal import Decimal

import pytest

from catalog.tests.factories import SKUFactory
from inventory import services as stock
from inventory.models import StockLevel, StockMovement, UnmetDemand
from inventory.selectors import ledger_mismatches
from inventory.tests.factories import WarehouseFactory
from orders.api.views import SYNC_EXAMPLE
from orders.models import Channel, Customer, ExchangeRate, Order, OrderAllocation, OrderEvent, OrderException
from orders.schemas import order_parse
from orders.services import order_sync
from orders.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    tmall = ChannelFactory(code="tmall", name="Tmall")
    shopify = ChannelFactory(code="shopify", name="Shopify", kind=Channel.Kind.CROSS_BORDER, currency="USD")
    east = WarehouseFactory(code="east", province="上海", provinces_served=["上海", "江苏", "浙江"])
    south = WarehouseFactory(code="south", province="广东", provinces_served=["广东", "福建", "上海"])
    a = SKUFactory(code="SKU-0001", unit_cost=Decimal("50.00"))
    b = SKUFactory(code="SKU-0002", unit_cost=Decimal("10.00"))
    for sku, warehouse, qty in [(a, east, 10), (b, east, 1), (a, south, 5), (b, south, 5)]:
        stock.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=qty, reference="opening")
    return {"tmall": tmall, "shopify": shopify, "east": east, "south": south, "a": a, "b": b}


def payload(**overrides):
    """The documented example order (the API docs show the same), with overrides."""
    data = copy.deepcopy(SYNC_EXAMPLE["orders"][0])
    data.update(overrides)
    return data


def sync(*orders, channel="tmall"):
    parsed = []
    for raw in orders:
        order, errors = order_parse(raw)
        assert errors is None, errors
        parsed.append(order)
    return order_sync(channel_code=channel, orders=parsed).as_dict()


def level(sku, warehouse):
    lv = StockLevel.objects.get(sku=sku, warehouse=warehouse)
    return lv.on_hand, lv.reserved


def test_a_new_paid_order_is_created_with_its_reservation(shop):
    assert sync(payload()) == {"created": 1, "updated": 0, "unchanged": 0, "rejected": []}
    order = Order.objects.get(external_id="T100023")
    assert (order.status, order.total, order.total_shop, order.province) == (
        "paid",
        Decimal("218.00"),
        Decimal("218.00"),
        "上海",
    )
    line = order.lines.get()
    assert (line.quantity, line.unit_price, line.discount, line.unit_cost) == (
        2,
        Decimal("129.00"),
        Decimal("20.00"),
        Decimal("50.00"),
    )
    assert level(shop["a"], shop["east"]) == (10, 2)  # the customer's province is served by east first
    alloc = OrderAllocation.objects.get()
    assert (alloc.warehouse_id, alloc.quantity, alloc.state) == (shop["east"].pk, 2, "reserved")
    movement = StockMovement.objects.get(kind="reservation")
    assert (movement.reserved_delta, movement.reference) == (2, "order tmall:T100023")
    assert Customer.objects.get().name == "王芳"
    assert ledger_mismatches() == []


def test_the_same_payload_again_changes_nothing(shop):
    sync(payload())
    assert sync(payload()) == {"created": 0, "updated": 0, "unchanged": 1, "rejected": []}
    assert level(shop["a"], shop["east"]) == (10, 2)
    assert StockMovement.objects.filter(kind="reservation").count() == 1


def test_a_stale_update_is_ignored(shop):
    sync(payload(status="shipped", updated_at="2026-06-18T12:00:00+08:00"))
    result = sync(payload(status="paid", updated_at="2026-06-18T11:00:00+08:00"))
    assert result["unchanged"] == 1 and Order.objects.get().status == "shipped"


def test_shipping_turns_the_reservation_into_a_shipment(shop):
    sync(payload())
    assert sync(payload(status="shipped", updated_at="2026-06-18T15:00:00+08:00"))["updated"] == 1
    assert level(shop["a"], shop["east"]) == (8, 0)
    assert OrderAllocation.objects.get().state == "shipped"
    order = Order.objects.get()
    assert order.shipped_at.isoformat() == "2026-06-18T07:00:00+00:00"
    assert list(order.events.values_list("kind", "from_status", "to_status")) == [
        ("created", "", "paid"),
        ("status", "paid", "shipped"),
    ]
    assert ledger_mismatches() == []


def test_cancelling_before_shipping_releases_the_reservation(shop):
    sync(payload())
    sync(payload(status="cancelled", updated_at="2026-06-18T11:00:00+08:00"))
    assert level(shop["a"], shop["east"]) == (10, 0)
    assert OrderAllocation.objects.get().state == "released"
    assert StockMovement.objects.filter(kind="release").get().reserved_delta == -2
    assert Order.objects.get().closed_at is not None


def test_an_illegal_status_move_is_rejected_with_a_reason(shop):
    sync(payload(status="delivered"))
    result = sync(payload(status="paid", updated_at="2026-06-19T10:00:00+08:00"))
    assert result["rejected"] == [
        {"external_id": "T100023", "errors": {"status": ["Cannot move from 'delivered' to 'paid'."]}}
    ]
    assert Order.objects.get().status == "delivered"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"total": "220.00"},
            "total",
            "Does not add up: lines 238.00 - order discount 20.00 + shipping 0.00 + "
            "tax 0.00 = 218.00, not 220.00.",
        ),
        (
            {"lines": [{"sku": "NOPE", "quantity": 1, "unit_price": "238.00"}]},
            "lines[0].sku",
            "Unknown SKU 'NOPE'.",
        ),
        (
            {
                "lines": [{"sku": "SKU-0001", "quantity": 1, "unit_price": "10.00", "discount": "11.00"}],
                "order_discount": "0.00",
                "total": "-1.00",
            },
            "total",
            "Must not be negative.",
        ),
        ({"updated_at": "2026-06-18T09:00:00+08:00"}, "updated_at", "Earlier than placed_at."),
        ({"currency": "EUR"}, "currency", "No exchange rate for EUR on or before 2026-06-18."),
    ],
)
def test_bad_orders_are_rejected_and_write_nothing(shop, overrides, field, message):
    raw = payload(**overrides)
    order, errors = order_parse(raw)
    if errors is None:
        errors = order_sync(channel_code="tmall", orders=[order]).rejected[0]["errors"]
    assert errors[field] == [message]
    assert Order.objects.count() == 0 and StockMovement.objects.filter(kind="reservation").count() == 0


def test_valid_orders_of_a_batch_land_when_others_are_rejected(shop):
    result = sync(payload(), payload(external_id="T2", total="1.00"), payload(external_id="T3"))
    assert (result["created"], [r["external_id"] for r in result["rejected"]]) == (2, ["T2"])
    assert result["rejected"][0]["errors"]["total"]


def test_the_same_order_twice_in_one_request_is_rejected(shop):
    result = sync(payload(), payload())
    assert result["created"] == 1
    assert result["rejected"][0]["errors"] == {"external_id": ["Appears more than once in this request."]}


def test_unknown_channel_rejects_every_order(shop):
    result = sync(payload(), channel="nowhere")
    assert result["rejected"] == [
        {"external_id": "T100023", "errors": {"channel": ["Unknown channel 'nowhere'."]}}
    ]


def test_foreign_currency_is_converted_at_the_rate_of_the_day(shop):
    ExchangeRate.objects.create(date=date(2026, 6, 1), currency="USD", rate_to_shop_currency=Decimal("7.10"))
    ExchangeRate.objects.create(
        date=date(2026, 6, 17), currency="USD", rate_to_shop_currency=Decimal("7.2345")
    )
    ExchangeRate.objects.create(date=date(2026, 6, 19), currency="USD", rate_to_shop_currency=Decimal("9.99"))
    sync(
        payload(
            currency="USD",
            total="33.33",
            order_discount="0.00",
            lines=[{"sku": "SKU-0002", "quantity": 1, "unit_price": "33.33"}],
        ),
        channel="shopify",
    )
    order = Order.objects.get()
    assert (order.currency, order.total, order.exchange_rate) == ("USD", Decimal("33.33"), Decimal("7.2345"))
    assert order.total_shop == Decimal("241.13")  # 33.33 x 7.2345 = 241.125885 -> half-up


def test_routing_prefers_one_warehouse_for_the_whole_order(shop):
    # east has 1 unit of B, the order wants 2: south (which also serves 上海, later) ships it all
    sync(
        payload(
            order_discount="0.00",
            total="278.00",
            lines=[
                {"sku": "SKU-0001", "quantity": 2, "unit_price": "129.00"},
                {"sku": "SKU-0002", "quantity": 2, "unit_price": "10.00"},
            ],
        )
    )
    assert set(OrderAllocation.objects.values_list("warehouse__code", flat=True)) == {"south"}
    assert level(shop["a"], shop["south"]) == (5, 2) and level(shop["b"], shop["south"]) == (5, 2)


def test_lines_split_then_backorder_what_nobody_has(shop):
    # 12 of A: east has 10, south 5 -> split 10 + 2; 9 of B: 1 + 5, 3 backordered
    sync(
        payload(
            order_discount="0.00",
            total="1638.00",
            lines=[
                {"sku": "SKU-0001", "quantity": 12, "unit_price": "129.00"},
                {"sku": "SKU-0002", "quantity": 9, "unit_price": "10.00"},
            ],
        )
    )
    allocs = sorted(OrderAllocation.objects.values_list("line__sku__code", "warehouse__code", "quantity"))
    assert allocs == [
        ("SKU-0001", "east", 10),
        ("SKU-0001", "south", 2),
        ("SKU-0002", "east", 1),
        ("SKU-0002", "south", 5),
    ]
    line_b = Order.objects.get().lines.get(sku=shop["b"])
    assert line_b.backordered == 3
    assert UnmetDemand.objects.get().quantity == 3
    assert OrderException.objects.get().kind == "backorder"
    assert ledger_mismatches() == []


def test_an_unknown_province_opens_an_address_exception(shop):
    sync(payload(customer={"external_id": "C1", "province": "火星"}))
    assert OrderException.objects.get().kind == "address"


def test_lines_may_change_while_paid_and_the_reservation_follows(shop):
    sync(payload())
    sync(
        payload(
            updated_at="2026-06-18T11:00:00+08:00",
            order_discount="0.00",
            total="30.00",
            lines=[{"sku": "SKU-0002", "quantity": 3, "unit_price": "10.00"}],
        )
    )
    assert level(shop["a"], shop["east"]) == (10, 0)
    assert sum(OrderAllocation.objects.filter(state="reserved").values_list("quantity", flat=True)) == 3
    assert list(Order.objects.get().lines.values_list("sku__code", "quantity")) == [("SKU-0002", 3)]
    assert ledger_mismatches() == []


def test_lines_cannot_change_after_shipping(shop):
    sync(payload(status="shipped"))
    result = sync(
        payload(
            status="delivered",
            updated_at="2026-06-19T10:00:00+08:00",
            order_discount="0.00",
            total="10.00",
            lines=[{"sku": "SKU-0002", "quantity": 1, "unit_price": "10.00"}],
        )
    )
    assert result["rejected"][0]["errors"] == {"lines": ["Lines cannot change once the order is 'shipped'."]}


def test_a_new_order_that_already_shipped_takes_stock_out(shop):
    sync(payload(status="shipped"))
    assert level(shop["a"], shop["east"]) == (8, 0)
    assert OrderAllocation.objects.get().state == "shipped"


def test_a_refund_after_delivery_records_the_amount_and_timeline(shop):
    sync(payload(status="delivered"))
    sync(payload(status="refunded", updated_at="2026-06-25T10:00:00+08:00"))
    order = Order.objects.get()
    assert (order.status, order.refund_amount) == ("refunded", Decimal("218.00"))
    assert OrderEvent.objects.filter(order=order, kind="status", to_status="refunded").exists()
