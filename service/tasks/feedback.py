"""Celery tasks of this subdomain (thin: ids and dates in, one service call)."""

from datetime import date, timedelta

from celery import shared_task

from service.services.keywords import complaint_keywords_build as _complaint_keywords_build
from shopops.common.dates import shop_today
from shopops.common.tasking import task_options


@shared_task(
    name="service.complaint_keywords_build", **task_options(soft=30 * 60, hard=35 * 60, idempotent=True)
)
def complaint_keywords_build(month: str | None = None) -> int:
    """Rebuild a month's complaint keywords (`month` ISO, any day of it); without one, last month, so a
    beat entry on the 1st builds the month just ended. Idempotent."""
    day = date.fromisoformat(month) if month else shop_today().replace(day=1) - timedelta(days=1)
    return _complaint_keywords_build(month=day)
