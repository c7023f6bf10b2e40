"""Promotion pages: the list (filters, CSV/XLSX export), a promotion's page, and the editor with its live
"try a cart" simulator.

Reading pages are the marketing area's (marketing, manager, admin). The editor writes: it needs
``marketing.add_promotion`` (new) or ``marketing.change_promotion`` (edit), which marketing and admin
hold and manager does not (403). The simulator only prices a cart (it writes nothing), so it is open to
the marketing area, like the quote API is to any client with the pricing scope.

The editor validates with ``promotion_clean`` (the API's validator), so a field error reads the same in
the browser and the API, and saves with ``promotion_create`` / ``promotion_update``. Margin-floor and
gift-cost warnings (``warnings_for_draft``) show in the simulator as the promotion is typed; saving a
promotion that has warnings asks for an explicit confirmation first.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors as catalog_selectors
from catalog.models import MemberTier
from marketing.forms_promotions import (
    KIND_PARAMS,
    MAX_CART_LINES,
    MEMBER_TIER_PARAM,
    MIN_CART_LINES,
    TIER_KINDS,
    PromotionEditor,
    SimulatorForm,
    aware_iso,
    cart_lines,
    initial_blank,
    initial_from_promotion,
    split_codes,
)
from marketing.forms_promotions import (
    CartLine as SimCartLine,
)
from marketing.models import Promotion, PromotionCustomerUsage, Redemption
from marketing.promotion_params import promotion_as_json, promotion_clean
from marketing.selectors import promotions as promotion_selectors
from marketing.services import promotions as promotion_services
from shopops.common import roles
from shopops.common.channels import channel_list
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.money import format_money
from shopops.common.pagination import paginate, querystring_without_page

ADD_PERMISSION = "marketing.add_promotion"
EDIT_PERMISSION = "marketing.change_promotion"
SIMULATION_CODE = "SIMULATOR-DRAFT"  # stands in for a draft's missing or taken code while simulating

STATUS_LIVE, STATUS_UPCOMING, STATUS_ENDED, STATUS_DRAFT = "live", "upcoming", "ended", "draft"
STATUSES = [
    (STATUS_LIVE, gettext_lazy("Live")),
    (STATUS_UPCOMING, gettext_lazy("Upcoming")),
    (STATUS_ENDED, gettext_lazy("Ended")),
    (STATUS_DRAFT, gettext_lazy("Draft or paused")),
]
STATUS_LABELS = dict(STATUSES)
STATUS_BADGES = {
    STATUS_LIVE: "text-bg-success",
    STATUS_UPCOMING: "text-bg-info",
    STATUS_ENDED: "text-bg-secondary",
    STATUS_DRAFT: "text-bg-warning",
}


# --- access -------------------------------------------------------------------------------------------


def _url_or_none(name: str, *args) -> str | None:
    """The URL of a page another part of marketing provides, or None while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- the list query ------------------------------------------------------------------------


def promotion_page_list(*, status: str = "", kind: str = "", search: str = "", now: datetime) -> QuerySet:
    """``promotion_list`` (status live / upcoming / ended / draft, kind, search on code or name) with
    each promotion's accepted redemptions (``redemptions_accepted``) and coupon count (``coupon_count``)."""
    promotions = promotion_selectors.promotion_list(status=status, kind=kind, search=search, now=now)
    accepted = Count("redemptions", filter=Q(redemptions__status=Redemption.Status.ACCEPTED), distinct=True)
    coupons = Count("coupons", distinct=True)
    return promotions.annotate(redemptions_accepted=accepted, coupon_count=coupons)


def promotion_status(promotion: Promotion, now: datetime) -> str:
    """draft (inactive, whatever its dates), upcoming, ended or live, as the API says it."""
    return promotion_selectors.promotion_status(promotion, now=now)


# --- list ---------------------------------------------------------------------------------------------


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def promotion_list(request):
    """Promotions: filter by status (live / upcoming / ended / draft), kind and text; export CSV or XLSX."""
    params = request.GET
    now = timezone.now()
    status = params.get("status", "")
    if status not in STATUS_LABELS:
        status = ""
    kind = params.get("kind", "")
    if kind not in Promotion.Kind.values:
        kind = ""
    promotions = promotion_page_list(status=status, kind=kind, search=params.get("q", "").strip(), now=now)
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return _export(promotions, fmt, now)
    page_obj = paginate(request, promotions)
    for promotion in page_obj:
        promotion.status = promotion_status(promotion, now)
        promotion.status_label = STATUS_LABELS[promotion.status]
        promotion.status_badge = STATUS_BADGES[promotion.status]
    return render(
        request,
        "marketing/promotions/list.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "statuses": STATUSES,
            "kinds": Promotion.Kind.choices,
            "filters": params,
            "can_add": request.user.has_perm(ADD_PERMISSION),
        },
    )


