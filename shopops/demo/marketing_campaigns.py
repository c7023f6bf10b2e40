"""Demo campaigns (`campaigns_seed`), written after the catalogue, the orders and the demo promotions
(`promotions_seed`), around `end_date` (the demo's "today"):

- the festival calendar of last year, this year and next year (年货节, 618, Double 11, Double 12) from
  `festival_calendar_ensure`; ended festivals have their checklist done, festivals in their planning
  period about half of it; the demo promotions D11-TIERS / D12-TIERS are linked to their festivals;
- ANNIV: the shop's anniversary (a shop event) 20 days ahead, 3 days, expected lift 1.5;
- ADS-DOUYIN: a running Douyin + Tmall ad campaign (20 days ago to 10 days ahead, budget ¥30,000) with
  daily metrics up to today, spending ahead of pace; ADS-JD: an ended JD search campaign (60 to 31 days ago)
  whose last week has a low CTR and ROI (out of band);
- FISSION: a referral drive (45 days ago to 15 days ahead, other cost ¥1,500) with five customer referral
  codes (rewarded with a WELCOME20 coupon every 3 invites when that coupon promotion exists) and one KOC
  code; about 30 new own-store customers whose first order falls in the drive get a referral code as their
  order's coupon code and are attributed (`referrals_attribute`);
- the promotion results of `end_date` (`promotion_results_build`).

Deterministic from `seed` and the seeded data. A few hundred rows; about a second at scale "small".
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from marketing.models import (
    AdMetricDay,
    Campaign,
    Promotion,
    PromotionResult,
    ReferralAttribution,
    ReferralCode,
    ReferralReward,
)
from marketing.services.campaigns import festival_calendar_ensure
from marketing.services.referrals import referral_code_create, referrals_attribute
from marketing.services.results import promotion_results_build
from orders.models import Channel, Customer, Order

__all__ = ["campaigns_seed"]

CENT = Decimal("0.01")


def _money(x: float) -> Decimal:
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def _ad_days(rng, campaign, channel, first: date, last: date, *, ctr, cpc, cvr, aov, daily_clicks) -> list:
    rows = []
    d = first
    while d <= last:
        clicks = max(1, int(rng.gauss(daily_clicks, daily_clicks * 0.15)))
        impressions = int(clicks / max(rng.gauss(ctr, ctr * 0.1), 0.001))
        orders = int(clicks * max(rng.gauss(cvr, cvr * 0.15), 0))
        rows.append(
            AdMetricDay(
                campaign=campaign,
                channel=channel,
                day=d,
                impressions=max(impressions, clicks),
                clicks=clicks,
                spend=_money(clicks * max(rng.gauss(cpc, cpc * 0.1), 0.05)),
                orders=orders,
                revenue=_money(orders * rng.gauss(aov, aov * 0.1)),
                new_customers=int(orders * rng.uniform(0.3, 0.6)),
                brand_value=_money(clicks * cpc * rng.uniform(0.1, 0.3)),
            )
        )
        d += timedelta(days=1)
    return rows


@transaction.atomic
def campaigns_seed(*, scale: str, seed: int, end_date: date) -> dict[str, int]:
    """Create the demo campaigns (module docstring); returns rows created per model label."""
    rng = random.Random(f"{seed}-campaigns")
    today = end_date
    before = {
        label: model.objects.count()
        for label, model in (
            ("marketing.Campaign", Campaign),
            ("marketing.AdMetricDay", AdMetricDay),
            ("marketing.ReferralCode", ReferralCode),
            ("marketing.ReferralAttribution", ReferralAttribution),
            ("marketing.ReferralReward", ReferralReward),
            ("marketing.PromotionResult", PromotionResult),
        )
    }

    # Festivals, checklists, links to the demo promotions.
    for year in (today.year - 1, today.year, today.year + 1):
        festival_calendar_ensure(year)
    for fest in Campaign.objects.filter(kind=Campaign.Kind.FESTIVAL):
        planning_from = fest.starts_on - timedelta(days=fest.planning_lead_days)
        if fest.ends_on < today:
            done = len(fest.checklist)
        elif planning_from <= today:
            done = len(fest.checklist) // 2
        else:
            continue
        fest.checklist = [{**item, "done": i < done} for i, item in enumerate(fest.checklist)]
        fest.budget = Decimal(rng.choice([20000, 30000, 50000]))
        fest.save(update_fields=["checklist", "budget", "updated_at"])
    for code, key in (("D11-TIERS", "D11"), ("D12-TIERS", "D12")):
        promotion = Promotion.objects.filter(code=code).first()
        if promotion is not None and promotion.starts_at is not None:
            Promotion.objects.filter(pk=promotion.pk).update(
                campaign=Campaign.objects.filter(
                    code=f"{key}-{timezone.localdate(promotion.starts_at).year}"
                ).first()
            )

    # The shop's anniversary.
    Campaign.objects.get_or_create(
        code="ANNIV",
        defaults={
            "name": "店庆 Shop anniversary",
            "kind": Campaign.Kind.SHOP_EVENT,
            "starts_on": today + timedelta(days=20),
            "ends_on": today + timedelta(days=22),
            "planning_lead_days": 30,
            "budget": Decimal("8000.00"),
            "expected_lift": Decimal("1.500"),
            "checklist": [
                {"key": "promotions", "item": "Set up the promotions", "owner": "marketing", "done": True},
                {"key": "stock", "item": "Check stock", "owner": "inventory_planner", "done": False},
            ],
        },
    )

    channels = {c.code: c for c in Channel.objects.all()}
    ad_rows = []
    if "douyin" in channels and "tmall" in channels:
        douyin_ads, made = Campaign.objects.get_or_create(
            code="ADS-DOUYIN",
            defaults={
                "name": "抖音信息流 + 天猫直通车",
                "kind": Campaign.Kind.ADS,
                "starts_on": today - timedelta(days=20),
                "ends_on": today + timedelta(days=10),
                "budget": Decimal("30000.00"),
                "other_cost": Decimal("2000.00"),
            },
        )
        if made:
            ad_rows += _ad_days(
                rng,
                douyin_ads,
                channels["douyin"],
                douyin_ads.starts_on,
                today,
                ctr=0.035,
                cpc=1.6,
                cvr=0.045,
                aov=168,
                daily_clicks=450,
            )
            ad_rows += _ad_days(
                rng,
                douyin_ads,
                channels["tmall"],
                douyin_ads.starts_on,
                today,
                ctr=0.028,
                cpc=2.2,
                cvr=0.06,
                aov=199,
                daily_clicks=220,
            )
    if "jd" in channels:
        jd_ads, made = Campaign.objects.get_or_create(
            code="ADS-JD",
            defaults={
                "name": "京东快车 search ads",
                "kind": Campaign.Kind.ADS,
                "channel": channels["jd"],
                "starts_on": today - timedelta(days=60),
                "ends_on": today - timedelta(days=31),
                "budget": Decimal("12000.00"),
            },
        )
        if made:
            ad_rows += _ad_days(
                rng,
                jd_ads,
                channels["jd"],
                jd_ads.starts_on,
                jd_ads.ends_on - timedelta(days=7),
                ctr=0.03,
                cpc=1.2,
                cvr=0.05,
                aov=150,
                daily_clicks=300,
            )
            # The last week: a tired creative (low CTR), dearer clicks, poor conversion.
            ad_rows += _ad_days(
                rng,
                jd_ads,
                channels["jd"],
                jd_ads.ends_on - timedelta(days=6),
                jd_ads.ends_on,
                ctr=0.012,
                cpc=3.4,
                cvr=0.02,
                aov=150,
                daily_clicks=250,
            )
    AdMetricDay.objects.bulk_create(ad_rows, ignore_conflicts=True)

    # The referral drive.
    own = channels.get("own_store")
    if own is not None and not Campaign.objects.filter(code="FISSION").exists():
        fission = Campaign.objects.create(
            code="FISSION",
            name="老带新 Invite friends",
            kind=Campaign.Kind.REFERRAL,
            channel=own,
            starts_on=today - timedelta(days=45),
            ends_on=today + timedelta(days=15),
            other_cost=Decimal("1500.00"),
        )
        reward = Promotion.objects.filter(code="WELCOME20", coupon_required=True).first()
        start_at_day = fission.starts_on
        referrers = list(
            Customer.objects.filter(channel=own, first_order_at__date__lt=start_at_day)
            .order_by("first_order_at", "pk")
            .values_list("pk", flat=True)[:200]
        )
        codes = []
        for i, pk in enumerate(sorted(rng.sample(referrers, min(5, len(referrers))))):
            codes.append(
                referral_code_create(
                    code=f"FRIEND{i + 1:02d}",
                    referrer=Customer.objects.get(pk=pk),
                    campaign=fission,
                    reward_invites=3,
                    reward_promotion=reward,
                )
            )
        codes.append(
            referral_code_create(
                code="KOC-MIMI",
                kind=ReferralCode.Kind.KOC,
                owner_name="米米 (小红书)",
                campaign=fission,
                reward_invites=10,
            )
        )
        newcomers = list(
            Order.objects.filter(
                channel=own,
                customer__first_order_at__date__gte=start_at_day,
                customer__first_order_at__date__lte=today,
                coupon_code="",
            )
            .exclude(status__in=Order.NOT_COUNTED)
            .order_by("placed_at", "pk")
            .values_list("pk", "customer_id", "placed_at", "customer__first_order_at")
        )
        firsts = [pk for pk, _cid, placed, first in newcomers if placed == first]
        chosen = sorted(rng.sample(firsts, min(30, len(firsts))))
        weights = [5, 4, 3, 2, 1, 6][: len(codes)]
        for pk in chosen:
            code = rng.choices(codes, weights=weights)[0]
            Order.objects.filter(pk=pk).update(coupon_code=code.code)
        if chosen:
            referrals_attribute(order_ids=chosen)

    promotion_results_build(business_date=today)

    after = {
        "marketing.Campaign": Campaign,
        "marketing.AdMetricDay": AdMetricDay,
        "marketing.ReferralCode": ReferralCode,
        "marketing.ReferralAttribution": ReferralAttribution,
        "marketing.ReferralReward": ReferralReward,
        "marketing.PromotionResult": PromotionResult,
    }
    return {label: model.objects.count() - before[label] for label, model in after.items()}
