"""Writes to stock. Every change is a StockMovement written in the same transaction as the level change.

Levels are locked with select_for_update() in primary-key order, once per transaction, so concurrent
writers queue instead of deadlocking, and the database CHECKs (0 <= reserved <= on_hand) stop any write
that would oversell.
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory.models import StockLevel, StockMovement, UnmetDemand, Warehouse
from shopops.common.audit import AuditRecord, audit_record_many
from shopops.common.bulk import pg_execute, rows_insert
from shopops.common.regions import province_normalize

MOVEMENT_FIELDS = [
    "sku",
    "warehouse",
    "kind",
    "on_hand_delta",
    "reserved_delta",
    "reference",
    "reason",
    "created_by",
    "created_at",
]


@dataclass(frozen=True)
class MovementSpec:
    sku_id: int
    warehouse_id: int
    kind: str
    on_hand_delta: int = 0
    reserved_delta: int = 0
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True)
class DemandLine:
    key: Hashable  # the caller's id for the line (e.g. an order line id)
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class Demand:
    """One order's request for stock, routed as a whole when one warehouse can ship it all."""

    reference: str
    province: str
    day: date
    lines: list[DemandLine]
    ship: bool = False  # the goods already left: reserve and ship at once


@dataclass(frozen=True)
class Allocation:
    key: Hashable
    sku_id: int
    warehouse_id: int
    quantity: int


@dataclass
class ReserveResult:
    allocations: list[Allocation] = field(default_factory=list)
    backordered: dict[Hashable, int] = field(default_factory=dict)


def _levels_locked(sku_ids: list[int]) -> list[tuple]:
    """(pk, sku_id, warehouse_id, on_hand, reserved) of every level of these SKUs, locked in pk order."""
    if connection.vendor == "postgresql":
        return pg_execute(
            "SELECT id, sku_id, warehouse_id, on_hand, reserved FROM inventory_stocklevel "
            "WHERE sku_id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
            [sku_ids],
        )
    return list(
        StockLevel.objects.select_for_update()
        .filter(sku_id__in=sku_ids)
        .order_by("pk")
        .values_list("pk", "sku_id", "warehouse_id", "on_hand", "reserved")
    )


class _Levels:
    """The locked stock levels of one transaction, changed in memory and written once."""

    def __init__(self, sku_ids: Iterable[int]):
        rows = _levels_locked(sorted(set(sku_ids)))
        self.pk: dict[tuple[int, int], int] = {}
        self.on_hand: dict[tuple[int, int], int] = {}
        self.reserved: dict[tuple[int, int], int] = {}
        for pk, sku_id, warehouse_id, on_hand, reserved in rows:
            key = (sku_id, warehouse_id)
            self.pk[key], self.on_hand[key], self.reserved[key] = pk, on_hand, reserved
        self.changed: set[tuple[int, int]] = set()
        self.movements: list[tuple[MovementSpec, object]] = []

    def available(self, sku_id: int, warehouse_id: int) -> int:
        key = (sku_id, warehouse_id)
        return self.on_hand.get(key, 0) - self.reserved.get(key, 0)

    def move(self, spec: MovementSpec, user=None) -> None:
        key = (spec.sku_id, spec.warehouse_id)
        if key not in self.pk:
            self._create(key)
        on_hand = self.on_hand[key] + spec.on_hand_delta
        reserved = self.reserved[key] + spec.reserved_delta
        if on_hand < 0 or reserved < 0 or reserved > on_hand:
            raise ValidationError(
                f"Stock of SKU {spec.sku_id} in warehouse {spec.warehouse_id} would become "
                f"on hand {on_hand}, reserved {reserved}."
            )
        self.on_hand[key], self.reserved[key] = on_hand, reserved
        self.changed.add(key)
        self.movements.append((spec, user))

    def _create(self, key: tuple[int, int]) -> None:
        StockLevel.objects.bulk_create(
            [StockLevel(sku_id=key[0], warehouse_id=key[1])], ignore_conflicts=True
        )
        level = StockLevel.objects.select_for_update().get(sku_id=key[0], warehouse_id=key[1])
        self.pk[key], self.on_hand[key], self.reserved[key] = level.pk, level.on_hand, level.reserved

    def write(self, *, fast: bool = True) -> list[StockMovement]:
        """Write the levels and the ledger rows. `fast` skips building saved model objects (hot path)."""
        if not self.changed:
            return []
        keys = sorted(self.changed, key=self.pk.__getitem__)
        now = timezone.now()
        try:
            if connection.vendor == "postgresql":
                pg_execute(
                    "UPDATE inventory_stocklevel AS s SET on_hand = v.on_hand, reserved = v.reserved, "
                    "updated_at = %s FROM unnest(%s::bigint[], %s::int[], %s::int[]) "
                    "AS v(id, on_hand, reserved) WHERE s.id = v.id",
                    [
                        now,
                        [self.pk[k] for k in keys],
                        [self.on_hand[k] for k in keys],
                        [self.reserved[k] for k in keys],
                    ],
                )
            else:
                StockLevel.objects.bulk_update(
                    [
                        StockLevel(
                            pk=self.pk[k],
                            sku_id=k[0],
                            warehouse_id=k[1],
                            on_hand=self.on_hand[k],
                            reserved=self.reserved[k],
                            updated_at=now,
                        )
                        for k in keys
                    ],
                    ["on_hand", "reserved", "updated_at"],
                    batch_size=500,
                )
        except IntegrityError as exc:  # the database CHECKs are the last line of defence
            raise ValidationError(str(exc)) from exc
        if not fast:
            return StockMovement.objects.bulk_create(
                [
                    StockMovement(
                        sku_id=m.sku_id,
                        warehouse_id=m.warehouse_id,
                        kind=m.kind,
                        on_hand_delta=m.on_hand_delta,
                        reserved_delta=m.reserved_delta,
                        reference=m.reference[:100],
                        reason=m.reason[:200],
                        created_by=user,
                    )
                    for m, user in self.movements
                ],
                batch_size=2000,
            )
        rows_insert(
            StockMovement,
            MOVEMENT_FIELDS,
            [
                (
                    m.sku_id,
                    m.warehouse_id,
                    m.kind,
                    m.on_hand_delta,
                    m.reserved_delta,
                    m.reference[:100],
                    m.reason[:200],
                    user.pk if user else None,
                    now,
                )
                for m, user in self.movements
            ],
        )
        return []


