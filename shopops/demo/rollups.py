"""After seeding: build the reports rollups for every seeded day, so the dashboard has history at once
(the nightly step only rebuilds its trailing window)."""

from datetime import timedelta

from orders.models import Order
from reports import services as report_services
from shopops.common.dates import shop_today


def demo_rollups_build() -> int:
    first = Order.objects.order_by("placed_at").values_list("placed_at", flat=True).first()
    if first is None:
        return 0
    return report_services.sales_rollup_rebuild(start=first.date() - timedelta(days=1), end=shop_today())
