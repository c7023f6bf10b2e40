"""Reads of promotion results (PromotionResult, built nightly by marketing.services.results)."""

from datetime import date

from django.db.models import F, Q, QuerySet

from marketing.models import PromotionResult
from shopops.common.dates import day_range


def promotion_result_list(*, q: str = "", kind: str = "", order: str = "") -> QuerySet[PromotionResult]:
    """Results with their promotion, filtered by a search on the promotion's code or name and its kind;
    ordered by `order` ("roi", "uplift", "gmv", "-…" for descending) or, by default, latest start first."""
    qs = PromotionResult.objects.select_related("promotion")
    if q:
        qs = qs.filter(Q(promotion__code__icontains=q) | Q(promotion__name__icontains=q))
    if kind:
        qs = qs.filter(promotion__kind=kind)
    allowed = {"roi", "uplift", "gmv", "margin", "discount_cost"}
    if order.lstrip("-") in allowed:
        field = order.lstrip("-")
        expr = F(field).desc(nulls_last=True) if order.startswith("-") else F(field).asc(nulls_last=True)
        qs = qs.order_by(expr, "promotion__code")
    else:
        qs = qs.order_by("-promotion__starts_at", "promotion__code")
    return qs


def promotion_result_get(*, code: str) -> PromotionResult | None:
    return (
        PromotionResult.objects.select_related("promotion", "promotion__campaign")
        .filter(promotion__code=code)
        .first()
    )


def promotion_result_in_period(*, start: date, end: date) -> QuerySet[PromotionResult]:
    """Results of the promotions that ran during the shop-local dates [start, end): started before the
    period's end and not ended before its start (no end: still running). Promotions without a start are
    left out. Oldest start first, then by code."""
    start_at, end_at = day_range(start, end)
    return (
        PromotionResult.objects.select_related("promotion", "promotion__campaign")
        .filter(promotion__starts_at__isnull=False, promotion__starts_at__lt=end_at)
        .filter(Q(promotion__ends_at__isnull=True) | Q(promotion__ends_at__gt=start_at))
        .order_by("promotion__starts_at", "promotion__code")
    )
