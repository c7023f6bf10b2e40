"""Pages of campaigns, ad metrics, the promotion calendar, promotion results and referral codes.

Reading pages: the marketing area (marketing, manager, admin). Pages and actions that write: the
permission to change campaigns (`marketing.change_campaign`) or add referral codes
(`marketing.add_referralcode`): marketing and admin; the manager reads (403 on the write pages and on
POSTs).
"""

import json
from datetime import date, timedelta
from decimal import Decimal

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from marketing import admetrics, calendar
from marketing.forms_campaigns import AdImportForm, CampaignForm, ChecklistAddForm, ReferralCodeForm
from marketing.models import Campaign, Promotion, ReferralCode
from marketing.selectors import campaigns as selectors
from marketing.selectors import referrals as referral_selectors
from marketing.selectors import results as result_selectors
from marketing.services import ads, referrals
from marketing.services import campaigns as services
from shopops.common import roles
from shopops.common.dates import parse_iso_date, shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

CAMPAIGN_WRITE = services.EDIT_PERMISSION
REFERRAL_WRITE = "marketing.add_referralcode"
ROI_DAYS = 30
CALENDAR_BACK_DAYS = 30
CALENDAR_AHEAD_DAYS = 365
LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


def _figure(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())


def _metric_cells(values: dict, flags: dict) -> list[dict]:
    """CTR, CPC, CVR, ROI, CAC as cells for the tables: {"key", "value", "flag", "kind"}."""
    kinds = {"ctr": "pct", "cpc": "money", "cvr": "pct", "roi": "ratio", "cac": "money"}
    return [{"key": k, "value": values.get(k), "flag": flags.get(k), "kind": kinds[k]} for k in kinds]


# --- campaigns ----------------------------------------------------------------------------------------


def _status_choices():
    return [("running", _("Running")), ("upcoming", _("Upcoming")), ("ended", _("Ended"))]


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def campaign_list(request):
    """Campaigns (filters: kind, status, search; paginated; CSV/XLSX) and the channel ROI table of the last
    30 days (or ?days=)."""
    today = shop_today()
    filters = {k: request.GET.get(k, "").strip() for k in ("kind", "status", "q")}
    qs = selectors.campaign_list(**filters, today=today)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="campaigns",
            fmt=fmt,
            headers=[
                _("Code"),
                _("Name"),
                _("Kind"),
                _("Channel"),
                _("Starts on"),
                _("Ends on"),
                _("Budget"),
                _("Other cost"),
                _("Ad spend"),
            ],
            rows=(
                [
                    c.code,
                    c.name,
                    c.get_kind_display(),
                    c.channel.code if c.channel else "",
                    c.starts_on,
                    c.ends_on,
                    c.budget,
                    c.other_cost,
                    # SQLite sums money as a number: give every database's sum two decimals.
                    Decimal(c.ad_spend or 0).quantize(Decimal("0.01")),
                ]
                for c in qs.iterator()
            ),
        )
    try:
        days = max(1, min(int(request.GET.get("days") or ROI_DAYS), 366))
    except ValueError:
        days = ROI_DAYS
    roi_rows = selectors.channel_roi(start=today - timedelta(days=days - 1), end=today)
    for row in roi_rows:
        row["cells"] = _metric_cells(row["metrics"], row["flags"])
    return render(
        request,
        "marketing/campaigns/campaign_list.html",
        {
            "page_obj": paginate(request, qs),
            "query": querystring_without_page(request),
            "filters": filters,
            "kinds": Campaign.Kind.choices,
            "statuses": _status_choices(),
            "roi_rows": roi_rows,
            "days": days,
            "today": today,
            "can_edit": request.user.has_perm(CAMPAIGN_WRITE),
        },
    )


