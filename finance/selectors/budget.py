"""Reads for budget vs actual: the month's budget per cost line, what was actually spent, the variance,
and the last months for the trend.

Actual spend of a month, per cost line:
- platform_fees: commission + payment fees of the counted orders placed in the month, on their total in
  the shop currency at each channel's rates (rounded per channel and month);
- deposits: outflows of cash transactions of category "deposit" booked in the month, as positive amounts;
- promotion: ad spend of the month's days (marketing ad metrics) + other cost of the marketing campaigns
  starting in the month;
- staff: outflows of category "payroll"; technology: outflows of category "software";
- logistics: outflows of category "logistics"; a month with none recorded is estimated as the logistics
  cost per order (finance settings) x the counted orders shipped in the month, and marked as estimated.
The promotion line also carries the month's ad ROI: ad revenue / ad spend.

Marketing has no selector for ad spend per month nor for campaign other cost, so the marketing models
AdMetricDay and Campaign are read directly here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from finance.models import Budget, CashCategory, CashTransaction, CostLine, FinanceSettings
from marketing.models import AdMetricDay, Campaign
from orders import selectors as order_selectors
from shopops.common.dates import day_range
from shopops.common.money import ZERO, to_money

HISTORY_MONTHS = 6
# Cost lines read from cash outflows, by the cash category booked.
CASH_LINES = {
    CostLine.DEPOSITS: CashCategory.DEPOSIT,
    CostLine.STAFF: CashCategory.PAYROLL,
    CostLine.LOGISTICS: CashCategory.LOGISTICS,
    CostLine.TECHNOLOGY: CashCategory.SOFTWARE,
}


def month_first(day: date) -> date:
    return day.replace(day=1)


def month_add(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_parse(value: str | None) -> date | None:
    """'YYYY-MM' (or an ISO date on the month's first day) -> the month's first day; None if invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        if len(value) == 7:
            return date.fromisoformat(f"{value}-01")
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if day.day == 1 else None


def _as_date(value) -> date:
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value


@dataclass
class MonthActuals:
    month: date
    amounts: dict[str, Decimal] = field(default_factory=dict)  # cost line -> actual
    logistics_estimated: bool = False
    ad_spend: Decimal = ZERO
    ad_revenue: Decimal = ZERO
    other_promotion: Decimal = ZERO

    @property
    def roi(self) -> Decimal | None:
        """Ad revenue / ad spend of the month (2 places), None without spend."""
        if not self.ad_spend:
            return None
        return (self.ad_revenue / self.ad_spend).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


def budget_actuals(*, first: date, months: int) -> list[MonthActuals]:
    """Actual spend per cost line of `months` months from the month `first`, oldest first (a fixed number
    of grouped queries, whatever the number of months)."""
    first = month_first(first)
    after = month_add(first, months)
    out = {month_add(first, i): MonthActuals(month=month_add(first, i)) for i in range(months)}
    for actuals in out.values():
        actuals.amounts = dict.fromkeys(CostLine.values, ZERO)
    tz = timezone.get_current_timezone()
    lo, hi = day_range(first, after)
    counted = order_selectors.counted_orders()

    # Platform fees: the month's counted orders, per channel, at the channel's rates.
    channels = {c.id: c for c in order_selectors.channel_all()}
    for row in (
        counted.filter(placed_at__gte=lo, placed_at__lt=hi)
        .annotate(month=TruncMonth("placed_at", tzinfo=tz))
        .values("month", "channel_id")
        .annotate(gmv=Sum("total_shop"))
        .order_by()
    ):
        channel = channels.get(row["channel_id"])
        actuals = out.get(_as_date(row["month"]))
        if channel is None or actuals is None:
            continue
        gmv = row["gmv"] or ZERO
        actuals.amounts[CostLine.PLATFORM_FEES] += to_money(gmv * channel.commission_rate) + to_money(
            gmv * channel.payment_fee_rate
        )

    # Cash outflows by category.
    line_of = {category: line for line, category in CASH_LINES.items()}
    logistics_booked: set[date] = set()
    for row in (
        CashTransaction.objects.filter(
            booked_on__gte=first, booked_on__lt=after, amount__lt=0, category__in=list(line_of)
        )
        .annotate(month=TruncMonth("booked_on"))
        .values("month", "category")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        actuals = out.get(_as_date(row["month"]))
        if actuals is None:
            continue
        line = line_of[row["category"]]
        actuals.amounts[line] += -to_money(row["total"] or ZERO)
        if line == CostLine.LOGISTICS:
            logistics_booked.add(actuals.month)

    # Logistics estimated where no logistics payment was booked.
    missing = [month for month in out if month not in logistics_booked]
    if missing:
        per_order = FinanceSettings.get().logistics_cost_per_order
        shipped = {
            _as_date(row["month"]): row["orders"]
            for row in counted.filter(shipped_at__gte=lo, shipped_at__lt=hi)
            .annotate(month=TruncMonth("shipped_at", tzinfo=tz))
            .values("month")
            .annotate(orders=Count("id"))
            .order_by()
        }
        for month in missing:
            out[month].amounts[CostLine.LOGISTICS] = to_money(per_order * shipped.get(month, 0))
            out[month].logistics_estimated = True

    # Promotion: ad spend of the month's days, and the other cost of campaigns starting in the month.
    for row in (
        AdMetricDay.objects.filter(day__gte=first, day__lt=after)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(spend=Sum("spend"), revenue=Sum("revenue"))
        .order_by()
    ):
        actuals = out.get(_as_date(row["month"]))
        if actuals is not None:
            actuals.ad_spend = to_money(row["spend"] or ZERO)
            actuals.ad_revenue = to_money(row["revenue"] or ZERO)
    for row in (
        Campaign.objects.filter(starts_on__gte=first, starts_on__lt=after)
        .annotate(month=TruncMonth("starts_on"))
        .values("month")
        .annotate(other=Sum("other_cost"))
        .order_by()
    ):
        actuals = out.get(_as_date(row["month"]))
        if actuals is not None:
            actuals.other_promotion = to_money(row["other"] or ZERO)
    for actuals in out.values():
        actuals.amounts[CostLine.PROMOTION] = actuals.ad_spend + actuals.other_promotion
    return [out[month] for month in sorted(out)]


def budget_amounts(*, first: date, months: int = 1) -> dict[date, dict[str, Budget]]:
    """month -> cost line -> Budget row, for `months` months from the month `first`."""
    first = month_first(first)
    out: dict[date, dict[str, Budget]] = defaultdict(dict)
    for budget in Budget.objects.filter(month__gte=first, month__lt=month_add(first, months)):
        out[budget.month][budget.line] = budget
    return out


@dataclass
class BudgetLine:
    line: str
    label: str
    budget: Decimal | None  # None: no budget set
    actual: Decimal
    estimated: bool = False  # the actual is an estimate (logistics without booked payments)
    note: str = ""

    @property
    def variance(self) -> Decimal | None:
        """actual - budget (positive: over budget)."""
        return None if self.budget is None else self.actual - self.budget

    @property
    def variance_pct(self) -> Decimal | None:
        if not self.budget:
            return None
        return (self.variance / self.budget).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def over(self) -> bool:
        return self.budget is not None and self.actual > self.budget


@dataclass
class BudgetMonth:
    month: date
    lines: list[BudgetLine]
    roi: Decimal | None
    ad_spend: Decimal
    ad_revenue: Decimal

    @property
    def budget_total(self) -> Decimal:
        return sum((line.budget or ZERO for line in self.lines), ZERO)

    @property
    def actual_total(self) -> Decimal:
        return sum((line.actual for line in self.lines), ZERO)

    @property
    def variance_total(self) -> Decimal:
        return self.actual_total - self.budget_total

    @property
    def variance_total_pct(self) -> Decimal | None:
        if not self.budget_total:
            return None
        return (self.variance_total / self.budget_total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def over_total(self) -> bool:
        return any(line.budget is not None for line in self.lines) and self.actual_total > self.budget_total


def _month_of(month: date, actuals: MonthActuals, budgets: dict[str, Budget]) -> BudgetMonth:
    lines = []
    for value, label in CostLine.choices:
        budget = budgets.get(value)
        lines.append(
            BudgetLine(
                line=value,
                label=str(label),
                budget=budget.amount if budget else None,
                actual=actuals.amounts[value],
                estimated=value == CostLine.LOGISTICS and actuals.logistics_estimated,
                note=budget.note if budget else "",
            )
        )
    return BudgetMonth(
        month=month, lines=lines, roi=actuals.roi, ad_spend=actuals.ad_spend, ad_revenue=actuals.ad_revenue
    )


def budget_vs_actual(*, month: date, history: int = HISTORY_MONTHS) -> tuple[BudgetMonth, list[BudgetMonth]]:
    """The month's budget vs actual per cost line, and the `history` months ending with it (oldest first)."""
    month = month_first(month)
    first = month_add(month, -(history - 1))
    actuals = budget_actuals(first=first, months=history)
    budgets = budget_amounts(first=first, months=history)
    months = [_month_of(a.month, a, budgets.get(a.month, {})) for a in actuals]
    return months[-1], months
