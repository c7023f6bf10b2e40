"""Marketing data maintenance in the admin (themed, admins only). The daily work happens on the marketing
pages; here admins look things up and fix reference data.

What the services keep consistent is read-only here: promotions (their editor validates parameters,
syncs flash-sale pools and refreshes the quote cache), usage counters, redemptions, flash-sale claims and
pools, the points ledger and balances, RFM scores and promotion results. Tier thresholds are checked as a
whole table, as on the membership page.
"""

from django import forms
from django.contrib import admin
from unfold.admin import ModelAdmin

from marketing import membership
from marketing.models import (
    AdMetricDay,
    Campaign,
    Coupon,
    CouponBatch,
    CustomerRFM,
    FlashSaleClaim,
    FlashSaleCustomerCount,
    FlashSalePool,
    MarketingSettings,
    Membership,
    MembershipTierRule,
    PointsEntry,
    Promotion,
    PromotionCustomerUsage,
    PromotionResult,
    Redemption,
    ReferralAttribution,
    ReferralCode,
    ReferralReward,
)
from marketing.services.customers import TIER_MESSAGES
from shopops.common.admin import ReadOnlyAdmin

# -- promotions, coupons, flash sales ---------------------------------------------------------------------


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyAdmin):
    """Read-only: promotions are created and edited in the promotion editor (validated parameters, flash
    pool sync, quote cache refresh)."""

    list_display = ["code", "name", "kind", "starts_at", "ends_at", "priority", "exclusive", "active", "used"]
    list_filter = ["kind", "active", "exclusive", "coupon_required", "loss_leader"]
    search_fields = ["code", "name"]
    date_hierarchy = "starts_at"


@admin.register(PromotionCustomerUsage)
class PromotionCustomerUsageAdmin(ReadOnlyAdmin):
    list_display = ["promotion", "customer", "used"]
    search_fields = ["promotion__code", "customer__external_id"]
    list_select_related = ["promotion", "customer"]


@admin.register(CouponBatch)
class CouponBatchAdmin(ReadOnlyAdmin):
    list_display = ["name", "promotion", "prefix", "count", "created_at", "created_by"]
    search_fields = ["name", "prefix", "promotion__code"]
    list_select_related = ["promotion", "created_by"]


@admin.register(Coupon)
class CouponAdmin(ModelAdmin):
    """Only `active` may be changed (switching a leaked code off); codes are issued by the coupon pages."""

    list_display = ["code", "promotion", "batch", "usage_limit", "per_customer_limit", "used", "active"]
    list_filter = ["active"]
    search_fields = ["code", "promotion__code"]
    list_select_related = ["promotion", "batch"]
    readonly_fields = ["code", "promotion", "batch", "usage_limit", "per_customer_limit", "used"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "promotion", "coupon", "order", "customer", "status", "reason", "discount"]
    list_filter = ["status"]
    search_fields = ["promotion__code", "coupon__code", "order__external_id"]
    list_select_related = ["promotion", "coupon", "order", "customer"]
    date_hierarchy = "created_at"


@admin.register(FlashSalePool)
class FlashSalePoolAdmin(ReadOnlyAdmin):
    list_display = ["promotion", "quantity", "claimed"]
    list_select_related = ["promotion"]


@admin.register(FlashSaleCustomerCount)
class FlashSaleCustomerCountAdmin(ReadOnlyAdmin):
    list_display = ["promotion", "customer_ref", "claimed"]
    search_fields = ["promotion__code", "customer_ref"]
    list_select_related = ["promotion"]


@admin.register(FlashSaleClaim)
class FlashSaleClaimAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "promotion",
        "customer_ref",
        "sku",
        "quantity",
        "status",
        "created_at",
        "expires_at",
    ]
    list_filter = ["status"]
    search_fields = ["promotion__code", "customer_ref", "sku__code"]
    list_select_related = ["promotion", "sku"]
    date_hierarchy = "created_at"


@admin.register(PromotionResult)
class PromotionResultAdmin(ReadOnlyAdmin):
    list_display = [
        "promotion",
        "computed_at",
        "orders",
        "redemptions",
        "discount_cost",
        "gmv",
        "uplift",
        "roi",
    ]
    search_fields = ["promotion__code"]
    list_select_related = ["promotion"]


# -- campaigns and ads ------------------------------------------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
    list_display = ["code", "name", "kind", "channel", "starts_on", "ends_on", "budget"]
    list_filter = ["kind", "channel"]
    search_fields = ["code", "name"]
    date_hierarchy = "starts_on"


