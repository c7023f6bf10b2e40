import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Promotion(TimeStampedModel):
    """One promotion rule. Its kind's parameters live in ``params`` (validated per kind by the service),
    its scope in ``scope``: {"skus": [SKU codes], "categories": [category codes], "channels": [channel
    codes], "member_tiers": [tier codes]}, an empty list meaning "all"."""

    class Kind(models.TextChoices):
        PERCENT_OFF = "percent_off", _("Percent off")
        AMOUNT_OFF = "amount_off", _("Amount off")
        THRESHOLD_AMOUNT = "threshold_amount", _("Spend and save (满减)")
        THRESHOLD_PERCENT = "threshold_percent", _("Spend and get percent off (满折)")
        BUY_X_GET_Y = "buy_x_get_y", _("Buy X get Y")
        BUNDLE_PRICE = "bundle_price", _("Bundle price")
        GIFT = "gift", _("Gift with purchase")
        FLASH_SALE = "flash_sale", _("Flash sale")
        MEMBER_PRICE = "member_price", _("Member price")

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    exclusive = models.BooleanField(_("exclusive"), default=False)
    coupon_required = models.BooleanField(_("coupon required"), default=False)
    usage_limit = models.PositiveIntegerField(_("usage limit"), null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(_("per-customer limit"), null=True, blank=True)
    loss_leader = models.BooleanField(_("loss leader"), default=False)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive promotions are drafts or paused: they never apply.")
    )
    used = models.PositiveIntegerField(_("times used"), default=0)
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promotions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-starts_at", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="promotion_window_order",
            ),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used__lte=F("usage_limit")),
                name="promotion_used_within_limit",
            ),
        ]
        indexes = [models.Index(fields=["active", "ends_at"], name="promotion_active_ends")]

    def __str__(self):
        return f"{self.code} {self.name}"


class PromotionCustomerUsage(models.Model):
    """How many times one customer used one promotion: a counter row, raised with a conditional update so
    that the per-customer limit holds under concurrency."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="customer_usage")
    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="+")
    used = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("promotion use per customer")
        verbose_name_plural = _("promotion uses per customer")
        constraints = [
            models.UniqueConstraint(fields=["promotion", "customer"], name="promotioncustomerusage_uniq"),
        ]

    def __str__(self):
        return f"{self.promotion_id} {self.customer_id} {self.used}"


class CouponBatch(TimeStampedModel):
    """A generated batch of single-use (or limited-use) codes for one coupon promotion."""

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.PROTECT, related_name="coupon_batches"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    count = models.PositiveIntegerField(_("codes"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    class Meta:
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name or f"{self.prefix}×{self.count}"


class Coupon(TimeStampedModel):
    """A code that unlocks a coupon promotion. ``code`` is stored upper-case. Its own limits come on top of
    the promotion's: ``usage_limit`` uses of this code in total, ``per_customer_limit`` per customer.
    A coupon issued to a ``customer`` is personal: nobody else may use it."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.PROTECT, related_name="coupons"
    )
    batch = models.ForeignKey(
        CouponBatch,
        verbose_name=_("batch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="coupons",
    )
    usage_limit = models.PositiveIntegerField(_("usage limit"), null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(_("per-customer limit"), null=True, blank=True)
    used = models.PositiveIntegerField(_("times used"), default=0)
    active = models.BooleanField(_("active"), default=True)
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("issued to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("A personal coupon (e.g. a referral reward): only this customer may use it."),
    )

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used__lte=F("usage_limit")),
                name="coupon_used_within_limit",
            ),
        ]

    def __str__(self):
        return self.code


class Redemption(models.Model):
    """A promotion used by a synced order (from its ``coupon_code`` or a flash-sale claim on a line).
    Refused when a limit was already reached: the order exists at the channel, the refusal is recorded."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.PROTECT, related_name="redemptions"
    )
    coupon = models.ForeignKey(
        Coupon,
        verbose_name=_("coupon"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redemptions",
    )
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    discount = models.DecimalField(_("discount"), default=0, **MONEY)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "order"], name="redemption_promotion_order_uniq"),
        ]
        indexes = [models.Index(fields=["promotion", "status"], name="redemption_promo_status")]

    def __str__(self):
        return f"{self.promotion_id} {self.order_id} {self.status}"


class FlashSalePool(models.Model):
    """The units of a flash sale: ``claimed`` counts held and converted claims and is raised with a
    conditional update, so it can never pass ``quantity`` (and a CHECK says so too)."""

    promotion = models.OneToOneField(Promotion, on_delete=models.CASCADE, related_name="flash_pool")
    quantity = models.PositiveIntegerField(_("quantity"))
    claimed = models.PositiveIntegerField(_("claimed"), default=0)

    class Meta:
        verbose_name = _("flash-sale pool")
        verbose_name_plural = _("flash-sale pools")
        constraints = [
            models.CheckConstraint(condition=Q(claimed__lte=F("quantity")), name="flashpool_no_oversell"),
        ]

    def __str__(self):
        return f"{self.promotion_id} {self.claimed}/{self.quantity}"


class FlashSaleCustomerCount(models.Model):
    """Units one customer holds or bought in one flash sale (the per-customer cap)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="+")
    customer_ref = models.CharField(max_length=100)
    claimed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["promotion", "customer_ref"], name="flashcustomer_uniq"),
        ]

    def __str__(self):
        return f"{self.promotion_id} {self.customer_ref} {self.claimed}"


class FlashSaleClaim(models.Model):
    """A hold on flash-sale units for one customer: converted by an order synced with the claim id on its
    line, or returned to the pool when it expires."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        CONVERTED = "converted", _("Converted")
        EXPIRED = "expired", _("Expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.CASCADE, related_name="flash_claims"
    )
    customer_ref = models.CharField(_("customer"), max_length=100)
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.HELD)
    created_at = models.DateTimeField(_("claimed at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("held until"))
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("converted / expired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("flash-sale claim")
        verbose_name_plural = _("flash-sale claims")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="flashclaim_quantity_pos")]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="flashclaim_status_expires"),
            models.Index(fields=["promotion", "status"], name="flashclaim_promo_status"),
        ]

    def __str__(self):
        return str(self.id)


class PromotionResult(models.Model):
    """What a promotion earned, computed after (and during) its run: redemptions, discount and gift cost,
    GMV and margin in scope against the forecast baseline, uplift and ROI. ``detail`` keeps the daily
    figures the results page charts."""

    promotion = models.OneToOneField(
        Promotion, verbose_name=_("promotion"), on_delete=models.CASCADE, related_name="result"
    )
    computed_at = models.DateTimeField(_("computed at"))
    orders = models.PositiveIntegerField(_("orders"), default=0)
    redemptions = models.PositiveIntegerField(_("redemptions"), default=0)
    discount_cost = models.DecimalField(_("discount cost"), default=0, **MONEY)
    gift_cost = models.DecimalField(_("gift cost"), default=0, **MONEY)
    gmv = models.DecimalField(_("GMV"), default=0, **MONEY)
    margin = models.DecimalField(_("margin"), default=0, **MONEY)
    baseline_gmv = models.DecimalField(_("baseline GMV"), default=0, **MONEY)
    baseline_margin = models.DecimalField(_("baseline margin"), default=0, **MONEY)
    uplift = models.DecimalField(_("uplift"), max_digits=9, decimal_places=4, null=True, blank=True)
    roi = models.DecimalField(_("ROI"), max_digits=12, decimal_places=4, null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("promotion result")
        verbose_name_plural = _("promotion results")

    def __str__(self):
        return f"{self.promotion_id} {self.computed_at}"
