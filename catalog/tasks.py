"""Thin Celery entry points of the catalogue: each takes a business date and calls one service."""

from datetime import date

from celery import shared_task

from catalog import services
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(
    name="catalog.price_recommendations_build", **task_options(soft=15 * 60, hard=20 * 60, idempotent=True)
)
def price_recommendations_build(business_date: str, promotions: dict | None = None) -> dict:
    """The nightly price recommendations for `business_date`; `promotions` (SKU id -> the name of a
    promotion starting soon) is gathered by the pipeline from the promotion calendar."""
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="catalog.price_recommendations_build",
        business_date=day,
        work=lambda: services.price_recommendations_build(business_date=day, promotions=promotions or {}),
    )
    return run.detail
