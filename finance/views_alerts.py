"""Alert pages: the live counts and the history, one alert with its playbook action items (acknowledge,
resolve, tick off), the thresholds and the playbook, and the finance settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from finance.forms_alerts import (
    AcknowledgeForm,
    ActionDoneForm,
    FinanceSettingsForm,
    PlaybookStepForm,
    ResolveForm,
    ThresholdsForm,
)
from finance.models import Alert, FinanceSettings, Level, Metric
from finance.selectors import alerts as selectors
from finance.services import alerts as services
from finance.services.alerts import format_value
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

CHANGE_ALERT = "finance.change_alert"
CHANGE_THRESHOLD = "finance.change_alertthreshold"
CHANGE_PLAYBOOK = "finance.change_playbookstep"
CHANGE_SETTINGS = "finance.change_financesettings"

BADGE = {Level.WATCH: "info", Level.WARNING: "warning", Level.CRITICAL: "danger"}


def _decorate(alert: Alert) -> Alert:
    alert.badge = BADGE.get(alert.level, "secondary")
    alert.value_text = format_value(alert.metric, alert.value)
    alert.threshold_text = format_value(alert.metric, alert.threshold)
    return alert


def _actions(alert: Alert) -> list:
    """The alert's action items, each with its owner role's name in the user's language."""
    actions = list(selectors.alert_actions(alert=alert))
    for action in actions:
        action.owner_label = roles.ROLES.get(action.owner_role, action.owner_role)
    return actions


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def alert_list(request):
    """Live alerts counted by level, then the history with filters; export what the filters show."""
    filters = {key: request.GET.get(key, "") for key in ("status", "level", "metric", "scenario", "live")}
    alerts = selectors.alert_list(**filters)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="finance-alerts",
            fmt=fmt,
            headers=[
                _("Raised at"),
                _("Level"),
                _("Metric"),
                _("Scenario"),
                _("Value"),
                _("Threshold"),
                _("Week it happens"),
                _("Status"),
                _("Recovered at"),
                _("Detail"),
                _("Resolution note"),
            ],
            rows=(
                (
                    a.raised_at,
                    a.get_level_display(),
                    a.get_metric_display(),
                    str(a.scenario.label),
                    a.value,
                    a.threshold,
                    a.week_start,
                    a.get_status_display(),
                    a.cleared_at,
                    a.detail,
                    a.resolution_note,
                )
                for a in alerts.iterator()
            ),
        )
    page_obj = paginate(request, alerts)
    for alert in page_obj:
        _decorate(alert)
    counts = selectors.alert_live_counts()
    return render(
        request,
        "finance/alerts/alert_list.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": filters,
            "counts": [(level, label, counts[level], BADGE[level]) for level, label in Level.choices],
            "levels": Level.choices,
            "metrics": Metric.choices,
            "statuses": Alert.Status.choices,
            "scenarios": selectors.scenario_choices(),
        },
    )


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def alert_detail(request, pk: int):
    alert = selectors.alert_get(pk=pk)
    if alert is None:
        raise Http404
    return render(
        request,
        "finance/alerts/alert_detail.html",
        {
            "alert": _decorate(alert),
            "actions": _actions(alert),
            "acknowledge_form": AcknowledgeForm(),
            "resolve_form": ResolveForm(),
            "done_form": ActionDoneForm(),
            "can_change": request.user.has_perm(CHANGE_ALERT),
        },
    )


def _alert_or_404(pk: int) -> Alert:
    alert = selectors.alert_get(pk=pk)
    if alert is None:
        raise Http404
    return alert


def _alert_form_response(request, alert, *, acknowledge_form=None, resolve_form=None):
    return render(
        request,
        "finance/alerts/alert_detail.html",
        {
            "alert": _decorate(alert),
            "actions": _actions(alert),
            "acknowledge_form": acknowledge_form or AcknowledgeForm(),
            "resolve_form": resolve_form or ResolveForm(),
            "done_form": ActionDoneForm(),
            "can_change": True,
        },
        status=400,
    )


