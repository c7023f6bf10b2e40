"""Inventory's own demand record (DemandDay): built nightly from the ledger and the unmet demand, read by
forecasting as daily series that know which days ended out of stock.

Per SKU, warehouse and shop day:
- reserved: units reserved for orders that day, plus units shipped at once (orders that arrived shipped);
- cancelled: reservations released that day (cancelled orders);
- unmet: units no warehouse could reserve (backorders), counted at the nearest warehouse;
- closing_available: on hand - reserved at the end of the day (today's level less later movements);
- stockout: nothing available at the close of an item the warehouse carries (the ledger has moved it
  there before), or unmet demand during the day.
Only days with demand or a stockout get a row; the build for a date replaces that date's rows, so running
it twice changes nothing. Days before the ledger's first movement (history loaded without its movements)
are left as they are.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Count, Q, Sum

from inventory.models import DemandDay, StockLevel, StockMovement, UnmetDemand
from shopops.common.dates import day_range

ORDER_REFERENCE = "order "  # ledger references of order reservations start with it ("order tmall:T1")


@transaction.atomic
def demand_record_build(*, business_date: date) -> dict:
    """Write the DemandDay rows of `business_date`; return counts for the job record."""
    start, end = day_range(business_date, business_date + timedelta(days=1))
    first = StockMovement.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None or first >= end:
        # The ledger starts after this day (history imported without its movements, as in the demo): what
        # is recorded for the day cannot be rebuilt from the ledger, so it is kept as it is.
        return {"rows": DemandDay.objects.filter(day=business_date).count(), "kept": "before the ledger"}
    Kind = StockMovement.Kind
    day_moves = StockMovement.objects.filter(created_at__gte=start, created_at__lt=end)
    rows: dict[tuple[int, int], dict] = defaultdict(lambda: {"reserved": 0, "cancelled": 0, "unmet": 0})
    for r in (
        day_moves.filter(
            Q(kind=Kind.RESERVATION)
            | Q(kind=Kind.RELEASE)
            | Q(kind=Kind.SHIPMENT, reserved_delta=0, reference__startswith=ORDER_REFERENCE)
        )
        .values("sku_id", "warehouse_id", "kind")
        .annotate(reserved=Sum("reserved_delta"), on_hand=Sum("on_hand_delta"))
    ):
        row = rows[(r["sku_id"], r["warehouse_id"])]
        if r["kind"] == Kind.RESERVATION:
            row["reserved"] += r["reserved"]
        elif r["kind"] == Kind.SHIPMENT:
            row["reserved"] -= r["on_hand"]
        else:
            row["cancelled"] -= r["reserved"]
    for r in (
        UnmetDemand.objects.filter(day=business_date, warehouse__isnull=False)
        .values("sku_id", "warehouse_id")
        .annotate(quantity=Sum("quantity"))
    ):
        rows[(r["sku_id"], r["warehouse_id"])]["unmet"] += r["quantity"]

    # Availability at the close: today's levels less what moved after the day ended.
    later: dict[tuple[int, int], int] = {
        (r["sku_id"], r["warehouse_id"]): r["on_hand"] - r["reserved"]
        for r in StockMovement.objects.filter(created_at__gte=end)
        .values("sku_id", "warehouse_id")
        .annotate(on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"))
    }
    closing = {
        (sku_id, wh_id): on_hand - reserved - later.get((sku_id, wh_id), 0)
        for sku_id, wh_id, on_hand, reserved in StockLevel.objects.values_list(
            "sku_id", "warehouse_id", "on_hand", "reserved"
        )
    }
    # A stockout is a carried item (one the ledger has ever moved there) with nothing available.
    out = {k for k, available in closing.items() if available <= 0}
    if out:
        out &= set(
            StockMovement.objects.filter(created_at__lt=end)
            .values_list("sku_id", "warehouse_id")
            .distinct()
            .order_by()
        )
    records = []
    for key in set(rows) | out:
        row = rows.get(key) or {"reserved": 0, "cancelled": 0, "unmet": 0}
        available = closing.get(key, 0)
        records.append(
            DemandDay(
                sku_id=key[0],
                warehouse_id=key[1],
                day=business_date,
                reserved=max(row["reserved"], 0),
                cancelled=max(row["cancelled"], 0),
                unmet=row["unmet"],
                closing_available=available,
                stockout=available <= 0 or row["unmet"] > 0,
            )
        )
    DemandDay.objects.filter(day=business_date).delete()
    DemandDay.objects.bulk_create(records, batch_size=5000)
    return {
        "rows": len(records),
        "units": sum(r.reserved + r.unmet for r in records),
        "stockouts": sum(r.stockout for r in records),
    }


@dataclass
class DemandHistory:
    """Daily demand per SKU (all warehouses) over `days` (oldest first), as numpy arrays.

    demand[i, t] is SKU sku_ids[i]'s demand on days[t]; stockout[i, t] says every warehouse holding the SKU
    ended that day out of stock (a partial stockout reroutes orders, so demand is still seen).
    """

    sku_ids: list[int]
    days: list[date]
    demand: np.ndarray
    stockout: np.ndarray

    def row(self, sku_id: int) -> int:
        return self.sku_ids.index(sku_id)


def demand_history_get(*, end_date: date, days: int, sku_ids: list[int]) -> DemandHistory:
    """The demand record of `sku_ids` for the `days` days ending on `end_date` (included): only what was
    known on `end_date`."""
    first = end_date - timedelta(days=days - 1)
    day_list = [first + timedelta(days=i) for i in range(days)]
    index = {sku_id: i for i, sku_id in enumerate(sku_ids)}
    demand = np.zeros((len(sku_ids), days), dtype=np.float64)
    stockout = np.zeros((len(sku_ids), days), dtype=bool)
    if not sku_ids:
        return DemandHistory(sku_ids, day_list, demand, stockout)
    levels = {
        r["sku_id"]: r["n"]
        for r in StockLevel.objects.filter(sku_id__in=sku_ids).values("sku_id").annotate(n=Count("id"))
    }
    rows = (
        DemandDay.objects.filter(sku_id__in=sku_ids, day__gte=first, day__lte=end_date)
        .values("sku_id", "day")
        .annotate(
            reserved=Sum("reserved"),
            unmet=Sum("unmet"),
            cancelled=Sum("cancelled"),
            out=Count("id", filter=Q(stockout=True)),
        )
        .values_list("sku_id", "day", "reserved", "unmet", "cancelled", "out")
    )
    for sku_id, day, reserved, unmet, cancelled, out in rows.iterator(chunk_size=20_000):
        i, t = index[sku_id], (day - first).days
        demand[i, t] = max(reserved + unmet - cancelled, 0)
        stockout[i, t] = out > 0 and out >= levels.get(sku_id, 1)
    return DemandHistory(sku_ids, day_list, demand, stockout)


def warehouse_shares_get(
    *, end_date: date, days: int = 90, sku_ids: list[int] | None = None
) -> dict[int, dict[int, float]]:
    """SKU id -> {warehouse id: share of the SKU's demand over the last `days` days}: how the SKU's forecast
    splits over warehouses (of `sku_ids`, default every SKU)."""
    first = end_date - timedelta(days=days - 1)
    totals: dict[int, dict[int, float]] = defaultdict(dict)
    rows = DemandDay.objects.filter(day__gte=first, day__lte=end_date)
    if sku_ids is not None:
        rows = rows.filter(sku_id__in=sku_ids)
    for sku_id, wh_id, units in (
        rows.values("sku_id", "warehouse_id")
        .annotate(units=Sum("reserved") + Sum("unmet"))
        .values_list("sku_id", "warehouse_id", "units")
    ):
        if units:
            totals[sku_id][wh_id] = float(units)
    shares = {}
    for sku_id, by_wh in totals.items():
        whole = sum(by_wh.values())
        shares[sku_id] = {wh: units / whole for wh, units in by_wh.items()}
    return shares
