"""The promotion editor's forms and the "try a cart" simulator's form.

These forms only give the page its shape (inputs, labels, current values); they never decide whether
a promotion is valid. `PromotionEditor.data()` turns what was posted into the promotion JSON of the API
(issue 6) and `marketing.promotion_params.promotion_clean` validates it, exactly as for the API; its
field errors (keyed like ``params.tiers[1].threshold`` or ``scope.skus``) are put back next to the
inputs by `PromotionEditor.errors_apply`.

Posted names: the promotion's own fields by name (``code``, ``starts_at``, ``scope_skus``...), the
kind's parameters with the prefix ``params-`` (``params-percent``), threshold tiers as repeated
``tier-threshold`` / ``tier-value`` pairs (one pair per row, in order; ``tier-value`` is the amount of
threshold_amount and the percent of threshold_percent), member prices as ``params-tier_<tier>``; the
simulator's fields with the prefix ``sim-`` and its cart lines as repeated ``line-sku`` / ``line-qty``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import MemberTier
from marketing.models import Promotion

TIER_KINDS = {"threshold_amount": "amount", "threshold_percent": "percent"}
MIN_TIER_ROWS = 1
MAX_TIER_ROWS = 10
MIN_CART_LINES = 3
MAX_CART_LINES = 50
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
SMALL_INPUT = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}

# The parameters of each kind (besides the tiers), in the API's names: (name, label, input type).
# "text" inputs take money and percent numbers as typed ("20" = 20 %, "199.00"), "int" whole numbers.
KIND_PARAMS: dict[str, list[tuple[str, object, str]]] = {
    "percent_off": [
        ("percent", _("Percent off"), "text"),
        ("min_quantity", _("Minimum units in scope"), "int"),
        ("min_spend", _("Minimum spend in scope (¥)"), "text"),
        ("max_affected_items", _("At most this many units, cheapest first"), "int"),
    ],
    "amount_off": [
        ("amount", _("Amount off (¥)"), "text"),
        ("min_quantity", _("Minimum units in scope"), "int"),
        ("min_spend", _("Minimum spend in scope (¥)"), "text"),
        ("max_affected_items", _("At most this many units, cheapest first"), "int"),
        ("level", _("Applies"), "level"),
    ],
    "threshold_amount": [],
    "threshold_percent": [],
    "buy_x_get_y": [
        ("buy", _("Buy (units)"), "int"),
        ("get", _("Get (units, the cheapest)"), "int"),
        ("percent", _("Percent off the units got (100 = free)"), "text"),
        ("max_applications", _("At most this many times"), "int"),
    ],
    "bundle_price": [
        ("quantity", _("Units in a bundle"), "int"),
        ("price", _("Bundle price (¥)"), "text"),
        ("max_applications", _("At most this many bundles"), "int"),
    ],
    "gift": [
        ("threshold", _("Spend in scope to get the gift (¥)"), "text"),
        ("gift_sku", _("Gift SKU code"), "text"),
        ("quantity", _("Gift units"), "int"),
    ],
    "flash_sale": [
        ("sku", _("SKU code"), "text"),
        ("price", _("Flash price (¥)"), "text"),
        ("quantity", _("Units on sale"), "int"),
        ("per_customer", _("Units per customer"), "int"),
    ],
    "member_price": [],  # one percent per member tier, see MEMBER_TIER_PARAM
}
MEMBER_TIER_PARAM = "tier_"  # params-tier_gold = percent off for gold members
LEVELS = [("line", _("On the lines (line level)")), ("order", _("On the order (after line discounts)"))]


def split_codes(text: str) -> list[str]:
    """Codes typed in a box, separated by commas, spaces, semicolons or new lines (、 and ， too)."""
    return [code for code in re.split(r"[\s,;，、；]+", text or "") if code]


def local_input(value: datetime | None) -> str:
    """An aware datetime as the value of a datetime-local input, in the shop's time zone."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime(LOCAL_INPUT)


