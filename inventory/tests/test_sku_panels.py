"""sku_stock_by_warehouse: the stock panel of catalog's SKU page (settings.SHOPOPS_SKU_STOCK_SELECTOR)."""

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from catalog.tests.factories import SKUFactory
from inventory import selectors, services
from inventory.models import StockMovement
from inventory.services import MovementSpec
from inventory.tests.factories import WarehouseFactory


@pytest.mark.django_db
def test_stock_by_warehouse():
    sku, other = SKUFactory(), SKUFactory()
    sh = WarehouseFactory(code="sh", name="Shanghai")
    bj = WarehouseFactory(code="bj", name="Beijing")
    closed = WarehouseFactory(code="cd", name="Chengdu", active=False)
    WarehouseFactory(code="gz", name="Guangzhou")  # holds nothing for the SKU: not listed
    services.stock_receive(sku_id=sku.pk, warehouse=sh, quantity=10, reference="PO-1")
    services.stock_receive(sku_id=sku.pk, warehouse=bj, quantity=3, reference="PO-2")
    services.stock_receive(sku_id=sku.pk, warehouse=closed, quantity=50, reference="PO-3")
    services.stock_receive(sku_id=other.pk, warehouse=sh, quantity=99, reference="PO-4")
    services.stock_movements_apply(
        movements=[
            MovementSpec(sku.pk, sh.pk, StockMovement.Kind.RESERVATION, reserved_delta=4),
            MovementSpec(sku.pk, bj.pk, StockMovement.Kind.RESERVATION, reserved_delta=3),
        ]
    )
    assert selectors.sku_stock_by_warehouse(sku.pk) == [
        {"warehouse": "bj", "warehouse_name": "Beijing", "on_hand": 3, "reserved": 3, "available": 0},
        {"warehouse": "sh", "warehouse_name": "Shanghai", "on_hand": 10, "reserved": 4, "available": 6},
    ]
    assert selectors.sku_stock_by_warehouse(SKUFactory().pk) == []


def test_the_setting_names_it():
    assert import_string(settings.SHOPOPS_SKU_STOCK_SELECTOR) is selectors.sku_stock_by_warehouse
