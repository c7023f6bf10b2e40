"""Feedback from reviews, ratings, social media and surveys, with sentiment and urgency; the monthly
complaint-keyword rollup that traces keywords to SKUs (and through them to suppliers)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Feedback(models.Model):
    class Source(models.TextChoices):
        REVIEW = "review", _("Review")
        RATING = "rating", _("Rating")
        SOCIAL = "social", _("Social mention")
        SURVEY = "survey", _("Survey comment")
        TICKET = "ticket", _("Ticket")

    class Urgency(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    channel = models.ForeignKey(
        "orders.Channel",
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author = models.CharField(_("author"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    rating = models.PositiveSmallIntegerField(_("rating (1-5)"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("written at"))
    language = models.CharField(_("language"), max_length=2, blank=True)
    sentiment = models.DecimalField(_("sentiment"), max_digits=5, decimal_places=4, help_text=_("-1 to 1."))
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "channel", "external_id"],
                condition=~Q(external_id=""),
                name="feedback_source_channel_external_uniq",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_range",
            ),
        ]
        indexes = [
            models.Index(fields=["occurred_at"], name="feedback_occurred"),
            models.Index(fields=["urgency", "occurred_at"], name="feedback_urgency_occurred"),
        ]

    def __str__(self):
        return f"{self.source} {self.occurred_at:%Y-%m-%d}"


class ComplaintKeyword(models.Model):
    """One month's top complaint keyword or phrase (negative feedback and complaint tickets)."""

    month = models.DateField(_("month"), help_text=_("First day of the month."))
    keyword = models.CharField(_("keyword"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"))
    weight = models.DecimalField(_("weight"), max_digits=8, decimal_places=4)
    mentions = models.PositiveIntegerField(_("mentions"))

    class Meta:
        verbose_name = _("complaint keyword")
        verbose_name_plural = _("complaint keywords")
        ordering = ["-month", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["month", "keyword"], name="complaintkeyword_month_uniq")
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.keyword}"


class ComplaintKeywordSKU(models.Model):
    """How often a month's keyword was said about one SKU."""

    month = models.DateField(_("month"))
    keyword = models.CharField(_("keyword"), max_length=50)
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    mentions = models.PositiveIntegerField(_("mentions"))

    class Meta:
        verbose_name = _("complaint keyword by SKU")
        verbose_name_plural = _("complaint keywords by SKU")
        constraints = [
            models.UniqueConstraint(fields=["month", "keyword", "sku"], name="complaintkeywordsku_uniq"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.keyword} {self.sku_id}"
