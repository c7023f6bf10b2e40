"""Order writes: the bulk sync channel clients push orders through, and what it does to stock.

`order_sync` applies a batch of orders for one channel. Each order is validated on its own: a rejected
order writes nothing and is reported with field errors, the valid ones are applied together in one
transaction. Sending the same payload again changes nothing; an update older than what is stored is
ignored as stale; illegal status moves are refused. New open orders reserve stock (inventory routes them
to warehouses), cancellations release it, shipping turns reservations into shipments — in the same
transaction as the order change.
"""

import hashlib
import importlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from celery import current_app
from django.apps import apps as django_apps
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalog import selectors as catalog_selectors
from inventory import services as inventory_services
from inventory.models import StockMovement
from inventory.services import Demand, DemandLine, MovementSpec
from orders import facts
from orders.models import Channel, Customer, Order, OrderAllocation, OrderEvent, OrderException, OrderLine
from orders.rates import rates_for
from orders.schemas import OrderIn, order_hash
from shopops.common import pii
from shopops.common.audit import audit_changes, audit_record
from shopops.common.bulk import pg_execute, rows_insert, rows_insert_with_ids, rows_update
from shopops.common.money import to_money
from shopops.common.outbox import enqueue
from shopops.common.regions import province_is_known, province_normalize

logger = logging.getLogger(__name__)

S = Order.Status
OPEN = {S.PENDING, S.PAID}
SHIPPED = {S.SHIPPED, S.DELIVERED}
# Legal status moves. Staying in the same status is always allowed (other fields may change).
MOVES = {
    S.PENDING: {S.PAID, S.SHIPPED, S.CANCELLED},  # pending -> shipped: cash on delivery
    S.PAID: {S.SHIPPED, S.DELIVERED, S.CANCELLED, S.REFUNDED},
    S.SHIPPED: {S.DELIVERED, S.RETURNED, S.REFUNDED},
    S.DELIVERED: {S.RETURNED, S.REFUNDED},
    S.RETURNED: {S.REFUNDED},
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}


HELD_CANNOT_SHIP = "The order is on hold for risk review; it cannot ship until released."


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict] = field(default_factory=list)

    def reject(self, external_id: str, errors: dict[str, list[str]]) -> None:
        self.rejected.append({"external_id": external_id, "errors": errors})

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass
class _Prepared:
    """A validated order with what the database needs: SKU ids, the rate, its fingerprint."""

    data: OrderIn
    sku_ids: list[int]
    unit_costs: list[Decimal]
    rate: Decimal
    digest: str
    day: date


def order_sync(
    *, channel_code: str, orders: list[OrderIn], source: str = "api", result: SyncResult | None = None
) -> SyncResult:
    """Upsert a batch of already shape-validated orders of one channel (see the module docstring)."""
    result = result or SyncResult()
    channel = Channel.objects.filter(code=channel_code, active=True).first()
    if channel is None:
        for order in orders:
            result.reject(order.external_id, {"channel": [f"Unknown channel '{channel_code}'."]})
        return result
    prepared = _prepare(channel, orders, result)
    if not prepared:
        return result
    try:
        _apply_retrying(channel, prepared, result, source)
    except IntegrityError:
        # Something only the database could see (a constraint). Apply the orders one by one so that the
        # bad one is rejected and the others still land.
        for item in prepared:
            partial = SyncResult()
            try:
                with transaction.atomic():
                    _apply(channel, [item], partial, source)
            except IntegrityError as exc:
                result.reject(
                    item.data.external_id, {"non_field_errors": [f"Refused by the database: {exc}"]}
                )
                continue
            result.created += partial.created
            result.updated += partial.updated
            result.unchanged += partial.unchanged
            result.rejected.extend(partial.rejected)
    return result


def order_total_expected(order: OrderIn) -> Decimal:
    """The total an order's own figures give: sum(quantity x unit_price - discount) - order discount
    + shipping fee + tax. A synced order's `total` must equal it."""
    lines = sum((line.quantity * line.unit_price - line.discount for line in order.lines), Decimal("0.00"))
    return lines - order.order_discount + order.shipping_fee + order.tax


RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


def _apply_retrying(
    channel: Channel, prepared: list[_Prepared], result: SyncResult, source: str, attempts: int = 3
) -> None:
    """Apply in one transaction; a deadlock or serialization failure (the database chose this transaction
    as the victim) is retried from scratch, a few times, before it is let through."""
    for attempt in range(1, attempts + 1):
        partial = SyncResult()
        try:
            with transaction.atomic():
                _apply(channel, prepared, partial, source)
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == attempts:
                raise
            continue
        result.created += partial.created
        result.updated += partial.updated
        result.unchanged += partial.unchanged
        result.rejected.extend(partial.rejected)
        return


