"""The failed-jobs table: every task that fails for good on a worker is recorded here (Celery's
task_failure signal, connected in shopops.common.apps), listed on /jobs/failed/ and can be sent again by
an admin.

task_failure fires once a task has failed for good: a programming error at once; a transient error only
after its retries ran out (a retry in between is not a failure); a hard time limit; a worker lost while
running a task that is not requeued. Tasks run in-process (eager: tests, the demo) are not recorded: their
error reaches the caller.
"""

import json
import logging
import traceback as tb

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from shopops.common.models import FailedTask
from shopops.common.outbox import enqueue_task

logger = logging.getLogger(__name__)

TRACEBACK_MAX = 20_000


def _json_safe(value, default):
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return default


def failed_task_record(
    *,
    task_name: str,
    task_id: str,
    args,
    kwargs,
    exception: BaseException,
    traceback_text: str = "",
    queue: str = "",
    attempts: int = 1,
) -> FailedTask:
    """Record one failure of `task_id` (a new row, or one more failure on the row of that id)."""
    now = timezone.now()
    values = {
        "task_name": task_name[:200],
        "queue": (queue or "")[:200],
        "args": _json_safe(list(args or []), []),
        "kwargs": _json_safe(dict(kwargs or {}), {}),
        "exception_type": type(exception).__qualname__[:200],
        "exception_message": str(exception)[:5000],
        "traceback": (traceback_text or "")[-TRACEBACK_MAX:],
        "last_failed_at": now,
    }
    with transaction.atomic():
        row = FailedTask.objects.select_for_update().filter(task_id=task_id).first()
        if row is None:
            return FailedTask.objects.create(
                task_id=task_id, first_failed_at=now, attempts=attempts, **values
            )
        FailedTask.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + attempts, retried_at=None, retried_by=None, **values
        )
    row.refresh_from_db()
    return row


def on_task_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **extra):
    """task_failure receiver (worker side)."""
    request = getattr(sender, "request", None)
    if request is not None and getattr(request, "is_eager", False):
        return
    delivery = (getattr(request, "delivery_info", None) or {}) if request is not None else {}
    retries = getattr(request, "retries", 0) or 0 if request is not None else 0
    if einfo is not None:
        text = str(einfo.traceback)
    elif exception is not None:
        text = "".join(tb.format_exception(type(exception), exception, exception.__traceback__))
    else:
        text = ""
    try:
        failed_task_record(
            task_name=getattr(sender, "name", "") or "?",
            task_id=task_id or "?",
            args=args,
            kwargs=kwargs,
            exception=exception or RuntimeError("unknown failure"),
            traceback_text=text,
            queue=delivery.get("routing_key") or "",
            attempts=retries + 1,
        )
    except Exception:  # never let the bookkeeping break the worker
        logger.exception("could not record the failure of task %s %s", getattr(sender, "name", "?"), task_id)


def failed_task_list(*, task_name: str = "", status: str = "", search: str = "") -> QuerySet[FailedTask]:
    """Failed tasks, newest failure first; `status` "open" (not retried) or "retried"; `search` in the task
    id, exception type or message."""
    qs = FailedTask.objects.select_related("retried_by")
    if task_name:
        qs = qs.filter(task_name=task_name)
    if status == "open":
        qs = qs.filter(retried_at=None)
    elif status == "retried":
        qs = qs.exclude(retried_at=None)
    if search:
        qs = qs.filter(
            Q(task_id__icontains=search)
            | Q(exception_type__icontains=search)
            | Q(exception_message__icontains=search)
        )
    return qs


def failed_task_names() -> list[str]:
    return list(FailedTask.objects.order_by("task_name").values_list("task_name", flat=True).distinct())


def failed_task_retry(*, failed_task_id: int, user) -> FailedTask:
    """Send the task again with its arguments and its task id (through the outbox: a broker outage does not
    block, the row waits), and record who retried it. A task already retried and not failed since is not
    sent twice."""
    with transaction.atomic():
        row = FailedTask.objects.select_for_update().get(pk=failed_task_id)
        if row.retried_at is not None:
            return row
        enqueue_task(row.task_name, args=row.args, kwargs=row.kwargs, queue=row.queue, task_id=row.task_id)
        row.retried_at = timezone.now()
        row.retried_by = user
        row.save(update_fields=["retried_at", "retried_by"])
    return row
