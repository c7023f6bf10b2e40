"""Reads for the coupon, redemption and flash-sale pages: querysets for lists, plain records for the
flash-sale monitor."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMinute
from django.utils import timezone

from marketing.models import Coupon, CouponBatch, FlashSaleClaim, FlashSalePool, Promotion, Redemption

COUPON_STATUSES = ("active", "inactive", "exhausted", "unused")
MONITOR_MINUTES = 60  # the claims-per-minute chart covers the last hour of a sale (or its first hour)
RATE_MINUTES = 10  # "claims per minute" in the table: the average over the last 10 minutes


def coupon_promotion_list() -> QuerySet[Promotion]:
    """Promotions that need a coupon (the ones codes can be made for), newest first."""
    return Promotion.objects.filter(coupon_required=True).order_by("-starts_at", "code")


def coupon_list(
    *, promotion: str = "", search: str = "", status: str = "", batch: int | None = None
) -> QuerySet[Coupon]:
    """Coupons with their promotion and batch. ``status``: active (usable: active and not used up),
    inactive, exhausted (``used`` reached ``usage_limit``), unused (never used). ``search``: part of the
    code (case-insensitive)."""
    coupons = Coupon.objects.select_related("promotion", "batch").order_by("code")
    if promotion:
        coupons = coupons.filter(promotion__code=promotion)
    if batch:
        coupons = coupons.filter(batch_id=batch)
    if search:
        coupons = coupons.filter(code__icontains=search.strip())
    exhausted = Q(usage_limit__isnull=False, used__gte=F("usage_limit"))
    if status == "active":
        coupons = coupons.filter(active=True).exclude(exhausted)
    elif status == "inactive":
        coupons = coupons.filter(active=False)
    elif status == "exhausted":
        coupons = coupons.filter(exhausted)
    elif status == "unused":
        coupons = coupons.filter(used=0)
    return coupons


def coupon_batch_list(*, promotion: str = "") -> QuerySet[CouponBatch]:
    """Batches, newest first, with how many of their codes were used."""
    batches = (
        CouponBatch.objects.select_related("promotion", "created_by")
        .annotate(codes_used=Count("coupons", filter=Q(coupons__used__gt=0)), uses=Sum("coupons__used"))
        .order_by("-created_at", "-id")
    )
    if promotion:
        batches = batches.filter(promotion__code=promotion)
    return batches


def coupon_batch_get(*, pk: int) -> CouponBatch | None:
    return CouponBatch.objects.select_related("promotion").filter(pk=pk).first()


def redemption_list(*, promotion: str = "", status: str = "", search: str = "") -> QuerySet[Redemption]:
    """Redemptions, newest first. ``search``: the order's external id, the coupon code or the customer's
    external id (case-insensitive, part of it)."""
    rows = Redemption.objects.select_related(
        "promotion", "coupon", "order", "order__channel", "customer"
    ).order_by("-created_at", "-id")
    if promotion:
        rows = rows.filter(promotion__code=promotion)
    if status in Redemption.Status.values:
        rows = rows.filter(status=status)
    if search:
        term = search.strip()
        rows = rows.filter(
            Q(order__external_id__icontains=term)
            | Q(coupon__code__icontains=term)
            | Q(customer__external_id__icontains=term)
        )
    return rows


def redemption_promotion_list() -> QuerySet[Promotion]:
    """Promotions that have redemptions (the redemption list's promotion filter)."""
    return Promotion.objects.filter(redemptions__isnull=False).distinct().order_by("code")


def redemption_totals(rows: QuerySet[Redemption]) -> dict:
    """Accepted and refused counts and the accepted discount of a redemption list."""
    totals = rows.order_by().aggregate(
        accepted=Count("id", filter=Q(status=Redemption.Status.ACCEPTED)),
        refused=Count("id", filter=Q(status=Redemption.Status.REFUSED)),
        discount=Sum("discount", filter=Q(status=Redemption.Status.ACCEPTED)),
    )
    return totals


def flash_sale_list() -> QuerySet[Promotion]:
    """Flash-sale promotions, the latest start first."""
    return Promotion.objects.filter(kind=Promotion.Kind.FLASH_SALE).order_by(
        F("starts_at").desc(nulls_last=True), "code"
    )


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return None


def flash_sale_status(promotion: Promotion, now: datetime) -> str:
    """live / upcoming / ended / inactive."""
    if not promotion.active:
        return "inactive"
    if promotion.starts_at and now < promotion.starts_at:
        return "upcoming"
    if promotion.ends_at and now >= promotion.ends_at:
        return "ended"
    return "live"


def flash_sale_monitor(*, promotions: list[Promotion], now: datetime | None = None) -> list[dict]:
    """Per flash sale: ``quantity`` (the pool), ``held`` (units of held claims not yet expired),
    ``converted`` (units bought by synced orders), ``expired_held`` (held past their time, free again: the
    next claim or the minute task releases them), ``remaining`` (quantity - held - converted),
    ``claims`` (claims ever made), ``per_minute`` (claims per minute over the last 10 minutes),
    ``status``. Three queries for the whole page."""
    now = now or timezone.now()
    ids = [p.pk for p in promotions]
    pools = dict(FlashSalePool.objects.filter(promotion_id__in=ids).values_list("promotion_id", "quantity"))
    units: dict[int, dict[str, int]] = defaultdict(lambda: {"held": 0, "converted": 0, "expired_held": 0})
    claims: dict[int, int] = defaultdict(int)
    recent: dict[int, int] = defaultdict(int)
    since = now - timedelta(minutes=RATE_MINUTES)
    for row in (
        FlashSaleClaim.objects.filter(promotion_id__in=ids)
        .values("promotion_id", "status")
        .annotate(
            units=Sum("quantity"),
            count=Count("id"),
            stale=Sum("quantity", filter=Q(expires_at__lte=now)),
            recent=Count("id", filter=Q(created_at__gte=since)),
        )
    ):
        pid = row["promotion_id"]
        claims[pid] += row["count"]
        recent[pid] += row["recent"]
        if row["status"] == FlashSaleClaim.Status.HELD:
            stale = row["stale"] or 0
            units[pid]["held"] += row["units"] - stale
            units[pid]["expired_held"] += stale
        elif row["status"] == FlashSaleClaim.Status.CONVERTED:
            units[pid]["converted"] += row["units"]
    records = []
    for promotion in promotions:
        pid = promotion.pk
        quantity = pools.get(pid, 0)
        held, converted = units[pid]["held"], units[pid]["converted"]
        records.append(
            {
                "promotion": promotion,
                "code": promotion.code,
                "name": promotion.name,
                "sku": (promotion.params or {}).get("sku", ""),
                "price": _decimal((promotion.params or {}).get("price")),
                "per_customer": (promotion.params or {}).get("per_customer"),
                "starts_at": promotion.starts_at,
                "ends_at": promotion.ends_at,
                "status": flash_sale_status(promotion, now),
                "quantity": quantity,
                "held": held,
                "converted": converted,
                "expired_held": units[pid]["expired_held"],
                "remaining": max(quantity - held - converted, 0),
                "claims": claims[pid],
                "per_minute": round(recent[pid] / RATE_MINUTES, 1),
            }
        )
    return records


def flash_claims_per_minute(
    *, promotion: Promotion, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Claims per minute of one sale over ``MONITOR_MINUTES``: the last hour while it runs or after it
    ended (the hour before its end), every minute listed (0 when none)."""
    now = now or timezone.now()
    end = min(now, promotion.ends_at) if promotion.ends_at else now
    end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(minutes=MONITOR_MINUTES)
    if promotion.starts_at and promotion.starts_at > start:
        start = promotion.starts_at.replace(second=0, microsecond=0)
    counts = dict(
        FlashSaleClaim.objects.filter(promotion=promotion, created_at__gte=start, created_at__lt=end)
        .annotate(minute=TruncMinute("created_at"))
        .values_list("minute")
        .annotate(n=Count("id"))
        .values_list("minute", "n")
    )
    minutes = []
    at = start
    while at < end:
        minutes.append((at, counts.get(at, 0)))
        at += timedelta(minutes=1)
    return minutes