def _prepare(channel: Channel, orders: list[OrderIn], result: SyncResult) -> list[_Prepared]:
    """Business validation that needs no lock: known SKUs, totals that add up, an exchange rate."""
    codes = {line.sku for order in orders for line in order.lines}
    skus = catalog_selectors.sku_ids_and_costs(codes=codes)
    tz = timezone.get_current_timezone()
    rates = rates_for(pairs={(o.currency, o.placed_at.astimezone(tz).date()) for o in orders})
    seen: set[str] = set()
    prepared = []
    for order in orders:
        errors: dict[str, list[str]] = {}
        if order.external_id in seen:
            errors["external_id"] = ["Appears more than once in this request."]
        seen.add(order.external_id)
        lines_net = Decimal("0.00")
        for index, line in enumerate(order.lines):
            if line.sku not in skus:
                errors[f"lines[{index}].sku"] = [f"Unknown SKU '{line.sku}'."]
            amount = line.quantity * line.unit_price
            if line.discount > amount:
                errors[f"lines[{index}].discount"] = [
                    f"Discount {line.discount} exceeds the line amount {amount}."
                ]
            lines_net += amount - line.discount
        if order.order_discount > lines_net:
            errors["order_discount"] = [
                f"Discount {order.order_discount} exceeds the lines' amount {lines_net}."
            ]
        expected = lines_net - order.order_discount + order.shipping_fee + order.tax
        if expected != order.total:
            errors["total"] = [
                f"Does not add up: lines {lines_net} - order discount {order.order_discount} + shipping "
                f"{order.shipping_fee} + tax {order.tax} = {expected}, not {order.total}."
            ]
        if order.updated_at < order.placed_at:
            errors["updated_at"] = ["Earlier than placed_at."]
        day = order.placed_at.astimezone(tz).date()
        rate = rates.get((order.currency, day))
        if rate is None:
            errors["currency"] = [f"No exchange rate for {order.currency} on or before {day.isoformat()}."]
        if errors:
            result.reject(order.external_id, errors)
            continue
        prepared.append(
            _Prepared(
                data=order,
                sku_ids=[skus[line.sku][0] for line in order.lines],
                unit_costs=[skus[line.sku][1] for line in order.lines],
                rate=rate,
                digest=order_hash(order),
                day=day,
            )
        )
    return prepared


def _lock_orders(channel: Channel, external_ids: list[str]) -> None:
    """Serialize concurrent syncs of the same orders: one transaction-scoped advisory lock per order key,
    all taken in one sorted pass so two batches never wait on each other in a cycle. (SQLite writes are
    serialized by its database lock already.)"""
    if connection.vendor != "postgresql":
        return
    names = [f"o:{channel.pk}:{e}" for e in external_ids]
    keys = sorted(
        {
            int.from_bytes(hashlib.blake2b(n.encode(), digest_size=8).digest(), "big", signed=True)
            for n in names
        }
    )
    pg_execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k", [keys])


