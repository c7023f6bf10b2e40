"""Reads for the price recommendations: the review queue and the SKUs the nightly facts cover."""

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from catalog.models import SKU, PriceRecommendation


def sku_ids_active() -> list[int]:
    """Ids of the active SKUs, in id order (the nightly facts cover them)."""
    return list(SKU.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))


def recommendation_list(*, action: str = "", category: str = "", today: date | None = None) -> QuerySet:
    """The review queue: pending recommendations not past their expiry, newest date first, then by SKU
    code; filtered by action and by category code (a category includes its direct sub-categories)."""
    today = today or timezone.localdate()
    qs = PriceRecommendation.objects.filter(
        status=PriceRecommendation.Status.PENDING, expires_on__gte=today
    ).select_related("sku__product__category")
    if action in PriceRecommendation.Action.values:
        qs = qs.filter(action=action)
    if category:
        qs = qs.filter(
            Q(sku__product__category__code=category) | Q(sku__product__category__parent__code=category)
        )
    return qs.order_by("-business_date", "sku__code", "id")


def recommendation_counts(*, today: date | None = None) -> dict[str, int]:
    """Pending recommendations per action (every action present), in one query."""
    today = today or timezone.localdate()
    counts = dict.fromkeys(PriceRecommendation.Action.values, 0)
    rows = (
        PriceRecommendation.objects.filter(status=PriceRecommendation.Status.PENDING, expires_on__gte=today)
        .values("action")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["action"]] = row["n"]
    return counts