def _daily_figures(daily: list[dict]) -> dict:
    """Spend / revenue bars with ROI on a second axis and the ROI >= 3 band line; CTR, CVR lines with their
    bands; CPC with its band."""
    days = [d["day"].isoformat() for d in daily]
    spend = [float(d["totals"].spend) for d in daily]
    revenue = [float(d["totals"].revenue) for d in daily]
    roi = [float(d["metrics"]["roi"]) if d["metrics"]["roi"] is not None else None for d in daily]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=days, y=spend, name=_("Spend"), marker_color="#dc3545"))
    fig.add_trace(go.Bar(x=days, y=revenue, name=_("Revenue"), marker_color="#198754"))
    fig.add_trace(
        go.Scatter(x=days, y=roi, name=_("ROI"), yaxis="y2", mode="lines+markers", line={"color": "#1f77b4"})
    )
    fig.add_trace(
        go.Scatter(
            x=days,
            y=[3] * len(days),
            name=_("ROI band (>= 3)"),
            yaxis="y2",
            mode="lines",
            line={"color": "#1f77b4", "dash": "dot"},
        )
    )
    fig.update_layout(
        title=_("Daily spend, revenue and ROI"),
        barmode="group",
        height=360,
        yaxis={"title": _("Yuan"), "tickprefix": "¥"},
        yaxis2={"title": _("ROI"), "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
        **LAYOUT,
    )
    rates = go.Figure()
    for key, label, color in (("ctr", _("CTR"), "#6f42c1"), ("cvr", _("CVR"), "#fd7e14")):
        low, high = admetrics.BANDS[key]
        values = [float(d["metrics"][key] * 100) if d["metrics"][key] is not None else None for d in daily]
        rates.add_trace(go.Scatter(x=days, y=values, name=label, mode="lines+markers", line={"color": color}))
        rates.add_trace(
            go.Scatter(
                x=days + days[::-1],
                y=[float(high * 100)] * len(days) + [float(low * 100)] * len(days),
                fill="toself",
                fillcolor=color,
                opacity=0.12,
                line={"width": 0},
                name=_("%(m)s band") % {"m": label},
                hoverinfo="skip",
            )
        )
    rates.update_layout(
        title=_("CTR and CVR against their bands"),
        height=320,
        yaxis={"ticksuffix": "%"},
        legend={"orientation": "h", "y": -0.25},
        **LAYOUT,
    )
    cpc = go.Figure()
    low, high = admetrics.BANDS["cpc"]
    cpc.add_trace(
        go.Scatter(
            x=days,
            y=[float(d["metrics"]["cpc"]) if d["metrics"]["cpc"] is not None else None for d in daily],
            name=_("CPC"),
            mode="lines+markers",
            line={"color": "#0d6efd"},
        )
    )
    cpc.add_trace(
        go.Scatter(
            x=days + days[::-1],
            y=[float(high)] * len(days) + [float(low)] * len(days),
            fill="toself",
            fillcolor="#0d6efd",
            opacity=0.12,
            line={"width": 0},
            name=_("CPC band"),
            hoverinfo="skip",
        )
    )
    cpc.update_layout(title=_("CPC against its band"), height=320, yaxis={"tickprefix": "¥"}, **LAYOUT)
    return {"money": _figure(fig), "rates": _figure(rates), "cpc": _figure(cpc)}


def _checklist_rows(campaign: Campaign) -> list[dict]:
    return [
        {
            "index": i,
            "label": calendar.checklist_label(item),
            "owner": item.get("owner", ""),
            "done": bool(item.get("done")),
        }
        for i, item in enumerate(campaign.checklist or [])
        if isinstance(item, dict)
    ]


def _checklist_post(request, campaign: Campaign) -> bool:
    """Handle a checklist POST (tick / untick / add); True when handled."""
    action = request.POST.get("action")
    try:
        if action == "tick":
            services.campaign_checklist_tick(
                campaign=campaign,
                index=int(request.POST.get("index", -1)),
                done=request.POST.get("done") == "1",
            )
            return True
        if action == "add_item":
            form = ChecklistAddForm(request.POST)
            if form.is_valid():
                services.campaign_checklist_add(campaign=campaign, **form.cleaned_data)
                return True
            messages.error(request, _("Write what must be done."))
            return True
    except (ValueError, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        return True
    return False


@roles.area_required(roles.MARKETING_AREA)
def campaign_detail(request, code: str):
    """A campaign: figures, checklist (ticked here by marketing/admin), daily ad metrics with charts and
    their bands, channel ROI, promotions, referral codes and the fission cost."""
    campaign = get_object_or_404(Campaign.objects.select_related("channel"), code=code)
    roles.post_requires(request, CAMPAIGN_WRITE)
    if request.method == "POST":
        _checklist_post(request, campaign)
        return redirect("marketing:campaign-detail", code=campaign.code)
    today = shop_today()
    daily = selectors.campaign_daily(campaign=campaign)
    for d in daily:
        d["cells"] = _metric_cells(d["metrics"], d["flags"])
    total = sum((d["totals"] for d in daily), admetrics.AdTotals())
    total_metrics = admetrics.metrics(total)
    roi_rows = selectors.channel_roi(start=campaign.starts_on, end=campaign.ends_on, campaign=campaign)
    for row in roi_rows:
        row["cells"] = _metric_cells(row["metrics"], row["flags"])
    codes = list(referral_selectors.referral_code_list().filter(campaign=campaign))
    burn = next((b for b in selectors.campaign_budget_burn(today=today) if b["code"] == campaign.code), None)
    return render(
        request,
        "marketing/campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "checklist": _checklist_rows(campaign),
            "checklist_form": ChecklistAddForm(),
            "daily": daily,
            "total": total,
            "total_cells": _metric_cells(total_metrics, admetrics.flags(total_metrics)),
            "figures": _daily_figures(daily) if daily else None,
            "roi_rows": roi_rows,
            "promotions": Promotion.objects.filter(campaign=campaign).order_by("starts_at", "code"),
            "codes": codes,
            "fission": referral_selectors.fission_cost(campaign=campaign, today=today) if codes else None,
            "burn": burn,
            "planning_starts_on": campaign.starts_on - timedelta(days=campaign.planning_lead_days),
            "can_edit": request.user.has_perm(CAMPAIGN_WRITE),
            "bands": admetrics.BANDS,
        },
    )


@roles.permission_required(roles.MARKETING_AREA, CAMPAIGN_WRITE)
def campaign_create(request):
    initial = {}
    if request.GET.get("kind") in Campaign.Kind.values:
        initial["kind"] = request.GET["kind"]
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(data=form.service_data())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Campaign %(code)s created.") % {"code": campaign.code})
            return redirect("marketing:campaign-detail", code=campaign.code)
    return render(
        request,
        "marketing/campaigns/campaign_form.html",
        {"form": form, "campaign": None},
        status=400 if form.errors else 200,
    )


@roles.permission_required(roles.MARKETING_AREA, CAMPAIGN_WRITE)
def campaign_edit(request, code: str):
    campaign = get_object_or_404(Campaign, code=code)
    form = CampaignForm(request.POST or None, initial=CampaignForm.initial_of(campaign), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, data=form.service_data())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Campaign %(code)s saved.") % {"code": campaign.code})
            return redirect("marketing:campaign-detail", code=campaign.code)
    return render(
        request,
        "marketing/campaigns/campaign_form.html",
        {"form": form, "campaign": campaign},
        status=400 if form.errors else 200,
    )


# --- calendar ------------------------------------------------------------------------------------------


def _timeline_figure(items: list[dict], *, today: date) -> dict:
    """A Gantt-like timeline: the planning period (light) and the campaign or promotion days (dark)."""
    fig = go.Figure()
    names = [f"{i['name']} ({i['code']})" for i in items]
    plan = [i for i in items if i["planning_starts_on"]]
    if plan:
        fig.add_trace(
            go.Bar(
                y=[f"{i['name']} ({i['code']})" for i in plan],
                x=[(i["starts_on"] - i["planning_starts_on"]).days * 86400000 for i in plan],
                base=[i["planning_starts_on"].isoformat() for i in plan],
                orientation="h",
                name=_("Planning"),
                marker_color="#cfe2ff",
            )
        )
    fig.add_trace(
        go.Bar(
            y=names,
            x=[((i["ends_on"] - i["starts_on"]).days + 1) * 86400000 for i in items],
            base=[i["starts_on"].isoformat() for i in items],
            orientation="h",
            name=_("Running"),
            marker_color=["#0d6efd" if i["source"] == "campaign" else "#198754" for i in items],
        )
    )
    fig.add_vline(x=today.isoformat(), line_dash="dot", line_color="#dc3545")
    fig.update_layout(
        title=_("Promotion calendar"),
        barmode="overlay",
        height=max(240, 32 * len(items) + 120),
        xaxis={"type": "date"},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.15},
        **LAYOUT,
    )
    return _figure(fig)


