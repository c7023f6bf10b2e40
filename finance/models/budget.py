"""The monthly budget per cost line, compared with what was spent."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class CostLine(models.TextChoices):
    PLATFORM_FEES = "platform_fees", _("Platform fees")
    DEPOSITS = "deposits", _("Deposits")
    PROMOTION = "promotion", _("Promotion")
    STAFF = "staff", _("Staff")
    LOGISTICS = "logistics", _("Logistics")
    TECHNOLOGY = "technology", _("Technology")


class Budget(models.Model):
    """The budget of one cost line for one month (``month`` is the month's first day)."""

    month = models.DateField(_("month"))
    line = models.CharField(_("cost line"), max_length=20, choices=CostLine.choices)
    amount = models.DecimalField(_("budget"), **MONEY)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["-month", "line"]
        constraints = [
            models.UniqueConstraint(fields=["month", "line"], name="budget_month_line_uniq"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_nonneg"),
            models.CheckConstraint(condition=Q(month__day=1), name="budget_month_first_day"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.line}"
