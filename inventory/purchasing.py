"""Suppliers and purchase orders: the writes (supplier upkeep, the PO lifecycle, receipts into stock, lead
times learned from receipts) and the reads (PO lists, payables for finance, the supplier scorecard, the
"fewer than 3 qualified suppliers" warning).

PO lifecycle: draft -> approved -> sent -> partial -> received -> closed; draft, approved and sent may be
cancelled. Only a draft's lines change. Approval checks every line against the supplier's terms for the
SKU (at least the MOQ, a whole number of case packs). A receipt records per line the units that arrived and
how many of them are defective; the good units go into the PO's warehouse through the stock ledger
(`stock_movements_apply`, kind receipt, reference the PO number) in the same transaction. A line never
receives more than was ordered (defective units count as received: they arrived, and score against the
supplier).
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReturnDefect,
    StockMovement,
    Supplier,
    SupplierSKU,
    Warehouse,
)
from inventory.services import MovementSpec, stock_movements_apply
from shopops.common.audit import audit_changes, audit_record
from shopops.common.money import ZERO, to_money

Status = PurchaseOrder.Status
EDIT_PERMISSION = "inventory.change_purchaseorder"
SUPPLIER_EDIT_PERMISSION = "inventory.change_supplier"
MIN_QUALIFIED_SUPPLIERS = 3
CORE_ROLES = ("hero", "core")
OPEN_STATUSES = (Status.APPROVED, Status.SENT, Status.PARTIAL)
RATE = Decimal("0.0001")
DAYS = Decimal("0.01")


# ---------------------------------------------------------------------------------------------------------
# Suppliers

SUPPLIER_FIELDS = (
    "code",
    "name",
    "tier",
    "lead_time_days",
    "lead_time_spread_days",
    "payment_terms_days",
    "currency",
    "qualified",
    "active",
)


@transaction.atomic
def supplier_save(*, supplier: Supplier | None = None, data: dict, user=None) -> Supplier:
    """Create a supplier (supplier=None) or change one: tier, lead time, terms, currency, qualification."""
    supplier = supplier or Supplier()
    for name in SUPPLIER_FIELDS:
        if name in data:
            setattr(supplier, name, data[name])
    supplier.currency = (supplier.currency or "").upper()
    supplier.full_clean()
    supplier.save()
    return supplier


@transaction.atomic
def supplier_sku_save(
    *, supplier: Supplier, sku_code: str, unit_cost: Decimal, min_order_qty: int = 1, case_pack: int = 1
) -> SupplierSKU:
    """Add a SKU the supplier can supply, or change its cost, MOQ and case pack."""
    sku = catalog_selectors.sku_client_list(codes=[sku_code.strip()]).first()
    if sku is None:
        raise ValidationError({"sku_code": _("No SKU with code %(code)s.") % {"code": sku_code}})
    if unit_cost is None or unit_cost < 0:
        raise ValidationError({"unit_cost": _("The unit cost cannot be negative.")})
    if min_order_qty < 1 or case_pack < 1:
        raise ValidationError(_("The minimum order quantity and the case pack must be at least 1."))
    item, _created = SupplierSKU.objects.update_or_create(
        supplier=supplier,
        sku=sku,
        defaults={"unit_cost": to_money(unit_cost), "min_order_qty": min_order_qty, "case_pack": case_pack},
    )
    return item


@transaction.atomic
def supplier_sku_delete(*, supplier: Supplier, sku_id: int) -> None:
    SupplierSKU.objects.filter(supplier=supplier, sku_id=sku_id).delete()


# ---------------------------------------------------------------------------------------------------------
# Purchase orders: writes


@dataclass(frozen=True)
class LineInput:
    """One line asked for: a SKU code, a quantity and, optionally, a unit cost (else the supplier's)."""

    sku_code: str
    quantity: int
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class ReceiptInput:
    line_id: int
    quantity: int
    defective: int = 0


def _locked(order: PurchaseOrder) -> PurchaseOrder:
    """The order re-read under a row lock: status transitions of one PO queue instead of racing."""
    return PurchaseOrder.objects.select_for_update().select_related("supplier", "warehouse").get(pk=order.pk)


def _require_status(order: PurchaseOrder, allowed, action: str) -> None:
    if order.status not in allowed:
        raise ValidationError(
            _("Purchase order %(number)s is %(status)s: it cannot be %(action)s.")
            % {"number": order.number, "status": order.get_status_display(), "action": action}
        )


def _lines_build(supplier: Supplier, lines: list[LineInput]) -> list[PurchaseOrderLine]:
    """Unsaved PO lines for the inputs: SKUs looked up by code, costs defaulting from the supplier's terms.
    Every problem is collected and raised together."""
    errors: list[str] = []
    if not lines:
        raise ValidationError(_("A purchase order needs at least one line."))
    codes = [line.sku_code.strip() for line in lines]
    skus = {sku.code: sku for sku in catalog_selectors.sku_client_list(codes=codes)}
    terms = {
        item.sku_id: item
        for item in SupplierSKU.objects.filter(supplier=supplier, sku_id__in=[s.pk for s in skus.values()])
    }
    seen: set[str] = set()
    built = []
    for code, line in zip(codes, lines, strict=True):
        sku = skus.get(code)
        if sku is None:
            errors.append(_("No SKU with code %(code)s.") % {"code": code})
            continue
        if code in seen:
            errors.append(_("%(code)s is listed twice.") % {"code": code})
            continue
        seen.add(code)
        if line.quantity is None or line.quantity < 1:
            errors.append(_("%(code)s: the quantity must be at least 1.") % {"code": code})
            continue
        unit_cost = line.unit_cost
        if unit_cost is None:
            item = terms.get(sku.pk)
            if item is None:
                errors.append(
                    _("%(code)s is not supplied by %(supplier)s: add it to the supplier or give a unit cost.")
                    % {"code": code, "supplier": supplier.name}
                )
                continue
            unit_cost = item.unit_cost
        if unit_cost < 0:
            errors.append(_("%(code)s: the unit cost cannot be negative.") % {"code": code})
            continue
        built.append(PurchaseOrderLine(sku=sku, quantity=line.quantity, unit_cost=to_money(unit_cost)))
    if errors:
        raise ValidationError(errors)
    return built


def _amount(lines) -> Decimal:
    return to_money(sum((Decimal(line.quantity) * line.unit_cost for line in lines), ZERO))


@transaction.atomic
def po_create(
    *, supplier: Supplier, warehouse: Warehouse, lines: list[LineInput], note: str = "", user=None
) -> PurchaseOrder:
    """A draft PO numbered PO-<id, 6 digits>: the number comes from the row's own primary key, so two
    planners creating POs at the same moment can never get the same number."""
    if not supplier.active:
        raise ValidationError({"supplier": _("The supplier is not active.")})
    if not warehouse.active:
        raise ValidationError({"warehouse": _("The warehouse is not active.")})
    built = _lines_build(supplier, lines)
    order = PurchaseOrder.objects.create(
        number=f"new-{uuid.uuid4().hex[:24]}",
        supplier=supplier,
        warehouse=warehouse,
        currency=supplier.currency,
        payment_terms_days=supplier.payment_terms_days,
        amount=_amount(built),
        note=note,
        created_by=user,
    )
    order.number = f"PO-{order.pk:06d}"
    order.save(update_fields=["number"])
    for line in built:
        line.order = order
    PurchaseOrderLine.objects.bulk_create(built)
    return order


@transaction.atomic
def po_update_lines(*, order: PurchaseOrder, lines: list[LineInput], note: str | None = None, user=None):
    """Replace the lines of a draft (and its amount)."""
    order = _locked(order)
    _require_status(order, [Status.DRAFT], _("edited"))
    built = _lines_build(order.supplier, lines)
    order.lines.all().delete()
    for line in built:
        line.order = order
    PurchaseOrderLine.objects.bulk_create(built)
    order.amount = _amount(built)
    fields = ["amount", "updated_at"]
    if note is not None:
        order.note = note
        fields.append("note")
    order.save(update_fields=fields)
    return order


def po_line_problems(order: PurchaseOrder) -> list[str]:
    """Lines that break the supplier's terms: below the MOQ, not a whole number of case packs, or a SKU the
    supplier does not (or no longer) supply."""
    terms = {item.sku_id: item for item in SupplierSKU.objects.filter(supplier_id=order.supplier_id)}
    problems = []
    for line in order.lines.select_related("sku").order_by("sku__code"):
        item = terms.get(line.sku_id)
        values = {"code": line.sku.code, "quantity": line.quantity}
        if item is None:
            problems.append(_("%(code)s is not supplied by this supplier.") % values)
            continue
        if line.quantity < item.min_order_qty:
            problems.append(
                _("%(code)s: %(quantity)s is below the minimum order quantity of %(moq)s.")
                % {**values, "moq": item.min_order_qty}
            )
        if line.quantity % item.case_pack:
            problems.append(
                _("%(code)s: %(quantity)s is not a multiple of the case pack of %(pack)s.")
                % {**values, "pack": item.case_pack}
            )
    return problems


@transaction.atomic
def po_approve(*, order: PurchaseOrder, user) -> PurchaseOrder:
    order = _locked(order)
    _require_status(order, [Status.DRAFT], _("approved"))
    if not order.lines.exists():
        raise ValidationError(_("A purchase order needs at least one line."))
    problems = po_line_problems(order)
    if problems:
        raise ValidationError(problems)
    order.status = Status.APPROVED
    order.approved_by = user
    order.approved_at = timezone.now()
    order.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return order


@transaction.atomic
def po_send(*, order: PurchaseOrder, ordered_on: date | None = None, user=None) -> PurchaseOrder:
    """Sent to the supplier: ordered today (or on `ordered_on`), expected after the supplier's lead time."""
    order = _locked(order)
    _require_status(order, [Status.APPROVED], _("sent"))
    order.ordered_on = ordered_on or timezone.localdate()
    order.expected_on = order.ordered_on + timedelta(days=order.supplier.lead_time_days)
    order.status = Status.SENT
    order.save(update_fields=["status", "ordered_on", "expected_on", "updated_at"])
    return order


@transaction.atomic
def po_receive(
    *, order: PurchaseOrder, receipts: list[ReceiptInput], received_on: date | None = None, user=None, note=""
) -> list[Receipt]:
    """Record goods arriving: Receipt rows, the good units into stock (ledger), the lines' received and
    defective counts, the PO's status, and the supplier's learned lead time. All or nothing."""
    order = _locked(order)
    _require_status(order, [Status.SENT, Status.PARTIAL], _("received"))
    received_on = received_on or timezone.localdate()
    if order.ordered_on and received_on < order.ordered_on:
        raise ValidationError({"received_on": _("Goods cannot arrive before the order was placed.")})
    lines = {line.pk: line for line in order.lines.select_for_update().select_related("sku").order_by("pk")}
    errors: list[str] = []
    wanted = [r for r in receipts if r.quantity or r.defective]
    if not wanted:
        raise ValidationError(_("Enter the quantity received on at least one line."))
    seen = set()
    for r in wanted:
        line = lines.get(r.line_id)
        if line is None or r.line_id in seen:
            errors.append(_("Line %(id)s is not a line of this purchase order.") % {"id": r.line_id})
            continue
        seen.add(r.line_id)
        values = {"code": line.sku.code}
        if r.quantity < 0 or r.defective < 0:
            errors.append(_("%(code)s: quantities cannot be negative.") % values)
        elif r.defective > r.quantity:
            errors.append(_("%(code)s: more defective units than received.") % values)
        elif line.received + r.quantity > line.quantity:
            errors.append(
                _("%(code)s: receiving %(qty)s would exceed the %(open)s still open of %(ordered)s ordered.")
                % {
                    **values,
                    "qty": r.quantity,
                    "open": line.quantity - line.received,
                    "ordered": line.quantity,
                }
            )
    if errors:
        raise ValidationError(errors)

    created, movements = [], []
    for r in wanted:
        line = lines[r.line_id]
        created.append(
            Receipt(
                line=line,
                quantity=r.quantity,
                defective=r.defective,
                received_on=received_on,
                note=note,
                created_by=user,
            )
        )
        good = r.quantity - r.defective
        if good:
            movements.append(
                MovementSpec(
                    line.sku_id,
                    order.warehouse_id,
                    StockMovement.Kind.RECEIPT,
                    on_hand_delta=good,
                    reference=order.number,
                )
            )
        line.received += r.quantity
        line.defective += r.defective
    Receipt.objects.bulk_create(created)
    PurchaseOrderLine.objects.bulk_update([lines[r.line_id] for r in wanted], ["received", "defective"])
    stock_movements_apply(movements=movements, user=user)

    complete = all(line.received >= line.quantity for line in lines.values())
    order.status = Status.RECEIVED if complete else Status.PARTIAL
    if order.received_on is None or received_on < order.received_on:
        order.received_on = received_on
    order.save(update_fields=["status", "received_on", "updated_at"])
    supplier_lead_time_learn(supplier=order.supplier)
    return created


@transaction.atomic
def po_close(*, order: PurchaseOrder, user=None) -> PurchaseOrder:
    """Close a received PO, or a partial one whose rest will not come."""
    order = _locked(order)
    _require_status(order, [Status.RECEIVED, Status.PARTIAL], _("closed"))
    order.status = Status.CLOSED
    order.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def po_cancel(*, order: PurchaseOrder, user=None) -> PurchaseOrder:
    order = _locked(order)
    _require_status(order, [Status.DRAFT, Status.APPROVED, Status.SENT], _("cancelled"))
    order.status = Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    return order


def lead_time_samples(supplier: Supplier) -> list[int]:
    """Days from order to first arrival, one per PO line that has received anything."""
    rows = (
        Receipt.objects.filter(line__order__supplier=supplier, line__order__ordered_on__isnull=False)
        .values("line_id", "line__order__ordered_on")
        .annotate(first=Min("received_on"))
        .order_by("line_id")
    )
    return [(row["first"] - row["line__order__ordered_on"]).days for row in rows]


@transaction.atomic
def supplier_lead_time_learn(*, supplier: Supplier) -> Supplier:
    """Lead time = mean of the samples (rounded half-up to whole days), spread = their sample standard
    deviation (0 with a single sample). Without samples the planner's figures stay."""
    samples = lead_time_samples(supplier)
    if not samples:
        return supplier
    mean = Decimal(sum(samples)) / len(samples)
    spread = Decimal(str(statistics.stdev(samples))) if len(samples) > 1 else Decimal(0)
    before = (
        Supplier.objects.select_for_update()
        .filter(pk=supplier.pk)
        .values("lead_time_days", "lead_time_spread_days")
        .get()
    )
    supplier.lead_time_days = int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    supplier.lead_time_spread_days = spread.quantize(DAYS, rounding=ROUND_HALF_UP)
    Supplier.objects.filter(pk=supplier.pk).update(
        lead_time_days=supplier.lead_time_days,
        lead_time_spread_days=supplier.lead_time_spread_days,
        updated_at=timezone.now(),
    )
    after = {
        "lead_time_days": supplier.lead_time_days,
        "lead_time_spread_days": supplier.lead_time_spread_days,
    }
    audit_record(  # a reorder setting changed by an update (no signal)
        obj_or_model=supplier,
        action="update",
        changes=audit_changes(before, after),
        additional_data={"source": "lead_time_learn", "samples": len(samples)},
    )
    return supplier


# ---------------------------------------------------------------------------------------------------------
# Reads


def supplier_list(*, search: str = "", tier: str = "", active: bool | None = None) -> QuerySet[Supplier]:
    qs = Supplier.objects.annotate(
        sku_count=Count("items", distinct=True),
        open_orders=Count(
            "purchase_orders", filter=Q(purchase_orders__status__in=OPEN_STATUSES), distinct=True
        ),
    )
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if tier in Supplier.Tier.values:
        qs = qs.filter(tier=tier)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("code")


def supplier_sku_list(*, supplier: Supplier) -> QuerySet[SupplierSKU]:
    return supplier.items.select_related("sku").order_by("sku__code")


def purchase_order_list(
    *,
    status: str = "",
    supplier: str = "",
    warehouse: str = "",
    late: bool = False,
    today: date | None = None,
) -> QuerySet[PurchaseOrder]:
    """POs, newest first. `late`: sent or partially received and past the expected arrival."""
    qs = PurchaseOrder.objects.select_related("supplier", "warehouse")
    if status in Status.values:
        qs = qs.filter(status=status)
    if supplier:
        qs = qs.filter(supplier__code=supplier)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if late:
        qs = qs.filter(po_late_q(today))
    return qs.order_by("-created_at", "-id")


def po_late_q(today: date | None = None) -> Q:
    return Q(status__in=[Status.SENT, Status.PARTIAL], expected_on__lt=today or timezone.localdate())


def po_late_count(today: date | None = None) -> int:
    return PurchaseOrder.objects.filter(po_late_q(today)).count()


def po_get(*, number: str) -> PurchaseOrder:
    return PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by", "approved_by").get(
        number=number
    )


