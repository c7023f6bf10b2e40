"""Building the 13-week forecast from the business itself.

One gather of what is known on the business date D (cash, receivables, payables, the demand forecast at
current prices, planned purchases, commitments, campaign budgets, the months' sales for taxes), then the
pure maths of `finance.cashflow` per scenario, then one store per scenario in its own transaction."""

import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from finance import cashflow
from finance.cashflow import Inputs, Item, Params, Planned, SalesDay
from finance.models import (
    CashCategory,
    CashTransaction,
    Commitment,
    FinanceSettings,
    ForecastItem,
    ForecastRun,
    ForecastWeek,
    Line,
    Scenario,
    WeekActual,
)
from finance.selectors import positions
from inventory.models import PurchaseOrder, ReplenishmentSuggestion, SKUForecast
from marketing.models import Campaign
from marketing.selectors.campaigns import ad_totals_by_campaign
from orders import selectors as order_selectors
from shopops.common.dates import day_range
from shopops.common.money import ZERO, to_money

SHARE_DAYS = 28
REFUND_DAYS = 90
ACTUAL_WEEKS = 13
DEFAULT_TERMS_DAYS = 30

COMMITMENT_LINES = {
    CashCategory.PAYROLL: Line.PAYROLL,
    CashCategory.RENT: Line.RENT,
    CashCategory.ADS: Line.ADS,
    CashCategory.TAX: Line.TAX,
}
ACTUAL_LINES = {
    CashCategory.SETTLEMENT: Line.SETTLEMENTS,
    CashCategory.OTHER_INCOME: Line.OTHER_IN,
    CashCategory.FINANCING: Line.OTHER_IN,
    CashCategory.SUPPLIER: Line.PAYABLES,
    CashCategory.PAYROLL: Line.PAYROLL,
    CashCategory.RENT: Line.RENT,
    CashCategory.ADS: Line.ADS,
    CashCategory.TAX: Line.TAX,
}


# --- Gathering (database) -------------------------------------------------------------------------------


def _receivable_items(as_of: date) -> tuple[list[Item], dict]:
    rows = positions.receivables_outstanding(as_of=as_of)
    items = [
        Item(
            due_on=r.expected_on,
            line=Line.SETTLEMENTS,
            amount=r.outstanding,
            ref_kind=ForecastItem.Ref.ORDER,
            ref_id=str(r.order_id),
            label=f"{r.channel_code}:{r.external_id}",
        )
        for r in rows
    ]
    return items, {
        "receivables": len(rows),
        "receivables_total": str(sum((r.outstanding for r in rows), ZERO)),
    }


def _payable_items(as_of: date) -> tuple[list[Item], dict]:
    rows = positions.payables_outstanding(as_of=as_of)
    items = [
        Item(
            due_on=p.due_on,
            line=Line.PAYABLES,
            amount=p.outstanding,
            ref_kind=ForecastItem.Ref.PURCHASE_ORDER,
            ref_id=str(p.purchase_order_id),
            label=f"{p.number} · {p.supplier_name}",
        )
        for p in rows
    ]
    return items, {"payables": len(rows), "payables_total": str(sum((p.outstanding for p in rows), ZERO))}


def _channel_revenue(start: date, end: date) -> dict[int, dict]:
    """Channel id -> {"gmv", "refunds"} of counted orders placed in the shop days [start, end)."""
    lo, hi = day_range(start, end)
    rows = (
        order_selectors.counted_orders()
        .filter(placed_at__gte=lo, placed_at__lt=hi)
        .values("channel_id")
        .annotate(gmv=Sum("total_shop"), refunds=Sum("refund_amount"))
        .order_by()
    )
    return {r["channel_id"]: {"gmv": r["gmv"] or ZERO, "refunds": r["refunds"] or ZERO} for r in rows}


