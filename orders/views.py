from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from orders import selectors
from orders.models import Order
from shopops.common import roles
from shopops.common.dates import parse_iso_date
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page
from shopops.common.privacy import can_see_personal_data, mask_phone

ORDERINGS = {"-placed_at", "placed_at", "-total", "total"}


@roles.area_required(roles.ORDERS)
def overview(request):
    """The order desk list: filters, search, sort, export."""
    params = request.GET
    ordering = params.get("sort", "-placed_at")
    orders = selectors.order_list(
        channel=params.get("channel", ""),
        status=params.get("status", ""),
        placed_from=parse_iso_date(params.get("placed_from")),
        placed_to=parse_iso_date(params.get("placed_to")),
        province=params.get("province", "").strip(),
        search=params.get("q", "").strip(),
        ordering=ordering if ordering in ORDERINGS else "-placed_at",
    )
    show_personal = can_see_personal_data(request.user)
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="orders",
            fmt=fmt,
            headers=[
                _("Channel"),
                _("External id"),
                _("Placed at"),
                _("Status"),
                _("Customer"),
                _("Phone"),
                _("Province"),
                _("Total"),
                _("Currency"),
            ],
            rows=(
                (
                    o.channel.code,
                    o.external_id,
                    o.placed_at,
                    o.status,
                    o.customer.name if o.customer else "",
                    (o.customer.phone if show_personal else mask_phone(o.customer.phone))
                    if o.customer
                    else "",
                    o.province,
                    o.total,
                    o.currency,
                )
                for o in orders.iterator(chunk_size=2000)
            ),
        )
    return render(
        request,
        "orders/overview.html",
        {
            "page_obj": paginate(request, orders),
            "query": querystring_without_page(request),
            "channels": selectors.channel_list(),
            "statuses": Order.Status.choices,
            "filters": params,
            "show_personal": show_personal,
        },
    )


@roles.area_required(roles.ORDERS)
def order_detail(request, pk: int):
    try:
        order = selectors.order_get(pk=pk)
    except Order.DoesNotExist as exc:
        raise Http404 from exc
    lines = list(selectors.order_lines(order=order))
    lines_net = sum((line.net_amount for line in lines), start=0)
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "lines": lines,
            "lines_net": lines_net,
            "computed_total": lines_net - order.order_discount + order.shipping_fee + order.tax,
            "show_personal": can_see_personal_data(request.user),
        },
    )
