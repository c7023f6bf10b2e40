"""Stock ledger operations: adjustments, returns, transfers between warehouses and stocktakes.

Every stock change goes through `inventory.services.stock_movements_apply`, in the same transaction as the
document it belongs to (a transfer shipped, a stocktake approved), so a refusal writes nothing at all.
Documents are locked (select_for_update) before the stock levels, always in that order, so two people
acting on the same transfer or stocktake queue instead of applying it twice.

Numbers (TR-000123, ST-000045) come from the row's primary key: the row is inserted with a unique
placeholder and renumbered in the same transaction, so concurrent creators can never draw the same number.

Stocktakes: a count sheet lists every SKU that has a stock level in the warehouse, or, with a zone, those
whose category code starts with the zone (zones are category code prefixes, e.g. "kitchen" or
"kitchen-knives"; blank = the whole warehouse). `expected` is the on hand when the sheet is made, and is
re-based to the on hand at the moment a count is recorded for the line (the book quantity the count is
compared with must be the one of the instant of counting). On approval each non-zero variance
(counted - expected) is applied as a *delta*, not by setting on hand to the count: stock that moved
between the count and the approval (a shipment, a receipt) then stays accounted for. Two open stocktakes
of the same warehouse may not overlap (same zone, one zone a prefix of the other, or a whole-warehouse
sheet), else the same variance would be applied twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import (
    Receipt,
    ReturnDefect,
    StockLevel,
    StockMovement,
    Stocktake,
    StocktakeLine,
    Supplier,
    SupplierSKU,
    Transfer,
    TransferLine,
    Warehouse,
)
from inventory.services import MovementSpec, stock_adjust, stock_movements_apply

__all__ = [
    "stock_adjust",
    "stock_return",
    "stock_scrap_return",
    "return_supplier",
    "transfer_create",
    "transfer_ship",
    "transfer_receive",
    "transfer_cancel",
    "stocktake_create",
    "stocktake_count",
    "stocktake_submit",
    "stocktake_approve",
    "stocktake_cancel",
    "movement_list",
    "transfer_list",
    "stocktake_list",
]

TRANSFER_PREFIX = "TR"
STOCKTAKE_PREFIX = "ST"


def _placeholder() -> str:
    return f"new-{uuid.uuid4().hex[:24]}"


def _number(prefix: str, pk: int) -> str:
    return f"{prefix}-{pk:06d}"


def _quantity(value, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(_("Quantities must be whole numbers of at least %(min)s.") % {"min": minimum})
    return value


# --- returns ----------------------------------------------------------------------------------------------


def stock_return(
    *, sku_id: int, warehouse: Warehouse, quantity: int, reference: str, reason: str = "", user=None
) -> StockMovement:
    """Goods a customer sent back, put back on the shelf: on hand up by `quantity` (kind return)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError({"quantity": _("A return must add at least one unit.")})
    if not reference.strip():
        raise ValidationError({"reference": _("A return needs a reference (the order or return number).")})
    return stock_movements_apply(
        movements=[
            MovementSpec(
                sku_id,
                warehouse.pk,
                StockMovement.Kind.RETURN,
                on_hand_delta=quantity,
                reference=reference.strip(),
                reason=reason.strip(),
            )
        ],
        user=user,
    )[0]


def return_supplier(sku_id: int, on: date) -> Supplier | None:
    """The supplier a returned unit most likely came from: the one whose receipt of the SKU was the last
    on or before `on`, else the cheapest supplier listing the SKU."""
    receipt = (
        Receipt.objects.filter(line__sku_id=sku_id, received_on__lte=on)
        .order_by("-received_on", "-id")
        .select_related("line__order__supplier")
        .first()
    )
    if receipt is not None:
        return receipt.line.order.supplier
    item = SupplierSKU.objects.filter(sku_id=sku_id).order_by("unit_cost", "supplier_id").first()
    return item.supplier if item else None


