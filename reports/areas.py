"""What the reports show of the other areas: finance, inventory, marketing and service in a few plain
figures, read only through each area's selectors (design.md: reports only reads other apps).

Every function returns a plain dict (money and rates as Decimal, days as `date`: `to_jsonable` turns them
into strings) and never raises on an empty database: a figure that cannot be computed is None, a list is
empty. Periods are shop-local dates [start, end) (`end` excluded); `as_of` is the last day whose data
counts (a report made on Monday for the week before passes the Sunday).

Definitions (each area's own, restated here):

- Finance (`finance_summary`): cash = the active accounts' balance at the end of `as_of`; the 13-week
  figures come from the newest base-scenario forecast run made on or before `as_of` (closing balance of
  its last week, its lowest projected closing balance and that week's Monday); runway, CCC, DSO, DPO and
  DIO from the newest metric snapshot on or before `as_of` (runway None = cash-positive: the cash does not
  shrink, `cash_positive` says so; both None without a snapshot); alerts are the live ones (not cleared),
  now, the most severe first.
- Inventory (`inventory_summary`): stockout rate = of the SKU-warehouse days with demand in the period,
  the share that ended out of stock or left demand unmet (inventory's definition, `inventory.kpis`);
  turnover, days of inventory and dead stock (no sale in `dead_stock_days`, 90 by default) as of `as_of`
  over today's stock; projected stockouts = the latest replenishment run's SKUs projected to run out
  before the next replenishment can arrive, soonest first (at most 10).
- Marketing (`marketing_summary`): the results of the promotions that ran during the period (uplift =
  GMV / baseline GMV - 1, ROI = incremental margin / (discount + gift + campaign cost), built nightly);
  ad spend and the revenue attributed to ads over the period's days, ad ROI = ad revenue / ad spend.
- Service (`service_summary`): SLA attainment = SLA clocks met on time / clocks that ended in the period
  (all metrics; `sla_by_metric` per metric); CSAT = share of 4-5 answers among the CSAT answers of the
  period; NPS in points (-100..100) of the NPS answers of the period; tickets opened in the period; the
  top complaint keywords of the month(s) the period touches (keywords are built per month).
"""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.urls import NoReverseMatch, reverse

from finance.selectors import alerts as finance_alerts
from finance.selectors import forecast as finance_forecast
from finance.selectors import overview as finance_overview
from finance.selectors import positions as finance_positions
from inventory import kpis as inventory_kpis
from marketing.selectors import campaigns as marketing_campaigns
from marketing.selectors import promotions as marketing_promotions
from marketing.selectors import results as marketing_results
from service.selectors import feedback as service_feedback
from service.selectors import satisfaction as service_satisfaction
from service.selectors import sla as service_sla
from service.selectors import tickets as service_tickets
from shopops.common.dates import day_range, day_start

ALERT_LEVELS = ("watch", "warning", "critical")
PROJECTED_STOCKOUTS = 10
COMPLAINT_KEYWORDS = 10
RATIO = Decimal("0.0001")


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _ratio(num, den) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) / Decimal(den)).quantize(RATIO, rounding=ROUND_HALF_UP)


