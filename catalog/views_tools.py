"""The pricing tools: set one SKU's price or costs, bulk change, channel and member tier prices, bundles.

Every tool previews before it applies, and every price goes through `catalog.services.prices_apply`
(margin floor guard + audit). The plan tools (bulk, channels, tiers) sign the previewed plan into the
apply form, so apply sets exactly what was previewed. Operations and admin (catalog.change_sku) use the
tools; everyone else, manager included, gets 403.
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from catalog import services
from catalog.forms import (
    LIST,
    BulkChangeForm,
    BundleComponentFormSet,
    BundleForm,
    ChannelAdjustmentForm,
    ChannelDeriveForm,
    LossLeaderForm,
    SignedPlanForm,
    SkuCostsForm,
    SkuPriceForm,
    SkuPricePreviewForm,
    TierPriceForm,
)
from catalog.models import SKU, Category, ChannelPrice, MemberTier, MemberTierPrice, PriceChange
from catalog.services import tools
from shopops.common import roles
from shopops.common.channels import channel_list
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

PREVIEW_ROWS_SHOWN = 200
RECENT_CHANGES = 20


def tools_required(view):
    """The catalogue area, and the right to change SKUs (operations, admin); else 403."""

    @roles.area_required(roles.CATALOG)
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(services.EDIT_PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _sku_or_404(code: str) -> SKU:
    try:
        return SKU.objects.select_related("product__category", "costs").get(code=code)
    except SKU.DoesNotExist as exc:
        raise Http404 from exc


def _base(request, tab: str) -> dict:
    return {
        "tab": tab,
        "can_override": request.user.has_perm(services.OVERRIDE_PERMISSION),
    }


def _recent_changes(sku: SKU):
    return sku.price_changes.select_related("changed_by")[:RECENT_CHANGES]


# --- one SKU: price -----------------------------------------------------------------------------------


def _current_prices(sku: SKU) -> list[dict]:
    """The SKU's prices: list, each active channel's (own or the list price), each tier's (or none)."""
    own = dict(ChannelPrice.objects.filter(sku=sku).values_list("channel", "price"))
    tiers = dict(MemberTierPrice.objects.filter(sku=sku).values_list("tier", "price"))
    rows = [{"target": LIST, "label": _("List price"), "price": sku.list_price, "own": True}]
    for channel in channel_list():
        rows.append(
            {
                "target": f"channel:{channel.code}",
                "label": channel.name,
                "price": own.get(channel.code, sku.list_price),
                "own": channel.code in own,
            }
        )
    for tier, label in MemberTier.choices:
        rows.append(
            {"target": f"tier:{tier}", "label": label, "price": tiers.get(tier), "own": tier in tiers}
        )
    return rows


def _price_plan(sku: SKU, form) -> services.PlannedPrice:
    field, channel, tier = form.target_parts()
    return services.PlannedPrice(
        sku_id=sku.pk, new_value=form.cleaned_data["price"], field=field, channel=channel, tier=tier
    )


@tools_required
def sku_price(request, code: str):
    """Set one price of a SKU (list, a channel's, a member tier's) with a live preview of the margin
    against the floor. Under the floor it is refused unless overridden (permission + reason)."""
    sku = _sku_or_404(code)
    preview = None
    status = 200
    if request.method == "POST" and ("preview" in request.POST or request.htmx):
        form = SkuPricePreviewForm(request.POST)  # a preview needs no reason yet
        if form.is_valid():
            preview = services.prices_preview([_price_plan(sku, form)])[0]
        if request.htmx:
            return render(
                request,
                "catalog/tools/_price_preview.html",
                {**_base(request, "price"), "preview": preview, "form": form, "sku": sku},
            )
    elif request.method == "POST":
        form = SkuPriceForm(request.POST)
        if form.is_valid():
            plan = _price_plan(sku, form)
            try:
                services.prices_apply(
                    plans=[plan],
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                    source=PriceChange.Source.UI,
                    override=form.cleaned_data["override"],
                )
            except services.MarginFloorError as exc:
                form.add_error(None, exc.messages[0])
                preview = exc.rows[0]
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Saved the new price of %(sku)s.") % {"sku": sku.code},
                )
                return redirect("catalog:sku-price", code=sku.code)
        cleaned = getattr(form, "cleaned_data", {})
        if preview is None and "target" in cleaned and "price" in cleaned:
            preview = services.prices_preview([_price_plan(sku, form)])[0]
        status = 400
    else:
        form = SkuPriceForm(initial={"target": LIST, "price": sku.list_price})
        preview = services.prices_preview([services.PlannedPrice(sku_id=sku.pk, new_value=sku.list_price)])[0]
    return render(
        request,
        "catalog/tools/sku_price.html",
        {
            **_base(request, "price"),
            "sku": sku,
            "form": form,
            "preview": preview,
            "prices": _current_prices(sku),
            "changes": _recent_changes(sku),
        },
        status=status,
    )


