"""Ledger operations: every operation, its movements, the exact levels, refusals that write nothing, and the
rebuild check (manage.py stock_check)."""

from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from inventory import ledger, selectors, services
from inventory.models import StockLevel, StockMovement, Stocktake, Transfer, TransferLine
from inventory.services import MovementSpec
from inventory.tests.factories import WarehouseFactory


def level(sku, warehouse) -> tuple[int, int]:
    row = StockLevel.objects.filter(sku=sku, warehouse=warehouse).values_list("on_hand", "reserved").first()
    return row or (0, 0)


def moves(reference=None) -> list[tuple]:
    qs = StockMovement.objects.order_by("id")
    if reference is not None:
        qs = qs.filter(reference=reference)
    return list(qs.values_list("kind", "sku__code", "warehouse__code", "on_hand_delta", "reserved_delta"))


@pytest.fixture
def sh(db):
    return WarehouseFactory(code="sh", name="Shanghai")


@pytest.fixture
def gz(db):
    return WarehouseFactory(code="gz", name="Guangzhou")


@pytest.fixture
def user(make_user):
    return make_user("inventory_planner", "planner")


@pytest.fixture
def skus(db):
    kitchen = CategoryFactory(code="kitchen-knives")
    bath = CategoryFactory(code="bath")
    return (
        SKUFactory(code="A-1", product=ProductFactory(category=kitchen), unit_cost="10.00"),
        SKUFactory(code="B-2", product=ProductFactory(category=kitchen), unit_cost="25.50"),
        SKUFactory(code="C-3", product=ProductFactory(category=bath)),
    )


def receive(sku, warehouse, qty):
    services.stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=qty, reference="PO-TEST")


def reserve(sku, warehouse, qty):
    services.stock_movements_apply(
        movements=[MovementSpec(sku.pk, warehouse.pk, StockMovement.Kind.RESERVATION, reserved_delta=qty)]
    )


# --- adjustments and returns --------------------------------------------------------------------------------


def test_adjustment_with_a_reason(skus, sh, user):
    a = skus[0]
    receive(a, sh, 10)
    movement = ledger.stock_adjust(sku_id=a.pk, warehouse=sh, delta=-4, reason="water damage", user=user)
    assert (movement.kind, movement.on_hand_delta, movement.reason, movement.created_by) == (
        "adjustment",
        -4,
        "water damage",
        user,
    )
    assert level(a, sh) == (6, 0)
    with pytest.raises(ValidationError):  # would go below zero: nothing written
        ledger.stock_adjust(sku_id=a.pk, warehouse=sh, delta=-7, reason="lost")
    assert level(a, sh) == (6, 0) and StockMovement.objects.count() == 2


def test_adjustment_cannot_take_reserved_units(skus, sh):
    a = skus[0]
    receive(a, sh, 5)
    reserve(a, sh, 3)
    with pytest.raises(ValidationError):
        ledger.stock_adjust(sku_id=a.pk, warehouse=sh, delta=-3, reason="broken")
    assert level(a, sh) == (5, 3) and StockMovement.objects.count() == 2


def test_return_to_stock_needs_a_reference(skus, sh, user):
    a = skus[0]
    movement = ledger.stock_return(
        sku_id=a.pk, warehouse=sh, quantity=2, reference="tmall:T1", reason="wrong size", user=user
    )
    assert (movement.kind, movement.on_hand_delta, movement.reference, movement.reason) == (
        "return",
        2,
        "tmall:T1",
        "wrong size",
    )
    assert level(a, sh) == (2, 0)
    with pytest.raises(ValidationError, match="reference"):
        ledger.stock_return(sku_id=a.pk, warehouse=sh, quantity=1, reference=" ")
    with pytest.raises(ValidationError, match="at least one"):
        ledger.stock_return(sku_id=a.pk, warehouse=sh, quantity=0, reference="R")
    assert StockMovement.objects.count() == 1


# --- transfers ----------------------------------------------------------------------------------------------


@pytest.fixture
def stocked(skus, sh):
    a, b, _ = skus
    receive(a, sh, 20)
    receive(b, sh, 8)
    return skus


