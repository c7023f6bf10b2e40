"""Customer pages: RFM segments (the R×F grid and each segment's customers), membership tiers and
settings, a customer's points, the win-back and birthday lists.

Marketing, manager and admin read every page; the forms that write (tier thresholds, settings, points
redemption) need the model permission that marketing and admin hold (manager reads only: 403 on POST).
Customers' names and phones are masked for roles that do not handle personal data
(shopops.common.privacy).
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import MemberTier
from marketing import membership, rfm
from marketing.forms_customers import MarketingSettingsForm, RedeemForm, TierForm
from marketing.models import CustomerRFM, MarketingSettings, MembershipTierRule, PointsEntry
from marketing.selectors import customers as selectors
from marketing.services import customers as services
from orders import selectors as order_selectors
from orders.models import Customer, Order
from shopops.common import roles
from shopops.common.dates import shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page
from shopops.common.privacy import can_see_personal_data, mask_name, mask_phone

SEGMENT_LABELS = dict(CustomerRFM.Segment.choices)
SEGMENT_MEANINGS = {
    rfm.CHAMPIONS: gettext_lazy("Bought recently and often (R 4-5, F 4-5)."),
    rfm.LOYAL: gettext_lazy("Buy often, fairly recently (R 3-5, F 3-5, not champions)."),
    rfm.POTENTIAL: gettext_lazy("Recent, few orders so far (R 3-4, F 1-2)."),
    rfm.NEW: gettext_lazy("Bought very recently, few orders so far (R 5, F 1-2)."),
    rfm.AT_RISK: gettext_lazy("Used to buy often, silent for a while (R 1-2, F 3-5): do not lose them."),
    rfm.HIBERNATING: gettext_lazy("Few orders, silent for a while (R 2, F 1-2)."),
    rfm.LOST: gettext_lazy("Few orders, silent the longest (R 1, F 1-2), or no order in the window."),
}
SEGMENT_COLORS = {
    rfm.CHAMPIONS: "#198754",
    rfm.LOYAL: "#20c997",
    rfm.POTENTIAL: "#0dcaf0",
    rfm.NEW: "#0d6efd",
    rfm.AT_RISK: "#fd7e14",
    rfm.HIBERNATING: "#adb5bd",
    rfm.LOST: "#6c757d",
}
TREATMENTS = {
    rfm.ONE_TO_ONE: gettext_lazy("One-to-one offer"),
    rfm.BATCH: gettext_lazy("Batch promotion"),
}
KIND_LABELS = dict(PointsEntry.Kind.choices)


DEFAULT_TIER_NAMES = {rule.code: rule.name for rule in membership.DEFAULT_TIERS}


def _tier_label(code: str, name: str) -> str:
    """A tier's name; a default tier still under its default (English) name shows the catalogue's
    translated member-tier label."""
    if DEFAULT_TIER_NAMES.get(code) == name and code in MemberTier.values:
        return str(MemberTier(code).label)
    return name


def _tier_labels() -> dict[str, str]:
    return {
        code: _tier_label(code, name) for code, name in MembershipTierRule.objects.values_list("code", "name")
    }


def _member(customer):
    """The customer's membership or None (a reverse one-to-one that may be missing)."""
    try:
        return customer.membership
    except Customer.membership.RelatedObjectDoesNotExist:
        return None


def _person(customer, show_personal: bool) -> tuple[str, str]:
    if show_personal:
        return customer.name, customer.phone
    return mask_name(customer.name), mask_phone(customer.phone)


def _tabs(active: str) -> list[dict]:
    return [
        {"key": key, "label": label, "url": reverse(name), "active": key == active}
        for key, label, name in (
            ("segments", _("Segments"), "marketing:segment-grid"),
            ("membership", _("Membership"), "marketing:membership"),
            ("winback", _("Win-back"), "marketing:winback-list"),
            ("birthdays", _("Birthdays"), "marketing:birthday-list"),
        )
    ]


# -- segments ---------------------------------------------------------------------------------------------


