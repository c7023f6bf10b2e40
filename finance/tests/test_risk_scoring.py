"""Order risk with the database: the facts each rule needs are gathered right (trigger and non-trigger),
scoring holds the risky orders through the orders service and is idempotent, and the COD bad-debt rate."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finance.models import FinanceSettings, OrderRisk
from finance.selectors.risk import cod_bad_debt, cod_bad_debt_total, risk_facts
from finance.services.risk import orders_risk_score
from finance.tests.factories_risk import ChannelFactory, CustomerFactory, SKUFactory, risk_order
from orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db
S = Order.Status


def facts_of(order):
    return risk_facts(order_ids=[order.pk], now=timezone.now())[order.pk]


def test_new_customer_facts_count_only_earlier_counted_orders():
    customer = CustomerFactory()
    risk_order(customer=customer, status=S.CANCELLED, days_ago=10)  # not counted
    risk_order(customer=customer, status=S.PENDING, days_ago=9)  # not counted
    order = risk_order(customer=customer, payment_method="cod", total=Decimal("900.00"))
    risk_order(customer=customer, status=S.DELIVERED, days_ago=-1)  # later: not earlier
    assert facts_of(order).earlier_counted == 0
    risk_order(customer=customer, status=S.DELIVERED, days_ago=20)
    assert facts_of(order).earlier_counted == 1


def test_shared_phone_and_address_facts():
    channel = ChannelFactory()
    me = CustomerFactory(channel=channel, name="王芳", phone="13800000001")
    order = risk_order(customer=me, address="上海市 浦东新区 XX路1号")
    # the same phone (written differently) under another name, within 30 days
    risk_order(customer=CustomerFactory(channel=channel, name="李雷", phone="138-0000 0001"), days_ago=5)
    # the same address (other spacing and case) under a third name
    risk_order(
        customer=CustomerFactory(channel=channel, name="韩梅梅", phone="139"),
        address="上海市浦东新区xx路1号",
        days_ago=2,
    )
    # too old (40 days), and a different phone and address: ignored
    risk_order(customer=CustomerFactory(channel=channel, name="张三", phone="13800000001"), days_ago=40)
    risk_order(customer=CustomerFactory(channel=channel, name="李四", phone="137"), address="北京")
    f = facts_of(order)
    assert f.names_same_phone == frozenset({"李雷"})
    assert f.names_same_address == frozenset({"韩梅梅"})
    assert f.shared_orders == 2


def test_shared_contact_does_not_fire_for_one_customer_repeating():
    channel = ChannelFactory()
    me = CustomerFactory(channel=channel, name="王芳", phone="13800000002")
    for days in (1, 2, 3):
        risk_order(customer=me, address="A路1号", days_ago=days)
    order = risk_order(customer=me, address="A路1号")
    f = facts_of(order)
    assert (f.names_same_phone, f.names_same_address) == (frozenset({"王芳"}), frozenset({"王芳"}))
    from finance import risk as rules

    assert rules.rule_shared_contact(f).points == 0


def test_province_facts():
    customer = CustomerFactory(province="北京")
    f = facts_of(risk_order(customer=customer, province="上海"))
    assert (f.customer_province, f.order_province) == ("北京", "上海")


def test_province_of_the_customers_earlier_orders_wins_over_the_synced_customer_row():
    """The sync stores the newest order's province on the customer, so the customer row agrees with the new
    order; the customer's earlier orders (the latest of them) say where they really live."""
    customer = CustomerFactory(province="广东")
    risk_order(customer=customer, province="北京", days_ago=30)
    risk_order(customer=customer, province="四川", days_ago=10)
    f = facts_of(risk_order(customer=customer, province="广东"))
    assert (f.customer_province, f.order_province) == ("四川", "广东")
    from finance import risk as rules

    assert rules.rule_province_mismatch(f).points == 15
    same = facts_of(risk_order(customer=CustomerFactory(province="广东"), province="广东"))
    assert rules.rule_province_mismatch(same).points == 0


def test_refused_cod_and_returns_history_facts():
    customer = CustomerFactory()
    now = timezone.now()
    # a COD order shipped and returned unpaid: refused
    risk_order(
        customer=customer,
        payment_method="cod",
        status=S.RETURNED,
        days_ago=30,
        shipped_at=now - timedelta(days=29),
    )
    # a COD order returned but paid: not refused; a prepaid return: not refused
    risk_order(
        customer=customer,
        payment_method="cod",
        status=S.RETURNED,
        days_ago=25,
        shipped_at=now - timedelta(days=24),
        paid_at=now - timedelta(days=23),
    )
    risk_order(
        customer=customer,
        payment_method="alipay",
        status=S.REFUNDED,
        days_ago=20,
        shipped_at=now - timedelta(days=19),
        paid_at=now - timedelta(days=20),
    )
    # a COD order cancelled before shipping: not refused
    risk_order(customer=customer, payment_method="cod", status=S.CANCELLED, days_ago=15)
    order = risk_order(customer=customer)
    f = facts_of(order)
    assert (f.earlier_refused_cod, f.earlier_returned, f.earlier_counted) == (1, 3, 3)


def test_unusual_quantity_average_excludes_the_order_itself():
    sku = SKUFactory()
    for days in (10, 20, 30):
        risk_order(lines=[(sku, 2)], days_ago=days)
    risk_order(lines=[(sku, 50)], days_ago=100)  # older than 90 days: ignored
    order = risk_order(lines=[(sku, 12)])
    (line,) = facts_of(order).lines
    assert (line.quantity, line.average_quantity) == (12, Decimal("2"))


