"""Feedback pages: the feedback stream (sentiment bar, urgency, filters, CSV/XLSX export), the CSV import
(upload → preview → apply) and the monthly complaint keyword report (trend, chart, SKUs and suppliers)."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import plotly.graph_objects as go
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import selectors as order_selectors
from service import feedback_import
from service.forms_feedback import (
    FEEDBACK_IMPORT_MAX_BYTES,
    FeedbackImportConfirmForm,
    FeedbackImportForm,
    KeywordBuildForm,
)
from service.models import Feedback
from service.selectors import feedback as selectors
from service.services.keywords import TOP_KEYWORDS, complaint_keywords_build
from shopops.common import roles
from shopops.common.dates import day_start, parse_iso_date, shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page

IMPORT_PERMISSION = "service.add_feedback"
BUILD_PERMISSION = "service.add_complaintkeyword"
PREVIEW_ROWS_SHOWN = 200
REPORT_MONTHS = 6
URGENCY_BADGES = {
    Feedback.Urgency.CRITICAL: "text-bg-danger",
    Feedback.Urgency.HIGH: "text-bg-warning",
    Feedback.Urgency.NORMAL: "text-bg-secondary",
    Feedback.Urgency.LOW: "text-bg-light border",
}
BAND_COLORS = {"negative": "bg-danger", "neutral": "bg-secondary", "positive": "bg-success"}


def _band_labels() -> dict[str, str]:
    return {"negative": _("Negative"), "neutral": _("Neutral"), "positive": _("Positive")}


# ---------------------------------------------------------------------------------------------
# The feedback stream
# ---------------------------------------------------------------------------------------------
def _decorate(items, bounds) -> None:
    """What the score bar and the badge need: the bar runs from the middle (0) to the left (-1) or the
    right (1)."""
    for item in items:
        value = float(item.sentiment)
        item.band = selectors.sentiment_band(item.sentiment, bounds)
        item.bar_color = BAND_COLORS[item.band]
        item.bar_left = round(50 + min(value, 0) * 50, 1)
        item.bar_width = round(abs(value) * 50, 1)
        item.badge = URGENCY_BADGES.get(item.urgency, "text-bg-secondary")
        item.ticket_url = (
            reverse("service:ticket-detail", args=[item.ticket.number]) if item.ticket_id else ""
        )


@roles.area_required(roles.SERVICE)
@roles.reading_page
def feedback_list(request):
    """Feedback, newest first: source, channel, urgency, sentiment band, SKU, text and date filters;
    export what the filters select."""
    params = request.GET
    source = params.get("source", "") if params.get("source", "") in Feedback.Source.values else ""
    urgency = params.get("urgency", "") if params.get("urgency", "") in Feedback.Urgency.values else ""
    band = params.get("sentiment", "") if params.get("sentiment", "") in selectors.SENTIMENT_BANDS else ""
    since = parse_iso_date(params.get("from"))
    until = parse_iso_date(params.get("to"))
    with_ticket = {"yes": True, "no": False}.get(params.get("ticket", ""))
    items = selectors.feedback_list(
        source=source,
        channel=params.get("channel", "").strip(),
        urgency=urgency,
        sentiment=band,
        sku=params.get("sku", "").strip(),
        since=day_start(since) if since else None,
        until=day_start(until + timedelta(days=1)) if until else None,
        search=params.get("q", "").strip(),
        with_ticket=with_ticket,
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return _feedback_export(items, fmt)
    page_obj = paginate(request, items)
    bounds = selectors.sentiment_bounds()
    _decorate(page_obj, bounds)
    return render(
        request,
        "service/feedback/feedback_list.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": params,
            "sources": Feedback.Source.choices,
            "urgencies": Feedback.Urgency.choices,
            "bands": list(_band_labels().items()),
            "channels": order_selectors.channel_list(),
            "counts": selectors.feedback_counts(items),
            "negative_below": bounds[0],
            "positive_from": bounds[1],
            "can_import": request.user.has_perm(IMPORT_PERMISSION),
        },
    )


def _feedback_export(items, fmt: str):
    bounds = selectors.sentiment_bounds()
    labels = _band_labels()
    return export_response(
        filename="feedback",
        fmt=fmt,
        headers=[
            _("Written at"),
            _("Source"),
            _("Channel"),
            _("External id"),
            _("SKU"),
            _("Order"),
            _("Author"),
            _("Rating"),
            _("Text"),
            _("Language"),
            _("Sentiment"),
            _("Sentiment band"),
            _("Urgency"),
            _("Keywords"),
            _("Ticket"),
        ],
        rows=(
            (
                timezone.localtime(f.occurred_at).strftime("%Y-%m-%d %H:%M"),
                f.source,
                f.channel.code if f.channel_id else "",
                f.external_id,
                f.sku.code if f.sku_id else "",
                f.order.external_id if f.order_id else "",
                f.author,
                "" if f.rating is None else f.rating,
                f.text,
                f.language,
                f.sentiment,
                labels[selectors.sentiment_band(f.sentiment, bounds)],
                f.get_urgency_display(),
                " ".join(f.keywords or []),
                f.ticket.number if f.ticket_id else "",
            )
            for f in items.iterator(chunk_size=2000)
        ),
    )


# ---------------------------------------------------------------------------------------------
# CSV import
# ---------------------------------------------------------------------------------------------
IMPORT_TEMPLATE = "service/feedback/feedback_import.html"
COLUMN_HELP = (
    (
        "source",
        True,
        gettext_lazy("review, rating, social, survey or ticket (or Chinese: 评价, 评分, 社媒, …)."),
    ),
    ("channel", False, gettext_lazy("The channel code (tmall, jd, …). Needed with an order.")),
    (
        "external_id",
        False,
        gettext_lazy("The item's id on the channel: with it, importing the same row again adds nothing."),
    ),
    ("sku", False, gettext_lazy("Our SKU code.")),
    ("order", False, gettext_lazy("The order's number on the channel.")),
    ("rating", False, gettext_lazy("Stars, 1 to 5.")),
    ("text", True, gettext_lazy("What the customer wrote, in Chinese or English.")),
    (
        "occurred_at",
        True,
        gettext_lazy("When it was written: 2026-11-20 21:14 (shop time) or ISO 8601 with an offset."),
    ),
    ("author", False, gettext_lazy("The writer's name or handle.")),
)
TEMPLATE_ROWS = (
    (
        "review",
        "tmall",
        "RV-0001",
        "SKU-0001",
        "",
        "1",
        "衣服洗了一次就起球了，质量太差，非常失望",
        "2026-11-20 21:14",
        "tb_wangfang",
    ),
    (
        "social",
        "",
        "WB-0002",
        "",
        "",
        "",
        "Love the new jacket, fits perfectly!",
        "2026-11-21T09:30:00+08:00",
        "@li",
    ),
)


def _template_csv() -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="feedback-import-template.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
    writer = csv.writer(response)
    writer.writerow(feedback_import.IMPORT_COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return response


def _import_page(request, context: dict, status: int = 200):
    context = {
        "form": FeedbackImportForm(),
        "columns": [
            (column, required, feedback_import.HEADER_ALIASES.get(column, ()), text)
            for column, required, text in COLUMN_HELP
        ],
        "max_mb": FEEDBACK_IMPORT_MAX_BYTES // (1024 * 1024),
        **context,
    }
    return render(request, IMPORT_TEMPLATE, context, status=status)


def _preview(request, *, name: str, text: str, result: feedback_import.FeedbackImportResult):
    confirm = None
    if result.ok and result.created:
        confirm = FeedbackImportConfirmForm(
            initial={"payload": FeedbackImportConfirmForm.sign(user=request.user, name=name, text=text)},
            user=request.user,
        )
    items = result.items[:PREVIEW_ROWS_SHOWN]
    return _import_page(
        request,
        {
            "name": name,
            "result": result,
            "errors": result.errors[:PREVIEW_ROWS_SHOWN],
            "errors_hidden": max(len(result.errors) - PREVIEW_ROWS_SHOWN, 0),
            "items": [(item, URGENCY_BADGES.get(item.urgency, "")) for item in items],
            "items_hidden": max(len(result.items) - PREVIEW_ROWS_SHOWN, 0),
            "urgency_labels": dict(Feedback.Urgency.choices),
            "confirm": confirm,
        },
        status=200 if result.ok else 400,
    )


@roles.permission_required(roles.SERVICE, IMPORT_PERMISSION)
def feedback_import_view(request):
    """Import reviews and mentions from a CSV file: preview (a dry run), then apply, all or nothing."""
    if request.method != "POST":
        if request.GET.get("template") == "csv":
            return _template_csv()
        return _import_page(request, {})

    if "payload" in request.POST:
        confirm = FeedbackImportConfirmForm(request.POST, user=request.user)
        if not confirm.is_valid():
            return _import_page(request, {"confirm_errors": confirm.errors["payload"]}, status=400)
        payload = confirm.cleaned_data["payload"]
        result = feedback_import.feedback_csv_import(text=payload["text"], apply=True)
        if not result.applied:  # the data changed since the preview (a SKU or an order went away)
            return _preview(request, name=payload["name"], text=payload["text"], result=result)
        messages.success(
            request,
            _(
                "Imported %(name)s. New items: %(created)s, already known: %(existing)s, "
                "tickets opened: %(tickets)s."
            )
            % {
                "name": payload["name"],
                "created": result.created,
                "existing": result.existing,
                "tickets": result.tickets,
            },
        )
        return redirect("service:feedback-list")

    form = FeedbackImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, {"form": form}, status=400)
    name = form.cleaned_data["file"].name
    result = feedback_import.feedback_csv_import(text=form.text, apply=False)
    return _preview(request, name=name, text=form.text, result=result)


# ---------------------------------------------------------------------------------------------
# Complaint keyword report
# ---------------------------------------------------------------------------------------------
def keyword_chart(report: selectors.KeywordReport) -> dict | None:
    """Mentions per month of the month's top keywords over the report's months (a gap where a keyword
    was not among that month's top keywords)."""
    rows = [row for row in report.rows if row.keyword in report.chart_keywords]
    if not rows:
        return None
    months = [m.strftime("%Y-%m") for m in report.months]
    figure = go.Figure()
    for row in rows:
        figure.add_trace(
            go.Scatter(
                x=months,
                y=row.series,
                mode="lines+markers",
                name=row.keyword,
                connectgaps=False,
                hovertemplate="%{x}: %{y}<extra>" + row.keyword + "</extra>",
            )
        )
    figure.update_layout(
        template="plotly_white",
        height=360,
        margin={"l": 40, "r": 20, "t": 20, "b": 40},
        xaxis={"type": "category"},
        yaxis={"title": _("Mentions"), "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return json.loads(figure.to_json())


def _month_param(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(f"{value}-01" if len(value) == 7 else value).replace(day=1)
    except ValueError:
        return None


@roles.area_required(roles.SERVICE)
def keyword_report(request):
    """The month's top complaint keywords (高频投诉关键词) with their trend, a chart of the top ten over six
    months, and per keyword the SKUs it was said about and their suppliers. A POST rebuilds a month."""
    roles.post_requires(request, BUILD_PERMISSION)
    if request.method == "POST":
        form = KeywordBuildForm(request.POST)
        if form.is_valid():
            month = form.cleaned_data["month"].replace(day=1)
            count = complaint_keywords_build(month=month)
            messages.success(
                request,
                _("Complaint keywords of %(month)s rebuilt: %(count)s keywords.")
                % {"month": month.strftime("%Y-%m"), "count": count},
            )
            return redirect(
                f"{reverse('service:keyword-report')}?{urlencode({'month': month.strftime('%Y-%m')})}"
            )
        messages.error(request, _("Choose a month."))
    month = _month_param(request.GET.get("month"))
    report = selectors.complaint_keyword_report(months=REPORT_MONTHS, month=month)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return _keywords_export(report, fmt)
    previous_month = (report.month - timedelta(days=1)).replace(day=1)
    month_end = (report.month + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    return render(
        request,
        "service/feedback/keyword_report.html",
        {
            "report": report,
            "page_obj": paginate(request, report.rows, per_page=TOP_KEYWORDS),
            "query": querystring_without_page(request),
            "month_value": report.month.strftime("%Y-%m"),
            "previous_month": previous_month,
            "month_end": month_end,
            "months_built": selectors.keyword_months()[:24],
            "chart": keyword_chart(report),
            "can_build": request.user.has_perm(BUILD_PERMISSION),
            "this_month": shop_today().strftime("%Y-%m"),
        },
    )


def _keywords_export(report: selectors.KeywordReport, fmt: str):
    trends = {"up": _("up"), "down": _("down"), "same": _("same"), "new": _("new")}
    return export_response(
        filename=f"complaint-keywords-{report.month:%Y-%m}",
        fmt=fmt,
        headers=[
            _("Month"),
            _("Rank"),
            _("Keyword"),
            _("Weight"),
            _("Mentions"),
            _("Last month"),
            _("Trend"),
            _("SKUs"),
            _("Suppliers"),
        ],
        rows=(
            (
                report.month.strftime("%Y-%m"),
                row.rank,
                row.keyword,
                row.weight,
                row.mentions,
                "" if row.previous is None else row.previous,
                trends[row.trend],
                " ".join(f"{sku.code}({sku.mentions})" for sku in row.skus),
                " ".join(sorted({s.code for sku in row.skus for s in sku.suppliers})),
            )
            for row in report.rows
        ),
    )
