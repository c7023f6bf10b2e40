"""Writes to stock. Every change is a StockMovement written in the same transaction as the level change.

Levels are locked with select_for_update() in primary-key order, so concurrent writers queue instead of
deadlocking, and the database CHECKs (0 <= reserved <= on_hand) stop any write that would oversell.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inventory.models import StockLevel, StockMovement, Warehouse


@dataclass(frozen=True)
class MovementSpec:
    sku_id: int
    warehouse_id: int
    kind: str
    on_hand_delta: int = 0
    reserved_delta: int = 0
    reference: str = ""
    reason: str = ""


@transaction.atomic
def stock_movements_apply(*, movements: list[MovementSpec], user=None) -> list[StockMovement]:
    """Apply movements to their stock levels (creating missing levels) and append them to the ledger."""
    if not movements:
        return []
    keys = sorted({(m.sku_id, m.warehouse_id) for m in movements})
    existing = set(
        StockLevel.objects.filter(
            sku_id__in={k[0] for k in keys}, warehouse_id__in={k[1] for k in keys}
        ).values_list("sku_id", "warehouse_id")
    )
    missing = [StockLevel(sku_id=s, warehouse_id=w) for s, w in keys if (s, w) not in existing]
    StockLevel.objects.bulk_create(missing, ignore_conflicts=True)
    levels = {
        (level.sku_id, level.warehouse_id): level
        for level in StockLevel.objects.select_for_update()
        .filter(sku_id__in={k[0] for k in keys}, warehouse_id__in={k[1] for k in keys})
        .order_by("pk")
    }
    for m in movements:
        level = levels[(m.sku_id, m.warehouse_id)]
        level.on_hand += m.on_hand_delta
        level.reserved += m.reserved_delta
        if level.on_hand < 0 or level.reserved < 0 or level.reserved > level.on_hand:
            raise ValidationError(
                f"Stock of SKU {m.sku_id} in warehouse {m.warehouse_id} would become "
                f"on hand {level.on_hand}, reserved {level.reserved}."
            )
    try:
        StockLevel.objects.bulk_update(
            [levels[k] for k in keys if k in levels], ["on_hand", "reserved", "updated_at"]
        )
    except IntegrityError as exc:  # the database CHECKs are the last line of defence
        raise ValidationError(str(exc)) from exc
    return StockMovement.objects.bulk_create(
        [
            StockMovement(
                sku_id=m.sku_id,
                warehouse_id=m.warehouse_id,
                kind=m.kind,
                on_hand_delta=m.on_hand_delta,
                reserved_delta=m.reserved_delta,
                reference=m.reference,
                reason=m.reason,
                created_by=user,
            )
            for m in movements
        ]
    )


def stock_receive(*, sku_id: int, warehouse: Warehouse, quantity: int, reference: str, user=None):
    if quantity <= 0:
        raise ValidationError({"quantity": "A receipt must add at least one unit."})
    return stock_movements_apply(
        movements=[
            MovementSpec(
                sku_id, warehouse.pk, StockMovement.Kind.RECEIPT, on_hand_delta=quantity, reference=reference
            )
        ],
        user=user,
    )[0]


def stock_adjust(*, sku_id: int, warehouse: Warehouse, delta: int, reason: str, user=None):
    if delta == 0:
        raise ValidationError({"delta": "An adjustment must change the stock."})
    if not reason.strip():
        raise ValidationError({"reason": "An adjustment needs a reason."})
    return stock_movements_apply(
        movements=[
            MovementSpec(
                sku_id, warehouse.pk, StockMovement.Kind.ADJUSTMENT, on_hand_delta=delta, reason=reason
            )
        ],
        user=user,
    )[0]
