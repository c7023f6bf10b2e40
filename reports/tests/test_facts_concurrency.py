"""Concurrent syncs of one channel and day, sharing customers, on real PostgreSQL: the facts they keep add up
exactly (no lost increment, no chain computed from a stale view of a customer) and nothing deadlocks."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from catalog.tests.factories import SKUFactory
from conftest import require
from orders.schemas import order_parse
from orders.services import order_facts_check, order_sync
from orders.tests.factories import ChannelFactory
from orders.tests.test_sync_concurrency import run_threads
from reports import kpis

pytestmark = pytest.mark.django_db(transaction=True)


def batch(first: int, status: str = "paid") -> list:
    parsed = []
    for n in range(first, first + 20):
        raw = {
            "external_id": f"F{n:05d}",
            "placed_at": f"2026-06-18T{10 + n % 12:02d}:00:00+08:00",
            "updated_at": f"2026-06-18T{10 + n % 12:02d}:0{1 if status == 'paid' else 5}:00+08:00",
            "status": status,
            "total": "59.80",
            "customer": {"external_id": f"C{n % 7}", "province": "上海"},  # seven customers shared by all
            "lines": [{"sku": "F-1" if n % 2 else "F-2", "quantity": 2, "unit_price": "29.90"}],
        }
        order, errors = order_parse(raw)
        assert errors is None, errors
        parsed.append(order)
    return parsed


def test_concurrent_syncs_of_one_day_keep_the_facts_exact():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")
    ChannelFactory(code="tmall", name="Tmall")
    SKUFactory(code="F-1", unit_cost=Decimal("11.00"))
    SKUFactory(code="F-2", unit_cost=Decimal("12.00"))
    errors = run_threads(
        lambda first: order_sync(channel_code="tmall", orders=batch(first)), [(0,), (20,), (40,), (60,)]
    )
    assert errors == []
    # then half of them cancelled, concurrently, while new ones arrive
    errors = run_threads(
        lambda first, status: order_sync(channel_code="tmall", orders=batch(first, status)),
        [(0, "cancelled"), (20, "cancelled"), (80, "paid"), (100, "paid")],
    )
    assert errors == []
    assert order_facts_check(start=date(2026, 6, 1), end=date(2026, 7, 1)) == []
    totals = kpis.kpi_totals(start=date(2026, 6, 18), end=date(2026, 6, 19))
    assert (totals["orders"], totals["units"], totals["gmv"], totals["customers"]) == (
        80,
        160,
        Decimal("4784.00"),
        7,
    )
    assert totals["cancel_rate"] == Decimal("0.3333")  # 40 of the 120 placed
    assert totals == kpis.kpi_totals_direct(start=date(2026, 6, 18), end=date(2026, 6, 19))
