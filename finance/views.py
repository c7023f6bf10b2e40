from datetime import timedelta

from django.shortcuts import render

from finance import selectors
from shopops.common import roles
from shopops.common.dates import shop_today

WINDOW_DAYS = 30


@roles.area_required(roles.FINANCE_AREA)
def overview(request):
    """Channel economics over the last 30 days: GMV, platform commission and payment fees, net."""
    today = shop_today()
    rows, totals = selectors.channel_economics(start=today - timedelta(days=WINDOW_DAYS), end=today)
    return render(request, "finance/overview.html", {"rows": rows, "totals": totals, "days": WINDOW_DAYS})