def _apply(channel: Channel, batch: list[_Prepared], result: SyncResult, source: str) -> None:
    _lock_orders(channel, [p.data.external_id for p in batch])
    existing = {
        row["external_id"]: row for row in _orders_existing(channel, [p.data.external_id for p in batch])
    }
    old_lines = _line_signatures(
        [
            row["id"]
            for item in batch
            if (row := existing.get(item.data.external_id))
            and row["payload_hash"] != item.digest
            and item.data.updated_at >= row["source_updated_at"]
        ]
    )
    creates, updates = [], []
    for item in batch:
        row = existing.get(item.data.external_id)
        if row is None:
            creates.append(item)
            continue
        if row["payload_hash"] == item.digest or item.data.updated_at < row["source_updated_at"]:
            result.unchanged += 1  # the same payload again, or a stale one
            continue
        old, new = row["status"], item.data.status
        if old != new and new not in MOVES[old]:
            result.reject(item.data.external_id, {"status": [f"Cannot move from '{old}' to '{new}'."]})
            continue
        if old != new and new in SHIPPED and row["held_at"] is not None:
            result.reject(item.data.external_id, {"status": [HELD_CANNOT_SHIP]})
            continue
        lines_changed = old_lines.get(row["id"]) != _signature(item)
        if lines_changed and old not in OPEN:
            result.reject(
                item.data.external_id, {"lines": [f"Lines cannot change once the order is '{old}'."]}
            )
            continue
        updates.append((item, row, lines_changed))
    if not creates and not updates:
        return
    # What the updated orders add to the KPI facts now, before this write changes them (they are locked).
    facts_before = (
        facts.facts_capture(order_ids=[row["id"] for _item, row, _changed in updates])
        if settings.ORDER_FACTS_LIVE
        else None
    )

    now = timezone.now()
    customers = _customers_upsert(channel, [*creates, *(u[0] for u in updates)], now)
    reference = f"order {channel.code}:"
    events: list[tuple] = []  # (order_id, kind, from_status, to_status, detail)

    # New orders and their lines
    new_values = [_order_values(channel, item, customers, now) for item in creates]
    new_ids = rows_insert_with_ids(
        Order, ORDER_FIELDS, [tuple(v[f] for f in ORDER_FIELDS) for v in new_values]
    )
    order_ids = dict(zip((item.data.external_id for item in creates), new_ids, strict=True))
    fresh: list[tuple[_Prepared, int]] = [(item, order_ids[item.data.external_id]) for item in creates]
    for (_item, order_id), values in zip(fresh, new_values, strict=True):
        events.append(
            (order_id, "created", "", values["status"], f"total {values['total']} {values['currency']}")
        )

    # Updated orders
    for_release: set[int] = set()
    for_shipping: set[int] = set()
    replaced: list[int] = []
    update_rows, touched = [], []
    for item, row, lines_changed in updates:
        values = _order_values(channel, item, customers, now, previous=row)
        update_rows.append((row["id"], *(values[f] for f in ORDER_UPDATE_FIELDS)))
        touched.append((row["id"], values))
        if values["status"] != row["status"]:
            events.append((row["id"], "status", row["status"], values["status"], ""))
        if lines_changed:
            events.append((row["id"], "lines", "", "", "lines replaced"))
            for_release.add(row["id"])
            replaced.append(row["id"])
            fresh.append((item, row["id"]))
        elif row["status"] in OPEN and values["status"] in (S.CANCELLED, S.REFUNDED):
            for_release.add(row["id"])
        elif row["status"] in OPEN and values["status"] in SHIPPED:
            for_shipping.add(row["id"])
    rows_update(Order, ORDER_UPDATE_FIELDS, update_rows)

    releases, shipments, released_ids, shipped_ids = _reservations_settle(
        for_release, for_shipping, reference, existing
    )
    if replaced:
        OrderLine.objects.filter(order_id__in=replaced).delete()
    line_rows, line_owner = [], []
    for item, order_id in fresh:
        for line, sku_id, cost in zip(item.data.lines, item.sku_ids, item.unit_costs, strict=True):
            claim = line.flash_claim or ""
            row = (order_id, sku_id, line.quantity, line.unit_price, line.discount, cost, 0, claim)
            line_rows.append(row)
            line_owner.append(item)
    line_ids = rows_insert_with_ids(OrderLine, LINE_FIELDS, line_rows)

    # Stock for the lines that arrived now
    demands: list[Demand] = []
    ship_lines: set[int] = set()
    position = 0
    for item, _order_id in fresh:
        count = len(item.data.lines)
        ids = line_ids[position : position + count]
        rows = line_rows[position : position + count]
        position += count
        status = item.data.status
        if status not in OPEN and status not in SHIPPED:
            continue
        if status in SHIPPED:
            ship_lines.update(ids)
        demands.append(
            Demand(
                reference=f"{reference}{item.data.external_id}",
                province=_province(item),
                day=item.day,
                lines=[DemandLine(pk, row[1], row[2]) for pk, row in zip(ids, rows, strict=True)],
                ship=status in SHIPPED,
            )
        )
    # Everything that needs no stock lock is written first: the stock rows stay locked from here to the
    # commit, and concurrent batches touching the same SKUs wait for them.
    rows_insert(
        OrderEvent,
        ["order", "kind", "from_status", "to_status", "detail", "source", "at"],
        [(*e, source, now) for e in events],
    )
    exceptions: list[tuple] = []  # (order_id, kind, detail)
    if channel.kind != Channel.Kind.CROSS_BORDER:
        for order_id, values in [*zip(new_ids, new_values, strict=True), *touched]:
            if not province_is_known(values["province"]):
                exceptions.append(
                    (order_id, OrderException.Kind.ADDRESS, f"Unknown province '{values['province']}'")
                )
    moved_on = [order_id for order_id, values in touched if values["status"] not in OPEN]
    if moved_on:
        OrderException.objects.filter(
            order_id__in=moved_on, kind=OrderException.Kind.LATE, resolved_at__isnull=True
        ).update(resolved_at=now, resolution_note="The order moved on to shipping or was closed.")
    reserved = inventory_services.stock_reserve(demands=demands, releases=releases, shipments=shipments)
    if released_ids:
        OrderAllocation.objects.filter(pk__in=released_ids).update(
            state=OrderAllocation.State.RELEASED, updated_at=now
        )
    if shipped_ids:
        OrderAllocation.objects.filter(pk__in=shipped_ids).update(
            state=OrderAllocation.State.SHIPPED, updated_at=now
        )
    rows_insert(
        OrderAllocation,
        ["line", "warehouse", "quantity", "state", "updated_at"],
        [
            (
                a.key,
                a.warehouse_id,
                a.quantity,
                OrderAllocation.State.SHIPPED if a.key in ship_lines else OrderAllocation.State.RESERVED,
                now,
            )
            for a in reserved.allocations
        ],
    )

    if reserved.backordered:
        line_order = dict(zip(line_ids, (row[0] for row in line_rows), strict=True))
        rows_update(OrderLine, ["backordered"], [(pk, units) for pk, units in reserved.backordered.items()])
        short: dict[int, int] = defaultdict(int)
        for pk, units in reserved.backordered.items():
            short[line_order[pk]] += units
        exceptions += [
            (order_id, OrderException.Kind.BACKORDER, f"{units} unit(s) could not be reserved")
            for order_id, units in sorted(short.items())
        ]
    rows_insert(
        OrderException,
        ["order", "kind", "detail", "created_at", "resolution_note"],
        [(*e, now, "") for e in exceptions],
        ignore_conflicts=True,
    )
    result.created += len(creates)
    result.updated += len(updates)
    if settings.ORDER_FACTS_LIVE:
        facts.facts_refresh(
            order_ids=[*new_ids, *(row["id"] for _item, row, _changed in updates)],
            before=facts_before,
            customer_ids={row["customer_id"] for _item, row, _changed in updates if row["customer_id"]},
        )

    followup_ids = [
        order_id
        for item, order_id in [*zip(creates, new_ids, strict=True), *((u[0], u[1]["id"]) for u in updates)]
        if item.data.coupon_code or any(line.flash_claim for line in item.data.lines)
    ]
    if followup_ids:
        transaction.on_commit(lambda: order_sync_followups_enqueue(order_ids=followup_ids))