def to_jsonable(value):
    """`value` with Decimals as strings, dates and datetimes in ISO format, tuples as lists (recursively),
    ready for a JSONField or json.dumps."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- finance ----------------------------------------------------------------------------------------------


def finance_summary(*, as_of: date) -> dict:
    """Cash, the 13-week base forecast, the working-capital metrics and the live alerts, as of `as_of`.

    Keys: "as_of", "cash_today", "forecast_as_of" (the run's business date), "closing_balance" (the last
    forecast week's closing), "closing_week_start", "lowest_closing", "lowest_week_start", "cushion",
    "snapshot_as_of", "runway_months", "cash_positive" (True: runway None because the cash does not shrink;
    None without a snapshot), "weekly_net_burn", "ccc_days", "dso", "dpo", "dio", "alerts_by_level"
    {"watch", "warning", "critical": int}, "alerts" [{"id", "level", "level_label", "metric",
    "metric_label", "message", "scenario", "week_start", "url"}] (the most severe first)."""
    run = finance_forecast.forecast_latest(scenario_code="base", on=as_of)
    weeks = finance_forecast.forecast_weeks(run=run) if run else []
    last_week = weeks[-1] if weeks else None
    snapshot = finance_overview.snapshot_latest(on=as_of)
    counts = finance_alerts.alert_live_counts()
    alerts = [
        {
            "id": alert.pk,
            "level": alert.level,
            "level_label": str(alert.get_level_display()),
            "metric": alert.metric,
            "metric_label": str(alert.get_metric_display()),
            "message": alert.detail,
            "scenario": alert.scenario.code,
            "week_start": alert.week_start,
            "url": _url("finance:alert-detail", alert.pk),
        }
        for alert in finance_alerts.alert_live_list()
    ]
    return {
        "as_of": as_of,
        "cash_today": finance_positions.cash_balance(as_of=as_of),
        "forecast_as_of": run.business_date if run else None,
        "closing_balance": last_week.closing if last_week else None,
        "closing_week_start": last_week.week_start if last_week else None,
        "lowest_closing": run.lowest_closing if run else None,
        "lowest_week_start": run.lowest_week_start if run else None,
        "cushion": run.cushion if run else None,
        "snapshot_as_of": snapshot.business_date if snapshot else None,
        "runway_months": snapshot.runway_months if snapshot else None,
        "cash_positive": (snapshot.runway_months is None) if snapshot else None,
        "weekly_net_burn": snapshot.weekly_net_burn if snapshot else None,
        "ccc_days": snapshot.ccc if snapshot else None,
        "dso": snapshot.dso if snapshot else None,
        "dpo": snapshot.dpo if snapshot else None,
        "dio": snapshot.dio if snapshot else None,
        "alerts_by_level": {level: counts.get(level, 0) for level in ALERT_LEVELS},
        "alerts": alerts,
    }


# --- inventory --------------------------------------------------------------------------------------------


def inventory_summary(*, start: date, end: date, as_of: date) -> dict:
    """Stockouts of the period, turnover and dead stock as of `as_of`, and the projected stockouts.

    Keys: "stockout_rate" (fraction or None), "stockout_days", "demand_days" (SKU-warehouse days of the
    period), "turnover" (a year, or None), "turnover_target" [low, high], "days_of_inventory",
    "inventory_value", "dead_stock" {"count", "value", "share", "days"}, "overstock" {"count",
    "excess_value"}, "projected_stockouts" [{"sku_code", "sku_name", "warehouse_code", "date" (projected
    stockout day), "days" (from as_of; negative: already past), "arrival" (the day replenishment can
    arrive)}] (at most 10), "projected_stockouts_total", "suggestions_as_of" (the run's business date)."""
    days = max((end - start).days, 1)
    stockouts = inventory_kpis.stockout_rate_get(end - timedelta(days=1), days=days)
    kpis = inventory_kpis.inventory_kpis_get(as_of)
    run_date = inventory_kpis.suggestion_latest_date()
    risks = inventory_kpis.stockout_risk_list(business_date=run_date) if run_date else []
    projected = [
        {
            "sku_code": row.sku.code,
            "sku_name": row.sku.name,
            "warehouse_code": row.warehouse.code,
            "date": row.projected_stockout_on,
            "days": (row.projected_stockout_on - as_of).days,
            "arrival": inventory_kpis.arrival_deadline(row),
        }
        for row in risks[:PROJECTED_STOCKOUTS]
    ]
    return {
        "stockout_rate": stockouts.rate,
        "stockout_days": stockouts.stockout_days,
        "demand_days": stockouts.demand_days,
        "turnover": kpis.turnover.turnover,
        "turnover_target": list(kpis.turnover_target),
        "days_of_inventory": kpis.turnover.days_of_inventory,
        "inventory_value": kpis.value,
        "dead_stock": {
            "count": kpis.dead_skus,
            "value": kpis.dead_value,
            "share": kpis.dead_share,
            "days": kpis.dead_days,
        },
        "overstock": {"count": kpis.overstock_skus, "excess_value": kpis.overstock_excess_value},
        "projected_stockouts": projected,
        "projected_stockouts_total": len(risks),
        "suggestions_as_of": run_date,
    }


# --- marketing --------------------------------------------------------------------------------------------


def marketing_summary(*, start: date, end: date) -> dict:
    """Promotion results of the period and the ad figures of its days.

    Keys: "promotions" [{"code", "name", "kind", "kind_label", "status" ("live" / "ended" / ... at the end
    of the period), "starts_on", "ends_on" (last day, inclusive; None: open-ended), "orders", "gmv",
    "baseline_gmv", "uplift", "incremental_margin", "cost" (discount + gift), "roi", "url"}],
    "ad_spend", "ad_revenue", "ad_roi" (revenue / spend, None without spend), "ad_orders",
    "ad_new_customers"."""
    period_end = day_start(end)
    promotions = []
    for result in marketing_results.promotion_result_in_period(start=start, end=end):
        promotion = result.promotion
        ends_on = None
        if promotion.ends_at is not None:
            ends_on = (promotion.ends_at - timedelta(microseconds=1)).astimezone(period_end.tzinfo).date()
        promotions.append(
            {
                "code": promotion.code,
                "name": promotion.name,
                "kind": promotion.kind,
                "kind_label": str(promotion.get_kind_display()),
                "status": marketing_promotions.promotion_status(promotion, now=period_end),
                "starts_on": promotion.starts_at.astimezone(period_end.tzinfo).date(),
                "ends_on": ends_on,
                "orders": result.orders,
                "gmv": result.gmv,
                "baseline_gmv": result.baseline_gmv,
                "uplift": result.uplift,
                "incremental_margin": result.margin - result.baseline_margin,
                "cost": result.discount_cost + result.gift_cost,
                "roi": result.roi,
                "url": _url("marketing:promotion-result", promotion.code)
                or _url("marketing:promotion-detail", promotion.code),
            }
        )
    last_day = end - timedelta(days=1)
    totals = marketing_campaigns.ad_totals_by_campaign(start=start, end=last_day).values()
    spend = sum((t.spend for t in totals), Decimal("0.00"))
    revenue = sum((t.revenue for t in totals), Decimal("0.00"))
    return {
        "promotions": promotions,
        "ad_spend": spend,
        "ad_revenue": revenue,
        "ad_roi": _ratio(revenue, spend),
        "ad_orders": sum(t.orders for t in totals),
        "ad_new_customers": sum(t.new_customers for t in totals),
    }


# --- service ----------------------------------------------------------------------------------------------


def service_summary(*, start: date, end: date) -> dict:
    """SLA attainment, satisfaction, tickets and complaint keywords of the period.

    Keys: "sla_attainment" (fraction or None), "sla_met", "sla_total" (clocks ended in the period),
    "sla_by_metric" {metric: {"label", "total", "met", "breached", "rate"}}, "csat" (fraction or None),
    "csat_answers", "csat_average" (1-5), "nps" (points or None), "nps_answers", "tickets_opened",
    "first_response_median" (minutes), "resolution_median" (minutes), "top_complaint_keywords"
    [{"keyword", "count"}] (at most 10), "keyword_months" (the months the keywords come from)."""
    lo, hi = day_range(start, end)
    by_metric = service_sla.sla_attainment(start=lo, end=hi)
    met = sum(row["met"] for row in by_metric.values())
    total = sum(row["total"] for row in by_metric.values())
    csat = service_satisfaction.csat_summary(start=start, end=end)
    nps = service_satisfaction.nps(start=start, end=end)
    times = service_tickets.ticket_response_times(start=start, end=end)
    keywords = service_feedback.complaint_keyword_top(start=start, end=end, limit=COMPLAINT_KEYWORDS)
    return {
        "sla_attainment": _ratio(met, total),
        "sla_met": met,
        "sla_total": total,
        "sla_by_metric": {metric: {**row, "label": str(row["label"])} for metric, row in by_metric.items()},
        "csat": csat["csat"],
        "csat_answers": csat["count"],
        "csat_average": csat["average"],
        "nps": nps["nps"],
        "nps_answers": nps["count"],
        "tickets_opened": times.tickets,
        "first_response_median": times.first_response_median,
        "resolution_median": times.resolution_median,
        "top_complaint_keywords": keywords["keywords"],
        "keyword_months": keywords["months"],
    }


# --- all of them ------------------------------------------------------------------------------------------


def area_kpis(*, start: date, end: date, as_of: date) -> dict:
    """{"finance": finance_summary, "inventory": inventory_summary, "marketing": marketing_summary,
    "service": service_summary} for the period [start, end) and the day `as_of`."""
    return {
        "finance": finance_summary(as_of=as_of),
        "inventory": inventory_summary(start=start, end=end, as_of=as_of),
        "marketing": marketing_summary(start=start, end=end),
        "service": service_summary(start=start, end=end),
    }
