import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.tests.factories import SKUFactory
from inventory import selectors, services
from inventory.models import StockLevel, StockMovement
from inventory.services import MovementSpec
from inventory.tests.factories import WarehouseFactory


@pytest.fixture
def sku(db):
    return SKUFactory()


@pytest.fixture
def warehouse(db):
    return WarehouseFactory(code="sh")


def test_receipt_and_adjustment_write_the_ledger(sku, warehouse):
    services.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=10, reference="PO-1")
    services.stock_adjust(sku_id=sku.pk, warehouse=warehouse, delta=-3, reason="damaged in stocktake")
    level = StockLevel.objects.get(sku=sku, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (7, 0)
    kinds = list(StockMovement.objects.order_by("id").values_list("kind", "on_hand_delta"))
    assert kinds == [("receipt", 10), ("adjustment", -3)]
    assert selectors.ledger_mismatches() == []


def test_a_movement_that_would_oversell_writes_nothing(sku, warehouse):
    services.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=2, reference="PO-1")
    with pytest.raises(ValidationError):
        services.stock_movements_apply(
            movements=[
                MovementSpec(sku.pk, warehouse.pk, StockMovement.Kind.RESERVATION, reserved_delta=1),
                MovementSpec(sku.pk, warehouse.pk, StockMovement.Kind.RESERVATION, reserved_delta=2),
            ]
        )
    level = StockLevel.objects.get(sku=sku, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (2, 0)
    assert StockMovement.objects.count() == 1


def test_adjustment_needs_a_reason_and_a_change(sku, warehouse):
    with pytest.raises(ValidationError, match="reason"):
        services.stock_adjust(sku_id=sku.pk, warehouse=warehouse, delta=1, reason=" ")
    with pytest.raises(ValidationError, match="change"):
        services.stock_adjust(sku_id=sku.pk, warehouse=warehouse, delta=0, reason="x")


def test_database_checks_keep_reserved_within_on_hand(sku, warehouse):
    level = StockLevel.objects.create(sku=sku, warehouse=warehouse, on_hand=1, reserved=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(reserved=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(on_hand=-1, reserved=0)


def test_ledger_is_append_only(sku, warehouse):
    movement = services.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=1, reference="x")
    with pytest.raises(ValidationError):
        movement.save()
    with pytest.raises(ValidationError):
        movement.delete()
    with pytest.raises(ValidationError):
        StockMovement.objects.all().update(on_hand_delta=5)
    with pytest.raises(ValidationError):
        StockMovement.objects.all().delete()


def test_ledger_mismatch_is_reported(sku, warehouse):
    services.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=4, reference="x")
    StockLevel.objects.filter(sku=sku).update(on_hand=5)
    assert selectors.ledger_mismatches() == [
        {
            "sku_id": sku.pk,
            "warehouse_id": warehouse.pk,
            "on_hand": 5,
            "reserved": 0,
            "ledger_on_hand": 4,
            "ledger_reserved": 0,
        }
    ]