def _alert_step(request, pk: int, *, form_class, service, done: str, form_name: str):
    """Acknowledge or resolve an alert with the posted note; on an error the alert page with the form."""
    alert = _alert_or_404(pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(alert=alert, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, done)
            return redirect("finance:alert-detail", pk=alert.pk)
    return _alert_form_response(request, alert, **{form_name: form})


@roles.permission_required(roles.FINANCE_AREA, CHANGE_ALERT)
@require_POST
def alert_acknowledge(request, pk: int):
    return _alert_step(
        request,
        pk,
        form_class=AcknowledgeForm,
        service=services.alert_acknowledge,
        done=_("Alert acknowledged."),
        form_name="acknowledge_form",
    )


@roles.permission_required(roles.FINANCE_AREA, CHANGE_ALERT)
@require_POST
def alert_resolve(request, pk: int):
    return _alert_step(
        request,
        pk,
        form_class=ResolveForm,
        service=services.alert_resolve,
        done=_("Alert resolved."),
        form_name="resolve_form",
    )


@roles.permission_required(roles.FINANCE_AREA, CHANGE_ALERT)
@require_POST
def action_done(request, pk: int):
    action = selectors.action_get(pk=pk)
    if action is None:
        raise Http404
    form = ActionDoneForm(request.POST)
    if form.is_valid():
        try:
            services.action_done(action=action, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Action marked done."))
    else:
        messages.error(request, _("The note is too long."))
    return redirect("finance:alert-detail", pk=action.alert_id)


@roles.area_required(roles.FINANCE_AREA)
def threshold_list(request):
    """Every metric x level threshold in one form, and the playbook of each level."""
    roles.post_requires(request, CHANGE_THRESHOLD)
    form = ThresholdsForm(selectors.threshold_table(), request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.thresholds_update(values=form.values())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Alert thresholds saved."))
            return redirect("finance:threshold-list")
    steps = selectors.playbook_step_list()
    for step in steps:
        step.badge = BADGE.get(step.level, "secondary")
    return render(
        request,
        "finance/alerts/threshold_list.html",
        {
            "form": form,
            "page_obj": paginate(request, steps, per_page=100),
            "query": querystring_without_page(request),
            "can_change": request.user.has_perm(CHANGE_THRESHOLD),
            "can_change_playbook": request.user.has_perm(CHANGE_PLAYBOOK),
        },
        status=400 if request.method == "POST" else 200,
    )


def _step_values(form) -> dict:
    return {f: form.cleaned_data[f] for f in PlaybookStepForm.FIELDS}


@roles.permission_required(roles.FINANCE_AREA, CHANGE_PLAYBOOK)
def playbook_step_create(request):
    form = PlaybookStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.playbook_step_create(**_step_values(form))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Playbook step added."))
            return redirect("finance:threshold-list")
    status = 400 if request.method == "POST" else 200
    return render(request, "finance/alerts/step_form.html", {"form": form, "step": None}, status=status)


@roles.permission_required(roles.FINANCE_AREA, CHANGE_PLAYBOOK)
def playbook_step_edit(request, pk: int):
    step = selectors.playbook_step_get(pk=pk)
    if step is None:
        raise Http404
    if request.method == "POST" and request.POST.get("deactivate"):
        services.playbook_step_deactivate(step=step)
        messages.success(request, _("Playbook step deactivated."))
        return redirect("finance:threshold-list")
    form = PlaybookStepForm.from_step(step, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.playbook_step_update(step=step, **_step_values(form))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Playbook step saved."))
            return redirect("finance:threshold-list")
    status = 400 if request.method == "POST" else 200
    return render(request, "finance/alerts/step_form.html", {"form": form, "step": step}, status=status)


@roles.area_required(roles.FINANCE_AREA)
def finance_settings(request):
    """The finance settings; finance staff edit them, a manager reads them. The webhook secret is never
    shown."""
    roles.post_requires(request, CHANGE_SETTINGS)
    conf = FinanceSettings.get()
    form = FinanceSettingsForm.from_settings(conf, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        secret = data.pop("webhook_secret")
        clear = data.pop("webhook_secret_clear")
        try:
            services.finance_settings_update(webhook_secret=secret, webhook_secret_clear=clear, **data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Finance settings saved."))
            return redirect("finance:settings")
    return render(
        request,
        "finance/alerts/settings_form.html",
        {
            "form": form,
            "conf": conf,
            "secret_set": bool(conf.webhook_secret),
            "can_change": request.user.has_perm(CHANGE_SETTINGS),
        },
        status=400 if request.method == "POST" else 200,
    )
