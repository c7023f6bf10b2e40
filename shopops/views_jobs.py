"""Background jobs pages: the failed-jobs table (admin and manager read it, admin sends a task again)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shopops.common import roles
from shopops.common.failed_tasks import failed_task_list, failed_task_names, failed_task_retry
from shopops.common.models import FailedTask
from shopops.common.outbox import outbox_pending_count
from shopops.common.pagination import paginate, querystring_without_page

STATUSES = ("open", "retried")


@require_GET
@roles.area_required(roles.JOBS)
def failed_list(request):
    """Tasks that failed for good on a worker, newest failure first; filters: task, status, search."""
    task_name = request.GET.get("task", "").strip()
    status = request.GET.get("status", "open")
    status = status if status in (*STATUSES, "all") else "open"
    search = request.GET.get("q", "").strip()[:200]
    rows = failed_task_list(task_name=task_name, status="" if status == "all" else status, search=search)
    return render(
        request,
        "jobs/failed_list.html",
        {
            "page_obj": paginate(request, rows),
            "query": querystring_without_page(request),
            "task_names": failed_task_names(),
            "task_name": task_name,
            "status": status,
            "search": search,
            "can_retry": roles.ADMIN in roles.user_roles(request.user),
            "outbox_pending": outbox_pending_count(),
        },
    )


@require_POST
@roles.area_required(roles.JOBS)
def failed_retry(request, pk: int):
    """Send a failed task again (admin): same task, arguments and task id, through the outbox."""
    if roles.ADMIN not in roles.user_roles(request.user):
        raise PermissionDenied
    row = get_object_or_404(FailedTask, pk=pk)
    if row.retried_at is not None:
        messages.info(request, _("%(task)s was already sent again.") % {"task": row.task_name})
    else:
        failed_task_retry(failed_task_id=row.pk, user=request.user)
        messages.success(request, _("%(task)s was sent again.") % {"task": row.task_name})
    query = request.POST.get("query", "")
    return redirect(reverse("jobs-failed") + (f"?{query}" if query else ""))
