"""The inventory planner's replenishment: approve a supplier's suggestions into a purchase order on the
worklist, send it and receive part of it on the PO page, then see the SKU's stock page and the supplier's
scorecard change. Screenshots go to var/screenshots/."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory import purchasing
from inventory.models import PurchaseOrder, ReplenishmentSuggestion, StockLevel, SupplierSKU, Warehouse
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _suggestion(item, warehouse, quantity: int) -> ReplenishmentSuggestion:
    """Tonight's advice as the nightly run writes it: buy `quantity` of the item's SKU from its supplier."""
    today = timezone.localdate()
    return ReplenishmentSuggestion.objects.create(
        business_date=today,
        sku=item.sku,
        warehouse=warehouse,
        kind=ReplenishmentSuggestion.Kind.PURCHASE,
        supplier=item.supplier,
        abc="A",
        service_level=Decimal("0.9800"),
        z=Decimal("2.054"),
        on_hand=2,
        available=2,
        daily_demand=Decimal("1.500"),
        sigma_demand=Decimal("0.900"),
        lead_time_days=Decimal(item.supplier.lead_time_days),
        safety_stock=5,
        reorder_point=16,
        order_up_to=27,
        projected_stockout_on=today + timezone.timedelta(days=1),
        quantity_needed=quantity - 1,
        quantity=quantity,
        unit_cost=item.unit_cost,
        amount=item.unit_cost * quantity,
    )


def test_planner_approves_suggestions_receives_part_and_sees_stock_and_scorecard(
    page, demo_site, watch, screenshots
):
    base = demo_site["url"]
    item = (
        SupplierSKU.objects.select_related("supplier", "sku").order_by("supplier__code", "sku__code").first()
    )
    supplier, sku = item.supplier, item.sku
    warehouse = Warehouse.objects.filter(active=True).order_by("code").first()
    quantity = -(-max(item.min_order_qty, 2) // item.case_pack) * item.case_pack  # smallest valid order >= 2
    suggestion = _suggestion(item, warehouse, quantity)
    level = StockLevel.objects.filter(sku=sku, warehouse=warehouse).first()
    stock_before = level.on_hand if level else 0
    login(page, base, "inventory_planner", demo_site["password"])

    page.goto(f"{base}/inventory/suppliers/{supplier.code}/")
    before = page.locator("[data-testid=scorecard-table] tbody tr").last.inner_text()

    # The overview says the SKU runs out before anything can arrive; the worklist holds the suggestion.
    page.goto(f"{base}/inventory/")
    assert page.locator(f"[data-testid=risk-table] tr[data-sku='{sku.code}']").count() == 1
    page.click("[data-testid=ledger-links] >> text=Replenishment")
    page.wait_for_url(f"{base}/inventory/replenishment/")
    page.select_option("#f-supplier", supplier.code)
    page.click("form.row button[type=submit]")
    group = page.locator(f"[data-testid=group-purchase-{supplier.code}]")
    assert group.locator(f"tr[data-suggestion='{suggestion.pk}']").count() == 1
    assert group.get_by_test_id(f"qty-{sku.code}-{warehouse.code}").input_value() == str(quantity)
    page.screenshot(path=screenshots / "replenishment-worklist.png", full_page=True)
    page.click(f"[data-testid=approve-purchase-{supplier.code}]")

    # One supplier and warehouse: the approved purchase order opens.
    page.wait_for_url(re.compile(r"/inventory/purchase-orders/PO-\d{6}/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert page.get_by_test_id("po-status").get_attribute("data-status") == "approved"
    suggestion.refresh_from_db()
    assert suggestion.status == "ordered" and suggestion.purchase_order.number == number
    page.click("[data-testid=po-send]")
    page.wait_for_selector("[data-testid=po-status][data-status=sent]")
    received, defective = quantity - 1, 1
    page.fill(f"[data-testid=receive-qty-{sku.code}]", str(received))
    page.fill(f"[data-testid=receive-defective-{sku.code}]", str(defective))
    page.click("[data-testid=po-receive]")
    page.wait_for_selector("[data-testid=po-status][data-status=partial]")
    assert PurchaseOrder.objects.get(number=number).status == "partial"

    # The SKU's stock page: the good units are on hand in the warehouse, and the receipt is in its ledger.
    page.goto(f"{base}/inventory/skus/{sku.code}/?warehouse={warehouse.code}")
    row = page.locator(f"[data-testid=stock-table] tbody tr[data-warehouse='{warehouse.code}']")
    assert row.locator("[data-col=on_hand]").inner_text() == f"{stock_before + received - defective:,}"
    assert number in page.get_by_test_id("sku-ledger").inner_text()
    page.wait_for_selector("[data-figure=sku-forecast] .main-svg")
    page.screenshot(path=screenshots / "replenishment-sku-stock.png", full_page=True)

    # The supplier's scorecard: this quarter now counts the receipt and its defective unit.
    page.goto(f"{base}/inventory/suppliers/{supplier.code}/")
    page.wait_for_selector("[data-figure=supplier-scorecard] .main-svg")
    after_row = page.locator("[data-testid=scorecard-table] tbody tr").last
    assert after_row.inner_text() != before
    current = purchasing.supplier_scorecard(supplier).quarters[-1]
    assert current.units_defective >= 1
    assert after_row.locator("[data-col=defect_rate]").inner_text() == f"{current.defect_rate * 100:,.1f}%"
    page.screenshot(path=screenshots / "replenishment-scorecard.png", full_page=True)

    # The KPI and forecast-accuracy pages open without errors.
    page.goto(f"{base}/inventory/kpis/")
    page.wait_for_selector("[data-testid=kpi-cards]")
    page.screenshot(path=screenshots / "inventory-kpis.png", full_page=True)
    page.goto(f"{base}/inventory/forecast-accuracy/")
    assert watch.problems == []
