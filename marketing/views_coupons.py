"""Coupon, redemption and flash-sale pages: the coupon list (filters, CSV/XLSX export) with its batches,
the batch generator and a batch's codes as CSV, single codes, the redemptions recorded from synced
orders, and the flash-sale monitor (units held, converted, remaining; claims per minute)."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.forms_coupons import CouponBatchForm, CouponForm
from marketing.models import Redemption
from marketing.selectors import coupons as selectors
from marketing.services import coupons as services
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

WRITE_PERMISSION = "marketing.add_coupon"
RECENT_BATCHES = 10


def _status_labels() -> dict[str, str]:
    return {
        "active": _("Usable"),
        "inactive": _("Inactive"),
        "exhausted": _("Used up"),
        "unused": _("Never used"),
    }


# ---------------------------------------------------------------------------------------------
# Coupons
# ---------------------------------------------------------------------------------------------
@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def coupon_list(request):
    """Coupons: filter by promotion, code and status (usable, inactive, used up, never used), a batch;
    paginated; export what the filters select. The latest batches below, each exportable."""
    params = request.GET
    try:
        batch = int(params.get("batch", "") or 0) or None
    except ValueError:
        batch = None
    status = params.get("status", "")
    if status not in selectors.COUPON_STATUSES:
        status = ""
    coupons = selectors.coupon_list(
        promotion=params.get("promotion", ""), search=params.get("q", "").strip(), status=status, batch=batch
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return _coupons_export(coupons, fmt, filename="coupons")
    page_obj = paginate(request, coupons)
    return render(
        request,
        "marketing/coupons/coupon_list.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": params,
            "promotions": selectors.coupon_promotion_list(),
            "statuses": list(_status_labels().items()),
            "batch": selectors.coupon_batch_get(pk=batch) if batch else None,
            "batches": selectors.coupon_batch_list(promotion=params.get("promotion", ""))[:RECENT_BATCHES],
            "can_write": request.user.has_perm(WRITE_PERMISSION),
            "tab": "coupons",
        },
    )


def _coupons_export(coupons, fmt: str, *, filename: str):
    return export_response(
        filename=filename,
        fmt=fmt,
        headers=[
            _("Code"),
            _("Promotion"),
            _("Batch"),
            _("Uses in total"),
            _("Uses per customer"),
            _("Times used"),
            _("Active"),
            _("Created at"),
        ],
        rows=(
            (
                c.code,
                c.promotion.code,
                c.batch_id or "",
                "" if c.usage_limit is None else c.usage_limit,
                "" if c.per_customer_limit is None else c.per_customer_limit,
                c.used,
                _("yes") if c.active else _("no"),
                timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
            )
            for c in coupons.iterator(chunk_size=2000)
        ),
    )


@roles.permission_required(roles.MARKETING_AREA, WRITE_PERMISSION)
def coupon_batch_create(request):
    """Generate a batch of codes for a coupon promotion (all or nothing); then the batch's codes."""
    initial = {}
    if request.GET.get("promotion"):
        initial["promotion"] = request.GET["promotion"]
    form = CouponBatchForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = services.coupon_batch_create(
                promotion=data["promotion"],
                count=data["count"],
                prefix=data["prefix"],
                name=data["name"],
                usage_limit=data["usage_limit"],
                per_customer_limit=data["per_customer_limit"],
                user=request.user,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(count)s codes generated for %(promotion)s.")
                % {"count": f"{batch.count:,}", "promotion": batch.promotion.code},
            )
            return redirect(f"{reverse('marketing:coupon-list')}?batch={batch.pk}")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "marketing/coupons/batch_form.html",
        {"form": form, "tab": "coupons", "has_promotions": selectors.coupon_promotion_list().exists()},
        status=status,
    )


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def coupon_batch_export(request, pk: int):
    """A batch's codes as CSV (to hand to a channel or print)."""
    batch = selectors.coupon_batch_get(pk=pk)
    if batch is None:
        raise Http404
    fmt = request.GET.get("export", "csv")
    if fmt not in EXPORT_FORMATS:
        fmt = "csv"
    filename = f"coupons-{batch.promotion.code}-batch-{batch.pk}"
    return _coupons_export(selectors.coupon_list(batch=batch.pk), fmt, filename=filename)


