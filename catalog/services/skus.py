"""Writing the catalogue from outside: bulk upsert of SKUs by code, for the ERP API (`PUT /api/v1/skus`) and
the catalogue import page. Both hand over plain rows (dicts of the fields below) and get the same per-row
answer: created, updated, unchanged, or rejected with field errors.

Rules:
- The key is the SKU code. Fields left out (or null / a blank cell) keep their value on an existing SKU; a
  new SKU needs name, category, unit_cost and list_price (weight defaults to 0, role to core, active to
  true).
- A new SKU gets a product of its own, named after the SKU, in the given category. A category change
  moves that product when the SKU is its only one; a SKU that shares its product with others gets a
  product of its own in the new category.
- Every price and cost change is audited (who, when, old, new, why, source) and every new price checked
  against the margin floor at the row's new cost and category: list prices are set with `prices_apply`;
  purchase costs are written for the whole batch at once with the audit `sku_costs_set` writes for one SKU
  (old, new, why, gross margin at the current price). A list price under the floor rejects the row: there
  is no override here (a person with the override permission uses the SKU page). A new SKU's first price
  and cost are audited too (old value blank) and floor-checked the same way.
- One transaction: a rejected row writes nothing, the others are applied. Unchanged rows write nothing.
  A batch is written in a few queries per changed row (1,000 price and cost changes: a few seconds).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import pricing
from catalog.models import SKU, Category, PriceChange, Product, SKUCost
from catalog.services.prices import (
    MarginFloorError,
    PlannedPrice,
    PreviewRow,
    price_changes_audit,
    prices_apply,
    prices_preview,
)
from shopops.common.money import format_money

MAX_SKUS_PER_REQUEST = 1000
SKU_FIELDS = ("code", "name", "category", "unit_cost", "list_price", "weight", "role", "active")
NEW_SKU_REQUIRED = ("name", "category", "unit_cost", "list_price")

MONEY_MAX = Decimal("999999999999.99")
WEIGHT_MAX = Decimal("99999.999")  # weight_kg: 8 digits, 3 decimals
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


@dataclass(frozen=True)
class SKURow:
    """One checked row: the code and the fields given (None: not given, keep the stored value)."""

    code: str
    name: str | None = None
    category: str | None = None
    unit_cost: Decimal | None = None
    list_price: Decimal | None = None
    weight: Decimal | None = None
    role: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class Rejection:
    """A row refused: its position in the input, its code as given (None if not a text) and its errors."""

    index: int
    code: str | None
    errors: dict[str, list[str]]


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The API's answer (the order sync's shape, keyed by SKU code)."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [{"code": r.code, "errors": r.errors} for r in self.rejected],
        }


class _RowRejected(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


# --- checking one row ---------------------------------------------------------------------------------


def _text(value, *, max_length: int) -> tuple[str | None, str | None]:
    if not isinstance(value, str):
        return None, _("Must be text.")
    text = value.strip()
    if not text:
        return None, _("Must not be blank.")
    if len(text) > max_length:
        return None, _("At most %(count)d characters.") % {"count": max_length}
    return text, None


def _decimal(value, *, places: int, maximum: Decimal) -> tuple[Decimal | None, str | None]:
    """A number given as a string, an integer or a Decimal (never a float: JSON numbers with a fraction
    arrive as Decimals), not negative, with at most `places` decimals."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        return None, _('Must be a number, such as "79.00".')
    text = str(value).strip()
    if not _NUMBER.fullmatch(text):
        return None, _("Not a number: %(value)s") % {"value": text[:40]}
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None, _("Not a number: %(value)s") % {"value": text[:40]}
    if number < 0:
        return None, _("Must not be negative.")
    if number > maximum:
        return None, _("Too large.")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        return None, _("At most %(places)d decimal places.") % {"places": places}
    return number.quantize(Decimal(1).scaleb(-places)), None


def _boolean(value) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int) and value in (0, 1):
        return bool(value), None
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE, None
    return None, _("Must be true or false.")


def _role(value) -> tuple[str | None, str | None]:
    if isinstance(value, str) and value.strip() in SKU.Role.values:
        return value.strip(), None
    return None, _("Not a role: use one of %(roles)s.") % {"roles": ", ".join(SKU.Role.values)}


