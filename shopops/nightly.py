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
from inventory import selectors as inventory_selectors
from inventory import tasks as inventory_tasks
from orders import selectors as order_selectors
from reports import tasks as report_tasks
from shopops.common.dates import shop_yesterday
from shopops.common.jobs import job_run_record


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


@shared_task(name="shopops.nightly.sku_stats_store")
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


def promotions_soon(business_date: date) -> dict[str, str]:
    """SKU id -> the name of a promotion starting soon, for the price recommendations (they hold prices
    before a campaign). The promotion calendar (marketing) is not built yet: no promotion is known, so the
    mapping is empty. Gathered when the chain is built (the same night)."""
    return {}


def promotion_calendar(business_date: date) -> list[dict]:
    """The promotions the demand forecast must know, past and planned, as plain data: [{"start": ISO day,
    "end": ISO day, "sku_ids": [...] ([] = every SKU), "lift": expected demand multiplier or None (measured
    from history)}]. The promotion calendar (marketing) is not built yet: no promotion is known, so the list
    is empty; festivals (618, Double 11, Double 12) need no calendar, the forecast knows their dates."""
    return []


# The steps, in order. Each is a task taking the business date as an ISO string.
STEPS = [
    report_tasks.sales_rollup_build,
    sku_stats_store,
    catalog_tasks.price_recommendations_build,
    inventory_tasks.demand_record_build,
    inventory_tasks.sku_forecast_build,  # fans out one task per chunk of SKUs; the chain waits for all
    inventory_tasks.sku_class_build,
    inventory_tasks.replenishment_build,
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


@shared_task(name="shopops.nightly.run")
def run(business_date: str | None = None) -> str:
    """Beat entry point: enqueue the chain for `business_date` (default: yesterday, shop time)."""
    day = date.fromisoformat(business_date) if business_date else shop_yesterday()
    pipeline(day).apply_async()
    return day.isoformat()
