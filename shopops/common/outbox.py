"""The task outbox: enqueue Celery tasks without ever blocking on the broker.

``enqueue("marketing.order_promotions_record", [1, 2])`` writes a TaskOutbox row in the current
transaction and, once it commits, tries to publish it at once: one attempt, a short connection timeout
(CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_CONNECTION_TIMEOUT) and no retry. If the broker is down the
row simply waits (and for a few seconds this process stops trying, so a burst of requests does not pay
the timeout each), and the change that asked for the task stays committed. Pending rows are published by
the beat task ``common.outbox_drain`` every minute and by every worker when it starts.

Outbox tasks are fire and forget: published with ``ignore_result`` (no result stored; failures still land
in the failed-jobs table). Rolled back with its transaction, the row and its task are gone together: a
task never runs for a change that did not happen. Delivery is at least once: a row published but whose
`sent_at` could not be stored (the database failed right then) is published again, so the tasks enqueued
here must be idempotent (the order-sync follow-ups, the webhook delivery and the nightly steps are).

Without a broker (CELERY_TASK_ALWAYS_EAGER: tests, the one-command demo) the task runs in this process on
commit, as ``.delay()`` would, and its errors propagate to the caller the same way.
"""

import logging
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shopops.celery import app as celery_app  # the project's app, whichever app is current
from shopops.common.models import TaskOutbox

logger = logging.getLogger(__name__)

PUBLISH_PAUSE_SECONDS = 5.0  # after a failed publish, this process leaves new rows to the drain this long
DRAIN_BATCH = 100
KEEP_SENT_DAYS = 7

_paused_until = 0.0


def enqueue(task_name: str, *args, **kwargs) -> TaskOutbox:
    """Queue `task_name(*args, **kwargs)` with the current transaction (see the module docstring)."""
    return enqueue_task(task_name, args=list(args), kwargs=kwargs)


def enqueue_task(
    task_name: str,
    *,
    args: list | None = None,
    kwargs: dict | None = None,
    queue: str = "",
    task_id: str | None = None,
) -> TaskOutbox:
    """`enqueue` with the publishing options: a queue (default: the task's route) and a task id (default:
    a new one, known before the task is published)."""
    row = TaskOutbox.objects.create(
        task_name=task_name,
        task_id=task_id or str(uuid.uuid4()),
        args=list(args or []),
        kwargs=dict(kwargs or {}),
        queue=queue or "",
    )
    transaction.on_commit(lambda: _publish_committed(row.pk))
    return row


def enqueue_signature(signature, *, queue: str = "") -> TaskOutbox:
    """Queue a whole canvas (a chain of steps) with the current transaction, like `enqueue`."""
    frozen = signature.freeze()
    row = TaskOutbox.objects.create(
        task_name=signature.name or signature.task,
        task_id=frozen.id,
        signature=dict(signature),
        queue=queue or "",
    )
    transaction.on_commit(lambda: _publish_committed(row.pk))
    return row


def _eager() -> bool:
    return bool(celery_app.conf.task_always_eager)


def _publish_committed(pk: int) -> None:
    """On commit: one quick attempt unless this process saw the broker fail a moment ago."""
    if not _eager() and time.monotonic() < _paused_until:
        return
    with transaction.atomic():
        row = TaskOutbox.objects.select_for_update(skip_locked=True).filter(pk=pk, sent_at=None).first()
        if row is None:
            return  # a drain took it
        _deliver(row)


def _deliver(row: TaskOutbox) -> bool:
    if _eager():
        _mark_sent(row)
        _run_eagerly(row)
        return True
    return _publish(row)


def _run_eagerly(row: TaskOutbox) -> None:
    if row.signature:
        celery_app.signature(row.signature).apply_async()
        return
    task = celery_app.tasks.get(row.task_name)
    if task is None:  # autodiscovery is lazy outside a worker
        celery_app.loader.import_default_modules()
        task = celery_app.tasks[row.task_name]
    task.apply_async(args=row.args, kwargs=row.kwargs, task_id=row.task_id)


def _mark_sent(row: TaskOutbox) -> None:
    row.attempts += 1
    row.sent_at = timezone.now()
    row.last_error = ""
    row.save(update_fields=["attempts", "sent_at", "last_error"])


def _publish(row: TaskOutbox) -> bool:
    """Publish one locked row: True when the broker took it (the row is marked sent), False otherwise (the
    error is recorded on the row and this process pauses its own attempts)."""
    global _paused_until
    options = {"retry": False}
    if row.queue:
        options["queue"] = row.queue
    try:
        if row.signature:
            celery_app.signature(row.signature).apply_async(**options)
        else:
            # ignore_result: nobody waits for an outbox task's result, and asking for it would make this
            # process subscribe to the result backend (Redis) first, retrying for 20 s when it is away.
            celery_app.send_task(
                row.task_name,
                args=row.args,
                kwargs=row.kwargs,
                task_id=row.task_id,
                ignore_result=True,
                **options,
            )
    except Exception as exc:  # the broker is away: the row waits for the drain
        _paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.save(update_fields=["attempts", "last_error"])
        logger.warning("outbox: %s %s not published yet (%s)", row.task_name, row.task_id, row.last_error)
        return False
    _mark_sent(row)
    return True


def outbox_drain(*, limit: int = 10_000) -> dict:
    """Publish the pending rows, oldest first, until the broker fails or `limit` rows went out; delete sent
    rows older than a week. Safe to run in several processes at once (rows are locked, skip-locked)."""
    global _paused_until
    sent = failed = 0
    while sent < limit:
        with transaction.atomic():
            rows = list(
                TaskOutbox.objects.select_for_update(skip_locked=True)
                .filter(sent_at=None)
                .order_by("id")[: min(DRAIN_BATCH, limit - sent)]
            )
            for row in rows:
                if _deliver(row):
                    sent += 1
                else:
                    failed += 1
                    break
        if failed or len(rows) < DRAIN_BATCH:
            break
    if not failed:
        _paused_until = 0.0
    pruned, _ = TaskOutbox.objects.filter(
        sent_at__lt=timezone.now() - timedelta(days=KEEP_SENT_DAYS)
    ).delete()
    pending = TaskOutbox.objects.filter(sent_at=None).count()
    if sent or failed:
        logger.info("outbox drain: %d sent, %d pending, broker %s", sent, pending, "down" if failed else "up")
    return {"sent": sent, "pending": pending, "pruned": pruned, "broker_down": bool(failed)}


def outbox_pending_count() -> int:
    return TaskOutbox.objects.filter(sent_at=None).count()
