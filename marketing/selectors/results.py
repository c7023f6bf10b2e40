"""Reads of promotion results (PromotionResult, built nightly by marketing.services.results)."""

from django.db.models import F, Q, QuerySet

from marketing.models import PromotionResult


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
