"""Demo promotions (`promotions_seed`), written after the catalogue and orders, spread over the past, the
present and the future of `end_date` (the demo's "today"):

- D11-TIERS 满199减20 / 满399减50 (threshold_amount, every SKU) for the last Double 11 (Nov 1-11) on or
  before `end_date`'s year; D12-TIERS 满299减30 / 满599减80 for the next Double 12 (Dec 1-12);
- CARE-15: 15 % off personal-care appliances, live (end_date - 3 days to + 11 days);
- VIP-PRICE: member prices (silver 5 %, gold 10 %, platinum 15 %), live since 60 days, open-ended;
- SUPPLIES-B2G1: cleaning supplies, buy 2 get the cheapest 1 free, live for a fortnight around today;
- GIFT-399: a gift (the SKU whose purchase cost is nearest 10 % of ¥399) from ¥399, live;
- WELCOME20: ¥20 off orders from ¥99 with the coupon code WELCOME20 (a public code), once per customer;
- FLASH-HERO: a flash sale on the own store, 2 hours the day after tomorrow, 200 units, 2 per customer, on
  a hero SKU at 70 % of its price (a loss leader); FLASH-PAST: the same a week ago;
- SPRING-DRAFT: an inactive draft.

Created with `promotion_clean` and `promotion_create`, like the API, so flash sales get their pools.
Deterministic: every choice follows from the seeded catalogue and `seed`. About 20 queries.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count

from catalog.models import SKU
from marketing.models import FlashSalePool, Promotion
from marketing.promotion_params import promotion_clean
from marketing.services.promotions import promotion_create

__all__ = ["promotions_seed"]


def _at(day: date, hour: int = 0) -> str:
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(day, time(hour), tzinfo=tz).isoformat()


def _price_9(value: Decimal) -> Decimal:
    """Round to a price ending in 9 (x9.00 above ¥100, x.90 below)."""
    if value >= 100:
        return Decimal(int(value / 10) * 10 + 9)
    return (Decimal(int(value)) + Decimal("0.90")).quantize(Decimal("0.01"))


def _hero_sku(rng: random.Random) -> SKU | None:
    """A hero (traffic) SKU picked by the seed among the first 20 by code (else any active SKU)."""
    for qs in (SKU.objects.filter(active=True, role=SKU.Role.HERO), SKU.objects.filter(active=True)):
        ids = list(qs.order_by("code").values_list("pk", flat=True)[:20])
        if ids:
            return SKU.objects.get(pk=rng.choice(ids))
    return None


def _gift_sku(threshold: Decimal) -> SKU | None:
    """The active SKU whose purchase cost is nearest 10 % of ``threshold`` (inside the 5-15 % band)."""
    target = threshold / 10
    low, high = threshold * Decimal("0.05"), threshold * Decimal("0.15")
    candidates = SKU.objects.filter(active=True, unit_cost__gte=low, unit_cost__lte=high).order_by("code")
    best = None
    for sku in candidates.only("code", "unit_cost")[:500]:
        if best is None or abs(sku.unit_cost - target) < abs(best.unit_cost - target):
            best = sku
    return best


def _create(data: dict) -> Promotion | None:
    cleaned, errors = promotion_clean(data)
    if errors:  # a category the catalogue of this scale does not have: skip that promotion
        return None
    return promotion_create(data=cleaned)


def promotions_seed(*, scale: str, seed: int, end_date: date) -> dict[str, int]:
    """Create the demo promotions (module docstring); returns rows created per model label."""
    rng = random.Random(f"{seed}-promotions")
    today = end_date
    created: list[Promotion] = []

    def add(**data) -> None:
        data.setdefault("scope", {})
        promotion = _create(data)
        if promotion is not None:
            created.append(promotion)

    d11_year = today.year if today >= date(today.year, 11, 1) else today.year - 1
    add(
        code="D11-TIERS",
        name="双11 满199减20 满399减50",
        kind="threshold_amount",
        params={"tiers": [{"threshold": "199", "amount": "20"}, {"threshold": "399", "amount": "50"}]},
        starts_at=_at(date(d11_year, 11, 1)),
        ends_at=_at(date(d11_year, 11, 12)),
        priority=10,
    )
    d12_year = today.year if today < date(today.year, 12, 1) else today.year + 1
    add(
        code="D12-TIERS",
        name="双12 满299减30 满599减80",
        kind="threshold_amount",
        params={"tiers": [{"threshold": "299", "amount": "30"}, {"threshold": "599", "amount": "80"}]},
        starts_at=_at(date(d12_year, 12, 1)),
        ends_at=_at(date(d12_year, 12, 13)),
        priority=10,
    )
    add(
        code="CARE-15",
        name="个护电器 85折",
        kind="percent_off",
        params={"percent": "15"},
        scope={"categories": ["personal-care"]},
        starts_at=_at(today - timedelta(days=3)),
        ends_at=_at(today + timedelta(days=12)),
        priority=5,
    )
    add(
        code="VIP-PRICE",
        name="会员价",
        kind="member_price",
        params={"tiers": {"silver": "5", "gold": "10", "platinum": "15"}},
        starts_at=_at(today - timedelta(days=60)),
        priority=20,
    )
    add(
        code="SUPPLIES-B2G1",
        name="清洁用品 买二送一",
        kind="buy_x_get_y",
        params={"buy": 2, "get": 1, "percent": "100", "max_applications": 2},
        scope={"categories": ["cleaning-supplies"]},
        starts_at=_at(today - timedelta(days=7)),
        ends_at=_at(today + timedelta(days=8)),
        priority=5,
    )
    gift = _gift_sku(Decimal("399"))
    if gift is not None:
        add(
            code="GIFT-399",
            name=f"满399赠{gift.name}"[:200],
            kind="gift",
            params={"threshold": "399", "gift_sku": gift.code, "quantity": 1},
            starts_at=_at(today - timedelta(days=10)),
            ends_at=_at(today + timedelta(days=21)),
        )
    add(
        code="WELCOME20",
        name="新人券 满99减20",
        kind="amount_off",
        params={"amount": "20", "min_spend": "99", "level": "order"},
        starts_at=_at(today - timedelta(days=30)),
        ends_at=_at(today + timedelta(days=61)),
        coupon_required=True,
        per_customer_limit=1,
    )
    hero = _hero_sku(rng)
    if hero is not None:
        price = _price_9(hero.list_price * Decimal("0.7")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for code, day, name in (
            ("FLASH-HERO", today + timedelta(days=2), "秒杀 7折"),
            ("FLASH-PAST", today - timedelta(days=7), "秒杀 7折 (上周)"),
        ):
            add(
                code=code,
                name=f"{name} {hero.name}"[:200],
                kind="flash_sale",
                params={"sku": hero.code, "price": str(price), "quantity": 200, "per_customer": 2},
                scope={"channels": ["own_store"]},
                starts_at=_at(day, 20),
                ends_at=_at(day, 22),
                priority=30,
                loss_leader=True,
            )
    add(
        code="SPRING-DRAFT",
        name="春季焕新 9折 (草稿)",
        kind="percent_off",
        params={"percent": "10"},
        starts_at=_at(today + timedelta(days=90)),
        ends_at=_at(today + timedelta(days=100)),
        active=False,
    )
    pools = FlashSalePool.objects.filter(promotion__in=created).aggregate(n=Count("id"))["n"]
    return {"marketing.Promotion": len(created), "marketing.FlashSalePool": pools}