def aware_iso(text: str) -> str | None:
    """A datetime-local value (shop time) as ISO 8601 with its offset; other text is passed on as typed
    so that the validator reports it; empty -> None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed.isoformat()


class CodesField(forms.MultipleChoiceField):
    """A multiple choice whose unknown codes are left for `promotion_clean` to report (as the API does)."""

    def validate(self, value):
        pass


class PromotionForm(forms.Form):
    code = forms.CharField(label=_("Code"), required=False, max_length=50)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Promotion.Kind.choices)
    starts_at = forms.CharField(
        label=_("Starts at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.CharField(
        label=_("Ends at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Shop time. Empty: no start / no end."),
    )
    priority = forms.CharField(
        label=_("Priority"),
        required=False,
        widget=forms.NumberInput(),
        help_text=_("Higher first."),
    )
    exclusive = forms.BooleanField(label=_("Exclusive (combines with nothing on its lines)"), required=False)
    coupon_required = forms.BooleanField(label=_("Needs a coupon code"), required=False)
    usage_limit = forms.CharField(
        label=_("Usage limit (total)"), required=False, widget=forms.NumberInput(attrs={"min": 1})
    )
    per_customer_limit = forms.CharField(
        label=_("Usage limit per customer"), required=False, widget=forms.NumberInput(attrs={"min": 1})
    )
    loss_leader = forms.BooleanField(label=_("Loss leader (may go below the margin floor)"), required=False)
    active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("Inactive promotions are drafts: they never apply.")
    )
    scope_skus = forms.CharField(
        label=_("SKUs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("SKU codes separated by commas or spaces. Empty: every SKU (or the categories)."),
    )
    scope_categories = CodesField(
        label=_("Categories"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Empty: every category."),
    )
    scope_channels = CodesField(
        label=_("Channels"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )
    scope_member_tiers = CodesField(
        label=_("Member tiers"),
        required=False,
        choices=MemberTier.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every customer, members or not."),
    )

    def __init__(self, *args, categories=(), channels=(), lock_code: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_categories"].choices = [(c.code, f"{c.name} ({c.code})") for c in categories]
        self.fields["scope_channels"].choices = [(c.code, c.name) for c in channels]
        if lock_code:
            self.fields["code"].disabled = True
        for name, bound in self.fields.items():
            widget = bound.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
            widget.attrs.setdefault("data-field", name)


def params_form_class(kind: str) -> type[forms.Form]:
    """A form with the kind's parameters (all text: `promotion_clean` validates them)."""
    fields: dict[str, forms.Field] = {}
    for name, label, kind_of_input in KIND_PARAMS.get(kind, []):
        if kind_of_input == "level":
            fields[name] = forms.ChoiceField(
                label=label,
                required=False,
                choices=LEVELS,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        else:
            widget = forms.NumberInput if kind_of_input == "int" else forms.TextInput
            attrs = {"class": "form-control form-control-sm"}
            if kind_of_input == "text" and name not in ("sku", "gift_sku"):
                attrs["inputmode"] = "decimal"
            fields[name] = forms.CharField(label=label, required=False, widget=widget(attrs=attrs))
    if kind == "member_price":
        for tier, label in MemberTier.choices:
            fields[f"{MEMBER_TIER_PARAM}{tier}"] = forms.CharField(
                label=_("%(tier)s: percent off") % {"tier": label},
                required=False,
                widget=forms.TextInput(attrs={**SMALL_INPUT, "inputmode": "decimal"}),
            )
    return type(f"{kind.title().replace('_', '')}ParamsForm", (forms.Form,), fields)


@dataclass
class TierRow:
    threshold: str = ""
    value: str = ""
    threshold_errors: list[str] = field(default_factory=list)
    value_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class PromotionEditor:
    """The editor's state: the main form, the kind's parameters form, the tier rows and the errors that
    have no input of their own."""

    form: PromotionForm
    kind: str
    params_form: forms.Form
    tiers: list[TierRow]
    tier_errors: list[str] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, *, data=None, initial=None, categories=(), channels=(), lock_code=False, fixed_code=""):
        """From posted data (a QueryDict) or from `initial` (see `initial_from_promotion`)."""
        initial = initial or {}
        form_initial = dict(initial.get("form") or {})
        if fixed_code:  # the code input is disabled: the form takes its initial value, never the posted one
            form_initial["code"] = fixed_code
        form = PromotionForm(
            data=data,
            initial=form_initial,
            categories=categories,
            channels=channels,
            lock_code=lock_code,
        )
        if data is not None:
            kind = data.get("kind", "")
            if kind not in Promotion.Kind.values:
                kind = Promotion.Kind.THRESHOLD_AMOUNT
            params_form = params_form_class(kind)(data=data, prefix="params")
            thresholds, values = data.getlist("tier-threshold"), data.getlist("tier-value")
            tiers = [
                TierRow(threshold=t.strip(), value=v.strip())
                for t, v in zip(thresholds, values + [""] * (len(thresholds) - len(values)), strict=False)
            ]
        else:
            kind = (initial.get("form") or {}).get("kind") or Promotion.Kind.THRESHOLD_AMOUNT
            params_form = params_form_class(kind)(initial=initial.get("params"), prefix="params")
            tiers = [TierRow(**row) for row in initial.get("tiers", [])]
        if kind in TIER_KINDS:
            while len(tiers) < MIN_TIER_ROWS:
                tiers.append(TierRow())
        editor = cls(form=form, kind=kind, params_form=params_form, tiers=tiers)
        if data is not None:
            form.is_valid()
            params_form.is_valid()
        return editor

    # --- rows -------------------------------------------------------------------------------------
    def tier_add(self) -> None:
        if len(self.tiers) < MAX_TIER_ROWS:
            self.tiers.append(TierRow())

    def tier_remove(self, position: int) -> None:
        if 0 <= position < len(self.tiers) and len(self.tiers) > MIN_TIER_ROWS:
            del self.tiers[position]

    # --- the promotion JSON -----------------------------------------------------------------------
    def _value(self, name: str):
        form = self.form
        if form.is_bound:
            if name in form.cleaned_data:
                return form.cleaned_data[name]
            return form.data.get(name, "")
        return form.initial.get(name, "")

    def _param(self, name: str) -> str:
        form = self.params_form
        if form.is_bound:
            value = form.cleaned_data.get(name, form.data.get(f"params-{name}", ""))
        else:
            value = (form.initial or {}).get(name, "")
        return (value or "").strip() if isinstance(value, str) else value

    def params(self) -> dict:
        """The kind's params as the API takes them; blank optional inputs are left out."""
        params: dict = {}
        for name, _label, _input in KIND_PARAMS.get(self.kind, []):
            value = self._param(name)
            if value not in ("", None):
                params[name] = value
        if self.kind in TIER_KINDS:
            value_key = TIER_KINDS[self.kind]
            params["tiers"] = [
                {"threshold": row.threshold, value_key: row.value}
                for row in self.tiers
                if row.threshold or row.value
            ]
        elif self.kind == "member_price":
            params["tiers"] = {}
            for tier, _label in MemberTier.choices:
                value = self._param(f"{MEMBER_TIER_PARAM}{tier}")
                if value not in ("", None):
                    params["tiers"][tier] = value
        return params

    def _int_or_text(self, name: str):
        value = self._value(name)
        value = value.strip() if isinstance(value, str) else value
        if value in ("", None):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return value  # the validator says why

    def data(self) -> dict:
        """The promotion as the API's JSON (issue 6), for `promotion_clean`."""
        priority = self._int_or_text("priority")
        return {
            "code": (self._value("code") or "").strip(),
            "name": (self._value("name") or "").strip(),
            "kind": self.kind,
            "params": self.params(),
            "scope": {
                "skus": split_codes(self._value("scope_skus") or ""),
                "categories": list(self._value("scope_categories") or []),
                "channels": list(self._value("scope_channels") or []),
                "member_tiers": list(self._value("scope_member_tiers") or []),
            },
            "starts_at": aware_iso(self._value("starts_at") or ""),
            "ends_at": aware_iso(self._value("ends_at") or ""),
            "priority": 0 if priority is None else priority,
            "exclusive": bool(self._value("exclusive")),
            "coupon_required": bool(self._value("coupon_required")),
            "usage_limit": self._int_or_text("usage_limit"),
            "per_customer_limit": self._int_or_text("per_customer_limit"),
            "loss_leader": bool(self._value("loss_leader")),
            "active": bool(self._value("active")),
        }

    # --- errors -----------------------------------------------------------------------------------
    def errors_apply(self, errors: dict[str, list[str]]) -> None:
        """Put `promotion_clean`'s field errors next to their inputs; the rest above the form."""
        for key, messages in errors.items():
            messages = [str(m) for m in messages]
            target = self._error_target(key)
            if target is None:
                plain = key in ("", "__all__", "non_field_errors", "params")
                self.other_errors.extend(m if plain else f"{key}: {m}" for m in messages)
                continue
            where, name = target
            if where == "form":
                for message in messages:
                    self.form.add_error(name, message)
            elif where == "params":
                for message in messages:
                    self.params_form.add_error(name, message)
            elif where == "tiers":
                self.tier_errors.extend(messages)
            else:  # a tier row: ("tier", (row, part))
                row, part = name
                tier = self.tiers[row]
                bucket = {"threshold": tier.threshold_errors, "": tier.errors}.get(part, tier.value_errors)
                bucket.extend(messages)

    FORM_KEYS = {
        "code",
        "name",
        "kind",
        "starts_at",
        "ends_at",
        "priority",
        "exclusive",
        "coupon_required",
        "usage_limit",
        "per_customer_limit",
        "loss_leader",
        "active",
    }

    def _error_target(self, key: str):
        if key in self.FORM_KEYS:
            return "form", key
        if key.startswith("scope."):
            name = "scope_" + key.split(".", 1)[1].split("[", 1)[0]
            return ("form", name) if name in self.form.fields else None
        if key == "scope":
            return "form", "scope_skus"
        if key == "params":
            return None
        if not key.startswith("params."):
            return None
        rest = key[len("params.") :]
        tier_row = re.fullmatch(r"tiers\[(\d+)\](?:\.(\w+))?", rest)
        if tier_row and self.kind in TIER_KINDS:
            # promotion_clean numbers the tiers it received: the rows left after dropping blank ones
            filled = [i for i, row in enumerate(self.tiers) if row.threshold or row.value]
            position = int(tier_row.group(1))
            if position < len(filled):
                return "tier", (filled[position], tier_row.group(2) or "")
            return "tiers", None
        if rest == "tiers" or rest.startswith("tiers"):
            if self.kind == "member_price":
                member = re.fullmatch(r"tiers[.\[]\"?(\w+)\"?\]?", rest)
                if member and f"{MEMBER_TIER_PARAM}{member.group(1)}" in self.params_form.fields:
                    return "params", f"{MEMBER_TIER_PARAM}{member.group(1)}"
            return "tiers", None
        name = rest.split(".", 1)[0].split("[", 1)[0]
        if name in self.params_form.fields:
            return "params", name
        return None

    @property
    def has_errors(self) -> bool:
        return bool(
            self.form.errors
            or self.params_form.errors
            or self.tier_errors
            or self.other_errors
            or any(row.threshold_errors or row.value_errors or row.errors for row in self.tiers)
        )


