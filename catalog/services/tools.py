"""The pricing tools' plans: which prices a bulk change, a channel derivation or a tier table would set.

A tool builds a list of `PlannedPrice` from a selection of SKUs and a rule (pure arithmetic from
`catalog.pricing`); the page previews it with `prices_preview` and applies exactly that list with
`prices_apply` (floor guard + audit). Nothing here writes a price. `channel_adjustment_set` stores a
channel's derivation rule (not a price, so not audited as one).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from catalog import pricing
from catalog.models import SKU, Category, ChannelAdjustment, ChannelPrice, MemberTier, PriceChange
from catalog.services.prices import PlannedPrice, PreviewRow, prices_preview

Field = PriceChange.Field

MAX_SELECTION = 2000  # SKUs one plan may touch (the signed plan travels in a form field)

# Bulk change modes and roundings.
PERCENT = "percent"
MARKUP = "markup"
ROUND_NONE = "none"
ROUND_9 = "x9"


# --- selection ----------------------------------------------------------------------------------------


def category_ids_within(code: str) -> list[int]:
    """The category with this code and all its sub-categories (any depth); [] for an unknown code."""
    rows = list(Category.objects.values_list("id", "code", "parent_id"))
    children: dict[int | None, list[int]] = {}
    root = None
    for pk, cat_code, parent in rows:
        children.setdefault(parent, []).append(pk)
        if cat_code == code:
            root = pk
    if root is None:
        return []
    found, todo = [], [root]
    while todo:
        pk = todo.pop()
        if pk in found:  # a cycle in bad data: stop, do not loop
            continue
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


def sku_selection(
    *, category: str = "", role: str = "", search: str = "", active_only: bool = True
) -> QuerySet:
    """The SKUs a tool works on: a category (with its sub-categories), a role, a code/name search."""
    qs = SKU.objects.select_related("product__category")
    if category:
        qs = qs.filter(product__category_id__in=category_ids_within(category))
    if role:
        qs = qs.filter(role=role)
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("code", "id")


def _selected_ids(skus) -> list[int]:
    ids = list(skus.values_list("id", flat=True)[: MAX_SELECTION + 1])
    if len(ids) > MAX_SELECTION:
        raise ValidationError(
            _("The selection holds more than %(max)s SKUs: narrow it (category, role or search).")
            % {"max": f"{MAX_SELECTION:,}"}
        )
    if not ids:
        raise ValidationError(_("No SKU matches the selection."))
    return ids


# --- previews -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanPreview:
    """A plan with its preview rows and the totals a page shows above the table. Only prices that
    change are planned: an unchanged price is neither applied nor audited."""

    plans: list[PlannedPrice]
    rows: list[PreviewRow]  # one per plan, same order
    selected: int  # SKUs in the selection
    unchanged: int = 0  # prices the rule leaves as they are
    left_out: int = 0  # prices left out because they would break the floor

    @property
    def breaches(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.breach]


def plan_preview(plans: list[PlannedPrice], *, selected: int | None = None) -> PlanPreview:
    """The preview of a plan as it stands (e.g. a signed plan brought back to be applied)."""
    rows = prices_preview(plans) if plans else []
    return PlanPreview(
        plans=list(plans),
        rows=rows,
        selected=len({p.sku_id for p in plans}) if selected is None else selected,
    )


def _finish(plans: list[PlannedPrice], selected: int, skip_breaches: bool) -> PlanPreview:
    rows = prices_preview(plans) if plans else []
    changing = [r for r in rows if r.old_value != r.plan.new_value]
    kept = [r for r in changing if not r.breach] if skip_breaches else changing
    return PlanPreview(
        plans=[r.plan for r in kept],
        rows=kept,
        selected=selected,
        unchanged=len(rows) - len(changing),
        left_out=len(changing) - len(kept),
    )


def _basis(ids: list[int]) -> dict[int, PreviewRow]:
    """Each SKU's landed cost, floor price and list price, read through the guard's own preview."""
    sku_prices = dict(SKU.objects.filter(pk__in=ids).values_list("id", "list_price"))
    probes = [PlannedPrice(sku_id=pk, new_value=sku_prices[pk] or Decimal("0.01")) for pk in ids]
    return {row.plan.sku_id: row for row in prices_preview(probes)}


# --- bulk change --------------------------------------------------------------------------------------


def bulk_plan(
    *,
    skus,
    channel: str = "",
    mode: str = PERCENT,
    value: Decimal,
    rounding: str = ROUND_NONE,
    keep_floor: bool = False,
    skip_breaches: bool = False,
) -> PlanPreview:
    """A bulk price change of the list price (`channel` "") or of one channel's price:

    - `percent`: new = current x (1 + value), to the cent (value 0.05 = +5 %);
    - `markup`:  new = landed cost x (1 + value) (cost-plus; value 0.35 = 35 % over landed cost);
    then, with `rounding` "x9", `pricing.round_to_9`, never below the floor price when `keep_floor`.
    A channel without its own price starts from the list price. `skip_breaches` leaves out the prices
    that would still break the floor (counted in `left_out`)."""
    if mode not in (PERCENT, MARKUP):
        raise ValueError(mode)
    if value <= -1:
        raise ValidationError({"value": [_("A change must be above -100 %.")]})
    ids = _selected_ids(skus)
    basis = _basis(ids)
    current = {}
    if channel:
        current = dict(
            ChannelPrice.objects.filter(sku_id__in=ids, channel=channel).values_list("sku_id", "price")
        )
    plans = []
    for pk in ids:
        row = basis[pk]
        base = current.get(pk, row.sku.list_price)
        new = pricing.adjust(base, value) if mode == PERCENT else pricing.cost_plus(row.landed, value)
        if rounding == ROUND_9 and new > 0:
            new = pricing.round_to_9(new, row.floor_price if keep_floor else None)
        elif keep_floor and new < row.floor_price:
            new = row.floor_price
        if new <= 0:
            continue
        plans.append(
            PlannedPrice(
                sku_id=pk,
                new_value=new,
                field=Field.CHANNEL_PRICE if channel else Field.LIST_PRICE,
                channel=channel,
            )
        )
    return _finish(plans, len(ids), skip_breaches)


# --- channel prices -----------------------------------------------------------------------------------


def channel_adjustments(codes: list[str]) -> dict[str, ChannelAdjustment]:
    """Each channel's derivation rule (an unsaved default of +0 %, round to 9, when it has none)."""
    saved = {a.channel: a for a in ChannelAdjustment.objects.filter(channel__in=codes)}
    return {code: saved.get(code) or ChannelAdjustment(channel=code) for code in codes}