def _segment_figure(segments: list[dict]) -> dict:
    """Customers and value per segment: value as bars (left axis), customers as markers (right axis)."""
    names = [str(SEGMENT_LABELS[s["segment"]]) for s in segments]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=names,
            y=[float(s["value"]) for s in segments],
            name=_("Value (net spend in the window)"),
            marker={"color": [SEGMENT_COLORS[s["segment"]] for s in segments]},
        )
    )
    figure.add_trace(
        go.Scatter(
            x=names,
            y=[s["customers"] for s in segments],
            name=_("Customers"),
            mode="markers",
            marker={"color": "#212529", "size": 10, "symbol": "diamond"},
            yaxis="y2",
        )
    )
    figure.update_layout(
        title=_("Value and customers per segment"),
        height=320,
        template="plotly_white",
        margin={"l": 60, "r": 60, "t": 50, "b": 50},
        yaxis={"tickprefix": "¥", "title": _("Value")},
        yaxis2={"overlaying": "y", "side": "right", "title": _("Customers"), "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return json.loads(figure.to_json())


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def segment_grid(request):
    """The R×F grid of the last RFM build (customers and value per cell, coloured by segment) and one
    row per segment: customers, share, value, average recency, orders and spend."""
    summary = selectors.segment_summary()
    for row in summary["grid"]:
        for cell in row:
            cell["label"] = SEGMENT_LABELS[cell["segment"]]
            cell["color"] = SEGMENT_COLORS[cell["segment"]]
    for segment in summary["segments"]:
        segment["label"] = SEGMENT_LABELS[segment["segment"]]
        segment["meaning"] = SEGMENT_MEANINGS[segment["segment"]]
        segment["color"] = SEGMENT_COLORS[segment["segment"]]
    return render(
        request,
        "marketing/customers/segments.html",
        {
            "summary": summary,
            "chart": _segment_figure(summary["segments"]) if summary["customers"] else None,
            "settings": MarketingSettings.current(),
            "tabs": _tabs("segments"),
            "scores": list(rfm.SCORES),
        },
    )


def _score(value: str) -> int | None:
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def segment_customers(request, segment: str):
    """One segment's customers (or one R×F cell of it: ?r=&f=), most valuable first; CSV/XLSX export."""
    if segment not in rfm.SEGMENTS:
        raise Http404(_("No such segment."))
    params = request.GET
    r, f = _score(params.get("r", "")), _score(params.get("f", ""))
    rows = selectors.segment_customer_list(segment=segment, search=params.get("q", "").strip(), r=r, f=f)
    show_personal = can_see_personal_data(request.user)
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return _customers_export(rows, fmt, filename=f"segment-{segment}", show_personal=show_personal)
    page_obj = paginate(request, rows)
    tiers = _tier_labels()
    for row in page_obj:
        row.person_name, row.person_phone = _person(row.customer, show_personal)
        row.member = _member(row.customer)
        row.tier_label = tiers.get(row.member.tier, row.member.tier) if row.member else ""
    return render(
        request,
        "marketing/customers/segment_customers.html",
        {
            "segment": segment,
            "label": SEGMENT_LABELS[segment],
            "meaning": SEGMENT_MEANINGS[segment],
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": params,
            "cell": {"r": r, "f": f} if r and f else None,
            "tabs": _tabs("segments"),
        },
    )


def _customer_columns() -> list[str]:
    return [
        _("Customer"),
        _("Channel"),
        _("Name"),
        _("Phone"),
        _("Segment"),
        "R",
        "F",
        "M",
        _("Days since last order"),
        _("Orders in the window"),
        _("Spend in the window"),
        _("Tier"),
        _("Points"),
    ]


EXPORT_FIELDS = (
    "customer__external_id",
    "customer__channel__code",
    "customer__name",
    "customer__phone",
    "segment",
    "r",
    "f",
    "m",
    "recency_days",
    "frequency",
    "monetary",
    "customer__membership__tier",
    "customer__membership__points",
)


def _customers_export(rows, fmt: str, *, filename: str, show_personal: bool, treatment: bool = False):
    """Plain rows of the list (values, not model instances: 30k customers export in about a second)."""
    tiers = _tier_labels()
    segments = {code: str(label) for code, label in SEGMENT_LABELS.items()}
    treatments = {code: str(label) for code, label in TREATMENTS.items()}
    headers = _customer_columns() + ([_("Treatment")] if treatment else [])
    fields = EXPORT_FIELDS + (("treatment",) if treatment else ())

    def lines():
        for values in rows.values_list(*fields).iterator(chunk_size=2000):
            (
                external_id,
                channel,
                name,
                phone,
                segment,
                r,
                f,
                m,
                recency,
                frequency,
                monetary,
                tier,
                points,
            ) = values[:13]
            if not show_personal:
                name, phone = mask_name(name), mask_phone(phone)
            cells = [
                external_id,
                channel,
                name,
                phone,
                segments[segment],
                r,
                f,
                m,
                recency,
                frequency,
                monetary,
                tiers.get(tier, tier or ""),
                points or 0,
            ]
            if treatment:
                cells.append(treatments[values[13]])
            yield cells

    return export_response(filename=filename, fmt=fmt, headers=headers, rows=lines())


# -- win-back and birthdays -------------------------------------------------------------------------------


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def winback_list(request):
    """Customers silent for more than the win-back days, high-value first: one-to-one offers for frequent
    buyers (F ≥ 3) and high value (M ≥ 4), a batch promotion for the others. CSV/XLSX export."""
    params = request.GET
    settings = MarketingSettings.current()
    channels = list(order_selectors.channel_list())
    channel = params.get("channel", "") if params.get("channel", "") in {c.code for c in channels} else ""
    treatment = params.get("treatment", "") if params.get("treatment", "") in TREATMENTS else ""
    rows = selectors.winback_list(winback_days=settings.winback_days, treatment=treatment, channel=channel)
    show_personal = can_see_personal_data(request.user)
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return _customers_export(rows, fmt, filename="win-back", show_personal=show_personal, treatment=True)
    page_obj = paginate(request, rows)
    tiers = _tier_labels()
    for row in page_obj:
        row.person_name, row.person_phone = _person(row.customer, show_personal)
        row.member = _member(row.customer)
        row.tier_label = tiers.get(row.member.tier, row.member.tier) if row.member else ""
        row.segment_label = SEGMENT_LABELS[row.segment]
        row.treatment_label = TREATMENTS[row.treatment]
    return render(
        request,
        "marketing/customers/winback.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": params,
            "settings": settings,
            "counts": selectors.winback_counts(winback_days=settings.winback_days),
            "treatments": list(TREATMENTS.items()),
            "channels": channels,
            "computed_on": CustomerRFM.objects.order_by("-computed_on")
            .values_list("computed_on", flat=True)
            .first(),
            "high_value_f": rfm.HIGH_VALUE_F,
            "high_value_m": rfm.HIGH_VALUE_M,
            "tabs": _tabs("winback"),
        },
    )


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def birthday_list(request):
    """Members whose birthday is in the next 30 days, soonest first (for birthday gifts); CSV/XLSX."""
    params = request.GET
    today = shop_today()
    tiers = _tier_labels()
    tier = params.get("tier", "") if params.get("tier", "") in tiers else ""
    rows = selectors.birthday_list(today=today, tier=tier)
    show_personal = can_see_personal_data(request.user)
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="birthdays",
            fmt=fmt,
            headers=[
                _("Customer"),
                _("Channel"),
                _("Name"),
                _("Phone"),
                _("Birthday"),
                _("Days until"),
                _("Tier"),
                _("Points"),
            ],
            rows=(
                [
                    m.customer.external_id,
                    m.customer.channel.code,
                    *_person(m.customer, show_personal),
                    membership.next_birthday(m.birthday, today),
                    m.days_until,
                    tiers.get(m.tier, m.tier),
                    m.points,
                ]
                for m in rows.iterator(chunk_size=2000)
            ),
        )
    page_obj = paginate(request, rows)
    for m in page_obj:
        m.person_name, m.person_phone = _person(m.customer, show_personal)
        m.next_birthday = membership.next_birthday(m.birthday, today)
        m.tier_label = tiers.get(m.tier, m.tier)
    return render(
        request,
        "marketing/customers/birthdays.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": params,
            "tiers": sorted(tiers.items(), key=lambda item: item[0]),
            "days": selectors.BIRTHDAY_DAYS,
            "today": today,
            "tabs": _tabs("birthdays"),
        },
    )