def _risky(**kwargs):
    """A new customer's high-value COD order in another province than the customer's: 40 + 15 = 55; with a
    shared phone (2 other names) 85."""
    return risk_order(payment_method="cod", total=Decimal("1200.00"), province="广东", **kwargs)


def test_scoring_holds_risky_orders_and_is_idempotent():
    channel = ChannelFactory()
    FinanceSettings.objects.filter(pk=1).update(risk_hold_score=60, risk_cod_high_value=Decimal("800.00"))
    risky_customer = CustomerFactory(channel=channel, name="王芳", phone="13900000000", province="上海")
    for name in ("李雷", "韩梅梅"):
        risk_order(customer=CustomerFactory(channel=channel, name=name, phone="13900000000"), days_ago=3.5)
    risky = _risky(customer=risky_customer)
    medium = _risky(customer=CustomerFactory(channel=channel, phone="13700000000", province="上海"))
    calm = risk_order(customer=CustomerFactory(channel=channel, phone="13600000000"))
    shipped = _risky(customer=CustomerFactory(channel=channel, phone="135"), status=S.SHIPPED)
    old = _risky(customer=CustomerFactory(channel=channel, phone="134"), days_ago=4)

    with CaptureQueriesContext(connection) as first_run:
        assert orders_risk_score() == {"scored": 3, "held": 1, "clear": 2, "missed": 0}
    risk = OrderRisk.objects.get(order=risky)
    assert (risk.score, risk.status) == (85, OrderRisk.Status.HELD)
    assert [r["rule"] for r in risk.reasons] == ["new_customer_cod", "shared_contact", "province_mismatch"]
    risky.refresh_from_db()
    assert risky.held_at is not None
    assert risky.hold_reason.startswith("Risk score 85: New customer, high-value cash on delivery")
    assert OrderEvent.objects.filter(order=risky, kind="hold").count() == 1
    assert OrderRisk.objects.get(order=medium).score == 55
    assert OrderRisk.objects.get(order=medium).status == OrderRisk.Status.CLEAR
    assert OrderRisk.objects.get(order=calm).score == 0
    assert not OrderRisk.objects.filter(order__in=[shipped, old]).exists()
    # a handful of queries for the batch, not a few per order (the hold writes a few for the held one)
    assert len(first_run.captured_queries) < 30

    # running again scores nothing and changes nothing
    assert orders_risk_score() == {"scored": 0, "held": 0, "clear": 0, "missed": 0}
    assert OrderRisk.objects.count() == 3
    assert OrderEvent.objects.filter(order=risky, kind="hold").count() == 1


def test_scoring_queries_do_not_grow_with_the_batch():
    channel = ChannelFactory()
    sku = SKUFactory()

    def batch(n, tag):
        for i in range(n):
            c = CustomerFactory(channel=channel, phone=f"1{tag}{i:04d}")
            risk_order(customer=c, lines=[(sku, 1)], address=f"{tag}路{i}号")

    batch(2, "5")
    with CaptureQueriesContext(connection) as small:
        orders_risk_score()
    batch(20, "6")
    with CaptureQueriesContext(connection) as large:
        orders_risk_score()
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_hold_score_is_a_setting():
    FinanceSettings.objects.filter(pk=1).update(risk_hold_score=50)
    order = _risky(customer=CustomerFactory(province="上海"))
    orders_risk_score()
    assert OrderRisk.objects.get(order=order).status == OrderRisk.Status.HELD


def test_cod_bad_debt_rate_per_month():
    tz = ZoneInfo("Asia/Shanghai")

    def at(y, m, d, h=12):
        return datetime(y, m, d, h, tzinfo=tz)

    def cod(total, shipped, status, paid=None, method="cod"):
        return risk_order(
            payment_method=method,
            total=Decimal(total),
            status=status,
            placed_at=shipped - timedelta(days=1),
            shipped_at=shipped,
            paid_at=paid,
        )

    cod("100.00", at(2026, 5, 3), S.DELIVERED, paid=at(2026, 5, 5))
    cod("300.00", at(2026, 5, 10), S.RETURNED)  # refused: unpaid
    cod("50.00", at(2026, 5, 31, 23), S.RETURNED, paid=at(2026, 6, 2))  # returned but paid: not bad debt
    cod("999.00", at(2026, 5, 20), S.RETURNED, method="alipay")  # not COD
    cod("200.00", at(2026, 6, 1, 0), S.CANCELLED)  # 1 June 00:00 Shanghai: June; cancelled after shipping
    cod("200.00", at(2026, 6, 10), S.SHIPPED)
    rows = cod_bad_debt(months=3, today=date(2026, 6, 15))
    assert [r.month for r in rows] == [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
    april, may, june = rows
    assert (april.shipped_count, april.shipped_value, april.rate) == (0, Decimal("0.00"), None)
    assert (may.shipped_count, may.shipped_value, may.unpaid_count, may.unpaid_value) == (
        3,
        Decimal("450.00"),
        1,
        Decimal("300.00"),
    )
    assert may.rate == Decimal("0.6667")
    assert (june.shipped_count, june.shipped_value, june.unpaid_count, june.unpaid_value, june.rate) == (
        2,
        Decimal("400.00"),
        1,
        Decimal("200.00"),
        Decimal("0.5000"),
    )
    total = cod_bad_debt_total(rows)
    assert (total.shipped_value, total.unpaid_value, total.rate) == (
        Decimal("850.00"),
        Decimal("500.00"),
        Decimal("0.5882"),
    )
