"""The demand record: built from the ledger and the unmet demand of a shop day, with stockout days."""

from datetime import date

import pytest

from catalog.tests.factories import SKUFactory
from inventory import services
from inventory.demand import demand_history_get, demand_record_build, warehouse_shares_get
from inventory.models import DemandDay, StockMovement, UnmetDemand
from inventory.services import Demand, DemandLine, MovementSpec
from inventory.tests.factories import WarehouseFactory

DAY = date(2026, 5, 4)


@pytest.fixture
def shop(db, time_machine):
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    west = WarehouseFactory(code="west", province="四川", provinces_served=["四川"])
    sku, other = SKUFactory(), SKUFactory()
    time_machine.move_to("2026-05-03 09:00:00+08:00", tick=False)
    services.stock_receive(sku_id=sku.pk, warehouse=east, quantity=5, reference="PO-1")
    services.stock_receive(sku_id=other.pk, warehouse=east, quantity=2, reference="PO-1")
    services.stock_receive(sku_id=other.pk, warehouse=west, quantity=1, reference="PO-1")
    return {"east": east, "west": west, "sku": sku, "other": other, "clock": time_machine}


def _reserve(ref, province, sku, qty, ship=False):
    return services.stock_reserve(
        demands=[Demand(ref, province, DAY, [DemandLine(ref, sku.pk, qty)], ship=ship)]
    )


def test_a_day_of_reservations_cancellations_shipments_and_backorders(shop):
    east, sku, other, clock = shop["east"], shop["sku"], shop["other"], shop["clock"]
    clock.move_to("2026-05-04 10:00:00+08:00", tick=False)
    _reserve("order tmall:1", "上海", sku, 3)
    _reserve("order jd:2", "上海", sku, 4)  # 2 available: 2 reserved, 2 backordered at east
    _reserve("order own:3", "上海", other, 1, ship=True)  # arrived shipped: demand too
    services.stock_movements_apply(
        movements=[
            MovementSpec(sku.pk, east.pk, StockMovement.Kind.RELEASE, reserved_delta=-3, reference="x")
        ]
    )
    clock.move_to("2026-05-05 08:00:00+08:00", tick=False)  # the next day: not counted on the 4th
    _reserve("order tmall:4", "上海", sku, 1)

    detail = demand_record_build(business_date=DAY)

    rows = {(r.sku_id, r.warehouse_id): r for r in DemandDay.objects.filter(day=DAY)}
    sku_east = rows[(sku.pk, east.pk)]
    assert (sku_east.reserved, sku_east.cancelled, sku_east.unmet) == (5, 3, 2)
    assert sku_east.closing_available == 5 - 2  # 5 on hand, 2 still reserved at the close
    assert sku_east.stockout is True  # backorders that day
    assert sku_east.demand == 4
    other_east = rows[(other.pk, east.pk)]
    assert (other_east.reserved, other_east.closing_available, other_east.stockout) == (1, 1, False)
    assert (other.pk, shop["west"].pk) not in rows  # stock, no demand: no row
    assert detail == {"rows": 2, "units": 8, "stockouts": 1}
    assert UnmetDemand.objects.get().warehouse_id == east.pk


def test_a_carried_item_with_nothing_left_is_a_stockout_day_without_demand(shop):
    east, sku, clock = shop["east"], shop["sku"], shop["clock"]
    clock.move_to("2026-05-04 10:00:00+08:00", tick=False)
    services.stock_adjust(sku_id=sku.pk, warehouse=east, delta=-5, reason="water damage")
    demand_record_build(business_date=DAY)
    row = DemandDay.objects.get(day=DAY)
    assert (row.sku_id, row.reserved, row.closing_available, row.stockout) == (sku.pk, 0, 0, True)
    # The west warehouse never carried `sku`: not a stockout there.
    assert not DemandDay.objects.filter(sku=sku, warehouse=shop["west"]).exists()


def test_the_build_is_idempotent_and_history_sums_warehouses(shop):
    east, west, other, clock = shop["east"], shop["west"], shop["other"], shop["clock"]
    clock.move_to("2026-05-04 10:00:00+08:00", tick=False)
    _reserve("order tmall:1", "上海", other, 2)
    _reserve("order tmall:2", "四川", other, 1)
    first = demand_record_build(business_date=DAY)
    assert demand_record_build(business_date=DAY) == first
    assert DemandDay.objects.filter(day=DAY).count() == 2

    history = demand_history_get(end_date=DAY, days=3, sku_ids=[other.pk, shop["sku"].pk])
    assert history.days == [date(2026, 5, 2), date(2026, 5, 3), DAY]
    assert history.demand.tolist() == [[0, 0, 3], [0, 0, 0]]
    # Both warehouses holding `other` ended the day with nothing available: a stockout for the SKU.
    assert history.stockout.tolist() == [[False, False, True], [False, False, False]]
    assert warehouse_shares_get(end_date=DAY) == {other.pk: {east.pk: 2 / 3, west.pk: 1 / 3}}


def test_a_stockout_in_one_warehouse_only_is_not_a_stockout_of_the_sku(shop):
    other, clock = shop["other"], shop["clock"]
    clock.move_to("2026-05-04 10:00:00+08:00", tick=False)
    _reserve("order tmall:2", "四川", other, 1)  # west sells out, east still has 2
    demand_record_build(business_date=DAY)
    history = demand_history_get(end_date=DAY, days=1, sku_ids=[other.pk])
    assert history.stockout.tolist() == [[False]]
    assert DemandDay.objects.get(warehouse=shop["west"]).stockout is True


def test_a_day_before_the_ledger_begins_is_kept_as_loaded(shop):
    """History loaded without its movements (the demo's two years) is not wiped by a replay of its days."""
    loaded = DemandDay.objects.create(
        sku=shop["sku"], warehouse=shop["east"], day=date(2026, 5, 1), reserved=7
    )
    assert demand_record_build(business_date=date(2026, 5, 1)) == {"rows": 1, "kept": "before the ledger"}
    loaded.refresh_from_db()
    assert loaded.reserved == 7
    # The ledger's first day (the receipts of 3 May) is rebuilt: no demand, nothing out of stock.
    assert demand_record_build(business_date=date(2026, 5, 3)) == {"rows": 0, "units": 0, "stockouts": 0}
