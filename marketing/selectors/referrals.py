"""Reads of referral and KOC codes: attributions, rewards, fission cost.

Fission cost (裂变成本) of a referral campaign = campaign cost ÷ new customers, where
- campaign cost = ad spend imported for the campaign (up to today) + its other cost (fees, KOC payments)
  + the discount given by the reward coupons of its codes (accepted redemptions of those coupons);
- new customers = the customers attributed to the campaign's codes (first orders).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum

from marketing.models import AdMetricDay, Campaign, Redemption, ReferralCode, ReferralReward

CENT = Decimal("0.01")


def referral_code_list(*, q: str = "", kind: str = "", campaign: str = "") -> QuerySet[ReferralCode]:
    """Codes with ``attributed`` (new customers) and ``rewards`` (rewards given) counts, filtered by a search
    on the code, owner or referrer, the kind and the campaign code."""
    qs = ReferralCode.objects.select_related("referrer", "campaign", "offer", "reward_promotion").annotate(
        attributed=Count("attributions", distinct=True), rewards_given=Count("rewards", distinct=True)
    )
    if q:
        qs = qs.filter(
            Q(code__icontains=q)
            | Q(owner_name__icontains=q)
            | Q(referrer__name__icontains=q)
            | Q(referrer__external_id__icontains=q)
        )
    if kind:
        qs = qs.filter(kind=kind)
    if campaign:
        qs = qs.filter(campaign__code=campaign)
    return qs.order_by("code")


def reward_discounts(*, code_ids) -> dict[int, Decimal]:
    """Referral code id -> the discount given by its reward coupons (accepted redemptions)."""
    out: dict[int, Decimal] = {}
    rows = (
        Redemption.objects.filter(
            status=Redemption.Status.ACCEPTED,
            coupon__in=ReferralReward.objects.filter(code_id__in=list(code_ids)).values("coupon_id"),
        )
        .values_list("coupon_id", "discount")
        .order_by()
    )
    by_coupon: dict[int, Decimal] = {}
    for coupon_id, discount in rows:
        by_coupon[coupon_id] = by_coupon.get(coupon_id, Decimal("0")) + discount
    for code_id, coupon_id in ReferralReward.objects.filter(code_id__in=list(code_ids)).values_list(
        "code_id", "coupon_id"
    ):
        if coupon_id in by_coupon:
            out[code_id] = out.get(code_id, Decimal("0")) + by_coupon[coupon_id]
    return out


def fission_cost(*, campaign: Campaign, today: date) -> dict:
    """The fission cost of a campaign: ``{"ad_spend", "other_cost", "reward_discount", "cost",
    "new_customers", "fission_cost" (cost ÷ new customers, to the cent; None without new customers)}``."""
    ad_spend = (
        AdMetricDay.objects.filter(campaign=campaign, day__lte=today).aggregate(s=Sum("spend"))["s"] or 0
    )
    code_ids = list(ReferralCode.objects.filter(campaign=campaign).values_list("pk", flat=True))
    reward = sum(reward_discounts(code_ids=code_ids).values(), Decimal("0"))
    new_customers = (
        ReferralCode.objects.filter(campaign=campaign).aggregate(n=Count("attributions"))["n"]
        if code_ids
        else 0
    )
    cost = Decimal(ad_spend) + campaign.other_cost + reward
    return {
        "ad_spend": Decimal(ad_spend).quantize(CENT),
        "other_cost": campaign.other_cost,
        "reward_discount": reward.quantize(CENT),
        "cost": cost.quantize(CENT),
        "new_customers": new_customers,
        "fission_cost": (cost / new_customers).quantize(CENT, rounding=ROUND_HALF_UP)
        if new_customers
        else None,
    }


def fission_cost_list(*, today: date) -> list[dict]:
    """The fission cost of every campaign that has referral codes (kind referral or not), by code:
    ``[{"campaign": Campaign, **fission_cost}]``."""
    campaigns = Campaign.objects.filter(referral_codes__isnull=False).distinct().order_by("code")
    return [{"campaign": c, **fission_cost(campaign=c, today=today)} for c in campaigns]
