"""Celery entry points (sales): coupon redemption and flash-claim conversion of synced orders, expiry of
flash-sale holds."""

from celery import shared_task

from marketing.services import flash, redemptions
from shopops.common.tasking import task_options


@shared_task(
    name="marketing.order_promotions_record", **task_options(soft=2 * 60, hard=3 * 60, idempotent=True)
)
def order_promotions_record(order_ids: list[int]) -> dict:
    """Follow-up of ``orders.services.order_sync`` (``settings.ORDER_SYNC_FOLLOWUP_TASKS``): record the
    coupon redemptions and flash-claim conversions of the synced orders. Idempotent."""
    return redemptions.order_promotions_record(order_ids=order_ids).as_dict()


@shared_task(name="marketing.flash_claims_expire", **task_options(soft=45, hard=55, idempotent=True))
def flash_claims_expire() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): give expired flash-sale holds back to their pools."""
    return flash.flash_claims_expire()
