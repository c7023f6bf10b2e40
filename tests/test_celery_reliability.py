"""A real Celery worker on Redis: a task that fails for good lands in the failed-jobs table, an admin sends
it again from the page, and a worker that starts publishes what the outbox kept while the broker was away."""

import time
import uuid

import pytest
from django.db import transaction
from django.urls import reverse

from conftest import celery_worker_running
from shopops.common import outbox
from shopops.common.models import FailedTask, JobRun, TaskOutbox
from tests.celery_helpers import REDIS_URL, broker, closed_port, redis_client


def _wait_for(predicate, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return predicate()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_failed_task_is_recorded_and_an_admin_sends_it_again(tmp_path, client_for):
    redis_client()
    with celery_worker_running(tmp_path / "worker.log", REDIS_URL) as (celery, queue):
        # A programming error (a bad date): no retry, one failure at once.
        result = celery.send_task("reports.sales_rollup_build", args=["2026-13-45"], queue=queue)
        result.get(timeout=90, propagate=False)
        row = _wait_for(lambda: FailedTask.objects.filter(task_id=result.id).first(), 30)
        assert row is not None, (tmp_path / "worker.log").read_text()[-3000:]
        assert (row.task_name, row.args, row.kwargs) == ("reports.sales_rollup_build", ["2026-13-45"], {})
        assert (row.exception_type, row.attempts, row.queue) == ("ValueError", 1, queue)
        assert "fromisoformat" in row.traceback and row.retried_at is None

        manager = client_for("manager")
        page = manager.get(reverse("jobs-failed"))
        assert page.status_code == 200 and result.id in page.content.decode()
        assert manager.post(reverse("jobs-failed-retry", args=[row.pk])).status_code == 403

        admin = client_for("admin")
        with broker(REDIS_URL):
            answer = admin.post(reverse("jobs-failed-retry", args=[row.pk]))
        assert answer.status_code == 302
        # the worker ran it again under the same task id and it failed again: the same row counts it
        row = _wait_for(lambda: FailedTask.objects.filter(pk=row.pk, attempts=2, retried_at=None).first(), 60)
        assert row is not None, (tmp_path / "worker.log").read_text()[-3000:]
    assert FailedTask.objects.count() == 1
    sent = TaskOutbox.objects.get()
    assert (sent.task_id, sent.args, sent.sent_at is not None) == (result.id, ["2026-13-45"], True)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_starts_publishes_what_the_outbox_kept(tmp_path):
    redis_client()
    queue = f"shopops-test-{uuid.uuid4().hex[:8]}"
    with broker(f"redis://127.0.0.1:{closed_port()}/0"), transaction.atomic():  # Redis is away
        row = outbox.enqueue_task("reports.sales_rollup_build", args=["2026-05-04"], queue=queue)
    row.refresh_from_db()
    assert row.sent_at is None and row.attempts == 1

    with celery_worker_running(tmp_path / "worker.log", REDIS_URL, queue=queue):
        run = _wait_for(
            lambda: JobRun.objects.filter(
                job="reports.sales_rollup_build", status=JobRun.Status.SUCCEEDED
            ).first(),
            240,  # the worker starts (Django set-up, checks) first
        )
    assert run is not None, (tmp_path / "worker.log").read_text()[-3000:]
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2
    assert "outbox drained at worker start" in (tmp_path / "worker.log").read_text()
