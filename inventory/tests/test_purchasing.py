"""Suppliers and purchase orders: the PO lifecycle to the unit and the cent, receipts into the ledger, the
approval checks, over-receipt refused whole, lead times learned from receipts, the scorecard of a
constructed quarter, the fewer-than-3-suppliers warning and the payables."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import SKU
from catalog.tests.factories import SKUFactory
from inventory import purchasing
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierSKU,
)
from inventory.purchasing import LineInput, ReceiptInput
from inventory.selectors import ledger_mismatches
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db
Status = PurchaseOrder.Status


def make_supplier(code="sup-a", **extra) -> Supplier:
    data = {"code": code, "name": f"Supplier {code}", "tier": "core", "lead_time_days": 10}
    data["payment_terms_days"] = 30
    return Supplier.objects.create(**{**data, **extra})


@pytest.fixture
def setup(make_user):
    supplier = make_supplier()
    warehouse = WarehouseFactory(code="east")
    a = SKUFactory(code="A-1")
    b = SKUFactory(code="B-1")
    SupplierSKU.objects.create(
        supplier=supplier, sku=a, unit_cost=Decimal("12.35"), min_order_qty=10, case_pack=5
    )
    SupplierSKU.objects.create(
        supplier=supplier, sku=b, unit_cost=Decimal("7.10"), min_order_qty=1, case_pack=1
    )
    return {
        "supplier": supplier,
        "warehouse": warehouse,
        "a": a,
        "b": b,
        "user": make_user("inventory_planner"),
    }


def on_hand(sku, warehouse) -> int:
    level = StockLevel.objects.filter(sku=sku, warehouse=warehouse).first()
    return level.on_hand if level else 0


def sent_po(s, lines, ordered_on=date(2025, 3, 3)) -> PurchaseOrder:
    po = purchasing.po_create(supplier=s["supplier"], warehouse=s["warehouse"], lines=lines, user=s["user"])
    purchasing.po_approve(order=po, user=s["user"])
    return purchasing.po_send(order=po, ordered_on=ordered_on)


def test_po_lifecycle_with_partial_receipts_and_defects(setup):
    s = setup
    po = purchasing.po_create(
        supplier=s["supplier"],
        warehouse=s["warehouse"],
        lines=[LineInput("A-1", 20), LineInput("B-1", 3, Decimal("7.105"))],
        note="spring restock",
        user=s["user"],
    )
    assert po.status == Status.DRAFT and po.number == f"PO-{po.pk:06d}"
    lines = {ln.sku.code: ln for ln in po.lines.select_related("sku")}
    assert lines["A-1"].unit_cost == Decimal("12.35")  # the supplier's cost
    assert lines["B-1"].unit_cost == Decimal("7.11")  # given, rounded half-up to the cent
    assert po.amount == Decimal("268.33")  # 20 x 12.35 + 3 x 7.11
    assert po.payment_terms_days == 30 and po.currency == "CNY"

    purchasing.po_approve(order=po, user=s["user"])
    po.refresh_from_db()
    assert po.status == Status.APPROVED and po.approved_by == s["user"] and po.approved_at is not None

    purchasing.po_send(order=po, ordered_on=date(2025, 3, 3))
    po.refresh_from_db()
    assert (po.status, po.ordered_on, po.expected_on) == (Status.SENT, date(2025, 3, 3), date(2025, 3, 13))

    # First delivery: 12 of A, 2 of them defective -> 10 into stock.
    purchasing.po_receive(
        order=po,
        receipts=[ReceiptInput(lines["A-1"].pk, 12, 2)],
        received_on=date(2025, 3, 12),
        user=s["user"],
    )
    po.refresh_from_db()
    assert po.status == Status.PARTIAL and po.received_on == date(2025, 3, 12)
    assert on_hand(s["a"], s["warehouse"]) == 10 and on_hand(s["b"], s["warehouse"]) == 0
    a = PurchaseOrderLine.objects.get(pk=lines["A-1"].pk)
    assert (a.received, a.defective) == (12, 2)

    # Second delivery: the rest of A, and B with one defective.
    purchasing.po_receive(
        order=po,
        receipts=[ReceiptInput(lines["A-1"].pk, 8, 0), ReceiptInput(lines["B-1"].pk, 3, 1)],
        received_on=date(2025, 3, 16),
        user=s["user"],
    )
    po.refresh_from_db()
    assert po.status == Status.RECEIVED and po.received_on == date(2025, 3, 12)  # the first arrival stays
    assert on_hand(s["a"], s["warehouse"]) == 18 and on_hand(s["b"], s["warehouse"]) == 2
    got = {(ln.sku.code, ln.received, ln.defective) for ln in po.lines.select_related("sku")}
    assert got == {("A-1", 20, 2), ("B-1", 3, 1)}
    assert Receipt.objects.filter(line__order=po).count() == 3
    ledger = list(
        StockMovement.objects.filter(reference=po.number)
        .order_by("id")
        .values_list("sku__code", "warehouse__code", "kind", "on_hand_delta", "reserved_delta", "created_by")
    )
    uid = s["user"].pk
    assert ledger == [
        ("A-1", "east", "receipt", 10, 0, uid),
        ("A-1", "east", "receipt", 8, 0, uid),
        ("B-1", "east", "receipt", 2, 0, uid),
    ]
    assert ledger_mismatches() == []

    purchasing.po_close(order=po)
    po.refresh_from_db()
    assert po.status == Status.CLOSED
    with pytest.raises(ValidationError):
        purchasing.po_cancel(order=po)
    # Lead time learned: first arrivals after 9 (A) and 13 (B) days -> mean 11, sample std dev 2.83.
    supplier = Supplier.objects.get(pk=s["supplier"].pk)
    assert (supplier.lead_time_days, supplier.lead_time_spread_days) == (11, Decimal("2.83"))


def test_approval_checks_moq_and_case_pack(setup):
    s = setup
    SKUFactory(code="C-1")
    po = purchasing.po_create(
        supplier=s["supplier"],
        warehouse=s["warehouse"],
        lines=[LineInput("A-1", 7), LineInput("B-1", 1), LineInput("C-1", 4, Decimal("1.00"))],
        user=s["user"],
    )
    with pytest.raises(ValidationError) as exc:
        purchasing.po_approve(order=po, user=s["user"])
    assert exc.value.messages == [
        "A-1: 7 is below the minimum order quantity of 10.",
        "A-1: 7 is not a multiple of the case pack of 5.",
        "C-1 is not supplied by this supplier.",
    ]
    po.refresh_from_db()
    assert po.status == Status.DRAFT and po.approved_at is None
    # 12 clears the MOQ but is not whole cases; 15 is right.
    purchasing.po_update_lines(order=po, lines=[LineInput("A-1", 12), LineInput("B-1", 1)])
    with pytest.raises(ValidationError) as exc:
        purchasing.po_approve(order=po, user=s["user"])
    assert exc.value.messages == ["A-1: 12 is not a multiple of the case pack of 5."]
    purchasing.po_update_lines(order=po, lines=[LineInput("A-1", 15), LineInput("B-1", 1)])
    po.refresh_from_db()
    assert po.amount == Decimal("192.35")  # 15 x 12.35 + 7.10
    assert purchasing.po_approve(order=po, user=s["user"]).status == Status.APPROVED
    with pytest.raises(ValidationError):  # only drafts change
        purchasing.po_update_lines(order=po, lines=[LineInput("A-1", 20)])
    assert [ln.quantity for ln in po.lines.order_by("sku__code")] == [15, 1]


def test_create_refuses_bad_lines_and_writes_nothing(setup):
    s = setup
    SKUFactory(code="C-1")
    with pytest.raises(ValidationError) as exc:
        purchasing.po_create(
            supplier=s["supplier"],
            warehouse=s["warehouse"],
            lines=[
                LineInput("NOPE", 5),
                LineInput("C-1", 5),
                LineInput("A-1", 0),
                LineInput("B-1", 2),
                LineInput("B-1", 3),
            ],
        )
    assert exc.value.messages == [
        "No SKU with code NOPE.",
        "C-1 is not supplied by Supplier sup-a: add it to the supplier or give a unit cost.",
        "A-1: the quantity must be at least 1.",
        "B-1 is listed twice.",
    ]
    assert PurchaseOrder.objects.count() == 0 and PurchaseOrderLine.objects.count() == 0


def test_over_receipt_is_refused_and_nothing_is_written(setup):
    s = setup
    po = sent_po(s, [LineInput("A-1", 20), LineInput("B-1", 3)])
    a, b = po.lines.order_by("sku__code")
    purchasing.po_receive(order=po, receipts=[ReceiptInput(a.pk, 15)], received_on=date(2025, 3, 10))
    receipts, movements = Receipt.objects.count(), StockMovement.objects.count()
    with pytest.raises(ValidationError) as exc:
        purchasing.po_receive(
            order=po,
            receipts=[ReceiptInput(b.pk, 3), ReceiptInput(a.pk, 6, 1)],  # B is fine, A would be 21 of 20
            received_on=date(2025, 3, 11),
        )
    assert exc.value.messages == ["A-1: receiving 6 would exceed the 5 still open of 20 ordered."]
    with pytest.raises(ValidationError) as exc:
        purchasing.po_receive(order=po, receipts=[ReceiptInput(b.pk, 2, 3)], received_on=date(2025, 3, 11))
    assert exc.value.messages == ["B-1: more defective units than received."]
    with pytest.raises(ValidationError):
        purchasing.po_receive(order=po, receipts=[ReceiptInput(b.pk, 0, 0)], received_on=date(2025, 3, 11))
    assert (Receipt.objects.count(), StockMovement.objects.count()) == (receipts, movements)
    assert [(ln.received, ln.defective) for ln in po.lines.order_by("sku__code")] == [(15, 0), (0, 0)]
    assert on_hand(s["a"], s["warehouse"]) == 15 and on_hand(s["b"], s["warehouse"]) == 0
    po.refresh_from_db()
    assert po.status == Status.PARTIAL
    # A receipt dated before the order, and one on a draft, are refused too.
    with pytest.raises(ValidationError):
        purchasing.po_receive(order=po, receipts=[ReceiptInput(b.pk, 1)], received_on=date(2025, 3, 1))
    draft = purchasing.po_create(
        supplier=s["supplier"], warehouse=s["warehouse"], lines=[LineInput("B-1", 1)]
    )
    with pytest.raises(ValidationError):
        purchasing.po_receive(
            order=draft, receipts=[ReceiptInput(draft.lines.get().pk, 1)], received_on=date(2025, 3, 11)
        )
    assert Receipt.objects.count() == receipts


def test_status_rules_for_send_close_and_cancel(setup):
    s = setup
    po = purchasing.po_create(supplier=s["supplier"], warehouse=s["warehouse"], lines=[LineInput("B-1", 2)])
    with pytest.raises(ValidationError):
        purchasing.po_send(order=po)  # not approved
    with pytest.raises(ValidationError):
        purchasing.po_close(order=po)  # nothing received
    sent = sent_po(s, [LineInput("B-1", 2)])
    assert purchasing.po_cancel(order=sent).status == Status.CANCELLED
    with pytest.raises(ValidationError):
        purchasing.po_approve(order=sent, user=s["user"])
    partial = sent_po(s, [LineInput("B-1", 2)])
    purchasing.po_receive(
        order=partial, receipts=[ReceiptInput(partial.lines.get().pk, 1)], received_on=date(2025, 3, 4)
    )
    with pytest.raises(ValidationError):
        purchasing.po_cancel(order=partial)  # goods arrived: close it instead
    assert purchasing.po_close(order=partial).status == Status.CLOSED


def test_po_numbers_follow_the_row_ids(setup):
    s = setup
    one = purchasing.po_create(supplier=s["supplier"], warehouse=s["warehouse"], lines=[LineInput("B-1", 1)])
    two = purchasing.po_create(supplier=s["supplier"], warehouse=s["warehouse"], lines=[LineInput("B-1", 1)])
    assert one.number == f"PO-{one.pk:06d}" and two.number == f"PO-{two.pk:06d}" and one.number != two.number


def test_scorecard_of_a_constructed_quarter_and_the_learned_lead_time(setup):
    s = setup
    # All sent before any receipt, so every expected date is ordered_on + 10 days.
    po1 = sent_po(s, [LineInput("A-1", 20)], ordered_on=date(2025, 4, 1))  # expected 04-11
    po2 = sent_po(s, [LineInput("A-1", 10), LineInput("B-1", 5)], ordered_on=date(2025, 4, 5))  # 04-15
    po3 = sent_po(s, [LineInput("A-1", 10)], ordered_on=date(2025, 1, 10))  # expected 01-20
    cancelled = sent_po(s, [LineInput("B-1", 50)], ordered_on=date(2025, 4, 6))
    purchasing.po_cancel(order=cancelled)  # not due: left out of the fill rate
    line = {(ln.order_id, ln.sku.code): ln.pk for ln in PurchaseOrderLine.objects.select_related("sku")}
    purchasing.po_receive(
        order=po1, receipts=[ReceiptInput(line[(po1.pk, "A-1")], 20, 2)], received_on=date(2025, 4, 10)
    )
    purchasing.po_receive(
        order=po2, receipts=[ReceiptInput(line[(po2.pk, "B-1")], 2)], received_on=date(2025, 4, 14)
    )
    purchasing.po_receive(
        order=po2, receipts=[ReceiptInput(line[(po2.pk, "A-1")], 10)], received_on=date(2025, 4, 20)
    )
    purchasing.po_receive(
        order=po3, receipts=[ReceiptInput(line[(po3.pk, "A-1")], 10, 1)], received_on=date(2025, 1, 25)
    )

    card = purchasing.supplier_scorecard(s["supplier"], quarters=4, today=date(2025, 6, 15))
    assert [q.label for q in card.quarters] == ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    q1, q2 = card.quarters[2], card.quarters[3]
    assert (q2.start, q2.end) == (date(2025, 4, 1), date(2025, 6, 30))
    # Q2: first arrivals 04-10 (due 04-11, on time), 04-14 (due 04-15, on time), 04-20 (due 04-15, late).
    assert (q2.lines_received, q2.lines_on_time, q2.on_time_rate) == (3, 2, Decimal("0.6667"))
    # Q2 POs due: po1 20/20, po2 10/10 + 2/5 -> 32 / 35.
    assert (q2.units_ordered, q2.units_filled, q2.fill_rate) == (35, 32, Decimal("0.9143"))
    assert (q2.units_received, q2.units_defective, q2.defect_rate) == (32, 2, Decimal("0.0625"))
    assert (q1.on_time_rate, q1.fill_rate, q1.defect_rate) == (
        Decimal("0.0000"),
        Decimal("1.0000"),
        Decimal("0.1000"),
    )
    assert all(getattr(card.quarters[0], r) is None for r in purchasing.SCORE_RATES)
    assert card.trend == {
        "on_time_rate": Decimal("0.6667"),
        "fill_rate": Decimal("-0.0857"),
        "defect_rate": Decimal("-0.0375"),
    }
    # Lead times: 9 (po1 A), 9 (po2 B), 15 (po2 A), 15 (po3 A) -> mean 12, sample std dev sqrt(12) = 3.46.
    assert sorted(purchasing.lead_time_samples(s["supplier"])) == [9, 9, 15, 15]
    supplier = Supplier.objects.get(pk=s["supplier"].pk)
    assert (supplier.lead_time_days, supplier.lead_time_spread_days) == (12, Decimal("3.46"))


def test_core_skus_with_fewer_than_3_qualified_suppliers():
    suppliers = [make_supplier(f"s{i}") for i in range(3)]
    unqualified = make_supplier("s-unq", qualified=False)
    inactive = make_supplier("s-off", active=False)

    def supply(sku, *who):
        for supplier in who:
            SupplierSKU.objects.create(supplier=supplier, sku=sku, unit_cost=Decimal("1.00"))

    thin = SKUFactory(code="CORE-THIN", role=SKU.Role.CORE)
    supply(thin, suppliers[0], suppliers[1], unqualified, inactive)  # 2 count
    none = SKUFactory(code="HERO-NONE", role=SKU.Role.HERO)
    covered = SKUFactory(code="HERO-OK", role=SKU.Role.HERO)
    supply(covered, *suppliers)
    tail = SKUFactory(code="TAIL", role=SKU.Role.LONG_TAIL)  # not a core SKU
    retired = SKUFactory(code="CORE-OLD", role=SKU.Role.CORE, active=False)  # not active
    assert tail and retired and none
    rows = [(sku.code, sku.qualified_suppliers) for sku in purchasing.sku_supplier_shortfall_list()]
    assert rows == [("HERO-NONE", 0), ("CORE-THIN", 2)]
    assert purchasing.sku_supplier_shortfall_count() == 2


def test_payables_amount_and_due_dates(setup):
    s = setup
    received = sent_po(s, [LineInput("B-1", 4)], ordered_on=date(2025, 3, 3))  # 28.40
    purchasing.po_receive(
        order=received, receipts=[ReceiptInput(received.lines.get().pk, 4)], received_on=date(2025, 3, 20)
    )
    in_transit = sent_po(s, [LineInput("A-1", 10)], ordered_on=date(2025, 3, 5))  # 123.50
    purchasing.po_create(
        supplier=s["supplier"], warehouse=s["warehouse"], lines=[LineInput("B-1", 1)]
    )  # draft
    rows = [(p.number, p.amount, p.due_on) for p in purchasing.payables_list()]
    assert rows == [
        (in_transit.number, Decimal("123.50"), date(2025, 4, 4)),  # ordered 03-05 + 30
        (received.number, Decimal("28.40"), date(2025, 4, 19)),  # received 03-20 + 30
    ]
    assert [p.number for p in purchasing.payables_list(due_before=date(2025, 4, 10))] == [in_transit.number]


def test_supplier_save_and_supplier_skus(setup):
    supplier = purchasing.supplier_save(
        data={
            "code": "new-sup",
            "name": "New",
            "tier": "backup",
            "lead_time_days": 21,
            "lead_time_spread_days": Decimal("2.50"),
            "payment_terms_days": 45,
            "currency": "cny",
            "qualified": False,
            "active": True,
        }
    )
    assert (supplier.tier, supplier.currency, supplier.qualified) == ("backup", "CNY", False)
    with pytest.raises(ValidationError):
        purchasing.supplier_save(supplier=supplier, data={"tier": "gold"})
    item = purchasing.supplier_sku_save(
        supplier=supplier, sku_code="A-1", unit_cost=Decimal("3.333"), min_order_qty=24, case_pack=12
    )
    assert (item.unit_cost, item.min_order_qty, item.case_pack) == (Decimal("3.33"), 24, 12)
    purchasing.supplier_sku_save(supplier=supplier, sku_code="A-1", unit_cost=Decimal("3.10"))
    assert SupplierSKU.objects.get(supplier=supplier).unit_cost == Decimal("3.10")
    with pytest.raises(ValidationError):
        purchasing.supplier_sku_save(supplier=supplier, sku_code="NOPE", unit_cost=Decimal("1"))
