"""Nightly price recommendations and their review: build them from the SKU facts, accept (the price is
applied through `prices_apply`, audited, refused under the margin floor), accept with an edit, or reject.

How the queue stays small and honest:
- Only actions are stored: markdown, raise, match. A hold needs no decision, so it is not queued, also
  when the margin floor is what holds the price (the rule wanted a markdown or a match the floor forbids):
  those SKUs are counted in the job's detail (`held_by_floor`), and the pricing overview's breach list and
  the SKU page already show where the floor bites. The queue is for decisions, not for information.
- One pending recommendation per SKU: each night's build closes every older pending one (status expired,
  note "replaced"), so the queue always reflects the latest facts; one past its `expires_on` cannot be
  accepted even if the nightly did not run.
- A SKU whose recommendation was decided (accepted, edited or rejected) in the last
  `recommendation_days` gets none: a markdown is not stacked night after night before its effect shows,
  and a rejection is not asked again every morning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import pricing
from catalog.models import (
    SKU,
    BundleComponent,
    Category,
    CompetitorPrice,
    PriceChange,
    PriceRecommendation,
    PricingSettings,
    SKUStats,
)
from catalog.services.prices import EDIT_PERMISSION, PlannedPrice, prices_apply
from shopops.common.dates import day_start
from shopops.common.money import format_money

Action = PriceRecommendation.Action
Status = PriceRecommendation.Status
DECIDED = (Status.ACCEPTED, Status.EDITED, Status.REJECTED)
COMPETITOR_DAYS = 30  # a competitor's offer counts when seen in the 30 days up to the business date


# --- pricing inputs in bulk -------------------------------------------------------------------------


@dataclass(frozen=True)
class PricingInputs:
    """A SKU's landed cost (a bundle's: its components') and the margin floor that applies on a date."""

    landed: Decimal
    floor: pricing.Floor

    @property
    def floor_price(self) -> Decimal:
        return pricing.floor_price(self.landed, self.floor.value)


def pricing_inputs(
    sku_ids: Iterable[int] | None = None, *, today: date, settings: PricingSettings | None = None
) -> dict[int, PricingInputs]:
    """Landed cost and floor for many SKUs (all when `sku_ids` is None) in four queries, with the same
    rules as `costs_of`/`floor_of`/`prices_preview` (loss leader while it lasts, else the nearest category
    up the tree with a floor, else the setting; a bundle's landed cost is its components')."""
    settings = settings or PricingSettings.current()
    fields = (
        "id",
        "unit_cost",
        "product__category_id",
        "costs__inbound_cost",
        "costs__packaging_cost",
        "costs__loss_leader",
        "costs__loss_leader_floor",
        "costs__loss_leader_until",
    )
    wanted = None if sku_ids is None else set(sku_ids)
    parts = BundleComponent.objects.values_list("bundle_id", "component_id", "quantity")
    if wanted is not None:
        parts = parts.filter(bundle_id__in=wanted)
    components: dict[int, list[tuple[int, int]]] = {}
    for bundle_id, component_id, quantity in parts:
        components.setdefault(bundle_id, []).append((component_id, quantity))
    skus = SKU.objects.values(*fields)
    if wanted is not None:
        needed = wanted | {c for parts in components.values() for c, _q in parts}
        skus = skus.filter(pk__in=needed)
    rows = {row["id"]: row for row in skus}
    zero = pricing.ZERO
    own_landed = {
        pk: r["unit_cost"] + (r["costs__inbound_cost"] or zero) + (r["costs__packaging_cost"] or zero)
        for pk, r in rows.items()
    }
    category_floor = _category_floors()
    out = {}
    for pk in wanted if wanted is not None else rows:
        row = rows.get(pk)
        if row is None:
            continue
        if pk in components:
            landed = pricing.bundle_landed(
                [pricing.Component(own_landed[c], q) for c, q in components[pk] if c in own_landed]
            )
        else:
            landed = own_landed[pk]
        floor = pricing.floor_for(
            setting=settings.margin_floor,
            category_floor=category_floor.get(row["product__category_id"]),
            loss_leader=bool(row["costs__loss_leader"]),
            loss_leader_floor=row["costs__loss_leader_floor"] or zero,
            loss_leader_until=row["costs__loss_leader_until"],
            today=today,
        )
        out[pk] = PricingInputs(landed=landed, floor=floor)
    return out


