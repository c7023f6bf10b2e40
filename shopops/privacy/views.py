"""Personal-data request pages (admin only): the list of requests, one customer's page with the export
download and the erasure form (a confirm step: the customer's external id typed again), and the erasure
itself (POST only)."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders import selectors as order_selectors
from orders.models import Customer
from shopops.common import roles
from shopops.common.pagination import paginate, querystring_without_page
from shopops.privacy import services


def admin_required(view):
    """Admins only (every method), else 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if roles.ADMIN not in roles.user_roles(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _customer(pk: int) -> Customer:
    try:
        return order_selectors.customer_get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
@admin_required
def request_list(request):
    page_obj = paginate(request, services.request_list())
    return render(
        request,
        "privacy/request_list.html",
        {"page_obj": page_obj, "query": querystring_without_page(request)},
    )


@admin_required
def customer(request, pk: int, *, error: str = "", status: int = 200):
    if request.method != "GET" and not error:
        return HttpResponse(status=405, headers={"Allow": "GET"})
    found = _customer(pk)
    return render(
        request,
        "privacy/customer.html",
        {
            "customer": found,
            "requests": services.customer_requests(customer_id=found.pk)[:50],
            "error": error,
        },
        status=status,
    )


@require_GET
@admin_required
def customer_export(request, pk: int):
    found = _customer(pk)
    content, filename, _request = services.customer_export(customer_id=found.pk, user=request.user)
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@admin_required
def customer_erase(request, pk: int):
    found = _customer(pk)
    if request.POST.get("confirm", "").strip() != found.external_id:
        return customer(
            request,
            pk,
            error=_("Type the customer's external id exactly to confirm the erasure."),
            status=400,
        )
    services.customer_erase(customer_id=found.pk, user=request.user)
    messages.success(
        request,
        _("Customer %(customer)s erased: personal data removed, orders and their figures kept.")
        % {"customer": f"{found.channel.code}:{found.external_id}"},
    )
    return redirect("privacy:customer", pk=found.pk)
