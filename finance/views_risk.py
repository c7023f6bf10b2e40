"""Order-risk pages: the review queue (tabs, export, the COD bad-debt rate) and one scored order with its
facts, each rule's points and the reviewer's release / cancel forms.

Finance, managers and admins read them; releasing and cancelling needs finance.change_orderrisk (finance,
admin), so a manager's POST answers 403. Customers' phones, names and addresses are masked for roles
that do not need them (shopops.common.privacy)."""

import json

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from finance import risk as rules
from finance.forms_risk import TAB_CHOICES, RiskFilterForm, RiskReviewForm
from finance.models import FinanceSettings, OrderRisk
from finance.selectors import risk as selectors
from finance.services import risk as services
from orders import selectors as order_selectors
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page
from shopops.common.privacy import can_see_personal_data, mask_address, mask_name, mask_phone

CHANGE_PERMISSION = "finance.change_orderrisk"


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def score_badge(score: int, hold_score: int) -> str:
    if score >= hold_score:
        return "text-bg-danger"
    if score >= hold_score // 2:
        return "text-bg-warning"
    return "text-bg-success" if score == 0 else "text-bg-secondary"


def _customer(order, show_personal: bool) -> dict:
    customer = order.customer
    if customer is None:
        return {"name": "", "phone": ""}
    if show_personal:
        return {"name": customer.name, "phone": customer.phone}
    return {"name": mask_name(customer.name), "phone": mask_phone(customer.phone)}


def _reason_texts(risk: OrderRisk) -> list[str]:
    return [rules.reason_display(reason) for reason in risk.reasons or []]


def bad_debt_chart(rows: list) -> dict | None:
    """Shipped COD value per month (bars) and the unpaid share (line, right axis)."""
    if not any(row.shipped_count for row in rows):
        return None
    months = [row.month.strftime("%Y-%m") for row in rows]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(x=months, y=[float(row.shipped_value) for row in rows], name=_("Shipped COD value"))
    )
    figure.add_trace(
        go.Bar(x=months, y=[float(row.unpaid_value) for row in rows], name=_("Came back unpaid"))
    )
    figure.add_trace(
        go.Scatter(
            x=months,
            y=[float(row.rate * 100) if row.rate is not None else None for row in rows],
            name=_("Bad-debt rate (%)"),
            mode="lines+markers",
            yaxis="y2",
        )
    )
    figure.update_layout(
        template="plotly_white",
        height=280,
        barmode="overlay",
        margin={"l": 50, "r": 50, "t": 20, "b": 40},
        xaxis={"type": "category"},
        yaxis={"title": _("Value"), "rangemode": "tozero"},
        yaxis2={"title": "%", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25},
    )
    return json.loads(figure.to_json())


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def risk_queue(request):
    """Held orders to review (oldest first), and the released, cancelled and all scored ones; export; the
    bad-debt rate of cash-on-delivery orders over the last 12 months."""
    form = RiskFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tab = filters.get("tab") or "held"
    rows = selectors.orderrisk_list(
        tab=tab, channel=(filters.get("channel") or "").strip(), min_score=filters.get("min_score")
    )
    show_personal = can_see_personal_data(request.user)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename=f"order-risk-{tab}",
            fmt=fmt,
            headers=[
                _("Order"),
                _("Placed at"),
                _("Channel"),
                _("Amount"),
                _("Payment method"),
                _("Order status"),
                _("Score"),
                _("Risk status"),
                _("Reasons"),
                _("Customer"),
                _("Phone"),
                _("Reviewed at"),
                _("Reviewed by"),
                _("Note"),
            ],
            rows=(
                (
                    f"{r.order.channel.code}:{r.order.external_id}",
                    _local(r.order.placed_at),
                    r.order.channel.name,
                    r.order.total_shop,
                    r.order.payment_method,
                    r.order.get_status_display(),
                    r.score,
                    r.get_status_display(),
                    " | ".join(_reason_texts(r)),
                    _customer(r.order, show_personal)["name"],
                    _customer(r.order, show_personal)["phone"],
                    _local(r.reviewed_at),
                    str(r.reviewed_by or ""),
                    r.review_note,
                )
                for r in rows.iterator(chunk_size=2000)
            ),
        )
    settings = FinanceSettings.get()
    page_obj = paginate(request, rows)
    for risk in page_obj:
        risk.customer_shown = _customer(risk.order, show_personal)
        risk.reason_texts = _reason_texts(risk)
        risk.badge = score_badge(risk.score, settings.risk_hold_score)
    bad_debt = selectors.cod_bad_debt()
    return render(
        request,
        "finance/risk/queue.html",
        {
            "form": form,
            "tab": tab,
            "tabs": TAB_CHOICES,
            "counts": selectors.orderrisk_counts(),
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "tab_query": _without(request, "tab"),
            "settings": settings,
            "bad_debt": bad_debt,
            "bad_debt_total": selectors.cod_bad_debt_total(bad_debt),
            "chart": bad_debt_chart(bad_debt),
            "can_review": request.user.has_perm(CHANGE_PERMISSION),
            "show_personal": show_personal,
        },
    )


