"""The ledger pages: planners write through them, managers and operations read them (POST 403)."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from inventory import ledger, services
from inventory.models import StockLevel, StockMovement, Stocktake, Transfer
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


def level(sku, warehouse) -> tuple[int, int]:
    row = StockLevel.objects.filter(sku=sku, warehouse=warehouse).values_list("on_hand", "reserved").first()
    return row or (0, 0)


@pytest.fixture
def site(db):
    sh = WarehouseFactory(code="sh", name="Shanghai")
    gz = WarehouseFactory(code="gz", name="Guangzhou")
    category = CategoryFactory(code="kitchen")
    a = SKUFactory(code="A-1", product=ProductFactory(category=category))
    b = SKUFactory(code="B-2", product=ProductFactory(category=category))
    services.stock_receive(sku_id=a.pk, warehouse=sh, quantity=20, reference="PO-1")
    services.stock_receive(sku_id=b.pk, warehouse=sh, quantity=6, reference="PO-2")
    return {"sh": sh, "gz": gz, "a": a, "b": b}


# --- adjust -------------------------------------------------------------------------------------------------


def test_planner_adjusts_stock_with_a_reason(site, client_for):
    client = client_for("inventory_planner")
    url = reverse("inventory:adjust")
    assert client.get(url).status_code == 200
    response = client.post(url, {"warehouse": "sh", "sku": "A-1", "delta": "-3", "reason": "crushed"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('inventory:ledger')}?sku=A-1"
    assert level(site["a"], site["sh"]) == (17, 0)
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.on_hand_delta, movement.reason, movement.created_by.username) == (
        "adjustment",
        -3,
        "crushed",
        "user-inventory_planner",
    )


def test_adjust_form_errors_write_nothing(site, client_for):
    client = client_for("inventory_planner")
    url = reverse("inventory:adjust")
    count = StockMovement.objects.count()
    for data, message in [
        ({"warehouse": "sh", "sku": "NOPE", "delta": "1", "reason": "x"}, "No SKU has this code."),
        ({"warehouse": "sh", "sku": "A-1", "delta": "0", "reason": "x"}, "must change the stock"),
        ({"warehouse": "sh", "sku": "A-1", "delta": "-21", "reason": "x"}, "would become on hand -1"),
        ({"warehouse": "sh", "sku": "A-1", "delta": "2", "reason": ""}, "required"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert StockMovement.objects.count() == count
    assert level(site["a"], site["sh"]) == (20, 0)


@pytest.mark.parametrize("role", ["manager", "operations"])
def test_readers_cannot_adjust(site, client_for, role):
    client = client_for(role)
    assert client.get(reverse("inventory:adjust")).status_code == 403
    response = client.post(
        reverse("inventory:adjust"), {"warehouse": "sh", "sku": "A-1", "delta": "5", "reason": "x"}
    )
    assert response.status_code == 403
    assert level(site["a"], site["sh"]) == (20, 0)


# --- ledger list --------------------------------------------------------------------------------------------


def test_ledger_filters_and_exports(site, client_for):
    ledger.stock_adjust(sku_id=site["a"].pk, warehouse=site["sh"], delta=-2, reason="broken")
    client = client_for("manager")
    url = reverse("inventory:ledger")
    html = client.get(url, {"sku": "A-1"}).content.decode()
    assert "broken" in html and "PO-1" in html and "PO-2" not in html
    html = client.get(url, {"kind": "adjustment"}).content.decode()
    assert "broken" in html and "PO-1" not in html
    html = client.get(url, {"warehouse": "gz"}).content.decode()
    assert "No movements match." in html
    html = client.get(url, {"date_from": "2000-01-01", "date_to": "2000-01-02"}).content.decode()
    assert "No movements match." in html

    response = client.get(url, {"sku": "A-1", "export": "csv"})
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[0].split(",")[1:8] == [
        "SKU",
        "Warehouse",
        "Kind",
        "On-hand change",
        "Reserved change",
        "Reference",
        "Reason",
    ]
    assert [r.split(",")[1:8] for r in rows[1:]] == [
        ["A-1", "sh", "adjustment", "-2", "0", "", "broken"],
        ["A-1", "sh", "receipt", "20", "0", "PO-1", ""],
    ]
    response = client.get(url, {"kind": "receipt", "export": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    values = [row[1:5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(values) == [("A-1", "sh", "receipt", 20), ("B-2", "sh", "receipt", 6)]


def test_ledger_is_paginated(site, client_for):
    for _ in range(55):
        ledger.stock_adjust(sku_id=site["b"].pk, warehouse=site["sh"], delta=1, reason="found")
    html = client_for("operations").get(reverse("inventory:ledger")).content.decode()
    assert "Page 1 of 2" in html and "57 rows" in html


# --- transfers ----------------------------------------------------------------------------------------------


def test_planner_creates_ships_and_receives_a_transfer(site, client_for):
    client = client_for("inventory_planner")
    response = client.post(
        reverse("inventory:transfer-create"),
        {"source": "sh", "destination": "gz", "lines": "A-1 8\nB-2, 6\n", "note": "for 618"},
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:transfer-detail", args=[transfer.number])
    assert transfer.status == "draft" and transfer.note == "for 618"
    url = response["Location"]
    assert "Ship" in client.get(url).content.decode()

    client.post(url, {"action": "ship", "expected_on": "2025-06-10"})
    transfer.refresh_from_db()
    assert transfer.status == "in_transit" and str(transfer.expected_on) == "2025-06-10"
    assert level(site["a"], site["sh"]) == (12, 0) and level(site["b"], site["sh"]) == (0, 0)

    line_a = transfer.lines.get(sku=site["a"])
    line_b = transfer.lines.get(sku=site["b"])
    client.post(url, {"action": "receive", f"receive-{line_a.pk}": "5", f"receive-{line_b.pk}": "6"})
    transfer.refresh_from_db()
    assert transfer.status == "in_transit"
    assert level(site["a"], site["gz"]) == (5, 0) and level(site["b"], site["gz"]) == (6, 0)
    html = client.get(url).content.decode()
    assert f'name="receive-{line_a.pk}"' in html and f'name="receive-{line_b.pk}"' not in html

    client.post(url, {"action": "receive", f"receive-{line_a.pk}": "3"})
    transfer.refresh_from_db()
    assert transfer.status == "received"
    assert level(site["a"], site["gz"]) == (8, 0)


def test_transfer_refusals_are_shown_and_write_nothing(site, client_for):
    client = client_for("inventory_planner")
    response = client.post(
        reverse("inventory:transfer-create"), {"source": "sh", "destination": "sh", "lines": "A-1 1"}
    )
    assert response.status_code == 200 and "two different warehouses" in response.content.decode()
    response = client.post(
        reverse("inventory:transfer-create"), {"source": "sh", "destination": "gz", "lines": "ZZZ 1\nA-1"}
    )
    html = response.content.decode()
    assert "Line 1: no SKU has the code ZZZ." in html and "Line 2: write a SKU code and a quantity." in html
    assert Transfer.objects.count() == 0

    transfer = ledger.transfer_create(source=site["sh"], destination=site["gz"], lines=[(site["b"].pk, 7)])
    url = reverse("inventory:transfer-detail", args=[transfer.number])
    response = client.post(url, {"action": "ship"}, follow=True)
    assert "B-2: 7 wanted, 6 available" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == "draft"
    assert StockMovement.objects.filter(kind="transfer_out").count() == 0
    client.post(url, {"action": "cancel"})
    transfer.refresh_from_db()
    assert transfer.status == "cancelled"
    assert client.post(url, {"action": "explode"}).status_code == 400


@pytest.mark.parametrize("role", ["manager", "operations"])
def test_readers_see_transfers_but_cannot_act(site, client_for, role):
    transfer = ledger.transfer_create(source=site["sh"], destination=site["gz"], lines=[(site["a"].pk, 2)])
    client = client_for(role)
    assert client.get(reverse("inventory:transfer-list")).status_code == 200
    url = reverse("inventory:transfer-detail", args=[transfer.number])
    response = client.get(url)
    assert response.status_code == 200
    assert transfer.number in response.content.decode()
    assert 'value="ship"' not in response.content.decode()
    assert client.post(url, {"action": "ship"}).status_code == 403
    assert client.get(reverse("inventory:transfer-create")).status_code == 403
    assert client.post(reverse("inventory:transfer-create"), {"source": "sh"}).status_code == 403
    transfer.refresh_from_db()
    assert transfer.status == "draft"


def test_transfer_list_filters(site, client_for):
    draft = ledger.transfer_create(source=site["sh"], destination=site["gz"], lines=[(site["a"].pk, 2)])
    shipped = ledger.transfer_create(source=site["sh"], destination=site["gz"], lines=[(site["a"].pk, 1)])
    ledger.transfer_ship(transfer=shipped)
    html = client_for("manager").get(reverse("inventory:transfer-list"), {"status": "in_transit"}).content
    assert shipped.number in html.decode() and draft.number not in html.decode()


# --- stocktakes ---------------------------------------------------------------------------------------------


def test_planner_counts_reviews_and_approves_a_stocktake(site, client_for):
    client = client_for("inventory_planner")
    assert client.get(reverse("inventory:stocktake-create")).status_code == 200
    response = client.post(reverse("inventory:stocktake-create"), {"warehouse": "sh", "zone": "kitchen"})
    stocktake = Stocktake.objects.get()
    url = reverse("inventory:stocktake-detail", args=[stocktake.number])
    assert response["Location"] == url
    lines = {line.sku.code: line.pk for line in stocktake.lines.select_related("sku")}
    html = client.get(url).content.decode()
    assert f'name="count-{lines["A-1"]}"' in html

    client.post(url, {"action": "count", f"count-{lines['A-1']}": "19", f"count-{lines['B-2']}": ""})
    response = client.post(url, {"action": "submit"}, follow=True)
    assert "1 lines are not counted yet" in response.content.decode()
    client.post(url, {"action": "submit", f"count-{lines['B-2']}": "7"})
    stocktake.refresh_from_db()
    assert stocktake.status == "review"
    html = client.get(url).content.decode()
    assert "-1" in html and "+1" in html and 'value="approve"' in html

    client.post(url, {"action": "approve"})
    stocktake.refresh_from_db()
    assert stocktake.status == "approved" and stocktake.approved_by.username == "user-inventory_planner"
    assert level(site["a"], site["sh"]) == (19, 0) and level(site["b"], site["sh"]) == (7, 0)
    assert sorted(
        StockMovement.objects.filter(reason=f"stocktake {stocktake.number}").values_list(
            "sku__code", "on_hand_delta"
        )
    ) == [("A-1", -1), ("B-2", 1)]


def test_stocktake_bad_count_is_refused(site, client_for):
    stocktake = ledger.stocktake_create(warehouse=site["sh"])
    line = stocktake.lines.get(sku=site["a"])
    client = client_for("inventory_planner")
    url = reverse("inventory:stocktake-detail", args=[stocktake.number])
    response = client.post(url, {"action": "count", f"count-{line.pk}": "abc"}, follow=True)
    assert "Quantities must be whole numbers." in response.content.decode()
    response = client.post(url, {"action": "count", f"count-{line.pk}": "-4"}, follow=True)
    assert "at least 0" in response.content.decode()
    line.refresh_from_db()
    assert line.counted is None
    response = client.post(reverse("inventory:stocktake-create"), {"warehouse": "sh"})
    assert response.status_code == 200 and stocktake.number in response.content.decode()
    assert Stocktake.objects.count() == 1


@pytest.mark.parametrize("role", ["manager", "operations"])
def test_readers_see_stocktakes_but_cannot_act(site, client_for, role):
    stocktake = ledger.stocktake_create(warehouse=site["sh"])
    line = stocktake.lines.get(sku=site["a"])
    client = client_for(role)
    assert client.get(reverse("inventory:stocktake-list")).status_code == 200
    url = reverse("inventory:stocktake-detail", args=[stocktake.number])
    html = client.get(url).content.decode()
    assert "A-1" in html and f'name="count-{line.pk}"' not in html
    assert client.post(url, {"action": "count", f"count-{line.pk}": "1"}).status_code == 403
    assert client.get(reverse("inventory:stocktake-create")).status_code == 403
    assert client.post(reverse("inventory:stocktake-create"), {"warehouse": "sh"}).status_code == 403
    line.refresh_from_db()
    assert line.counted is None
