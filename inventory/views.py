from django.shortcuts import render
from django.utils.translation import gettext as _

from inventory import kpis, ledger, purchasing, selectors
from inventory.models import ReplenishmentSuggestion, Transfer
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page

ATTENTION_ROWS = 10  # rows shown per "needs attention" list; each links to its full list


def _attention() -> dict:
    """What needs the planner today: SKUs that run out before the next arrival, late POs, transfers to
    receive, and the open suggestions of the latest replenishment run."""
    risks = kpis.stockout_risk_list()
    late = purchasing.purchase_order_list(late=True)
    transit = ledger.transfer_list(status=Transfer.Status.IN_TRANSIT)
    business_date = kpis.suggestion_latest_date()
    return {
        "risks": risks[:ATTENTION_ROWS],
        "risk_count": len(risks),
        "late_orders": list(late[:ATTENTION_ROWS]),
        "late_count": late.count(),
        "transfers": list(transit[:ATTENTION_ROWS]),
        "transfer_count": transit.count(),
        "suggestion_date": business_date,
        "open_suggestions": ReplenishmentSuggestion.objects.filter(
            business_date=business_date, status=ReplenishmentSuggestion.Status.OPEN
        ).count()
        if business_date
        else 0,
    }


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def overview(request):
    """What needs attention and the KPIs, stock by warehouse, then the stock levels (filter to what cannot be
    sold)."""
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
    indicators = kpis.inventory_kpis_get()
    # The warehouse cards show the value at landed cost, as the KPIs do.
    values = {row.code: row.value for row in indicators.by_warehouse}
    warehouses = selectors.warehouse_summary()
    for w in warehouses:
        w["value"] = values.get(w["code"], w["value"])
    return render(
        request,
        "inventory/overview.html",
        {
            "warehouses": warehouses,
            "warehouse_choices": selectors.warehouse_list(),
            "page_obj": paginate(request, levels),
            "query": querystring_without_page(request),
            "filters": params,
            "k": indicators,
            "attention": _attention(),
        },
    )
