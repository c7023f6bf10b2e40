"""The demo seed: deterministic, internally consistent data (scale tiny, a fixed end date)."""

import hashlib
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Max, Min, Sum

from catalog.models import SKU
from conftest import migration_data_ensure
from inventory.demand import demand_record_build
from inventory.models import DemandDay, StockLevel, StockMovement, Supplier, SupplierSKU, Warehouse
from orders.models import Channel, Customer, Order, OrderEvent, OrderLine
from shopops.demo import reference
from shopops.demo.seed import seed_demo

END = date(2025, 12, 31)  # two years back includes Double 11 of 2024 and 2025
SHOP_TZ = ZoneInfo(settings.TIME_ZONE)

pytestmark = pytest.mark.django_db


def _seed(*extra, seed=7, end=END):
    out = StringIO()
    call_command(
        "seed_demo", "--scale", "tiny", "--seed", str(seed), "--end-date", end.isoformat(), *extra, stdout=out
    )
    return out.getvalue()


def _checksum() -> str:
    digest = hashlib.sha256()
    for row in Order.objects.order_by("channel__code", "external_id").values_list(
        "channel__code",
        "external_id",
        "customer__external_id",
        "status",
        "placed_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "closed_at",
        "payment_method",
        "province",
        "shipping_fee",
        "order_discount",
        "coupon_code",
        "total",
        "refund_amount",
    ):
        digest.update(repr(row).encode())
    for row in OrderLine.objects.order_by(
        "order__channel__code", "order__external_id", "sku__code"
    ).values_list(
        "order__channel__code",
        "order__external_id",
        "sku__code",
        "quantity",
        "unit_price",
        "discount",
        "unit_cost",
    ):
        digest.update(repr(row).encode())
    for row in StockLevel.objects.order_by("sku__code", "warehouse__code").values_list(
        "sku__code",
        "warehouse__code",
        "on_hand",
        "reserved",
    ):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def test_same_seed_and_end_date_give_identical_data():
    _seed()
    first = _checksum()
    _seed("--reset")
    assert _checksum() == first
    _seed("--reset", seed=8)
    assert _checksum() != first


def test_seed_demo_function_returns_counts():
    counts = seed_demo(scale="tiny", seed=3, end_date=END)
    assert counts["orders"] == Order.objects.count() == 2_000
    assert counts["order_lines"] == OrderLine.objects.count()
    assert counts["customers"] == Customer.objects.count()
    assert counts["skus"] == SKU.objects.count() == 20
    assert counts["stock_movements"] == StockMovement.objects.count()


def test_second_seed_without_reset_is_refused():
    _seed()
    with pytest.raises(CommandError, match="--reset"):
        _seed()
    assert Order.objects.count() == 2_000


@pytest.fixture(scope="class")
def seeded_tiny_demo(django_db_setup, django_db_blocker):
    """The tiny demo seeded once for the tests that only read it (about 14 s each time), inside a transaction
    rolled back after the last of them; each test runs in a savepoint of it, as usual."""
    with django_db_blocker.unblock(), transaction.atomic():
        migration_data_ensure()  # an earlier transactional test in this process may have flushed it
        _seed()
        yield
        transaction.set_rollback(True)


