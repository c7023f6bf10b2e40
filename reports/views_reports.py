"""Pages of the report archive: the weekly manager reports and the daily operations digests (list, the
archived page, PDF and XLSX downloads, generate on demand) and my report subscriptions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from reports import rendering, report_content, services_reports
from reports import selectors_reports as selectors
from reports.models import ManagerReport, ReportKind
from shopops.common import roles
from shopops.common.dates import parse_iso_date, shop_today, shop_yesterday
from shopops.common.pagination import paginate

CHANGE_REPORT = "reports.change_managerreport"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class GenerateForm(forms.Form):
    period = forms.DateField(label=gettext_lazy("Period"), widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.BooleanField(label=gettext_lazy("Email the subscribers"), required=False)


KINDS = {
    ReportKind.WEEKLY: {
        "list": "reports:weekly-list",
        "detail": "reports:weekly-detail",
        "pdf": "reports:weekly-pdf",
        "xlsx": "reports:weekly-xlsx",
        "generate": "reports:weekly-generate",
        "title": gettext_lazy("Weekly manager reports"),
        "period_label": gettext_lazy("Week (any day of it)"),
    },
    ReportKind.DAILY: {
        "list": "reports:daily-list",
        "detail": "reports:daily-detail",
        "pdf": "reports:daily-pdf",
        "xlsx": "reports:daily-xlsx",
        "generate": "reports:daily-generate",
        "title": gettext_lazy("Daily operations digests"),
        "period_label": gettext_lazy("Day"),
    },
}


def _default_period(kind: str):
    today = shop_today()
    return report_content.previous_week_start(today) if kind == ReportKind.WEEKLY else shop_yesterday()


def _report_list(request, kind: str):
    page_obj = paginate(request, selectors.report_list(kind=kind))
    return render(
        request,
        "reports/weekly/list.html",
        {
            "kind": kind,
            "urls": KINDS[kind],
            "page_obj": page_obj,
            "can_generate": request.user.has_perm(CHANGE_REPORT),
            "form": GenerateForm(initial={"period": _default_period(kind)}),
            "period_label": KINDS[kind]["period_label"],
        },
    )


def _report_or_404(kind: str, period: str) -> ManagerReport:
    day = parse_iso_date(period)
    report = selectors.report_get(kind=kind, period_start=day) if day else None
    if report is None:
        raise Http404
    return report


def _report_detail(request, kind: str, period: str):
    report = _report_or_404(kind, period)
    context = rendering.report_context(report)
    context.update(
        {
            "urls": KINDS[kind],
            "figures": rendering.plotly_figures(report),
            "can_generate": request.user.has_perm(CHANGE_REPORT),
            "form": GenerateForm(initial={"period": report.period_start}),
        }
    )
    return render(request, "reports/weekly/detail.html", context)


def _report_pdf(kind: str, period: str) -> HttpResponse:
    report = _report_or_404(kind, period)
    response = HttpResponse(rendering.report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{rendering.report_filename(report)}.pdf"'
    return response


def _report_xlsx(kind: str, period: str) -> HttpResponse:
    report = _report_or_404(kind, period)
    response = HttpResponse(rendering.report_xlsx(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{rendering.report_filename(report)}.xlsx"'
    return response


def _report_generate(request, kind: str):
    """Generate (or regenerate: a new generation) the report of the posted period; email the subscribers
    only when asked (then even if it was emailed before)."""
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid date."))
        return redirect(KINDS[kind]["list"])
    day = form.cleaned_data["period"]
    email = form.cleaned_data["email"]
    try:
        if kind == ReportKind.WEEKLY:
            day = report_content.week_start_of(day)
            report = services_reports.weekly_report_generate(
                week_start=day, force=True, email=email, resend=email
            )
        else:
            report = services_reports.daily_digest_generate(day=day, force=True, email=email, resend=email)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(KINDS[kind]["list"])
    done = _("Report generated (generation %(n)s).") % {"n": report.generations}
    if email:
        done += " " + _("Emailed to %(n)s subscribers.") % {"n": report.recipients}
    messages.success(request, done)
    return redirect(KINDS[kind]["detail"], report.period_start.isoformat())


@roles.area_required(roles.REPORTS)
@roles.reading_page
def weekly_list(request):
    return _report_list(request, ReportKind.WEEKLY)


@roles.area_required(roles.REPORTS)
@roles.reading_page
def weekly_detail(request, week: str):
    return _report_detail(request, ReportKind.WEEKLY, week)


@roles.area_required(roles.REPORTS)
@roles.reading_page
def weekly_pdf(request, week: str):
    return _report_pdf(ReportKind.WEEKLY, week)


@roles.area_required(roles.REPORTS)
@roles.reading_page
def weekly_xlsx(request, week: str):
    return _report_xlsx(ReportKind.WEEKLY, week)


@roles.permission_required(roles.REPORTS, CHANGE_REPORT)
@require_POST
def weekly_generate(request):
    return _report_generate(request, ReportKind.WEEKLY)


@roles.area_required(roles.REPORTS)
@roles.reading_page
def daily_list(request):
    return _report_list(request, ReportKind.DAILY)


@roles.area_required(roles.REPORTS)
@roles.reading_page
def daily_detail(request, day: str):
    return _report_detail(request, ReportKind.DAILY, day)


@roles.area_required(roles.REPORTS)
@roles.reading_page
def daily_pdf(request, day: str):
    return _report_pdf(ReportKind.DAILY, day)


@roles.area_required(roles.REPORTS)
@roles.reading_page
def daily_xlsx(request, day: str):
    return _report_xlsx(ReportKind.DAILY, day)


@roles.permission_required(roles.REPORTS, CHANGE_REPORT)
@require_POST
def daily_generate(request):
    return _report_generate(request, ReportKind.DAILY)


@roles.area_required(roles.REPORTS)
def subscriptions(request):
    """My report subscriptions; a POST (kind, subscribed=1|0) changes one of mine."""
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        try:
            subscribed = services_reports.subscription_set(
                user=request.user, kind=kind, subscribed=request.POST.get("subscribed") == "1"
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            label = ReportKind(kind).label
            messages.success(
                request,
                (
                    _("You now receive the %(report)s by email.")
                    if subscribed
                    else _("You no longer receive the %(report)s.")
                )
                % {"report": label},
            )
        return redirect("reports:subscriptions")
    return render(
        request,
        "reports/weekly/subscriptions.html",
        {"rows": selectors.subscription_rows(user=request.user), "email": request.user.email},
    )