@transaction.atomic
def stock_movements_apply(*, movements: list[MovementSpec], user=None) -> list[StockMovement]:
    """Apply movements to their stock levels (creating missing levels) and append them to the ledger."""
    if not movements:
        return []
    levels = _Levels(m.sku_id for m in movements)
    adjusted = []
    for index, spec in enumerate(movements):
        key = (spec.sku_id, spec.warehouse_id)
        before = levels.on_hand.get(key, 0)
        levels.move(spec, user)
        if spec.kind == StockMovement.Kind.ADJUSTMENT:
            adjusted.append((index, spec, before, levels.on_hand[key]))
    written = levels.write(fast=False)
    if adjusted:
        _adjustments_audit(levels, adjusted, written, user)
    return written


def _adjustments_audit(levels: _Levels, adjusted: list[tuple], written: list[StockMovement], user) -> None:
    """Stock adjustments (by hand, or a stocktake's approved variances) in the audit trail: on hand before
    → after of the stock level, with the reason. Reservations and shipments, the order sync's hot path, are
    in the ledger only."""
    level_ids = {levels.pk[(spec.sku_id, spec.warehouse_id)] for _i, spec, _b, _a in adjusted}
    names = {
        pk: f"{sku_code} @ {warehouse_code}"
        for pk, sku_code, warehouse_code in StockLevel.objects.filter(pk__in=level_ids).values_list(
            "pk", "sku__code", "warehouse__code"
        )
    }
    records = []
    for index, spec, before, after in adjusted:
        pk = levels.pk[(spec.sku_id, spec.warehouse_id)]
        data = {"kind": spec.kind, "reason": spec.reason, "reference": spec.reference}
        if index < len(written) and written[index].pk:
            data["movement"] = written[index].pk
        records.append(
            AuditRecord(StockLevel, "update", {"on_hand": [before, after]}, pk, names.get(pk, ""), data)
        )
    audit_record_many(records, actor=user)


def warehouse_route(province: str, warehouses: list[Warehouse]) -> list[int]:
    """Warehouse ids nearest first for a delivery province.

    A warehouse that lists the province in its `provinces_served` (nearest first) ranks by the position
    of the province in that list; warehouses that do not serve it come after, by code.
    """
    name = province_normalize(province)

    def rank(warehouse: Warehouse):
        served = warehouse.provinces_served or []
        return (
            (served.index(name), warehouse.code) if name in served else (len(served) + 1000, warehouse.code)
        )

    return [w.pk for w in sorted(warehouses, key=rank)]