def test_transfer_lifecycle_with_a_partial_receipt(stocked, sh, gz, user):
    a, b, _ = stocked
    transfer = ledger.transfer_create(
        source=sh, destination=gz, lines=[(a.pk, 12), (b.pk, 5)], note="rebalance", user=user
    )
    assert transfer.number == f"TR-{transfer.pk:06d}"
    assert transfer.status == "draft" and StockMovement.objects.count() == 2  # the two receipts only

    transfer = ledger.transfer_ship(transfer=transfer, expected_on=date(2025, 6, 20), user=user)
    assert transfer.status == "in_transit" and transfer.shipped_at is not None
    assert transfer.expected_on == date(2025, 6, 20)
    assert moves(transfer.number) == [
        ("transfer_out", "A-1", "sh", -12, 0),
        ("transfer_out", "B-2", "sh", -5, 0),
    ]
    assert level(a, sh) == (8, 0) and level(b, sh) == (3, 0)
    assert level(a, gz) == (0, 0)

    line_a = transfer.lines.get(sku=a)
    line_b = transfer.lines.get(sku=b)
    transfer = ledger.transfer_receive(transfer=transfer, quantities={line_a.pk: 7, line_b.pk: 5}, user=user)
    assert transfer.status == "in_transit" and transfer.received_at is None
    assert level(a, gz) == (7, 0) and level(b, gz) == (5, 0)
    assert dict(TransferLine.objects.filter(transfer=transfer).values_list("sku__code", "received")) == {
        "A-1": 7,
        "B-2": 5,
    }

    with pytest.raises(ValidationError, match="outstanding"):  # only 5 of A-1 still on the way
        ledger.transfer_receive(transfer=transfer, quantities={line_a.pk: 6})
    transfer = ledger.transfer_receive(transfer=transfer, quantities={line_a.pk: 5}, user=user)
    assert transfer.status == "received" and transfer.received_at is not None
    assert moves(transfer.number)[2:] == [
        ("transfer_in", "A-1", "gz", 7, 0),
        ("transfer_in", "B-2", "gz", 5, 0),
        ("transfer_in", "A-1", "gz", 5, 0),
    ]
    assert level(a, gz) == (12, 0) and level(a, sh) == (8, 0)
    assert selectors.ledger_mismatches() == []
    with pytest.raises(ValidationError):
        ledger.transfer_receive(transfer=transfer, quantities={line_a.pk: 0})
    with pytest.raises(ValidationError, match="draft"):
        ledger.transfer_cancel(transfer=transfer)


def test_transfer_ship_is_refused_beyond_the_available_stock(stocked, sh, gz):
    a, b, _ = stocked
    reserve(b, sh, 4)  # 8 on hand, 4 promised to orders: 4 available
    transfer = ledger.transfer_create(source=sh, destination=gz, lines=[(a.pk, 10), (b.pk, 5)])
    before = StockMovement.objects.count()
    with pytest.raises(ValidationError, match="B-2: 5 wanted, 4 available"):
        ledger.transfer_ship(transfer=transfer)
    transfer.refresh_from_db()
    assert transfer.status == "draft" and transfer.shipped_at is None
    assert StockMovement.objects.count() == before
    assert level(a, sh) == (20, 0) and level(b, sh) == (8, 4)


def test_transfer_receive_refusals_write_nothing(stocked, sh, gz):
    a, b, _ = stocked
    transfer = ledger.transfer_create(source=sh, destination=gz, lines=[(a.pk, 3), (b.pk, 2)])
    line_a, line_b = transfer.lines.order_by("sku__code")
    with pytest.raises(ValidationError, match="in transit"):
        ledger.transfer_receive(transfer=transfer, quantities={line_a.pk: 1})
    ledger.transfer_ship(transfer=transfer)
    count = StockMovement.objects.count()
    # one good line and one over-receipt in the same call: neither is written
    with pytest.raises(ValidationError):
        ledger.transfer_receive(transfer=transfer, quantities={line_a.pk: 3, line_b.pk: 3})
    with pytest.raises(ValidationError, match="at least one line"):
        ledger.transfer_receive(transfer=transfer, quantities={line_a.pk: 0})
    with pytest.raises(ValidationError, match="not on the transfer"):
        ledger.transfer_receive(transfer=transfer, quantities={999999: 1})
    assert StockMovement.objects.count() == count
    assert list(transfer.lines.values_list("received", flat=True)) == [0, 0]
    assert level(a, gz) == (0, 0)


def test_transfer_create_validation_and_cancel(stocked, sh, gz):
    a, b, _ = stocked
    with pytest.raises(ValidationError, match="two different"):
        ledger.transfer_create(source=sh, destination=sh, lines=[(a.pk, 1)])
    with pytest.raises(ValidationError, match="at least one line"):
        ledger.transfer_create(source=sh, destination=gz, lines=[])
    with pytest.raises(ValidationError, match="only once"):
        ledger.transfer_create(source=sh, destination=gz, lines=[(a.pk, 1), (a.pk, 2)])
    with pytest.raises(ValidationError, match="at least 1"):
        ledger.transfer_create(source=sh, destination=gz, lines=[(a.pk, 0)])
    assert Transfer.objects.count() == 0
    transfer = ledger.transfer_create(source=sh, destination=gz, lines=[(a.pk, 1)])
    assert ledger.transfer_cancel(transfer=transfer).status == "cancelled"
    with pytest.raises(ValidationError, match="draft"):
        ledger.transfer_ship(transfer=transfer)
    assert StockMovement.objects.filter(kind__startswith="transfer").count() == 0


