"""The nightly pipeline: one Celery chain of the apps' jobs, in order, for one business date.

Each step is a thin task that takes the business date as an ISO string, is idempotent for that date
(keyed by (job, business date) in JobRun) and uses only what was known on that date, so that
`manage.py run_nightly --date YYYY-MM-DD` can replay history. Later issues append their steps here:
forecasts, replenishment, segments, cash-flow, alerts, reports.
"""

from datetime import date

from celery import chain, shared_task

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog import tasks as catalog_tasks
from finance import tasks as finance_tasks
from inventory import selectors as inventory_selectors
from inventory import tasks as inventory_tasks
from marketing.selectors import campaigns as marketing_campaign_selectors
from marketing.tasks import campaigns as marketing_campaign_tasks
from marketing.tasks import customers as marketing_customer_tasks
from orders import selectors as order_selectors
from reports import tasks as report_tasks
from service.tasks import nightly as service_tasks
from service.tasks import surveys as service_survey_tasks
from shopops.common.dates import shop_yesterday
from shopops.common.jobs import job_run_record
from shopops.common.outbox import enqueue_signature
from shopops.common.tasking import task_options


def sku_facts_gather(business_date: date) -> list[dict]:
    """Per active SKU, what pricing needs from the higher apps, as plain data for
    `catalog.services.sku_stats_store`: available stock now (inventory) and units / revenue sold in the
    windows ending on `business_date` (order lines of counted orders: the reports rollup has no per-SKU
    figures). Two aggregate queries, whatever the number of SKUs."""
    available = inventory_selectors.stock_available_by_sku()
    sales = {row["sku_id"]: row for row in order_selectors.sku_sales_windows(end_date=business_date)}
    empty = {"units_28d": 0, "units_prev_28d": 0, "revenue_28d": 0, "revenue_90d": 0}
    return [
        {**empty, **sales.get(sku_id, {}), "sku_id": sku_id, "available": available.get(sku_id, 0)}
        for sku_id in catalog_selectors.sku_ids_active()
    ]


@shared_task(
    name="shopops.nightly.sku_stats_store", **task_options(soft=10 * 60, hard=15 * 60, idempotent=True)
)
def sku_stats_store(business_date: str) -> dict:
    """The nightly SKU facts: gathered here (the top layer may read every app), stored by catalog."""
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="catalog.sku_stats_store",
        business_date=day,
        work=lambda: {
            "skus": catalog_services.sku_stats_store(business_date=day, rows=sku_facts_gather(day))
        },
    )
    return run.detail


def promotions_soon(business_date: date) -> dict[int, str]:
    """SKU id -> the name of a promotion or campaign starting in the next 14 days, for the price
    recommendations (they hold prices before a campaign): marketing's calendar, gathered when the chain is
    built (the same night)."""
    return marketing_campaign_selectors.promotions_soon(business_date)


def promotion_calendar(business_date: date) -> list[dict]:
    """The promotions the demand forecast must know, past and planned, as plain data: [{"start": ISO day,
    "end": ISO day, "sku_ids": [...] ([] = every SKU), "lift": expected demand multiplier or None (measured
    from history)}], from marketing's promotion calendar (scheduled promotions and the shop's events;
    festivals only where they name SKUs or a lift: the forecast measures 618, Double 11 and Double 12 by
    itself)."""
    return marketing_campaign_selectors.promotion_calendar_get(business_date)


# The steps, in order. Each is a task taking the business date as an ISO string.
STEPS = [
    report_tasks.sales_rollup_build,
    sku_stats_store,
    catalog_tasks.price_recommendations_build,
    inventory_tasks.demand_record_build,
    inventory_tasks.sku_forecast_build,  # fans out one task per chunk of SKUs; the chain waits for all
    inventory_tasks.sku_class_build,
    inventory_tasks.replenishment_build,
    # Customers: tiers before points (the tier sets the points multiplier), RFM for the segment pages.
    marketing_customer_tasks.membership_assign,
    marketing_customer_tasks.points_build,
    marketing_customer_tasks.customer_rfm_build,
    marketing_campaign_tasks.promotion_results_build,
    # Service: the month's complaint keywords; NPS survey requests for orders delivered 3-7 days ago.
    service_tasks.complaint_keywords_nightly,
    service_survey_tasks.nps_surveys_schedule,
    # Finance, after everything it reads: the working-capital snapshot, the 13-week forecast of every
    # scenario (it reads the demand forecast and the replenishment suggestions above), then the alerts.
    finance_tasks.metrics_snapshot_build_task,
    finance_tasks.cashflow_forecast_build_task,
    finance_tasks.alerts_evaluate_task,
]

# Plain data from higher apps that a lower app's step needs: task name -> keyword arguments for the date.
STEP_INPUTS = {
    catalog_tasks.price_recommendations_build.name: lambda day: {"promotions": promotions_soon(day)},
    inventory_tasks.sku_forecast_build.name: lambda day: {"promotions": promotion_calendar(day)},
}


def pipeline(business_date: date):
    """The chain of steps for `business_date`. Steps are immutable signatures: each gets the date (and the
    plain data of STEP_INPUTS), not the previous step's result."""
    iso = business_date.isoformat()
    return chain(
        *(task.si(iso, **STEP_INPUTS.get(task.name, lambda day: {})(business_date)) for task in STEPS)
    )


def run_now(business_date: date) -> list:
    """Run the whole pipeline in this process, step after step; returns each step's result."""
    results = []
    for step in pipeline(business_date).tasks:
        results.append((step.task, step.apply(throw=True).get()))
    return results


@shared_task(name="shopops.nightly.run", **task_options(soft=5 * 60, hard=6 * 60, idempotent=True))
def run(business_date: str | None = None) -> str:
    """Beat entry point: enqueue the chain for `business_date` (default: yesterday, shop time)."""
    day = date.fromisoformat(business_date) if business_date else shop_yesterday()
    enqueue_signature(pipeline(day))  # through the task outbox: a broker outage leaves it pending
    return day.isoformat()