def _sku_daily_revenue(as_of: date, days: list[date]) -> tuple[dict[date, Decimal] | None, dict]:
    """Forecast gross revenue per day (units of each SKU's latest forecast made on or before `as_of` x the
    SKU's list price), or None when no forecast exists."""
    latest = dict(
        SKUForecast.objects.filter(business_date__lte=as_of)
        .values("sku_id")
        .annotate(made=Max("business_date"))
        .order_by()
        .values_list("sku_id", "made")
    )
    if not latest:
        return None, {"forecast_source": "run_rate"}
    by_date: dict[date, list[int]] = defaultdict(list)
    for sku_id, made in latest.items():
        by_date[made].append(sku_id)
    prices = dict(SKU.objects.filter(pk__in=list(latest)).values_list("pk", "list_price"))
    revenue = dict.fromkeys(days, Decimal("0"))
    for made, sku_ids in by_date.items():
        rows = SKUForecast.objects.filter(business_date=made, sku_id__in=sku_ids).values_list(
            "sku_id", "daily", "mean_daily"
        )
        for sku_id, daily, mean_daily in rows:
            price = prices.get(sku_id) or ZERO
            if not price:
                continue
            daily = daily or []
            tail = Decimal(mean_daily or 0)
            for day in days:
                index = (day - made).days - 1
                units = Decimal(str(daily[index])) if 0 <= index < len(daily) else tail
                if units:
                    revenue[day] += units * price
    newest = max(by_date)
    return revenue, {
        "forecast_source": "sku_forecast",
        "forecast_made_on": newest.isoformat(),
        "skus": len(latest),
    }


def _sales_days(as_of: date, starts: list[date], settings: FinanceSettings) -> tuple[list[SalesDay], dict]:
    days = [as_of + timedelta(days=i) for i in range(1, (cashflow.horizon_end(starts) - as_of).days + 1)]
    recent = _channel_revenue(as_of - timedelta(days=SHARE_DAYS - 1), as_of + timedelta(days=1))
    refunds = _channel_revenue(as_of - timedelta(days=REFUND_DAYS - 1), as_of + timedelta(days=1))
    channels = {c.pk: c for c in order_selectors.channel_list()}
    total = sum((recent[c]["gmv"] for c in recent if c in channels), ZERO)
    revenue, info = _sku_daily_revenue(as_of, days)
    out: list[SalesDay] = []
    shares = {}
    if total <= 0:
        return out, {**info, "channel_shares": shares}
    for channel_id, channel in channels.items():
        gmv = recent.get(channel_id, {}).get("gmv", ZERO)
        if gmv <= 0:
            continue
        share = gmv / total
        shares[channel.code] = str(share.quantize(Decimal("0.0001")))
        r = refunds.get(channel_id, {"gmv": ZERO, "refunds": ZERO})
        refund_rate = (r["refunds"] / r["gmv"]) if r["gmv"] else Decimal("0")
        net_rate = Decimal(1) - channel.commission_rate - channel.payment_fee_rate - refund_rate
        lag = settings.delivery_days + channel.settlement_days
        run_rate = gmv / SHARE_DAYS
        for day in days:
            gross = revenue[day] * share if revenue is not None else run_rate
            if gross:
                out.append(SalesDay(channel.code, channel.name, day, gross, net_rate, lag))
    return out, {**info, "channel_shares": shares}


def _planned_purchases(as_of: date) -> tuple[list[Planned], dict]:
    order_day = as_of + timedelta(days=1)
    out = []
    pos = PurchaseOrder.objects.filter(
        status__in=[PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.APPROVED]
    ).select_related("supplier")
    for po in pos:
        ordered = max(order_day, po.ordered_on) if po.ordered_on else order_day
        due = ordered + timedelta(days=po.supplier.lead_time_days + po.payment_terms_days)
        out.append(
            Planned(
                due,
                Line.PLANNED_POS,
                po.amount,
                "purchase",
                ForecastItem.Ref.PURCHASE_ORDER,
                str(po.pk),
                f"{po.number} · {po.supplier.name}",
            )
        )
    po_count = len(out)
    suggestion_day = ReplenishmentSuggestion.objects.filter(
        kind=ReplenishmentSuggestion.Kind.PURCHASE, business_date__lte=as_of
    ).aggregate(d=Max("business_date"))["d"]
    suggestions = []
    if suggestion_day:
        suggestions = ReplenishmentSuggestion.objects.filter(
            business_date=suggestion_day,
            kind=ReplenishmentSuggestion.Kind.PURCHASE,
            status=ReplenishmentSuggestion.Status.OPEN,
            purchase_order__isnull=True,
        ).select_related("supplier", "sku")
    for s in suggestions:
        if s.supplier is not None:
            days = s.supplier.lead_time_days + s.supplier.payment_terms_days
            who = s.supplier.name
        else:
            days = int(to_money(s.lead_time_days).to_integral_value()) + DEFAULT_TERMS_DAYS
            who = "-"
        out.append(
            Planned(
                order_day + timedelta(days=days),
                Line.PLANNED_POS,
                s.amount,
                "purchase",
                ForecastItem.Ref.SUGGESTION,
                str(s.pk),
                f"{s.sku.code} · {who}",
            )
        )
    return out, {
        "planned_pos": po_count,
        "suggestions": len(out) - po_count,
        "suggestions_of": suggestion_day.isoformat() if suggestion_day else None,
        "planned_total": str(sum((p.amount for p in out), ZERO)),
    }


