"""Planning services on the database: classes written, suggestions built from a forecast row, approval into
purchase orders grouped by supplier and warehouse, idempotent rebuilds, dismissal, the explanation."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import SKU, SKUStats
from catalog.tests.factories import SKUFactory
from inventory import planning
from inventory.models import (
    DemandDay,
    PurchaseOrder,
    ReplenishmentSuggestion,
    SKUClass,
    SKUForecast,
    Supplier,
    SupplierSKU,
    Transfer,
)
from inventory.services import stock_receive
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db
D = date(2026, 3, 1)
Suggestion = ReplenishmentSuggestion


@pytest.fixture
def shop(make_user):
    east = WarehouseFactory(code="east")
    south = WarehouseFactory(code="south", name="South")
    x = SKUFactory(code="X-1")
    y = SKUFactory(code="Y-1")
    strategic = Supplier.objects.create(
        code="s1",
        name="Strategic One",
        tier="strategic",
        lead_time_days=9,
        lead_time_spread_days=Decimal("2.00"),
    )
    backup = Supplier.objects.create(code="s2", name="Backup Two", tier="backup", lead_time_days=20)
    SupplierSKU.objects.create(
        supplier=strategic, sku=x, unit_cost=Decimal("12.50"), min_order_qty=50, case_pack=12
    )
    SupplierSKU.objects.create(
        supplier=backup, sku=x, unit_cost=Decimal("8.00"), min_order_qty=1, case_pack=1
    )
    SupplierSKU.objects.create(
        supplier=strategic, sku=y, unit_cost=Decimal("7.10"), min_order_qty=1, case_pack=1
    )
    stock_receive(sku_id=x.pk, warehouse=east, quantity=40, reference="opening")
    stock_receive(sku_id=x.pk, warehouse=south, quantity=340, reference="opening")
    stock_receive(sku_id=y.pk, warehouse=east, quantity=20, reference="opening")
    # Half of X's demand in each warehouse over the last 90 days; Y only in the east.
    for wh in (east, south):
        DemandDay.objects.create(sku=x, warehouse=wh, day=D - timedelta(days=5), reserved=10)
    DemandDay.objects.create(sku=y, warehouse=east, day=D - timedelta(days=5), reserved=10)
    SKUClass.objects.create(sku=x, business_date=D, abc="B")  # 95 %, floor 3 days
    # Forecasts made yesterday: the build shifts them by one day.
    SKUForecast.objects.create(
        sku=x, business_date=D - timedelta(days=1), model="ets", daily=[20.0] * 40, sigma_daily=Decimal("8")
    )
    SKUForecast.objects.create(
        sku=y, business_date=D - timedelta(days=1), model="ets", daily=[10.0] * 40, sigma_daily=Decimal("4")
    )
    return {
        "east": east,
        "south": south,
        "x": x,
        "y": y,
        "s1": strategic,
        "user": make_user("inventory_planner"),
    }


def _rows():
    return {
        (s.sku.code, s.kind, s.warehouse.code): s
        for s in Suggestion.objects.select_related("sku", "warehouse")
    }


def test_sku_class_build_writes_abc_and_xyz(shop):
    z = SKUFactory(code="Z-1")
    SKUStats.objects.create(sku=shop["x"], as_of=D, revenue_90d=Decimal("9000.00"))
    SKUStats.objects.create(sku=shop["y"], as_of=D, revenue_90d=Decimal("1000.00"))
    for k in range(91):  # X sells 2 a day, every day: weekly CV 0
        DemandDay.objects.update_or_create(
            sku=shop["x"], warehouse=shop["east"], day=D - timedelta(days=k), defaults={"reserved": 2}
        )
    DemandDay.objects.filter(sku=shop["x"], warehouse=shop["south"]).delete()
    result = planning.sku_class_build(business_date=D)
    assert result == {"skus": 3, "A": 1, "B": 1, "C": 1, "X": 1, "Y": 0, "Z": 2}
    rows = {c.sku.code: c for c in SKUClass.objects.select_related("sku")}
    assert (rows["X-1"].abc, rows["X-1"].xyz, rows["X-1"].demand_cv) == ("A", "X", Decimal("0.000"))
    assert (rows["Y-1"].abc, rows["Y-1"].revenue_share) == ("B", Decimal("1.0000"))
    assert rows["X-1"].revenue_share == Decimal("0.9000")
    assert (rows[z.code].abc, rows[z.code].xyz, rows[z.code].demand_cv) == ("C", "Z", None)
    assert rows["X-1"].revenue_90d == Decimal("9000.00")
    # Nightly rerun: same rows, updated in place.
    planning.sku_class_build(business_date=D)
    assert SKUClass.objects.count() == 3


def test_replenishment_build_writes_suggestions_to_the_unit(shop):
    result = planning.replenishment_build(business_date=D)
    assert result == {
        "skus": 2,
        "suggestions": 3,
        "purchases": 2,
        "transfers": 1,
        "amount": "1929.50",
        "kept": 0,
    }
    rows = _rows()
    # X east: d = 20 x 0.5 = 10, sigma 8 x 0.5 = 4, L 9 +- 2 (strategic beats the cheaper backup by tier):
    # sigma_LT = sqrt(9 x 16 + 100 x 4) = 23.32; Q = half the SKU's lot (140 -> 12 cases = 144) = 72;
    # G(z) = 0.05 x 72 / 23.32 = 0.1543 -> z = 0.654; SS 0.654 x 23.32 = 15.25, but class B's floor is
    # 3 days = 30; ROP 90 + 30 = 120, OUT 120 + 70 = 190; position 40 -> needs 150.
    # South has 340: 340 - 190 - 70 = 80 to spare (>= one cycle of 70): transferred, then 40 + 80 = 120 is
    # still at the ROP: buy 150 - 80 = 70 -> 6 cases of 12 = 72 (above the MOQ of 50).
    transfer = rows[("X-1", "transfer", "east")]
    assert (transfer.source_warehouse.code, transfer.quantity, transfer.quantity_needed) == ("south", 80, 150)
    assert transfer.amount == Decimal("0.00")
    buy = rows[("X-1", "purchase", "east")]
    assert (buy.supplier.code, buy.quantity_needed, buy.quantity) == ("s1", 70, 72)
    assert (buy.safety_stock, buy.reorder_point, buy.order_up_to) == (30, 120, 190)
    assert (buy.abc, buy.service_level, buy.z) == ("B", Decimal("0.9500"), Decimal("0.654"))
    assert (buy.daily_demand, buy.sigma_demand) == (Decimal("10.000"), Decimal("4.000"))
    assert (buy.lead_time_days, buy.lead_time_spread_days) == (Decimal("9.00"), Decimal("2.00"))
    assert (buy.unit_cost, buy.amount) == (Decimal("12.50"), Decimal("900.00"))
    assert buy.projected_stockout_on == D + timedelta(days=5)  # 40 units at 10 a day
    assert buy.explanation["safety_stock"]["units"] == 30 and buy.explanation["safety_stock"]["floored"]
    assert buy.explanation["forecast"] == {"model": "ets", "made_on": "2026-02-28", "days_since": 1}
    assert buy.explanation["supplier"]["reason"] == "tier"
    # Y east (class C: 90 %, no floor; one warehouse, Q = the cycle of 70): G(z) = 0.1 x 70 / 23.32 = 0.3001
    # -> z = 0.217; SS round(0.217 x 23.32 = 5.06) = 5, ROP 95, OUT 165; 20 on hand -> buy 145 at 7.10.
    y = rows[("Y-1", "purchase", "east")]
    assert y.z == Decimal("0.217")
    assert (y.safety_stock, y.reorder_point, y.order_up_to, y.quantity, y.amount) == (
        5,
        95,
        165,
        145,
        Decimal("1029.50"),
    )
    # Idempotent: the same night again replaces the open rows with the same ones.
    again = planning.replenishment_build(business_date=D)
    assert again["suggestions"] == 3 and Suggestion.objects.count() == 3


def test_the_nightly_chunks_write_what_one_pass_writes(shop):
    def snapshot():
        return sorted(
            Suggestion.objects.values_list(
                "sku__code", "warehouse__code", "kind", "source_warehouse__code", "quantity", "amount", "z"
            )
        )

    planning.replenishment_build(business_date=D)
    whole = snapshot()
    stale = Suggestion.objects.first()
    stale.sku.active = False  # a SKU that stopped being active keeps no open suggestion for the night
    stale.sku.save(update_fields=["active"])
    chunks = planning.replenishment_chunks(business_date=D, chunk_size=1)
    assert not Suggestion.objects.filter(sku=stale.sku).exists()
    assert chunks == [[pk] for pk in sorted(SKU.objects.filter(active=True).values_list("pk", flat=True))]
    scores = planning.supplier_scores_get(business_date=D)
    details = [
        planning.replenishment_build(business_date=D, sku_ids=chunk, scores=scores) for chunk in chunks
    ]
    merged = planning.replenishment_summary_merge(details)
    active_rows = [row for row in whole if row[0] != stale.sku.code]
    assert snapshot() == active_rows
    assert (merged["chunks"], merged["suggestions"]) == (len(chunks), len(active_rows)) and active_rows


def test_approve_groups_by_supplier_and_warehouse_and_rebuild_keeps_ordered(shop):
    planning.replenishment_build(business_date=D)
    rows = _rows()
    docs = planning.suggestions_approve(suggestion_ids=[s.pk for s in rows.values()], user=shop["user"])
    order, moved = docs
    assert isinstance(order, PurchaseOrder) and isinstance(moved, Transfer)
    assert (order.supplier.code, order.warehouse.code, order.status) == (
        "s1",
        "east",
        PurchaseOrder.Status.APPROVED,
    )
    assert sorted(order.lines.values_list("sku__code", "quantity", "unit_cost")) == [
        ("X-1", 72, Decimal("12.50")),
        ("Y-1", 145, Decimal("7.10")),
    ]
    assert order.amount == Decimal("1929.50")
    assert order.approved_by == shop["user"]
    assert (moved.source.code, moved.destination.code, moved.status) == (
        "south",
        "east",
        Transfer.Status.DRAFT,
    )
    assert list(moved.lines.values_list("sku__code", "quantity")) == [("X-1", 80)]
    assert set(Suggestion.objects.values_list("status", flat=True)) == {Suggestion.Status.ORDERED}
    assert Suggestion.objects.filter(purchase_order=order).count() == 2
    # Rebuilding the night keeps the ordered rows; the PO and the draft transfer are now inbound: nothing new.
    result = planning.replenishment_build(business_date=D)
    assert (result["suggestions"], result["kept"]) == (0, 3)
    assert Suggestion.objects.filter(status=Suggestion.Status.ORDERED).count() == 3
    # Approving again is refused.
    with pytest.raises(ValidationError):
        planning.suggestions_approve(suggestion_ids=[rows[("Y-1", "purchase", "east")].pk], user=shop["user"])


def test_planner_quantities_are_checked_against_supplier_terms(shop):
    planning.replenishment_build(business_date=D)
    buy = _rows()[("X-1", "purchase", "east")]
    with pytest.raises(ValidationError):  # 100 is not whole cases of 12: nothing is written
        planning.suggestions_approve(suggestion_ids=[buy.pk], quantities={buy.pk: 100}, user=shop["user"])
    assert PurchaseOrder.objects.count() == 0
    assert Suggestion.objects.get(pk=buy.pk).status == Suggestion.Status.OPEN
    (order,) = planning.suggestions_approve(
        suggestion_ids=[buy.pk], quantities={buy.pk: 144}, user=shop["user"]
    )
    assert order.amount == Decimal("1800.00")
    buy.refresh_from_db()
    assert (buy.quantity, buy.amount, buy.purchase_order_id) == (144, Decimal("1800.00"), order.pk)


def test_dismissed_stays_dismissed_on_rebuild(shop):
    planning.replenishment_build(business_date=D)
    y = _rows()[("Y-1", "purchase", "east")]
    assert planning.suggestion_dismiss(suggestion_ids=[y.pk], user=shop["user"]) == 1
    result = planning.replenishment_build(business_date=D)
    assert (result["suggestions"], result["kept"]) == (2, 1)
    assert Suggestion.objects.get(pk=y.pk).status == Suggestion.Status.DISMISSED
    assert Suggestion.objects.filter(sku=shop["y"]).count() == 1


def test_explain_shows_the_maths(shop):
    data = planning.sku_replenishment_explain(
        sku_id=shop["x"].pk, warehouse_id=shop["east"].pk, business_date=D
    )
    assert data["available"] is True
    assert data["z"] == 0.654
    assert data["z_rule"]["formula"] == "G(z) = (1 - 0.95) x 72 / 23.32 = 0.1543 -> z = 0.654"
    assert data["safety_stock"]["formula"] == "0.654 x sqrt(9 x 4.000^2 + 10.000^2 x 2^2) = 15.25"
    assert (data["safety_stock"]["floor"], data["safety_stock"]["units"]) == (30.0, 30)
    assert (data["reorder_point"]["units"], data["order_up_to"]["units"]) == (120, 190)
    assert data["projection"][:2] == [["2026-03-02", 30.0], ["2026-03-03", 20.0]]
    assert data["projected_stockout_on"] == "2026-03-06"
    assert data["transfers_in"] == [[shop["south"].pk, 80]]
    assert data["rounding"] == {"needed": 70, "min_order_qty": 50, "case_pack": 12, "quantity": 72}
    assert data["supplier"]["name"] == "Strategic One"
    assert [o["name"] for o in data["suppliers"]] == ["Strategic One", "Backup Two"]
    missing = planning.sku_replenishment_explain(
        sku_id=shop["x"].pk, warehouse_id=shop["east"].pk, business_date=D - timedelta(days=9)
    )
    assert missing["available"] is False
