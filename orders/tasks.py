"""Thin Celery entry points of the orders area."""

from celery import shared_task

from orders import services


@shared_task(name="orders.order_exceptions_scan")
def order_exceptions_scan() -> int:
    """Raise 'late' exceptions for paid orders not shipped within 2 hours (the handling SOP)."""
    return services.order_exceptions_scan()