def sku_row_parse(raw) -> tuple[SKURow | None, dict[str, list[str]]]:
    """Check the shape of one row (a dict of SKU_FIELDS; other keys are ignored). Returns the row or
    field errors. A missing or null field is "not given"; what the database knows (categories, existing
    SKUs, the floor) is checked by `sku_upsert`."""
    if not isinstance(raw, Mapping):
        return None, {"non_field_errors": [_("A SKU must be an object of fields.")]}
    errors: dict[str, list[str]] = {}
    values: dict = {}
    code = raw.get("code")
    if code is None or (isinstance(code, str) and not code.strip()):
        errors["code"] = [_("This field is required.")]
    else:
        values["code"], message = _text(code, max_length=64)
        if message:
            errors["code"] = [message]
    checks = {
        "name": lambda v: _text(v, max_length=200),
        "category": lambda v: _text(v, max_length=50),
        "unit_cost": lambda v: _decimal(v, places=2, maximum=MONEY_MAX),
        "list_price": lambda v: _decimal(v, places=2, maximum=MONEY_MAX),
        "weight": lambda v: _decimal(v, places=3, maximum=WEIGHT_MAX),
        "role": _role,
        "active": _boolean,
    }
    for name, check in checks.items():
        value = raw.get(name)
        if value is None:
            continue
        values[name], message = check(value)
        if message:
            errors[name] = [message]
    if "list_price" in values and values["list_price"] == 0 and "list_price" not in errors:
        errors["list_price"] = [_("A price must be above zero.")]
    if errors:
        return None, errors
    return SKURow(**values), {}


# --- writing ------------------------------------------------------------------------------------------


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _floor_message(row: PreviewRow) -> str:
    return _(
        "%(price)s is under the margin floor: gross margin %(margin)s, floor %(floor)s (lowest allowed "
        "price %(minimum)s). Prices under the floor are set on the SKU page, with the override permission."
    ) % {
        "price": format_money(row.plan.new_value),
        "margin": _pct(row.margin),
        "floor": _pct(row.floor.value),
        "minimum": format_money(row.floor_price),
    }


