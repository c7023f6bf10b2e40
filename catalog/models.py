from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Category(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(TimeStampedModel):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(_("name"), max_length=200)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SKU(TimeStampedModel):
    """A sellable unit: one variant of a product, with its purchase cost and list price."""

    class Role(models.TextChoices):
        HERO = "hero", _("Hero / traffic")
        CORE = "core", _("Core / profit")
        LONG_TAIL = "long_tail", _("Long tail")
        NEW = "new", _("New-product test")
        IMAGE = "image", _("Image")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus"
    )
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)
    list_price = models.DecimalField(_("list price"), **MONEY)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3, default=0)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CORE)
    active = models.BooleanField(_("active"), default=True)
    return_exempt = models.BooleanField(
        _("exempt from 7-day no-reason return"),
        default=False,
        db_default=False,
        help_text=_("Customised, perishable, opened digital or intimate goods: the shop must say so."),
    )
    return_exempt_reason = models.CharField(
        _("why exempt"), max_length=200, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="sku_unit_cost_nonneg"),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="sku_list_price_nonneg"),
            models.CheckConstraint(condition=Q(weight_kg__gte=0), name="sku_weight_nonneg"),
        ]

    @property
    def gross_margin(self) -> Decimal | None:
        """(list price - unit cost) / list price as a fraction with 4 places; None for a zero price."""
        if not self.list_price:
            return None
        return ((self.list_price - self.unit_cost) / self.list_price).quantize(Decimal("0.0001"))

    def __str__(self):
        return f"{self.code} {self.name}"


FRACTION = {"max_digits": 5, "decimal_places": 4}  # 0.4000 = 40 %


class PricingSettings(models.Model):
    """The pricing team's numbers (one row; defaults from the domain brief). Read it with
    `PricingSettings.current()`."""

    margin_floor = models.DecimalField(
        _("gross margin floor"),
        **FRACTION,
        default=Decimal("0.4000"),
        help_text=_("Lowest gross margin a price may give (0.4000 = 40 %)."),
    )
    marketing_rate = models.DecimalField(
        _("marketing allocation"),
        **FRACTION,
        default=Decimal("0.0500"),
        help_text=_("Marketing cost allocated to each sale, as a fraction of the price."),
    )
    competitor_gap = models.DecimalField(
        _("competitor alert gap"),
        **FRACTION,
        default=Decimal("0.1000"),
        help_text=_("Flag SKUs priced above the competitors' median by more than this fraction."),
    )
    markdown_cover_days = models.PositiveIntegerField(_("markdown above days of cover"), default=90)
    markdown_step = models.DecimalField(_("markdown step"), **FRACTION, default=Decimal("0.1000"))
    raise_step = models.DecimalField(_("price rise step"), **FRACTION, default=Decimal("0.0500"))
    lead_time_days = models.PositiveIntegerField(
        _("default lead time (days)"),
        default=14,
        help_text=_("Used for 'cover under lead time' until suppliers' lead times are known."),
    )
    recommendation_days = models.PositiveIntegerField(_("recommendations expire after (days)"), default=7)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pricing settings")
        verbose_name_plural = _("pricing settings")
        permissions = [("override_margin_floor", _("Can set prices below the margin floor, with a reason"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(margin_floor__gte=0, margin_floor__lt=1), name="pricing_floor_range"
            ),
        ]

    def __str__(self):
        return str(_("Pricing settings"))

    @classmethod
    def current(cls) -> "PricingSettings":
        return cls.objects.get_or_create(pk=1)[0]


class CategoryPricing(TimeStampedModel):
    """A category's overrides of the pricing settings (blank = the shop-wide setting)."""

    category = models.OneToOneField(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="pricing"
    )
    margin_floor = models.DecimalField(_("gross margin floor"), **FRACTION, null=True, blank=True)

    class Meta:
        verbose_name = _("category pricing")
        verbose_name_plural = _("category pricing")


class CategoryCommission(TimeStampedModel):
    """A category's platform commission on one channel, replacing the channel's own rate."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="commissions"
    )
    channel = models.SlugField(_("channel"), max_length=30)  # orders.Channel.code (catalog sits below orders)
    rate = models.DecimalField(_("commission rate"), **FRACTION)

    class Meta:
        verbose_name = _("category commission")
        verbose_name_plural = _("category commissions")
        constraints = [
            models.UniqueConstraint(fields=["category", "channel"], name="categorycommission_uniq"),
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lt=1), name="categorycommission_rate_range"
            ),
        ]


class SKUCost(TimeStampedModel):
    """The per-unit costs on top of the purchase cost (SKU.unit_cost), and the SKU's pricing exceptions."""

    sku = models.OneToOneField(SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="costs")
    inbound_cost = models.DecimalField(_("inbound logistics"), **MONEY, default=Decimal("0.00"))
    packaging_cost = models.DecimalField(_("packaging"), **MONEY, default=Decimal("0.00"))
    shipping_cost = models.DecimalField(_("outbound shipping estimate"), **MONEY, default=Decimal("0.00"))
    marketing_rate = models.DecimalField(
        _("marketing allocation"),
        **FRACTION,
        null=True,
        blank=True,
        help_text=_("Blank: the shop-wide setting."),
    )
    loss_leader = models.BooleanField(_("loss leader"), default=False)
    loss_leader_floor = models.DecimalField(
        _("loss-leader margin floor"), **FRACTION, default=Decimal("0.0000")
    )
    loss_leader_reason = models.CharField(_("loss-leader reason"), max_length=200, blank=True)
    loss_leader_until = models.DateField(_("loss leader until"), null=True, blank=True)

    class Meta:
        verbose_name = _("SKU costs")
        verbose_name_plural = _("SKU costs")
        constraints = [
            models.CheckConstraint(
                condition=Q(inbound_cost__gte=0, packaging_cost__gte=0, shipping_cost__gte=0),
                name="skucost_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(loss_leader=False)
                | (~Q(loss_leader_reason="") & Q(loss_leader_until__isnull=False)),
                name="skucost_loss_leader_explained",
            ),
        ]


class ChannelAdjustment(TimeStampedModel):
    """How a channel's price is derived from the base (list) price: + percent, then optional X9 rounding."""

    channel = models.SlugField(_("channel"), max_length=30, unique=True)
    percent = models.DecimalField(
        _("adjustment"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.0000"),
        help_text=_("Fraction added to the base price (0.0500 = +5 %, -0.0300 = -3 %)."),
    )
    round_to_9 = models.BooleanField(_("round to 9"), default=True)

    class Meta:
        verbose_name = _("channel price adjustment")
        verbose_name_plural = _("channel price adjustments")
        ordering = ["channel"]


class ChannelPrice(TimeStampedModel):
    """The price of a SKU on one channel (no row: the SKU sells at its list price there)."""

    sku = models.ForeignKey(
        SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="channel_prices"
    )
    channel = models.SlugField(_("channel"), max_length=30)
    price = models.DecimalField(_("price"), **MONEY)

    class Meta:
        verbose_name = _("channel price")
        verbose_name_plural = _("channel prices")
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "channel"], name="channelprice_uniq"),
            models.CheckConstraint(condition=Q(price__gte=0), name="channelprice_nonneg"),
        ]


