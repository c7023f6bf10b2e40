"""Writes of the reports area: the daily sales rollup the home dashboard reads."""

from datetime import date, timedelta

from django.db import transaction

from orders import selectors as order_selectors
from reports.models import DailySales

# Orders change status after the day they were placed (cancellations, returns); the nightly step
# rebuilds this many trailing days so late changes reach the rollup.
ROLLUP_TRAILING_DAYS = 35


@transaction.atomic
def sales_rollup_rebuild(*, start: date, end: date) -> int:
    """Replace the rollup rows for the shop-local dates [start, end) with a fresh computation.

    Idempotent: running it twice leaves the same rows. Returns the number of rows written.
    """
    facts = order_selectors.order_daily_facts(start=start, end=end)
    DailySales.objects.filter(date__gte=start, date__lt=end).delete()
    DailySales.objects.bulk_create(
        [
            DailySales(
                date=f["date"],
                channel_id=f["channel_id"],
                orders=f["orders"],
                units=f["units"],
                gmv=f["gmv"],
                cost_of_goods=f["cost_of_goods"],
                customers=f["customers"],
            )
            for f in facts
        ],
        batch_size=2000,
    )
    return len(facts)


def sales_rollup_build(*, business_date: date) -> dict:
    """The nightly step: rebuild the trailing window that ends with `business_date` (inclusive)."""
    start = business_date - timedelta(days=ROLLUP_TRAILING_DAYS - 1)
    rows = sales_rollup_rebuild(start=start, end=business_date + timedelta(days=1))
    return {"start": start.isoformat(), "end": business_date.isoformat(), "rows": rows}
