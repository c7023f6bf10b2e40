"""Every Celery task of the project states its time limits; only the idempotent ones are acknowledged late
and requeued when their worker dies; only those retry, and only on transient errors (shopops.common.tasking).
The expected table is written out here, independently of the decorators."""

import smtplib

import pytest
from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, ProgrammingError

from shopops.celery import app as celery_app
from shopops.common import tasking

# Tasks that may run twice (keyed by (job, business date), or marking what they handled): late acks.
IDEMPOTENT = {
    "catalog.price_recommendations_build",
    "common.canary",
    "common.outbox_drain",
    "finance.alerts_evaluate",
    "finance.cashflow_forecast_build",
    "finance.metrics_snapshot_build",
    "finance.order_risk_score",
    "inventory.demand_record_build",
    "inventory.replenishment_build",
    "inventory.replenishment_chunk_build",
    "inventory.replenishment_finish",
    "inventory.sku_class_build",
    "inventory.sku_forecast_build",
    "inventory.sku_forecast_chunk_build",
    "inventory.sku_forecast_failed",
    "inventory.sku_forecast_finish",
    "inventory.step_failed",
    "marketing.customer_rfm_build",
    "marketing.festival_calendar_ensure",
    "marketing.flash_claims_expire",
    "marketing.membership_assign",
    "marketing.order_promotions_record",
    "marketing.points_build",
    "marketing.promotion_results_build",
    "marketing.referrals_attribute",
    "orders.order_exceptions_scan",
    "reports.daily_digest_generate",
    "reports.sales_rollup_build",
    "reports.weekly_report_generate",
    "service.complaint_keywords_build",
    "service.complaint_keywords_nightly",
    "service.nps_surveys_schedule",
    "service.sla_check",
    "shopops.nightly.run",
    "shopops.nightly.sku_stats_store",
}
# Sends a signed POST to another system: acknowledged when it starts; its outbox row (WebhookDelivery) is
# sent again by the next evaluation if the worker died, and it retries failed sends by itself.
NOT_IDEMPOTENT = {"finance.webhook_deliver"}

PROGRAMMING_ERRORS = (
    Exception,
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    AssertionError,
    DatabaseError,
    IntegrityError,
    ProgrammingError,
    DataError,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPAuthenticationError,
)


def project_tasks() -> dict:
    # what a worker imports: every app's tasks module and the nightly pipeline (shopops/celery.py)
    celery_app.loader.import_default_modules()
    celery_app.autodiscover_tasks(force=True)
    celery_app.autodiscover_tasks(["shopops"], related_name="nightly", force=True)
    return {
        name: task for name, task in celery_app.tasks.items() if not name.startswith(("celery.", "tests."))
    }


def test_the_table_lists_every_task_of_the_project():
    assert set(project_tasks()) == IDEMPOTENT | NOT_IDEMPOTENT


@pytest.mark.parametrize("name", sorted(IDEMPOTENT | NOT_IDEMPOTENT))
def test_every_task_has_soft_and_hard_time_limits(name):
    task = project_tasks()[name]
    assert task.soft_time_limit and task.time_limit, name
    assert 0 < task.soft_time_limit < task.time_limit <= 35 * 60, name


@pytest.mark.parametrize("name", sorted(IDEMPOTENT))
def test_idempotent_tasks_ack_late_and_retry_transient_errors_only(name):
    task = project_tasks()[name]
    assert task.acks_late is True and task.reject_on_worker_lost is True
    assert set(task.autoretry_for) == set(tasking.TRANSIENT_ERRORS)
    assert task.retry_backoff and task.retry_jitter is True
    assert task.retry_backoff_max == 600 and task.max_retries == 5


@pytest.mark.parametrize("name", sorted(NOT_IDEMPOTENT))
def test_other_tasks_ack_early_and_never_autoretry(name):
    task = project_tasks()[name]
    assert task.acks_late is False and task.reject_on_worker_lost is False
    assert not getattr(task, "autoretry_for", ())


def test_transient_errors_are_never_programming_errors():
    for transient in tasking.TRANSIENT_ERRORS:
        for programming in PROGRAMMING_ERRORS:
            assert not issubclass(programming, transient), (programming, transient)
        assert transient not in PROGRAMMING_ERRORS
    # and a programming error is not caught by the transient tuple
    for programming in (TypeError, ValueError, KeyError, IntegrityError, ProgrammingError):
        try:
            raise programming("boom")
        except tasking.TRANSIENT_ERRORS:
            pytest.fail(f"{programming.__name__} would be retried")
        except Exception:  # noqa: S110 - the point: it is not caught above
            pass


def test_soft_limit_must_be_below_the_hard_one():
    with pytest.raises(ValueError):
        tasking.task_options(soft=60, hard=60, idempotent=True)


def test_visibility_timeout_exceeds_the_longest_hard_limit_and_retry_wait():
    longest = max(task.time_limit for task in project_tasks().values())
    longest = max(longest, settings.CELERY_TASK_TIME_LIMIT)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > longest + tasking.RETRY_BACKOFF_MAX
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT


def test_publishing_does_not_wait_for_the_broker():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["socket_connect_timeout"] <= 1 and options["socket_timeout"] <= 2
    assert options["max_retries"] == 0
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 1
    assert settings.DJANGO_REDIS_IGNORE_EXCEPTIONS is True


def test_one_beat_and_the_outbox_drain_every_minute():
    assert settings.CELERY_BEAT_SCHEDULER == "shopops.common.beat:SingleBeatScheduler"
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-drain"]
    assert entry["task"] == "common.outbox_drain"
    assert entry["schedule"].minute == set(range(60))