@transaction.atomic
def stock_reserve(
    *, demands: list[Demand], releases: list[MovementSpec] = (), shipments: list[MovementSpec] = (), user=None
) -> ReserveResult:
    """Reserve (or reserve and ship) stock for orders, after applying releases and shipments, in one pass.

    Routing per order: the nearest warehouse that can ship the whole order; else each line from the
    nearest warehouse that has it all; else the line is split over warehouses nearest first. What nobody
    can cover is backordered and recorded as unmet demand. All levels involved are locked once, in
    primary-key order, so concurrent syncs never deadlock and never reserve more than is on hand.
    """
    sku_ids = {line.sku_id for d in demands for line in d.lines}
    sku_ids |= {m.sku_id for m in releases} | {m.sku_id for m in shipments}
    result = ReserveResult()
    if not sku_ids:
        return result
    levels = _Levels(sku_ids)
    for spec in [*releases, *shipments]:
        levels.move(spec, user)

    warehouses = list(Warehouse.objects.filter(active=True))
    routes: dict[str, list[int]] = {}
    unmet: dict[tuple[int, date, str, str, int | None], int] = defaultdict(int)
    for demand in demands:
        route = routes.get(demand.province)
        if route is None:
            route = routes[demand.province] = warehouse_route(demand.province, warehouses)
        plan = _plan(demand, route, levels)
        kind = StockMovement.Kind.SHIPMENT if demand.ship else StockMovement.Kind.RESERVATION
        for line, warehouse_id, quantity in plan:
            if demand.ship:
                spec = MovementSpec(
                    line.sku_id, warehouse_id, kind, on_hand_delta=-quantity, reference=demand.reference
                )
            else:
                spec = MovementSpec(
                    line.sku_id, warehouse_id, kind, reserved_delta=quantity, reference=demand.reference
                )
            levels.move(spec, user)
            result.allocations.append(Allocation(line.key, line.sku_id, warehouse_id, quantity))
        covered: dict[Hashable, int] = defaultdict(int)
        for line, _, quantity in plan:
            covered[line.key] += quantity
        for line in demand.lines:
            short = line.quantity - covered[line.key]
            if short > 0:
                result.backordered[line.key] = short
                key = (
                    line.sku_id,
                    demand.day,
                    province_normalize(demand.province),
                    demand.reference,
                    route[0] if route else None,  # the nearest warehouse: where it would have shipped from
                )
                unmet[key] += short
    levels.write()
    rows_insert(
        UnmetDemand,
        ["sku", "day", "province", "reference", "warehouse", "quantity", "created_at"],
        [
            (sku_id, day, province[:30], reference[:100], warehouse_id, qty, timezone.now())
            for (sku_id, day, province, reference, warehouse_id), qty in unmet.items()
        ],
    )
    return result


def _plan(demand: Demand, route: list[int], levels: _Levels) -> list[tuple[DemandLine, int, int]]:
    """Which warehouse gives how many units of each line (see stock_reserve for the rule)."""
    needed: dict[int, int] = defaultdict(int)
    for line in demand.lines:
        needed[line.sku_id] += line.quantity
    for warehouse_id in route:
        if all(levels.available(sku_id, warehouse_id) >= qty for sku_id, qty in needed.items()):
            return [(line, warehouse_id, line.quantity) for line in demand.lines]
    plan = []
    taken: dict[tuple[int, int], int] = defaultdict(int)

    def free(sku_id, warehouse_id):
        return levels.available(sku_id, warehouse_id) - taken[(sku_id, warehouse_id)]

    for line in demand.lines:
        whole = next((w for w in route if free(line.sku_id, w) >= line.quantity), None)
        if whole is not None:
            plan.append((line, whole, line.quantity))
            taken[(line.sku_id, whole)] += line.quantity
            continue
        remaining = line.quantity
        for warehouse_id in route:
            give = min(remaining, free(line.sku_id, warehouse_id))
            if give > 0:
                plan.append((line, warehouse_id, give))
                taken[(line.sku_id, warehouse_id)] += give
                remaining -= give
            if remaining == 0:
                break
    return plan


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
