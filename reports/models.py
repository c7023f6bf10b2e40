"""The reports area's own rows: its settings, who subscribes to which report, and the archive of reports
generated (weekly manager report, daily operations digest). The KPI facts themselves belong to orders
(orders.models.OrderDayFact and friends) and are read through orders.selectors."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportSettings(models.Model):
    """One row: how anomalies are judged."""

    anomaly_tolerance = models.DecimalField(
        _("anomaly tolerance"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.2500"),
        help_text=_("A figure is an anomaly when it leaves its expected band by more than this fraction."),
    )
    baseline_weeks = models.PositiveSmallIntegerField(
        _("baseline weeks"),
        default=8,
        help_text=_("Trailing weeks of the same weekday that make a day's expected band."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")

    def __str__(self):
        return str(_("Report settings"))

    @classmethod
    def get(cls) -> "ReportSettings":
        return cls.objects.order_by("pk").first() or cls.objects.create()


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly manager report")
    DAILY = "daily", _("Daily operations digest")


class ReportSubscription(models.Model):
    """A user who receives a report by email."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("report"), max_length=10, choices=ReportKind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="reportsubscription_user_kind_uniq")
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}"


class ManagerReport(models.Model):
    """A generated report, archived: one per (kind, period start). `content` holds every figure as plain
    JSON (money as strings), so the archived page, PDF and XLSX always show what was generated."""

    kind = models.CharField(_("report"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))  # exclusive
    generated_at = models.DateTimeField(_("generated at"))
    generations = models.PositiveIntegerField(_("generations"), default=1)
    content = models.JSONField(_("content"), default=dict)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_start"], name="managerreport_kind_period_uniq")
        ]

    def __str__(self):
        return f"{self.kind} {self.period_start}"
