"""Celery signal receivers of the whole project, connected once Django's apps are ready
(shopops.common.apps): the failed-jobs table and the outbox drain when a worker starts."""

import logging

from celery.signals import task_failure, worker_ready
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def outbox_drain_on_worker_ready(sender=None, **kwargs):
    """A worker that starts publishes what the outbox kept while the broker was away (the beat's drain
    runs every minute as well)."""
    from shopops.common.outbox import outbox_drain

    try:
        result = outbox_drain()
        logger.info("outbox drained at worker start: %s", result)
    except Exception:  # the database may still be starting; the beat's drain catches up
        logger.exception("outbox drain at worker start failed")
    finally:
        close_old_connections()


def connect() -> None:
    from shopops.common.failed_tasks import on_task_failure

    task_failure.connect(on_task_failure, dispatch_uid="shopops-failed-task-record", weak=False)
    worker_ready.connect(outbox_drain_on_worker_ready, dispatch_uid="shopops-outbox-drain", weak=False)