def po_line_list(*, order: PurchaseOrder) -> QuerySet[PurchaseOrderLine]:
    return (
        order.lines.select_related("sku")
        .annotate(open_qty=F("quantity") - F("received"))
        .order_by("sku__code")
    )


def po_receipt_list(*, order: PurchaseOrder) -> QuerySet[Receipt]:
    return (
        Receipt.objects.filter(line__order=order)
        .select_related("line__sku", "created_by")
        .order_by("-received_on", "-id")
    )


@dataclass(frozen=True)
class Payable:
    number: str
    supplier_code: str
    supplier_name: str
    status: str
    currency: str
    amount: Decimal
    ordered_on: date | None
    received_on: date | None
    payment_terms_days: int
    due_on: date | None


def payables_list(*, due_before: date | None = None) -> list[Payable]:
    """What we owe suppliers: every PO sent or later (not drafts, approvals not yet sent, or cancelled),
    with its amount and due date = first receipt (or the order date if nothing arrived yet) + the PO's
    payment terms. Ordered by due date, then number. For finance."""
    qs = (
        PurchaseOrder.objects.filter(status__in=[Status.SENT, Status.PARTIAL, Status.RECEIVED, Status.CLOSED])
        .select_related("supplier")
        .order_by("id")
    )
    out = []
    for po in qs:
        start = po.received_on or po.ordered_on
        due = start + timedelta(days=po.payment_terms_days) if start else None
        if due_before and (due is None or due >= due_before):
            continue
        out.append(
            Payable(
                number=po.number,
                supplier_code=po.supplier.code,
                supplier_name=po.supplier.name,
                status=po.status,
                currency=po.currency,
                amount=po.amount,
                ordered_on=po.ordered_on,
                received_on=po.received_on,
                payment_terms_days=po.payment_terms_days,
                due_on=due,
            )
        )
    out.sort(key=lambda p: (p.due_on or date.max, p.number))
    return out