def test_shipped_transfer_cannot_be_cancelled(stocked, sh, gz):
    a, _, _ = stocked
    transfer = ledger.transfer_create(source=sh, destination=gz, lines=[(a.pk, 1)])
    ledger.transfer_ship(transfer=transfer)
    with pytest.raises(ValidationError, match="draft"):
        ledger.transfer_cancel(transfer=transfer)
    with pytest.raises(ValidationError, match="draft"):
        ledger.transfer_ship(transfer=transfer)  # never twice
    assert StockMovement.objects.filter(kind="transfer_out").count() == 1


def test_numbers_follow_the_primary_key(stocked, sh, gz):
    a, _, _ = stocked
    first = ledger.transfer_create(source=sh, destination=gz, lines=[(a.pk, 1)])
    second = ledger.transfer_create(source=sh, destination=gz, lines=[(a.pk, 1)])
    assert second.number == f"TR-{second.pk:06d}" and second.pk > first.pk
    stocktake = ledger.stocktake_create(warehouse=sh)
    assert stocktake.number == f"ST-{stocktake.pk:06d}"


# --- stocktakes ---------------------------------------------------------------------------------------------


def test_stocktake_sheet_lists_the_zone_with_the_on_hand(stocked, sh, gz, skus):
    a, b, c = skus
    receive(c, sh, 4)
    receive(c, gz, 9)
    whole = ledger.stocktake_create(warehouse=sh)
    assert list(whole.lines.order_by("sku__code").values_list("sku__code", "expected", "counted")) == [
        ("A-1", 20, None),
        ("B-2", 8, None),
        ("C-3", 4, None),
    ]
    # the whole warehouse is open: a zone of it would overlap
    with pytest.raises(ValidationError, match=whole.number):
        ledger.stocktake_create(warehouse=sh, zone="kitchen")
    ledger.stocktake_cancel(stocktake=whole)
    zoned = ledger.stocktake_create(warehouse=sh, zone="kitchen")
    assert zoned.zone == "kitchen"
    assert list(zoned.lines.order_by("sku__code").values_list("sku__code", "expected")) == [
        ("A-1", 20),
        ("B-2", 8),
    ]
    ledger.stocktake_create(warehouse=sh, zone="bath")  # does not overlap
    ledger.stocktake_create(warehouse=gz, zone="bath")  # another warehouse
    with pytest.raises(ValidationError, match="nothing to count"):
        ledger.stocktake_create(warehouse=gz, zone="garden")
    assert Stocktake.objects.count() == 4


def test_stocktake_variance_approved_as_adjustments(stocked, sh, user, skus):
    a, b, c = skus
    receive(c, sh, 4)
    stocktake = ledger.stocktake_create(warehouse=sh)
    lines = {line.sku.code: line.pk for line in stocktake.lines.select_related("sku")}
    ledger.stocktake_count(stocktake=stocktake, counts={lines["A-1"]: 18, lines["B-2"]: 8}, user=user)
    with pytest.raises(ValidationError, match="1 lines are not counted"):
        ledger.stocktake_submit(stocktake=stocktake)
    ledger.stocktake_count(stocktake=stocktake, counts={lines["C-3"]: 6})
    with pytest.raises(ValidationError, match="variance review"):
        ledger.stocktake_approve(stocktake=stocktake)
    stocktake = ledger.stocktake_submit(stocktake=stocktake)
    assert stocktake.status == "review"
    summary = ledger.stocktake_variance_summary(stocktake=stocktake)
    assert summary == {"lines": 2, "over": 2, "short": 2, "value": summary["value"]}
    assert str(summary["value"]) == "60.00"  # -2 x 10.00 + 2 x 40.00
    with pytest.raises(ValidationError, match="counting"):
        ledger.stocktake_count(stocktake=stocktake, counts={lines["A-1"]: 1})

    # stock keeps moving after the count: a shipment of 3 A-1 before approval stays accounted for
    services.stock_movements_apply(
        movements=[MovementSpec(a.pk, sh.pk, StockMovement.Kind.SHIPMENT, on_hand_delta=-3, reference="o1")]
    )
    written = ledger.stocktake_approve(stocktake=stocktake, user=user)
    assert len(written) == 2
    assert moves(stocktake.number) == [
        ("adjustment", "A-1", "sh", -2, 0),
        ("adjustment", "C-3", "sh", 2, 0),
    ]
    assert set(StockMovement.objects.filter(reference=stocktake.number).values_list("reason", flat=True)) == {
        f"stocktake {stocktake.number}"
    }
    assert level(a, sh) == (15, 0)  # 20 - 3 shipped - 2 missing at the count
    assert level(b, sh) == (8, 0)
    assert level(c, sh) == (6, 0)
    stocktake.refresh_from_db()
    assert (stocktake.status, stocktake.approved_by) == ("approved", user)
    assert stocktake.approved_at is not None
    with pytest.raises(ValidationError):
        ledger.stocktake_approve(stocktake=stocktake)  # never twice
    assert StockMovement.objects.filter(reference=stocktake.number).count() == 2
    assert selectors.ledger_mismatches() == []