@transaction.atomic
def stock_scrap_return(
    *,
    sku_id: int,
    warehouse: Warehouse,
    quantity: int,
    reference: str,
    reason: str = "",
    on: date | None = None,
) -> ReturnDefect:
    """Returned units found defective: they never reach the shelf (no stock movement) and are recorded
    against the SKU's supplier, where they raise the scorecard's defect rate."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError({"quantity": _("Scrapping needs at least one unit.")})
    if not reference.strip():
        raise ValidationError({"reference": _("A return needs a reference (the order or return number).")})
    on = on or timezone.localdate()
    return ReturnDefect.objects.create(
        sku_id=sku_id,
        supplier=return_supplier(sku_id, on),
        warehouse=warehouse,
        quantity=quantity,
        reference=reference.strip(),
        reason=reason.strip()[:200],
        recorded_on=on,
    )


# --- transfers --------------------------------------------------------------------------------------------


@transaction.atomic
def transfer_create(
    *,
    source: Warehouse,
    destination: Warehouse,
    lines: Iterable[tuple[int, int]],
    expected_on: date | None = None,
    note: str = "",
    user=None,
) -> Transfer:
    """A draft transfer of (sku_id, quantity) lines from `source` to `destination`. No stock moves yet."""
    lines = list(lines)
    if source.pk == destination.pk:
        raise ValidationError({"destination": _("A transfer needs two different warehouses.")})
    if not lines:
        raise ValidationError({"lines": _("A transfer needs at least one line.")})
    seen: set[int] = set()
    for sku_id, quantity in lines:
        _quantity(quantity, minimum=1)
        if sku_id in seen:
            raise ValidationError({"lines": _("Each SKU may be listed only once.")})
        seen.add(sku_id)
    transfer = Transfer.objects.create(
        number=_placeholder(), source=source, destination=destination, expected_on=expected_on, note=note
    )
    transfer.number = _number(TRANSFER_PREFIX, transfer.pk)
    transfer.save(update_fields=["number"])
    TransferLine.objects.bulk_create(
        [TransferLine(transfer=transfer, sku_id=sku_id, quantity=quantity) for sku_id, quantity in lines]
    )
    return transfer


def _transfer_locked(transfer: Transfer) -> Transfer:
    return Transfer.objects.select_for_update().get(pk=transfer.pk)


@transaction.atomic
def transfer_ship(*, transfer: Transfer, expected_on: date | None = None, user=None) -> Transfer:
    """Ship a draft transfer: one transfer_out per line from the source (on hand down), status in transit.

    Refused, with nothing written, when the source does not have the quantity available (on hand minus
    reserved): units promised to orders are not shipped away."""
    transfer = _transfer_locked(transfer)
    if transfer.status != Transfer.Status.DRAFT:
        raise ValidationError(_("Only a draft transfer can be shipped."))
    lines = list(transfer.lines.select_related("sku").order_by("sku__code"))
    if not lines:
        raise ValidationError(_("A transfer needs at least one line."))
    available = {
        sku_id: on_hand - reserved
        for sku_id, on_hand, reserved in StockLevel.objects.filter(
            warehouse_id=transfer.source_id, sku_id__in=[line.sku_id for line in lines]
        ).values_list("sku_id", "on_hand", "reserved")
    }
    short = [
        _("%(sku)s: %(wanted)s wanted, %(available)s available")
        % {"sku": line.sku.code, "wanted": line.quantity, "available": available.get(line.sku_id, 0)}
        for line in lines
        if available.get(line.sku_id, 0) < line.quantity
    ]
    if short:
        raise ValidationError(_("Not enough stock at the source: %(lines)s.") % {"lines": "; ".join(short)})
    # The check above reads without locks (for a readable message); stock_movements_apply re-checks under
    # its locks and refuses (rolling everything back) if the stock moved in between.
    stock_movements_apply(
        movements=[
            MovementSpec(
                line.sku_id,
                transfer.source_id,
                StockMovement.Kind.TRANSFER_OUT,
                on_hand_delta=-line.quantity,
                reference=transfer.number,
            )
            for line in lines
        ],
        user=user,
    )
    transfer.status = Transfer.Status.IN_TRANSIT
    transfer.shipped_at = timezone.now()
    if expected_on is not None:
        transfer.expected_on = expected_on
    transfer.save(update_fields=["status", "shipped_at", "expected_on", "updated_at"])
    return transfer


@transaction.atomic
def transfer_receive(*, transfer: Transfer, quantities: Mapping[int, int], user=None) -> Transfer:
    """Receive units of an in-transit transfer at the destination: {line id: units arrived now}.

    Partial receipt is allowed per line (never more than is still outstanding); the transfer becomes
    received when every line is complete."""
    transfer = _transfer_locked(transfer)
    if transfer.status != Transfer.Status.IN_TRANSIT:
        raise ValidationError(_("Only a transfer in transit can be received."))
    lines = {line.pk: line for line in transfer.lines.select_related("sku").order_by("pk")}
    unknown = set(quantities) - set(lines)
    if unknown:
        raise ValidationError(_("These lines are not on the transfer: %(ids)s.") % {"ids": sorted(unknown)})
    movements = []
    changed = []
    for line_id, quantity in sorted(quantities.items()):
        _quantity(quantity, minimum=0)
        line = lines[line_id]
        outstanding = line.quantity - line.received
        if quantity > outstanding:
            raise ValidationError(
                _("%(sku)s: %(quantity)s received but only %(outstanding)s outstanding.")
                % {"sku": line.sku.code, "quantity": quantity, "outstanding": outstanding}
            )
        if quantity == 0:
            continue
        line.received += quantity
        changed.append(line)
        movements.append(
            MovementSpec(
                line.sku_id,
                transfer.destination_id,
                StockMovement.Kind.TRANSFER_IN,
                on_hand_delta=quantity,
                reference=transfer.number,
            )
        )
    if not movements:
        raise ValidationError(_("Enter the units received for at least one line."))
    stock_movements_apply(movements=movements, user=user)
    TransferLine.objects.bulk_update(changed, ["received"])
    if all(line.received == line.quantity for line in lines.values()):
        transfer.status = Transfer.Status.RECEIVED
        transfer.received_at = timezone.now()
        transfer.save(update_fields=["status", "received_at", "updated_at"])
    return transfer


@transaction.atomic
def transfer_close_short(*, transfer: Transfer, reason: str, user=None) -> Transfer:
    """Close an in-transit transfer whose remaining units will never arrive (lost or damaged on the way).

    The units left the source's stock when the transfer shipped, so no movement is written: what was not
    received is simply no longer in transit. The shortfall and the reason are kept in the transfer's note.
    """
    transfer = _transfer_locked(transfer)
    if transfer.status != Transfer.Status.IN_TRANSIT:
        raise ValidationError(_("Only a transfer in transit can be closed short."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the rest will not arrive.")})
    missing = sum(line.quantity - line.received for line in transfer.lines.all())
    note = _("Closed short: %(missing)d units not received (%(reason)s).") % {
        "missing": missing,
        "reason": reason.strip(),
    }
    transfer.note = f"{transfer.note} {note}".strip()[:300]
    transfer.status = Transfer.Status.RECEIVED
    transfer.received_at = timezone.now()
    transfer.save(update_fields=["status", "received_at", "note", "updated_at"])
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, user=None) -> Transfer:
    """Cancel a draft transfer (nothing has moved yet). Shipped goods must be received instead."""
    transfer = _transfer_locked(transfer)
    if transfer.status != Transfer.Status.DRAFT:
        raise ValidationError(_("Only a draft transfer can be cancelled."))
    transfer.status = Transfer.Status.CANCELLED
    transfer.save(update_fields=["status", "updated_at"])
    return transfer


# --- stocktakes -------------------------------------------------------------------------------------------

OPEN_STOCKTAKE = (Stocktake.Status.COUNTING, Stocktake.Status.REVIEW)


def _zones_overlap(a: str, b: str) -> bool:
    return not a or not b or a.startswith(b) or b.startswith(a)


@transaction.atomic
def stocktake_create(*, warehouse: Warehouse, zone: str = "", user=None) -> Stocktake:
    """A count sheet for a warehouse (or a zone: a category code prefix), expected = on hand now."""
    zone = zone.strip()
    # Lock the warehouse row so that two people cannot open overlapping sheets at the same time.
    Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    for other in Stocktake.objects.filter(warehouse=warehouse, status__in=OPEN_STOCKTAKE):
        if _zones_overlap(zone, other.zone):
            raise ValidationError(
                {
                    "zone": _("Stocktake %(number)s of this warehouse is still open and covers this zone.")
                    % {"number": other.number}
                }
            )
    levels = StockLevel.objects.filter(warehouse=warehouse)
    if zone:
        levels = levels.filter(sku__product__category__code__startswith=zone)
    rows = list(levels.order_by("sku__code").values_list("sku_id", "on_hand"))
    if not rows:
        raise ValidationError({"zone": _("No stock is kept there: nothing to count.")})
    stocktake = Stocktake.objects.create(number=_placeholder(), warehouse=warehouse, zone=zone)
    stocktake.number = _number(STOCKTAKE_PREFIX, stocktake.pk)
    stocktake.save(update_fields=["number"])
    StocktakeLine.objects.bulk_create(
        [StocktakeLine(stocktake=stocktake, sku_id=sku_id, expected=on_hand) for sku_id, on_hand in rows],
        batch_size=1000,
    )
    return stocktake


def _stocktake_locked(stocktake: Stocktake) -> Stocktake:
    return Stocktake.objects.select_for_update().get(pk=stocktake.pk)


@transaction.atomic
def stocktake_count(*, stocktake: Stocktake, counts: Mapping[int, int | None], user=None) -> Stocktake:
    """Record counted quantities {line id: units counted, or None to clear} while counting.

    A line whose count changes has its expected re-based to the on hand of this moment, the book quantity
    that the physical count is compared with."""
    stocktake = _stocktake_locked(stocktake)
    if stocktake.status != Stocktake.Status.COUNTING:
        raise ValidationError(_("Counts can be entered only while the stocktake is counting."))
    lines = {line.pk: line for line in stocktake.lines.filter(pk__in=list(counts))}
    unknown = set(counts) - set(lines)
    if unknown:
        raise ValidationError(_("These lines are not on the sheet: %(ids)s.") % {"ids": sorted(unknown)})
    changed = [line for line_id, line in lines.items() if line.counted != counts[line_id]]
    for line in changed:
        if counts[line.pk] is not None:
            _quantity(counts[line.pk], minimum=0)
    on_hand = dict(
        StockLevel.objects.filter(
            warehouse_id=stocktake.warehouse_id, sku_id__in=[line.sku_id for line in changed]
        ).values_list("sku_id", "on_hand")
    )
    for line in changed:
        line.counted = counts[line.pk]
        if line.counted is not None:
            line.expected = on_hand.get(line.sku_id, 0)
    StocktakeLine.objects.bulk_update(changed, ["counted", "expected"], batch_size=1000)
    return stocktake


@transaction.atomic
def stocktake_line_add(*, stocktake: Stocktake, sku_id: int, counted: int, user=None) -> StocktakeLine:
    """Add a SKU found on the shelf that is not on the sheet (no stock was booked there, or it belongs to
    another zone), with its count; expected is what the books hold there now (0 without a level)."""
    stocktake = _stocktake_locked(stocktake)
    if stocktake.status != Stocktake.Status.COUNTING:
        raise ValidationError(_("Lines can be added only while the stocktake is counting."))
    _quantity(counted, minimum=0)
    if stocktake.lines.filter(sku_id=sku_id).exists():
        raise ValidationError({"sku": _("This SKU is already on the sheet: enter its count there.")})
    level = StockLevel.objects.filter(warehouse_id=stocktake.warehouse_id, sku_id=sku_id).first()
    return StocktakeLine.objects.create(
        stocktake=stocktake, sku_id=sku_id, expected=level.on_hand if level else 0, counted=counted
    )


@transaction.atomic
def stocktake_submit(*, stocktake: Stocktake, user=None) -> Stocktake:
    """Counting done: every line must be counted; the stocktake goes to variance review."""
    stocktake = _stocktake_locked(stocktake)
    if stocktake.status != Stocktake.Status.COUNTING:
        raise ValidationError(_("Only a stocktake being counted can be submitted."))
    missing = stocktake.lines.filter(counted__isnull=True).count()
    if missing:
        raise ValidationError(
            _("%(count)s lines are not counted yet: count every line (0 if none are there).")
            % {"count": missing}
        )
    stocktake.status = Stocktake.Status.REVIEW
    stocktake.save(update_fields=["status", "updated_at"])
    return stocktake


@transaction.atomic
def stocktake_approve(*, stocktake: Stocktake, user=None) -> list[StockMovement]:
    """Approve the variances: one adjustment per non-zero variance, delta = counted - expected."""
    stocktake = _stocktake_locked(stocktake)
    if stocktake.status != Stocktake.Status.REVIEW:
        raise ValidationError(_("Only a stocktake in variance review can be approved."))
    reason = f"stocktake {stocktake.number}"
    movements = [
        MovementSpec(
            line.sku_id,
            stocktake.warehouse_id,
            StockMovement.Kind.ADJUSTMENT,
            on_hand_delta=line.counted - line.expected,
            reference=stocktake.number,
            reason=reason,
        )
        for line in stocktake.lines.exclude(counted=F("expected")).order_by("sku_id")
    ]
    written = stock_movements_apply(movements=movements, user=user)
    stocktake.status = Stocktake.Status.APPROVED
    stocktake.approved_by = user if user is not None and user.is_authenticated else None
    stocktake.approved_at = timezone.now()
    stocktake.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return written


@transaction.atomic
def stocktake_cancel(*, stocktake: Stocktake, user=None) -> Stocktake:
    """Drop an open stocktake; nothing is adjusted."""
    stocktake = _stocktake_locked(stocktake)
    if stocktake.status not in OPEN_STOCKTAKE:
        raise ValidationError(_("Only an open stocktake can be cancelled."))
    stocktake.status = Stocktake.Status.CANCELLED
    stocktake.save(update_fields=["status", "updated_at"])
    return stocktake


# --- reads for the pages ----------------------------------------------------------------------------------


def movement_list(
    *,
    sku: str = "",
    warehouse: str = "",
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    reference: str = "",
) -> QuerySet[StockMovement]:
    """The ledger, newest first. `sku` is a code (exact), `warehouse` a code; dates in the shop's zone."""
    qs = StockMovement.objects.select_related("sku", "warehouse", "created_by")
    if sku:
        qs = qs.filter(sku__code=sku)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if kind:
        qs = qs.filter(kind=kind)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    if reference:
        qs = qs.filter(reference=reference)
    return qs.order_by("-created_at", "-id")