# --- one SKU: costs -----------------------------------------------------------------------------------


@tools_required
def sku_costs(request, code: str):
    """A SKU's costs (purchase, inbound, packaging, outbound shipping, marketing allocation) and its
    loss-leader status (reason, end date, own floor)."""
    sku = _sku_or_404(code)
    extra = services.sku_costs(sku)
    costs_form = SkuCostsForm(
        prefix="costs",
        initial={
            "unit_cost": sku.unit_cost,
            "inbound_cost": extra.inbound_cost,
            "packaging_cost": extra.packaging_cost,
            "shipping_cost": extra.shipping_cost,
            "marketing_rate": extra.marketing_rate,
        },
    )
    leader_form = LossLeaderForm(
        prefix="ll",
        initial={
            "loss_leader": extra.loss_leader,
            "until": extra.loss_leader_until,
            "floor": extra.loss_leader_floor,
            "reason": extra.loss_leader_reason,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if request.POST.get("action") == "loss_leader":
            leader_form = LossLeaderForm(request.POST, prefix="ll")
            if leader_form.is_valid():
                data = leader_form.cleaned_data
                try:
                    services.sku_loss_leader_set(
                        sku=sku,
                        until=data["until"] if data["loss_leader"] else None,
                        reason=data["reason"],
                        floor=data["floor"] if data["floor"] is not None else Decimal("0"),
                        user=request.user,
                    )
                except ValidationError as exc:
                    errors_to_form(leader_form, exc)
                else:
                    messages.success(
                        request,
                        _("%(sku)s is a loss leader until %(until)s.")
                        % {"sku": sku.code, "until": data["until"].isoformat()}
                        if data["loss_leader"]
                        else _("%(sku)s is not a loss leader.") % {"sku": sku.code},
                    )
                    return redirect("catalog:sku-costs", code=sku.code)
        else:
            costs_form = SkuCostsForm(request.POST, prefix="costs")
            if costs_form.is_valid():
                data = costs_form.cleaned_data
                try:
                    services.sku_costs_set(
                        sku=sku,
                        reason=data["reason"],
                        user=request.user,
                        unit_cost=data["unit_cost"],
                        inbound_cost=data["inbound_cost"],
                        packaging_cost=data["packaging_cost"],
                        shipping_cost=data["shipping_cost"],
                        marketing_rate=data["marketing_rate"],
                    )
                except ValidationError as exc:
                    errors_to_form(costs_form, exc)
                else:
                    messages.success(request, _("Saved the costs of %(sku)s.") % {"sku": sku.code})
                    return redirect("catalog:sku-costs", code=sku.code)
    sku = _sku_or_404(code)
    settings = services.prices.PricingSettings.current()
    costs = services.costs_of(sku, settings)
    floor = services.floor_of(sku, settings=settings)
    preview = services.prices_preview([services.PlannedPrice(sku_id=sku.pk, new_value=sku.list_price)])[0]
    return render(
        request,
        "catalog/tools/sku_costs.html",
        {
            **_base(request, "costs"),
            "sku": sku,
            "extra": services.sku_costs(sku),
            "costs": costs,
            "floor": floor,
            "preview": preview,
            "shop_marketing_rate": settings.marketing_rate,
            "costs_form": costs_form,
            "leader_form": leader_form,
            "changes": _recent_changes(sku),
        },
        status=status,
    )


# --- plan tools: bulk change, channel prices, tier prices ---------------------------------------------


def _plan_context(
    request, *, tool: str, preview: tools.PlanPreview, form_data: dict, apply_form=None
) -> dict:
    """The preview table (capped, breaches first) with its totals and the signed apply form."""
    rows = sorted(preview.rows, key=lambda r: (not r.breach, r.sku.code, r.plan.channel, r.plan.tier))
    if apply_form is None and preview.plans:
        apply_form = SignedPlanForm(
            user=request.user,
            initial={
                "payload": SignedPlanForm.sign(
                    user=request.user,
                    tool=tool,
                    plans=preview.plans,
                    form=form_data,
                    selected=preview.selected,
                    unchanged=preview.unchanged,
                    left_out=preview.left_out,
                )
            },
        )
    return {
        "preview": preview,
        "preview_rows": rows[:PREVIEW_ROWS_SHOWN],
        "preview_hidden": max(len(rows) - PREVIEW_ROWS_SHOWN, 0),
        "apply_form": apply_form,
    }


def _form_data(form) -> dict:
    """The change form's input as typed, to refill it after apply fails."""
    return {
        name: form.data.getlist(form.add_prefix(name))
        for name in form.fields
        if form.add_prefix(name) in form.data
    }


def _refill(form_class, form_data: dict):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for name, values in (form_data or {}).items():
        data.setlist(name, values)
    return form_class(data)


def _plan_tool(request, *, tool: str, form_class, build, template: str, tab: str, extra_context=None):
    """GET: the change form. POST action=preview: build the plan and show it. POST action=apply: apply the
    signed plan with a reason (breaches need the override permission and the box ticked)."""
    context = {**_base(request, tab), **(extra_context or {})}
    status = 200
    if request.method == "POST" and request.POST.get("action") == "apply":
        apply_form = SignedPlanForm(request.POST, user=request.user)
        apply_form.is_valid()
        payload = apply_form.cleaned_data.get("payload")
        if not isinstance(payload, dict) or payload.get("tool") != tool:
            errors = apply_form.errors.get("payload") or [
                _("The preview could not be verified: preview the change again.")
            ]
            return render(
                request, template, {**context, "form": form_class(), "apply_errors": errors}, status=400
            )
        plans = payload["plans"]
        if apply_form.is_valid():
            try:
                changes = services.prices_apply(
                    plans=plans,
                    reason=apply_form.cleaned_data["reason"],
                    user=request.user,
                    source=PriceChange.Source.BULK,
                    override=apply_form.cleaned_data["override"],
                )
            except ValidationError as exc:
                errors_to_form(apply_form, exc)
            else:
                messages.success(
                    request,
                    _("Applied %(count)s price change(s); each is in its SKU's price history.")
                    % {"count": len(changes)},
                )
                return redirect(request.path)
        preview = tools.PlanPreview(
            plans=plans,
            rows=services.prices_preview(plans),
            selected=payload.get("selected", 0),
            unchanged=payload.get("unchanged", 0),
            left_out=payload.get("left_out", 0),
        )
        form = _refill(form_class, payload.get("form"))
        form.is_valid()
        context.update(
            _plan_context(request, tool=tool, preview=preview, form_data={}, apply_form=apply_form)
        )
        status = 400
    elif request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                preview = build(form)
            except ValidationError as exc:
                errors_to_form(form, exc)
                status = 400
            else:
                context.update(_plan_context(request, tool=tool, preview=preview, form_data=_form_data(form)))
        else:
            status = 400
    else:
        form = form_class(initial=request.GET.dict() if request.GET else None)
    context["form"] = form
    context["recent"] = (
        PriceChange.objects.filter(source=PriceChange.Source.BULK, changed_by=request.user)
        .select_related("sku")
        .order_by("-changed_at", "-id")[:RECENT_CHANGES]
    )
    return render(request, template, context, status=status)


@tools_required
def bulk_price(request):
    """A bulk price change for a filtered selection: percent or cost-plus, optional X9 rounding, preview
    (old, new, change, margin, floor, breach), then apply exactly the previewed plan with a reason."""

    def build(form):
        data = form.cleaned_data
        return tools.bulk_plan(
            skus=form.skus(),
            channel=data["channel"],
            mode=data["mode"],
            value=data["value"],
            rounding=data["rounding"],
            keep_floor=data["keep_floor"],
            skip_breaches=data["skip_breaches"],
        )

    return _plan_tool(
        request,
        tool="bulk",
        form_class=BulkChangeForm,
        build=build,
        template="catalog/tools/bulk.html",
        tab="bulk",
    )


@tools_required
def channel_prices(request):
    """Each active channel's adjustment (percent, round to 9), and channel prices derived from the list
    price for a selection, previewed and applied."""
    channels = channel_list()
    codes = [c.code for c in channels]
    rules = tools.channel_adjustments(codes)

    def adjustment_forms(data=None):
        return [
            (
                channel,
                ChannelAdjustmentForm(
                    data,
                    prefix=f"adj-{channel.code}",
                    initial={
                        "percent": rules[channel.code].percent,
                        "round_to_9": rules[channel.code].round_to_9,
                    },
                ),
            )
            for channel in channels
        ]

    if request.method == "POST" and request.POST.get("action") == "adjustments":
        forms = adjustment_forms(request.POST)
        if all(form.is_valid() for _channel, form in forms):
            try:
                services.channel_adjustments_set(
                    rules={
                        channel.code: (form.cleaned_data["percent"], form.cleaned_data["round_to_9"])
                        for channel, form in forms
                    }
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Saved the channel adjustments."))
                return redirect("catalog:channel-prices")
        return render(
            request,
            "catalog/tools/channels.html",
            {**_base(request, "channels"), "adjustments": forms, "form": ChannelDeriveForm()},
            status=400,
        )

    def build(form):
        data = form.cleaned_data
        return tools.channel_plan(
            skus=form.skus(),
            channels=data["channels"],
            keep_floor=data["keep_floor"],
            skip_breaches=data["skip_breaches"],
        )

    return _plan_tool(
        request,
        tool="channels",
        form_class=ChannelDeriveForm,
        build=build,
        template="catalog/tools/channels.html",
        tab="channels",
        extra_context={"adjustments": adjustment_forms()},
    )


@tools_required
def tier_prices(request):
    """Member tier prices from a percent off the list price per tier, for a selection."""

    def build(form):
        return tools.tier_plan(
            skus=form.skus(), discounts=form.discounts(), skip_breaches=form.cleaned_data["skip_breaches"]
        )

    return _plan_tool(
        request,
        tool="tiers",
        form_class=TierPriceForm,
        build=build,
        template="catalog/tools/tiers.html",
        tab="tiers",
    )


# --- bundles ------------------------------------------------------------------------------------------


@tools_required
@roles.reading_page
def bundles(request):
    """The bundle SKUs: components, landed cost, price, margin against the floor, available stock."""
    page_obj = paginate(request, services.bundle_list(), per_page=25)
    page_obj.object_list = [(bundle, services.bundle_quote_of(bundle)) for bundle in page_obj.object_list]
    return render(
        request,
        "catalog/tools/bundles.html",
        {**_base(request, "bundles"), "page_obj": page_obj, "query": querystring_without_page(request)},
    )


@tools_required
def bundle_create(request):
    """A new bundle SKU from component SKUs x quantities: preview its landed cost, margin and available
    stock, then create it (its price goes through the floor guard and the audit)."""
    quote = None
    status = 200
    component_errors: list[str] = []
    if request.method == "POST":
        form = BundleForm(request.POST)
        formset = BundleComponentFormSet(request.POST, prefix="c")
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        components = [
            (f.cleaned_data["sku_obj"], f.cleaned_data["quantity"])
            for f in formset.forms
            if formset_ok and f.cleaned_data.get("sku_obj") is not None
        ]
        category = None
        if form_ok:
            category = Category.objects.filter(code=form.cleaned_data["category"]).first()
        if formset_ok and components:
            quote = services.bundle_quote(
                components=components,
                price=form.cleaned_data.get("price") if form_ok else None,
                category=category,
            )
        elif formset_ok:
            component_errors.append(_("Add at least one component SKU."))
        if request.POST.get("action") == "create" and form_ok and formset_ok and components:
            data = form.cleaned_data
            if not data["price"]:
                form.add_error("price", _("Give the bundle a price."))
            if not (data["reason"] or "").strip():
                form.add_error("reason", _("Say why: the reason goes into the price history."))
            if form.is_valid():
                try:
                    bundle = services.bundle_create(
                        code=data["code"],
                        name=data["name"],
                        price=data["price"],
                        components=[(sku.pk, qty) for sku, qty in components],
                        category=category,
                        product_name=data["product_name"],
                        role=data["role"],
                        reason=data["reason"],
                        user=request.user,
                        override=data["override"],
                    )
                except ValidationError as exc:  # the floor guard's refusal included
                    if hasattr(exc, "error_dict"):
                        for field, errors in exc.message_dict.items():
                            for message in errors:
                                if field == "components":
                                    component_errors.append(message)
                                else:
                                    form.add_error(field if field in form.fields else None, message)
                    else:
                        for message in exc.messages:
                            form.add_error(None, message)
                else:
                    messages.success(request, _("Created the bundle %(sku)s.") % {"sku": bundle.code})
                    return redirect("catalog:bundles")
        if request.POST.get("action") == "create" or not (form_ok and formset_ok):
            status = 400
    else:
        form = BundleForm()
        formset = BundleComponentFormSet(prefix="c")
    return render(
        request,
        "catalog/tools/bundle_create.html",
        {
            **_base(request, "bundles"),
            "form": form,
            "formset": formset,
            "quote": quote,
            "component_errors": component_errors,
            "sku_codes": SKU.objects.filter(active=True, components__isnull=True)
            .order_by("code")
            .values_list("code", "name")[:1000],
        },
        status=status,
    )
