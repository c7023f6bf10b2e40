"""Service's keyword step of the nightly pipeline (`shopops/nightly.py`; the NPS step is
`service.tasks.surveys.nps_surveys_schedule`): it takes the business date as an ISO string and is recorded
in JobRun, so running twice for a date changes nothing."""

from datetime import date, timedelta

from celery import shared_task

from service.services.keywords import complaint_keywords_build
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(
    name="service.complaint_keywords_nightly", **task_options(soft=30 * 60, hard=35 * 60, idempotent=True)
)
def complaint_keywords_nightly(business_date: str) -> dict:
    """Rebuild the complaint keywords of the business date's month (and of the month before during the
    first week, so late feedback of the previous month still lands in its report)."""
    day = date.fromisoformat(business_date)
    months = [day.replace(day=1)]
    if day.day <= 7:
        months.insert(0, (day.replace(day=1) - timedelta(days=1)).replace(day=1))

    def work():
        return {m.isoformat(): complaint_keywords_build(month=m) for m in months}

    return job_run_record(job="service.complaint_keywords_build", business_date=day, work=work).detail
