from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class MarketingSettings(models.Model):
    """Shop-wide marketing settings (one row): RFM window, points earning, value and expiry."""

    rfm_window_days = models.PositiveIntegerField(_("RFM window (days)"), default=365)
    points_per_yuan = models.DecimalField(_("points per yuan"), max_digits=6, decimal_places=2, default=1)
    points_value = models.DecimalField(
        _("value of 100 points"),
        default=1,
        help_text=_("Yuan that 100 points are worth when redeemed."),
        **MONEY,
    )
    points_expire_days = models.PositiveIntegerField(_("points expire after (days)"), default=365)
    winback_days = models.PositiveIntegerField(_("win-back after (days silent)"), default=90)

    class Meta:
        verbose_name = _("marketing settings")
        verbose_name_plural = _("marketing settings")

    def __str__(self):
        return str(_("marketing settings"))

    @classmethod
    def current(cls) -> "MarketingSettings":
        return cls.objects.order_by("pk").first() or cls()


class MembershipTierRule(TimeStampedModel):
    """A membership tier (3-5 of them) and what it takes: spend and orders over the last 12 months.
    ``code`` matches the catalogue's member-tier prices (member, silver, gold, platinum)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)
    min_spend = models.DecimalField(_("minimum spend (12 months)"), default=0, **MONEY)
    min_orders = models.PositiveIntegerField(_("minimum orders (12 months)"), default=0)
    points_multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2, default=1)

    class Meta:
        verbose_name = _("membership tier")
        verbose_name_plural = _("membership tiers")
        ordering = ["rank"]

    def __str__(self):
        return self.name


class Membership(TimeStampedModel):
    """A customer's membership: tier, points balance (the sum of the ledger), birthday."""

    customer = models.OneToOneField(
        "orders.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="membership"
    )
    tier = models.CharField(_("tier"), max_length=20, blank=True)
    tier_since = models.DateField(_("tier since"), null=True, blank=True)
    points = models.IntegerField(_("points"), default=0)
    birthday = models.DateField(_("birthday"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.CheckConstraint(condition=Q(points__gte=0), name="membership_points_nonneg")]


class PointsEntry(models.Model):
    """The points ledger, append-only: earned on delivered orders, redeemed, expired. An earn entry
    keeps ``remaining`` (points not yet redeemed or expired, used first-in first-out) and ``expires_on``."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjusted")

    customer = models.ForeignKey(
        "orders.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    remaining = models.IntegerField(_("remaining"), default=0)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"], condition=Q(kind="earn"), name="pointsentry_earn_once_per_order"
            ),
            models.CheckConstraint(condition=Q(remaining__gte=0), name="pointsentry_remaining_nonneg"),
        ]
        indexes = [models.Index(fields=["customer", "created_at"], name="pointsentry_customer_at")]

    def __str__(self):
        return f"{self.customer_id} {self.kind} {self.points}"


class CustomerRFM(models.Model):
    """A customer's RFM scores (1-5 each, 5 best) and named segment, rebuilt nightly."""

    class Segment(models.TextChoices):
        CHAMPIONS = "champions", _("Champions")
        LOYAL = "loyal", _("Loyal")
        POTENTIAL = "potential", _("Potential loyalists")
        NEW = "new", _("New customers")
        AT_RISK = "at_risk", _("At risk")
        HIBERNATING = "hibernating", _("Hibernating")
        LOST = "lost", _("Lost")

    customer = models.OneToOneField(
        "orders.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="rfm"
    )
    computed_on = models.DateField(_("computed on"))
    recency_days = models.PositiveIntegerField(_("days since last order"))
    frequency = models.PositiveIntegerField(_("orders"))
    monetary = models.DecimalField(_("spend"), **MONEY)
    r = models.PositiveSmallIntegerField("R")
    f = models.PositiveSmallIntegerField("F")
    m = models.PositiveSmallIntegerField("M")
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)

    class Meta:
        verbose_name = _("customer RFM")
        verbose_name_plural = _("customer RFM")
        indexes = [models.Index(fields=["segment"], name="customerrfm_segment")]

    def __str__(self):
        return f"{self.customer_id} {self.segment}"
