"""The nightly pipeline: one Celery chain of the apps' jobs, in order, for one business date.

Each step is a thin task that takes the business date as an ISO string, is idempotent for that date
(keyed by (job, business date) in JobRun) and uses only what was known on that date, so that
`manage.py run_nightly --date YYYY-MM-DD` can replay history. Later issues append their steps here:
forecasts, replenishment, segments, cash-flow, alerts, reports.
"""

from datetime import date

from celery import chain, shared_task

from reports import tasks as report_tasks
from shopops.common.dates import shop_yesterday

# The steps, in order. Each is a task taking the business date as an ISO string.
STEPS = [
    report_tasks.sales_rollup_build,
]


def pipeline(business_date: date):
    """The chain of steps for `business_date`. Steps are immutable signatures: each gets only the date."""
    return chain(*(task.si(business_date.isoformat()) for task in STEPS))


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
