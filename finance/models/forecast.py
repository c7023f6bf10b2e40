"""The 13-week cash-flow forecast: scenarios, one run per (scenario, business date) with its weeks and the
items behind each number, and the daily working-capital snapshot."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}
MULTIPLIER = {"max_digits": 6, "decimal_places": 3}


class Line(models.TextChoices):
    """The rows of the forecast table. Inflows first, then outflows."""

    SETTLEMENTS = "settlements", _("Settlements due")
    FORECAST_SALES = "forecast_sales", _("Forecast sales")
    OTHER_IN = "other_in", _("Other inflows")
    PAYABLES = "payables", _("Payables due")
    PLANNED_POS = "planned_pos", _("Planned purchase orders")
    PAYROLL = "payroll", _("Payroll")
    RENT = "rent", _("Rent")
    ADS = "ads", _("Advertising")
    TAX = "tax", _("Taxes")
    OTHER_OUT = "other_out", _("Other outflows")


INFLOW_LINES = (Line.SETTLEMENTS, Line.FORECAST_SALES, Line.OTHER_IN)
OUTFLOW_LINES = (Line.PAYABLES, Line.PLANNED_POS, Line.PAYROLL, Line.RENT, Line.ADS, Line.TAX, Line.OTHER_OUT)


class Scenario(TimeStampedModel):
    """Multipliers on the base forecast. ``base``, ``pessimistic`` and ``optimistic`` are built in; others
    are saved by name. ``evaluate_alerts``: the alert evaluation also looks at this scenario's forecast."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sales_multiplier = models.DecimalField(_("sales multiplier"), default=Decimal("1.000"), **MULTIPLIER)
    settlement_delay_days = models.IntegerField(
        _("settlement delay (days)"), default=0, help_text=_("Days added to every expected settlement day.")
    )
    purchase_multiplier = models.DecimalField(
        _("planned purchases multiplier"), default=Decimal("1.000"), **MULTIPLIER
    )
    expense_multiplier = models.DecimalField(_("expenses multiplier"), default=Decimal("1.000"), **MULTIPLIER)
    ads_multiplier = models.DecimalField(_("advertising multiplier"), default=Decimal("1.000"), **MULTIPLIER)
    builtin = models.BooleanField(_("built in"), default=False)
    evaluate_alerts = models.BooleanField(_("raise alerts on this scenario"), default=False)

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["-builtin", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    sales_multiplier__gte=0,
                    purchase_multiplier__gte=0,
                    expense_multiplier__gte=0,
                    ads_multiplier__gte=0,
                ),
                name="scenario_multipliers_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(settlement_delay_days__gte=-60, settlement_delay_days__lte=180),
                name="scenario_delay_range",
            ),
        ]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        """The name to show: a built-in scenario's name in the user's language, else the saved name."""
        return BUILTIN_SCENARIO_NAMES.get(self.code, self.name) if self.builtin else self.name


BUILTIN_SCENARIO_NAMES = {
    "base": _("Base"),
    "pessimistic": _("Pessimistic"),
    "optimistic": _("Optimistic"),
}


class ForecastRun(models.Model):
    """One build of the 13-week forecast for a scenario, as of a business date (the last day whose cash is
    known). Rebuilding the same day replaces the run: one per (scenario, business date)."""

    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario"), on_delete=models.CASCADE, related_name="runs"
    )
    business_date = models.DateField(_("as of"))
    built_at = models.DateTimeField(_("built at"), auto_now=True)
    opening_balance = models.DecimalField(_("cash at the start"), **MONEY)
    lowest_closing = models.DecimalField(_("lowest closing balance"), **MONEY)
    lowest_week_start = models.DateField(_("week of the lowest balance"))
    cushion = models.DecimalField(
        _("safety cushion"), **MONEY, help_text=_("Monthly fixed costs x the cushion months, when built.")
    )
    monthly_fixed_costs = models.DecimalField(_("monthly fixed costs"), **MONEY)
    inputs = models.JSONField(
        _("inputs"), default=dict, blank=True, help_text=_("Counts and totals of what went in.")
    )

    class Meta:
        verbose_name = _("cash-flow forecast")
        verbose_name_plural = _("cash-flow forecasts")
        ordering = ["-business_date", "scenario_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "business_date"], name="forecastrun_scenario_date_uniq"
            )
        ]

    def __str__(self):
        return f"{self.scenario_id} {self.business_date}"


