"""Thin Celery entry points of the orders area."""

from celery import shared_task

from orders import services
from shopops.common.tasking import task_options


@shared_task(name="orders.order_exceptions_scan", **task_options(soft=10 * 60, hard=12 * 60, idempotent=True))
def order_exceptions_scan() -> int:
    """Raise 'late' exceptions for paid orders not shipped within 2 hours (the handling SOP)."""
    return services.order_exceptions_scan()