@pytest.mark.usefixtures("seeded_tiny_demo")
class TestSeededTinyDemo:
    def test_order_totals_reconcile_with_lines_to_the_cent(self):
        net = defaultdict(Decimal)
        for order_id, qty, price, discount in OrderLine.objects.values_list(
            "order_id", "quantity", "unit_price", "discount"
        ):
            assert qty > 0 and price >= 0 and 0 <= discount <= qty * price
            net[order_id] += qty * price - discount
        orders = list(
            Order.objects.values_list(
                "id", "total", "order_discount", "shipping_fee", "tax", "refund_amount", "currency"
            )
        )
        assert len(orders) == 2_000
        for order_id, total, order_discount, shipping, tax, refund, currency in orders:
            assert order_id in net, "every order has lines"
            assert total == net[order_id] - order_discount + shipping + tax
            assert total >= 0 and total.as_tuple().exponent == -2
            assert 0 <= refund <= total
            assert currency == "CNY"
        sku_cost = dict(SKU.objects.values_list("id", "unit_cost"))
        assert all(
            cost == sku_cost[sku] for sku, cost in OrderLine.objects.values_list("sku_id", "unit_cost")
        )
        assert Order.objects.exclude(coupon_code="").exists()
        assert Order.objects.filter(coupon_code="DOUBLE11", placed_at__month__in=[10, 11]).exists()

    def test_statuses_and_timestamps_are_consistent(self):
        end_of_data = END + timedelta(days=1)
        statuses = Counter()
        # Returns the service seed worked: customer service pushed returned / refunded (not the channel).
        after_sales = set(OrderEvent.objects.filter(kind="after_sales").values_list("order_id", flat=True))
        for o in Order.objects.all():
            statuses[o.status] += 1
            events = [t for t in (o.paid_at, o.shipped_at, o.delivered_at, o.closed_at) if t is not None]
            assert all(o.placed_at <= t for t in events)
            if o.pk in after_sales:
                assert o.status in ("returned", "refunded") and o.delivered_at < o.closed_at
                assert 0 <= o.refund_amount <= o.total
                continue
            assert o.source_updated_at == max([o.placed_at, *events])
            assert o.placed_at.astimezone(SHOP_TZ).date() < end_of_data
            cod = o.payment_method == "cod"
            if o.status == "pending":
                assert (
                    o.paid_at is None
                    and o.shipped_at is None
                    and o.delivered_at is None
                    and o.closed_at is None
                )
            elif o.status == "paid":
                assert o.paid_at and not cod and o.shipped_at is None and o.closed_at is None
            elif o.status == "shipped":
                assert o.shipped_at and o.delivered_at is None and o.closed_at is None
                assert (o.paid_at is None) if cod else (o.paid_at <= o.shipped_at)
            elif o.status == "delivered":
                assert o.shipped_at < o.delivered_at and o.closed_at is None
                assert o.paid_at == o.delivered_at if cod else o.paid_at <= o.shipped_at
            elif o.status == "cancelled":
                assert o.closed_at and o.shipped_at is None and o.delivered_at is None
                assert o.refund_amount == (o.total if o.paid_at else 0)
            else:  # returned or refunded: closed a few days after delivery
                assert o.delivered_at and o.paid_at
                assert timedelta(hours=12) <= o.closed_at - o.delivered_at <= timedelta(days=7)
                assert 0 < o.refund_amount <= o.total
            if o.status in ("pending", "paid", "shipped", "delivered"):
                assert o.refund_amount == 0
        old = Order.objects.filter(placed_at__lt=_shop_midnight(END - timedelta(days=10)))
        old_statuses = Counter(old.values_list("status", flat=True))
        assert old_statuses["delivered"] / old.count() > 0.85
        assert 0.03 < old_statuses["cancelled"] / old.count() < 0.08
        assert 0.01 < (old_statuses["returned"] + old_statuses["refunded"]) / old.count() < 0.06
        assert set(old_statuses) <= {"delivered", "cancelled", "returned", "refunded"}
        recent = Counter(
            Order.objects.filter(placed_at__gte=_shop_midnight(END - timedelta(days=3))).values_list(
                "status", flat=True
            )
        )
        assert recent["paid"] + recent["shipped"] + recent["pending"] > 0
        # Each order's province is its customer's; first_order_at is the customer's first order.
        assert not Order.objects.exclude(province=F("customer__province")).exists()
        firsts = dict(
            Order.objects.values("customer_id")
            .annotate(first=Min("placed_at"))
            .values_list("customer_id", "first")
        )
        assert all(firsts[c] == at for c, at in Customer.objects.values_list("id", "first_order_at"))

    def test_stock_levels_agree_with_their_ledger(self):
        ledger = defaultdict(lambda: [0, 0])
        for sku, warehouse, kind, on_hand, reserved, reference_text in StockMovement.objects.values_list(
            "sku_id",
            "warehouse_id",
            "kind",
            "on_hand_delta",
            "reserved_delta",
            "reference",
        ):
            ledger[(sku, warehouse)][0] += on_hand
            ledger[(sku, warehouse)][1] += reserved
            if kind == "receipt":
                # the opening balance, or the good units of a demo purchase order's receipt
                assert reference_text == "opening balance" or reference_text.startswith("PO-")
                assert on_hand > 0 and reserved == 0
            elif kind == "return":
                # returned units the service seed's inspections put back on the shelf
                assert reference_text.startswith("R-") and on_hand > 0 and reserved == 0
            else:
                # orders placed since the opening: reserved, then shipped or released (cancelled)
                assert (
                    (kind, on_hand == 0, reserved > 0) == ("reservation", True, True)
                    or (kind == "shipment" and on_hand == reserved < 0)
                    or (kind == "release" and on_hand == 0 and reserved < 0)
                ), kind
                assert reference_text.startswith("order ")
        levels = list(StockLevel.objects.values_list("sku_id", "warehouse_id", "on_hand", "reserved"))
        assert len(levels) == SKU.objects.count() * Warehouse.objects.count()
        for sku, warehouse, on_hand, reserved in levels:
            assert [on_hand, reserved] == ledger.get((sku, warehouse), [0, 0])
            assert 0 <= reserved <= on_hand
        stocked = defaultdict(int)
        for sku, on_hand in StockLevel.objects.values_list("sku_id", "on_hand"):
            stocked[sku] += on_hand
        assert all(stocked[sku] >= 0 for sku in stocked) and any(v > 0 for v in stocked.values())
        # Every open order's lines are reserved (the seed sizes stock for them), and nothing else is.
        open_units = sum(
            OrderLine.objects.filter(order__status__in=["pending", "paid"]).values_list("quantity", flat=True)
        )
        assert open_units > 0
        assert sum(r for *_k, r in levels) == open_units
        references = set(StockMovement.objects.filter(kind="reservation").values_list("reference", flat=True))
        for channel, external_id in Order.objects.filter(status__in=["pending", "paid"]).values_list(
            "channel__code", "external_id"
        ):
            assert f"order {channel}:{external_id}" in references

    def test_customers_come_back(self):
        per_customer = Counter(Order.objects.values_list("customer_id", flat=True))
        assert max(per_customer.values()) >= 5
        returning = sum(1 for n in per_customer.values() if n >= 2)
        assert 0.15 < returning / len(per_customer) < 0.5
        for name, phone in Customer.objects.values_list("name", "phone"):
            assert 2 <= len(name) <= 3
            assert len(phone) == 11 and phone[:2] in ("13", "15", "18") and phone.isdigit()
        assert (
            Customer.objects.values("channel", "external_id").distinct().count() == Customer.objects.count()
        )

    def test_double_11_peak(self):
        for year in (2024, 2025):
            days = Counter(
                at.astimezone(SHOP_TZ).date()
                for at in Order.objects.filter(
                    placed_at__gte=_shop_midnight(date(year, 10, 1)),
                    placed_at__lt=_shop_midnight(date(year, 11, 12)),
                ).values_list("placed_at", flat=True)
            )
            october = sum(n for d, n in days.items() if d.month == 10) / 31
            assert days[date(year, 11, 11)] > 2 * october

    def test_reference_data(self):
        channels = {c.code: c for c in Channel.objects.all()}
        assert set(channels) == {"tmall", "jd", "pinduoduo", "douyin", "own_store", "shopify"}
        assert channels["douyin"].commission_rate == Decimal("0.1000")
        assert (
            channels["shopify"].payment_fee_rate == Decimal("0.0290")
            and channels["shopify"].kind == "cross_border"
        )
        assert channels["own_store"].settlement_days == 1
        served = [p for w in Warehouse.objects.order_by("code") for p in w.provinces_served]
        assert sorted(served) == sorted(p[0] for p in reference.PROVINCES) and len(served) == 31
        assert Warehouse.objects.get(code="east").provinces_served[:4] == ["上海", "江苏", "浙江", "安徽"]
        skus = list(SKU.objects.order_by("code"))
        assert [s.code for s in skus][:2] == ["SKU-0001", "SKU-0002"]
        for s in skus:
            assert s.list_price % 10 == 9 and 29 <= s.list_price <= 1299
            assert 0 < s.unit_cost < s.list_price and s.weight_kg > 0
        roles = Counter(s.role for s in skus)
        assert roles["hero"] and roles["core"] and roles["long_tail"] and roles["new"] and roles["image"]
        margins = [1 - s.unit_cost / s.list_price for s in skus]
        assert sum(0.40 <= m <= 0.68 for m in margins) / len(margins) >= 0.7
        assert Supplier.objects.exists()
        per_sku = Counter(SupplierSKU.objects.values_list("sku_id", flat=True))
        assert set(per_sku) == {s.id for s in skus} and all(1 <= n <= 3 for n in per_sku.values())
        assert Order.objects.values("channel").annotate(n=Count("id")).count() == 6

    def test_seed_command_builds_the_order_facts_for_every_seeded_day(self):
        from orders.models import OrderDayFact
        from orders.services import order_facts_check

        seeded = list(
            OrderDayFact.objects.order_by("date", "channel_id").values_list("date", "channel_id", "gmv")
        )
        assert seeded and seeded[0][0] <= date(2024, 1, 2) and seeded[-1][0] == END
        assert (
            order_facts_check(start=date(2023, 12, 1), end=date(2026, 1, 1)) == []
        )  # a fresh computation agrees

    def test_the_demand_record_holds_every_order_line_and_the_ledger_rebuilds_its_last_days(self):
        assert (
            DemandDay.objects.aggregate(units=Sum("reserved"))["units"]
            == OrderLine.objects.aggregate(units=Sum("quantity"))["units"]
        )
        last = DemandDay.objects.aggregate(last=Max("day"))["last"]
        for day in (last, last - timedelta(days=1), last - timedelta(days=2)):

            def demand_of(day=day):
                return set(
                    DemandDay.objects.filter(day=day)
                    .exclude(reserved=0, cancelled=0)
                    .values_list("sku_id", "warehouse_id", "reserved", "cancelled")
                )

            seeded = demand_of()
            demand_record_build(business_date=day)
            assert demand_of() == seeded and len(seeded) > 0


def _shop_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHOP_TZ)
