"""Customer returns scrapped as defective: traced to the supplier and counted in its defect rate."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.tests.factories import SKUFactory
from inventory.ledger import return_supplier, stock_scrap_return
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReturnDefect,
    StockLevel,
    Supplier,
    SupplierSKU,
)
from inventory.purchasing import supplier_scorecard
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


def _received(supplier, sku, warehouse, *, on, quantity, defective=0, number="PO-1"):
    po = PurchaseOrder.objects.create(
        number=number, supplier=supplier, warehouse=warehouse, status=PurchaseOrder.Status.RECEIVED
    )
    line = PurchaseOrderLine.objects.create(
        order=po,
        sku=sku,
        quantity=quantity,
        unit_cost=Decimal("10.00"),
        received=quantity,
        defective=defective,
    )
    Receipt.objects.create(line=line, quantity=quantity, defective=defective, received_on=on)


def test_the_supplier_of_the_last_receipt_before_the_return_is_charged():
    sku, wh = SKUFactory(), WarehouseFactory()
    early = Supplier.objects.create(code="s-early", name="Early")
    late = Supplier.objects.create(code="s-late", name="Late")
    _received(early, sku, wh, on=date(2026, 7, 1), quantity=50, number="PO-A")
    _received(late, sku, wh, on=date(2026, 10, 1), quantity=50, number="PO-B")
    assert return_supplier(sku.pk, date(2026, 9, 30)) == early
    assert return_supplier(sku.pk, date(2026, 10, 1)) == late


def test_without_receipts_the_cheapest_listed_supplier_is_charged():
    sku = SKUFactory()
    dear = Supplier.objects.create(code="s-dear", name="Dear")
    cheap = Supplier.objects.create(code="s-cheap", name="Cheap")
    SupplierSKU.objects.create(supplier=dear, sku=sku, unit_cost=Decimal("12.00"))
    SupplierSKU.objects.create(supplier=cheap, sku=sku, unit_cost=Decimal("9.00"))
    assert return_supplier(sku.pk, date(2026, 10, 1)) == cheap
    assert return_supplier(SKUFactory().pk, date(2026, 10, 1)) is None


def test_scrapped_returns_raise_the_defect_rate_and_leave_stock_alone():
    sku, wh = SKUFactory(), WarehouseFactory()
    supplier = Supplier.objects.create(code="s-1", name="One")
    _received(supplier, sku, wh, on=date(2026, 10, 5), quantity=100, defective=2)
    before = supplier_scorecard(supplier, today=date(2026, 11, 22)).quarters[-1]
    assert (before.units_received, before.units_defective, before.defect_rate) == (100, 2, Decimal("0.0200"))

    defect = stock_scrap_return(
        sku_id=sku.pk, warehouse=wh, quantity=3, reference="R-000001", on=date(2026, 11, 20)
    )
    assert (defect.supplier, defect.quantity) == (supplier, 3)
    after = supplier_scorecard(supplier, today=date(2026, 11, 22)).quarters[-1]
    assert (after.units_received, after.units_defective, after.defect_rate) == (100, 5, Decimal("0.0500"))
    assert not StockLevel.objects.filter(sku=sku).exists()


def test_scrap_needs_units_and_a_reference():
    sku, wh = SKUFactory(), WarehouseFactory()
    with pytest.raises(ValidationError) as err:
        stock_scrap_return(sku_id=sku.pk, warehouse=wh, quantity=0, reference="R-1")
    assert "quantity" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        stock_scrap_return(sku_id=sku.pk, warehouse=wh, quantity=1, reference=" ")
    assert "reference" in err.value.message_dict
    assert ReturnDefect.objects.count() == 0
