"""Writes to the catalogue's prices and costs. Every change is checked against the margin floor and
recorded in PriceChange (who, when, old, new, why) in the same transaction.

All price tools (a page's form, the bulk change, the API, imports, accepted recommendations) end in
`prices_apply`: plan the changes, preview them with `prices_preview`, apply them here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import pricing
from catalog.models import (
    SKU,
    CategoryPricing,
    ChannelPrice,
    MemberTierPrice,
    PriceChange,
    PricingSettings,
    SKUCost,
)
from shopops.common.audit import AuditRecord, audit_record_many, audit_signals_paused
from shopops.common.money import format_money

OVERRIDE_PERMISSION = "catalog.override_margin_floor"
EDIT_PERMISSION = "catalog.change_sku"

Field = PriceChange.Field


@dataclass(frozen=True)
class PlannedPrice:
    """One price to set: the list price (channel and tier blank), a channel price or a tier price."""

    sku_id: int
    new_value: Decimal
    field: str = Field.LIST_PRICE
    channel: str = ""
    tier: str = ""


@dataclass(frozen=True)
class PreviewRow:
    plan: PlannedPrice
    sku: SKU
    old_value: Decimal | None
    landed: Decimal
    margin: Decimal | None
    floor: pricing.Floor
    floor_price: Decimal
    breach: bool

    @property
    def change(self) -> Decimal | None:
        return None if self.old_value is None else self.plan.new_value - self.old_value


class MarginFloorError(ValidationError):
    """Prices that would break the margin floor, refused. `rows` are the breaching preview rows."""

    def __init__(self, message, rows):
        super().__init__(message, code="margin_floor")
        self.rows = rows


def sku_costs(sku: SKU) -> SKUCost:
    """The SKU's cost row (an unsaved default when it has none yet)."""
    try:
        return sku.costs
    except SKUCost.DoesNotExist:
        return SKUCost(sku=sku)


def costs_of(sku: SKU, settings: PricingSettings | None = None) -> pricing.Costs:
    settings = settings or PricingSettings.current()
    extra = sku_costs(sku)
    rate = extra.marketing_rate if extra.marketing_rate is not None else settings.marketing_rate
    return pricing.Costs(
        purchase=sku.unit_cost,
        inbound=extra.inbound_cost,
        packaging=extra.packaging_cost,
        shipping=extra.shipping_cost,
        marketing_rate=rate,
    )


def floor_of(
    sku: SKU, *, today: date | None = None, settings: PricingSettings | None = None
) -> pricing.Floor:
    """The margin floor that applies to the SKU today (loss leader, category override, or the setting)."""
    settings = settings or PricingSettings.current()
    today = today or timezone.localdate()
    extra = sku_costs(sku)
    category_floor = None
    category = sku.product.category
    while category is not None and category_floor is None:  # a sub-category inherits its parent's floor
        with contextlib.suppress(CategoryPricing.DoesNotExist):
            category_floor = category.pricing.margin_floor
        category = category.parent
    return pricing.floor_for(
        setting=settings.margin_floor,
        category_floor=category_floor,
        loss_leader=extra.loss_leader,
        loss_leader_floor=extra.loss_leader_floor,
        loss_leader_until=extra.loss_leader_until,
        today=today,
    )


def _current_values(skus: dict, plans: list[PlannedPrice]) -> dict[PlannedPrice, Decimal | None]:
    """Each plan's current value: the list price, the channel's price (else the list price), the tier's
    price (else none). Two queries whatever the number of plans."""
    ids = {p.sku_id for p in plans}
    channel = (
        {
            (sku_id, code): price
            for sku_id, code, price in ChannelPrice.objects.filter(
                sku_id__in=ids, channel__in={p.channel for p in plans if p.field == Field.CHANNEL_PRICE}
            ).values_list("sku_id", "channel", "price")
        }
        if any(p.field == Field.CHANNEL_PRICE for p in plans)
        else {}
    )
    tier = (
        {
            (sku_id, code): price
            for sku_id, code, price in MemberTierPrice.objects.filter(
                sku_id__in=ids, tier__in={p.tier for p in plans if p.field == Field.TIER_PRICE}
            ).values_list("sku_id", "tier", "price")
        }
        if any(p.field == Field.TIER_PRICE for p in plans)
        else {}
    )
    values = {}
    for plan in plans:
        sku = skus[plan.sku_id]
        if plan.field == Field.LIST_PRICE:
            values[plan] = sku.list_price
        elif plan.field == Field.CHANNEL_PRICE:
            values[plan] = channel.get((plan.sku_id, plan.channel), sku.list_price)
        elif plan.field == Field.TIER_PRICE:
            values[plan] = tier.get((plan.sku_id, plan.tier))
        else:
            raise ValueError(f"Not a price: {plan.field}")
    return values