def _without(request, *names) -> str:
    params = request.GET.copy()
    for name in ("page", "export", *names):
        params.pop(name, None)
    return params.urlencode()


def _risk_or_404(pk: int) -> OrderRisk:
    try:
        return selectors.orderrisk_get(pk=pk)
    except OrderRisk.DoesNotExist:
        raise Http404 from None


def _rule_rows(risk: OrderRisk, results: list) -> list[dict]:
    """Each rule with the points it gave when the order was scored, and its detail (the stored reason when
    it fired, else what the rule finds now)."""
    stored = {reason.get("rule"): reason for reason in risk.reasons or []}
    rows = []
    for rule, label in rules.RULES:
        reason = stored.get(rule) or (
            stored.get(rules.RETURNS_HISTORY) if rule == rules.REFUSED_DELIVERY else None
        )
        current = next(
            (
                r
                for r in results
                if r.rule == rule or (rule == rules.REFUSED_DELIVERY and r.rule == rules.RETURNS_HISTORY)
            ),
            None,
        )
        rows.append(
            {
                "rule": rule,
                "label": label,
                "points": reason.get("points", 0) if reason else 0,
                "max_points": rules.POINTS[rule],
                "detail": rules.reason_display(reason) if reason else (current.detail if current else ""),
                "now": current.points if current else 0,
            }
        )
    return rows


def _detail_context(request, risk: OrderRisk, release_form=None, cancel_form=None) -> dict:
    settings = FinanceSettings.get()
    order = risk.order
    facts = selectors.risk_facts(order_ids=[order.pk], now=risk.scored_at).get(order.pk)
    results = rules.risk_rules(facts, cod_high_value=settings.risk_cod_high_value) if facts else []
    show_personal = can_see_personal_data(request.user)
    lines = list(order_selectors.order_lines(order=order))
    averages = {line.sku_id: line.average_quantity for line in facts.lines} if facts else {}
    for line in lines:
        line.average_quantity = averages.get(line.sku_id)
        line.threshold = rules.quantity_threshold(line.average_quantity)
    return {
        "risk": risk,
        "order": order,
        "facts": facts,
        "rule_rows": _rule_rows(risk, results),
        "lines": lines,
        "customer": _customer(order, show_personal),
        "address": order.address if show_personal else mask_address(order.address),
        "show_personal": show_personal,
        "settings": settings,
        "badge": score_badge(risk.score, settings.risk_hold_score),
        "can_review": request.user.has_perm(CHANGE_PERMISSION) and risk.status == OrderRisk.Status.HELD,
        "release_form": release_form or RiskReviewForm(prefix="release"),
        "cancel_form": cancel_form or RiskReviewForm(prefix="cancel"),
    }


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def risk_detail(request, pk: int):
    """One scored order: its facts, each rule's points, and (while held) the release and cancel forms."""
    risk = _risk_or_404(pk)
    return render(request, "finance/risk/detail.html", _detail_context(request, risk))


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def risk_for_order(request, order_id: int):
    """From the order page's hold banner: the order's risk review, or the queue if it was never scored."""
    risk = selectors.orderrisk_for_order(order_id=order_id)
    if risk is None:
        return redirect("finance:risk-queue")
    return redirect("finance:risk-detail", pk=risk.pk)


def _review(request, pk: int, *, action: str):
    risk = _risk_or_404(pk)
    form = RiskReviewForm(request.POST, prefix=action)
    if form.is_valid():
        service = services.risk_release if action == "release" else services.risk_cancel
        try:
            service(risk=risk, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            order = risk.order
            if action == "release":
                text = _("Order %(order)s released: it may ship.")
            else:
                text = _("Order %(order)s cancelled; its stock reservations were released.")
            messages.success(request, text % {"order": f"{order.channel.code}:{order.external_id}"})
            return redirect(reverse("finance:risk-queue"))
    risk = _risk_or_404(pk)
    forms = {f"{action}_form": form}
    return render(request, "finance/risk/detail.html", _detail_context(request, risk, **forms), status=400)


@roles.permission_required(roles.FINANCE_AREA, CHANGE_PERMISSION)
@require_POST
def risk_release(request, pk: int):
    """Release a held order (note required): the hold is lifted and the order may ship."""
    return _review(request, pk, action="release")


@roles.permission_required(roles.FINANCE_AREA, CHANGE_PERMISSION)
@require_POST
def risk_cancel(request, pk: int):
    """Cancel a held order (note required): cancelled, its reservations released, the hold lifted."""
    return _review(request, pk, action="cancel")
