"""Celery entry points of the shared layer."""

import time

from celery import shared_task

from shopops.common import outbox
from shopops.common.dates import shop_today
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(name="common.outbox_drain", **task_options(soft=50, hard=60, idempotent=True))
def outbox_drain() -> dict:
    """Every minute (CELERY_BEAT_SCHEDULE): publish the task outbox rows that could not be published when
    their transaction committed (the broker was away)."""
    return outbox.outbox_drain()


CANARY_MAX_SECONDS = 540


@shared_task(
    name="common.canary",
    **task_options(soft=CANARY_MAX_SECONDS + 30, hard=CANARY_MAX_SECONDS + 60, idempotent=True),
)
def canary(key: str, seconds: float = 0.0) -> dict:
    """An operations probe (docs/deployment.md runbook, bench/drills): works `seconds` (at most 9 minutes),
    then records its run as the JobRun ``canary:<key>`` of today. Idempotent like the nightly steps: a
    delivery cut off while working leaves nothing, so after a redelivery the row shows one run."""
    time.sleep(max(0.0, min(float(seconds), CANARY_MAX_SECONDS)))
    return job_run_record(
        job=f"canary:{key}"[:100], business_date=shop_today(), work=lambda: {"slept": seconds}
    ).detail