# -- scorecard ----------------------------------------------------------------------------------------------


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarter_shift(start: date, quarters: int) -> date:
    index = start.year * 4 + (start.month - 1) // 3 + quarters
    return date(index // 4, 3 * (index % 4) + 1, 1)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class QuarterScore:
    label: str  # 2025Q3
    start: date
    end: date  # last day
    lines_received: int  # PO lines whose first receipt fell in the quarter
    lines_on_time: int
    on_time_rate: Decimal | None
    units_ordered: int  # on POs expected in the quarter
    units_filled: int  # of those, received so far
    fill_rate: Decimal | None
    units_received: int  # arrived in the quarter
    units_defective: int
    defect_rate: Decimal | None


@dataclass(frozen=True)
class Scorecard:
    quarters: list[QuarterScore]  # oldest first; the last is the current quarter (to date)
    trend: dict[str, Decimal | None]  # rate -> this quarter minus the previous (None without both)


SCORE_RATES = ("on_time_rate", "fill_rate", "defect_rate")


def supplier_scorecard(supplier: Supplier, quarters: int = 4, *, today: date | None = None) -> Scorecard:
    """Per calendar quarter, from the supplier's receipts:

    - on-time rate: of the PO lines whose first receipt fell in the quarter, the share that arrived on or
      before the PO's expected date;
    - fill rate: units received so far / units ordered, over the POs expected in the quarter (not drafts,
      unsent approvals or cancelled POs);
    - defect rate: defective units / units received in the quarter, where defective units are those
      found at receipt inspection plus customer returns scrapped as defective and traced to the supplier
      (`ReturnDefect`, by the day they were scrapped).
    The trend compares the last quarter (the current one, to date) with the one before.
    """
    today = today or timezone.localdate()
    last = quarter_start(today)
    starts = [_quarter_shift(last, k) for k in range(-(quarters - 1), 1)]
    first, after = starts[0], _quarter_shift(last, 1)

    def bucket(day: date) -> int | None:
        if day is None or day < first or day >= after:
            return None
        return (day.year - first.year) * 4 + (day.month - 1) // 3 - (first.month - 1) // 3

    on_time = defaultdict(lambda: [0, 0])
    first_receipts = (
        Receipt.objects.filter(line__order__supplier=supplier)
        .values("line_id", "line__order__expected_on")
        .annotate(first=Min("received_on"))
    )
    for row in first_receipts:
        k = bucket(row["first"])
        if k is None:
            continue
        on_time[k][0] += 1
        expected = row["line__order__expected_on"]
        on_time[k][1] += int(expected is not None and row["first"] <= expected)

    fill = defaultdict(lambda: [0, 0])
    due_lines = PurchaseOrderLine.objects.filter(
        order__supplier=supplier,
        order__status__in=[Status.SENT, Status.PARTIAL, Status.RECEIVED, Status.CLOSED],
        order__expected_on__gte=first,
        order__expected_on__lt=after,
    ).values_list("order__expected_on", "quantity", "received")
    for expected, quantity, received in due_lines:
        k = bucket(expected)
        fill[k][0] += quantity
        fill[k][1] += received

    defects = defaultdict(lambda: [0, 0])
    for day, quantity, defective in Receipt.objects.filter(
        line__order__supplier=supplier, received_on__gte=first, received_on__lt=after
    ).values_list("received_on", "quantity", "defective"):
        k = bucket(day)
        defects[k][0] += quantity
        defects[k][1] += defective
    for day, quantity in ReturnDefect.objects.filter(
        supplier=supplier, recorded_on__gte=first, recorded_on__lt=after
    ).values_list("recorded_on", "quantity"):
        defects[bucket(day)][1] += quantity

    rows = []
    for k, start in enumerate(starts):
        end = _quarter_shift(start, 1) - timedelta(days=1)
        lines, timely = on_time[k]
        ordered, filled = fill[k]
        received, defective = defects[k]
        rows.append(
            QuarterScore(
                label=f"{start.year}Q{(start.month - 1) // 3 + 1}",
                start=start,
                end=end,
                lines_received=lines,
                lines_on_time=timely,
                on_time_rate=_rate(timely, lines),
                units_ordered=ordered,
                units_filled=filled,
                fill_rate=_rate(filled, ordered),
                units_received=received,
                units_defective=defective,
                defect_rate=_rate(defective, received),
            )
        )
    trend = {}
    for name in SCORE_RATES:
        now = getattr(rows[-1], name)
        before = getattr(rows[-2], name) if len(rows) > 1 else None
        trend[name] = None if now is None or before is None else now - before
    return Scorecard(quarters=rows, trend=trend)


# -- sourcing risk ------------------------------------------------------------------------------------------


def sku_supplier_shortfall_list(*, minimum: int = MIN_QUALIFIED_SUPPLIERS):
    """Active core SKUs (role hero or core) with fewer than `minimum` qualified, active suppliers, fewest
    first, then by code; each annotated with `qualified_suppliers`."""
    return (
        catalog_selectors.sku_list(active=True)
        .filter(role__in=CORE_ROLES)
        .annotate(
            qualified_suppliers=Count(
                "supplier_items",
                filter=Q(supplier_items__supplier__qualified=True, supplier_items__supplier__active=True),
            )
        )
        .filter(qualified_suppliers__lt=minimum)
        .order_by("qualified_suppliers", "code")
    )


def sku_supplier_shortfall_count(*, minimum: int = MIN_QUALIFIED_SUPPLIERS) -> int:
    return sku_supplier_shortfall_list(minimum=minimum).count()
