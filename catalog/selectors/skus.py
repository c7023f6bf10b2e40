"""Reads of the catalogue."""

from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from catalog.models import SKU, Category
from shopops.common.bulk import pg_execute

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


def sku_ids_and_costs(*, codes) -> dict[str, tuple]:
    """code -> (id, unit cost) for the given SKU codes that exist (one query)."""
    if connection.vendor == "postgresql":  # one array parameter, not one bound literal per code
        rows = pg_execute(
            "SELECT code, id, unit_cost FROM catalog_sku WHERE code = ANY(%s::varchar[])", [list(codes)]
        )
        return {code: (pk, cost) for code, pk, cost in rows}
    return {
        code: (pk, cost)
        for pk, code, cost in SKU.objects.filter(code__in=codes).values_list("id", "code", "unit_cost")
    }


def sku_client_list(
    *,
    codes: Sequence[str] = (),
    updated_since: datetime | None = None,
    active: bool | None = None,
) -> QuerySet[SKU]:
    """SKUs for API clients, ordered by id (the order their cursor pagination walks).

    `codes` keeps only those codes (exact); `updated_since` keeps SKUs changed at or after that instant, so
    a client that passes the time of its last sync misses nothing (it may see a row twice).
    """
    qs = SKU.objects.select_related("product__category")
    if codes:
        qs = qs.filter(code__in=set(codes))
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("id")
