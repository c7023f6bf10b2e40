"""The order desk pages: the order list and detail, the exception queue, customers and channels.

Orders are made by `order_sync` from channel payloads, so that allocations, stock movements, events and
exceptions exist as they do in production."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from inventory import services as stock
from inventory.tests.factories import WarehouseFactory
from orders.models import Channel, Customer, Order, OrderEvent, OrderException
from orders.schemas import order_parse
from orders.services import order_sync
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def iso(moment) -> str:
    return moment.isoformat()


def payload(external_id: str, *, hours_ago: float = 30, **overrides) -> dict:
    placed = NOW - timedelta(hours=hours_ago)
    order = {
        "external_id": external_id,
        "placed_at": iso(placed),
        "updated_at": iso(placed + timedelta(minutes=4)),
        "status": "paid",
        "currency": "CNY",
        "payment_method": "alipay",
        "customer": {
            "external_id": "C881",
            "name": "王芳",
            "phone": "13800000000",
            "email": "wangfang@example.com",
            "province": "上海",
        },
        "order_discount": "20.00",
        "coupon_code": "DOUBLE11",
        "total": "218.00",
        "lines": [{"sku": "SKU-A", "quantity": 2, "unit_price": "129.00", "discount": "20.00"}],
    }
    order.update(overrides)
    return order


def sync(*orders, channel="tmall"):
    parsed = []
    for raw in orders:
        order, errors = order_parse(raw)
        assert errors is None, errors
        parsed.append(order)
    result = order_sync(channel_code=channel, orders=parsed).as_dict()
    assert result["rejected"] == [], result["rejected"]
    return result


@pytest.fixture
def desk(db):
    """Four tmall orders and one jd order:
    T1 paid then shipped (reserved in East, then shipped); T2 backordered (wants 5, 1 in stock);
    T3 with an unknown province (address exception); T4 paid, nothing wrong; J1 on jd, cancelled."""
    tmall = ChannelFactory(code="tmall", name="Tmall")
    jd = ChannelFactory(code="jd", name="JD", commission_rate=Decimal("0.0500"))
    east = WarehouseFactory(code="east", name="East DC", province="上海", provinces_served=["上海", "江苏"])
    a = SKUFactory(code="SKU-A", unit_cost=Decimal("50.00"))
    b = SKUFactory(code="SKU-B", unit_cost=Decimal("10.00"))
    stock.stock_receive(sku_id=a.pk, warehouse=east, quantity=20, reference="opening")
    stock.stock_receive(sku_id=b.pk, warehouse=east, quantity=1, reference="opening")
    sync(payload("T1", hours_ago=50))
    shipped_at = NOW - timedelta(hours=40)
    sync(payload("T1", hours_ago=50, status="shipped", updated_at=iso(shipped_at)))
    sync(
        payload(
            "T2",
            hours_ago=20,
            customer={"external_id": "C882", "name": "李雷", "phone": "13911112222", "province": "江苏"},
            order_discount="0.00",
            total="50.00",
            lines=[{"sku": "SKU-B", "quantity": 5, "unit_price": "10.00"}],
        )
    )
    sync(
        payload(
            "T3",
            hours_ago=10,
            customer={"external_id": "C883", "name": "张伟", "phone": "13700000001", "province": "Atlantis"},
            order_discount="0.00",
            total="129.00",
            lines=[{"sku": "SKU-A", "quantity": 1, "unit_price": "129.00"}],
        )
    )
    sync(
        payload(
            "T4",
            hours_ago=5,
            order_discount="0.00",
            total="258.00",
            lines=[{"sku": "SKU-A", "quantity": 2, "unit_price": "129.00"}],
        )
    )
    sync(payload("J1", hours_ago=1, status="cancelled"), channel="jd")
    orders = {o.external_id: o for o in Order.objects.all()}
    return {"tmall": tmall, "jd": jd, "east": east, "a": a, "b": b, **orders}


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [order.external_id for order in response.context["page_obj"]]


# --- the order list -------------------------------------------------------------------------------------


def test_the_list_filters_by_channel_status_search_province_and_dates(desk, client_for):
    client = client_for("operations")
    url = reverse("orders:overview")
    assert listed(client.get(url)) == ["J1", "T4", "T3", "T2", "T1"]  # newest first
    assert listed(client.get(url, {"channel": "jd"})) == ["J1"]
    assert listed(client.get(url, {"status": "shipped"})) == ["T1"]
    assert listed(client.get(url, {"q": "李雷"})) == ["T2"]
    # Phones are encrypted: the whole number matches (separators ignored), through its hash; a part does not.
    assert listed(client.get(url, {"q": "137-0000-0001"})) == ["T3"]
    assert listed(client.get(url, {"q": "1370000"})) == []
    assert listed(client.get(url, {"q": "C882"})) == ["T2"]  # the customer's external id
    assert listed(client.get(url, {"province": "江苏"})) == ["T2"]
    day = timezone.localdate(desk["T1"].placed_at).isoformat()
    assert listed(client.get(url, {"placed_from": day, "placed_to": day})) == ["T1"]


def test_the_exception_filter_shows_orders_with_open_exceptions(desk, client_for):
    client = client_for("operations")
    url = reverse("orders:overview")
    assert listed(client.get(url, {"exception": "any"})) == ["T3", "T2"]
    assert listed(client.get(url, {"exception": "backorder"})) == ["T2"]
    assert listed(client.get(url, {"exception": "address"})) == ["T3"]
    assert listed(client.get(url, {"exception": "late"})) == []
    assert listed(client.get(url, {"exception": "nonsense"})) == ["J1", "T4", "T3", "T2", "T1"]
    # A resolved exception no longer counts.
    OrderException.objects.filter(order=desk["T3"]).update(resolved_at=timezone.now(), resolution_note="ok")
    assert listed(client.get(url, {"exception": "any"})) == ["T2"]


def test_rows_with_open_exceptions_carry_a_badge(desk, client_for):
    html = client_for("operations").get(reverse("orders:overview")).content.decode()
    assert html.count('data-exception="backorder"') == 1
    assert html.count('data-exception="address"') == 1
    assert 'data-order="T2" class="table-warning"' not in html  # the class comes first
    assert '<tr class="table-warning" data-order="T2">' in html
    assert '<tr data-order="T4">' in html


def test_columns_sort_both_ways(desk, client_for):
    client = client_for("operations")
    url = reverse("orders:overview")
    # totals: J1 218, T1 218, T2 50, T3 129, T4 258 (ties newest first)
    assert listed(client.get(url, {"sort": "total"})) == ["T2", "T3", "J1", "T1", "T4"]
    assert listed(client.get(url, {"sort": "-total"})) == ["T4", "J1", "T1", "T3", "T2"]
    assert listed(client.get(url, {"sort": "external_id"})) == ["J1", "T1", "T2", "T3", "T4"]
    assert listed(client.get(url, {"sort": "placed_at"})) == ["T1", "T2", "T3", "T4", "J1"]
    assert listed(client.get(url, {"sort": "bogus"})) == ["J1", "T4", "T3", "T2", "T1"]
    html = client.get(url, {"sort": "total", "channel": "tmall"}).content.decode()
    assert 'href="?channel=tmall&amp;sort=-total"' in html  # the current column toggles, filters kept
    assert 'aria-sort="ascending"' in html


def test_the_export_has_the_open_exceptions_and_masks_phones_for_finance(desk, client_for):
    response = client_for("finance").get(reverse("orders:overview"), {"export": "csv", "exception": "any"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = [line.split(",") for line in text.strip().splitlines()]
    assert rows[0][-1] == "Open exceptions"
    assert [(r[1], r[5], r[-1]) for r in rows[1:]] == [
        ("T3", "137****0001", "address"),
        ("T2", "139****2222", "backorder"),
    ]


def test_the_list_needs_a_fixed_number_of_queries(desk, client_for, django_assert_max_num_queries):
    customer = Customer.objects.get(channel=desk["tmall"], external_id="C881")
    for n in range(30):
        order = OrderFactory(channel=desk["tmall"], customer=customer, external_id=f"X{n:03d}")
        OrderException.objects.create(order=order, kind=OrderException.Kind.LATE)
    client = client_for("operations")
    # session, user, roles, unread notifications, count, the page, its open exceptions, the channel filter
    with django_assert_max_num_queries(8):
        response = client.get(reverse("orders:overview"))
    assert len(response.context["page_obj"]) == 35


# --- the order detail -----------------------------------------------------------------------------------


def test_the_detail_shows_lines_allocations_and_totals(desk, client_for):
    response = client_for("operations").get(reverse("orders:order-detail", args=[desk["T1"].pk]))
    html = response.content.decode()
    line = response.context["lines"][0]
    assert [(a.warehouse.name, a.quantity, a.state) for a in line.allocations.all()] == [
        ("East DC", 2, "shipped")
    ]
    assert 'data-testid="allocation-warehouse">East DC<' in html
    assert 'data-testid="allocation-state">Shipped<' in html
    assert "-¥20.00" in html and "¥238.00" in html  # the line discount and the line amount
    assert 'data-testid="order-total">¥218.00<' in html
    assert "does not reconcile" not in html


def test_the_detail_shows_backordered_units(desk, client_for):
    response = client_for("operations").get(reverse("orders:order-detail", args=[desk["T2"].pk]))
    html = response.content.decode()
    line = response.context["lines"][0]
    assert (line.quantity, line.backordered) == (5, 4)
    assert [(a.quantity, a.state) for a in line.allocations.all()] == [(1, "reserved")]
    assert "4 units could not be reserved in any warehouse." in html


def test_the_timeline_merges_events_and_stock_movements(desk, client_for):
    response = client_for("operations").get(reverse("orders:order-detail", args=[desk["T1"].pk]))
    rows = [
        (
            r["entry"].source,
            str(r["what"]),
            str(r["from_status"]),
            str(r["to_status"]),
            r["entry"].quantity,
            r["entry"].warehouse,
        )
        for r in response.context["timeline"]
    ]
    assert rows == [
        ("order", "Order received", "", "Paid", 0, ""),
        ("stock", "Reservation", "", "", 2, "East DC"),
        ("order", "Status changed", "Paid", "Shipped", 0, ""),
        ("stock", "Shipment", "", "", 2, "East DC"),
    ]
    html = response.content.decode()
    assert "Paid → Shipped" in html
    assert 'data-source="stock" data-kind="reservation"' in html


def test_the_timeline_lists_raised_exceptions(desk, client_for):
    response = client_for("operations").get(reverse("orders:order-detail", args=[desk["T2"].pk]))
    kinds = [(r["entry"].source, r["entry"].kind) for r in response.context["timeline"]]
    assert kinds == [("order", "created"), ("exception", "exception_raised"), ("stock", "reservation")]
    assert "Exception raised: Backordered lines" in response.content.decode()


def test_the_timeline_keeps_apart_what_happened_at_different_times(desk, client_for):
    exception = OrderException.objects.get(order=desk["T2"])
    # five minutes after the order's own entries, which the fixture wrote just now (NOW is the collection
    # time: a slow suite reaches this test more than five minutes later)
    later = timezone.now() + timedelta(minutes=5)
    OrderException.objects.filter(pk=exception.pk).update(created_at=later)
    response = client_for("operations").get(reverse("orders:order-detail", args=[desk["T2"].pk]))
    kinds = [(r["entry"].source, r["entry"].kind) for r in response.context["timeline"]]
    assert kinds == [("order", "created"), ("stock", "reservation"), ("exception", "exception_raised")]


@pytest.mark.parametrize("skew_ms", [-3, 3])  # the ledger's clock a little before or after the event's
def test_what_a_sync_did_follows_its_event_whatever_the_clocks(skew_ms):
    from orders.selectors import TimelineEntry, _timeline_order

    t0 = NOW
    skew = timedelta(milliseconds=skew_ms)

    def event(ms, kind, to=""):
        return TimelineEntry(at=t0 + timedelta(milliseconds=ms), source="order", kind=kind, to_status=to)

    def moved(ms, kind):
        return TimelineEntry(
            at=t0 + timedelta(milliseconds=ms) + skew, source="stock", kind=kind, cause_kind=kind
        )

    late = TimelineEntry(
        at=t0 + timedelta(milliseconds=9), source="exception", kind="exception_raised", cause_kind="late"
    )
    entries = [
        event(0, "created", "paid"),
        moved(0, "reservation"),
        event(8, "status", "shipped"),  # the next sync, 8 ms later
        moved(8, "shipment"),
        late,  # found by the scan, resolved a moment later
        event(10, "exception_resolved"),
    ]
    shuffled = [entries[i] for i in (5, 3, 1, 4, 0, 2)]
    assert [e.kind for e in _timeline_order(shuffled)] == [
        "created",
        "reservation",
        "status",
        "shipment",
        "exception_raised",
        "exception_resolved",
    ]


def test_an_exception_raised_and_resolved_moments_apart_stays_in_order(desk, client_for):
    late = OrderException.objects.create(order=desk["T4"], kind=OrderException.Kind.LATE, detail="late")
    client = client_for("operations")
    client.post(reverse("orders:exception-resolve", args=[late.pk]), {"note": "Shipped now"})
    response = client.get(reverse("orders:order-detail", args=[desk["T4"].pk]))
    kinds = [r["entry"].kind for r in response.context["timeline"]]
    assert kinds == ["created", "reservation", "exception_raised", "exception_resolved"]


@pytest.mark.parametrize(
    ("role", "phone"),
    [
        ("finance", "138****0000"),
        ("manager", "138****0000"),
        ("operations", "13800000000"),
        ("service_agent", "13800000000"),
    ],
)
def test_the_detail_masks_the_phone_for_roles_without_personal_data(desk, client_for, role, phone):
    html = client_for(role).get(reverse("orders:order-detail", args=[desk["T1"].pk])).content.decode()
    assert f'data-testid="order-phone">{phone}<' in html
    if "*" in phone:
        assert "13800000000" not in html


def test_the_detail_links_the_customer(desk, client_for):
    html = client_for("finance").get(reverse("orders:order-detail", args=[desk["T1"].pk])).content.decode()
    customer = desk["T1"].customer
    assert f'href="{reverse("orders:customer-detail", args=[customer.pk])}">王芳</a>' in html


def test_the_detail_of_a_missing_order_is_404(client_for):
    assert client_for("operations").get(reverse("orders:order-detail", args=[999999])).status_code == 404


def test_only_operations_and_admin_see_the_resolve_form(desk, client_for):
    url = reverse("orders:order-detail", args=[desk["T2"].pk])
    assert 'data-testid="resolve-form"' in client_for("operations").get(url).content.decode()
    assert 'data-testid="resolve-form"' not in client_for("manager").get(url).content.decode()


# --- resolving exceptions -------------------------------------------------------------------------------


def test_resolving_with_a_note_closes_the_exception_and_adds_a_timeline_event(desk, client_for):
    client = client_for("operations")
    exception = OrderException.objects.get(order=desk["T2"])
    detail = reverse("orders:order-detail", args=[desk["T2"].pk])
    response = client.post(
        reverse("orders:exception-resolve", args=[exception.pk]),
        {"note": "  Restocked from the south warehouse.  ", "next": detail},
    )
    assert response.status_code == 302 and response["Location"] == detail
    exception.refresh_from_db()
    assert exception.resolved_at is not None
    assert exception.resolution_note == "Restocked from the south warehouse."
    assert exception.resolved_by.username == "user-operations"
    event = OrderEvent.objects.filter(order=desk["T2"]).last()
    assert (event.kind, event.source, event.detail) == (
        "exception_resolved",
        "desk",
        "Backordered lines: Restocked from the south warehouse.",
    )
    html = client.get(detail).content.decode()
    assert "Exception resolved" in html and 'data-state="resolved"' in html
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Resolved Backordered lines on order T2."
    ]


def test_resolving_without_a_note_shows_an_error_and_writes_nothing(desk, client_for):
    exception = OrderException.objects.get(order=desk["T2"])
    events = OrderEvent.objects.count()
    response = client_for("operations").post(
        reverse("orders:exception-resolve", args=[exception.pk]), {"note": "   "}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"note": ["Say how it was resolved."]}
    assert 'data-field="note">Say how it was resolved.<' in response.content.decode()
    exception.refresh_from_db()
    assert (exception.resolved_at, exception.resolution_note, exception.resolved_by) == (None, "", None)
    assert OrderEvent.objects.count() == events


@pytest.mark.parametrize("role", ["manager", "finance", "service_agent", "inventory_planner"])
def test_only_operations_and_admin_may_resolve(desk, client_for, role):
    exception = OrderException.objects.get(order=desk["T2"])
    response = client_for(role).post(
        reverse("orders:exception-resolve", args=[exception.pk]), {"note": "done"}
    )
    assert response.status_code == 403
    exception.refresh_from_db()
    assert exception.resolved_at is None


def test_admin_may_resolve(desk, client_for):
    exception = OrderException.objects.get(order=desk["T3"])
    client_for("admin").post(
        reverse("orders:exception-resolve", args=[exception.pk]), {"note": "Fixed the address"}
    )
    exception.refresh_from_db()
    assert exception.resolution_note == "Fixed the address"


def test_resolving_goes_back_only_to_this_site(desk, client_for):
    exception = OrderException.objects.get(order=desk["T2"])
    response = client_for("operations").post(
        reverse("orders:exception-resolve", args=[exception.pk]),
        {"note": "ok", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("orders:order-detail", args=[desk["T2"].pk])


def test_resolving_twice_keeps_the_first_resolution(desk, client_for):
    exception = OrderException.objects.get(order=desk["T2"])
    client = client_for("operations")
    url = reverse("orders:exception-resolve", args=[exception.pk])
    client.post(url, {"note": "first"})
    response = client.post(url, {"note": "second"})
    assert response.status_code == 302
    exception.refresh_from_db()
    assert exception.resolution_note == "first"
    assert OrderEvent.objects.filter(kind="exception_resolved").count() == 1


def test_the_resolve_page_shows_the_form(desk, client_for):
    exception = OrderException.objects.get(order=desk["T3"])
    html = (
        client_for("operations")
        .get(reverse("orders:exception-resolve", args=[exception.pk]))
        .content.decode()
    )
    assert "Unknown province &#x27;Atlantis&#x27;" in html and 'name="note"' in html


# --- the exception queue --------------------------------------------------------------------------------


def queued(response) -> list[tuple[str, str]]:
    assert response.status_code == 200
    return [(e.order.external_id, e.kind) for e in response.context["page_obj"]]


def test_the_queue_lists_open_exceptions_oldest_first_with_counts(desk, client_for):
    late = OrderException.objects.create(order=desk["T4"], kind=OrderException.Kind.LATE, detail="late")
    OrderException.objects.filter(pk=late.pk).update(created_at=NOW - timedelta(days=3))
    client = client_for("finance")
    url = reverse("orders:exception-list")
    response = client.get(url)
    assert queued(response) == [("T4", "late"), ("T2", "backorder"), ("T3", "address")]
    assert {c["kind"]: c["count"] for c in response.context["kind_cards"]} == {
        "late": 1,
        "backorder": 1,
        "address": 1,
        "totals": 0,
    }
    assert response.context["open_total"] == 3
    html = response.content.decode()
    assert f'href="{reverse("orders:order-detail", args=[desk["T2"].pk])}#exceptions">T2</a>' in html
    assert (
        'data-testid="resolve-form"' not in html and 'data-testid="scan-button"' not in html
    )  # finance reads
    assert queued(client.get(url, {"kind": "backorder"})) == [("T2", "backorder")]
    assert queued(client.get(url, {"channel": "jd"})) == []


def test_the_queue_filters_by_channel_and_shows_resolved_ones(desk, client_for):
    jd_order = Order.objects.get(external_id="J1")
    OrderException.objects.create(order=jd_order, kind=OrderException.Kind.TOTALS, detail="off by 0.01")
    client = client_for("operations")
    url = reverse("orders:exception-list")
    response = client.get(url, {"channel": "jd"})
    assert queued(response) == [("J1", "totals")]
    assert response.context["open_total"] == 1
    exception = OrderException.objects.get(order=desk["T2"])
    client.post(reverse("orders:exception-resolve", args=[exception.pk]), {"note": "restocked", "next": url})
    assert queued(client.get(url, {"state": "resolved"})) == [("T2", "backorder")]
    assert ("T2", "backorder") not in queued(client.get(url))


def test_resolving_inline_goes_back_to_the_queue(desk, client_for):
    client = client_for("operations")
    back = reverse("orders:exception-list") + "?kind=address"
    html = client.get(back).content.decode()
    assert 'name="next" value="/orders/exceptions/?kind=address"' in html
    exception = OrderException.objects.get(order=desk["T3"])
    response = client.post(
        reverse("orders:exception-resolve", args=[exception.pk]), {"note": "Called", "next": back}
    )
    assert response["Location"] == back
    assert queued(client.get(back)) == []


def test_the_queue_is_paginated_and_needs_a_fixed_number_of_queries(
    desk, client_for, django_assert_max_num_queries
):
    customer = Customer.objects.get(channel=desk["tmall"], external_id="C881")
    for n in range(40):
        order = OrderFactory(channel=desk["tmall"], customer=customer, external_id=f"X{n:03d}")
        OrderException.objects.create(order=order, kind=OrderException.Kind.LATE)
    client = client_for("operations")
    # session, user, roles, unread notifications, count, the page, the counts per kind, the channel filter
    with django_assert_max_num_queries(8):
        response = client.get(reverse("orders:exception-list"))
    assert len(response.context["page_obj"]) == 25
    assert response.context["page_obj"].paginator.count == 42
    assert len(queued(client.get(reverse("orders:exception-list"), {"page": 2}))) == 17


def test_the_scan_raises_a_late_exception_for_a_paid_order_older_than_two_hours(db, client_for):
    ChannelFactory(code="tmall")
    warehouse = WarehouseFactory(code="east", provinces_served=["上海"])
    sku = SKUFactory(code="SKU-A")
    stock.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=10, reference="opening")
    three_hours = NOW - timedelta(hours=3)
    one_hour = NOW - timedelta(hours=1)
    sync(
        payload(
            "OLD",
            placed_at=iso(three_hours),
            updated_at=iso(three_hours),
            order_discount="0.00",
            total="129.00",
            lines=[{"sku": "SKU-A", "quantity": 1, "unit_price": "129.00"}],
        ),
        payload(
            "NEW",
            placed_at=iso(one_hour),
            updated_at=iso(one_hour),
            order_discount="0.00",
            total="129.00",
            lines=[{"sku": "SKU-A", "quantity": 1, "unit_price": "129.00"}],
        ),
        payload(
            "GONE",
            placed_at=iso(three_hours),
            updated_at=iso(three_hours),
            status="shipped",
            order_discount="0.00",
            total="129.00",
            lines=[{"sku": "SKU-A", "quantity": 1, "unit_price": "129.00"}],
        ),
    )
    url = reverse("orders:exception-list")
    assert client_for("manager").post(url, {"action": "scan"}).status_code == 403
    assert not OrderException.objects.exists()

    client = client_for("operations")
    response = client.post(url + "?kind=late", {"action": "scan"})
    assert response.status_code == 302 and response["Location"] == url + "?kind=late"
    assert list(OrderException.objects.values_list("order__external_id", "kind")) == [("OLD", "late")]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Scan done: 1 order paid over 2 hours ago and not shipped is now late."
    ]
    response = client.post(url, {"action": "scan"}, follow=True)  # already raised: nothing new
    assert "Scan done: no new late orders." in response.content.decode()
    assert OrderException.objects.count() == 1
    assert queued(response) == [("OLD", "late")]


# --- customers ------------------------------------------------------------------------------------------


@pytest.fixture
def regular(db):
    """A customer with six orders, of which four are sales; two in USD, refunds in both currencies."""
    tmall = ChannelFactory(code="tmall")
    customer = CustomerFactory(
        channel=tmall, external_id="C900", name="王芳", phone="13800000000", email="wangfang@example.com"
    )
    rate = Decimal("7.12345678")
    day = NOW - timedelta(days=30)

    def order(external_id, days, status, total, *, refund="0.00", currency="CNY", exchange_rate=Decimal(1)):
        total = Decimal(total)
        return OrderFactory(
            channel=tmall,
            customer=customer,
            external_id=external_id,
            status=status,
            placed_at=day + timedelta(days=days),
            total=total,
            currency=currency,
            exchange_rate=exchange_rate,
            total_shop=(total * exchange_rate).quantize(Decimal("0.01")),
            refund_amount=Decimal(refund),
        )

    order("O1", 0, "delivered", "218.00")  # 218.00
    order("O2", 3, "refunded", "129.00", refund="129.00")  # 129.00 - 129.00
    order("O3", 7, "shipped", "30.00", refund="10.05", currency="USD", exchange_rate=rate)  # 213.70 - 71.59
    order("O4", 10, "pending", "99.00")  # not a sale
    order("O5", 12, "cancelled", "59.00")  # not a sale
    order("O6", 20, "returned", "88.80", refund="44.40")  # 88.80 - 44.40
    return customer


def test_the_customer_page_shows_the_lifetime_value_to_the_cent(regular, client_for):
    response = client_for("operations").get(reverse("orders:customer-detail", args=[regular.pk]))
    summary = response.context["summary"]
    # 30.00 USD at 7.12345678 = 213.7037… → 213.70; refund 10.05 USD = 71.5907… → 71.59
    assert summary.gross == Decimal("649.50")  # 218.00 + 129.00 + 213.70 + 88.80
    assert summary.refunds == Decimal("244.99")  # 129.00 + 71.59 + 44.40
    assert summary.lifetime_value == Decimal("404.51")
    assert (summary.orders, summary.counted_orders) == (6, 4)
    html = response.content.decode()
    assert 'data-testid="customer-ltv">¥404.51<' in html
    assert 'data-testid="customer-orders">4<' in html
    first = timezone.localdate(NOW - timedelta(days=30)).isoformat()
    last = timezone.localdate(NOW - timedelta(days=10)).isoformat()
    assert f'data-testid="customer-first">{first}<' in html
    assert f'data-testid="customer-last">{last}<' in html
    assert [o.external_id for o in response.context["page_obj"]] == ["O6", "O5", "O4", "O3", "O2", "O1"]


def test_a_customer_without_orders_has_no_value(db, client_for):
    customer = CustomerFactory()
    response = client_for("operations").get(reverse("orders:customer-detail", args=[customer.pk]))
    assert response.context["summary"].lifetime_value == Decimal("0.00")
    assert "No orders yet." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "phone", "email"),
    [
        ("operations", "13800000000", "wangfang@example.com"),
        ("service_agent", "13800000000", "wangfang@example.com"),
        ("finance", "138****0000", "w*******@example.com"),
        ("manager", "138****0000", "w*******@example.com"),
    ],
)
def test_the_customer_page_masks_personal_data(regular, client_for, role, phone, email):
    html = client_for(role).get(reverse("orders:customer-detail", args=[regular.pk])).content.decode()
    assert f'data-testid="customer-phone">{phone}<' in html
    assert f'data-testid="customer-email">{email}<' in html
    if "*" in phone:
        assert "13800000000" not in html and "wangfang@" not in html


def test_the_customer_orders_are_paginated(regular, client_for):
    for n in range(25):
        OrderFactory(channel=regular.channel, customer=regular, external_id=f"P{n:02d}", status="pending")
    client = client_for("operations")
    url = reverse("orders:customer-detail", args=[regular.pk])
    assert len(client.get(url).context["page_obj"]) == 20
    assert len(client.get(url, {"page": 2}).context["page_obj"]) == 11


def test_a_missing_customer_is_404(client_for):
    assert client_for("operations").get(reverse("orders:customer-detail", args=[999999])).status_code == 404


# --- channels -------------------------------------------------------------------------------------------

SECRET = "shpss_0123456789abcdef0123456789abcdef"


def test_the_channel_list_shows_rates_and_whether_a_secret_is_set(db, client_for):
    ChannelFactory(
        code="shopify",
        name="Shopify",
        kind=Channel.Kind.CROSS_BORDER,
        currency="USD",
        commission_rate=Decimal("0.0200"),
        payment_fee_rate=Decimal("0.0290"),
        settlement_days=3,
        webhook_secret=SECRET,
    )
    ChannelFactory(code="tmall", name="Tmall")
    response = client_for("finance").get(reverse("orders:channel-list"))
    html = response.content.decode()
    assert SECRET not in html
    assert "2.00%" in html and "2.90%" in html and "Cross-border" in html
    assert html.count('data-testid="secret-state"><span class="badge text-bg-success">set<') == 1
    assert html.count('data-testid="secret-state"><span class="badge text-bg-light border">not set<') == 1
    assert reverse("orders:channel-edit", args=["tmall"]) not in html  # finance reads only
    admin_html = client_for("admin").get(reverse("orders:channel-list")).content.decode()
    assert reverse("orders:channel-edit", args=["tmall"]) in admin_html


def channel_post(**overrides):
    data = {
        "name": "Tmall",
        "commission_rate": "0.0500",
        "payment_fee_rate": "0.0060",
        "settlement_days": "10",
        "active": "on",
        "webhook_secret": "",
    }
    data.update(overrides)
    return data


def test_admin_sets_the_webhook_secret_and_it_is_not_shown_back(db, client_for):
    channel = ChannelFactory(code="tmall", name="Tmall")
    client = client_for("admin")
    url = reverse("orders:channel-edit", args=["tmall"])
    assert 'data-testid="secret-state">not set<' in client.get(url).content.decode().replace(
        '<span class="badge text-bg-light border" ', "<"
    )
    response = client.post(url, channel_post(webhook_secret=SECRET), follow=True)
    channel.refresh_from_db()
    assert channel.webhook_secret == SECRET
    html = response.content.decode()
    assert SECRET not in html
    assert "Saved Tmall; the new webhook secret is set." in html
    assert '<input type="password" name="webhook_secret"' in html
    assert 'class="badge text-bg-success" data-testid="secret-state">set<' in html

    # Saving again with the secret left blank keeps it; other settings change.
    client.post(url, channel_post(webhook_secret="", commission_rate="0.0300", settlement_days="14"))
    channel.refresh_from_db()
    assert (channel.webhook_secret, channel.commission_rate, channel.settlement_days) == (
        SECRET,
        Decimal("0.0300"),
        14,
    )
    # Replace it, then remove it.
    client.post(url, channel_post(webhook_secret="another-secret-of-24-chars"))
    channel.refresh_from_db()
    assert channel.webhook_secret == "another-secret-of-24-chars"
    client.post(url, channel_post(clear_secret="on"))
    channel.refresh_from_db()
    assert channel.webhook_secret == ""


def test_a_short_secret_is_refused_and_not_echoed(db, client_for):
    channel = ChannelFactory(code="tmall", name="Tmall", webhook_secret=SECRET)
    response = client_for("admin").post(
        reverse("orders:channel-edit", args=["tmall"]), channel_post(webhook_secret="short-secret")
    )
    assert response.status_code == 400
    assert "short-secret" not in response.content.decode()
    assert response.context["form"].errors["webhook_secret"] == [
        "Ensure this value has at least 16 characters (it has 12)."
    ]
    channel.refresh_from_db()
    assert channel.webhook_secret == SECRET


def test_a_secret_with_spaces_is_refused(db, client_for):
    channel = ChannelFactory(code="tmall", name="Tmall")
    response = client_for("admin").post(
        reverse("orders:channel-edit", args=["tmall"]), channel_post(webhook_secret="two words secret value")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["webhook_secret"] == [
        "A webhook secret has no spaces or line breaks."
    ]
    channel.refresh_from_db()
    assert channel.webhook_secret == ""


def test_a_rate_of_one_or_more_is_refused(db, client_for):
    channel = ChannelFactory(code="tmall", name="Tmall")
    response = client_for("admin").post(
        reverse("orders:channel-edit", args=["tmall"]), channel_post(commission_rate="1.0000")
    )
    assert response.status_code == 400 and "commission_rate" in response.context["form"].errors
    channel.refresh_from_db()
    assert channel.commission_rate == Decimal("0.0500")


@pytest.mark.parametrize("role", ["operations", "finance", "manager"])
def test_only_admin_edits_channels(db, client_for, role):
    channel = ChannelFactory(code="tmall", name="Tmall")
    response = client_for(role).post(
        reverse("orders:channel-edit", args=["tmall"]), channel_post(webhook_secret=SECRET)
    )
    assert response.status_code == 403
    channel.refresh_from_db()
    assert channel.webhook_secret == ""


def test_a_missing_channel_is_404(db, client_for):
    assert client_for("admin").get(reverse("orders:channel-edit", args=["nope"])).status_code == 404


def test_the_command_sets_the_secret_without_printing_it(db):
    channel = ChannelFactory(code="shopify", name="Shopify")
    out = io.StringIO()
    call_command("set_channel_secret", "shopify", SECRET, stdout=out)
    channel.refresh_from_db()
    assert channel.webhook_secret == SECRET
    assert out.getvalue() == "Webhook secret of channel 'shopify' set.\n"


def test_the_command_reads_the_secret_from_stdin(db, monkeypatch):
    channel = ChannelFactory(code="shopify", name="Shopify")
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    call_command("set_channel_secret", "shopify", "-", stdout=io.StringIO())
    channel.refresh_from_db()
    assert channel.webhook_secret == SECRET


def test_the_command_refuses_an_unknown_channel_and_a_short_secret(db):
    channel = ChannelFactory(code="shopify", name="Shopify", webhook_secret=SECRET)
    with pytest.raises(CommandError, match="Unknown channel 'nope'. Channels: shopify."):
        call_command("set_channel_secret", "nope", SECRET)
    with pytest.raises(CommandError, match="at least 16 characters"):
        call_command("set_channel_secret", "shopify", "too-short")
    channel.refresh_from_db()
    assert channel.webhook_secret == SECRET
