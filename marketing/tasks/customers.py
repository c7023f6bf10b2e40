"""Celery entry points (customers): the nightly RFM build, membership assignment and points, each
idempotent per business date (keyed by (job, business date) in JobRun)."""

from datetime import date

from celery import shared_task

from marketing.services import customers
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(name="marketing.customer_rfm_build", **task_options(soft=30 * 60, hard=35 * 60, idempotent=True))
def customer_rfm_build(business_date: str) -> dict:
    """RFM scores and segments of every customer as of the business date."""
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="marketing.customer_rfm_build",
        business_date=day,
        work=lambda: customers.customer_rfm_build(business_date=day),
    )
    return run.detail


@shared_task(name="marketing.membership_assign", **task_options(soft=30 * 60, hard=35 * 60, idempotent=True))
def membership_assign(business_date: str) -> dict:
    """Memberships for new customers and every member's tier from the 12 months ending on the date."""
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="marketing.membership_assign",
        business_date=day,
        work=lambda: customers.membership_assign(business_date=day),
    )
    return run.detail


@shared_task(name="marketing.points_build", **task_options(soft=15 * 60, hard=20 * 60, idempotent=True))
def points_build(business_date: str) -> dict:
    """Points earned by orders delivered on the date, clawed back from orders returned that day, expired."""
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="marketing.points_build",
        business_date=day,
        work=lambda: customers.points_build(business_date=day),
    )
    return run.detail
