"""Satisfaction surveys: CSAT when a ticket is resolved, NPS 3-7 days after delivery. Each request carries
a secret token; the customer answers through the public page or the API."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):
    class Kind(models.TextChoices):
        CSAT = "csat", _("CSAT (ticket)")
        NPS = "nps", _("NPS (order)")

    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    token = models.CharField(_("token"), max_length=64, unique=True)
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    channel = models.ForeignKey(
        "orders.Channel",
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.ForeignKey(
        "catalog.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The category of the order's main line (NPS by category)."),
    )
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "ticket"], condition=Q(ticket__isnull=False), name="survey_kind_ticket_uniq"
            ),
            models.UniqueConstraint(
                fields=["kind", "order"], condition=Q(order__isnull=False), name="survey_kind_order_uniq"
            ),
            # CSAT is 1-5, NPS 0-10.
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(kind="csat", score__gte=1, score__lte=5)
                | Q(kind="nps", score__gte=0, score__lte=10),
                name="survey_score_range",
            ),
        ]
        indexes = [models.Index(fields=["kind", "answered_at"], name="survey_kind_answered")]

    def __str__(self):
        return f"{self.kind} {self.token[:8]}"