def _category_floors() -> dict[int, Decimal]:
    """Category id -> its floor override, inherited from the nearest ancestor that has one."""
    rows = {r["id"]: r for r in Category.objects.values("id", "parent_id", "pricing__margin_floor")}
    out = {}
    for pk in rows:
        seen, node = set(), rows.get(pk)
        while node is not None and node["id"] not in seen:
            if node["pricing__margin_floor"] is not None:
                out[pk] = node["pricing__margin_floor"]
                break
            seen.add(node["id"])
            node = rows.get(node["parent_id"])
    return out


def competitor_prices_recent(sku_ids: Iterable[int] | None, *, as_of: date) -> dict[int, list[Decimal]]:
    """Per SKU, the latest price of each competitor offer (competitor x channel) seen in the
    COMPETITOR_DAYS up to the end of `as_of` (nothing seen later counts: a replay sees what was known)."""
    qs = CompetitorPrice.objects.filter(
        seen_at__gte=day_start(as_of - timedelta(days=COMPETITOR_DAYS - 1)),
        seen_at__lt=day_start(as_of + timedelta(days=1)),
    )
    if sku_ids is not None:
        qs = qs.filter(sku_id__in=list(sku_ids))
    latest: dict[tuple[int, str, str], Decimal] = {}
    for sku_id, competitor, channel, price in qs.order_by("seen_at", "id").values_list(
        "sku_id", "competitor", "channel", "price"
    ):
        latest[(sku_id, competitor, channel)] = price  # later rows overwrite earlier ones
    out: dict[int, list[Decimal]] = {}
    for (sku_id, _competitor, _channel), price in latest.items():
        out.setdefault(sku_id, []).append(price)
    return out


# --- reasons in words and numbers -------------------------------------------------------------------


def _num(value) -> str:
    """12.0 -> "12", 12.5 -> "12.5"."""
    text = f"{Decimal(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def _pct(fraction) -> str:
    return f"{_num(Decimal(fraction) * 100)} %"


def reason_text(key: str, figures: Mapping) -> str:
    """The sentence for a reason key, in the active language, with the figures filled in. When the margin
    floor moved the price (the step or the competitors' median alone would break it), the sentence says
    so instead of quoting a step the price does not follow."""
    f = figures
    price, new_price = Decimal(f["price"]), Decimal(f["new_price"])

    def money(name):
        return format_money(Decimal(f[name]))

    values = {
        "cover": _num(f["cover_days"]) if f.get("cover_days") is not None else "–",
        "threshold": f.get("markdown_cover_days", ""),
        "lead": f.get("lead_time_days", ""),
        "units": f.get("units_28d", 0),
        "prev": f.get("units_prev_28d", 0),
        "price": money("price"),
        "new": money("new_price"),
        "floor_price": money("floor_price"),
    }
    if key in ("markdown", "raise"):
        sign = -1 if key == "markdown" else 1
        values["step"] = _pct(f["step"])
        by_floor = new_price != pricing.round_to_9(pricing.adjust(price, sign * Decimal(f["step"])))
        if key == "markdown":
            why = _(
                "Cover %(cover)s days is above %(threshold)s and sales are slowing (%(units)s units in the "
                "last 28 days vs %(prev)s before)"
            )
            if by_floor:
                what = _(
                    "mark down from %(price)s to %(new)s, the lowest price ending in 9 at or above the floor "
                    "price %(floor_price)s (%(step)s off would break the floor)."
                )
            else:
                what = _("mark down %(step)s from %(price)s to %(new)s (floor price %(floor_price)s).")
        else:
            why = _(
                "Cover %(cover)s days is under the lead time of %(lead)s days and demand is strong "
                "(%(units)s units in the last 28 days vs %(prev)s before)"
            )
            if new_price >= Decimal(f["floor_price"]) > price:
                what = _(
                    "raise from %(price)s to %(new)s, the first price ending in 9 at or above the floor "
                    "price %(floor_price)s (the price is under the floor now)."
                )
            elif by_floor:  # the step alone rounds back to the price: the next X9 price up
                what = _(
                    "raise from %(price)s to %(new)s, the next price ending in 9 (%(step)s more rounds back "
                    "to %(price)s)."
                )
            else:
                what = _("raise %(step)s from %(price)s to %(new)s.")
        return (why + ": " + what) % values
    if key == "match":
        median = Decimal(f["competitor_median"])
        values.update(
            above=_pct(price / median - 1),
            count=f["competitors"],
            median=money("competitor_median"),
            gap=_pct(f["gap"]),
        )
        why = _(
            "Priced %(above)s above the median of %(count)s competitor offers (%(median)s; alert above "
            "%(gap)s)"
        )
        if new_price != pricing.round_to_9(median):
            what = _(
                "come down to %(new)s from %(price)s, the lowest price ending in 9 at or above the floor "
                "price %(floor_price)s (matching the median would break the floor)."
            )
        else:
            what = _("match at %(new)s from %(price)s (floor price %(floor_price)s).")
        return (why + ": " + what) % values
    raise ValueError(f"No sentence for reason {key!r}")