def _export(promotions: QuerySet, fmt: str, now: datetime):
    kinds = dict(Promotion.Kind.choices)

    def rows():
        for p in promotions.iterator(chunk_size=1000):
            yield (
                p.code,
                p.name,
                str(kinds.get(p.kind, p.kind)),
                str(STATUS_LABELS[promotion_status(p, now)]),
                timezone.localtime(p.starts_at).strftime("%Y-%m-%d %H:%M") if p.starts_at else "",
                timezone.localtime(p.ends_at).strftime("%Y-%m-%d %H:%M") if p.ends_at else "",
                p.priority,
                p.exclusive,
                p.coupon_required,
                p.used,
                p.usage_limit,
                p.per_customer_limit,
                p.redemptions_accepted,
                p.loss_leader,
            )

    return export_response(
        filename="promotions",
        fmt=fmt,
        headers=[
            _("Code"),
            _("Name"),
            _("Kind"),
            _("Status"),
            _("Starts at"),
            _("Ends at"),
            _("Priority"),
            _("Exclusive"),
            _("Needs a coupon"),
            _("Times used"),
            _("Usage limit"),
            _("Per-customer limit"),
            _("Redemptions"),
            _("Loss leader"),
        ],
        rows=rows(),
    )


# --- detail -------------------------------------------------------------------------------------------


def _promotion_or_404(code: str) -> Promotion:
    try:
        return Promotion.objects.select_related("campaign", "created_by").get(code=code)
    except Promotion.DoesNotExist:
        raise Http404(_("No promotion with this code.")) from None


def _param_rows(promotion: Promotion) -> list[tuple[str, str]]:
    """The kind's parameters as (label, shown value), money formatted, percentages with "%"."""
    params = promotion.params or {}
    rows = []
    money_names = {"min_spend", "amount", "price", "threshold"}
    for name, label, _input in KIND_PARAMS.get(promotion.kind, []):
        value = params.get(name)
        if value in (None, ""):
            continue
        if name in money_names:
            shown = format_money(value)
        elif name == "percent":
            shown = f"{value} %"
        elif name == "level":
            shown = _("On the order") if value == "order" else _("On the lines")
        else:
            shown = str(value)
        rows.append((str(label), shown))
    if promotion.kind == "member_price":
        labels = dict(MemberTier.choices)
        for tier, percent in (params.get("tiers") or {}).items():
            rows.append((str(labels.get(tier, tier)), f"{percent} %"))
    return rows


def _tier_rows(promotion: Promotion) -> list[dict]:
    if promotion.kind not in TIER_KINDS:
        return []
    key = TIER_KINDS[promotion.kind]
    return [
        {
            "threshold": format_money(row.get("threshold")),
            "value": format_money(row.get(key)) if key == "amount" else f"{row.get(key)} %",
        }
        for row in (promotion.params or {}).get("tiers") or []
    ]


def _scope_rows(promotion: Promotion) -> list[tuple[str, list[str]]]:
    scope = promotion.scope or {}
    return [
        (_("SKUs"), scope.get("skus") or []),
        (_("Categories"), scope.get("categories") or []),
        (_("Channels"), scope.get("channels") or []),
        (_("Member tiers"), scope.get("member_tiers") or []),
    ]