def _errors_of(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            name: [str(m) for m in ValidationError(items).messages] for name, items in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _code_of(raw) -> str | None:
    code = raw.get("code") if isinstance(raw, Mapping) else None
    return code.strip() if isinstance(code, str) else None


@dataclass
class _Update:
    index: int
    row: SKURow
    sku: SKU
    fields: dict  # SKU attribute -> new value
    category: Category | None  # a new category, or None
    cost: bool
    price: bool


def sku_upsert(
    *,
    rows: Sequence,
    reason: str,
    user=None,
    source: str = PriceChange.Source.API,
    today: date | None = None,
    result: UpsertResult | None = None,
) -> UpsertResult:
    """Create or update SKUs by code from plain rows (see the module docstring). `reason` goes into the
    audit of every price and cost change ("API sync by <client>", "Import of <file>"); `user` is who
    (None for an API client). One transaction; a rejected row leaves no trace."""
    result = result or UpsertResult()
    parsed: list[tuple[int, SKURow]] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(rows):
        row, errors = sku_row_parse(raw)
        if errors:
            rejected.append(Rejection(index, _code_of(raw), errors))
        else:
            parsed.append((index, row))
    counts = Counter(row.code for _index, row in parsed)
    for index, row in parsed:
        if counts[row.code] > 1:
            rejected.append(
                Rejection(index, row.code, {"code": [_("This SKU code is given more than once.")]})
            )
    parsed = [(index, row) for index, row in parsed if counts[row.code] == 1]
    if parsed:
        reason = reason.strip()[:300]
        with transaction.atomic():
            for attempt in range(3):
                try:
                    with transaction.atomic():
                        created, updated, unchanged, refused = _upsert(parsed, reason, user, source, today)
                    break
                except IntegrityError:
                    # Another request created one of the new codes meanwhile: read again, it now exists.
                    if attempt == 2:
                        raise
        result.created += created
        result.updated += updated
        result.unchanged += unchanged
        rejected.extend(refused)
    result.rejected.extend(sorted(rejected, key=lambda r: r.index))
    return result


def _upsert(parsed: list[tuple[int, SKURow]], reason: str, user, source: str, today):
    """The writes of sku_upsert, in the caller's transaction: (created, updated, unchanged, rejections)."""
    codes = [row.code for _index, row in parsed]
    # Lock the existing SKUs in a fixed order so that two syncs of overlapping batches cannot deadlock.
    locked = list(SKU.objects.select_for_update().filter(code__in=codes).order_by("pk").values_list("pk"))
    existing = {
        sku.code: sku
        for sku in SKU.objects.filter(pk__in=[pk for (pk,) in locked]).select_related("product__category")
    }
    wanted = {row.category for _index, row in parsed if row.category}
    categories = {c.code: c for c in Category.objects.filter(code__in=wanted)}
    rejected: list[Rejection] = []
    creates: list[tuple[int, SKURow]] = []
    updates: list[_Update] = []
    unchanged = 0
    for index, row in parsed:
        errors = {}
        if row.category and row.category not in categories:
            errors["category"] = [_("Unknown category: %(code)s") % {"code": row.category}]
        sku = existing.get(row.code)
        if sku is None:
            for name in NEW_SKU_REQUIRED:
                if getattr(row, name) is None:
                    errors.setdefault(name, []).append(_("Required for a new SKU."))
        if errors:
            rejected.append(Rejection(index, row.code, errors))
        elif sku is None:
            creates.append((index, row))
        else:
            change = _diff(index, row, sku, categories)
            if change is None:
                unchanged += 1
            else:
                updates.append(change)

    # Write everything, then check every new price against the floor at the new costs and categories: a
    # new SKU's with prices_preview, a changed list price by prices_apply itself (it refuses the whole
    # batch, naming the breaching rows). Rows that break the floor are taken out and the rest written
    # again; a bundle's floor can depend on another row's cost, so repeat until no row breaks it.
    now = timezone.now()
    by = user if user is not None and user.is_authenticated else None
    codes_of = {i: row.code for i, row in parsed}
    out: set[int] = set()
    while True:
        savepoint = transaction.savepoint()
        new_skus = _create([(i, row) for i, row in creates if i not in out], categories)
        todo = [u for u in updates if u.index not in out]
        _update_fields(todo, now)
        cost_audit = _set_costs([u for u in todo if u.cost], reason, by, source, now)
        plans = {i: PlannedPrice(sku_id=sku.pk, new_value=sku.list_price) for i, sku in new_skus.items()}
        preview = dict(zip(plans, prices_preview(list(plans.values()), today=today), strict=True))
        breaches = {i: p for i, p in preview.items() if p.breach}
        if not breaches:
            changes = {
                u.index: PlannedPrice(sku_id=u.sku.pk, new_value=u.row.list_price) for u in todo if u.price
            }
            try:
                if changes:
                    prices_apply(
                        plans=list(changes.values()), reason=reason, user=user, source=source, today=today
                    )
            except MarginFloorError as exc:
                index_of = {plan: i for i, plan in changes.items()}
                breaches = {index_of[p.plan]: p for p in exc.rows}
        if not breaches:
            transaction.savepoint_commit(savepoint)
            break
        transaction.savepoint_rollback(savepoint)
        out |= set(breaches)
        rejected.extend(
            Rejection(i, codes_of[i], {"list_price": [_floor_message(p)]}) for i, p in breaches.items()
        )
    stored = PriceChange.objects.bulk_create(
        cost_audit
        + [
            PriceChange(
                sku=sku,
                field=field_name,
                old_value=None,
                new_value=value,
                reason=f"{reason} ({_('new SKU')})"[:300],
                margin=preview[i].margin,
                source=source,
                changed_by=by,
                changed_at=now,
            )
            for i, sku in new_skus.items()
            for field_name, value in (
                (PriceChange.Field.UNIT_COST, sku.unit_cost),
                (PriceChange.Field.LIST_PRICE, sku.list_price),
            )
        ]
    )
    # The audit trail (bulk writes send no signal; changed list prices were recorded by prices_apply).
    price_changes_audit(stored[: len(cost_audit)], user=by)
    price_changes_audit(stored[len(cost_audit) :], user=by, action="create")
    return len(new_skus), len(todo), unchanged, rejected


def _diff(index: int, row: SKURow, sku: SKU, categories: dict) -> _Update | None:
    """What the row changes on the SKU; None when nothing."""
    fields = {}
    for name, attr in (("name", "name"), ("weight", "weight_kg"), ("role", "role"), ("active", "active")):
        value = getattr(row, name)
        if value is not None and value != getattr(sku, attr):
            fields[attr] = value
    category = categories.get(row.category) if row.category else None
    if category is not None and category.pk == sku.product.category_id:
        category = None
    cost = row.unit_cost is not None and row.unit_cost != sku.unit_cost
    price = row.list_price is not None and row.list_price != sku.list_price
    if not (fields or category or cost or price):
        return None
    return _Update(index, row, sku, fields, category, cost, price)


def _create(creates: list[tuple[int, SKURow]], categories: dict) -> dict[int, SKU]:
    """New SKUs, each with a product of its own named after it: {row index: SKU}."""
    if not creates:
        return {}
    products = Product.objects.bulk_create(
        [Product(category=categories[row.category], name=row.name) for _i, row in creates]
    )
    skus = SKU.objects.bulk_create(
        [
            SKU(
                product=product,
                code=row.code,
                name=row.name,
                unit_cost=row.unit_cost,
                list_price=row.list_price,
                weight_kg=row.weight if row.weight is not None else Decimal("0.000"),
                role=row.role or SKU.Role.CORE,
                active=row.active if row.active is not None else True,
            )
            for (_i, row), product in zip(creates, products, strict=True)
        ]
    )
    return {i: sku for (i, _row), sku in zip(creates, skus, strict=True)}


def _update_fields(updates: list[_Update], now) -> None:
    """Names, weights, roles, active flags and categories (prices and costs are written apart)."""
    moves = [u for u in updates if u.category is not None]
    if moves:
        shared = set(
            Product.objects.filter(pk__in={u.sku.product_id for u in moves})
            .annotate(n=Count("skus"))
            .filter(n__gt=1)
            .values_list("pk", flat=True)
        )
        # A SKU alone on its product takes the product along; one that shares it gets a product of its own.
        alone = [u for u in moves if u.sku.product_id not in shared]
        for u in alone:
            Product.objects.filter(pk=u.sku.product_id).update(category=u.category, updated_at=now)
        split = [u for u in moves if u.sku.product_id in shared]
        products = Product.objects.bulk_create(
            [Product(category=u.category, name=u.row.name or u.sku.name) for u in split]
        )
        for u, product in zip(split, products, strict=True):
            u.fields["product"] = product
    changed = [u for u in updates if u.fields or u.category is not None]
    if changed:
        # New objects, not the loaded ones: those keep the old values (for the audit, and for another pass).
        rows = [
            SKU(
                pk=u.sku.pk,
                name=u.fields.get("name", u.sku.name),
                weight_kg=u.fields.get("weight_kg", u.sku.weight_kg),
                role=u.fields.get("role", u.sku.role),
                active=u.fields.get("active", u.sku.active),
                product_id=u.fields["product"].pk if "product" in u.fields else u.sku.product_id,
                updated_at=now,
            )
            for u in changed
        ]
        SKU.objects.bulk_update(
            rows, ["name", "weight_kg", "role", "active", "product", "updated_at"], batch_size=500
        )


def _set_costs(updates: list[_Update], reason: str, by, source: str, now) -> list[PriceChange]:
    """New purchase costs, audited as `sku_costs_set` does (old, new, why, gross margin at the current list
    price), for many SKUs at once. Returns the audit rows to store."""
    if not updates:
        return []
    extras = {
        sku_id: inbound + packaging
        for sku_id, inbound, packaging in SKUCost.objects.filter(
            sku_id__in=[u.sku.pk for u in updates]
        ).values_list("sku_id", "inbound_cost", "packaging_cost")
    }
    audit = []
    for u in updates:
        landed = u.row.unit_cost + extras.get(u.sku.pk, Decimal("0"))
        audit.append(
            PriceChange(
                sku=u.sku,
                field=PriceChange.Field.UNIT_COST,
                old_value=u.sku.unit_cost,
                new_value=u.row.unit_cost,
                reason=reason,
                margin=pricing.gross_margin(u.sku.list_price, landed),
                source=source,
                changed_by=by,
                changed_at=now,
            )
        )
    SKU.objects.bulk_update(
        [SKU(pk=u.sku.pk, unit_cost=u.row.unit_cost, updated_at=now) for u in updates],
        ["unit_cost", "updated_at"],
        batch_size=500,
    )
    return audit