def _commitment_payments(as_of: date, end: date) -> tuple[list[Planned], dict]:
    start = as_of + timedelta(days=1)
    out = []
    commitments = Commitment.objects.filter(active=True, starts_on__lt=end).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=start)
    )
    count = 0
    for c in commitments:
        dates = cashflow.commitment_dates(
            frequency=c.frequency, starts_on=c.starts_on, ends_on=c.ends_on, start=start, end=end
        )
        if not dates:
            continue
        count += 1
        if c.direction == Commitment.Direction.IN:
            line, kind = Line.OTHER_IN, "none"
        else:
            line = COMMITMENT_LINES.get(c.category, Line.OTHER_OUT)
            kind = "ads" if c.category == CashCategory.ADS else "expense"
        for day in dates:
            out.append(Planned(day, line, c.amount, kind, ForecastItem.Ref.COMMITMENT, str(c.pk), c.name))
    return out, {"commitments": count}


def _campaign_budgets(as_of: date, starts: list[date]) -> tuple[list[Planned], dict]:
    last = cashflow.horizon_end(starts)
    campaigns = list(Campaign.objects.filter(budget__gt=0, ends_on__gt=as_of, starts_on__lte=last))
    if not campaigns:
        return [], {"campaigns": 0}
    spent = ad_totals_by_campaign(
        start=min(c.starts_on for c in campaigns), end=as_of, campaign_ids=[c.pk for c in campaigns]
    )
    out = []
    for c in campaigns:
        remaining = to_money(c.budget - (spent[c.pk].spend if c.pk in spent else ZERO))
        if remaining <= 0:
            continue
        first = max(as_of + timedelta(days=1), c.starts_on)
        days = [first + timedelta(days=i) for i in range((c.ends_on - first).days + 1)]
        weekly: dict[int, tuple[date, Decimal]] = {}
        for day, amount in cashflow.spread_evenly(total=remaining, days=days):
            index = cashflow.week_index(day, starts)
            if index is None:
                continue
            first_day, total = weekly.get(index, (day, ZERO))
            weekly[index] = (first_day, total + amount)
        for _index, (day, amount) in sorted(weekly.items()):
            out.append(Planned(day, Line.ADS, amount, "ads", ForecastItem.Ref.CAMPAIGN, str(c.pk), c.name))
    return out, {"campaigns": len({p.ref_id for p in out})}


