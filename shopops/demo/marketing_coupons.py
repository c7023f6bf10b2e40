"""Demo coupons, redemptions and flash-sale claims (`coupons_seed`), written after the catalogue, the
orders and the demo promotions (``marketing_promotions.promotions_seed``).

- SMS-COUPON30: ¥30 off orders from ¥199 with a coupon, once per customer (end_date - 30 days to
  + 30 days), created here, with a batch of single-use codes (50 / 100 / 1,000 at scale tiny / small /
  large, prefix SMS-) and one hand-made code SMS-VIP (50 uses). WELCOME20 keeps its public code (a
  promotion's own code stops working once it has generated codes, so no codes are made for it).
- Own-store orders of the last 4-25 days that used those codes or WELCOME20 (15 / 30 / 150), synced via
  ``orders.services.order_sync`` like a channel would: a few reuse a single-use code or a once-per-
  customer promotion, so the redemption list shows refusals with their reasons.
- The flash sale FLASH-PAST (a week ago, 200 units, 2 per customer), when the promotions seed made it:
  claims during its first 40 minutes from 40 / 100 / 300 own-store customers, about two thirds bought
  by synced orders carrying the claim id (converted), the rest expired and returned to the pool.

Redemptions and conversions are recorded by ``marketing.order_promotions_record`` (the order sync's
follow-up, which runs when the outer transaction commits; called here directly too: it is idempotent).
Deterministic from ``seed``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketing.models import Coupon, FlashSaleClaim, Promotion, Redemption
from marketing.services import flash, redemptions
from marketing.services.coupons import coupon_batch_create, coupon_create
from orders.models import Customer, Order, OrderLine

__all__ = ["coupons_seed"]

CHANNEL = "own_store"
TZ = ZoneInfo(settings.TIME_ZONE)
SIZES = {"tiny": (50, 15, 40), "small": (100, 30, 100)}  # batch codes, coupon orders, flash claimants
SIZES_DEFAULT = (1000, 150, 300)


def _sms_promotion(end_date: date) -> Promotion:
    promotion = Promotion.objects.filter(code="SMS-COUPON30").first()
    if promotion is not None:
        return promotion
    start = datetime.combine(end_date - timedelta(days=30), time.min, tzinfo=TZ)
    return Promotion.objects.create(
        code="SMS-COUPON30",
        name="短信券 满199减30",
        kind=Promotion.Kind.AMOUNT_OFF,
        params={"amount": "30.00", "min_spend": "199.00", "level": "order"},
        starts_at=start,
        ends_at=start + timedelta(days=61),
        priority=5,
        coupon_required=True,
        per_customer_limit=1,
    )


def _record(order_ids: list[int]) -> None:
    """Redemptions and conversions of the given orders (what the sync's follow-up does; idempotent)."""
    redemptions.order_promotions_record(order_ids=order_ids)


def coupons_seed(*, scale: str, seed: int, end_date: date) -> dict[str, int]:
    """Create the demo coupons, coupon orders and flash-sale claims (module docstring); returns rows created
    per model label."""
    rng = random.Random(f"{seed}-coupons")
    n_codes, n_orders, n_claimants = SIZES.get(scale, SIZES_DEFAULT)
    before = {
        "marketing.Coupon": Coupon.objects.count(),
        "marketing.FlashSaleClaim": FlashSaleClaim.objects.count(),
        "marketing.Redemption": Redemption.objects.count(),
    }
    customers = list(
        Customer.objects.filter(channel__code=CHANNEL)
        .order_by("pk")
        .values_list("external_id", flat=True)[:5000]
    )
    if not customers:
        return {}
    promotion = _sms_promotion(end_date)
    batch = coupon_batch_create(
        promotion=promotion,
        count=n_codes,
        prefix="SMS-",
        name="短信券 批次",
        usage_limit=1,
        per_customer_limit=1,
        rng=random.Random(f"{seed}-coupon-codes"),  # the same codes for the same seed (demo only)
    )
    if not Coupon.objects.filter(code="SMS-VIP").exists():
        coupon_create(promotion=promotion, code="SMS-VIP", usage_limit=50, per_customer_limit=1)
    public = "WELCOME20" if Promotion.objects.filter(code="WELCOME20", coupon_required=True).exists() else ""
    codes = list(Coupon.objects.filter(batch=batch).order_by("code").values_list("code", flat=True))

    # Coupon codes on existing own-store orders of the last 4-25 days without a code (their amounts stay:
    # the redemption records what the order says): mostly batch codes, some the public code, a few reuses.
    window = (
        datetime.combine(end_date - timedelta(days=25), time.min, tzinfo=TZ),
        datetime.combine(end_date - timedelta(days=3), time.min, tzinfo=TZ),
    )
    candidates = list(
        Order.objects.filter(
            channel__code=CHANNEL,
            placed_at__gte=window[0],
            placed_at__lt=window[1],
            coupon_code="",
            customer__isnull=False,
        )
        .exclude(status__in=[Order.Status.PENDING, Order.Status.CANCELLED])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = sorted(rng.sample(candidates, min(len(candidates), n_orders)))
    updates = []
    for i, order_id in enumerate(chosen):
        roll = rng.random()
        if roll < 0.6:
            code = (
                codes[(i - 1) % len(codes)] if i % 12 == 11 else codes[i % len(codes)]
            )  # a reuse now and then
        elif roll < 0.85 and public:
            code = public
        else:
            code = "SMS-VIP"
        updates.append(Order(pk=order_id, coupon_code=code))
    Order.objects.bulk_update(updates, ["coupon_code"], batch_size=500)
    _record(chosen)

    # The past flash sale: own-store buyers of its SKU in the last 60 days claimed it (their order lines
    # carry the claim: converted); other customers' claims expired and went back to the pool.
    sale = Promotion.objects.filter(code="FLASH-PAST", kind=Promotion.Kind.FLASH_SALE).first()
    if sale is not None and sale.starts_at and sale.ends_at:
        sku = sale.params["sku"]
        lines = list(
            OrderLine.objects.filter(
                sku__code=sku,
                flash_claim="",
                order__channel__code=CHANNEL,
                order__customer__isnull=False,
                order__placed_at__gte=datetime.combine(end_date - timedelta(days=60), time.min, tzinfo=TZ),
            )
            .exclude(order__status__in=[Order.Status.PENDING, Order.Status.CANCELLED])
            .order_by("pk")
            .values_list("pk", "order_id", "order__customer__external_id", "quantity")
        )
        buyers: dict[str, tuple] = {}
        for line in lines:
            buyers.setdefault(line[2], line)  # one line per customer
        bought = list(buyers.values())[: (n_claimants * 2) // 3]
        others = [c for c in rng.sample(customers, min(len(customers), n_claimants)) if c not in buyers]
        claimants = [(line[2], line) for line in bought] + [(c, None) for c in others]
        claimants = claimants[:n_claimants]
        rng.shuffle(claimants)
        claimed_lines = []
        for i, (customer, line) in enumerate(claimants):
            at = sale.starts_at + timedelta(seconds=int(2400 * (i / len(claimants)) ** 1.5))
            quantity = min(line[3], 2) if line else (1 if rng.random() < 0.7 else 2)
            try:
                claim = flash.flash_claim_create(
                    code=sale.code, customer=customer, sku=sku, quantity=quantity, now=at
                )
            except (flash.ClaimRefused, ValidationError):  # sold out, or the sale changed
                continue
            if line:
                claimed_lines.append(OrderLine(pk=line[0], flash_claim=str(claim.id)))
        OrderLine.objects.bulk_update(claimed_lines, ["flash_claim"], batch_size=500)
        _record(
            sorted(
                set(
                    OrderLine.objects.filter(pk__in=[c.pk for c in claimed_lines]).values_list(
                        "order_id", flat=True
                    )
                )
            )
        )
        flash.flash_claims_expire(now=max(sale.ends_at, timezone.now()))

    after = {
        "marketing.Coupon": Coupon.objects.count(),
        "marketing.FlashSaleClaim": FlashSaleClaim.objects.count(),
        "marketing.Redemption": Redemption.objects.count(),
    }
    created = {label: after[label] - before[label] for label in before}
    created["marketing.CouponBatch"] = 1
    return created
