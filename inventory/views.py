from django.shortcuts import render
from django.utils.translation import gettext as _

from inventory import selectors
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page


@roles.area_required(roles.INVENTORY)
def overview(request):
    """Stock by warehouse, then the stock levels (filter to what cannot be sold)."""
    params = request.GET
    levels = selectors.stock_level_list(
        warehouse=params.get("warehouse", ""),
        search=params.get("q", "").strip(),
        only_unavailable=params.get("unavailable") == "1",
        ordering=params.get("sort", "sku__code"),
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="stock",
            fmt=fmt,
            headers=[_("SKU"), _("Name"), _("Warehouse"), _("On hand"), _("Reserved"), _("Available")],
            rows=(
                (lv.sku.code, lv.sku.name, lv.warehouse.code, lv.on_hand, lv.reserved, lv.available_qty)
                for lv in levels.iterator(chunk_size=2000)
            ),
        )
    return render(
        request,
        "inventory/overview.html",
        {
            "warehouses": selectors.warehouse_summary(),
            "warehouse_choices": selectors.warehouse_list(),
            "page_obj": paginate(request, levels),
            "query": querystring_without_page(request),
            "filters": params,
        },
    )