@roles.area_required(roles.MARKETING_AREA)
def calendar_page(request):
    """The promotion calendar: festivals, the shop's own events and scheduled promotions from 30 days ago to
    a year ahead, with planning lead times and checklists (ticked here by marketing/admin); a button adds
    the festivals of this year and the next."""
    roles.post_requires(request, CAMPAIGN_WRITE)
    today = shop_today()
    if request.method == "POST":
        if request.POST.get("action") == "ensure":
            counts = [services.festival_calendar_ensure(y) for y in (today.year, today.year + 1)]
            created = sum(c["created"] for c in counts)
            messages.success(request, _("%(n)s festival campaigns added.") % {"n": created})
        else:
            campaign = get_object_or_404(Campaign, code=request.POST.get("code", ""))
            _checklist_post(request, campaign)
        return redirect("marketing:calendar")
    start = parse_iso_date(request.GET.get("start")) or today - timedelta(days=CALENDAR_BACK_DAYS)
    end = parse_iso_date(request.GET.get("end")) or today + timedelta(days=CALENDAR_AHEAD_DAYS)
    if end < start:
        start, end = end, start
    items = selectors.campaign_calendar(start=start, end=end)
    checklists = {
        c.code: _checklist_rows(c)
        for c in Campaign.objects.filter(code__in=[i["code"] for i in items if i["source"] == "campaign"])
    }
    for item in items:
        item["checklist"] = checklists.get(item["code"], []) if item["source"] == "campaign" else []
        if item["starts_on"] > today:
            item["state"] = (
                "planning"
                if item["planning_starts_on"] and item["planning_starts_on"] <= today
                else "upcoming"
            )
        elif item["ends_on"] < today:
            item["state"] = "ended"
        else:
            item["state"] = "running"
        item["days_to_start"] = (item["starts_on"] - today).days
    return render(
        request,
        "marketing/campaigns/calendar.html",
        {
            "items": items,
            "start": start,
            "end": end,
            "today": today,
            "figure": _timeline_figure(items, today=today) if items else None,
            "can_edit": request.user.has_perm(CAMPAIGN_WRITE),
        },
    )


