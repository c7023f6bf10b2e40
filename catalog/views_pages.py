from django.shortcuts import render
from django.utils.translation import gettext as _

from catalog import selectors
from catalog.models import SKU
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page


@roles.area_required(roles.CATALOG)
def overview(request):
    """The catalogue list: filter by category, role and status; sort; export."""
    params = request.GET
    active = {"1": True, "0": False}.get(params.get("active", ""))
    skus = selectors.sku_list(
        category=params.get("category", ""),
        role=params.get("role", ""),
        active=active,
        search=params.get("q", "").strip(),
        ordering=params.get("sort", "code"),
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="skus",
            fmt=fmt,
            headers=[
                _("Code"),
                _("Name"),
                _("Category"),
                _("Role"),
                _("Unit cost"),
                _("List price"),
                _("Weight (kg)"),
                _("Active"),
            ],
            rows=(
                (
                    s.code,
                    s.name,
                    s.product.category.name,
                    s.get_role_display(),
                    s.unit_cost,
                    s.list_price,
                    s.weight_kg,
                    s.active,
                )
                for s in skus.iterator(chunk_size=2000)
            ),
        )
    return render(
        request,
        "catalog/overview.html",
        {
            "page_obj": paginate(request, skus),
            "query": querystring_without_page(request),
            "categories": selectors.category_list(),
            "roles": SKU.Role.choices,
            "filters": params,
        },
    )
