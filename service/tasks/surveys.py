"""Celery entry points (surveys): the nightly NPS scheduling, one step of the nightly pipeline."""

from datetime import date, timedelta

from celery import shared_task

from service.services import surveys
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(name="service.nps_surveys_schedule", **task_options(soft=10 * 60, hard=15 * 60, idempotent=True))
def nps_surveys_schedule(business_date: str | None = None) -> dict:
    """NPS requests for orders delivered 3-7 days ago. The nightly pipeline runs for the business date
    that just ended (yesterday), so the window is counted from the day after it: the day the job runs.
    Without a date: today, shop time. Idempotent: a rerun of the night creates nothing."""
    if not business_date:
        return {"created": surveys.nps_surveys_schedule()}
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="service.nps_surveys_schedule",
        business_date=day,
        work=lambda: {"created": surveys.nps_surveys_schedule(today=day + timedelta(days=1))},
    )
    return run.detail
