from datetime import timedelta

from django.shortcuts import render

from orders import selectors as order_selectors
from shopops.common import roles
from shopops.common.dates import shop_today

WINDOW_DAYS = 30


@roles.area_required(roles.MARKETING_AREA)
def overview(request):
    """The customer base per channel over the last 30 days: new and returning customers."""
    today = shop_today()
    rows = order_selectors.customer_base_by_channel(start=today - timedelta(days=WINDOW_DAYS), end=today)
    for row in rows:
        row["returning_share"] = round(row["returning"] / row["customers"], 4) if row["customers"] else None
    return render(request, "marketing/overview.html", {"rows": rows, "days": WINDOW_DAYS})