def transfer_list(*, status: str = "", warehouse: str = "") -> QuerySet[Transfer]:
    qs = Transfer.objects.select_related("source", "destination").annotate(
        line_count=Count("lines"), units=Sum("lines__quantity"), units_received=Sum("lines__received")
    )
    if status:
        qs = qs.filter(status=status)
    if warehouse:
        qs = qs.filter(Q(source__code=warehouse) | Q(destination__code=warehouse))
    return qs.order_by("-created_at", "-id")


def stocktake_list(*, status: str = "", warehouse: str = "") -> QuerySet[Stocktake]:
    qs = Stocktake.objects.select_related("warehouse", "approved_by").annotate(
        line_count=Count("lines"),
        counted_count=Count("lines", filter=Q(lines__counted__isnull=False)),
        variance_count=Count(
            "lines", filter=Q(lines__counted__isnull=False) & ~Q(lines__counted=F("lines__expected"))
        ),
    )
    if status:
        qs = qs.filter(status=status)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    return qs.order_by("-created_at", "-id")


def stocktake_line_list(*, stocktake: Stocktake, only_variances: bool = False) -> QuerySet[StocktakeLine]:
    qs = stocktake.lines.select_related("sku").annotate(delta=F("counted") - F("expected"))
    if only_variances:
        qs = qs.filter(counted__isnull=False).exclude(counted=F("expected"))
    return qs.order_by("sku__code", "id")


def stocktake_variance_summary(*, stocktake: Stocktake) -> dict:
    """Lines with a variance, units over and short, and their value at unit cost."""
    over = short = 0
    value = 0
    lines = 0
    for delta, cost in (
        stocktake.lines.filter(counted__isnull=False)
        .exclude(counted=F("expected"))
        .annotate(delta=F("counted") - F("expected"))
        .values_list("delta", "sku__unit_cost")
    ):
        lines += 1
        if delta > 0:
            over += delta
        else:
            short += -delta
        value += delta * cost
    return {"lines": lines, "over": over, "short": short, "value": value}