class MemberTier(models.TextChoices):
    MEMBER = "member", _("Member")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    PLATINUM = "platinum", _("Platinum")


class MemberTierPrice(TimeStampedModel):
    sku = models.ForeignKey(SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="tier_prices")
    tier = models.CharField(_("member tier"), max_length=20, choices=MemberTier.choices)
    price = models.DecimalField(_("price"), **MONEY)

    class Meta:
        verbose_name = _("member tier price")
        verbose_name_plural = _("member tier prices")
        constraints = [
            models.UniqueConstraint(fields=["sku", "tier"], name="membertierprice_uniq"),
            models.CheckConstraint(condition=Q(price__gte=0), name="membertierprice_nonneg"),
        ]


class BundleComponent(models.Model):
    """A bundle SKU is made of components; its cost and available stock follow from them."""

    bundle = models.ForeignKey(
        SKU, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="components"
    )
    component = models.ForeignKey(
        SKU, verbose_name=_("component"), on_delete=models.PROTECT, related_name="in_bundles"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)

    class Meta:
        verbose_name = _("bundle component")
        verbose_name_plural = _("bundle components")
        constraints = [
            models.UniqueConstraint(fields=["bundle", "component"], name="bundlecomponent_uniq"),
            models.CheckConstraint(condition=~Q(bundle=models.F("component")), name="bundle_not_itself"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="bundlecomponent_qty_positive"),
        ]

    def __str__(self):
        return f"{self.bundle_id} ⊃ {self.quantity} × {self.component_id}"


