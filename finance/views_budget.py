"""Budget pages: budget vs actual for a month per cost line (with the last six months and the promotion
ROI), export of the month's table, and the month's budget form (with "copy from the previous month")."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from finance.forms_budget import BudgetForm, MonthForm
from finance.selectors import budget as selectors
from finance.services import budget as services
from shopops.common import roles
from shopops.common.dates import shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form

EDIT_PERMISSIONS = ("finance.change_budget", "finance.add_budget")
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf"]


def _can_edit(user) -> bool:
    return any(user.has_perm(permission) for permission in EDIT_PERMISSIONS)


def _month_url(name: str, month) -> str:
    return f"{reverse(name)}?month={month:%Y-%m}"


def _history_figure(history: list[selectors.BudgetMonth]) -> dict:
    """Actual spend per cost line stacked per month, with the total budget as a line."""
    x = [f"{m.month:%Y-%m}" for m in history]
    figure = go.Figure()
    for index, line in enumerate(history[-1].lines if history else []):
        figure.add_trace(
            go.Bar(
                x=x,
                y=[float(m.lines[index].actual) for m in history],
                name=line.label,
                marker_color=PALETTE[index % len(PALETTE)],
            )
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[float(m.budget_total) for m in history],
            name=_("Budget (all lines)"),
            mode="lines+markers",
            line={"color": "#d62728", "width": 3},
        )
    )
    figure.update_layout(
        barmode="stack",
        title=_("Actual spend per cost line and the total budget"),
        height=360,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return json.loads(figure.to_json())


@roles.area_required(roles.FINANCE_AREA)
def budget(request):
    """Budget vs actual of ?month=YYYY-MM (default this month) per cost line, the last six months and the
    promotion ROI; ?export=csv|xlsx downloads the month's table."""
    if request.method not in ("GET", "HEAD"):
        raise PermissionDenied  # a reading page: the budget is set on budget-edit
    form = MonthForm(request.GET or None)
    status = 200
    month = selectors.month_first(shop_today())
    if form.is_bound:
        if form.is_valid():
            month = form.cleaned_data["month"] or month
        else:
            status = 400
    current, history = selectors.budget_vs_actual(month=month)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS and status == 200:
        rows = [
            (
                f"{month:%Y-%m}",
                line.label,
                line.budget if line.budget is not None else "",
                line.actual,
                line.variance if line.variance is not None else "",
                line.variance_pct if line.variance_pct is not None else "",
                _("yes") if line.over else "",
                _("estimated") if line.estimated else "",
            )
            for line in current.lines
        ]
        rows.append(
            (
                f"{month:%Y-%m}",
                _("Total"),
                current.budget_total,
                current.actual_total,
                current.variance_total,
                current.variance_total_pct if current.variance_total_pct is not None else "",
                _("yes") if current.over_total else "",
                "",
            )
        )
        return export_response(
            filename=f"budget-{month:%Y-%m}",
            fmt=fmt,
            headers=[
                _("Month"),
                _("Cost line"),
                _("Budget"),
                _("Actual"),
                _("Variance"),
                _("Variance %"),
                _("Over budget"),
                _("Note"),
            ],
            rows=rows,
        )
    query = request.GET.copy()
    query.pop("export", None)
    query["month"] = f"{month:%Y-%m}"
    return render(
        request,
        "finance/budget/budget.html",
        {
            "form": form,
            "month": month,
            "current": current,
            "history": history,
            "history_lines": [
                {"label": line.label, "cells": [m.lines[index] for m in history]}
                for index, line in enumerate(current.lines)
            ],
            "chart": _history_figure(history),
            "previous": selectors.month_add(month, -1),
            "next": selectors.month_add(month, 1),
            "can_edit": _can_edit(request.user),
            "query": query.urlencode(),
        },
        status=status,
    )


@roles.area_required(roles.FINANCE_AREA)
def budget_edit(request):
    """The month's budget per cost line. GET: the form (read-only for those who may not edit); POST
    (finance.change_budget or finance.add_budget, else 403): save, or copy the previous month's budget
    ("copy")."""
    if request.method == "POST" and not _can_edit(request.user):
        raise PermissionDenied
    month = selectors.month_parse(
        request.GET.get("month") or request.POST.get("month")
    ) or selectors.month_first(shop_today())
    status = 200
    if request.method == "POST" and "copy" in request.POST:
        previous = selectors.month_add(month, -1)
        try:
            copied = services.budget_copy(previous, month, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if copied:
                messages.success(
                    request,
                    _("Copied %(count)d budget lines from %(month)s.")
                    % {"count": copied, "month": f"{previous:%Y-%m}"},
                )
            else:
                messages.warning(
                    request, _("%(month)s has no budget to copy.") % {"month": f"{previous:%Y-%m}"}
                )
        return redirect(_month_url("finance:budget-edit", month))
    if request.method == "POST":
        form = BudgetForm(request.POST)
        if form.is_valid():
            month = form.cleaned_data["month"]
            try:
                services.budget_set(month, form.amounts(), request.user, notes=form.notes())
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("Budget of %(month)s saved.") % {"month": f"{month:%Y-%m}"})
                return redirect(_month_url("finance:budget", month))
        status = 400
    else:
        budgets = selectors.budget_amounts(first=month).get(month, {})
        initial = {"month": f"{month:%Y-%m}"}
        for line, row in budgets.items():
            initial[line] = row.amount
            initial[f"note_{line}"] = row.note
        form = BudgetForm(initial=initial)
    can_edit = _can_edit(request.user)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "finance/budget/edit.html",
        {
            "form": form,
            "month": month,
            "previous": selectors.month_add(month, -1),
            "can_edit": can_edit,
        },
        status=status,
    )
