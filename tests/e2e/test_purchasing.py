"""The inventory planner's purchase order: create it for a supplier's SKU, approve, send, receive part of it
with a defective unit, then see the good units on the SKU's stock and the supplier's scorecard change.
Screenshots go to var/screenshots/."""

import re

import pytest

from inventory import purchasing
from inventory.models import PurchaseOrder, StockLevel, SupplierSKU, Warehouse
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_planner_orders_receives_part_and_sees_stock_and_scorecard(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    item = (
        SupplierSKU.objects.select_related("supplier", "sku").order_by("supplier__code", "sku__code").first()
    )
    supplier, sku = item.supplier, item.sku
    warehouse = Warehouse.objects.filter(active=True).order_by("code").first()
    quantity = -(-item.min_order_qty // item.case_pack) * item.case_pack  # the smallest valid order
    level = StockLevel.objects.filter(sku=sku, warehouse=warehouse).first()
    stock_before = level.on_hand if level else 0
    login(page, base, "inventory_planner", demo_site["password"])

    page.goto(f"{base}/inventory/suppliers/{supplier.code}/")
    before = page.locator("[data-testid=scorecard-table] tbody tr").last.inner_text()
    page.click("text=New purchase order")
    page.select_option("#id_warehouse", warehouse.code)
    page.fill("#id_lines-0-sku_code", sku.code)
    page.fill("#id_lines-0-quantity", str(quantity))
    page.click("[data-testid=po-create-button]")
    page.wait_for_url(re.compile(r"/inventory/purchase-orders/PO-\d{6}/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert page.get_by_test_id("po-status").get_attribute("data-status") == "draft"
    page.click("[data-testid=po-approve]")
    page.wait_for_selector("[data-testid=po-status][data-status=approved]")
    page.click("[data-testid=po-send]")
    page.wait_for_selector("[data-testid=po-status][data-status=sent]")

    received, defective = quantity - 1 if quantity > 1 else 1, 1
    page.fill(f"[data-testid=receive-qty-{sku.code}]", str(received))
    page.fill(f"[data-testid=receive-defective-{sku.code}]", str(defective))
    page.screenshot(path=screenshots / "purchasing-receive.png", full_page=True)
    page.click("[data-testid=po-receive]")
    expected_status = "partial" if received < quantity else "received"
    page.wait_for_selector(f"[data-testid=po-status][data-status={expected_status}]")
    row = page.locator(f"[data-testid=po-lines] tr[data-sku='{sku.code}']")
    assert row.locator("[data-col=received]").inner_text() == f"{received:,}"
    assert row.locator("[data-col=defective]").inner_text() == "1"
    po = PurchaseOrder.objects.get(number=number)
    assert po.status == expected_status

    # The SKU's stock: the good units are on hand in the warehouse.
    page.click(f"[data-testid=po-lines] tr[data-sku='{sku.code}'] a")
    page.wait_for_url(re.compile(rf"/catalog/skus/{re.escape(sku.code)}/$"))
    stock_row = page.locator("[data-testid=stock-table] tbody tr", has_text=warehouse.name)
    assert f"{stock_before + received - defective:,}" in stock_row.inner_text()
    page.screenshot(path=screenshots / "purchasing-sku-stock.png", full_page=True)

    # The supplier's scorecard: this quarter now counts the receipt.
    page.goto(f"{base}/inventory/suppliers/{supplier.code}/")
    page.wait_for_selector("[data-figure=supplier-scorecard] .main-svg")
    after_row = page.locator("[data-testid=scorecard-table] tbody tr").last
    assert after_row.inner_text() != before
    current = purchasing.supplier_scorecard(supplier).quarters[-1]
    assert current.units_defective >= 1
    assert after_row.locator("[data-col=defect_rate]").inner_text() == f"{current.defect_rate * 100:,.1f}%"
    page.screenshot(path=screenshots / "purchasing-scorecard.png", full_page=True)
    assert watch.problems == []
