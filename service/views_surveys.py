"""The satisfaction page: CSAT and NPS over a period by channel, category and month against the NPS
bands, the surveys' response rates, the latest comments, and the answers as CSV/XLSX."""

from datetime import timedelta

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from service.models import Survey
from service.selectors import satisfaction as selectors
from service.views import nps_month_figure
from shopops.common import roles
from shopops.common.dates import parse_iso_date, shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366


def _period(params) -> tuple:
    """The period the filters ask for, both days included (default: the last 90 days)."""
    today = shop_today()
    end = parse_iso_date(params.get("end")) or today
    start = parse_iso_date(params.get("start")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    return start, end


@roles.area_required(roles.SERVICE)
@roles.reading_page
def satisfaction(request):
    """CSAT and NPS of the answers in the period; ?kind= filters the comments and the export."""
    params = request.GET
    start, end = _period(params)
    stop = end + timedelta(days=1)  # the selectors take [start, end)
    kind = params.get("kind", "")
    if kind not in Survey.Kind.values:
        kind = ""
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return _answers_export(selectors.survey_answers(start=start, end=stop, kind=kind), fmt)
    nps_by_month = selectors.nps(start=start, end=stop, by="month")
    comments = paginate(request, selectors.survey_comments(start=start, end=stop, kind=kind))
    for survey in comments:
        survey.ticket_url = (
            reverse("service:ticket-detail", args=[survey.ticket.number]) if survey.ticket else ""
        )
        survey.customer_url = (
            reverse("service:customer-detail", args=[survey.customer_id]) if survey.customer_id else ""
        )
    return render(
        request,
        "service/surveys/satisfaction.html",
        {
            "start": start,
            "end": end,
            "kind": kind,
            "kinds": Survey.Kind.choices,
            "csat": selectors.csat_summary(start=start, end=stop),
            "nps": selectors.nps(start=start, end=stop),
            "nps_rates": selectors.response_rate(kind=Survey.Kind.NPS, start=start, end=stop),
            "nps_tables": [
                (_("By channel"), "channel", selectors.nps(start=start, end=stop, by="channel")),
                (_("By category"), "category", selectors.nps(start=start, end=stop, by="category")),
                (_("By month"), "month", nps_by_month),
            ],
            "csat_tables": [
                (_("By channel"), "channel", selectors.csat_by(start=start, end=stop, by="channel")),
                (_("By category"), "category", selectors.csat_by(start=start, end=stop, by="category")),
                (_("By month"), "month", selectors.csat_by(start=start, end=stop, by="month")),
            ],
            "nps_chart": nps_month_figure(nps_by_month) if nps_by_month else None,
            "page_obj": comments,
            "query": querystring_without_page(request),
        },
    )


def _answers_export(answers, fmt: str):
    return export_response(
        filename="survey-answers",
        fmt=fmt,
        headers=[
            _("Kind"),
            _("Score"),
            _("Comment"),
            _("Answered at"),
            _("Sent at"),
            _("Channel"),
            _("Category"),
            _("Ticket"),
            _("Order"),
        ],
        rows=(
            (
                s.kind,
                s.score,
                s.comment,
                timezone.localtime(s.answered_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(s.created_at).strftime("%Y-%m-%d %H:%M"),
                s.channel.code if s.channel else "",
                s.category.name if s.category else "",
                s.ticket.number if s.ticket else "",
                s.order.external_id if s.order else "",
            )
            for s in answers.iterator(chunk_size=2000)
        ),
    )