def saved_promotion_warnings(promotion: Promotion) -> list[str]:
    """Margin-floor and gift-cost warnings of a saved promotion (as the editor would show them)."""
    from marketing.services.quote import warnings_for_draft

    cleaned, errors = promotion_clean(promotion_as_json(promotion), promotion=promotion)
    if errors or cleaned is None:
        return []
    return [str(w) for w in warnings_for_draft(cleaned)]


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def promotion_detail(request, code: str):
    """One promotion: its rule (kind, parameters, scope, schedule, limits), its usage (times used,
    customers, redemptions accepted and refused, discount recorded), coupons, flash-sale units."""
    promotion = _promotion_or_404(code)
    now = timezone.now()
    status = promotion_status(promotion, now)
    redemptions = {
        row["status"]: row
        for row in Redemption.objects.filter(promotion=promotion)
        .values("status")
        .annotate(count=Count("id"), discount=Sum("discount"))
    }
    accepted = redemptions.get(Redemption.Status.ACCEPTED, {})
    refused = redemptions.get(Redemption.Status.REFUSED, {})
    pool = getattr(promotion, "flash_pool", None) if promotion.kind == Promotion.Kind.FLASH_SALE else None
    return render(
        request,
        "marketing/promotions/detail.html",
        {
            "promotion": promotion,
            "status": status,
            "status_label": STATUS_LABELS[status],
            "status_badge": STATUS_BADGES[status],
            "param_rows": _param_rows(promotion),
            "tier_rows": _tier_rows(promotion),
            "scope_rows": _scope_rows(promotion),
            "customers": PromotionCustomerUsage.objects.filter(promotion=promotion, used__gt=0).count(),
            "redemptions_accepted": accepted.get("count", 0),
            "redemptions_refused": refused.get("count", 0),
            "discount_recorded": accepted.get("discount") or 0,
            "coupon_count": promotion.coupons.count(),
            "pool": pool,
            "pool_remaining": (pool.quantity - pool.claimed) if pool else None,
            "warnings": saved_promotion_warnings(promotion),
            "sim_form": simulator_form(),
            "lines": cart_lines(),
            "simulation": {"quote": None},
            "can_edit": request.user.has_perm(EDIT_PERMISSION),
            "results_url": _url_or_none("marketing:promotion-result", promotion.code),
            "coupons_url": _url_or_none("marketing:coupon-list"),
            "campaign_url": _url_or_none("marketing:campaign-detail", promotion.campaign.code)
            if promotion.campaign
            else None,
        },
    )


# --- editor -------------------------------------------------------------------------------------------


def _editor_build(request, promotion: Promotion | None, *, data=None) -> PromotionEditor:
    categories = list(catalog_selectors.category_list())
    channels = channel_list()
    if data is not None:
        return PromotionEditor.build(
            data=data,
            categories=categories,
            channels=channels,
            lock_code=promotion is not None,
            fixed_code=promotion.code if promotion else "",
        )
    initial = initial_from_promotion(promotion) if promotion else initial_blank()
    return PromotionEditor.build(
        initial=initial, categories=categories, channels=channels, lock_code=promotion is not None
    )


@roles.permission_required(roles.MARKETING_AREA, ADD_PERMISSION)
def promotion_create(request):
    """A new promotion."""
    return _editor(request, None)


@roles.permission_required(roles.MARKETING_AREA, EDIT_PERMISSION)
def promotion_edit(request, code: str):
    """Edit a promotion (its code is its name in URLs and the API: it stays)."""
    return _editor(request, _promotion_or_404(code))


def _editor(request, promotion: Promotion | None):
    """GET: the form (a saved promotion's values, or a blank 满减). POST with ``_action`` (a tier or cart
    line added or removed, the kind changed): the form again with the change, nothing saved (htmx gets
    the editor alone). POST without: validate, ask to confirm warnings, save, go to the promotion."""
    if promotion is not None:
        editor_url = reverse("marketing:promotion-edit", args=[promotion.code])
    else:
        editor_url = reverse("marketing:promotion-create")
    if request.method != "POST":
        editor = _editor_build(request, promotion)
        lines = cart_lines()
        simulation = simulate(None, editor, promotion, lines=lines)
        context = _editor_context(request, editor, promotion, editor_url, simulation, lines)
        return render(request, "marketing/promotions/editor.html", context)

    editor = _editor_build(request, promotion, data=request.POST)
    lines = cart_lines(request.POST)
    action = request.POST.get("_action", "")
    if action:
        _editor_action(action, editor, lines)
        simulation = simulate(request.POST, editor, promotion, lines=lines)
        context = _editor_context(request, editor, promotion, editor_url, simulation, lines)
        partial = "_editor" if request.htmx else "editor"
        return render(request, f"marketing/promotions/{partial}.html", context)

    saved, warnings, status = _editor_save(request, editor, promotion)
    if saved is not None:
        if warnings:
            message = _("Saved promotion %(code)s with %(count)s warning(s) confirmed.")
            messages.warning(request, message % {"code": saved.code, "count": len(warnings)})
        else:
            messages.success(request, _("Saved promotion %(code)s.") % {"code": saved.code})
        return redirect("marketing:promotion-detail", code=saved.code)
    simulation = simulate(request.POST, editor, promotion, lines=lines)
    context = _editor_context(request, editor, promotion, editor_url, simulation, lines)
    context["confirm"] = warnings if status == 200 else None
    context["confirm_token"] = warnings_token(warnings) if status == 200 else ""
    return render(request, "marketing/promotions/editor.html", context, status=status)