class PriceChange(models.Model):
    """The audit of every price and cost change: who, when, old, new, why. Append-only."""

    class Field(models.TextChoices):
        LIST_PRICE = "list_price", _("List price")
        UNIT_COST = "unit_cost", _("Purchase cost")
        CHANNEL_PRICE = "channel_price", _("Channel price")
        TIER_PRICE = "tier_price", _("Member tier price")

    class Source(models.TextChoices):
        UI = "ui", _("Page")
        BULK = "bulk", _("Bulk change")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        RECOMMENDATION = "recommendation", _("Recommendation")
        SEED = "seed", _("Demo data")

    sku = models.ForeignKey(
        SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="price_changes"
    )
    field = models.CharField(_("what"), max_length=20, choices=Field.choices)
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    tier = models.CharField(_("member tier"), max_length=20, blank=True)
    old_value = models.DecimalField(_("old"), **MONEY, null=True, blank=True)
    new_value = models.DecimalField(_("new"), **MONEY)
    reason = models.CharField(_("why"), max_length=300)
    floor_override = models.BooleanField(_("margin floor overridden"), default=False)
    margin = models.DecimalField(
        _("gross margin after"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.UI)
    changed_by = models.ForeignKey(
        "auth.User", verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["sku", "changed_at"], name="pricechange_sku_at")]

    def __str__(self):
        return f"{self.sku_id} {self.field} {self.old_value} -> {self.new_value}"


class CompetitorPrice(models.Model):
    """A competitor's offer for the same or an equivalent product, seen at a time."""

    sku = models.ForeignKey(
        SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="competitor_prices"
    )
    competitor = models.CharField(_("competitor"), max_length=100)
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    price = models.DecimalField(_("price"), **MONEY)
    seen_at = models.DateTimeField(_("seen at"))
    source = models.CharField(_("source"), max_length=20, default="api")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("competitor price")
        verbose_name_plural = _("competitor prices")
        ordering = ["-seen_at", "-id"]
        indexes = [models.Index(fields=["sku", "seen_at"], name="competitorprice_sku_seen")]
        constraints = [
            models.UniqueConstraint(
                fields=["sku", "competitor", "channel", "seen_at"], name="competitorprice_uniq"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="competitorprice_positive"),
        ]

    def __str__(self):
        return f"{self.competitor} {self.price} ({self.sku_id})"


class SKUStats(models.Model):
    """Nightly facts about a SKU that pricing reads (written by the pipeline from inventory and orders)."""

    sku = models.OneToOneField(SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="stats")
    as_of = models.DateField(_("as of"))
    units_28d = models.PositiveIntegerField(_("units, last 28 days"), default=0)
    units_prev_28d = models.PositiveIntegerField(_("units, 28 days before"), default=0)
    revenue_28d = models.DecimalField(_("revenue, last 28 days"), **MONEY, default=Decimal("0.00"))
    revenue_90d = models.DecimalField(_("revenue, last 90 days"), **MONEY, default=Decimal("0.00"))
    available = models.IntegerField(_("available stock"), default=0)
    daily_demand = models.DecimalField(_("daily demand"), max_digits=12, decimal_places=3, default=0)
    cover_days = models.DecimalField(
        _("days of cover"), max_digits=10, decimal_places=1, null=True, blank=True
    )

    class Meta:
        verbose_name = _("SKU statistics")
        verbose_name_plural = _("SKU statistics")

    def __str__(self):
        return f"{self.sku_id} @ {self.as_of}"


class PriceRecommendation(models.Model):
    """A nightly suggestion for a SKU's list price, with its reason; pricing staff accept, edit or reject."""

    class Action(models.TextChoices):
        MARKDOWN = "markdown", _("Markdown")
        RAISE = "raise", _("Raise")
        MATCH = "match", _("Match competitors")
        HOLD = "hold", _("Hold")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        ACCEPTED = "accepted", _("Accepted")
        EDITED = "edited", _("Accepted with edit")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    sku = models.ForeignKey(
        SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="recommendations"
    )
    business_date = models.DateField(_("date"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    current_price = models.DecimalField(_("current price"), **MONEY)
    recommended_price = models.DecimalField(_("recommended price"), **MONEY)
    reason = models.TextField(_("reason"))
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    expires_on = models.DateField(_("expires on"))
    applied_price = models.DecimalField(_("applied price"), **MONEY, null=True, blank=True)
    decided_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("price recommendation")
        verbose_name_plural = _("price recommendations")
        ordering = ["-business_date", "sku_id"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "business_date"], name="pricerecommendation_sku_day"),
        ]
        indexes = [models.Index(fields=["status", "business_date"], name="pricerec_status_day")]

    def __str__(self):
        return f"{self.sku_id} {self.action} {self.recommended_price}"