def initial_from_promotion(promotion: Promotion) -> dict:
    """The editor's initial values for a saved promotion."""
    scope = promotion.scope or {}
    params = dict(promotion.params or {})
    form = {
        "code": promotion.code,
        "name": promotion.name,
        "kind": promotion.kind,
        "starts_at": local_input(promotion.starts_at),
        "ends_at": local_input(promotion.ends_at),
        "priority": promotion.priority,
        "exclusive": promotion.exclusive,
        "coupon_required": promotion.coupon_required,
        "usage_limit": "" if promotion.usage_limit is None else promotion.usage_limit,
        "per_customer_limit": "" if promotion.per_customer_limit is None else promotion.per_customer_limit,
        "loss_leader": promotion.loss_leader,
        "active": promotion.active,
        "scope_skus": ", ".join(scope.get("skus") or []),
        "scope_categories": list(scope.get("categories") or []),
        "scope_channels": list(scope.get("channels") or []),
        "scope_member_tiers": list(scope.get("member_tiers") or []),
    }
    tiers = []
    if promotion.kind in TIER_KINDS:
        value_key = TIER_KINDS[promotion.kind]
        tiers = [
            {"threshold": _text(row.get("threshold")), "value": _text(row.get(value_key))}
            for row in params.pop("tiers", []) or []
        ]
    elif promotion.kind == "member_price":
        for tier, percent in (params.pop("tiers", {}) or {}).items():
            params[f"{MEMBER_TIER_PARAM}{tier}"] = _text(percent)
    return {"form": form, "params": {k: _text(v) for k, v in params.items()}, "tiers": tiers}


