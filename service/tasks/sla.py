"""Celery tasks of this subdomain (thin: ids and dates in, one service call)."""

from celery import shared_task

from service.services import sla
from shopops.common.tasking import task_options


@shared_task(name="service.sla_check", **task_options(soft=4 * 60, hard=270, idempotent=True))
def sla_check() -> dict:
    """Every 5 minutes (CELERY_BEAT_SCHEDULE): warn before SLA targets, mark breaches, escalate breached
    major complaints. Idempotent."""
    return sla.sla_check()
