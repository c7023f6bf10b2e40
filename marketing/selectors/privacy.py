"""What marketing holds about one customer, for a personal-data request (export)."""

from django.db.models import Q

from marketing.models import (
    Coupon,
    CustomerRFM,
    FlashSaleClaim,
    Membership,
    PointsEntry,
    PromotionCustomerUsage,
    Redemption,
    ReferralAttribution,
    ReferralCode,
    ReferralReward,
)
from shopops.common.privacy import records


def customer_export(*, customer_id: int) -> dict:
    """Membership (tier, points, birthday), the points ledger, the RFM segment, personal coupons and
    redemptions, promotion usage, flash-sale claims of their orders, referral codes, attributions and
    rewards."""
    codes = ReferralCode.objects.filter(referrer_id=customer_id)
    return {
        "membership": records(Membership.objects.filter(customer_id=customer_id)),
        "points": records(PointsEntry.objects.filter(customer_id=customer_id).order_by("id")),
        "segment": records(CustomerRFM.objects.filter(customer_id=customer_id)),
        "coupons": records(Coupon.objects.filter(customer_id=customer_id).order_by("id")),
        "redemptions": records(
            Redemption.objects.filter(
                Q(customer_id=customer_id) | Q(order__customer_id=customer_id)
            ).order_by("id")
        ),
        "promotion_usage": records(
            PromotionCustomerUsage.objects.filter(customer_id=customer_id).order_by("id")
        ),
        "flash_sale_claims": records(
            FlashSaleClaim.objects.filter(order__customer_id=customer_id).order_by("id")
        ),
        "referral_codes": records(codes.order_by("id")),
        "referral_attributions": records(
            ReferralAttribution.objects.filter(Q(customer_id=customer_id) | Q(code__in=codes)).order_by("id")
        ),
        "referral_rewards": records(ReferralReward.objects.filter(code__in=codes).order_by("id")),
    }
