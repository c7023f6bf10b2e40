"""Three-level cash alerts: thresholds per metric and level, the playbook of each level, the alerts raised
(one open per metric, level and scenario) with their action items, and the signed webhook outbox."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Level(models.TextChoices):
    WATCH = "watch", _("Watch")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


LEVEL_ORDER = (Level.WATCH, Level.WARNING, Level.CRITICAL)


class Metric(models.TextChoices):
    RUNWAY = "runway", _("Runway (months)")
    LOWEST_BALANCE = "lowest_balance", _("Lowest projected balance (months of fixed costs)")
    OVERDUE_RECEIVABLES = "overdue_receivables", _("Overdue receivables (share)")
    CCC_RISE = "ccc_rise", _("Cash conversion cycle rise over 4 weeks (days)")
    MARGIN_DROP = "margin_drop", _("Gross margin drop (points)")
    SUPPLIER_CONCENTRATION = "supplier_concentration", _("Largest supplier's share of payables")


class AlertThreshold(models.Model):
    """Where a level starts for a metric. ``below``: the level is crossed when the value falls below the
    threshold (runway, lowest balance); otherwise when it rises above it."""

    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=10, decimal_places=4)
    below = models.BooleanField(_("crossed when below"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("alert threshold")
        verbose_name_plural = _("alert thresholds")
        ordering = ["metric", "level"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "level"], name="alertthreshold_metric_level_uniq")
        ]

    def __str__(self):
        return f"{self.metric} {self.level}"


class PlaybookStep(models.Model):
    """One action of a level's playbook, with the role that owns it. ``metric`` blank: for every metric at
    that level; otherwise only for alerts on that metric. Text in both languages (data, not UI strings)."""

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices, blank=True)
    action = models.CharField(_("action (English)"), max_length=300)
    action_zh = models.CharField(_("action (Chinese)"), max_length=300, blank=True)
    owner_role = models.CharField(_("owner role"), max_length=30)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["level", "position", "id"]

    def __str__(self):
        return self.action


class Alert(models.Model):
    """A metric crossing a level. At most one alert per (metric, level, scenario) is live (not cleared):
    evaluation raises it once, recovery clears it (and resolves it if nobody did). People acknowledge and
    resolve it with a note; the row is kept as history."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    scenario = models.ForeignKey(
        "finance.Scenario", verbose_name=_("scenario"), on_delete=models.PROTECT, related_name="alerts"
    )
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.OPEN)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    threshold = models.DecimalField(_("threshold"), max_digits=10, decimal_places=4)
    business_date = models.DateField(_("as of"))
    week_start = models.DateField(_("week it happens"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledge_note = models.TextField(_("acknowledgement note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    cleared_at = models.DateTimeField(
        _("recovered at"), null=True, blank=True, help_text=_("When the metric came back inside the level.")
    )

    class Meta:
        verbose_name = _("cash alert")
        verbose_name_plural = _("cash alerts")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "level", "scenario"],
                condition=Q(cleared_at__isnull=True),
                name="alert_live_uniq",
            )
        ]
        indexes = [models.Index(fields=["status", "level"], name="alert_status_level")]

    def __str__(self):
        return f"{self.metric} {self.level}"


class AlertAction(models.Model):
    """A playbook step made concrete for one alert: an action item with its owner role (and person)."""

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="actions"
    )
    step = models.ForeignKey(
        PlaybookStep,
        verbose_name=_("playbook step"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action (English)"), max_length=300)
    action_zh = models.CharField(_("action (Chinese)"), max_length=300, blank=True)
    owner_role = models.CharField(_("owner role"), max_length=30)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["alert", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "step"], condition=Q(step__isnull=False), name="alertaction_alert_step_uniq"
            )
        ]

    def __str__(self):
        return self.action


class WebhookDelivery(TimeStampedModel):
    """The outbox of the alert webhook: one row per alert event, sent (and re-sent on failure) by a task
    after the alert's transaction commits; ``event_key`` makes a repeated evaluation send nothing twice."""

    event_key = models.CharField(_("event"), max_length=100, unique=True)
    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="deliveries"
    )
    url = models.URLField(_("URL"))
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_status = models.CharField(_("last result"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("alert webhook delivery")
        verbose_name_plural = _("alert webhook deliveries")
        ordering = ["-created_at"]

    def __str__(self):
        return self.event_key
