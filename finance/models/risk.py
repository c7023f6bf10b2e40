"""Order risk: the score of each new order from the anti-fraud rules, and its review."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderRisk(models.Model):
    """An order's risk score (0-100) and the rules that fired. A score at or above the settings' hold score
    puts the order on hold (through the orders service) and into the review queue."""

    class Status(models.TextChoices):
        CLEAR = "clear", _("Clear")
        HELD = "held", _("On hold, to review")
        RELEASED = "released", _("Released")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.OneToOneField(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(
        _("reasons"),
        default=list,
        blank=True,
        help_text=_('The rules that fired: [{"rule", "points", "detail"}].'),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CLEAR)
    scored_at = models.DateTimeField(_("scored at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("order risk")
        verbose_name_plural = _("order risks")
        ordering = ["-scored_at", "-id"]
        indexes = [models.Index(fields=["status", "scored_at"], name="orderrisk_status_scored")]

    def __str__(self):
        return f"{self.order_id} {self.score}"