def initial_blank() -> dict:
    """A new promotion: a 满减 with one empty tier, active, priority 10."""
    return {"form": {"kind": Promotion.Kind.THRESHOLD_AMOUNT, "priority": 10, "active": True}}


def _text(value) -> str:
    return "" if value is None else str(value)


# --- the simulator ----------------------------------------------------------------------------------


class SimulatorForm(forms.Form):
    """The cart to try: channel, customer (or a member tier), coupon codes, the moment to price at."""

    channel = forms.ChoiceField(label=_("Channel"), widget=forms.Select(attrs=SMALL_SELECT))
    customer = forms.CharField(
        label=_("Customer (external id)"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    member_tier = forms.ChoiceField(
        label=_("Or a member tier"),
        required=False,
        choices=[("", _("None"))] + list(MemberTier.choices),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    coupon_codes = forms.CharField(
        label=_("Coupon codes"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    at = forms.CharField(
        label=_("Priced at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control form-control-sm"}),
        help_text=_("Empty: now, or the promotion's start if it is later."),
    )

    def __init__(self, *args, channels=(), **kwargs):
        kwargs.setdefault("prefix", "sim")
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c.code, c.name) for c in channels]


@dataclass
class CartLine:
    sku: str = ""
    quantity: str = ""
    errors: list[str] = field(default_factory=list)


def cart_lines(data=None) -> list[CartLine]:
    """The simulator's cart rows as posted (at least MIN_CART_LINES rows, blank ones kept for typing)."""
    lines = []
    if data is not None:
        skus, quantities = data.getlist("line-sku"), data.getlist("line-qty")
        for position, sku in enumerate(skus[:MAX_CART_LINES]):
            quantity = quantities[position] if position < len(quantities) else ""
            lines.append(CartLine(sku=sku.strip(), quantity=quantity.strip()))
    while len(lines) < MIN_CART_LINES:
        lines.append(CartLine())
    return lines