def prices_preview(plans: list[PlannedPrice], *, today: date | None = None) -> list[PreviewRow]:
    """What each planned price would do: old and new value, gross margin, the floor and whether it
    breaks it. Reads only."""
    settings = PricingSettings.current()
    skus = (
        SKU.objects.select_related("product__category__pricing", "product__category__parent", "costs")
        .prefetch_related("components__component__costs")
        .in_bulk({p.sku_id for p in plans})
    )
    current = _current_values(skus, plans)
    rows = []
    for plan in plans:
        sku = skus[plan.sku_id]
        costs = costs_of(sku, settings)
        floor = floor_of(sku, today=today, settings=settings)
        landed = _landed(sku, costs)
        rows.append(
            PreviewRow(
                plan=plan,
                sku=sku,
                old_value=current[plan],
                landed=landed,
                margin=pricing.gross_margin(plan.new_value, landed),
                floor=floor,
                floor_price=pricing.floor_price(landed, floor.value),
                breach=pricing.breaks_floor(plan.new_value, landed, floor.value),
            )
        )
    return rows


def _landed(sku: SKU, costs: pricing.Costs) -> Decimal:
    """A bundle's landed cost is its components'; any other SKU's is its own."""
    components = list(sku.components.all())  # prefetched by prices_preview
    if not components:
        return costs.landed
    settings = PricingSettings.current()
    return pricing.bundle_landed(
        [pricing.Component(costs_of(c.component, settings).landed, c.quantity) for c in components]
    )


