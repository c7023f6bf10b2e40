"""Celery task options: time limits, late acknowledgement and retries, chosen per task.

Every task decorator spreads ``**task_options(...)``, so each task states its own limits and whether it is
idempotent (tests/test_task_options.py checks every registered task):

- ``soft``/``hard``: the soft limit raises SoftTimeLimitExceeded inside the task (it may clean up), the
  hard one kills the pool child. Sized to the task: a scan every few minutes gets seconds, a forecast chunk
  most of an hour. The broker's visibility timeout (settings: CELERY_BROKER_TRANSPORT_OPTIONS) is longer
  than the longest hard limit, so Redis never hands a running task to a second worker.
- ``idempotent=True``: running the task twice changes nothing the first run did not (nightly steps keyed
  by (job, business date) in JobRun, scans that mark what they handled). Only those are acknowledged
  late (after they ran) and requeued when their worker process dies (``reject_on_worker_lost``): a task
  killed mid-way runs again from the start. A task that is not idempotent is acknowledged when it starts:
  if its worker dies it is lost rather than done twice.
- Retries: only for errors that pass (a database restart or failover, a dropped Redis or SMTP
  connection, a socket timeout), with exponential backoff and jitter. A programming error
  (TypeError, KeyError, IntegrityError, a validation error…) fails at once and lands in the failed-jobs
  table (shopops.common.failed_tasks). Only idempotent tasks retry: a retry is a second run.
"""

import smtplib

import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError

# Errors worth another try: the thing we talked to was away for a moment. Never a programming error.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,  # django.db: connection lost, server restarting, deadlock, serialization failure
    InterfaceError,  # django.db: the connection was closed under us
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,  # the broker could not be reached (publishing a sub-task)
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,  # socket level: refused, reset, broken pipe
    TimeoutError,  # socket.timeout is an alias
)

RETRY_BACKOFF_MAX = 10 * 60  # seconds: the longest wait between two tries
MAX_RETRIES = 5  # tries after the first: 1 s, 2 s, 4 s, 8 s, 16 s (± jitter), then it fails


def task_options(*, soft: int, hard: int, idempotent: bool, max_retries: int = MAX_RETRIES) -> dict:
    """The keyword arguments of ``@shared_task`` for a task with these limits (seconds)."""
    if not 0 < soft < hard:
        raise ValueError("the soft time limit must be positive and below the hard one")
    options = {
        "soft_time_limit": soft,
        "time_limit": hard,
        "acks_late": idempotent,
        "reject_on_worker_lost": idempotent,
    }
    if idempotent:
        options |= {
            "autoretry_for": TRANSIENT_ERRORS,
            "retry_backoff": True,
            "retry_backoff_max": RETRY_BACKOFF_MAX,
            "retry_jitter": True,
            "max_retries": max_retries,
        }
    return options