def recommendation_reason(recommendation: PriceRecommendation) -> str:
    """The recommendation's reason in the active language (the stored text as written, if the figures
    do not name their reason)."""
    key = (recommendation.figures or {}).get("reason")
    try:
        return reason_text(key, recommendation.figures) if key else recommendation.reason
    except (KeyError, ValueError, ArithmeticError):
        return recommendation.reason


# --- the nightly build ------------------------------------------------------------------------------


@transaction.atomic
def price_recommendations_build(*, business_date: date, promotions: Mapping | None = None) -> dict:
    """Recommend a list price for every active SKU with a price, from its nightly facts (SKUStats),
    competitor offers and the promotion calendar (`promotions`: SKU id -> name of a promotion starting
    soon), by `pricing.recommend`. Idempotent per date: a SKU that already has a recommendation for the
    date keeps it as it is (accepted, rejected or pending). See the module's docstring for what is kept."""
    settings = PricingSettings.current()
    rules = pricing.Rules(
        markdown_cover_days=settings.markdown_cover_days,
        markdown_step=settings.markdown_step,
        raise_step=settings.raise_step,
        competitor_gap=settings.competitor_gap,
    )
    promotions = {int(k): v for k, v in (promotions or {}).items()}
    pending_old = PriceRecommendation.objects.filter(status=Status.PENDING, business_date__lt=business_date)
    expired = pending_old.filter(expires_on__lt=business_date).update(status=Status.EXPIRED)
    replaced = pending_old.update(
        status=Status.EXPIRED,
        note=_("Replaced by the review of %(date)s.") % {"date": business_date.isoformat()},
    )
    cooling = set(
        PriceRecommendation.objects.filter(
            status__in=DECIDED,
            business_date__gte=business_date - timedelta(days=settings.recommendation_days),
            business_date__lt=business_date,
        ).values_list("sku_id", flat=True)
    )
    done = set(
        PriceRecommendation.objects.filter(business_date=business_date).values_list("sku_id", flat=True)
    )
    skus = dict(
        SKU.objects.filter(active=True, list_price__gt=0)
        .exclude(pk__in=cooling | done)
        .values_list("id", "list_price")
    )
    inputs = pricing_inputs(None, today=business_date, settings=settings)
    stats = {
        row[0]: row[1:]
        for row in SKUStats.objects.values_list("sku_id", "cover_days", "units_28d", "units_prev_28d")
    }
    competitors = competitor_prices_recent(None, as_of=business_date)
    expires_on = business_date + timedelta(days=settings.recommendation_days)
    new, held_by_floor, holds = [], 0, 0
    for sku_id, price in skus.items():
        base = inputs.get(sku_id)
        if base is None or base.floor.value >= 1:
            continue
        cover, units, prev = stats.get(sku_id, (None, 0, 0))
        facts = pricing.Facts(
            price=price,
            landed=base.landed,
            floor=base.floor.value,
            cover_days=cover,
            units_28d=units,
            units_prev_28d=prev,
            lead_time_days=settings.lead_time_days,
            competitor_prices=competitors.get(sku_id, []),
            promotion_soon=promotions.get(sku_id, ""),
        )
        result = pricing.recommend(facts, rules)
        if result.action == Action.HOLD:
            held_by_floor += result.reason in ("markdown_floor", "match_floor")
            holds += 1
            continue
        figures = {
            **result.figures,
            "reason": result.reason,
            "new_price": str(result.price),
            "landed": str(base.landed),
            "floor_source": base.floor.source,
            "markdown_cover_days": rules.markdown_cover_days,
        }
        new.append(
            PriceRecommendation(
                sku_id=sku_id,
                business_date=business_date,
                action=result.action,
                current_price=price,
                recommended_price=result.price,
                reason=reason_text(result.reason, figures),
                figures=figures,
                expires_on=expires_on,
            )
        )
    PriceRecommendation.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    counts = dict.fromkeys((Action.MARKDOWN, Action.RAISE, Action.MATCH), 0)
    for rec in new:
        counts[rec.action] += 1
    return {
        "created": len(new),
        **{str(k): v for k, v in counts.items()},
        "holds": holds,
        "held_by_floor": held_by_floor,
        "cooling_down": len(cooling),
        "already_built": len(done),
        "expired": expired,
        "replaced": replaced,
    }


