"""SLA pages: the policies with the service settings (supervisors edit them), and the escalations of
breached major complaints with the written report a manager files to close them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from service.forms_sla import EscalationReportForm, ServiceSettingsForm, SLAPolicyForm
from service.models import ServiceSettings
from service.selectors import sla as selectors
from service.services import sla as services
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

SUPERVISE = "service.supervise_ticket"


# ---------------------------------------------------------------------------------------------
# Policies and settings
# ---------------------------------------------------------------------------------------------
@roles.area_required(roles.SERVICE)
@roles.reading_page
def sla_policy_list(request):
    """The SLA policies (which one applies: channel, then type, then priority; blank matches anything),
    the service settings and, for a supervisor, links to edit them; export the policies."""
    policies = selectors.sla_policy_list()
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="sla-policies",
            fmt=fmt,
            headers=[
                _("Name"),
                _("Metric"),
                _("Channel"),
                _("Ticket type"),
                _("Priority"),
                _("Target (minutes)"),
                _("Clock"),
                _("Active"),
            ],
            rows=(
                (
                    p.name,
                    p.get_metric_display(),
                    p.get_channel_display() if p.channel else _("Any"),
                    p.get_type_display() if p.type else _("Any"),
                    p.get_priority_display() if p.priority else _("Any"),
                    p.target_minutes,
                    p.get_calendar_display(),
                    _("yes") if p.active else _("no"),
                )
                for p in policies
            ),
        )
    return render(
        request,
        "service/sla/policy_list.html",
        {
            "page_obj": paginate(request, policies),
            "query": querystring_without_page(request),
            "conf": ServiceSettings.load(),
            "can_supervise": request.user.has_perm(SUPERVISE),
        },
    )


def _policy_values(form) -> dict:
    return {field: form.cleaned_data[field] for field in services.POLICY_FIELDS}


@roles.permission_required(roles.SERVICE, SUPERVISE)
def sla_policy_create(request):
    form = SLAPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.sla_policy_create(**_policy_values(form))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("SLA policy “%(name)s” created.") % {"name": policy.name})
            return redirect("service:sla-policy-list")
    status = 400 if request.method == "POST" else 200
    return render(request, "service/sla/policy_form.html", {"form": form, "policy": None}, status=status)


@roles.permission_required(roles.SERVICE, SUPERVISE)
def sla_policy_edit(request, pk: int):
    policy = selectors.sla_policy_get(pk=pk)
    if policy is None:
        raise Http404
    form = SLAPolicyForm.from_policy(policy, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.sla_policy_update(policy=policy, **_policy_values(form))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("SLA policy “%(name)s” saved.") % {"name": policy.name})
            return redirect("service:sla-policy-list")
    status = 400 if request.method == "POST" else 200
    return render(request, "service/sla/policy_form.html", {"form": form, "policy": policy}, status=status)


@roles.permission_required(roles.SERVICE, SUPERVISE)
def sla_settings(request):
    """Business hours, the warning ratio and the other numbers of the service area."""
    form = ServiceSettingsForm.from_settings(ServiceSettings.load(), request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_settings_update(**form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Service settings saved."))
            return redirect("service:sla-policy-list")
    status = 400 if request.method == "POST" else 200
    return render(request, "service/sla/settings_form.html", {"form": form}, status=status)


# ---------------------------------------------------------------------------------------------
# Escalations
# ---------------------------------------------------------------------------------------------
@roles.area_required(roles.SERVICE)
@roles.reading_page
def escalation_list(request):
    """Escalated major complaints: those waiting for their written report (default) or those filed."""
    show = request.GET.get("show", "pending")
    if show not in ("pending", "filed"):
        show = "pending"
    rows = selectors.escalations_pending() if show == "pending" else selectors.escalations_filed()
    return render(
        request,
        "service/sla/escalation_list.html",
        {
            "page_obj": paginate(request, rows),
            "query": querystring_without_page(request),
            "show": show,
            "pending_count": selectors.escalations_pending().count(),
            "can_supervise": request.user.has_perm(SUPERVISE),
            "now": timezone.now(),
        },
    )


@roles.area_required(roles.SERVICE)
def escalation_report(request, number: str):
    """The written report of an escalated ticket: every service role reads it; a supervisor files it."""
    roles.post_requires(request, SUPERVISE)
    escalation = selectors.escalation_get(number=number)
    if escalation is None:
        raise Http404
    form = EscalationReportForm(
        request.POST or None,
        initial={
            "cause": escalation.cause,
            "actions": escalation.actions,
            "prevention": escalation.prevention,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.escalation_report_file(escalation=escalation, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Report on %(number)s filed: the ticket can now be closed.") % {"number": number},
            )
            return redirect(reverse("service:escalation-list") + "?show=filed")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "service/sla/escalation_report.html",
        {
            "form": form,
            "escalation": escalation,
            "ticket": escalation.ticket,
            "clocks": selectors.ticket_clocks(ticket=escalation.ticket),
            "can_supervise": request.user.has_perm(SUPERVISE),
        },
        status=status,
    )