@transaction.atomic
def channel_adjustments_set(*, rules: dict[str, tuple[Decimal, bool]]) -> list[ChannelAdjustment]:
    """Store each channel's rule, channel code -> (percent as a fraction, round to 9); all or none."""
    saved = []
    for channel, (percent, round_to_9) in sorted(rules.items()):
        if percent <= -1:
            raise ValidationError({channel: [_("An adjustment must be above -100 %.")]})
        adjustment, _created = ChannelAdjustment.objects.update_or_create(
            channel=channel, defaults={"percent": percent, "round_to_9": round_to_9}
        )
        saved.append(adjustment)
    return saved


def channel_plan(
    *, skus, channels: list[str], keep_floor: bool = False, skip_breaches: bool = False
) -> PlanPreview:
    """Channel prices derived from each SKU's list price by the channel's adjustment
    (`pricing.channel_price`: + percent, then X9 rounding if the channel asks; never below the floor
    price when `keep_floor`)."""
    ids = _selected_ids(skus)
    basis = _basis(ids)
    rules = channel_adjustments(channels)
    plans = []
    for pk in ids:
        row = basis[pk]
        for code in channels:
            rule = rules[code]
            minimum = row.floor_price if keep_floor else None
            new = pricing.channel_price(row.sku.list_price, rule.percent, rule.round_to_9, minimum)
            if not rule.round_to_9 and minimum is not None and new < minimum:
                new = minimum
            if new > 0:
                plans.append(PlannedPrice(sku_id=pk, new_value=new, field=Field.CHANNEL_PRICE, channel=code))
    return _finish(plans, len(ids), skip_breaches)


# --- member tier prices -------------------------------------------------------------------------------


def tier_plan(*, skus, discounts: dict[str, Decimal], skip_breaches: bool = False) -> PlanPreview:
    """Member tier prices from the list price: `pricing.tier_price(list price, discount)` for each tier
    given (discount 0.10 = 10 % off)."""
    tiers = [t for t in MemberTier.values if t in discounts]
    if not tiers:
        raise ValidationError(_("Give a discount for at least one member tier."))
    for tier in tiers:
        if not (0 <= discounts[tier] < 1):
            raise ValidationError({tier: [_("A discount is from 0 % up to, not including, 100 %.")]})
    ids = _selected_ids(skus)
    prices = dict(SKU.objects.filter(pk__in=ids).values_list("id", "list_price"))
    plans = []
    for pk in ids:
        for tier in tiers:
            new = pricing.tier_price(prices[pk], discounts[tier])
            if new > 0:
                plans.append(PlannedPrice(sku_id=pk, new_value=new, field=Field.TIER_PRICE, tier=tier))
    return _finish(plans, len(ids), skip_breaches)


# --- the signed plan ----------------------------------------------------------------------------------


def plan_dump(plans: list[PlannedPrice]) -> list[list[str]]:
    """A plan as plain lists (for a signed form field): [sku id, field, channel, tier, new value]."""
    return [[p.sku_id, p.field, p.channel, p.tier, str(p.new_value)] for p in plans]


def plan_load(data) -> list[PlannedPrice]:
    return [
        PlannedPrice(sku_id=int(pk), field=field, channel=channel, tier=tier, new_value=Decimal(value))
        for pk, field, channel, tier, value in data
    ]
