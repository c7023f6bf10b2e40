from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shopops.common.notifications import notification_list, notification_mark_read
from shopops.common.pagination import paginate, querystring_without_page


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness and database reachability for load balancers and docker-compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@require_http_methods(["GET", "POST"])
def notifications(request):
    """The signed-in user's notifications (SLA warnings, escalations, alerts), newest first; POST marks
    them read (all, or the one in `id`)."""
    if request.method == "POST":
        ids = [int(request.POST["id"])] if request.POST.get("id", "").isdigit() else None
        notification_mark_read(user=request.user, ids=ids)
        return redirect("notifications")
    unread_only = request.GET.get("unread") == "1"
    return render(
        request,
        "shopops/notifications.html",
        {
            "page_obj": paginate(request, notification_list(user=request.user, unread_only=unread_only)),
            "query": querystring_without_page(request),
            "unread_only": unread_only,
        },
    )
