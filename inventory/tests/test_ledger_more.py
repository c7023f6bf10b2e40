"""Returns to stock, transfers closed short and SKUs added to a count sheet: through the pages."""

import pytest
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from inventory import ledger, services
from inventory.models import StockLevel, StockMovement, Transfer
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


def level(sku, warehouse) -> tuple[int, int]:
    row = StockLevel.objects.filter(sku=sku, warehouse=warehouse).values_list("on_hand", "reserved").first()
    return row or (0, 0)


@pytest.fixture
def site(db):
    sh = WarehouseFactory(code="sh", name="Shanghai")
    gz = WarehouseFactory(code="gz", name="Guangzhou")
    a, b = SKUFactory(code="A-1"), SKUFactory(code="B-2")
    services.stock_receive(sku_id=a.pk, warehouse=sh, quantity=10, reference="PO-1")
    return {"sh": sh, "gz": gz, "a": a, "b": b}


def test_planner_puts_a_customer_return_back_in_stock(site, client_for):
    client = client_for("inventory_planner")
    url = reverse("inventory:return-create")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"warehouse": "sh", "sku": "A-1", "quantity": "2", "reference": "RMA-7", "reason": "unopened"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('inventory:ledger')}?sku=A-1&kind=return"
    assert level(site["a"], site["sh"]) == (12, 0)
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.on_hand_delta, movement.reference, movement.reason) == (
        "return",
        2,
        "RMA-7",
        "unopened",
    )


def test_return_form_errors_write_nothing(site, client_for):
    client = client_for("inventory_planner")
    url = reverse("inventory:return-create")
    count = StockMovement.objects.count()
    for data, message in [
        ({"warehouse": "sh", "sku": "NOPE", "quantity": "1", "reference": "R"}, "No SKU has this code."),
        ({"warehouse": "sh", "sku": "A-1", "quantity": "0", "reference": "R"}, "greater than or equal to 1"),
        ({"warehouse": "sh", "sku": "A-1", "quantity": "1", "reference": ""}, "This field is required."),
    ]:
        response = client.post(url, data)
        assert response.status_code == 200 and message in response.content.decode()
    assert StockMovement.objects.count() == count


@pytest.mark.parametrize("role", ["operations", "manager"])
def test_readers_cannot_record_returns(site, client_for, role):
    assert client_for(role).get(reverse("inventory:return-create")).status_code == 403


def test_a_transfer_closed_short_leaves_transit_without_moving_stock(site, client_for):
    transfer = ledger.transfer_create(source=site["sh"], destination=site["gz"], lines=[(site["a"].pk, 6)])
    ledger.transfer_ship(transfer=transfer)
    line = transfer.lines.get()
    ledger.transfer_receive(transfer=transfer, quantities={line.pk: 4})
    client = client_for("inventory_planner")
    url = reverse("inventory:transfer-detail", args=[transfer.number])
    assert 'value="close_short"' in client.get(url).content.decode()
    moves = StockMovement.objects.count()

    response = client.post(url, {"action": "close_short", "reason": ""}, follow=True)
    assert "Say why the rest will not arrive." in response.content.decode()
    client.post(url, {"action": "close_short", "reason": "2 crushed in the truck"})

    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED and transfer.received_at is not None
    assert "Closed short: 2 units not received (2 crushed in the truck)." in transfer.note
    assert StockMovement.objects.count() == moves
    assert level(site["a"], site["sh"]) == (4, 0) and level(site["a"], site["gz"]) == (4, 0)
    response = client.post(url, {"action": "close_short", "reason": "again"}, follow=True)
    assert "Only a transfer in transit can be closed short." in response.content.decode()


def test_a_sku_found_on_the_shelf_is_added_to_the_count_sheet(site, client_for):
    stocktake = ledger.stocktake_create(warehouse=site["sh"])
    assert list(stocktake.lines.values_list("sku__code", flat=True)) == ["A-1"]
    client = client_for("inventory_planner")
    url = reverse("inventory:stocktake-detail", args=[stocktake.number])

    response = client.post(url, {"action": "add_line", "sku": "NOPE", "counted": "1"}, follow=True)
    assert "No SKU has this code." in response.content.decode()
    response = client.post(url, {"action": "add_line", "sku": "A-1", "counted": "1"}, follow=True)
    assert "already on the sheet" in response.content.decode()
    client.post(url, {"action": "add_line", "sku": "B-2", "counted": "3"})

    line = stocktake.lines.get(sku=site["b"])
    assert (line.expected, line.counted) == (0, 3)
    a_line = stocktake.lines.get(sku=site["a"])
    ledger.stocktake_count(stocktake=stocktake, counts={a_line.pk: 10})
    ledger.stocktake_submit(stocktake=stocktake)
    ledger.stocktake_approve(stocktake=stocktake)
    assert level(site["b"], site["sh"]) == (3, 0) and level(site["a"], site["sh"]) == (10, 0)
