"""After seeding: build the order facts (the KPI rollups) for every seeded day, so the dashboard has history
at once (the seed writes orders in bulk, past the sync that keeps the facts current)."""

from datetime import timedelta

from orders import selectors as order_selectors
from orders import services as order_services
from shopops.common.dates import shop_today


def demo_rollups_build() -> int:
    span = order_selectors.order_date_span()
    if span is None:
        return 0
    first, last = span
    end = max(last, shop_today()) + timedelta(days=1)
    result = order_services.order_facts_rebuild(start=first - timedelta(days=1), end=end)
    return result["days"]
