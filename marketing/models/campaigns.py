from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Campaign(TimeStampedModel):
    """A marketing campaign: a festival (618, Double 11, Double 12, New Year goods festival), one of the
    shop's own events, an ad campaign on a channel or a referral drive. Festivals and events make the
    promotion calendar: planned ``planning_lead_days`` ahead with a ``checklist`` of
    {"item", "owner", "done"} entries. The calendar is what the nightly forecast receives
    (``sku_ids`` empty = every SKU; ``expected_lift`` None = measured from history)."""

    class Kind(models.TextChoices):
        FESTIVAL = "festival", _("Festival")
        SHOP_EVENT = "shop_event", _("Shop event")
        ADS = "ads", _("Advertising")
        REFERRAL = "referral", _("Referral")

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.ForeignKey(
        "orders.Channel",
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), help_text=_("Last day of the campaign (inclusive)."))
    planning_lead_days = models.PositiveIntegerField(_("planning lead time (days)"), default=45)
    budget = models.DecimalField(_("budget"), default=0, **MONEY)
    other_cost = models.DecimalField(
        _("other cost"),
        default=0,
        help_text=_("Fees, KOC payments, materials: cost besides ad spend."),
        **MONEY,
    )
    expected_lift = models.DecimalField(
        _("expected demand lift"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    sku_ids = models.JSONField(_("SKUs"), default=list, blank=True)
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="campaign_dates_order"),
            models.CheckConstraint(
                condition=Q(budget__gte=0, other_cost__gte=0), name="campaign_money_nonneg"
            ),
        ]

    def __str__(self):
        return self.name


class AdMetricDay(models.Model):
    """One day of an ad campaign on one channel, imported by CSV or API. ``brand_value`` is the
    estimated value of the brand lift (e.g. from brand-search growth), optional."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="ad_days"
    )
    channel = models.ForeignKey(
        "orders.Channel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    impressions = models.PositiveIntegerField(_("impressions"), default=0)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    spend = models.DecimalField(_("spend"), default=0, **MONEY)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    revenue = models.DecimalField(_("revenue"), default=0, **MONEY)
    new_customers = models.PositiveIntegerField(_("new customers"), default=0)
    brand_value = models.DecimalField(_("brand lift value"), default=0, **MONEY)

    class Meta:
        verbose_name = _("ad metrics (day)")
        verbose_name_plural = _("ad metrics (days)")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "channel", "day"], name="admetricday_uniq"),
            models.CheckConstraint(
                condition=Q(spend__gte=0, revenue__gte=0, brand_value__gte=0), name="admetricday_money_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(clicks__lte=F("impressions")), name="admetricday_clicks_le_impr"
            ),
        ]
        indexes = [models.Index(fields=["channel", "day"], name="admetricday_channel_day")]

    def __str__(self):
        return f"{self.campaign_id} {self.channel_id} {self.day}"
