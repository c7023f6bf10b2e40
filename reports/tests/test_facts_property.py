"""Property: whatever sequence of syncs, updates, cancellations, moves across midnight and after-sales
refunds the orders go through, the facts kept current by the writes equal a fresh computation from the
orders, and the KPIs read from them equal the KPIs computed straight from the orders table."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.tests.factories import SKUFactory
from orders import services
from orders.models import Order
from orders.schemas import order_parse
from orders.tests.factories import ChannelFactory
from reports import kpis

SH = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 4, 6, 0, 0, tzinfo=SH)  # a Monday
SPAN = (date(2026, 4, 1), date(2026, 4, 20))
PRICES = {"P-1": Decimal("19.90"), "P-2": Decimal("45.00")}

NEXT = {
    "pending": ["paid", "cancelled", "shipped"],
    "paid": ["shipped", "delivered", "cancelled", "refunded"],
    "shipped": ["delivered", "returned", "refunded"],
    "delivered": ["returned", "refunded"],
    "returned": ["refunded"],
}

create = st.tuples(
    st.just("create"),
    st.integers(0, 3),  # customer
    st.integers(0, 8 * 24 - 1),  # hour after BASE: crosses local midnights and a week edge
    st.sampled_from(sorted(PRICES)),
    st.integers(1, 3),
    st.sampled_from(["pending", "paid", "shipped"]),
    st.sampled_from(["tmall", "jd"]),
)
update = st.tuples(st.just("update"), st.integers(0, 20), st.integers(0, 4))
move = st.tuples(st.just("move"), st.integers(0, 20), st.integers(-30, 30))  # placed_at +- hours
refund = st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 30))
steps = st.lists(st.one_of(create, create, update, move, refund), min_size=1, max_size=14)


def _payload(order: dict) -> dict:
    price = PRICES[order["sku"]]
    return {
        "external_id": order["external_id"],
        "placed_at": order["placed_at"].isoformat(),
        "updated_at": order["updated_at"].isoformat(),
        "status": order["status"],
        "customer": {"external_id": f"cust-{order['customer']}", "name": "测试", "province": "上海"},
        "total": str(price * order["quantity"]),
        "lines": [{"sku": order["sku"], "quantity": order["quantity"], "unit_price": str(price)}],
    }


def _sync(order: dict) -> None:
    parsed, errors = order_parse(_payload(order))
    assert errors is None, errors
    result = services.order_sync(channel_code=order["channel"], orders=[parsed])
    assert not result.rejected or "Cannot move" in str(result.as_dict()), result.as_dict()


def _play(sequence) -> None:
    orders: list[dict] = []
    clock = BASE + timedelta(days=10)
    for step in sequence:
        clock += timedelta(minutes=7)
        kind = step[0]
        if kind == "create":
            _, customer, hour, sku, quantity, status, channel = step
            order = {
                "external_id": f"X{len(orders)}",
                "placed_at": BASE + timedelta(hours=hour, minutes=30),
                "updated_at": clock,
                "status": status,
                "customer": customer if channel == "tmall" else customer + 10,
                "sku": sku,
                "quantity": quantity,
                "channel": channel,
            }
            orders.append(order)
            _sync(order)
            continue
        if not orders:
            continue
        order = orders[step[1] % len(orders)]
        if kind == "update":
            choices = NEXT.get(order["status"])
            if not choices:
                continue
            order.update(status=choices[step[2] % len(choices)], updated_at=clock)
            _sync(order)
        elif kind == "move":
            if order["status"] not in ("pending", "paid"):
                continue
            order.update(placed_at=order["placed_at"] + timedelta(hours=step[2]), updated_at=clock)
            _sync(order)
        else:
            row = Order.objects.get(external_id=order["external_id"], channel__code=order["channel"])
            if row.status in ("pending", "cancelled"):
                continue
            services.order_after_sales_mark(
                order_id=row.pk, status="refunded", at=clock, refund_amount=Decimal(step[2])
            )
            order["status"] = "refunded"


@pytest.fixture
def shop(db):
    ChannelFactory(code="tmall", name="Tmall")
    ChannelFactory(code="jd", name="JD")
    for code in PRICES:
        SKUFactory(code=code, unit_cost=Decimal("7.35"))


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps, cut=st.integers(1, 18), length=st.integers(1, 10))
def test_facts_follow_any_sequence_of_writes(shop, sequence, cut, length):
    with transaction.atomic():
        _play(sequence)
        assert services.order_facts_check(start=SPAN[0], end=SPAN[1]) == []
        start = SPAN[0] + timedelta(days=cut)
        end = start + timedelta(days=length)
        assert kpis.kpi_totals(start=start, end=end) == kpis.kpi_totals_direct(start=start, end=end)
        for granularity in ("week", "month"):
            for row in kpis.kpi_series(start=start, end=end, granularity=granularity):
                bucket_end = min(
                    [b for b in kpis.buckets(start, end, granularity) if b > row["period_start"]] + [end]
                )
                direct = kpis.kpi_totals_direct(start=row["period_start"], end=bucket_end)
                assert row == {"period_start": row["period_start"], **direct}
        transaction.set_rollback(True)