def order_sync_followups_enqueue(*, order_ids: list[int]) -> None:
    """Hand the ids of synced orders that carry a coupon code or a flash-sale claim to the tasks named in
    ``settings.ORDER_SYNC_FOLLOWUP_TASKS`` (higher layers' work, e.g. marketing's coupon redemption: orders
    cannot import them). Called on commit of the sync; the tasks are looked up by name in the Celery
    app's registry (eager in tests and the demo, queued with a broker). A follow-up that cannot be
    enqueued is logged, never undoes the sync."""
    if not order_ids:
        return
    for name in getattr(settings, "ORDER_SYNC_FOLLOWUP_TASKS", ()):
        task = _followup_task(name)
        if task is None:
            logger.error("order sync follow-up task %s is not registered", name)
            continue
        try:  # the outbox: written now, published without blocking (a broker outage leaves it pending)
            enqueue(task.name, list(order_ids))
        except Exception:  # a follow-up never undoes the committed sync
            logger.exception("order sync follow-up %s failed for %d orders", name, len(order_ids))


def _followup_task(name: str):
    """The Celery task registered as ``name``, or None. Outside a worker the apps' ``tasks`` modules may not
    be imported yet (Celery's autodiscovery is lazy, and its own trigger also runs Django's system checks,
    seconds): import the module of the app the name starts with (``marketing.x`` → ``marketing.tasks``),
    then, failing that, every app's, the way autodiscovery would."""
    task = current_app.tasks.get(name)
    if task is not None:
        return task
    first = name.split(".", 1)[0]
    configs = sorted(django_apps.get_app_configs(), key=lambda config: config.name != first)
    for config in configs:
        module = f"{config.name}.tasks"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
        task = current_app.tasks.get(name)
        if task is not None:
            return task
    return None


ORDER_UPDATE_FIELDS = [
    "customer",
    "status",
    "placed_at",
    "source_updated_at",
    "paid_at",
    "shipped_at",
    "delivered_at",
    "closed_at",
    "currency",
    "exchange_rate",
    "total_shop",
    "payment_method",
    "province",
    "city",
    "address",
    "address_hash",
    "shipping_fee",
    "tax",
    "order_discount",
    "coupon_code",
    "total",
    "refund_amount",
    "payload_hash",
    "updated_at",
]
# hold_reason is NOT NULL without a database default (orders 0006): new rows get it explicitly.
ORDER_FIELDS = ["channel", "external_id", "created_at", *ORDER_UPDATE_FIELDS, "hold_reason"]
LINE_FIELDS = [
    "order",
    "sku",
    "quantity",
    "unit_price",
    "discount",
    "unit_cost",
    "backordered",
    "flash_claim",
]


def _province(item: _Prepared) -> str:
    customer = item.data.customer
    return province_normalize(customer.province or "") if customer else ""


def _order_values(
    channel: Channel, item: _Prepared, customers: dict[str, int], now, *, previous=None
) -> dict:
    """The order's column values; status timestamps are kept from `previous` and set on each move."""
    o = item.data
    status = o.status
    at = o.updated_at
    stamps = dict(previous or {})
    if previous is None or previous["status"] != status:
        if status == S.PAID or (status in (S.SHIPPED, S.DELIVERED) and o.payment_method != "cod"):
            stamps["paid_at"] = stamps.get("paid_at") or (at if status == S.PAID else o.placed_at)
        if status in (S.SHIPPED, S.DELIVERED, S.RETURNED):
            stamps["shipped_at"] = stamps.get("shipped_at") or at
        if status in (S.DELIVERED, S.RETURNED):
            stamps["delivered_at"] = stamps.get("delivered_at") or at
        if status in (S.CANCELLED, S.RETURNED, S.REFUNDED):
            stamps["closed_at"] = at
    refund = stamps.get("refund_amount") or Decimal("0.00")
    if status == S.REFUNDED and not refund:
        refund = o.total
    return {
        "channel": channel.pk,
        "external_id": o.external_id,
        "created_at": now,
        "customer": customers.get(o.customer.external_id) if o.customer else None,
        "status": status,
        "placed_at": o.placed_at,
        "source_updated_at": o.updated_at,
        "paid_at": stamps.get("paid_at"),
        "shipped_at": stamps.get("shipped_at"),
        "delivered_at": stamps.get("delivered_at"),
        "closed_at": stamps.get("closed_at"),
        "currency": o.currency,
        "exchange_rate": item.rate,
        "total_shop": to_money(o.total * item.rate),
        "payment_method": o.payment_method,
        "province": _province(item),
        "city": o.city,
        "address": o.address,
        "address_hash": pii.pii_hash("address", o.address),
        "shipping_fee": o.shipping_fee,
        "tax": o.tax,
        "order_discount": o.order_discount,
        "coupon_code": o.coupon_code or "",
        "total": o.total,
        "refund_amount": refund,
        "payload_hash": item.digest,
        "updated_at": now,
        "hold_reason": "",  # inserts only (ORDER_FIELDS); the sync never changes a hold
    }


