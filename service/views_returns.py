"""Return pages: the list (filters, refund-time KPI against the 2-day target, CSV/XLSX export), the request
form opened from an order, and a request's page with its actions (approve, reject, receive, inspect, refund,
cancel), each a small form posting to `return-action`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders import selectors as order_selectors
from orders.models import Order
from service.forms_returns import (
    OrderLookupForm,
    ReturnCreateForm,
    ReturnFilterForm,
    ReturnInspectForm,
    ReturnReceiveForm,
    ReturnRefundForm,
    ReturnRejectForm,
)
from service.models import ReturnRequest
from service.selectors import returns as selectors
from service.services import returns as services
from shopops.common import roles
from shopops.common.dates import shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

ADD_PERMISSION = "service.add_returnrequest"
CHANGE_PERMISSION = "service.change_returnrequest"
KPI_DAYS = 30
S = ReturnRequest.Status


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@roles.area_required(roles.SERVICE)
@roles.reading_page
def return_list(request):
    """Return requests: filter by status, reason, channel, number and period; export what the filters
    select. The refund-time KPI of the last 30 days against the target, and requests by reason."""
    form = ReturnFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.return_list(filters)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="returns",
            fmt=fmt,
            headers=[
                _("Number"),
                _("Requested at"),
                _("Channel"),
                _("Order"),
                _("Customer"),
                _("Reason"),
                _("Status"),
                _("Units"),
                _("Received at"),
                _("Refund amount"),
                _("Refund method"),
                _("Refunded at"),
            ],
            rows=(
                (
                    r.number,
                    _local(r.requested_at),
                    r.order.channel.code,
                    r.order.external_id,
                    r.customer.external_id if r.customer else "",
                    r.get_reason_display(),
                    r.get_status_display(),
                    r.units or 0,
                    _local(r.received_at),
                    "" if r.refund_amount is None else r.refund_amount,
                    r.get_refund_method_display() if r.refund_method else "",
                    _local(r.refunded_at),
                )
                for r in rows.iterator(chunk_size=2000)
            ),
        )
    end = shop_today() + timedelta(days=1)
    start = end - timedelta(days=KPI_DAYS)
    return render(
        request,
        "service/returns/return_list.html",
        {
            "form": form,
            "page_obj": paginate(request, rows),
            "query": querystring_without_page(request),
            "kpi": selectors.refund_time_kpi(start=start, end=end),
            "by_reason": selectors.returns_by_reason(start=start, end=end),
            "kpi_days": KPI_DAYS,
            "channels": order_selectors.channel_list(),
            "can_add": request.user.has_perm(ADD_PERMISSION),
        },
    )


def _order_from(request) -> Order | None:
    try:
        pk = int(request.GET.get("order", "") or 0)
    except ValueError:
        return None
    if not pk:
        return None
    try:
        return order_selectors.order_get(pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None


@roles.permission_required(roles.SERVICE, ADD_PERMISSION)
def return_create(request):
    """Request a return of an order (`?order=<pk>`): its lines with the units still returnable, the
    no-reason deadline and the SKUs exempt from it. Without an order, find it by channel and number."""
    order = _order_from(request)
    if order is None:
        lookup = OrderLookupForm(request.GET if "external_id" in request.GET else None)
        if lookup.is_valid():
            found = (
                order_selectors.order_list(
                    channel=lookup.cleaned_data["channel"], search=lookup.cleaned_data["external_id"]
                )
                .filter(external_id=lookup.cleaned_data["external_id"])
                .first()
            )
            if found is not None:
                return redirect(f"{reverse('service:return-create')}?order={found.pk}")
            lookup.add_error(None, _("No such order on this channel."))
        return render(
            request,
            "service/returns/return_lookup.html",
            {"lookup": lookup, "channels": order_selectors.channel_list()},
        )
    eligibility = services.return_eligibility(order=order)
    form = ReturnCreateForm(request.POST or None, lines=eligibility.lines)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.return_request_create(
                order=order,
                lines=form.lines(),
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                source=ReturnRequest.Source.PAGE,
                user=request.user,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Return %(number)s requested.") % {"number": created.number})
            return redirect("service:return-detail", number=created.number)
    return render(
        request,
        "service/returns/return_form.html",
        {
            "order": order,
            "eligibility": eligibility,
            "form": form,
            "rows": [(line, form[name]) for line, name in form.line_fields],
            "previous": selectors.return_list().filter(order=order),
        },
        status=400 if request.method == "POST" else 200,
    )


def _get(number: str) -> ReturnRequest:
    try:
        return selectors.return_get(number)
    except ReturnRequest.DoesNotExist:
        raise Http404 from None


@roles.area_required(roles.SERVICE)
@roles.reading_page
def return_detail(request, number: str):
    """One request: its lines, the order's eligibility, the refund clock, and the next actions."""
    found = _get(number)
    lines = list(selectors.return_lines(request=found))
    can_change = request.user.has_perm(CHANGE_PERMISSION)
    default_refund = services.return_default_refund(request=found)
    refund_hours = None
    if found.refunded_at:
        seconds = (found.refunded_at - selectors.refund_clock_start(found)).total_seconds()
        refund_hours = round(seconds / 3600, 1)
    inspectable = (
        found.received_at is not None
        and found.inspected_at is None
        and found.status in (S.RECEIVED, S.REFUNDED)
    )
    return render(
        request,
        "service/returns/return_detail.html",
        {
            "ret": found,
            "lines": lines,
            "eligibility": services.return_eligibility(order=found.order),
            "can_change": can_change,
            "actions": {
                "approve": found.status == S.REQUESTED,
                "reject": found.status in (S.REQUESTED, S.APPROVED),
                "cancel": found.status in (S.REQUESTED, S.APPROVED),
                "receive": found.status == S.APPROVED,
                "inspect": inspectable,
                "refund": found.status in services.REFUNDABLE_STATUSES and found.refunded_at is None,
            },
            "reject_form": ReturnRejectForm(),
            "receive_form": ReturnReceiveForm(),
            "refund_form": ReturnRefundForm(initial={"amount": default_refund, "method": "original"}),
            "inspect_form": ReturnInspectForm(lines=lines),
            "default_refund": default_refund,
            "refundable_left": services.return_refundable_left(order=found.order),
            "refund_hours": refund_hours,
        },
    )


