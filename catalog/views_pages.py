"""The catalogue's main pages: the pricing overview, the catalogue list and the SKU page. Read-only here;
the edit forms live with the pricing tools and are linked when the user may edit."""

from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import charts, pricing, selectors
from catalog.models import SKU, PriceChange, PricingSettings
from catalog.selectors import panels
from catalog.services import EDIT_PERMISSION
from shopops.common import roles
from shopops.common.channels import channel_list
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page

FLOOR_SOURCES = {
    "setting": gettext_lazy("shop-wide setting"),
    "category": gettext_lazy("category override"),
    "loss_leader": gettext_lazy("loss leader"),
}
MARGIN_STATUSES = [
    (selectors.MARGIN_OK, gettext_lazy("At or above the floor")),
    (selectors.MARGIN_BELOW, gettext_lazy("Below the floor")),
]
DESCENDING_FIRST = {"margin", "sales", "cover", "price"}
RECOMMENDATIONS_PATH = "/catalog/recommendations/"
OVERVIEW_LIMIT = 20  # rows of each attention list shown on the overview


def _url_or_none(name: str, *args) -> str | None:
    """The URL of a page another part of the catalogue provides, or None while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _sku_url(name: str, sku: SKU) -> str | None:
    """An action page on one SKU (by code, or by id), None while it does not exist."""
    return _url_or_none(name, sku.code) or _url_or_none(name, sku.pk)


@roles.area_required(roles.CATALOG)
@roles.reading_page
def overview(request):
    """The pricing overview: what needs attention today (floor breaches, the range mix against its
    targets, recommendations waiting, competitor alerts)."""
    settings = PricingSettings.current()
    today = timezone.localdate()
    channels = channel_list()
    names = {c.code: c.name for c in channels}
    breaches = selectors.floor_breaches_get(
        channels=list(names), limit=OVERVIEW_LIMIT, today=today, settings=settings
    )
    alerts, gaps = selectors.competitor_alert_list(settings=settings)
    mix = selectors.range_mix_get()
    return render(
        request,
        "catalog/overview.html",
        {
            "settings": settings,
            "breaches": [
                {
                    "row": b,
                    "channel_name": names.get(b.channel, b.channel),
                    "source": FLOOR_SOURCES[b.floor_source],
                }
                for b in breaches.rows
            ],
            "breach_count": breaches.count,
            "breach_skus": breaches.sku_count,
            "overrides": selectors.floor_override_list(),
            "mix": mix,
            "mix_rows": [{"row": r, "label": SKU.Role(r.role).label} for r in mix.rows],
            "waiting": selectors.recommendation_waiting_count(today=today),
            "recommendations_url": _url_or_none("catalog:recommendations") or RECOMMENDATIONS_PATH,
            "alerts": alerts[:OVERVIEW_LIMIT],
            "alert_count": len(alerts),
            "gaps": gaps,
            "limit": OVERVIEW_LIMIT,
        },
    )


def _sort_columns(request, current: str) -> dict:
    """Per sortable column: the link that sorts by it (toggling when it is the current one) and its arrow."""
    params = request.GET.copy()
    for key in ("page", "sort", "export"):
        params.pop(key, None)
    current_key, descending = current.lstrip("-"), current.startswith("-")
    columns = {}
    for key in selectors.SKU_SORTS:
        if key == current_key:
            target = key if descending else f"-{key}"
            arrow, aria = ("▼", "descending") if descending else ("▲", "ascending")
        else:
            target = f"-{key}" if key in DESCENDING_FIRST else key
            arrow, aria = "", "none"
        params["sort"] = target
        columns[key] = {"query": params.urlencode(), "arrow": arrow, "aria": aria}
    return columns


@roles.area_required(roles.CATALOG)
@roles.reading_page
def sku_list(request):
    """The catalogue: filter by category, role, channel (prices shown are that channel's), margin status
    and text; sort by code, price, margin, sales or cover; export what the filters select."""
    params = request.GET
    channels = channel_list()
    channel = params.get("channel", "")
    if channel not in {c.code for c in channels}:
        channel = ""
    sort = params.get("sort", "code")
    if sort.lstrip("-") not in selectors.SKU_SORTS:
        sort = "code"
    skus = selectors.sku_margin_list(
        category=params.get("category", ""),
        role=params.get("role", ""),
        channel=channel,
        margin=params.get("margin", ""),
        active={"1": True, "0": False}.get(params.get("active", "")),
        search=params.get("q", "").strip(),
        ordering=sort,
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return _export(skus, fmt)
    page_obj = paginate(request, skus)
    for sku in page_obj:
        selectors.margin_row_tidy(sku)
        sku.floor_source_label = FLOOR_SOURCES[sku.floor_source]
    return render(
        request,
        "catalog/sku_list.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "categories": selectors.category_list(),
            "roles": SKU.Role.choices,
            "channels": channels,
            "channel": channel,
            "margin_statuses": MARGIN_STATUSES,
            "filters": params,
            "columns": _sort_columns(request, sort),
        },
    )


def _export(skus, fmt: str):
    return export_response(
        filename="skus",
        fmt=fmt,
        headers=[
            _("Code"),
            _("Name"),
            _("Category"),
            _("Role"),
            _("Price"),
            _("Unit cost"),
            _("Landed cost"),
            _("Gross margin"),
            _("Margin floor"),
            _("Floor source"),
            _("Below floor"),
            _("Units, last 28 days"),
            _("Days of cover"),
            _("Active"),
        ],
        rows=_export_rows(skus),
    )


def _export_rows(skus):
    """Plain rows of the filtered list (tuples, not model instances: 10k SKUs export in about a second)."""
    roles_ = {value: str(label) for value, label in SKU.Role.choices}
    sources = {key: str(label) for key, label in FLOOR_SOURCES.items()}
    rows = skus.values_list(
        "code",
        "name",
        "product__category__name",
        "role",
        "shown_price",
        "unit_cost",
        "landed_cost",
        "floor_value",
        "floor_source",
        "below_floor",
        "units_28d",
        "cover_days",
        "active",
    )
    for (
        code,
        name,
        category,
        role,
        price,
        cost,
        landed,
        floor,
        source,
        below,
        units,
        cover,
        active,
    ) in rows.iterator(chunk_size=2000):
        price, landed = pricing.money(price), pricing.money(landed)
        yield (
            code,
            name,
            category,
            roles_.get(role, role),
            price,
            cost,
            landed,
            pricing.gross_margin(price, landed),
            pricing.fraction(floor),
            sources[source],
            below,
            units,
            cover,
            active,
        )


WATERFALL_LABELS = {
    "price": gettext_lazy("List price"),
    "purchase": gettext_lazy("Purchase cost"),
    "inbound": gettext_lazy("Inbound logistics"),
    "packaging": gettext_lazy("Packaging"),
    "gross_profit": gettext_lazy("Gross profit"),
    "shipping": gettext_lazy("Outbound shipping"),
    "commission": gettext_lazy("Commission"),
    "payment_fee": gettext_lazy("Payment fee"),
    "marketing": gettext_lazy("Marketing"),
    "contribution": gettext_lazy("Contribution"),
}


@roles.area_required(roles.CATALOG)
@roles.reading_page
def sku_detail(request, code: str):
    """One SKU: cost build-up and margins by channel, floor, price and cost history, stock, sales,
    competitors, bundle and recommendations."""
    try:
        sku = selectors.sku_page_get(code=code)
    except SKU.DoesNotExist:
        raise Http404(_("No SKU with this code.")) from None
    settings = PricingSettings.current()
    today = timezone.localdate()
    channels = channel_list()
    figures = selectors.sku_pricing_get(sku, channels=channels, today=today, settings=settings)
    stock = panels.sku_stock(sku.pk)
    sales = panels.sku_daily_sales(sku.pk, days=90)
    audit = paginate(request, selectors.sku_price_change_list(sku=sku), per_page=20)
    can_edit = request.user.has_perm(EDIT_PERMISSION)
    return render(
        request,
        "catalog/sku_detail.html",
        {
            "sku": sku,
            "settings": settings,
            "figures": figures,
            "floor_source": FLOOR_SOURCES[figures.floor.source],
            "costs_row": _costs_row(sku),
            "waterfall": charts.cost_waterfall_figure(
                figures.base.steps(),
                labels=WATERFALL_LABELS,
                title=_("Cost build-up at the list price (no channel costs)"),
            ),
            "history": charts.price_history_figure(
                selectors.sku_price_history(sku=sku),
                names={"list_price": _("List price"), "unit_cost": _("Unit cost")},
                title=_("List price and unit cost over time"),
            ),
            "page_obj": audit,
            "query": querystring_without_page(request),
            "stock": stock,
            "stock_total": {
                key: sum(row[key] for row in stock) for key in ("on_hand", "reserved", "available")
            },
            "sales": sales,
            "sales_units": sum(row["units"] for row in sales),
            "sales_revenue": sum((row["revenue"] for row in sales), 0),
            "sales_chart": charts.daily_sales_figure(
                sales, units_label=_("Units"), revenue_label=_("Revenue"), title=_("Sales, last 90 days")
            )
            if sales
            else None,
            "competitors": selectors.sku_competitors_get(sku=sku, settings=settings),
            "bundle": selectors.sku_bundle_get(sku=sku, available_of=panels.sku_available, settings=settings),
            "in_bundles": selectors.sku_in_bundles(sku=sku),
            "recommendations": selectors.sku_recommendation_list(sku=sku),
            "price_url": _sku_url("catalog:sku-price", sku) if can_edit else None,
            "costs_url": _sku_url("catalog:sku-costs", sku) if can_edit else None,
            "field_labels": dict(PriceChange.Field.choices),
        },
    )


def _costs_row(sku: SKU):
    try:
        return sku.costs
    except SKU.costs.RelatedObjectDoesNotExist:
        return None
