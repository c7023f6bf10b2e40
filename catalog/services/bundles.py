"""Bundles: a bundle SKU made of component SKUs x quantities (e.g. a cleaning kit + 3 brush heads).

Its landed cost is the sum of its components' (`pricing.bundle_landed`), its purchase cost (unit_cost)
the sum of their purchase costs, and its available stock what the scarcest component makes
(`pricing.bundle_available`). Its price goes through `prices_apply` like any other: floor guard + audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from catalog import pricing
from catalog.models import SKU, BundleComponent, Category, PriceChange, PricingSettings, Product
from catalog.services.prices import PlannedPrice, costs_of, floor_of, prices_apply


def sku_available(sku_ids) -> dict[int, int]:
    """Units available to sell per SKU id, read from the stock app (above catalog) through the selector
    named in settings.SHOPOPS_SKU_STOCK_SELECTOR (called with a SKU id, it returns one dict per
    warehouse with an `available` count; the same contract as catalog.selectors.panels). Without the
    setting every SKU counts 0."""
    path = getattr(django_settings, "SHOPOPS_SKU_STOCK_SELECTOR", "")
    if not path:
        return dict.fromkeys(sku_ids, 0)
    selector = import_string(path)
    return {pk: sum(max(int(row["available"]), 0) for row in selector(pk)) for pk in sku_ids}


@dataclass(frozen=True)
class BundleLine:
    sku: SKU
    quantity: int
    landed: Decimal
    purchase: Decimal
    available: int

    @property
    def landed_total(self) -> Decimal:
        return self.landed * self.quantity


@dataclass(frozen=True)
class BundleQuote:
    """What a bundle at a price would be: cost, margin against its floor, and how many can be sold."""

    lines: list[BundleLine]
    price: Decimal | None
    landed: Decimal
    unit_cost: Decimal
    margin: Decimal | None
    floor: pricing.Floor
    floor_price: Decimal
    breach: bool
    available: int


def bundle_quote(
    *, components: list[tuple[SKU, int]], price: Decimal | None, category: Category | None = None
) -> BundleQuote:
    """The figures of a bundle before it exists (`category` decides its floor; None: the setting)."""
    settings = PricingSettings.current()
    stock = sku_available([sku.pk for sku, _qty in components])
    lines = [
        BundleLine(
            sku=sku,
            quantity=qty,
            landed=costs_of(sku, settings).landed,
            purchase=sku.unit_cost,
            available=stock.get(sku.pk, 0),
        )
        for sku, qty in components
    ]
    parts = [pricing.Component(line.landed, line.quantity, line.available) for line in lines]
    landed = pricing.bundle_landed(parts)
    if category is not None:
        floor = floor_of(SKU(product=Product(category=category)), settings=settings)
    else:
        floor = pricing.Floor(settings.margin_floor, "setting")
    return BundleQuote(
        lines=lines,
        price=price,
        landed=landed,
        unit_cost=sum((line.purchase * line.quantity for line in lines), Decimal("0.00")),
        margin=pricing.gross_margin(price, landed) if price else None,
        floor=floor,
        floor_price=pricing.floor_price(landed, floor.value),
        breach=price is not None and pricing.breaks_floor(price, landed, floor.value),
        available=pricing.bundle_available(parts),
    )


def bundle_list():
    """The bundle SKUs with their components (for the bundles page)."""
    return (
        SKU.objects.filter(components__isnull=False)
        .distinct()
        .select_related("product__category")
        .prefetch_related("components__component__costs")
        .order_by("code")
    )


def bundle_quote_of(bundle: SKU) -> BundleQuote:
    """The figures of an existing bundle at its list price."""
    components = [(c.component, c.quantity) for c in bundle.components.all()]
    return bundle_quote(components=components, price=bundle.list_price, category=bundle.product.category)


@transaction.atomic
def bundle_create(
    *,
    code: str,
    name: str,
    price: Decimal,
    components: list[tuple[int, int]],
    reason: str,
    user,
    product: Product | None = None,
    category: Category | None = None,
    product_name: str = "",
    role: str = SKU.Role.CORE,
    override: bool = False,
) -> SKU:
    """Create a bundle SKU from (component SKU id, quantity) pairs, in `product` or in a new product of
    `category` (named `product_name`, or like the bundle). Its purchase cost is the components' sum;
    its price is set through `prices_apply`, so a price under the floor is refused (unless overridden
    with the permission) and the price is audited. All or nothing."""
    code, name = (code or "").strip(), (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not code:
        errors.setdefault("code", []).append(_("Give the bundle a SKU code."))
    elif SKU.objects.filter(code=code).exists():
        errors.setdefault("code", []).append(_("A SKU with this code exists already."))
    if not name:
        errors.setdefault("name", []).append(_("Give the bundle a name."))
    if product is None and category is None:
        errors.setdefault("category", []).append(_("Choose a product or a category for the bundle."))
    if price is None or price <= 0:
        errors.setdefault("price", []).append(_("A price must be above zero."))
    ids = [pk for pk, _qty in components]
    if len(ids) != len(set(ids)):
        errors.setdefault("components", []).append(_("Each component may appear only once."))
    if any(qty < 1 for _pk, qty in components):
        errors.setdefault("components", []).append(_("A quantity is at least 1."))
    if sum(qty for _pk, qty in components) < 2:
        errors.setdefault("components", []).append(
            _("A bundle holds at least two units: two components, or one component twice or more.")
        )
    skus = SKU.objects.select_related("costs").in_bulk(ids)
    if len(skus) != len(set(ids)):
        errors.setdefault("components", []).append(_("A component SKU does not exist."))
    elif BundleComponent.objects.filter(bundle_id__in=ids).exists():
        errors.setdefault("components", []).append(_("A bundle cannot be a component of another bundle."))
    if errors:
        raise ValidationError(errors)
    if product is None:
        product = Product.objects.create(category=category, name=(product_name or "").strip() or name)
    bundle = SKU.objects.create(
        product=product,
        code=code,
        name=name,
        unit_cost=sum((skus[pk].unit_cost * qty for pk, qty in components), Decimal("0.00")),
        list_price=Decimal("0.00"),
        weight_kg=sum((skus[pk].weight_kg * qty for pk, qty in components), Decimal("0.000")),
        role=role,
    )
    BundleComponent.objects.bulk_create(
        [BundleComponent(bundle=bundle, component_id=pk, quantity=qty) for pk, qty in components]
    )
    prices_apply(
        plans=[PlannedPrice(sku_id=bundle.pk, new_value=price)],
        reason=reason,
        user=user,
        source=PriceChange.Source.UI,
        override=override,
    )
    bundle.refresh_from_db()
    return bundle
