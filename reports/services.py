"""Writes of the reports area: the nightly rebuild of the order facts the KPIs read (orders.facts keeps
them current as orders are written; the rebuild catches what changed without an order write)."""

from datetime import date, timedelta

from orders import services as order_services

# Orders change after the day they were placed (cancellations, returns, late syncs); the nightly step
# rebuilds this many trailing days of facts.
ROLLUP_TRAILING_DAYS = 35


def sales_rollup_rebuild(*, start: date, end: date) -> dict:
    """Recompute the order facts of the shop-local dates [start, end). Idempotent."""
    return order_services.order_facts_rebuild(start=start, end=end)


def sales_rollup_build(*, business_date: date) -> dict:
    """The nightly step: rebuild the trailing window that ends with `business_date` (inclusive)."""
    start = business_date - timedelta(days=ROLLUP_TRAILING_DAYS - 1)
    return sales_rollup_rebuild(start=start, end=business_date + timedelta(days=1))
