"""Marketing models, one module per subdomain: promotions, coupons and flash sales, campaigns and ads,
referrals, customers (RFM, membership, points)."""

from marketing.models.campaigns import AdMetricDay, Campaign
from marketing.models.customers import (
    CustomerRFM,
    MarketingSettings,
    Membership,
    MembershipTierRule,
    PointsEntry,
)
from marketing.models.promotions import (
    Coupon,
    CouponBatch,
    FlashSaleClaim,
    FlashSaleCustomerCount,
    FlashSalePool,
    Promotion,
    PromotionCustomerUsage,
    PromotionResult,
    Redemption,
)
from marketing.models.referrals import ReferralAttribution, ReferralCode, ReferralReward

__all__ = [
    "AdMetricDay",
    "Campaign",
    "Coupon",
    "CouponBatch",
    "CustomerRFM",
    "FlashSaleClaim",
    "FlashSaleCustomerCount",
    "FlashSalePool",
    "MarketingSettings",
    "Membership",
    "MembershipTierRule",
    "PointsEntry",
    "Promotion",
    "PromotionCustomerUsage",
    "PromotionResult",
    "Redemption",
    "ReferralAttribution",
    "ReferralCode",
    "ReferralReward",
]
