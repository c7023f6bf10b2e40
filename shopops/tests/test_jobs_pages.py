"""The failed-jobs page: admin and manager read it (filters, pages), only admin sends a task again (POST),
through the task outbox with the task's own id and arguments."""

import pytest
from django.urls import reverse

from shopops.common.failed_tasks import failed_task_record, on_task_failure
from shopops.common.models import FailedTask, TaskOutbox

pytestmark = pytest.mark.django_db


def _fail(name="reports.sales_rollup_build", task_id="t-1", exc=None, args=("2026-05-04",)):
    return failed_task_record(
        task_name=name,
        task_id=task_id,
        args=list(args),
        kwargs={},
        exception=exc or ValueError("bad date"),
        traceback_text="Traceback…",
        queue="celery",
    )


def test_a_second_failure_of_the_same_task_id_counts_on_its_row():
    first = _fail()
    again = _fail(exc=KeyError("sku"))
    assert first.pk == again.pk
    assert (again.attempts, again.exception_type, again.first_failed_at) == (
        2,
        "KeyError",
        first.first_failed_at,
    )
    assert again.last_failed_at >= first.last_failed_at


def test_the_signal_receiver_records_worker_failures_and_ignores_eager_runs():
    class Request:
        is_eager = False
        retries = 5  # a transient error that outlasted its retries: six attempts
        delivery_info = {"routing_key": "nightly"}

    class Task:
        name = "finance.cashflow_forecast_build"
        request = Request()

    on_task_failure(sender=Task(), task_id="abc", exception=OSError("gone"), args=["2026-05-04"], kwargs={})
    row = FailedTask.objects.get(task_id="abc")
    assert (row.attempts, row.queue, row.exception_type) == (6, "nightly", "OSError")
    Request.is_eager = True
    on_task_failure(sender=Task(), task_id="eager", exception=OSError("x"), args=[], kwargs={})
    assert not FailedTask.objects.filter(task_id="eager").exists()


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_admin_and_manager_read_the_list(client_for, role):
    _fail()
    answer = client_for(role).get(reverse("jobs-failed"))
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "reports.sales_rollup_build" in body and "bad date" in body
    assert ('data-testid="retry"' in body) is (role == "admin")


@pytest.mark.parametrize("role", ["operations", "finance", "service_agent", "marketing", "inventory_planner"])
def test_other_roles_may_not(client_for, role):
    c = client_for(role)
    assert c.get(reverse("jobs-failed")).status_code == 403
    row = _fail()
    assert c.post(reverse("jobs-failed-retry", args=[row.pk])).status_code == 403


def test_filters_and_pages(client_for):
    for i in range(55):
        _fail(task_id=f"rollup-{i}")
    _fail(name="finance.alerts_evaluate", task_id="alerts-1", exc=KeyError("metric"))
    c = client_for("manager")
    page = c.get(reverse("jobs-failed"), {"task": "finance.alerts_evaluate"})
    assert [r.task_id for r in page.context["page_obj"]] == ["alerts-1"]
    page = c.get(reverse("jobs-failed"), {"q": "KeyError"})
    assert [r.task_id for r in page.context["page_obj"]] == ["alerts-1"]
    page = c.get(reverse("jobs-failed"))
    assert page.context["page_obj"].paginator.count == 56 and len(page.context["page_obj"]) == 50
    assert len(c.get(reverse("jobs-failed"), {"page": 2}).context["page_obj"]) == 6
    FailedTask.objects.filter(task_id="alerts-1").update(retried_at="2026-05-04T00:00Z")
    assert c.get(reverse("jobs-failed"), {"status": "retried"}).context["page_obj"].paginator.count == 1
    assert c.get(reverse("jobs-failed"), {"status": "all"}).context["page_obj"].paginator.count == 56


def test_admin_retry_sends_the_task_again_once_through_the_outbox(client_for, make_user):
    row = _fail()
    admin = client_for("admin")
    assert admin.get(reverse("jobs-failed-retry", args=[row.pk])).status_code == 405
    answer = admin.post(reverse("jobs-failed-retry", args=[row.pk]), {"query": "status=all"})
    assert answer.status_code == 302 and answer.url == reverse("jobs-failed") + "?status=all"
    row.refresh_from_db()
    assert row.retried_at is not None and row.retried_by.username == "user-admin"
    queued = TaskOutbox.objects.get()
    assert (queued.task_name, queued.task_id, queued.args, queued.queue) == (
        "reports.sales_rollup_build",
        "t-1",
        ["2026-05-04"],
        "celery",
    )
    admin.post(reverse("jobs-failed-retry", args=[row.pk]))  # a double click sends nothing more
    assert TaskOutbox.objects.count() == 1
    assert admin.post(reverse("jobs-failed-retry", args=[9999])).status_code == 404


def test_the_navigation_shows_failed_jobs_to_admin_and_manager_only(client_for):
    assert reverse("jobs-failed") in client_for("manager").get(reverse("notifications")).content.decode()
    assert reverse("jobs-failed") not in client_for("finance").get(reverse("notifications")).content.decode()
