from datetime import timedelta

from django.shortcuts import render

from orders import selectors as order_selectors
from shopops.common import roles
from shopops.common.dates import shop_today
from shopops.common.pagination import paginate, querystring_without_page

WINDOW_DAYS = 30


@roles.area_required(roles.SERVICE)
def overview(request):
    """After-sales queue: returned and refunded orders of the last 30 days, newest first."""
    returns = order_selectors.returns_list(since=shop_today() - timedelta(days=WINDOW_DAYS))
    return render(
        request,
        "service/overview.html",
        {
            "page_obj": paginate(request, returns),
            "query": querystring_without_page(request),
            "days": WINDOW_DAYS,
        },
    )