@transaction.atomic
def prices_apply(
    *,
    plans: list[PlannedPrice],
    reason: str,
    user,
    source: str = PriceChange.Source.UI,
    override: bool = False,
    today: date | None = None,
) -> list[PriceChange]:
    """Set the planned prices, all or none. A price under the margin floor is refused unless `override`
    is asked for by a user holding the override permission, with a reason; overrides are marked in the
    audit. Unchanged prices are skipped (no audit row)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the price changes.")]})
    for plan in plans:
        if plan.new_value is None or plan.new_value <= 0:
            raise ValidationError({"price": [_("A price must be above zero.")]})
    sku_ids = sorted({p.sku_id for p in plans})
    list(SKU.objects.select_for_update().filter(pk__in=sku_ids).order_by("pk").values_list("pk"))
    rows = prices_preview(plans, today=today)
    breaches = [r for r in rows if r.breach]
    if breaches:
        allowed = override and user is not None and user.has_perm(OVERRIDE_PERMISSION)
        if not allowed:
            first = breaches[0]
            message = _(
                "%(count)d price(s) would break the margin floor, e.g. %(sku)s at %(price)s: gross margin "
                "%(margin)s below the floor %(floor)s (lowest allowed price %(minimum)s)."
            ) % {
                "count": len(breaches),
                "sku": first.sku.code,
                "price": format_money(first.plan.new_value),
                "margin": _pct(first.margin),
                "floor": _pct(first.floor.value),
                "minimum": format_money(first.floor_price),
            }
            if override:
                message += " " + _("You do not hold the pricing-override permission.")
            raise MarginFloorError(message, breaches)
    now = timezone.now()
    changes = []
    for row in rows:
        plan = row.plan
        if row.old_value == plan.new_value:
            continue
        sku = row.sku
        if plan.field == Field.LIST_PRICE:
            SKU.objects.filter(pk=sku.pk).update(list_price=plan.new_value, updated_at=now)
        elif plan.field == Field.CHANNEL_PRICE:
            with audit_signals_paused():  # recorded below on the SKU, with the reason
                ChannelPrice.objects.update_or_create(
                    sku=sku, channel=plan.channel, defaults={"price": plan.new_value}
                )
            SKU.objects.filter(pk=sku.pk).update(updated_at=now)
        else:
            with audit_signals_paused():
                MemberTierPrice.objects.update_or_create(
                    sku=sku, tier=plan.tier, defaults={"price": plan.new_value}
                )
            SKU.objects.filter(pk=sku.pk).update(updated_at=now)
        changes.append(
            PriceChange(
                sku=sku,
                field=plan.field,
                channel=plan.channel,
                tier=plan.tier,
                old_value=row.old_value,
                new_value=plan.new_value,
                reason=reason[:300],
                floor_override=row.breach,
                margin=row.margin,
                source=source,
                changed_by=user if user is not None and user.is_authenticated else None,
                changed_at=now,
            )
        )
    written = PriceChange.objects.bulk_create(changes)
    price_changes_audit(written, user=user)
    return written


def price_changes_audit(changes: list[PriceChange], *, user, action: str = "update") -> None:
    """The audit trail's entries for stored price changes (the queryset updates above send no signal): one
    entry per SKU with each price or cost before → after, the reason and the source. Channel and tier
    prices are keyed "channel_price:<channel>" and "tier_price:<tier>"."""
    by_sku: dict[int, dict] = {}
    for change in changes:
        key = change.field
        if change.field not in (Field.LIST_PRICE, Field.UNIT_COST):
            key = f"{change.field}:{change.channel or change.tier}"
        entry = by_sku.setdefault(
            change.sku_id,
            {"sku": change.sku, "changes": {}, "data": {"reason": change.reason, "source": change.source}},
        )
        entry["changes"][key] = [change.old_value, change.new_value]
        if change.floor_override:
            entry["data"]["floor_override"] = True
    audit_record_many(
        [AuditRecord(e["sku"], action, e["changes"], additional_data=e["data"]) for e in by_sku.values()],
        actor=user,
    )


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


@transaction.atomic
def sku_costs_set(
    *,
    sku: SKU,
    reason: str,
    user,
    unit_cost: Decimal | None = None,
    inbound_cost: Decimal | None = None,
    packaging_cost: Decimal | None = None,
    shipping_cost: Decimal | None = None,
    marketing_rate: Decimal | None = None,
    source: str = PriceChange.Source.UI,
) -> SKUCost:
    """Change a SKU's costs; a purchase-cost change is audited like a price. (Costs are facts, not
    decisions: a cost that pushes a price under the floor is accepted and shows up as a breach.)"""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the cost changes.")]})
    sku = SKU.objects.select_for_update().get(pk=sku.pk)
    extra = sku_costs(sku)
    for name, value in (
        ("inbound_cost", inbound_cost),
        ("packaging_cost", packaging_cost),
        ("shipping_cost", shipping_cost),
    ):
        if value is not None:
            if value < 0:
                raise ValidationError({name: [_("A cost cannot be negative.")]})
            setattr(extra, name, value)
    if marketing_rate is not None:
        extra.marketing_rate = marketing_rate
    extra.save()
    if unit_cost is not None and unit_cost != sku.unit_cost:
        if unit_cost < 0:
            raise ValidationError({"unit_cost": [_("A cost cannot be negative.")]})
        now = timezone.now()
        change = PriceChange.objects.create(
            sku=sku,
            field=Field.UNIT_COST,
            old_value=sku.unit_cost,
            new_value=unit_cost,
            reason=reason[:300],
            margin=pricing.gross_margin(
                sku.list_price, unit_cost + extra.inbound_cost + extra.packaging_cost
            ),
            source=source,
            changed_by=user if user is not None and user.is_authenticated else None,
            changed_at=now,
        )
        SKU.objects.filter(pk=sku.pk).update(unit_cost=unit_cost, updated_at=now)
        price_changes_audit([change], user=user)
    return extra


@transaction.atomic
def sku_loss_leader_set(
    *, sku: SKU, until: date | None, reason: str, floor: Decimal = Decimal("0"), user
) -> SKUCost:
    """Mark a SKU as a loss leader (its own margin floor, with a reason, until an end date) or, with
    `until=None`, end it."""
    extra = sku_costs(SKU.objects.select_for_update().get(pk=sku.pk))
    if until is None:
        extra.loss_leader, extra.loss_leader_reason, extra.loss_leader_until = False, "", None
    else:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": [_("A loss leader needs a reason.")]})
        if until < timezone.localdate():
            raise ValidationError({"until": [_("The end date is in the past.")]})
        if not (0 <= floor < 1):
            raise ValidationError({"floor": [_("A margin floor is between 0 % and 100 %.")]})
        extra.loss_leader, extra.loss_leader_reason, extra.loss_leader_until = True, reason[:200], until
        extra.loss_leader_floor = floor
    extra.save()
    return extra
