"""The price recommendations review queue: pending recommendations to accept, edit or reject."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog import pricing, selectors, services
from catalog.models import PriceRecommendation
from shopops.common import roles
from shopops.common.dates import shop_today
from shopops.common.money import CENT, format_money
from shopops.common.pagination import paginate, querystring_without_page


@roles.area_required(roles.CATALOG)
def recommendations(request):
    """Catalogue roles see the queue; those who may edit prices (operations, admin) act on it."""
    can_act = request.user.has_perm(services.EDIT_PERMISSION)
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied
        errors = _decide(request)
        if not errors:
            query = request.POST.get("query", "")
            return redirect(reverse("catalog:recommendations") + (f"?{query}" if query else ""))
        for error in errors:
            messages.error(request, error)
        return _page(request, can_act, status=400)
    return _page(request, can_act)


def _page(request, can_act: bool, status: int = 200):
    params = request.GET
    today = shop_today()
    qs = selectors.recommendation_list(
        action=params.get("action", ""), category=params.get("category", ""), today=today
    )
    page_obj = paginate(request, qs)
    rows = list(page_obj.object_list)
    inputs = services.pricing_inputs({r.sku_id for r in rows}, today=today)
    for rec in rows:
        base = inputs.get(rec.sku_id)
        rec.reason_text = services.recommendation_reason(rec)
        rec.change = (rec.recommended_price / rec.current_price - 1) if rec.current_price else None
        rec.new_margin = pricing.gross_margin(rec.recommended_price, base.landed) if base else None
        rec.floor_price = base.floor_price if base else None
    return render(
        request,
        "catalog/recommendations.html",
        {
            "page_obj": page_obj,
            "rows": rows,
            "query": querystring_without_page(request),
            "full_query": params.urlencode(),
            "filters": params,
            "actions": [c for c in PriceRecommendation.Action.choices if c[0] != "hold"],
            "categories": selectors.category_list(),
            "counts": selectors.recommendation_counts(today=today),
            "can_act": can_act,
        },
        status=status,
    )


def _decide(request) -> list[str]:
    """Carry out the one button pressed; returns error messages (nothing written when there are any)."""
    post, user = request.POST, request.user
    try:
        if "accept" in post:
            rec = services.recommendation_accept(recommendation_id=_id(post["accept"]), user=user)
            messages.success(request, _("%(sku)s: price set to %(price)s.") % _applied(rec))
        elif "edit" in post:
            pk = _id(post["edit"])
            price = _price(post.get(f"price-{pk}", ""))
            rec = services.recommendation_accept(
                recommendation_id=pk, user=user, price=price, note=post.get(f"note-{pk}", "")
            )
            messages.success(request, _("%(sku)s: price set to %(price)s.") % _applied(rec))
        elif "reject" in post:
            pk = _id(post["reject"])
            rec = services.recommendation_reject(
                recommendation_id=pk, user=user, note=post.get(f"note-{pk}", "")
            )
            messages.success(request, _("%(sku)s: recommendation rejected.") % {"sku": rec.sku.code})
        elif "bulk_accept" in post:
            ids = [_id(v) for v in post.getlist("ids")]
            if not ids:
                return [_("Select the recommendations to accept.")]
            accepted, refused = services.recommendations_accept(recommendation_ids=ids, user=user)
            if accepted:
                count = len(accepted)
                messages.success(
                    request,
                    ngettext(
                        "%(count)d recommendation accepted.", "%(count)d recommendations accepted.", count
                    )
                    % {"count": count},
                )
            for pk, error in refused:  # the others stand: each is accepted on its own
                messages.warning(
                    request, _("Recommendation %(id)s not accepted: %(error)s") % {"id": pk, "error": error}
                )
        else:
            return [_("Choose accept, edit or reject.")]
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _applied(rec) -> dict:
    return {"sku": rec.sku.code, "price": format_money(rec.applied_price)}


def _id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Unknown recommendation.")) from exc


def _price(value: str) -> Decimal:
    try:
        price = Decimal(value.strip().replace(",", ""))
    except (InvalidOperation, AttributeError) as exc:
        raise ValidationError(_("Enter the price as a number, e.g. 129.00.")) from exc
    if not price.is_finite() or price <= 0 or price != price.quantize(CENT):
        raise ValidationError(_("Enter a price above zero with at most two decimals."))
    return price
