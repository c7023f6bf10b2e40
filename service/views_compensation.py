"""Compensation pages: the log (filters, export, pending approvals on top for supervisors, the standard
and the role limits), the grant form (suggests the standard's remedy as problem and severity change), the
supervisor's decision, and the standard's editor."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders import selectors as order_selectors
from orders.models import Order
from service.forms_compensation import (
    CompensationDecideForm,
    CompensationFilterForm,
    CompensationForm,
    CompensationStandardForm,
)
from service.models import Compensation, Ticket
from service.selectors import compensation as selectors
from service.services import compensation as services
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

ADD_PERMISSION = "service.add_compensation"
SUPERVISE_PERMISSION = "service.supervise_ticket"
PENDING_SHOWN = 50  # the oldest first; the rest through the list filtered on status=pending


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@roles.area_required(roles.SERVICE)
@roles.reading_page
def compensation_list(request):
    """The compensation log: filter by status, problem, remedy, ticket and period; export. Supervisors see
    the pending approvals first. The standard and each role's limit below."""
    form = CompensationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.compensation_list(filters)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="compensation",
            fmt=fmt,
            headers=[
                _("Created at"),
                _("Status"),
                _("Problem"),
                _("Severity"),
                _("Remedy"),
                _("Amount"),
                _("Coupon code"),
                _("Ticket"),
                _("Order"),
                _("SKU"),
                _("Customer"),
                _("Requested by"),
                _("Decided by"),
                _("Decided at"),
                _("Note"),
            ],
            rows=(
                (
                    _local(c.created_at),
                    c.get_status_display(),
                    c.get_problem_display(),
                    c.get_severity_display(),
                    c.get_remedy_display(),
                    c.amount,
                    c.coupon_code,
                    c.ticket.number if c.ticket else "",
                    f"{c.order.channel.code}:{c.order.external_id}" if c.order else "",
                    c.sku.code if c.sku else "",
                    c.customer.external_id if c.customer else "",
                    str(c.requested_by or ""),
                    str(c.decided_by or ""),
                    _local(c.decided_at),
                    c.note,
                )
                for c in rows.iterator(chunk_size=2000)
            ),
        )
    supervisor = request.user.has_perm(SUPERVISE_PERMISSION)
    return render(
        request,
        "service/compensation/compensation_list.html",
        {
            "form": form,
            "page_obj": paginate(request, rows),
            "query": querystring_without_page(request),
            "pending": list(selectors.compensation_pending()[:PENDING_SHOWN]) if supervisor else [],
            "pending_count": selectors.compensation_pending().count() if supervisor else 0,
            "supervisor": supervisor,
            "my_limit": services.compensation_user_limit(request.user),
            "rules": selectors.compensation_standard_table(),
            "limits": selectors.compensation_limits(),
            "role_labels": roles.ROLES,
            "can_add": request.user.has_perm(ADD_PERMISSION),
        },
    )


def _context_objects(request):
    """The ticket (`?ticket=<number>`) or order (`?order=<pk>`) the compensation is for."""
    source = request.POST if request.method == "POST" else request.GET
    ticket = order = None
    number = (source.get("ticket") or request.GET.get("ticket") or "").strip()
    if number:
        ticket = (
            Ticket.objects.select_related("order__channel", "sku", "customer").filter(number=number).first()
        )
        if ticket is None:
            raise Http404
        order = ticket.order
    raw = source.get("order") or request.GET.get("order")
    if raw and order is None:
        try:
            order = order_selectors.order_get(pk=int(raw))
        except (ValueError, Order.DoesNotExist):
            raise Http404 from None
    return ticket, order


@roles.permission_required(roles.SERVICE, ADD_PERMISSION)
def compensation_create(request):
    """Grant compensation for a ticket or an order: problem and severity give the standard's remedy and
    amount (shown as they are chosen); both may be overridden, with a note. Above the user's limit it
    waits for a supervisor."""
    if request.htmx and request.method == "GET" and "suggest" in request.GET:
        return render(request, "service/compensation/_suggestion.html", _suggestion(request.GET))
    ticket, order = _context_objects(request)
    skus = []
    if order is not None:
        skus = [line.sku for line in order_selectors.order_lines(order=order)]
    elif ticket is not None and ticket.sku is not None:
        skus = [ticket.sku]
    initial = {"sku": ticket.sku_id} if ticket is not None and ticket.sku_id else {}
    form = CompensationForm(request.POST or None, skus=skus, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sku = next((s for s in skus if s.pk == data["sku"]), None)
        try:
            granted = services.compensation_grant(
                problem=data["problem"],
                severity=data["severity"],
                user=request.user,
                ticket=ticket,
                order=order,
                sku=sku,
                remedy=data["remedy"],
                amount=data["amount"],
                note=data["note"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if granted.status == Compensation.Status.APPROVED:
                messages.success(
                    request,
                    _("Compensation granted: %(remedy)s %(amount)s.")
                    % {"remedy": granted.get_remedy_display(), "amount": f"{granted.amount:.2f}"},
                )
            else:
                messages.warning(
                    request,
                    _("%(amount)s is above your limit: the compensation awaits a supervisor's approval.")
                    % {"amount": f"{granted.amount:.2f}"},
                )
            if ticket is not None:
                return redirect("service:ticket-detail", number=ticket.number)
            return redirect(f"{reverse('service:compensation-list')}?status={granted.status}")
    return render(
        request,
        "service/compensation/compensation_form.html",
        {
            "form": form,
            "ticket": ticket,
            "order": order,
            "suggestion": _suggestion(form.data if form.is_bound else {}),
            "my_limit": services.compensation_user_limit(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


def _suggestion(params) -> dict:
    """The standard's remedy for the chosen problem and severity (the htmx partial's context)."""
    problem, severity = params.get("problem", ""), params.get("severity", "")
    rule = (
        services.compensation_rule_for(problem=problem, severity=severity) if problem and severity else None
    )
    return {"rule": rule, "chosen": bool(problem and severity)}


@roles.permission_required(roles.SERVICE, SUPERVISE_PERMISSION)
@require_POST
def compensation_decide(request, pk: int):
    """A supervisor approves or rejects a pending compensation (within their own limit)."""
    try:
        compensation = selectors.compensation_get(pk=pk)
    except Compensation.DoesNotExist:
        raise Http404 from None
    form = CompensationDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
    else:
        try:
            services.compensation_decide(
                compensation=compensation,
                approve=form.cleaned_data["approve"],
                user=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                (
                    _("Compensation approved.")
                    if form.cleaned_data["approve"]
                    else _("Compensation rejected.")
                ),
            )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("service:compensation-list")
    return redirect(target)


@roles.permission_required(roles.SERVICE, SUPERVISE_PERMISSION)
def compensation_standard(request):
    """Edit the standard (remedy and amount per problem and severity) and the per-role limits."""
    form = CompensationStandardForm(
        request.POST or None, rules=selectors.compensation_standard(), limits=selectors.compensation_limits()
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.compensation_standard_save(rules=form.rules(), limits=form.limits())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Compensation standard saved."))
            return redirect("service:compensation-standard")
    return render(
        request,
        "service/compensation/compensation_standard.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
