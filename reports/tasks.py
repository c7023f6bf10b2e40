"""Thin Celery entry points of the reports area."""

from datetime import date

from celery import shared_task

from reports import services
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(name="reports.sales_rollup_build", **task_options(soft=15 * 60, hard=20 * 60, idempotent=True))
def sales_rollup_build(business_date: str) -> dict:
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="reports.sales_rollup_build",
        business_date=day,
        work=lambda: services.sales_rollup_build(business_date=day),
    )
    return run.detail


# The report archive's tasks (beat: weekly on Monday 08:00 shop time, the digest every morning).
from reports.tasks_reports import daily_digest_generate, weekly_report_generate  # noqa: E402, F401