def test_count_rebases_expected_to_the_on_hand_when_counted(stocked, sh, skus):
    a = skus[0]
    stocktake = ledger.stocktake_create(warehouse=sh, zone="kitchen")
    line = stocktake.lines.get(sku=a)
    assert line.expected == 20
    receive(a, sh, 5)  # arrives after the sheet was printed, before the count
    ledger.stocktake_count(stocktake=stocktake, counts={line.pk: 24})
    line.refresh_from_db()
    assert (line.expected, line.counted, line.variance) == (25, 24, -1)
    receive(a, sh, 1)
    ledger.stocktake_count(stocktake=stocktake, counts={line.pk: 24})  # unchanged count: no re-base
    line.refresh_from_db()
    assert line.expected == 25
    ledger.stocktake_count(stocktake=stocktake, counts={line.pk: None})  # cleared
    line.refresh_from_db()
    assert (line.expected, line.counted) == (25, None)


def test_stocktake_refusals_write_nothing(stocked, sh, skus):
    a, b, _ = skus
    stocktake = ledger.stocktake_create(warehouse=sh)
    lines = {line.sku.code: line for line in stocktake.lines.select_related("sku")}
    with pytest.raises(ValidationError, match="at least 0"):
        ledger.stocktake_count(stocktake=stocktake, counts={lines["A-1"].pk: 3, lines["B-2"].pk: -1})
    assert list(stocktake.lines.values_list("counted", flat=True)) == [None, None]
    with pytest.raises(ValidationError, match="not on the sheet"):
        ledger.stocktake_count(stocktake=stocktake, counts={999999: 1})
    ledger.stocktake_count(stocktake=stocktake, counts={lines["A-1"].pk: 2, lines["B-2"].pk: 8})
    ledger.stocktake_submit(stocktake=stocktake)
    # after the count, 19 of A-1 are promised to orders: taking 18 off would leave reserved above on hand
    reserve(a, sh, 19)
    before = StockMovement.objects.count()
    with pytest.raises(ValidationError):
        ledger.stocktake_approve(stocktake=stocktake)
    stocktake.refresh_from_db()
    assert stocktake.status == "review" and stocktake.approved_at is None
    assert StockMovement.objects.count() == before and level(a, sh) == (20, 19)


# --- the rebuild check --------------------------------------------------------------------------------------


def test_stock_check_passes_when_levels_agree(stocked):
    out = StringIO()
    call_command("stock_check", stdout=out)
    assert "agree" in out.getvalue()


def test_stock_check_finds_a_tampered_level_and_fix_repairs_it(stocked, sh, gz, skus):
    a, b, c = skus
    reserve(b, sh, 2)
    StockLevel.objects.filter(sku=a, warehouse=sh).update(on_hand=25)  # edited behind the ledger's back
    StockLevel.objects.filter(sku=b, warehouse=sh).delete()  # a level lost
    StockLevel.objects.create(sku=c, warehouse=gz, on_hand=3)  # stock with no ledger row

    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("stock_check", stdout=out)
    assert raised.value.returncode == 1
    assert "3 stock level(s) disagree" in str(raised.value)
    assert out.getvalue().splitlines()[1:] == sorted(
        [
            "A-1\tsh\t25 / 20\t0 / 0",
            "B-2\tsh\t- / 8\t- / 2",
            "C-3\tgz\t3 / 0\t0 / 0",
        ],
        key=lambda row: {"A-1": a.pk, "B-2": b.pk, "C-3": c.pk}[row.split("\t")[0]],
    )

    out, err = StringIO(), StringIO()
    call_command("stock_check", "--fix", stdout=out, stderr=err)
    assert "WARNING: rewrote 3 stock level(s)" in err.getvalue()
    assert level(a, sh) == (20, 0) and level(b, sh) == (8, 2)
    assert StockLevel.objects.get(sku=c, warehouse=gz).on_hand == 0
    assert selectors.ledger_mismatches() == []
    call_command("stock_check", stdout=StringIO())  # passes now