# --- ad metrics import ---------------------------------------------------------------------------------


@roles.permission_required(roles.MARKETING_AREA, CAMPAIGN_WRITE)
def ad_import(request):
    """Import daily ad metrics from a CSV: a dry run (default) reports every wrong row and what would be
    created or updated; applying writes all rows or, when any row is wrong, nothing."""
    form = AdImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        rows, errors = ads.ad_csv_read(form.data_bytes)
        if errors:
            result = ads.AdImportResult(errors=errors)
        else:
            result = ads.ad_metrics_import(
                rows, dry_run=form.cleaned_data["dry_run"], default_campaign=form.cleaned_data["campaign"]
            )
            if result.applied:
                messages.success(
                    request,
                    _("Imported %(n)s rows: %(c)s new, %(u)s updated.")
                    % {"n": result.created + result.updated, "c": result.created, "u": result.updated},
                )
    status = 400 if form.errors or (result is not None and not result.ok) else 200
    return render(
        request,
        "marketing/campaigns/ad_import.html",
        {"form": form, "result": result, "columns": ads.COLUMNS, "required": ads.REQUIRED},
        status=status,
    )


# --- promotion results ---------------------------------------------------------------------------------


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def promotion_results(request):
    filters = {k: request.GET.get(k, "").strip() for k in ("q", "kind", "order")}
    qs = result_selectors.promotion_result_list(**filters)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="promotion-results",
            fmt=fmt,
            headers=[
                _("Promotion"),
                _("Name"),
                _("Kind"),
                _("Orders"),
                _("Redemptions"),
                _("Discount cost"),
                _("Gift cost"),
                _("GMV"),
                _("Margin"),
                _("Baseline GMV"),
                _("Baseline margin"),
                _("Uplift"),
                _("ROI"),
                _("Baseline"),
            ],
            rows=(
                [
                    r.promotion.code,
                    r.promotion.name,
                    r.promotion.get_kind_display(),
                    r.orders,
                    r.redemptions,
                    r.discount_cost,
                    r.gift_cost,
                    r.gmv,
                    r.margin,
                    r.baseline_gmv,
                    r.baseline_margin,
                    r.uplift,
                    r.roi,
                    (r.detail or {}).get("baseline_method", ""),
                ]
                for r in qs.iterator()
            ),
        )
    return render(
        request,
        "marketing/campaigns/promotion_results.html",
        {
            "page_obj": paginate(request, qs),
            "query": querystring_without_page(request),
            "filters": filters,
            "kinds": Promotion.Kind.choices,
        },
    )


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def promotion_result(request, code: str):
    result = result_selectors.promotion_result_get(code=code)
    if result is None:
        promotion = get_object_or_404(Promotion, code=code)
        return render(
            request, "marketing/campaigns/promotion_result.html", {"promotion": promotion, "result": None}
        )
    daily = (result.detail or {}).get("daily", [])
    figure = None
    if daily:
        fig = go.Figure()
        days = [d["day"] for d in daily]
        fig.add_trace(
            go.Bar(x=days, y=[float(d["gmv"]) for d in daily], name=_("GMV in scope"), marker_color="#0d6efd")
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[float(d["baseline_gmv"]) for d in daily],
                name=_("Baseline"),
                mode="lines+markers",
                line={"color": "#6c757d", "dash": "dash"},
            )
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[float(d["margin"]) for d in daily],
                name=_("Margin"),
                mode="lines",
                line={"color": "#198754"},
            )
        )
        fig.update_layout(
            title=_("GMV in scope against the baseline"),
            height=360,
            yaxis={"tickprefix": "¥"},
            legend={"orientation": "h", "y": -0.2},
            **LAYOUT,
        )
        figure = _figure(fig)
    return render(
        request,
        "marketing/campaigns/promotion_result.html",
        {
            "promotion": result.promotion,
            "result": result,
            "daily": daily,
            "figure": figure,
            "incremental_margin": result.margin - result.baseline_margin,
            "invested": result.discount_cost
            + result.gift_cost
            + _decimal((result.detail or {}).get("campaign_cost")),
            "campaign_cost": _decimal((result.detail or {}).get("campaign_cost")),
            "method": (result.detail or {}).get("baseline_method"),
            "baseline_from": (result.detail or {}).get("baseline_from"),
            "window": (result.detail or {}).get("window") or [],
        },
    )


