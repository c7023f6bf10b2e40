"""Nightly facts about SKUs (SKUStats), written from plain data the pipeline gathers in higher apps
(stock from inventory, sales from orders): catalog sits below them and never reads them itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from catalog.models import SKUStats

DEMAND_DAYS = 28  # until the forecast exists, daily demand is the trailing 28-day average


def daily_demand_and_cover(available: int, units_28d: int) -> tuple[Decimal, Decimal | None]:
    """Daily demand = units of the last 28 days / 28 (3 places); days of cover = available / daily demand
    (1 place, from the unrounded demand), None when there is no demand. Stock below zero counts as none."""
    if units_28d <= 0:
        return Decimal("0.000"), None
    demand = Decimal(units_28d) / DEMAND_DAYS
    cover = (Decimal(max(available, 0)) / demand).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return demand.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP), cover


@transaction.atomic
def sku_stats_store(*, business_date: date, rows: Iterable[Mapping]) -> int:
    """Write one SKUStats row per SKU (replacing the SKU's previous facts), in bulk; returns the count.

    `rows` are plain mappings: sku_id, available, units_28d, units_prev_28d, revenue_28d, revenue_90d
    (missing figures count as zero). Running it twice for the same date and rows changes nothing."""
    objs = []
    for row in rows:
        available = int(row.get("available") or 0)
        units_28d = int(row.get("units_28d") or 0)
        demand, cover = daily_demand_and_cover(available, units_28d)
        objs.append(
            SKUStats(
                sku_id=row["sku_id"],
                as_of=business_date,
                units_28d=units_28d,
                units_prev_28d=int(row.get("units_prev_28d") or 0),
                revenue_28d=Decimal(row.get("revenue_28d") or 0),
                revenue_90d=Decimal(row.get("revenue_90d") or 0),
                available=available,
                daily_demand=demand,
                cover_days=cover,
            )
        )
    SKUStats.objects.bulk_create(
        objs,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["sku"],
        update_fields=[
            "as_of",
            "units_28d",
            "units_prev_28d",
            "revenue_28d",
            "revenue_90d",
            "available",
            "daily_demand",
            "cover_days",
        ],
    )
    return len(objs)