# --- review -----------------------------------------------------------------------------------------


def _open_for_decision(pk: int, user, today: date) -> PriceRecommendation:
    if user is None or not user.has_perm(EDIT_PERMISSION):
        raise PermissionDenied
    try:
        rec = PriceRecommendation.objects.select_for_update().select_related("sku").get(pk=pk)
    except PriceRecommendation.DoesNotExist as exc:
        raise ValidationError(_("This recommendation does not exist.")) from exc
    if rec.status != Status.PENDING:
        raise ValidationError(
            _("This recommendation was already decided (%(status)s).") % {"status": rec.get_status_display()}
        )
    if rec.expires_on < today:
        raise ValidationError(_("This recommendation expired on %(date)s.") % {"date": rec.expires_on})
    return rec


@transaction.atomic
def recommendation_accept(
    *,
    recommendation_id: int,
    user,
    price: Decimal | None = None,
    note: str = "",
    override: bool = False,
    today: date | None = None,
) -> PriceRecommendation:
    """Accept a pending, unexpired recommendation: its price (or `price`, an edit) becomes the SKU's list
    price through `prices_apply` (source "recommendation", audited; under the margin floor it is refused
    unless `override` by a user holding the override permission). Refused when the SKU's price changed
    since the recommendation was made: it was computed from the old one."""
    today = today or timezone.localdate()
    rec = _open_for_decision(recommendation_id, user, today)
    sku = SKU.objects.select_for_update().get(pk=rec.sku_id)
    if sku.list_price != rec.current_price:
        raise ValidationError(
            _(
                "The price of %(sku)s changed since this recommendation (%(then)s then, %(now)s now): "
                "reject it or change the price on the SKU's page."
            )
            % {
                "sku": sku.code,
                "then": format_money(rec.current_price),
                "now": format_money(sku.list_price),
            }
        )
    new_price = rec.recommended_price if price is None else price
    edited = new_price != rec.recommended_price
    note = (note or "").strip()
    why = (
        _("Price recommendation of %(date)s, accepted with edit (recommended %(recommended)s)")
        if edited
        else _("Price recommendation of %(date)s, accepted")
    ) % {"date": rec.business_date.isoformat(), "recommended": format_money(rec.recommended_price)}
    if note:
        why = f"{why}: {note}"
    try:
        prices_apply(
            plans=[PlannedPrice(sku_id=sku.pk, new_value=new_price)],
            reason=why[:300],
            user=user,
            source=PriceChange.Source.RECOMMENDATION,
            override=override,
            today=today,
        )
    except ValidationError as exc:
        if getattr(exc, "error_dict", None) and "price" in exc.error_dict:
            raise ValidationError(exc.error_dict["price"]) from exc
        raise
    rec.status = Status.EDITED if edited else Status.ACCEPTED
    rec.applied_price = new_price
    rec.decided_by = user
    rec.decided_at = timezone.now()
    rec.note = note[:300]
    rec.save(update_fields=["status", "applied_price", "decided_by", "decided_at", "note"])
    return rec


@transaction.atomic
def recommendation_reject(
    *, recommendation_id: int, user, note: str = "", today: date | None = None
) -> PriceRecommendation:
    """Reject a pending, unexpired recommendation (with an optional note); the price stays."""
    today = today or timezone.localdate()
    rec = _open_for_decision(recommendation_id, user, today)
    rec.status = Status.REJECTED
    rec.decided_by = user
    rec.decided_at = timezone.now()
    rec.note = (note or "").strip()[:300]
    rec.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return rec


def recommendations_accept(
    *, recommendation_ids: Iterable[int], user, today: date | None = None
) -> tuple[list[PriceRecommendation], list[tuple[int, str]]]:
    """Accept several recommendations, each on its own (one refused does not stop the others): returns the
    accepted ones and (id, message) for each refused one."""
    accepted, refused = [], []
    for pk in sorted(set(recommendation_ids)):
        try:
            accepted.append(recommendation_accept(recommendation_id=pk, user=user, today=today))
        except ValidationError as exc:
            refused.append((pk, " ".join(exc.messages)))
    return accepted, refused