def _editor_action(action: str, editor: PromotionEditor, lines: list[SimCartLine]) -> None:
    if action == "tier-add":
        editor.tier_add()
    elif action.startswith("tier-remove-"):
        editor.tier_remove(_int(action.rsplit("-", 1)[1]))
    elif action == "line-add" and len(lines) < MAX_CART_LINES:
        lines.append(SimCartLine())
    elif action.startswith("line-remove-"):
        position = _int(action.rsplit("-", 1)[1])
        if 0 <= position < len(lines) and len(lines) > 1:
            del lines[position]
        while len(lines) < MIN_CART_LINES:
            lines.append(SimCartLine())


def _editor_save(request, editor: PromotionEditor, promotion: Promotion | None):
    """(saved promotion or None, warnings, status). Field errors: (None, [], 400) with the errors on the
    editor. Warnings not confirmed (the box posts the token of exactly these warnings): (None, warnings,
    200). Saved: (promotion, warnings, 302)."""
    from marketing.services.quote import warnings_for_draft

    cleaned, errors = promotion_clean(editor.data(), promotion=promotion)
    if errors:
        editor.errors_apply(errors)
        return None, [], 400
    warnings = [str(w) for w in warnings_for_draft(cleaned)]
    if warnings and request.POST.get("confirm_warnings") != warnings_token(warnings):
        return None, warnings, 200
    try:
        if promotion is None:
            saved = promotion_services.promotion_create(data=cleaned, user=request.user)
        else:
            saved = promotion_services.promotion_update(promotion=promotion, data=cleaned, user=request.user)
    except ValidationError as exc:
        editor.errors_apply(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return None, [], 400
    return saved, warnings, 302


def warnings_token(warnings: list[str]) -> str:
    """What the "save anyway" box posts: it confirms these warnings, not the ones of a later edit."""
    return hashlib.sha256("\n".join(warnings).encode()).hexdigest()[:16]


def _editor_context(request, editor, promotion, editor_url, simulation, lines) -> dict:
    editor.form.fields["kind"].widget.attrs.update(
        {
            "hx-post": editor_url,
            "hx-trigger": "change consume",
            "hx-target": "#promotion-editor",
            "hx-swap": "outerHTML",
            "hx-vals": '{"_action": "refresh"}',
        }
    )
    for form in (editor.form, editor.params_form, simulation["form"]):
        for name in form.errors if form.is_bound else ():
            if name in form.fields:
                attrs = form.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
    sim_form = simulation["form"]
    return {
        "editor": editor,
        "form": editor.form,
        "params_form": editor.params_form,
        "promotion": promotion,
        "editor_url": editor_url,
        "tier_value_label": _("Amount off (¥)") if editor.kind == "threshold_amount" else _("Percent off"),
        "is_tier_kind": editor.kind in TIER_KINDS,
        "member_tier_param": MEMBER_TIER_PARAM,
        "simulation": simulation,
        "sim_form": sim_form,
        "lines": lines,
    }


def _int(text: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return -1


# --- the simulator ------------------------------------------------------------------------------------


def _draft_for_simulation(editor: PromotionEditor, promotion: Promotion | None):
    """The draft cleaned for pricing, or (None, errors). A missing or taken code (or a missing name) does
    not stop a simulation: a stand-in code prices the draft meanwhile."""
    data = editor.data()
    cleaned, errors = promotion_clean(data, promotion=promotion)
    if errors and set(errors) <= {"code", "name"}:
        stand_in = {**data, "code": SIMULATION_CODE, "name": data["name"] or SIMULATION_CODE}
        cleaned, more = promotion_clean(stand_in, promotion=promotion)
        if not more:
            return cleaned, {}
        errors = more
    return cleaned, errors


def simulate(post, editor: PromotionEditor | None, promotion: Promotion | None, *, lines) -> dict:
    """Price the simulator's cart with the draft as if it were saved: the quote (lines, discounts,
    total, applied promotions, rejected coupons, hints) and the draft's warnings. ``post`` None: the
    page's first view (nothing priced yet, warnings of the saved promotion shown). ``editor`` None: no
    draft, the cart is priced with the saved promotions (``promotion`` gives the default moment: its
    start when that is later than now)."""
    result = _simulate(post, editor, promotion, lines=lines)
    result["line_errors"] = [(row + 1, error) for row, line in enumerate(lines) for error in line.errors]
    return result


def _simulate(post, editor: PromotionEditor | None, promotion: Promotion | None, *, lines) -> dict:
    from marketing.services.quote import promotion_quote, warnings_for_draft

    sim_form = simulator_form(post)
    result = {"form": sim_form, "quote": None, "warnings": [], "draft_errors": [], "errors": [], "at": None}
    if post is None and (promotion is None or editor is None):
        return result
    cleaned = None  # no editor: the saved promotions alone (a promotion's page)
    if editor is not None:
        cleaned, errors = _draft_for_simulation(editor, promotion)
        if errors:
            result["draft_errors"] = sorted({str(m) for messages in errors.values() for m in messages})
            return result
        result["warnings"] = [str(w) for w in warnings_for_draft(cleaned)]
    if post is None or not sim_form.is_valid():
        return result
    cart = []
    for position, line in enumerate(lines):
        if not line.sku and not line.quantity:
            continue
        quantity = _int(line.quantity) if line.quantity else 1
        if not line.sku:
            line.errors.append(_("Give a SKU code."))
        elif quantity < 1:
            line.errors.append(_("Enter a whole number of units, at least 1."))
        else:
            cart.append({"sku": line.sku, "quantity": quantity, "_row": position})
    if any(line.errors for line in lines):
        result["errors"].append(_("Fix the cart lines."))
        return result
    if not cart:
        return result
    data = sim_form.cleaned_data
    at = aware_iso(data["at"])
    try:
        at = datetime.fromisoformat(at) if at else None
    except ValueError:
        sim_form.add_error("at", _("Enter a date and time."))
        return result
    if at is None:
        at = timezone.now()
        starts_at = cleaned["starts_at"] if cleaned else (promotion.starts_at if promotion else None)
        if starts_at and starts_at > at:
            at = starts_at
    result["at"] = at
    try:
        quote = promotion_quote(
            channel=data["channel"],
            lines=[{"sku": row["sku"], "quantity": row["quantity"]} for row in cart],
            customer=data.get("customer") or None,
            coupon_codes=split_codes(data.get("coupon_codes") or ""),
            at=at,
            draft=cleaned,
            member_tier=data.get("member_tier") or None,  # used when there is no customer
        )
    except ValidationError as exc:
        messages_by_key = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        for key, messages_ in messages_by_key.items():
            row = _line_row(key, cart)
            if row is not None:
                lines[row].errors.extend(str(m) for m in messages_)
            else:
                result["errors"].extend(str(m) for m in messages_)
        return result
    result["quote"] = quote
    result["hints"] = [
        {
            "hint": hint,
            "gift": not hint.saving,
            "amount_needed": format_money(hint.amount_needed),
            "saving": format_money(hint.saving),
        }
        for hint in quote.hints
    ]
    return result


def simulator_form(post=None) -> SimulatorForm:
    """The simulator's cart fields."""
    return SimulatorForm(data=post, channels=channel_list())


def _line_row(key: str, cart: list[dict]) -> int | None:
    """The simulator row of an error keyed ``lines[2].sku`` (the index of the lines sent)."""
    if not key.startswith("lines["):
        return None
    try:
        position = int(key[len("lines[") : key.index("]")])
    except ValueError:
        return None
    return cart[position]["_row"] if 0 <= position < len(cart) else None


@roles.area_required(roles.MARKETING_AREA)
def promotion_simulate(request):
    """htmx: the simulator's result for the posted draft and cart (writes nothing). GET gives the empty
    result (the panel before any cart)."""
    if request.method == "GET":
        empty = {"form": simulator_form(), "quote": None}
        return render(request, "marketing/promotions/_simulation.html", {"simulation": empty})
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    saved = request.POST.get("saved", "")
    if saved:  # a promotion's page: its cart priced with the saved promotions, nothing drafted
        promotion, editor = _promotion_or_404(saved), None
    else:
        editing = request.POST.get("editing", "")
        promotion = Promotion.objects.filter(code=editing).first() if editing else None
        editor = _editor_build(request, promotion, data=request.POST)
    simulation = simulate(request.POST, editor, promotion, lines=cart_lines(request.POST))
    return render(request, "marketing/promotions/_simulation.html", {"simulation": simulation})
