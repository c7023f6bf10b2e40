"""Validation of a promotion as JSON (the API's body, the editor form's data): one function,
``promotion_clean``, used by ``POST/PUT /api/v1/promotions`` and by the promotion editor.

The shape (issue 6)::

    {"code": "D11-TIERS", "name": "满199减20 满399减50", "kind": "threshold_amount",
     "params": {"tiers": [{"threshold": "199", "amount": "20"}, {"threshold": "399", "amount": "50"}]},
     "scope": {"skus": [], "categories": [], "channels": [], "member_tiers": []},
     "starts_at": "2026-11-01T00:00:00+08:00", "ends_at": "2026-11-12T00:00:00+08:00",
     "priority": 10, "exclusive": false, "coupon_required": false, "usage_limit": null,
     "per_customer_limit": null, "loss_leader": false, "active": true}

``params`` per kind (percent numbers: "20" = 20 %; money as strings, or numbers; unused optional
fields omitted or null):

- ``percent_off {percent, min_quantity, min_spend, max_affected_items}``
- ``amount_off {amount, min_quantity, min_spend, max_affected_items, level}`` (level "line" (default)
  or "order")
- ``threshold_amount {tiers: [{threshold, amount}]}`` (满减), ``threshold_percent {tiers: [{threshold,
  percent}]}`` (满折): thresholds distinct; the cleaned tiers are sorted by threshold
- ``buy_x_get_y {buy, get, percent, max_applications}`` (percent default 100 = free)
- ``bundle_price {quantity, price, max_applications}``
- ``gift {threshold, gift_sku, quantity}`` (quantity default 1)
- ``flash_sale {sku, price, quantity, per_customer}`` (needs starts_at and ends_at)
- ``member_price {tiers: {"gold": "10", ...}}``

Errors are keyed by the path of the field: ``code``, ``params.percent``, ``params.tiers[1].threshold``
(the index as sent), ``params.tiers.gold``, ``scope.skus``, ``ends_at``. Unknown SKU, category,
channel and member-tier codes are field errors (a few queries, one per kind of code).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from catalog.models import SKU, Category, MemberTier
from marketing.models import Campaign, MembershipTierRule, Promotion
from orders.models import Channel

__all__ = ["KIND_PARAMS", "SCOPE_KEYS", "promotion_clean", "promotion_as_json", "params_as_json"]

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
SCOPE_KEYS = ("skus", "categories", "channels", "member_tiers")
KINDS = tuple(Promotion.Kind.values)
CENT = Decimal("0.01")
PCT_STEP = Decimal("0.0001")
MAX_MONEY = Decimal("999999999999.99")

# The params each kind accepts (anything else is an error, so a typo does not pass silently).
KIND_PARAMS: dict[str, tuple[str, ...]] = {
    "percent_off": ("percent", "min_quantity", "min_spend", "max_affected_items"),
    "amount_off": ("amount", "min_quantity", "min_spend", "max_affected_items", "level"),
    "threshold_amount": ("tiers",),
    "threshold_percent": ("tiers",),
    "buy_x_get_y": ("buy", "get", "percent", "max_applications"),
    "bundle_price": ("quantity", "price", "max_applications"),
    "gift": ("threshold", "gift_sku", "quantity"),
    "flash_sale": ("sku", "price", "quantity", "per_customer"),
    "member_price": ("tiers",),
}

_MISSING = object()


class _Errors(dict):
    def add(self, key: str, message: str) -> None:
        self.setdefault(key, []).append(str(message))


def _blank(value: Any) -> bool:
    return value is None or value == "" or value is _MISSING


# ---------------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------------
def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _money(errors: _Errors, key: str, value: Any, *, required: bool, positive: bool = False):
    if _blank(value):
        if required:
            errors.add(key, _("This field is required."))
        return None
    number = _decimal(value)
    if number is None:
        errors.add(key, _('Enter an amount of money, e.g. "19.90".'))
        return None
    if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        errors.add(key, _("Use at most 2 decimal places."))
        return None
    if number < 0 or (positive and number == 0):
        errors.add(key, _("Must be more than zero.") if positive else _("Must not be negative."))
        return None
    if number > MAX_MONEY:
        errors.add(key, _("Too large."))
        return None
    return number.quantize(CENT)


def _percent(errors: _Errors, key: str, value: Any, *, required: bool):
    if _blank(value):
        if required:
            errors.add(key, _("This field is required."))
        return None
    number = _decimal(value)
    if number is None:
        errors.add(key, _('Enter a percentage, e.g. "20" for 20 %.'))
        return None
    if number != number.quantize(PCT_STEP, rounding=ROUND_HALF_UP):
        errors.add(key, _("Use at most 4 decimal places."))
        return None
    if not 0 < number <= 100:
        errors.add(key, _("Enter a percentage above 0 and at most 100."))
        return None
    return number


def _int(errors: _Errors, key: str, value: Any, *, required: bool, minimum: int | None = None):
    if _blank(value):
        if required:
            errors.add(key, _("This field is required."))
        return None
    if isinstance(value, bool):
        errors.add(key, _("Enter a whole number."))
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            errors.add(key, _("Enter a whole number."))
            return None
        number = int(text)
    if minimum is not None and number < minimum:
        errors.add(key, _("Must be at least %(minimum)s.") % {"minimum": minimum})
        return None
    if abs(number) > 2_147_483_647:
        errors.add(key, _("Too large."))
        return None
    return number


def _bool(errors: _Errors, key: str, value: Any, *, default: bool) -> bool:
    if value is _MISSING or value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "on", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "off", "no"):
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    errors.add(key, _("Must be true or false."))
    return default


def _datetime(errors: _Errors, key: str, value: Any) -> datetime | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = parse_datetime(str(value).strip())
        except ValueError:
            moment = None
        if moment is None:
            errors.add(key, _("Enter a date and time, e.g. 2026-11-11T00:00:00+08:00."))
            return None
    if timezone.is_naive(moment):  # a naive time is the shop's local time
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def _text(errors: _Errors, key: str, value: Any, *, max_length: int, required: bool = True) -> str:
    if _blank(value):
        if required:
            errors.add(key, _("This field is required."))
        return ""
    if not isinstance(value, str):
        errors.add(key, _("Must be text."))
        return ""
    text = value.strip()
    if required and not text:
        errors.add(key, _("This field is required."))
    if len(text) > max_length:
        errors.add(key, _("At most %(count)s characters.") % {"count": max_length})
    return text


def _code_list(errors: _Errors, key: str, value: Any) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, str):  # "A, B" from a form field
        value = [part for part in re.split(r"[\s,，;]+", value) if part]
    if not isinstance(value, (list, tuple)):
        errors.add(key, _("Must be a list of codes."))
        return []
    codes: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            errors.add(key, _("Must be a list of codes."))
            return []
        if item.strip() not in codes:
            codes.append(item.strip())
    return codes


# ---------------------------------------------------------------------------------------------
# Known codes (one query per kind of code)
# ---------------------------------------------------------------------------------------------
def _known_skus(codes) -> set[str]:
    return set(SKU.objects.filter(code__in=set(codes)).values_list("code", flat=True)) if codes else set()


def _known_tiers() -> set[str]:
    return set(MemberTier.values) | set(MembershipTierRule.objects.values_list("code", flat=True))


def _unknown(errors: _Errors, key: str, codes: list[str], known: set[str], what: str) -> None:
    missing = [code for code in codes if code not in known]
    if missing:
        errors.add(key, _("Unknown %(what)s: %(codes)s.") % {"what": what, "codes": ", ".join(missing)})


# ---------------------------------------------------------------------------------------------
# Params per kind
# ---------------------------------------------------------------------------------------------
def _clean_params(errors: _Errors, kind: str, params: Any, sku_refs: list[tuple[str, str]]) -> dict:
    if _blank(params):
        params = {}
    if not isinstance(params, dict):
        errors.add("params", _("Must be an object."))
        return {}
    for name in params:
        if name not in KIND_PARAMS[kind]:
            errors.add(f"params.{name}", _("Not a parameter of this kind of promotion."))
    get = params.get
    out: dict[str, Any] = {}

    def opt_int(name: str, minimum: int) -> None:
        out[name] = _int(errors, f"params.{name}", get(name, _MISSING), required=False, minimum=minimum)

    if kind in ("percent_off", "amount_off"):
        if kind == "percent_off":
            out["percent"] = _percent(errors, "params.percent", get("percent", _MISSING), required=True)
        else:
            out["amount"] = _money(
                errors, "params.amount", get("amount", _MISSING), required=True, positive=True
            )
            level = get("level") or "line"
            if level not in ("line", "order"):
                errors.add("params.level", _('Choose "line" or "order".'))
            out["level"] = level
        opt_int("min_quantity", 0)
        out["min_spend"] = _money(errors, "params.min_spend", get("min_spend", _MISSING), required=False)
        opt_int("max_affected_items", 1)
    elif kind in ("threshold_amount", "threshold_percent"):
        out["tiers"] = _clean_tiers(errors, kind, get("tiers", _MISSING))
    elif kind == "buy_x_get_y":
        out["buy"] = _int(errors, "params.buy", get("buy", _MISSING), required=True, minimum=1)
        out["get"] = _int(errors, "params.get", get("get", _MISSING), required=True, minimum=1)
        percent = _percent(errors, "params.percent", get("percent", _MISSING), required=False)
        out["percent"] = Decimal(100) if percent is None else percent
        opt_int("max_applications", 1)
    elif kind == "bundle_price":
        out["quantity"] = _int(errors, "params.quantity", get("quantity", _MISSING), required=True, minimum=2)
        out["price"] = _money(errors, "params.price", get("price", _MISSING), required=True, positive=True)
        opt_int("max_applications", 1)
    elif kind == "gift":
        out["threshold"] = _money(
            errors, "params.threshold", get("threshold", _MISSING), required=True, positive=True
        )
        out["gift_sku"] = _text(errors, "params.gift_sku", get("gift_sku", _MISSING), max_length=64)
        if out["gift_sku"]:
            sku_refs.append(("params.gift_sku", out["gift_sku"]))
        quantity = _int(errors, "params.quantity", get("quantity", _MISSING), required=False, minimum=1)
        out["quantity"] = 1 if quantity is None else quantity
    elif kind == "flash_sale":
        out["sku"] = _text(errors, "params.sku", get("sku", _MISSING), max_length=64)
        if out["sku"]:
            sku_refs.append(("params.sku", out["sku"]))
        out["price"] = _money(errors, "params.price", get("price", _MISSING), required=True)
        out["quantity"] = _int(errors, "params.quantity", get("quantity", _MISSING), required=True, minimum=1)
        opt_int("per_customer", 1)
    elif kind == "member_price":
        out["tiers"] = _clean_member_tiers(errors, get("tiers", _MISSING))
    return out


def _clean_tiers(errors: _Errors, kind: str, tiers: Any) -> list[dict]:
    value_key = "amount" if kind == "threshold_amount" else "percent"
    if _blank(tiers) or tiers == []:
        errors.add("params.tiers", _("Add at least one tier."))
        return []
    if not isinstance(tiers, list):
        errors.add("params.tiers", _("Must be a list of tiers."))
        return []
    cleaned = []
    seen: dict[Decimal, int] = {}
    for n, tier in enumerate(tiers):
        key = f"params.tiers[{n}]"
        if not isinstance(tier, dict):
            errors.add(key, _("Must be an object with threshold and %(field)s.") % {"field": value_key})
            continue
        for name in tier:
            if name not in ("threshold", value_key):
                errors.add(f"{key}.{name}", _("Not a field of a tier."))
        threshold = _money(
            errors, f"{key}.threshold", tier.get("threshold", _MISSING), required=True, positive=True
        )
        if value_key == "amount":
            value = _money(
                errors, f"{key}.amount", tier.get("amount", _MISSING), required=True, positive=True
            )
            if threshold is not None and value is not None and value > threshold:
                errors.add(f"{key}.amount", _("The amount off cannot exceed the threshold."))
                value = None
        else:
            value = _percent(errors, f"{key}.percent", tier.get("percent", _MISSING), required=True)
        if threshold is not None and threshold in seen:
            errors.add(f"{key}.threshold", _("Two tiers have the same threshold."))
            continue
        if threshold is not None:
            seen[threshold] = n
        if threshold is not None and value is not None:
            cleaned.append({"threshold": threshold, value_key: value, "_n": n})
    cleaned.sort(key=lambda tier: tier["threshold"])
    for lower, higher in zip(cleaned, cleaned[1:], strict=False):
        if higher[value_key] <= lower[value_key]:
            errors.add(
                f"params.tiers[{higher['_n']}].{value_key}",
                _("A higher threshold must give more than the tier below it."),
            )
    return [{k: v for k, v in tier.items() if k != "_n"} for tier in cleaned]


def _clean_member_tiers(errors: _Errors, tiers: Any) -> dict[str, Decimal]:
    if _blank(tiers) or tiers == {}:
        errors.add("params.tiers", _("Give the percent off for at least one membership tier."))
        return {}
    if not isinstance(tiers, dict):
        errors.add("params.tiers", _("Must be an object: tier code -> percent."))
        return {}
    known = _known_tiers()
    out: dict[str, Decimal] = {}
    for tier, percent in tiers.items():
        key = f"params.tiers.{tier}"
        if tier not in known:
            errors.add(key, _("Unknown membership tier: %(code)s.") % {"code": tier})
            continue
        value = _percent(errors, key, percent, required=True)
        if value is not None:
            out[str(tier)] = value
    return out


# ---------------------------------------------------------------------------------------------
# The whole promotion
# ---------------------------------------------------------------------------------------------
def promotion_clean(
    data: dict, *, promotion: Promotion | None = None
) -> tuple[dict | None, dict[str, list[str]]]:
    """Validate a promotion as JSON; return ``(cleaned, {})`` or ``(None, errors)``.

    ``data`` is the issue's promotion JSON (see the module docstring), from the API or the editor
    form. ``promotion`` is the promotion being edited, if any: its own code is not "taken".

    ``cleaned`` has every key, with defaults filled in::

        {"code": str, "name": str, "kind": str,
         "params": {... per kind: money and percents as Decimal, counts as int, optional ones None,
                    threshold tiers sorted by threshold as [{"threshold": Decimal, "amount"|"percent":
                    Decimal}], member_price tiers as {tier: Decimal}},
         "scope": {"skus": [codes], "categories": [codes], "channels": [codes], "member_tiers": [codes]},
         "starts_at": aware datetime | None, "ends_at": aware datetime | None,
         "priority": int, "exclusive": bool, "coupon_required": bool,
         "usage_limit": int | None, "per_customer_limit": int | None,
         "loss_leader": bool, "active": bool}

    plus ``"campaign"`` (a Campaign or None) only when ``data`` has a ``"campaign"`` key (a campaign
    code). Naive datetimes are read in the shop's time zone. Defaults: priority 0, booleans false
    except ``active`` (true).

    ``errors`` maps a field path to its messages (translated): ``"code"``, ``"params.percent"``,
    ``"params.tiers[1].threshold"`` (index as sent), ``"params.tiers.gold"``, ``"scope.skus"``
    ("Unknown SKU: X, Y."), ``"ends_at"``, ``"non_field_errors"`` (the body is not an object).
    Never writes anything.
    """
    errors = _Errors()
    if not isinstance(data, dict):
        return None, {"non_field_errors": [_("Expected a JSON object.")]}
    get = data.get
    code = _text(errors, "code", get("code", _MISSING), max_length=50)
    if code and not CODE_RE.match(code):
        errors.add("code", _("Use letters, digits, '-', '_' and '.' only, starting with a letter or digit."))
    elif code:
        taken = Promotion.objects.filter(code__iexact=code)
        if promotion is not None and promotion.pk:
            taken = taken.exclude(pk=promotion.pk)
        if taken.exists():
            errors.add("code", _("A promotion with this code already exists."))
    name = _text(errors, "name", get("name", _MISSING), max_length=200)
    kind = get("kind")
    if kind not in KINDS:
        errors.add("kind", _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)})
        kind = None

    sku_refs: list[tuple[str, str]] = []
    params = _clean_params(errors, kind, get("params", _MISSING), sku_refs) if kind else {}

    scope_in = get("scope", _MISSING)
    scope: dict[str, list[str]] = {key: [] for key in SCOPE_KEYS}
    if not _blank(scope_in):
        if not isinstance(scope_in, dict):
            errors.add("scope", _("Must be an object."))
        else:
            for name_ in scope_in:
                if name_ not in SCOPE_KEYS:
                    errors.add(f"scope.{name_}", _("Not a scope field."))
            for key in SCOPE_KEYS:
                scope[key] = _code_list(errors, f"scope.{key}", scope_in.get(key))
    if kind == "flash_sale" and (scope["skus"] or scope["categories"]):
        errors.add(
            "scope.skus", _("A flash sale is about its one SKU: leave the SKU and category scope empty.")
        )

    # Known codes: SKUs (scope and params) in one query, then categories, channels, tiers.
    wanted = set(scope["skus"]) | {code_ for _key, code_ in sku_refs}
    known_skus = _known_skus(wanted)
    _unknown(errors, "scope.skus", scope["skus"], known_skus, _("SKU"))
    for key, sku_code in sku_refs:
        if sku_code not in known_skus:
            errors.add(key, _("Unknown SKU: %(codes)s.") % {"codes": sku_code})
    if scope["categories"]:
        known = set(Category.objects.filter(code__in=scope["categories"]).values_list("code", flat=True))
        _unknown(errors, "scope.categories", scope["categories"], known, _("category"))
    if scope["channels"]:
        known = set(Channel.objects.filter(code__in=scope["channels"]).values_list("code", flat=True))
        _unknown(errors, "scope.channels", scope["channels"], known, _("channel"))
    if scope["member_tiers"]:
        _unknown(errors, "scope.member_tiers", scope["member_tiers"], _known_tiers(), _("membership tier"))

    starts_at = _datetime(errors, "starts_at", get("starts_at", _MISSING))
    ends_at = _datetime(errors, "ends_at", get("ends_at", _MISSING))
    if starts_at and ends_at and ends_at <= starts_at:
        errors.add("ends_at", _("Must be after the start."))
    if kind == "flash_sale":
        for key, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
            if moment is None and key not in errors:
                errors.add(key, _("A flash sale needs a time window."))

    cleaned = {
        "code": code,
        "name": name,
        "kind": kind,
        "params": params,
        "scope": scope,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "priority": _int(errors, "priority", get("priority", _MISSING), required=False) or 0,
        "exclusive": _bool(errors, "exclusive", get("exclusive", _MISSING), default=False),
        "coupon_required": _bool(errors, "coupon_required", get("coupon_required", _MISSING), default=False),
        "usage_limit": _int(errors, "usage_limit", get("usage_limit", _MISSING), required=False, minimum=1),
        "per_customer_limit": _int(
            errors, "per_customer_limit", get("per_customer_limit", _MISSING), required=False, minimum=1
        ),
        "loss_leader": _bool(errors, "loss_leader", get("loss_leader", _MISSING), default=False),
        "active": _bool(errors, "active", get("active", _MISSING), default=True),
    }
    if "campaign" in data:
        campaign_code = get("campaign")
        cleaned["campaign"] = None
        if not _blank(campaign_code):
            cleaned["campaign"] = Campaign.objects.filter(code=str(campaign_code)).first()
            if cleaned["campaign"] is None:
                errors.add("campaign", _("Unknown campaign: %(codes)s.") % {"codes": campaign_code})
    if errors:
        return None, dict(errors)
    return cleaned, {}


# ---------------------------------------------------------------------------------------------
# Back to JSON
# ---------------------------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def params_as_json(params: dict) -> dict:
    """Cleaned params as stored in ``Promotion.params``: Decimals as strings, None values dropped."""
    return {key: _jsonable(value) for key, value in params.items() if value is not None}


def promotion_as_json(promotion: Promotion) -> dict:
    """A saved promotion in the API's shape (what ``promotion_clean`` accepts back), plus ``used``.
    Times in the shop's time zone with their offset."""
    scope = promotion.scope or {}
    return {
        "code": promotion.code,
        "name": promotion.name,
        "kind": promotion.kind,
        "params": _jsonable(promotion.params or {}),
        "scope": {key: list(scope.get(key) or []) for key in SCOPE_KEYS},
        "starts_at": timezone.localtime(promotion.starts_at).isoformat() if promotion.starts_at else None,
        "ends_at": timezone.localtime(promotion.ends_at).isoformat() if promotion.ends_at else None,
        "priority": promotion.priority,
        "exclusive": promotion.exclusive,
        "coupon_required": promotion.coupon_required,
        "usage_limit": promotion.usage_limit,
        "per_customer_limit": promotion.per_customer_limit,
        "loss_leader": promotion.loss_leader,
        "active": promotion.active,
        "used": promotion.used,
    }