# -- membership -------------------------------------------------------------------------------------------


def _tier_forms(rules, data=None) -> list[tuple[MembershipTierRule, TierForm]]:
    return [
        (
            rule,
            TierForm(
                data,
                prefix=rule.code,
                initial={
                    "name": rule.name,
                    "min_spend": rule.min_spend,
                    "min_orders": rule.min_orders,
                    "points_multiplier": rule.points_multiplier,
                },
            ),
        )
        for rule in rules
    ]


@roles.area_required(roles.MARKETING_AREA)
def membership_page(request):
    """The tiers with their members and thresholds (editable by marketing and admin), and the shop's
    marketing settings (RFM window, win-back days, points rate, value and expiry)."""
    rules = services.membership_tiers_ensure()
    can_edit_tiers = request.user.has_perm(services.TIERS_PERMISSION)
    can_edit_settings = request.user.has_perm(services.SETTINGS_PERMISSION)
    settings = MarketingSettings.current()
    tier_forms = _tier_forms(rules)
    settings_form = MarketingSettingsForm(instance=settings)
    table_errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not (can_edit_tiers or can_edit_settings):
            raise PermissionDenied  # a role that only reads (the manager): every POST, whatever its action
        action = request.POST.get("action")
        if action == "tiers":
            if not can_edit_tiers:
                raise PermissionDenied
            tier_forms = _tier_forms(rules, request.POST)
            if all(form.is_valid() for _rule, form in tier_forms):
                try:
                    services.membership_tiers_update(
                        changes={rule.code: form.cleaned_data for rule, form in tier_forms}
                    )
                except ValidationError as exc:
                    forms_by_code = {rule.code: form for rule, form in tier_forms}
                    for key, errors in exc.message_dict.items():
                        if key in forms_by_code:
                            for message in errors:
                                forms_by_code[key].add_error(None, message)
                        else:
                            table_errors.extend(errors)
                else:
                    messages.success(
                        request, _("Tier thresholds saved; members move at the next nightly run.")
                    )
                    return redirect("marketing:membership")
            status = 400
        elif action == "settings":
            if not can_edit_settings:
                raise PermissionDenied
            settings_form = MarketingSettingsForm(request.POST, instance=MarketingSettings.current())
            if settings_form.is_valid():
                services.marketing_settings_update(
                    data={field: settings_form.cleaned_data[field] for field in services.SETTINGS_FIELDS}
                )
                messages.success(request, _("Marketing settings saved."))
                return redirect("marketing:membership")
            status = 400
        else:
            return redirect("marketing:membership")
    summary = {row["rule"].code: row for row in selectors.membership_tier_summary() if row["rule"]}
    find = request.GET.get("find", "").strip()
    show_personal = can_see_personal_data(request.user)
    tiers = _tier_labels()
    found = []
    for customer in selectors.customer_find(query=find) if find else []:
        member = _member(customer)
        name, phone = _person(customer, show_personal)
        found.append(
            {
                "customer": customer,
                "name": name,
                "phone": phone,
                "tier": tiers.get(member.tier, member.tier) if member else "",
                "points": member.points if member else None,
            }
        )
    return render(
        request,
        "marketing/customers/membership.html",
        {
            "tiers": [
                {
                    "rule": rule,
                    "form": form,
                    "label": _tier_label(rule.code, rule.name),
                    "members": summary.get(rule.code, {}).get("members", 0),
                    "points": summary.get(rule.code, {}).get("points", 0),
                }
                for rule, form in tier_forms
            ],
            "table_errors": table_errors,
            "find": find,
            "found": found,
            "find_limit": selectors.FIND_LIMIT,
            "settings": settings,
            "settings_form": settings_form,
            "can_edit_tiers": can_edit_tiers,
            "can_edit_settings": can_edit_settings,
            "tabs": _tabs("membership"),
        },
        status=status,
    )


