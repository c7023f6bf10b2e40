"""The compensation standard (补偿标准): the same problem gets the same remedy, within each role's limit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Problem(models.TextChoices):
    LATE_DELIVERY = "late_delivery", _("Late delivery")
    DAMAGED = "damaged", _("Damaged in transit")
    DEFECTIVE = "defective", _("Quality defect")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    MISSING_ITEM = "missing_item", _("Missing item")
    SERVICE = "service", _("Service attitude")
    PRICE = "price", _("Price protection")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class Remedy(models.TextChoices):
    COUPON = "coupon", _("Coupon")
    CASH = "cash", _("Cash")
    GIFT = "gift", _("Gift")


class CompensationRule(TimeStampedModel):
    problem = models.CharField(_("problem"), max_length=20, choices=Problem.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    remedy = models.CharField(_("remedy"), max_length=10, choices=Remedy.choices)
    amount = models.DecimalField(
        _("amount"), **MONEY, help_text=_("Face value of the coupon, cash, or the gift's cost.")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("compensation rule")
        verbose_name_plural = _("compensation standard")
        ordering = ["problem", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "severity"], name="compensationrule_problem_severity_uniq"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="compensationrule_amount_nonneg"),
        ]

    def __str__(self):
        return f"{self.get_problem_display()} / {self.get_severity_display()}"


class CompensationLimit(models.Model):
    """The most a role may grant on its own; above it a manager approves."""

    role = models.CharField(_("role"), max_length=30, unique=True)
    max_amount = models.DecimalField(_("limit"), **MONEY)

    class Meta:
        verbose_name = _("compensation limit")
        verbose_name_plural = _("compensation limits")
        ordering = ["max_amount"]

    def __str__(self):
        return f"{self.role} {self.max_amount}"


class Compensation(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", pgettext_lazy("compensation status", "Approved")
        REJECTED = "rejected", pgettext_lazy("compensation status", "Rejected")

    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compensations",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
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
    rule = models.ForeignKey(
        CompensationRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    problem = models.CharField(_("problem"), max_length=20, choices=Problem.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    remedy = models.CharField(_("remedy"), max_length=10, choices=Remedy.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    coupon_code = models.CharField(_("coupon code"), max_length=50, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="compensation_amount_nonneg")]
        indexes = [models.Index(fields=["status", "created_at"], name="compensation_status_created")]

    def __str__(self):
        return f"{self.remedy} {self.amount}"
