"""Races on real PostgreSQL: concurrent syncs never duplicate orders, never oversell, never deadlock."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from catalog.tests.factories import SKUFactory
from conftest import require
from inventory import services as stock
from inventory.models import StockLevel
from inventory.selectors import ledger_mismatches
from inventory.tests.factories import WarehouseFactory
from orders.models import Order, OrderAllocation, OrderLine
from orders.schemas import order_parse
from orders.services import order_sync
from orders.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")


def run_threads(target, args_list):
    errors = []

    def wrapped(*args):
        try:
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


def make_order(n, lines, status="paid", province="上海"):
    total = sum(Decimal(price) * qty for _, qty, price in lines)
    raw = {
        "external_id": f"R{n:06d}",
        "placed_at": "2026-06-18T10:00:00+08:00",
        "updated_at": "2026-06-18T10:00:00+08:00",
        "status": status,
        "total": str(total),
        "customer": {"external_id": f"C{n % 300}", "province": province},
        "lines": [{"sku": sku, "quantity": qty, "unit_price": price} for sku, qty, price in lines],
    }
    order, errors = order_parse(raw)
    assert errors is None
    return order


def test_three_threads_replaying_the_same_2000_orders_create_each_once():
    ChannelFactory(code="tmall")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    codes = [f"SKU-{i:04d}" for i in range(20)]
    for code in codes:
        stock.stock_receive(
            sku_id=SKUFactory(code=code).pk, warehouse=east, quantity=10_000, reference="opening"
        )
    orders = [
        make_order(
            n,
            [
                (codes[n % 20], 1 + n % 3, "19.90"),
                (codes[(n * 7) % 20], 1, "5.00"),
                (codes[(n * 3 + 1) % 20], 2, "9.90"),
            ],
        )
        for n in range(2000)
    ]
    batches = [orders[i : i + 500] for i in range(0, 2000, 500)]
    results = []

    def replay():
        for batch in batches:
            results.append(order_sync(channel_code="tmall", orders=batch))

    assert run_threads(replay, [()] * 3) == []
    assert Order.objects.count() == 2000
    assert OrderLine.objects.count() == 6000
    assert sum(r.created for r in results) == 2000 and sum(r.unchanged for r in results) == 4000
    assert not any(r.rejected for r in results)
    units = OrderLine.objects.aggregate(n=Sum("quantity"))["n"]
    assert StockLevel.objects.aggregate(n=Sum("reserved"))["n"] == units
    assert OrderAllocation.objects.aggregate(n=Sum("quantity"))["n"] == units
    assert ledger_mismatches() == []


@pytest.mark.parametrize("round_", range(3))
def test_fifty_threads_racing_for_the_last_20_units_reserve_exactly_20(round_):
    ChannelFactory(code="tmall")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    south = WarehouseFactory(code="south", provinces_served=["广东"])
    sku = SKUFactory(code="LAST")
    stock.stock_receive(sku_id=sku.pk, warehouse=east, quantity=12, reference="opening")
    stock.stock_receive(sku_id=sku.pk, warehouse=south, quantity=8, reference="opening")
    barrier = threading.Barrier(50)

    def buy(n):
        order = make_order(n, [("LAST", 1, "99.00")], province="上海" if n % 2 else "广东")
        barrier.wait(timeout=60)
        order_sync(channel_code="tmall", orders=[order])

    assert run_threads(buy, [(n,) for n in range(50)]) == []
    assert Order.objects.count() == 50
    levels = {lv.warehouse_id: (lv.on_hand, lv.reserved) for lv in StockLevel.objects.filter(sku=sku)}
    assert levels == {east.pk: (12, 12), south.pk: (8, 8)}
    assert OrderLine.objects.aggregate(n=Sum("backordered"))["n"] == 30
    assert OrderAllocation.objects.aggregate(n=Sum("quantity"))["n"] == 20
    assert ledger_mismatches() == []


def test_orders_naming_skus_in_opposite_order_never_deadlock():
    ChannelFactory(code="tmall")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    for code in ("A", "B", "C"):
        stock.stock_receive(
            sku_id=SKUFactory(code=code).pk, warehouse=east, quantity=1000, reference="opening"
        )
    barrier = threading.Barrier(20)

    def buy(n):
        skus = ["A", "B", "C"] if n % 2 else ["C", "B", "A"]
        orders = [make_order(n * 100 + k, [(s, 1, "1.00") for s in skus]) for k in range(10)]
        barrier.wait(timeout=60)
        for order in orders:  # one transaction per order: many interleavings
            order_sync(channel_code="tmall", orders=[order])

    assert run_threads(buy, [(n,) for n in range(20)]) == []
    assert Order.objects.count() == 200
    assert set(StockLevel.objects.values_list("reserved", flat=True)) == {200}


def test_a_deadlock_victim_is_retried(monkeypatch):
    """The database may pick a sync as a deadlock victim; the batch is retried, not lost."""
    from django.db import OperationalError

    from orders import services

    ChannelFactory(code="tmall")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    stock.stock_receive(sku_id=SKUFactory(code="A").pk, warehouse=east, quantity=10, reference="opening")
    real_apply, calls = services._apply, []

    class Deadlock(Exception):
        sqlstate = "40P01"

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            real_apply(*args, **kwargs)  # writes, then the transaction dies: nothing may remain
            raise OperationalError("deadlock detected") from Deadlock()
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(services, "_apply", flaky)
    result = order_sync(channel_code="tmall", orders=[make_order(1, [("A", 2, "1.00")])])
    assert (len(calls), result.created) == (2, 1)
    assert Order.objects.count() == 1
    assert StockLevel.objects.get().reserved == 2


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_concurrent_batches_sharing_customers_never_deadlock():
    """Customers are locked in one order by every batch (existing by id, new ones by external id)."""
    import random

    ChannelFactory(code="tmall")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    codes = [f"S{i}" for i in range(30)]
    for code in codes:
        stock.stock_receive(
            sku_id=SKUFactory(code=code).pk, warehouse=east, quantity=100_000, reference="opening"
        )
    before = _deadlocks()

    def buy(n):
        rng = random.Random(n)
        for batch in range(4):
            orders = []
            for k in range(40):
                order = make_order(n * 10_000 + batch * 100 + k, [(rng.choice(codes), 1, "2.00")])
                order.customer.external_id = f"SHARED-{rng.randrange(25)}"
                order.customer.phone = f"1380000{n:04d}"  # details change: existing customers are updated
                orders.append(order)
            order_sync(channel_code="tmall", orders=orders)

    assert run_threads(buy, [(n,) for n in range(8)]) == []
    assert Order.objects.count() == 8 * 4 * 40
    assert _deadlocks() == before