@admin.register(AdMetricDay)
class AdMetricDayAdmin(ModelAdmin):
    list_display = ["day", "campaign", "channel", "impressions", "clicks", "spend", "orders", "revenue"]
    list_filter = ["channel"]
    search_fields = ["campaign__code"]
    list_select_related = ["campaign", "channel"]
    raw_id_fields = ["campaign"]
    date_hierarchy = "day"


# -- referrals --------------------------------------------------------------------------------------------


@admin.register(ReferralCode)
class ReferralCodeAdmin(ModelAdmin):
    list_display = ["code", "kind", "referrer", "owner_name", "campaign", "reward_invites", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "owner_name", "referrer__external_id"]
    raw_id_fields = ["referrer", "campaign", "offer", "reward_promotion"]


@admin.register(ReferralAttribution)
class ReferralAttributionAdmin(ReadOnlyAdmin):
    list_display = ["code", "customer", "order", "attributed_at", "rewarded"]
    search_fields = ["code__code", "customer__external_id"]
    list_select_related = ["code", "customer", "order"]


@admin.register(ReferralReward)
class ReferralRewardAdmin(ReadOnlyAdmin):
    list_display = ["code", "coupon", "invites", "awarded_at"]
    search_fields = ["code__code", "coupon__code"]
    list_select_related = ["code", "coupon"]


# -- customers --------------------------------------------------------------------------------------------


@admin.register(MarketingSettings)
class MarketingSettingsAdmin(ModelAdmin):
    list_display = [
        "rfm_window_days",
        "winback_days",
        "points_per_yuan",
        "points_value",
        "points_expire_days",
    ]

    def has_add_permission(self, request):  # one row: MarketingSettings.current()
        return not MarketingSettings.objects.exists() and super().has_add_permission(request)


class MembershipTierRuleForm(forms.ModelForm):
    class Meta:
        model = MembershipTierRule
        fields = ["code", "name", "rank", "min_spend", "min_orders", "points_multiplier"]

    def clean(self):
        """The whole tier table with this row changed (or added) must pass membership.tier_rules_check."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        row = membership.TierRule(
            cleaned["code"],
            cleaned["name"],
            cleaned["rank"],
            cleaned["min_spend"],
            cleaned["min_orders"],
            cleaned["points_multiplier"],
        )
        others = [
            membership.TierRule(r.code, r.name, r.rank, r.min_spend, r.min_orders, r.points_multiplier)
            for r in MembershipTierRule.objects.exclude(pk=self.instance.pk)
        ]
        problems = membership.tier_rules_check([*others, row])
        if len(others) + 1 < membership.MIN_TIERS and membership.TOO_FEW_OR_MANY in problems.get(
            "__all__", []
        ):
            problems["__all__"].remove(membership.TOO_FEW_OR_MANY)  # the table is still being filled
        messages = [str(TIER_MESSAGES[code]) for codes in problems.values() for code in codes]
        if messages:
            raise forms.ValidationError(messages)
        return cleaned


@admin.register(MembershipTierRule)
class MembershipTierRuleAdmin(ModelAdmin):
    form = MembershipTierRuleForm
    list_display = ["rank", "code", "name", "min_spend", "min_orders", "points_multiplier"]
    ordering = ["rank"]

    def has_delete_permission(self, request, obj=None):
        """Keep at least 3 tiers."""
        return MembershipTierRule.objects.count() > membership.MIN_TIERS and super().has_delete_permission(
            request, obj
        )


@admin.register(Membership)
class MembershipAdmin(ModelAdmin):
    """The birthday may be corrected; tier and points come from the nightly run and the ledger."""

    list_display = ["customer", "tier", "tier_since", "points", "birthday"]
    list_filter = ["tier"]
    search_fields = ["customer__external_id"]  # names are encrypted at rest: not searchable by part
    list_select_related = ["customer"]
    readonly_fields = ["customer", "tier", "tier_since", "points"]
    fields = ["customer", "tier", "tier_since", "points", "birthday"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    """The points ledger is append-only."""

    list_display = ["created_at", "customer", "kind", "points", "remaining", "expires_on", "order", "note"]
    list_filter = ["kind"]
    search_fields = ["customer__external_id", "order__external_id"]
    list_select_related = ["customer", "order"]
    date_hierarchy = "created_at"


@admin.register(CustomerRFM)
class CustomerRFMAdmin(ReadOnlyAdmin):
    list_display = [
        "customer",
        "segment",
        "r",
        "f",
        "m",
        "recency_days",
        "frequency",
        "monetary",
        "computed_on",
    ]
    list_filter = ["segment", "r", "f"]
    search_fields = ["customer__external_id"]
    list_select_related = ["customer"]