# -- a customer's points ----------------------------------------------------------------------------------


def _entry_description(entry) -> str:
    """What a system entry (no note) means, in the reader's language."""
    if entry.kind == PointsEntry.Kind.EARN:
        return _("Earned by a delivered order")
    if entry.kind == PointsEntry.Kind.EXPIRE:
        return _("Unused points of the order expired")
    if entry.kind == PointsEntry.Kind.ADJUST and entry.order_id:
        if entry.order.status == Order.Status.REFUNDED:
            return _("Order refunded: its unused points taken back")
        return _("Order returned: its unused points taken back")
    return ""


@roles.area_required(roles.MARKETING_AREA)
def customer_points(request, customer_id: int):
    """A customer's membership and points ledger, and the redeem form (marketing and admin)."""
    try:
        customer = selectors.customer_get(customer_id=customer_id)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    can_redeem = request.user.has_perm(services.POINTS_PERMISSION)
    today = shop_today()
    form = RedeemForm()
    status = 200
    if request.method == "POST":
        if not can_redeem:
            raise PermissionDenied
        form = RedeemForm(request.POST)
        if form.is_valid():
            try:
                entry = services.points_redeem(
                    customer=customer,
                    points=form.cleaned_data["points"],
                    note=form.cleaned_data["note"],
                    today=today,
                    user=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("%(points)s points redeemed.") % {"points": -entry.points})
                return redirect("marketing:customer-points", customer_id=customer.pk)
        status = 400
    member = selectors.customer_membership(customer_id=customer.pk)
    settings = MarketingSettings.current()
    rfm_row = CustomerRFM.objects.filter(customer=customer).first()
    page_obj = paginate(request, selectors.points_ledger(customer_id=customer.pk))
    for entry in page_obj:
        entry.kind_label = KIND_LABELS.get(entry.kind, entry.kind)
        entry.description = entry.note or _entry_description(entry)
    name, phone = _person(customer, can_see_personal_data(request.user))
    balance = member.points if member else 0
    return render(
        request,
        "marketing/customers/points.html",
        {
            "customer": customer,
            "person_name": name,
            "person_phone": phone,
            "member": member,
            "tier_label": _tier_labels().get(member.tier, member.tier) if member else "",
            "balance": balance,
            "balance_value": membership.points_value(points=balance, value_per_100=settings.points_value),
            "available": selectors.points_available(customer_id=customer.pk, today=today),
            "expiring": selectors.points_expiring(customer_id=customer.pk, today=today),
            "rfm": rfm_row,
            "segment_label": SEGMENT_LABELS.get(rfm_row.segment, "") if rfm_row else "",
            "settings": settings,
            "form": form,
            "can_redeem": can_redeem,
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "tabs": _tabs(""),
        },
        status=status,
    )