EXISTING_FIELDS = [
    "id",
    "external_id",
    "status",
    "source_updated_at",
    "payload_hash",
    "created_at",
    "paid_at",
    "shipped_at",
    "delivered_at",
    "closed_at",
    "refund_amount",
    "held_at",  # a held order cannot ship (finance's risk review): read here, no extra query
    "placed_at",
    "customer_id",  # the customer an order leaves (its chain of the KPI facts is recomputed too)
]


def _orders_existing(channel: Channel, external_ids: list[str]) -> list[dict]:
    """The stored state of those of the orders that exist (one query; one array parameter on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return list(
            Order.objects.filter(channel=channel, external_id__in=external_ids).values(*EXISTING_FIELDS)
        )
    rows = pg_execute(
        # One probe of the unique (channel, external id) index per id (LATERAL … LIMIT 1): the plan stays
        # that even while the table's statistics are stale (a bulk load, autovacuum behind), where a plain
        # join or IN list turns into a scan of all the channel's orders.
        f"SELECT {', '.join('o.' + f for f in EXISTING_FIELDS)} "  # noqa: S608
        "FROM unnest(%s::varchar[]) AS e(external_id) CROSS JOIN LATERAL ("
        f"SELECT {', '.join(EXISTING_FIELDS)} FROM orders_order "
        "WHERE channel_id = %s AND external_id = e.external_id LIMIT 1) AS o",
        [list(external_ids), channel.pk],
    )
    return [dict(zip(EXISTING_FIELDS, row, strict=True)) for row in rows]


def _signature(item: _Prepared) -> tuple:
    return tuple(
        sorted(
            (sku_id, line.quantity, to_money(line.unit_price), to_money(line.discount))
            for line, sku_id in zip(item.data.lines, item.sku_ids, strict=True)
        )
    )


def _line_signatures(order_ids: list[int]) -> dict[int, tuple]:
    if not order_ids:
        return {}
    found: dict[int, list] = defaultdict(list)
    for order_id, sku_id, quantity, unit_price, discount in OrderLine.objects.filter(
        order_id__in=order_ids
    ).values_list("order_id", "sku_id", "quantity", "unit_price", "discount"):
        found[order_id].append((sku_id, quantity, unit_price, discount))
    return {order_id: tuple(sorted(rows)) for order_id, rows in found.items()}


def _reservations_settle(release_orders: set[int], ship_orders: set[int], reference: str, existing: dict):
    """Movements that release or ship what the given orders hold reserved, and the allocations concerned."""
    if not release_orders and not ship_orders:
        return [], [], [], []
    external = {row["id"]: row["external_id"] for row in existing.values()}
    rows = OrderAllocation.objects.filter(
        line__order_id__in=release_orders | ship_orders, state=OrderAllocation.State.RESERVED
    ).values_list("id", "line__order_id", "line__sku_id", "warehouse_id", "quantity")
    releases, shipments, released_ids, shipped_ids = [], [], [], []
    for alloc_id, order_id, sku_id, warehouse_id, quantity in rows:
        ref = f"{reference}{external[order_id]}"
        if order_id in release_orders:
            releases.append(
                MovementSpec(
                    sku_id, warehouse_id, StockMovement.Kind.RELEASE, reserved_delta=-quantity, reference=ref
                )
            )
            released_ids.append(alloc_id)
        else:
            shipments.append(
                MovementSpec(
                    sku_id,
                    warehouse_id,
                    StockMovement.Kind.SHIPMENT,
                    on_hand_delta=-quantity,
                    reserved_delta=-quantity,
                    reference=ref,
                )
            )
            shipped_ids.append(alloc_id)
    return releases, shipments, released_ids, shipped_ids


def _customers_upsert(channel: Channel, items: list[_Prepared], now) -> dict[str, int]:
    """Customers by (channel, external_id): create the new, update changed details; returns ids.

    Names, phones and emails are stored encrypted (shopops.common.pii): whether they changed is decided on
    their keyed hashes and the province, so the stored values are never decrypted here. A change that
    normalises away (spacing or case of a name or email, a phone's separators) leaves the stored value."""
    incoming: dict[str, tuple] = {}
    first_seen: dict[str, object] = {}
    for item in items:
        c = item.data.customer
        if c is None:
            continue
        name, phone, email = c.name or "", c.phone or "", c.email or ""
        incoming[c.external_id] = (
            pii.pii_hash("name", name),
            pii.pii_hash("phone", phone),
            pii.pii_hash("email", email),
            province_normalize(c.province or ""),
            name,
            phone,
            email,
        )
        placed = item.data.placed_at
        if c.external_id not in first_seen or placed < first_seen[c.external_id]:
            first_seen[c.external_id] = placed
    if not incoming:
        return {}
    if connection.vendor == "postgresql":
        return _customers_upsert_pg(channel, incoming, first_seen, now)
    fields = ("id", "external_id", "name_hash", "phone_hash", "email_hash", "province", "first_order_at")
    current = {
        row[1]: row
        for row in Customer.objects.filter(channel=channel, external_id__in=incoming).values_list(*fields)
    }
    missing = [ext for ext in incoming if ext not in current]
    if missing:
        rows_insert(
            Customer,
            ["channel", "external_id", *CUSTOMER_DETAILS, "first_order_at", "created_at", "updated_at"],
            [(channel.pk, ext, *incoming[ext], first_seen[ext], now, now) for ext in missing],
            ignore_conflicts=True,
        )
        current.update(
            {
                row[1]: row
                for row in Customer.objects.filter(channel=channel, external_id__in=missing).values_list(
                    *fields
                )
            }
        )
    changed = []
    for ext, details in incoming.items():
        pk, _, *old, first = current[ext]
        new_first = first_seen[ext] if first is None or first_seen[ext] < first else first
        if list(details[:4]) != old or new_first != first:
            changed.append((pk, *details, new_first, now))
    rows_update(Customer, [*CUSTOMER_DETAILS, "first_order_at", "updated_at"], changed)
    return {ext: row[0] for ext, row in current.items()}


# The order of the incoming customer details (hashes first: they decide whether anything changed).
CUSTOMER_DETAILS = ["name_hash", "phone_hash", "email_hash", "province", "name", "phone", "email"]

CUSTOMER_INSERT_SQL = """
INSERT INTO orders_customer
    (channel_id, external_id, name, phone, email, name_hash, phone_hash, email_hash, province, first_order_at,
     created_at, updated_at)
SELECT %(channel)s, v.external_id, v.name, v.phone, v.email, v.name_hash, v.phone_hash, v.email_hash,
       v.province, v.first_order_at, %(now)s, %(now)s
FROM unnest(%(external_id)s::varchar[], %(name)s::text[], %(phone)s::text[], %(email)s::text[],
            %(name_hash)s::varchar[], %(phone_hash)s::varchar[], %(email_hash)s::varchar[],
            %(province)s::varchar[], %(first)s::timestamptz[])
     AS v(external_id, name, phone, email, name_hash, phone_hash, email_hash, province, first_order_at)
ORDER BY v.external_id
ON CONFLICT (channel_id, external_id) DO NOTHING
"""

CUSTOMER_UPDATE_SQL = """
UPDATE orders_customer AS c
SET name = v.name, phone = v.phone, email = v.email, name_hash = v.name_hash, phone_hash = v.phone_hash,
    email_hash = v.email_hash, province = v.province,
    first_order_at = LEAST(c.first_order_at, v.first_order_at), updated_at = %(now)s
FROM unnest(%(id)s::bigint[], %(name)s::text[], %(phone)s::text[], %(email)s::text[],
            %(name_hash)s::varchar[], %(phone_hash)s::varchar[], %(email_hash)s::varchar[],
            %(province)s::varchar[], %(first)s::timestamptz[])
     AS v(id, name, phone, email, name_hash, phone_hash, email_hash, province, first_order_at)
WHERE c.id = v.id
"""


def _customer_params(incoming: dict, keys: list[str]) -> dict:
    """The detail arrays of CUSTOMER_INSERT_SQL / CUSTOMER_UPDATE_SQL: personal data encrypted here, in
    Python, before the SQL (the database never sees it in clear)."""
    rows = [incoming[k] for k in keys]
    return {
        "name_hash": [r[0] for r in rows],
        "phone_hash": [r[1] for r in rows],
        "email_hash": [r[2] for r in rows],
        "province": [r[3] for r in rows],
        "name": [pii.encrypt(r[4]) for r in rows],
        "phone": [pii.encrypt(r[5]) for r in rows],
        "email": [pii.encrypt(r[6]) for r in rows],
    }


def _customers_upsert_pg(channel: Channel, incoming: dict, first_seen: dict, now) -> dict[str, int]:
    """Customers are read without locks; only the new ones are inserted (ON CONFLICT DO NOTHING, sorted by
    external id) and only those whose details changed are updated (sorted by id). A returning customer
    with the same details is not locked, so concurrent batches sharing customers do not queue behind each
    other, and the locks that are taken come in one order per phase (insert, then update): no deadlock."""

    def current(keys: list[str]) -> dict[str, tuple]:
        rows = pg_execute(
            "SELECT c.id, c.external_id, c.name_hash, c.phone_hash, c.email_hash, c.province, "
            "c.first_order_at FROM unnest(%s::varchar[]) AS e(external_id) "
            "CROSS JOIN LATERAL ("  # an index probe per id
            "SELECT * FROM orders_customer WHERE channel_id = %s AND external_id = e.external_id "
            "LIMIT 1) AS c",
            [keys, channel.pk],
        )
        return {row[1]: row for row in rows}

    found = current(sorted(incoming))
    missing = sorted(ext for ext in incoming if ext not in found)
    if missing:
        pg_execute(
            CUSTOMER_INSERT_SQL,
            {
                "channel": channel.pk,
                "now": now,
                "external_id": missing,
                **_customer_params(incoming, missing),
                "first": [first_seen[k] for k in missing],
            },
        )
        found.update(current(missing))  # inserted now, or by a concurrent batch that committed first
    changed = sorted(
        row
        for ext, row in found.items()
        if tuple(row[2:6]) != incoming[ext][:4] or row[6] is None or first_seen[ext] < row[6]
    )
    if changed:
        # An UPDATE … FROM visits rows in whatever order its join produces: lock them in id order first,
        # with the lock the UPDATE itself takes (NO KEY UPDATE), which leaves the key-share locks of
        # concurrent orders' foreign-key checks free to proceed.
        pg_execute(
            "SELECT count(*) FROM (SELECT 1 FROM orders_customer WHERE id = ANY(%s::bigint[]) "
            "ORDER BY id FOR NO KEY UPDATE) AS locked",
            [[row[0] for row in changed]],
        )
        pg_execute(
            CUSTOMER_UPDATE_SQL,
            {
                "now": now,
                "id": [row[0] for row in changed],
                **_customer_params(incoming, [row[1] for row in changed]),
                "first": [first_seen[row[1]] for row in changed],
            },
        )
    return {ext: row[0] for ext, row in found.items()}


def order_exception_resolve(*, exception: OrderException, note: str, user) -> OrderException:
    """Close an exception with a note; recorded on the order's timeline."""
    note = (note or "").strip()
    if not note:
        from django.core.exceptions import ValidationError

        raise ValidationError({"note": "Say how it was resolved."})
    with transaction.atomic():
        updated = OrderException.objects.filter(pk=exception.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=user, resolution_note=note
        )
        if updated:
            OrderEvent.objects.create(
                order_id=exception.order_id,
                kind="exception_resolved",
                source="desk",
                detail=f"{exception.get_kind_display()}: {note}"[:500],
            )
    exception.refresh_from_db()
    return exception


def order_exceptions_scan(*, now=None, handling_hours: int = 2) -> int:
    """Raise a 'late' exception for every paid order not shipped within `handling_hours` of payment."""
    now = now or timezone.now()
    late = (
        Order.objects.filter(status=S.PAID, paid_at__lt=now - timezone.timedelta(hours=handling_hours))
        .filter(~Q(exceptions__kind=OrderException.Kind.LATE, exceptions__resolved_at__isnull=True))
        .values_list("id", flat=True)
    )
    created = OrderException.objects.bulk_create(
        [
            OrderException(
                order_id=pk,
                kind=OrderException.Kind.LATE,
                detail=f"Paid more than {handling_hours} hours ago and not shipped",
            )
            for pk in late
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return len(created)


def order_after_sales_mark(
    *, order_id: int, status: str, at, refund_amount: Decimal = Decimal("0"), detail: str = ""
) -> Order:
    """After-sales outcome pushed from customer service: the goods came back (`returned`) or money went
    back (`refunded`). `refund_amount` is added to the order's refunds; the change is on the timeline.

    A refunded order stays refunded when a later return is recorded; an order in any other state takes
    the new status. The row is locked so two refunds of one order add up."""
    if status not in (S.RETURNED, S.REFUNDED):
        raise ValueError(f"after-sales status must be returned or refunded, not {status!r}")
    refund_amount = to_money(refund_amount)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        facts_before = facts.facts_capture(order_ids=[order.pk])
        before = order.status
        audited = {"status": order.status, "refund_amount": order.refund_amount}
        if not (before == S.REFUNDED and status == S.RETURNED):
            order.status = status
        order.refund_amount = to_money(order.refund_amount + refund_amount)
        order.closed_at = order.closed_at or at
        order.save(update_fields=["status", "refund_amount", "closed_at", "updated_at"])
        audit_record(  # refunds are audited explicitly: orders are not registered (the sync is hot)
            obj_or_model=order,
            action="update",
            changes=audit_changes(audited, {"status": order.status, "refund_amount": order.refund_amount}),
            additional_data={"source": "after_sales", "detail": detail[:200]},
        )
        facts.facts_refresh(order_ids=[order.pk], before=facts_before)
        OrderEvent.objects.create(
            order_id=order.pk,
            kind="after_sales",
            from_status=before,
            to_status=order.status,
            source="service",
            detail=detail[:500],
        )
    return order


# --- holds (finance's risk review) -----------------------------------------------------------------------
# A held order stays as it is (its stock stays reserved) but cannot ship until it is released: order_sync
# refuses its move to shipped or delivered. The reviewer releases it, or cancels it, which releases its
# reservations the way a cancellation through the sync does. Each takes the sync's per-order lock first,
# so a hold and a concurrent sync of the same order are applied one after the other.


def _order_locked(order_id: int) -> Order:
    order = Order.objects.select_related("channel").get(pk=order_id)
    _lock_orders(order.channel, [order.external_id])
    return Order.objects.select_for_update().select_related("channel").get(pk=order_id)


@transaction.atomic
def order_hold(*, order_id: int, reason: str, source: str = "risk") -> Order:
    """Put an open (pending or paid) order on hold with a reason; an order already held is left as it is."""
    from django.core.exceptions import ValidationError

    order = _order_locked(order_id)
    if order.held_at is not None:
        return order
    if order.status not in OPEN:
        raise ValidationError(
            {"status": [f"Only pending or paid orders can be held; this one is '{order.status}'."]}
        )
    order.held_at = timezone.now()
    order.hold_reason = (reason or "").strip()[:300]
    order.save(update_fields=["held_at", "hold_reason", "updated_at"])
    OrderEvent.objects.create(
        order_id=order.pk, kind="hold", source=source[:30], detail=order.hold_reason[:500]
    )
    return order


def _who(user) -> str:
    return getattr(user, "get_username", lambda: "")() if user is not None else ""


@transaction.atomic
def order_release(*, order_id: int, note: str, user) -> Order:
    """Lift an order's hold (the review found it genuine): it may ship again."""
    from django.core.exceptions import ValidationError

    order = _order_locked(order_id)
    if order.held_at is None:
        raise ValidationError({"order": ["This order is not on hold."]})
    order.held_at = None
    order.hold_reason = ""
    order.save(update_fields=["held_at", "hold_reason", "updated_at"])
    OrderEvent.objects.create(
        order_id=order.pk, kind="hold_released", source="risk", detail=f"{_who(user)}: {note}"[:500]
    )
    return order


@transaction.atomic
def order_hold_cancel(*, order_id: int, note: str, user) -> Order:
    """Cancel a held order (the review found it fraudulent): status cancelled, its stock reservations
    released through the ledger as a cancellation by the sync would, and the hold lifted. An order the
    channel already cancelled or refunded only has its hold lifted."""
    from django.core.exceptions import ValidationError

    order = _order_locked(order_id)
    if order.held_at is None:
        raise ValidationError({"order": ["This order is not on hold."]})
    now = timezone.now()
    before = order.status
    facts_before = facts.facts_capture(order_ids=[order.pk])
    fields = ["held_at", "hold_reason", "updated_at"]
    if before in OPEN:
        existing = {order.external_id: {"id": order.pk, "external_id": order.external_id}}
        releases, _, released_ids, _ = _reservations_settle(
            {order.pk}, set(), f"order {order.channel.code}:", existing
        )
        if releases:
            inventory_services.stock_reserve(demands=[], releases=releases, user=user)
        if released_ids:
            OrderAllocation.objects.filter(pk__in=released_ids).update(
                state=OrderAllocation.State.RELEASED, updated_at=now
            )
        OrderException.objects.filter(
            order_id=order.pk, kind=OrderException.Kind.LATE, resolved_at__isnull=True
        ).update(resolved_at=now, resolution_note="The order was cancelled after a risk review.")
        order.status = S.CANCELLED
        order.closed_at = now
        fields += ["status", "closed_at"]
    elif before not in (S.CANCELLED, S.REFUNDED):
        raise ValidationError({"status": [f"A '{before}' order cannot be cancelled."]})
    order.held_at = None
    order.hold_reason = ""
    order.save(update_fields=fields)
    facts.facts_refresh(order_ids=[order.pk], before=facts_before)
    OrderEvent.objects.create(
        order_id=order.pk,
        kind="status" if before != order.status else "hold_released",
        from_status=before if before != order.status else "",
        to_status=order.status if before != order.status else "",
        source="risk",
        detail=f"{_who(user)}: {note}"[:500],
    )
    return order


def order_facts_rebuild(*, start: date, end: date) -> dict:
    """Recompute the order facts (the KPI rollups) of the shop-local dates [start, end)."""
    return facts.facts_rebuild(start=start, end=end)


def order_facts_check(*, start: date, end: date) -> list[str]:
    """Differences between the stored order facts of [start, end) and a fresh computation."""
    return facts.facts_compare(start=start, end=end)


@transaction.atomic
def customer_personal_erase(*, customer_id: int) -> dict:
    """Anonymise a customer (a personal-data erasure request): name → "erased-<id>", phone and email
    cleared, their orders' shipping addresses cleared, every hash cleared. The orders themselves — status,
    dates, lines, totals, refunds, province and city — stay exactly as they were, so the KPIs and the
    finance figures do not move. Returns counts."""
    from shopops.common.privacy import erased_name

    customer = Customer.objects.select_for_update().get(pk=customer_id)
    customer.name, customer.phone, customer.email = erased_name(customer_id), "", ""
    customer.save(update_fields=["name", "phone", "email", "updated_at"])
    customer.name_hash = ""  # the placeholder name is not the customer's: not searchable as one
    Customer.objects.filter(pk=customer_id).update(name_hash="")
    orders = Order.objects.filter(customer_id=customer_id).exclude(address="", address_hash="")
    addresses = orders.update(address="", address_hash="")
    return {"customers": 1, "order_addresses": addresses}
