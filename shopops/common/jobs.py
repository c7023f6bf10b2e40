"""Book-keeping for nightly jobs: one JobRun row per (job, business date)."""

import time
from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shopops.common.models import JobRun


def job_run_record(*, job: str, business_date: date, work: Callable[[], dict]) -> JobRun:
    """Run `work` for (job, business_date) and record its outcome.

    `work` must itself be idempotent for the date (it replaces what it built for that date), so a second
    run gives the same result; the row counts the runs and keeps the last detail.
    """
    run, created = JobRun.objects.get_or_create(job=job, business_date=business_date)
    if not created:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.RUNNING, runs=F("runs") + 1, finished_at=None
        )
    started = time.monotonic()
    try:
        detail = work() or {}
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED, finished_at=timezone.now(), detail={"error": repr(exc)[:2000]}
        )
        raise
    detail["seconds"] = round(time.monotonic() - started, 3)
    with transaction.atomic():
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), detail=detail
        )
    run.refresh_from_db()
    return run