def _decimal(value) -> Decimal:
    return Decimal(value or 0)


# --- referral codes ------------------------------------------------------------------------------------


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def referral_list(request):
    filters = {k: request.GET.get(k, "").strip() for k in ("q", "kind", "campaign")}
    qs = referral_selectors.referral_code_list(**filters)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="referral-codes",
            fmt=fmt,
            headers=[
                _("Code"),
                _("Kind"),
                _("Referrer"),
                _("KOC"),
                _("Campaign"),
                _("New customers"),
                _("Rewards"),
                _("Invites per reward"),
                _("Active"),
            ],
            rows=(
                [
                    c.code,
                    c.get_kind_display(),
                    c.referrer.external_id if c.referrer else "",
                    c.owner_name,
                    c.campaign.code if c.campaign else "",
                    c.attributed,
                    c.rewards_given,
                    c.reward_invites,
                    c.active,
                ]
                for c in qs.iterator()
            ),
        )
    return render(
        request,
        "marketing/campaigns/referral_list.html",
        {
            "page_obj": paginate(request, qs),
            "query": querystring_without_page(request),
            "filters": filters,
            "kinds": ReferralCode.Kind.choices,
            "fission": referral_selectors.fission_cost_list(today=shop_today()),
            "can_edit": request.user.has_perm(REFERRAL_WRITE),
        },
    )


@roles.permission_required(roles.MARKETING_AREA, REFERRAL_WRITE)
def referral_create(request):
    form = ReferralCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            code = referrals.referral_code_create(
                code=data["code"],
                kind=data["kind"],
                referrer=data["referrer_customer"],
                owner_name=data["owner_name"],
                campaign=data["campaign"],
                offer=data["offer"],
                reward_invites=data["reward_invites"],
                reward_promotion=data["reward_promotion"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Referral code %(code)s created.") % {"code": code.code})
            return redirect("marketing:referral-list")
    return render(
        request, "marketing/campaigns/referral_form.html", {"form": form}, status=400 if form.errors else 200
    )