def _monthly_net_sales(as_of: date) -> dict[date, Decimal]:
    """Month -> counted orders' total - refunds, placed from the previous month's first day to `as_of`."""
    first = (as_of.replace(day=1) - timedelta(days=1)).replace(day=1)
    lo, hi = day_range(first, as_of + timedelta(days=1))
    rows = (
        order_selectors.counted_orders()
        .filter(placed_at__gte=lo, placed_at__lt=hi)
        .annotate(month=TruncMonth("placed_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(gross=Sum("total_shop"), refunds=Sum("refund_amount"))
        .order_by()
    )
    out = {}
    for r in rows:
        month = r["month"]
        month = month.date() if hasattr(month, "date") else month
        out[month] = (r["gross"] or ZERO) - (r["refunds"] or ZERO)
    return out


def forecast_inputs_gather(*, business_date: date) -> tuple[Inputs, dict]:
    """Everything the forecast needs as of `business_date`, as plain data, with counts for the run."""
    settings = FinanceSettings.get()
    starts = cashflow.week_starts(business_date)
    end = cashflow.horizon_end(starts) + timedelta(days=1)
    receivables, info_r = _receivable_items(business_date)
    payables, info_p = _payable_items(business_date)
    sales, info_s = _sales_days(business_date, starts, settings)
    planned, info_pl = _planned_purchases(business_date)
    commitments, info_c = _commitment_payments(business_date, end)
    campaigns, info_a = _campaign_budgets(business_date, starts)
    opening = positions.cash_balance(as_of=business_date)
    inputs = Inputs(
        business_date=business_date,
        opening=opening,
        starts=starts,
        receivables=receivables,
        sales=sales,
        payables=payables,
        planned=planned + commitments + campaigns,
        tax_rate=settings.tax_rate,
        tax_day=settings.tax_day,
        tax_actual=_monthly_net_sales(business_date),
    )
    info = {
        "opening": str(opening),
        **info_r,
        **info_p,
        **info_s,
        **info_pl,
        **info_c,
        **info_a,
    }
    return inputs, info


# --- Storing --------------------------------------------------------------------------------------------


def scenario_params(scenario: Scenario) -> Params:
    return Params(
        sales_multiplier=scenario.sales_multiplier,
        settlement_delay_days=scenario.settlement_delay_days,
        purchase_multiplier=scenario.purchase_multiplier,
        expense_multiplier=scenario.expense_multiplier,
        ads_multiplier=scenario.ads_multiplier,
    )


@transaction.atomic
def _run_store(
    *,
    scenario: Scenario,
    inputs: Inputs,
    info: dict,
    fixed_costs: Decimal,
    cushion_months: Decimal,
    with_items: bool = True,
) -> ForecastRun:
    items = cashflow.scenario_items(inputs, scenario_params(scenario))
    weeks = cashflow.project(opening=inputs.opening, items=items, starts=inputs.starts)
    lowest = cashflow.lowest_week(weeks)
    run, _created = ForecastRun.objects.update_or_create(
        scenario=scenario,
        business_date=inputs.business_date,
        defaults={
            "opening_balance": inputs.opening,
            "lowest_closing": lowest.closing,
            "lowest_week_start": lowest.week_start,
            "cushion": to_money(fixed_costs * cushion_months),
            "monthly_fixed_costs": fixed_costs,
            "inputs": info,
        },
    )
    run.weeks.all().delete()
    run.items.all().delete()
    ForecastWeek.objects.bulk_create(
        ForecastWeek(
            run=run,
            index=w.index,
            week_start=w.week_start,
            opening=w.opening,
            inflow=w.inflow,
            outflow=w.outflow,
            closing=w.closing,
            lines={code: str(amount) for code, amount in w.lines.items()},
        )
        for w in weeks
    )
    ForecastItem.objects.filter(run__scenario=scenario, run__business_date__lt=inputs.business_date).delete()
    if not with_items:
        return run
    rows = []
    for item in items:
        index = cashflow.week_index(item.due_on, inputs.starts)
        if index is None:
            continue
        rows.append(
            ForecastItem(
                run=run,
                week_index=index,
                line=item.line,
                due_on=item.due_on,
                amount=item.amount,
                ref_kind=item.ref_kind,
                ref_id=item.ref_id[:100],
                label=item.label[:200],
            )
        )
    ForecastItem.objects.bulk_create(rows, batch_size=2000)
    return run


def week_actuals_record(*, business_date: date, weeks: int = ACTUAL_WEEKS) -> list[WeekActual]:
    """Upsert the real cash movements per line of the finished weeks (Sunday on or before `business_date`)
    among the `weeks` weeks before the forecast's week 0. Transfers between accounts are ignored; money in
    or out under the other categories goes to the other inflows or outflows by its sign."""
    first_forecast = cashflow.week_starts(business_date, 1)[0]
    mondays = [first_forecast - timedelta(days=7 * k) for k in range(weeks, 0, -1)]
    mondays = [m for m in mondays if m + timedelta(days=6) <= business_date]
    if not mondays:
        return []
    movements = (
        CashTransaction.objects.filter(
            account__active=True,
            booked_on__gte=mondays[0],
            booked_on__lte=mondays[-1] + timedelta(days=6),
        )
        .exclude(category=CashCategory.TRANSFER)
        .values("booked_on", "category")
        .annotate(pos=Sum("amount", filter=Q(amount__gt=0)), neg=Sum("amount", filter=Q(amount__lt=0)))
        .order_by()
    )
    lines = {m: dict.fromkeys(cashflow.LINES, ZERO) for m in mondays}
    for row in movements:
        monday = cashflow.monday_of(row["booked_on"])
        if monday not in lines:
            continue
        pos, neg = row["pos"] or ZERO, row["neg"] or ZERO
        line = ACTUAL_LINES.get(row["category"])
        bucket = lines[monday]
        if line is None:
            bucket[Line.OTHER_IN] += pos
            bucket[Line.OTHER_OUT] -= neg
        elif line in cashflow.INFLOW_LINES:
            bucket[line] += pos + neg
        else:
            bucket[line] -= pos + neg
    out = []
    for monday in mondays:
        bucket = {code: to_money(v) for code, v in lines[monday].items()}
        inflow = sum((bucket[c] for c in cashflow.INFLOW_LINES), ZERO)
        outflow = sum((bucket[c] for c in cashflow.OUTFLOW_LINES), ZERO)
        actual, _created = WeekActual.objects.update_or_create(
            week_start=monday,
            defaults={
                "opening": positions.cash_balance(as_of=monday - timedelta(days=1)),
                "closing": positions.cash_balance(as_of=monday + timedelta(days=6)),
                "inflow": inflow,
                "outflow": outflow,
                "lines": {code: str(v) for code, v in bucket.items()},
            },
        )
        out.append(actual)
    return out


def cashflow_forecast_build(
    *, business_date: date, scenario_codes: list[str] | None = None, with_items: bool = True
) -> list[ForecastRun]:
    """Gather the inputs known on `business_date` once, project them for each scenario (all when
    `scenario_codes` is None), and store one run per scenario and date (replacing that day's run), its weeks
    and (for this newest run) its items. Also records the finished weeks' actuals (WeekActual).
    `with_items=False` (a replay of past dates) keeps the weeks only."""
    started = time.monotonic()
    scenarios = Scenario.objects.all()
    if scenario_codes is not None:
        scenarios = scenarios.filter(code__in=scenario_codes)
    scenarios = list(scenarios)
    inputs, info = forecast_inputs_gather(business_date=business_date)
    gathered = time.monotonic()
    settings = FinanceSettings.get()
    fixed_costs = positions.monthly_fixed_costs(as_of=business_date)
    runs = []
    for scenario in scenarios:
        run = _run_store(
            scenario=scenario,
            inputs=inputs,
            info={**info, "gather_seconds": round(gathered - started, 3)},
            fixed_costs=fixed_costs,
            cushion_months=settings.cushion_months,
            with_items=with_items,
        )
        runs.append(run)
    week_actuals_record(business_date=business_date)
    return runs


# --- Scenarios -------------------------------------------------------------------------------------------

SCENARIO_FIELDS = (
    "code",
    "name",
    "sales_multiplier",
    "settlement_delay_days",
    "purchase_multiplier",
    "expense_multiplier",
    "ads_multiplier",
    "evaluate_alerts",
)


@transaction.atomic
def scenario_save(*, scenario: Scenario | None = None, values: dict) -> Scenario:
    """Create a custom scenario or update one; a built-in scenario keeps its code."""
    if scenario is None:
        scenario = Scenario(builtin=False)
    for name in SCENARIO_FIELDS:
        if name == "code" and scenario.pk and scenario.builtin:
            continue
        if name in values:
            setattr(scenario, name, values[name])
    scenario.full_clean()
    scenario.save()
    return scenario


@transaction.atomic
def scenario_delete(*, scenario: Scenario) -> None:
    """Delete a custom scenario with its runs (built-in ones stay)."""
    if scenario.builtin:
        raise ValidationError(_("Built-in scenarios cannot be deleted."))
    if scenario.alerts.exists():
        raise ValidationError(
            _("This scenario has raised alerts: switch its alerts off instead of deleting it.")
        )
    scenario.delete()
