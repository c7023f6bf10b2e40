"""SKU contribution margin pages: the table per SKU and channel over a period (filters, sort, totals,
the loss-making summary and the worst 15 as a chart, export), and one SKU's drill-down per channel and
per month."""

from __future__ import annotations

import json
from datetime import timedelta

import plotly.graph_objects as go
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.selectors import skus as catalog_skus
from finance import margins
from finance.selectors import margins as selectors
from orders import selectors as order_selectors
from shopops.common import roles
from shopops.common.dates import shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page

DEFAULT_DAYS = 30
MAX_DAYS = 366
SORT_CHOICES = [
    ("contribution", gettext_lazy("Contribution, lowest first")),
    ("-contribution", gettext_lazy("Contribution, highest first")),
    ("margin", gettext_lazy("Margin %, lowest first")),
    ("-margin", gettext_lazy("Margin %, highest first")),
    ("-revenue", gettext_lazy("Revenue, highest first")),
    ("sku", gettext_lazy("SKU code")),
]


class MarginFilterForm(forms.Form):
    """The margins page's filters: the period [start, end) of shop dates, channel, category, loss-making
    only, sort."""

    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("until (excluded)"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    loss_only = forms.BooleanField(label=gettext_lazy("Loss-making only"), required=False)
    sort = forms.ChoiceField(label=gettext_lazy("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("All channels"))] + [
            (c.code, c.name) for c in order_selectors.channel_all()
        ]
        self.fields["category"].choices = [("", _("All categories"))] + [
            (c.code, c.name) for c in catalog_skus.category_list()
        ]

    def clean(self):
        data = super().clean()
        today = shop_today()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS)
        if start >= end:
            self.add_error("end", _("The end must be after the start."))
        elif (end - start).days > MAX_DAYS:
            self.add_error("start", _("Choose a period of at most %(days)d days.") % {"days": MAX_DAYS})
        data["start"], data["end"] = start, end
        data["sort"] = data.get("sort") or selectors.DEFAULT_SORT
        return data


def _defaults() -> dict:
    today = shop_today()
    return {
        "start": today - timedelta(days=DEFAULT_DAYS),
        "end": today,
        "channel": "",
        "category": "",
        "loss_only": False,
        "sort": selectors.DEFAULT_SORT,
    }


def _worst_figure(rows: list[margins.MarginRow]) -> dict:
    labels = [f"{r.extra['sku_code']} · {r.extra['channel_code']}" for r in rows]
    figure = go.Figure(
        go.Bar(
            x=[float(r.contribution) for r in rows],
            y=labels,
            orientation="h",
            marker_color="#d62728",
            customdata=[r.driver_label for r in rows],
            hovertemplate="%{y}: %{x:,.2f}<br>%{customdata}<extra></extra>",
        )
    )
    figure.update_layout(
        title=_("The %(count)d worst SKUs by contribution") % {"count": len(rows)},
        height=max(240, 28 * len(rows) + 90),
        template="plotly_white",
        margin={"l": 160, "r": 20, "t": 50, "b": 40},
        yaxis={"autorange": "reversed"},
        xaxis_title=_("Contribution"),
    )
    return json.loads(figure.to_json())


EXPORT_HEADERS = [
    gettext_lazy("SKU"),
    gettext_lazy("Name"),
    gettext_lazy("Category"),
    gettext_lazy("Channel"),
    gettext_lazy("Units"),
    gettext_lazy("Revenue"),
    *[label for _key, label in margins.COSTS],
    gettext_lazy("Contribution"),
    gettext_lazy("Margin %"),
    gettext_lazy("Largest cost driver"),
]


def _export(report: selectors.MarginReport, fmt: str):
    def rows():
        for r in report.rows:
            yield (
                r.extra["sku_code"],
                r.extra["sku_name"],
                r.extra["category_name"],
                r.extra["channel_code"],
                r.units,
                r.revenue,
                *[getattr(r, key) for key in margins.COST_KEYS],
                r.contribution,
                r.margin if r.margin is not None else "",
                r.driver_label,
            )

    return export_response(
        filename=f"sku-margins-{report.start:%Y%m%d}-{report.end:%Y%m%d}",
        fmt=fmt,
        headers=[str(h) for h in EXPORT_HEADERS],
        rows=rows(),
    )


def _read_only(request) -> None:
    """These pages only read: any POST (a manager's included) answers 403."""
    if request.method not in ("GET", "HEAD"):
        raise PermissionDenied


def _report(request) -> tuple[MarginFilterForm, dict, int]:
    _read_only(request)
    form = MarginFilterForm(request.GET or None)
    if not form.is_bound:
        return form, _defaults(), 200
    if form.is_valid():
        return form, form.cleaned_data, 200
    return form, _defaults(), 400


@roles.area_required(roles.FINANCE_AREA)
def margin_list(request):
    """Contribution margin per SKU and channel; ?export=csv|xlsx downloads every row of the filters."""
    form, filters, status = _report(request)
    report = selectors.margin_report(
        start=filters["start"],
        end=filters["end"],
        channel=filters["channel"],
        category=filters["category"],
        loss_only=filters["loss_only"],
        sort=filters["sort"],
    )
    fmt = request.GET.get("export") or request.GET.get("fmt")
    if fmt in EXPORT_FORMATS and status == 200:
        return _export(report, fmt)
    return render(
        request,
        "finance/margins/list.html",
        {
            "form": form,
            "filters": filters,
            "report": report,
            "page_obj": paginate(request, report.rows),
            "query": querystring_without_page(request),
            "chart": _worst_figure(report.worst) if report.worst else None,
            "cost_labels": [label for _key, label in margins.COSTS],
            "filtered": bool(filters["channel"] or filters["category"]),
        },
        status=status,
    )


@roles.area_required(roles.FINANCE_AREA)
def margin_export(request):
    """The margins table as ?fmt=csv (default) or xlsx, with the page's filters."""
    form, filters, status = _report(request)
    if status != 200:
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain; charset=utf-8")
    report = selectors.margin_report(
        start=filters["start"],
        end=filters["end"],
        channel=filters["channel"],
        category=filters["category"],
        loss_only=filters["loss_only"],
        sort=filters["sort"],
    )
    fmt = request.GET.get("fmt") or request.GET.get("export") or "csv"
    return _export(report, fmt if fmt in EXPORT_FORMATS else "csv")


@roles.area_required(roles.FINANCE_AREA)
def margin_sku(request, sku_id: int):
    """One SKU's contribution per channel and per month of the period (the margins page's filters)."""
    _read_only(request)
    sku = catalog_skus.sku_list().filter(id=sku_id).first()
    if sku is None:
        raise Http404
    form, filters, status = _report(request)
    detail = selectors.sku_margin_detail(sku_id=sku_id, start=filters["start"], end=filters["end"])
    return render(
        request,
        "finance/margins/sku.html",
        {
            "sku": sku,
            "form": form,
            "filters": filters,
            "detail": detail,
            "cost_labels": [label for _key, label in margins.COSTS],
            "query": f"start={filters['start']:%Y-%m-%d}&end={filters['end']:%Y-%m-%d}",
        },
        status=status,
    )
