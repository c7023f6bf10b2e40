from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class TimeStampedModel(models.Model):
    """Base model: creation and last-change times, stored in UTC."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class JobRun(models.Model):
    """One run of a nightly job for one business date. The pair is unique: running twice changes nothing."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    job = models.CharField(_("job"), max_length=100)
    business_date = models.DateField(_("business date"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=1)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-business_date", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "business_date"], name="jobrun_job_date_uniq")]

    def __str__(self):
        return f"{self.job} {self.business_date} {self.status}"


class ApiClient(AbstractAPIKey):
    """A REST client (channel connector, ERP, BI tool) with a hashed, prefixed key and its scopes."""

    SCOPES = (
        ("orders:write", _("Push orders")),
        ("orders:read", _("Read orders")),
        ("personal:read", _("Read customers' personal data in full (phones, emails, addresses)")),
        ("stock:read", _("Read stock")),
        ("catalog:read", _("Read the catalogue")),
        ("catalog:write", _("Write the catalogue")),
        ("inventory:read", _("Read forecasts and replenishment")),
        ("pricing:quote", _("Price carts")),
        ("marketing:read", _("Read promotions")),
        ("marketing:write", _("Write promotions, claim flash sales, import ad metrics")),
        ("reports:read", _("Read KPIs")),
        ("service:read", _("Read tickets, feedback and returns")),
        ("service:write", _("Open tickets, add messages, push feedback, request returns, answer surveys")),
    )

    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    rate_limit = models.CharField(
        _("rate limit"),
        max_length=20,
        default="600/min",
        help_text=_("Requests allowed per period, e.g. 600/min or 20/s."),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")


class Notification(models.Model):
    """An in-app message to one user (an SLA warning, an escalation, an alert). `key` deduplicates: the
    same event notifies a user once however often the job that raises it runs."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    user = models.ForeignKey(
        "auth.User", verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(_("key"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_user_key_uniq")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return f"{self.user_id}: {self.title}"


class FailedTask(models.Model):
    """A Celery task that failed for good on a worker (a programming error, or a transient error that
    outlasted its retries, or a hard time limit), recorded by the task_failure signal. One row per task
    id: a failed retry of the same task id (from the failed-jobs page) counts again on the same row."""

    task_name = models.CharField(_("task"), max_length=200, db_index=True)
    task_id = models.CharField(_("task id"), max_length=255, unique=True)
    queue = models.CharField(_("queue"), max_length=200, blank=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    exception_type = models.CharField(_("exception"), max_length=200)
    exception_message = models.TextField(_("message"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    first_failed_at = models.DateTimeField(_("first failed at"))
    last_failed_at = models.DateTimeField(_("last failed at"), db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retried_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("retried by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-last_failed_at", "-id"]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"


class TaskOutbox(models.Model):
    """A task to publish to the broker, written in the transaction of the change that calls for it
    (shopops.common.outbox): the change and its follow-up commit together, and a broker outage delays the
    follow-up instead of failing or hanging the request. `sent_at` is set once the broker took it."""

    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task id"), max_length=255)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    queue = models.CharField(_("queue"), max_length=200, blank=True)
    # A whole canvas (the nightly chain) as Celery's own JSON form of the signature; empty for one task.
    signature = models.JSONField(_("signature"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("task outbox row")
        verbose_name_plural = _("task outbox")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="taskoutbox_pending", condition=models.Q(sent_at__isnull=True))
        ]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"