class ForecastWeek(models.Model):
    """One week (Monday to Sunday) of a run. ``lines`` maps each Line code to its amount as a string
    (all amounts positive: the line says the direction); closing = opening + inflow - outflow."""

    run = models.ForeignKey(
        ForecastRun, verbose_name=_("forecast"), on_delete=models.CASCADE, related_name="weeks"
    )
    index = models.PositiveSmallIntegerField(_("week"))
    week_start = models.DateField(_("week of"))
    opening = models.DecimalField(_("opening balance"), **MONEY)
    inflow = models.DecimalField(_("inflows"), **MONEY)
    outflow = models.DecimalField(_("outflows"), **MONEY)
    closing = models.DecimalField(_("closing balance"), **MONEY)
    lines = models.JSONField(_("lines"), default=dict)

    class Meta:
        verbose_name = _("forecast week")
        verbose_name_plural = _("forecast weeks")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="forecastweek_run_index_uniq")]

    def __str__(self):
        return f"{self.run_id} {self.week_start}"


class ForecastItem(models.Model):
    """What is behind a number of the forecast table: one order's settlement, one PO's payment, one
    payment of a commitment, one day's forecast sales of a channel. Kept for the latest run of each
    scenario (older runs keep their weeks only)."""

    class Ref(models.TextChoices):
        ORDER = "order", _("Order")
        PURCHASE_ORDER = "po", _("Purchase order")
        SUGGESTION = "suggestion", _("Replenishment suggestion")
        COMMITMENT = "commitment", _("Commitment")
        CAMPAIGN = "campaign", _("Campaign")
        CHANNEL = "channel", _("Channel")
        TAX = "tax", _("Taxes")

    run = models.ForeignKey(
        ForecastRun, verbose_name=_("forecast"), on_delete=models.CASCADE, related_name="items"
    )
    week_index = models.PositiveSmallIntegerField(_("week"))
    line = models.CharField(_("line"), max_length=20, choices=Line.choices)
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    ref_kind = models.CharField(_("source"), max_length=12, choices=Ref.choices)
    ref_id = models.CharField(_("source id"), max_length=100, blank=True)
    label = models.CharField(_("label"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("forecast item")
        verbose_name_plural = _("forecast items")
        ordering = ["run", "week_index", "line", "due_on", "id"]
        indexes = [models.Index(fields=["run", "week_index", "line"], name="forecastitem_cell")]

    def __str__(self):
        return f"{self.run_id} {self.line} {self.amount}"


class WeekActual(models.Model):
    """A finished week's real cash movements per line (from the cash transactions), kept to measure the
    forecast's error against what the runs before it projected."""

    week_start = models.DateField(_("week of"), unique=True)
    opening = models.DecimalField(_("opening balance"), **MONEY)
    inflow = models.DecimalField(_("inflows"), **MONEY)
    outflow = models.DecimalField(_("outflows"), **MONEY)
    closing = models.DecimalField(_("closing balance"), **MONEY)
    lines = models.JSONField(_("lines"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("actual week")
        verbose_name_plural = _("actual weeks")
        ordering = ["-week_start"]

    def __str__(self):
        return str(self.week_start)


class MetricSnapshot(models.Model):
    """The working-capital metrics of one business date (one row per date; the nightly run replaces it).
    Days and months are Decimals; ``runway_months`` is null when cash-positive."""

    business_date = models.DateField(_("as of"), unique=True)
    cash = models.DecimalField(_("cash"), **MONEY)
    receivables = models.DecimalField(_("receivables"), **MONEY)
    payables = models.DecimalField(_("payables"), **MONEY)
    inventory_value = models.DecimalField(_("inventory value"), **MONEY)
    dso = models.DecimalField(_("DSO (days)"), max_digits=8, decimal_places=1, null=True, blank=True)
    dpo = models.DecimalField(_("DPO (days)"), max_digits=8, decimal_places=1, null=True, blank=True)
    dio = models.DecimalField(_("DIO (days)"), max_digits=8, decimal_places=1, null=True, blank=True)
    ccc = models.DecimalField(
        _("cash conversion cycle (days)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    weekly_net_burn = models.DecimalField(
        _("weekly net burn (trailing 8 weeks)"),
        **MONEY,
        help_text=_("Positive: cash goes out faster than it comes in."),
    )
    runway_months = models.DecimalField(
        _("runway (months)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    monthly_fixed_costs = models.DecimalField(_("monthly fixed costs"), **MONEY)
    cushion_months = models.DecimalField(
        _("cushion (months of fixed costs)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    gross_margin = models.DecimalField(
        _("gross margin, 28 days"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    gross_margin_prev = models.DecimalField(
        _("gross margin, 28 days before"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    overdue_receivables = models.DecimalField(_("overdue receivables"), default=Decimal("0.00"), **MONEY)
    top_supplier_share = models.DecimalField(
        _("largest supplier's share of payables"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    top_supplier = models.CharField(_("largest supplier"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("working-capital snapshot")
        verbose_name_plural = _("working-capital snapshots")
        ordering = ["-business_date"]

    def __str__(self):
        return str(self.business_date)
