"""Celery entry points of the report archive (reports.tasks imports them; beat runs the weekly report on
Mondays at 08:00 shop time and the daily digest every morning)."""

from datetime import date

from celery import shared_task

from reports import report_content, services_reports
from shopops.common.dates import shop_today, shop_yesterday
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(
    name="reports.weekly_report_generate", **task_options(soft=30 * 60, hard=35 * 60, idempotent=True)
)
def weekly_report_generate(week_start: str | None = None) -> dict:
    """The manager report of the week starting `week_start` (ISO Monday); None: the week before today."""
    start = date.fromisoformat(week_start) if week_start else report_content.previous_week_start(shop_today())

    def work() -> dict:
        report = services_reports.weekly_report_generate(week_start=start)
        return {"report_id": report.pk, "generations": report.generations, "recipients": report.recipients}

    return job_run_record(job="reports.weekly_report_generate", business_date=start, work=work).detail


@shared_task(
    name="reports.daily_digest_generate", **task_options(soft=20 * 60, hard=25 * 60, idempotent=True)
)
def daily_digest_generate(day: str | None = None) -> dict:
    """The operations digest of `day` (ISO date); None: yesterday in shop time."""
    target = date.fromisoformat(day) if day else shop_yesterday()

    def work() -> dict:
        report = services_reports.daily_digest_generate(day=target)
        return {"report_id": report.pk, "generations": report.generations, "recipients": report.recipients}

    return job_run_record(job="reports.daily_digest_generate", business_date=target, work=work).detail