@roles.permission_required(roles.MARKETING_AREA, WRITE_PERMISSION)
def coupon_create(request):
    """One code chosen by hand (e.g. D11VIP) for a coupon promotion."""
    initial = {}
    if request.GET.get("promotion"):
        initial["promotion"] = request.GET["promotion"]
    form = CouponForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            coupon = services.coupon_create(
                promotion=data["promotion"],
                code=data["code"],
                usage_limit=data["usage_limit"],
                per_customer_limit=data["per_customer_limit"],
                active=data["active"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Coupon %(code)s created.") % {"code": coupon.code})
            return redirect(f"{reverse('marketing:coupon-list')}?q={coupon.code}")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "marketing/coupons/coupon_form.html",
        {"form": form, "tab": "coupons", "has_promotions": selectors.coupon_promotion_list().exists()},
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Redemptions
# ---------------------------------------------------------------------------------------------
@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def redemption_list(request):
    """Redemptions recorded from synced orders (coupon codes and flash-sale claims), accepted or refused
    with the reason; filter by promotion, status, order / coupon / customer; export."""
    params = request.GET
    rows = selectors.redemption_list(
        promotion=params.get("promotion", ""),
        status=params.get("status", ""),
        search=params.get("q", "").strip(),
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="redemptions",
            fmt=fmt,
            headers=[
                _("Recorded at"),
                _("Promotion"),
                _("Coupon"),
                _("Channel"),
                _("Order"),
                _("Customer"),
                _("Status"),
                _("Reason"),
                _("Discount"),
            ],
            rows=(
                (
                    timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                    r.promotion.code,
                    r.coupon.code if r.coupon else "",
                    r.order.channel.code,
                    r.order.external_id,
                    r.customer.external_id if r.customer else "",
                    r.get_status_display(),
                    _(r.reason) if r.reason else "",
                    r.discount,
                )
                for r in rows.iterator(chunk_size=2000)
            ),
        )
    page_obj = paginate(request, rows)
    return render(
        request,
        "marketing/coupons/redemption_list.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": params,
            "totals": selectors.redemption_totals(rows),
            "promotions": selectors.redemption_promotion_list(),
            "statuses": Redemption.Status.choices,
            "tab": "redemptions",
        },
    )


# ---------------------------------------------------------------------------------------------
# Flash sales
# ---------------------------------------------------------------------------------------------
def claims_figure(minutes: list, *, title: str) -> dict | None:
    """Claims per minute (bars) of one flash sale."""
    if not minutes:
        return None
    figure = go.Figure(
        go.Bar(
            x=[timezone.localtime(at).strftime("%H:%M") for at, _n in minutes],
            y=[n for _at, n in minutes],
            name=_("Claims"),
            marker_color="#0d6efd",
        )
    )
    figure.update_layout(
        title=title,
        height=280,
        template="plotly_white",
        margin={"l": 50, "r": 20, "t": 50, "b": 50},
        xaxis={"type": "category", "title": _("Minute (shop time)")},
        yaxis={"title": _("Claims per minute"), "rangemode": "tozero"},
    )
    return json.loads(figure.to_json())


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def flash_sale_list(request):
    """Flash-sale monitor: per sale the pool, units held (not yet expired), converted by orders,
    remaining, claims per minute; the claims-per-minute chart of the chosen sale (default: the first
    live one). The table refreshes itself every 10 seconds (htmx)."""
    now = timezone.now()
    page_obj = paginate(request, selectors.flash_sale_list(), per_page=20)
    rows = selectors.flash_sale_monitor(promotions=list(page_obj), now=now)
    context = {
        "page_obj": page_obj,
        "rows": rows,
        "query": querystring_without_page(request),
        "now": now,
        "status_labels": {
            "live": _("Live"),
            "upcoming": _("Upcoming"),
            "ended": _("Ended"),
            "inactive": _("Inactive"),
        },
        "tab": "flash",
    }
    if request.htmx:
        return render(request, "marketing/coupons/_flash_table.html", context)
    chosen = request.GET.get("sale", "")
    sale = next((r for r in rows if r["code"] == chosen), None) or next(
        (r for r in rows if r["status"] == "live"), None
    )
    chart = None
    if sale is not None:
        chart = claims_figure(
            selectors.flash_claims_per_minute(promotion=sale["promotion"], now=now),
            title=_("Claims per minute: %(code)s") % {"code": sale["code"]},
        )
    context.update({"sale": sale, "chart": chart})
    return render(request, "marketing/coupons/flash_sales.html", context)
