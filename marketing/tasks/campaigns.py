"""Celery entry points (campaigns): the nightly promotion results, referral attribution after order sync,
the festival calendar."""

from datetime import date

from celery import shared_task

from marketing.services import campaigns, referrals, results
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(
    name="marketing.promotion_results_build", **task_options(soft=15 * 60, hard=20 * 60, idempotent=True)
)
def promotion_results_build(business_date: str) -> dict:
    """Nightly step: the results of the promotions running or ended in the last 30 days (idempotent per
    date)."""
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="marketing.promotion_results_build",
        business_date=day,
        work=lambda: results.promotion_results_build(business_date=day),
    )
    return run.detail


@shared_task(name="marketing.referrals_attribute", **task_options(soft=2 * 60, hard=3 * 60, idempotent=True))
def referrals_attribute(order_ids: list[int]) -> dict:
    """Order-sync follow-up: attribute new customers' first orders to the referral codes they carry."""
    return referrals.referrals_attribute(order_ids=list(order_ids))


@shared_task(
    name="marketing.festival_calendar_ensure", **task_options(soft=2 * 60, hard=3 * 60, idempotent=True)
)
def festival_calendar_ensure(year: int | None = None) -> dict:
    """Create the festival campaigns of `year` and the next (default: the current year): idempotent."""
    from shopops.common.dates import shop_today

    first = year or shop_today().year
    return {str(y): campaigns.festival_calendar_ensure(y) for y in (first, first + 1)}
