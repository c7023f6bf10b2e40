"""Reads of the catalogue."""

from django.db.models import Q, QuerySet

from catalog.models import SKU, Category

SKU_ORDERINGS = {
    "code": "code",
    "-code": "-code",
    "price": "list_price",
    "-price": "-list_price",
    "cost": "unit_cost",
    "-cost": "-unit_cost",
    "name": "name",
    "-name": "-name",
}


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("name")


def sku_list(
    *,
    category: str = "",
    role: str = "",
    active: bool | None = None,
    search: str = "",
    ordering: str = "code",
) -> QuerySet[SKU]:
    qs = SKU.objects.select_related("product__category")
    if category:
        qs = qs.filter(product__category__code=category)
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(active=active)
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return qs.order_by(SKU_ORDERINGS.get(ordering, "code"), "id")
