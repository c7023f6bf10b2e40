"""The supplier and purchase-order pages: a planner does the whole flow through them; manager and
operations read but may not write (403 on every POST and on the write-only pages)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from inventory import purchasing
from inventory.models import PurchaseOrder, Receipt, StockLevel, StockMovement, Supplier, SupplierSKU
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db
Status = PurchaseOrder.Status


@pytest.fixture
def data():
    supplier = Supplier.objects.create(
        code="sup-a", name="Supplier A", lead_time_days=7, payment_terms_days=30
    )
    warehouse = WarehouseFactory(code="east")
    sku = SKUFactory(code="A-1")
    SupplierSKU.objects.create(
        supplier=supplier, sku=sku, unit_cost=Decimal("12.35"), min_order_qty=10, case_pack=5
    )
    return {"supplier": supplier, "warehouse": warehouse, "sku": sku}


def lines_post(*rows, prefix="lines", extra=5):
    post = {
        f"{prefix}-TOTAL_FORMS": str(extra),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, (code, qty, cost) in enumerate(rows):
        post[f"{prefix}-{i}-sku_code"] = code
        post[f"{prefix}-{i}-quantity"] = str(qty)
        post[f"{prefix}-{i}-unit_cost"] = cost
    return post


def test_planner_does_the_flow_through_the_pages(client_for, data):
    client = client_for("inventory_planner")
    assert client.get(reverse("inventory:po-create")).status_code == 200
    response = client.post(
        reverse("inventory:po-create"),
        {"supplier": "sup-a", "warehouse": "east", "note": "pages", **lines_post(("A-1", 7, ""))},
    )
    po = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "inventory:po-detail", args=[po.number]
    )
    assert po.amount == Decimal("86.45") and po.status == Status.DRAFT
    detail = reverse("inventory:po-detail", args=[po.number])

    # Approval refuses the line under the MOQ and not in whole cases; the page says why.
    response = client.post(detail, {"action": "approve"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A-1: 7 is below the minimum order quantity of 10." in html
    assert "A-1: 7 is not a multiple of the case pack of 5." in html
    response = client.post(detail, {"action": "lines", **lines_post(("A-1", 15, ""))})
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.amount == Decimal("185.25")
    assert client.post(detail, {"action": "approve"}).status_code == 302
    assert client.post(detail, {"action": "send"}).status_code == 302
    po.refresh_from_db()
    line = po.lines.get()
    assert po.status == Status.SENT and po.expected_on == po.ordered_on + timezone.timedelta(days=7)

    # Receive 6, one defective: 5 into stock. Then an over-receipt is refused with nothing written.
    today = timezone.localdate().isoformat()
    rcv = {
        "action": "receive",
        "rcv-received_on": today,
        f"rcv-qty_{line.pk}": "6",
        f"rcv-def_{line.pk}": "1",
    }
    assert client.post(detail, rcv).status_code == 302
    po.refresh_from_db()
    assert po.status == Status.PARTIAL
    assert StockLevel.objects.get(sku=data["sku"], warehouse=data["warehouse"]).on_hand == 5
    movements = StockMovement.objects.count()
    response = client.post(detail, {**rcv, f"rcv-qty_{line.pk}": "10", f"rcv-def_{line.pk}": "0"})
    assert response.status_code == 400
    assert "A-1: receiving 10 would exceed the 9 still open of 15 ordered." in response.content.decode()
    assert StockMovement.objects.count() == movements and Receipt.objects.count() == 1

    page = client.get(detail).content.decode()
    assert (
        'data-col="received">6<' in page
        and 'data-col="defective">1<' in page
        and 'data-col="open">9<' in page
    )
    assert client.post(detail, {"action": "close"}).status_code == 302
    po.refresh_from_db()
    assert po.status == Status.CLOSED

    # The supplier page shows the scorecard of this quarter: 6 arrived, 1 defective.
    page = client.get(reverse("inventory:supplier-detail", args=["sup-a"])).content.decode()
    assert 'data-col="defect_rate">16.7%<' in page  # 1 / 6
    assert 'data-col="on_time_rate">100.0%<' in page


def test_po_create_shows_errors_and_writes_nothing(client_for, data):
    client = client_for("inventory_planner")
    response = client.post(
        reverse("inventory:po-create"),
        {"supplier": "sup-a", "warehouse": "east", **lines_post(("NOPE", 3, ""))},
    )
    assert response.status_code == 400
    assert "No SKU with code NOPE." in response.content.decode()
    assert PurchaseOrder.objects.count() == 0


def test_planner_creates_and_edits_a_supplier_and_its_skus(client_for, data):
    client = client_for("inventory_planner")
    form = {
        "code": "sup-new",
        "name": "宁波新源电器有限公司",
        "tier": "backup",
        "lead_time_days": "20",
        "lead_time_spread_days": "3.00",
        "payment_terms_days": "45",
        "currency": "CNY",
        "qualified": "on",
        "active": "on",
    }
    response = client.post(reverse("inventory:supplier-create"), form)
    assert response.status_code == 302
    supplier = Supplier.objects.get(code="sup-new")
    assert (supplier.tier, supplier.lead_time_days, supplier.payment_terms_days) == ("backup", 20, 45)
    response = client.post(reverse("inventory:supplier-edit", args=["sup-new"]), {**form, "tier": "core"})
    assert response.status_code == 302
    assert Supplier.objects.get(code="sup-new").tier == "core"
    detail = reverse("inventory:supplier-detail", args=["sup-new"])
    response = client.post(
        detail, {"sku_code": "A-1", "unit_cost": "11.20", "min_order_qty": "24", "case_pack": "12"}
    )
    assert response.status_code == 302
    item = SupplierSKU.objects.get(supplier=supplier)
    assert (item.unit_cost, item.min_order_qty, item.case_pack) == (Decimal("11.20"), 24, 12)
    assert (
        client.post(
            detail, {"sku_code": "NOPE", "unit_cost": "1", "min_order_qty": "1", "case_pack": "1"}
        ).status_code
        == 400
    )
    page = client.get(detail).content.decode()
    assert 'data-sku="A-1"' in page and "¥11.20" in page
    client.post(detail, {"action": "remove", "sku_id": str(data["sku"].pk)})
    assert not SupplierSKU.objects.filter(supplier=supplier).exists()


@pytest.mark.parametrize("role", ["manager", "operations"])
def test_readers_may_look_but_not_write(client_for, data, role):
    po = purchasing.po_create(
        supplier=data["supplier"], warehouse=data["warehouse"], lines=[purchasing.LineInput("A-1", 10)]
    )
    client = client_for(role)
    detail = reverse("inventory:po-detail", args=[po.number])
    page = client.get(detail)
    assert page.status_code == 200 and b'data-testid="po-approve"' not in page.content
    assert client.post(detail, {"action": "approve"}).status_code == 403
    assert client.post(detail, {"action": "cancel"}).status_code == 403
    assert client.get(reverse("inventory:po-create")).status_code == 403
    assert client.post(reverse("inventory:po-create"), {"supplier": "sup-a"}).status_code == 403
    assert client.get(reverse("inventory:supplier-create")).status_code == 403
    assert client.get(reverse("inventory:supplier-edit", args=["sup-a"])).status_code == 403
    supplier_page = reverse("inventory:supplier-detail", args=["sup-a"])
    assert client.get(supplier_page).status_code == 200
    assert client.post(supplier_page, {"sku_code": "A-1", "unit_cost": "1"}).status_code == 403
    po.refresh_from_db()
    assert po.status == Status.DRAFT and SupplierSKU.objects.get().unit_cost == Decimal("12.35")


def test_po_list_filters_late_and_exports(client_for, data):
    s = {"supplier": data["supplier"], "warehouse": data["warehouse"]}
    late = purchasing.po_create(**s, lines=[purchasing.LineInput("A-1", 10)])
    purchasing.po_approve(order=late, user=None)
    purchasing.po_send(order=late, ordered_on=date(2024, 1, 2))
    draft = purchasing.po_create(**s, lines=[purchasing.LineInput("A-1", 20)])
    client = client_for("manager")
    url = reverse("inventory:po-list")
    html = client.get(url).content.decode()
    assert f'data-po="{late.number}"' in html and f'data-po="{draft.number}"' in html
    html = client.get(url, {"late": "1"}).content.decode()
    assert f'data-po="{late.number}"' in html and f'data-po="{draft.number}"' not in html
    html = client.get(url, {"status": "draft", "supplier": "sup-a", "warehouse": "east"}).content.decode()
    assert f'data-po="{late.number}"' not in html and f'data-po="{draft.number}"' in html
    response = client.get(url, {"late": "1", "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert text[0].startswith("Number,Supplier,Warehouse,Status")
    assert text[1:] == [f"{late.number},sup-a,east,Sent,2024-01-02,2024-01-09,,CNY,123.50"]
    overview = client.get(reverse("inventory:overview")).content.decode()
    assert "1 late" in overview


def test_supplier_list_shows_the_shortfall_warning(client_for, data):
    html = client_for("operations").get(reverse("inventory:supplier-list")).content.decode()
    # A-1 is a core SKU with one qualified supplier.
    assert 'data-testid="supplier-shortfall"' in html and 'data-sku="A-1"' in html
    assert "1 core SKU has fewer than 3 qualified suppliers" in html