ACTIONS = ("approve", "reject", "receive", "inspect", "refund", "cancel")


@roles.permission_required(roles.SERVICE, CHANGE_PERMISSION)
@require_POST
def return_action(request, number: str, action: str):
    """One step of the request; a refusal is shown on the request's page."""
    if action not in ACTIONS:
        raise Http404
    if request.method != "POST":  # pragma: no cover - require_POST answers first
        return HttpResponseNotAllowed(["POST"])
    found = _get(number)
    user = request.user
    try:
        if action == "approve":
            services.return_approve(request=found, user=user)
            done = _("Return %(number)s approved.")
        elif action == "cancel":
            services.return_cancel(request=found, user=user)
            done = _("Return %(number)s cancelled.")
        elif action == "reject":
            form = ReturnRejectForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"reason": _("Say why the return is rejected.")})
            services.return_reject(request=found, reason=form.cleaned_data["reason"], user=user)
            done = _("Return %(number)s rejected.")
        elif action == "receive":
            form = ReturnReceiveForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"warehouse": _("Choose the warehouse that received the goods.")})
            services.return_receive(request=found, warehouse=form.cleaned_data["warehouse"], user=user)
            done = _("Return %(number)s received; the order is marked returned.")
        elif action == "inspect":
            form = ReturnInspectForm(request.POST, lines=list(selectors.return_lines(request=found)))
            if not form.is_valid():
                raise ValidationError({"results": _("Enter whole numbers of units for every line.")})
            services.return_inspect(request=found, results=form.results(), user=user)
            done = _("Return %(number)s inspected.")
        else:
            form = ReturnRefundForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"amount": _("Enter an amount and a method.")})
            services.return_refund(
                request=found,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                user=user,
            )
            done = _("Return %(number)s refunded; the order is marked refunded.")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done % {"number": found.number})
    return redirect("service:return-detail", number=found.number)
