"""Inventory KPIs on a small worked example, every figure computed by hand in the comments.

SKUs (landed cost = purchase + inbound + packaging): A kitchen 10.00 + 1.50 + 0.50 = 12.00; B bath 20.00;
C bath 5.00 + 0.25 = 5.25; D kitchen 8.00.
Ledger: at as_of-100 receive A east 100, B west 50, D east 10; at as_of-40 C east 40; today A west 20 and
a reservation of 10 A in east.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from catalog.models import SKUCost
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from inventory import kpis, services
from inventory.models import DemandDay, InventorySettings, SKUForecast, StockMovement
from inventory.services import MovementSpec
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


def at_noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)), timezone.get_current_timezone())


@pytest.fixture
def world():
    today = timezone.localdate()
    east, west = WarehouseFactory(code="east", name="East"), WarehouseFactory(code="west", name="West")
    kitchen = CategoryFactory(code="kitchen", name="Kitchen")
    bath = CategoryFactory(code="bath", name="Bath")
    a = SKUFactory(code="A", unit_cost=Decimal("10.00"), product=ProductFactory(category=kitchen))
    b = SKUFactory(code="B", unit_cost=Decimal("20.00"), product=ProductFactory(category=bath))
    c = SKUFactory(code="C", unit_cost=Decimal("5.00"), product=ProductFactory(category=bath))
    d = SKUFactory(code="D", unit_cost=Decimal("8.00"), product=ProductFactory(category=kitchen))
    SKUCost.objects.create(sku=a, inbound_cost=Decimal("1.50"), packaging_cost=Decimal("0.50"))
    SKUCost.objects.create(sku=c, inbound_cost=Decimal("0.25"))

    with time_machine.travel(at_noon(today - timedelta(days=100)), tick=False):
        services.stock_receive(sku_id=a.pk, warehouse=east, quantity=100, reference="PO-1")
        services.stock_receive(sku_id=b.pk, warehouse=west, quantity=50, reference="PO-2")
        services.stock_receive(sku_id=d.pk, warehouse=east, quantity=10, reference="PO-3")
    with time_machine.travel(at_noon(today - timedelta(days=40)), tick=False):
        services.stock_receive(sku_id=c.pk, warehouse=east, quantity=40, reference="PO-4")
    services.stock_receive(sku_id=a.pk, warehouse=west, quantity=20, reference="PO-5")
    services.stock_movements_apply(
        movements=[MovementSpec(a.pk, east.pk, StockMovement.Kind.RESERVATION, reserved_delta=10)]
    )

    def demand(sku, wh, days_ago, reserved=0, cancelled=0, unmet=0, stockout=False):
        DemandDay.objects.create(
            sku=sku,
            warehouse=wh,
            day=today - timedelta(days=days_ago),
            reserved=reserved,
            cancelled=cancelled,
            unmet=unmet,
            stockout=stockout,
            closing_available=0 if stockout else 5,
        )

    demand(a, east, 199, reserved=10)  # the first day of the record: 200 days of it
    demand(d, east, 120, reserved=4)  # D's last sale: outside the 90 days
    demand(a, east, 5, reserved=30, cancelled=2, unmet=4, stockout=True)
    demand(b, west, 10, reserved=12)
    demand(c, east, 3, stockout=True)  # out of stock without demand: not a demand day
    demand(a, west, 2, reserved=1, cancelled=3)  # more cancelled than reserved: no demand, no sale
    demand(b, west, 1, reserved=2)
    # Forecasts: the latest run (yesterday) has only A; an older run is ignored.
    SKUForecast.objects.create(
        sku=a, business_date=today - timedelta(days=1), model="ets", mean_daily="0.500"
    )
    SKUForecast.objects.create(
        sku=a, business_date=today - timedelta(days=8), model="ets", mean_daily="9.000"
    )
    SKUForecast.objects.create(
        sku=b, business_date=today - timedelta(days=8), model="ets", mean_daily="9.000"
    )
    return {"today": today, "skus": (a, b, c, d)}


def test_inventory_value_by_warehouse_and_category(world):
    # A 120 x 12 = 1440, B 50 x 20 = 1000, C 40 x 5.25 = 210, D 10 x 8 = 80: 2730.00
    by_wh = kpis.inventory_value_by_warehouse()
    assert [(r.code, r.name, r.units, r.value, r.share) for r in by_wh] == [
        ("east", "East", 150, Decimal("1490.00"), Decimal("0.5458")),  # 1200 + 210 + 80
        ("west", "West", 70, Decimal("1240.00"), Decimal("0.4542")),  # 240 + 1000
    ]
    by_cat = kpis.inventory_value_by_category()
    assert [(r.code, r.units, r.value, r.share) for r in by_cat] == [
        ("kitchen", 130, Decimal("1520.00"), Decimal("0.5568")),
        ("bath", 90, Decimal("1210.00"), Decimal("0.4432")),
    ]


def test_stock_value_history_rebuilt_from_the_ledger(world):
    today = world["today"]
    # Points every 30 days back, only from the ledger's first day (as_of-100): -90, -60, -30, 0.
    assert kpis.stock_value_history(today) == [
        (today - timedelta(days=90), Decimal("2280.00")),  # before C (210) and A west (240)
        (today - timedelta(days=60), Decimal("2280.00")),
        (today - timedelta(days=30), Decimal("2490.00")),  # C arrived at -40
        (today, Decimal("2730.00")),
    ]


def test_turnover_and_days_of_inventory(world):
    t = kpis.turnover_get(world["today"])
    # Sold over the 200 days of record: A 41 - 5 = 36 x 12 = 432, B 14 x 20 = 280, D 4 x 8 = 32: 744.00,
    # annualised x 365 / 200 = 1357.80. Average value (2280 + 2280 + 2490 + 2730) / 4 = 2445.00.
    assert (t.cogs, t.cogs_days, t.average_value, t.value_points) == (
        Decimal("1357.80"),
        200,
        Decimal("2445.00"),
        4,
    )
    assert t.turnover == Decimal("0.56")  # 1357.80 / 2445.00 = 0.5553
    assert t.days_of_inventory == Decimal("657.3")  # 365 x 2445.00 / 1357.80 = 657.26


def test_stockout_rate_counts_sku_days_with_demand(world):
    s = kpis.stockout_rate_get(world["today"])
    # Demand days in 28 days: A east -5 (32 units, out), B west -10 (12), B west -1 (2); C's stockout without
    # demand and A west's net cancellation are not demand days.
    assert (s.window_days, s.demand_days, s.stockout_days, s.rate) == (28, 3, 1, Decimal("0.3333"))
    assert (s.demand_units, s.unmet_units) == (46, 4)
    # Over 7 days only A east's stockout day and B's -1: 1 of 2.
    assert kpis.stockout_rate_get(world["today"], days=7).rate == Decimal("0.5000")


def test_dead_stock_and_overstock(world):
    today = world["today"]
    dead = kpis.dead_stock_list(today)
    assert [(r.code, r.on_hand, r.value, r.last_sale) for r in dead] == [
        ("C", 40, Decimal("210.00"), None),
        ("D", 10, Decimal("80.00"), today - timedelta(days=120)),
    ]
    # With 130 days D's sale at -120 counts: only C is dead.
    assert [r.code for r in kpis.dead_stock_list(today, days=130)] == ["C"]

    over = kpis.overstock_list(today)
    # A: 110 available / 0.5 a day (the latest forecast) = 220 days; excess 110 - 60 = 50 x 12 = 600.00.
    # B: no forecast in the latest run: 14 units in 28 days = 0.5 a day, 50 / 0.5 = 100 days: not over.
    # C and D: no demand in 28 days: all of it is excess.
    assert [
        (r.code, r.available, r.daily_demand, r.cover_days, r.excess_units, r.excess_value) for r in over
    ] == [
        ("A", 110, Decimal("0.500"), Decimal("220.0"), 50, Decimal("600.00")),
        ("C", 40, Decimal("0.000"), None, 40, Decimal("210.00")),
        ("D", 10, Decimal("0.000"), None, 10, Decimal("80.00")),
    ]
    settings = InventorySettings.current()
    settings.overstock_days = 90  # B's 100 days are now too many: excess 50 - 45 = 5 x 20
    settings.save()
    assert [(r.code, r.excess_units, r.excess_value) for r in kpis.overstock_list(today)] == [
        ("A", 65, Decimal("780.00")),  # 110 - 45
        ("C", 40, Decimal("210.00")),
        ("B", 5, Decimal("100.00")),
        ("D", 10, Decimal("80.00")),
    ]


def test_all_kpis_together(world):
    k = kpis.inventory_kpis_get(world["today"])
    assert (k.value, k.units, k.stocked_skus) == (Decimal("2730.00"), 220, 4)
    assert (k.dead_days, k.dead_skus, k.dead_value, k.dead_share) == (
        90,
        2,
        Decimal("290.00"),
        Decimal("0.1062"),
    )
    assert (k.overstock_days, k.overstock_skus, k.overstock_excess_value, k.overstock_share) == (
        120,
        3,
        Decimal("890.00"),
        Decimal("0.3260"),
    )
    assert k.turnover.turnover == Decimal("0.56") and k.turnover_in_target is False
    assert k.stockouts.rate == Decimal("0.3333")
    assert [r.code for r in k.by_warehouse] == ["east", "west"]


def test_kpis_of_an_empty_shop():
    k = kpis.inventory_kpis_get()
    assert (k.value, k.units, k.dead_skus, k.overstock_skus) == (Decimal("0.00"), 0, 0, 0)
    assert (k.turnover.cogs, k.turnover.turnover, k.turnover.days_of_inventory) == (
        Decimal("0.00"),
        None,
        None,
    )
    assert k.stockouts.rate is None and k.dead_share is None and k.turnover_in_target is None
