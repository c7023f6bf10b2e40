"""Forms of the catalogue's pricing tools. They check the shape of the input (percentages typed as
percent, money to the cent); the rules live in catalog.services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU, MemberTier
from catalog.services import tools
from shopops.common.channels import channel_list

_INPUT = "form-control form-control-sm"
_SELECT = "form-select form-select-sm"
_CHECK = "form-check-input"
HUNDRED = Decimal(100)


def _money_field(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


class PercentField(forms.DecimalField):
    """A percentage typed as percent ("5" or "-3.5") and cleaned to a Decimal fraction (0.05, -0.035)."""

    def __init__(self, *, label, required=True, min_value=None, max_value=None, **kwargs):
        super().__init__(
            label=label,
            required=required,
            max_digits=7,
            decimal_places=2,
            min_value=min_value,
            max_value=max_value,
            widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.01", "inputmode": "decimal"}),
            **kwargs,
        )

    def prepare_value(self, value):
        """An initial fraction is shown as percent (0.0500 -> 5); typed input is shown as typed."""
        if isinstance(value, Decimal):
            text = f"{value * HUNDRED:f}"
            return text.rstrip("0").rstrip(".") if "." in text else text
        return value

    def clean(self, value):
        percent = super().clean(value)
        return None if percent is None else (percent / HUNDRED).quantize(Decimal("0.0001"))


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Say why: the reason goes into the price history.")},
        widget=forms.TextInput(attrs={"class": _INPUT, "autocomplete": "off"}),
    )


def _override_field() -> forms.BooleanField:
    return forms.BooleanField(
        required=False,
        label=_("Override the margin floor (your pricing-override permission; the reason is recorded)"),
        widget=forms.CheckboxInput(attrs={"class": _CHECK}),
    )


def _channel_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.name} ({c.code})") for c in channel_list()]


# --- one SKU ------------------------------------------------------------------------------------------

LIST = "list"


def price_target_choices() -> list[tuple[str, str]]:
    """The list price, each active channel's price, each member tier's price."""
    return [
        (LIST, _("List price")),
        *[
            (f"channel:{code}", _("Channel price: %(channel)s") % {"channel": name})
            for code, name in _channel_choices()
        ],
        *[
            (f"tier:{tier}", _("Member price: %(tier)s") % {"tier": label})
            for tier, label in MemberTier.choices
        ],
    ]


class SkuPriceForm(forms.Form):
    target = forms.ChoiceField(label=_("Price to set"), widget=forms.Select(attrs={"class": _SELECT}))
    price = _money_field(_("New price"), min_value=Decimal("0.01"))
    reason = _reason_field()
    override = _override_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = price_target_choices()

    def target_parts(self) -> tuple[str, str, str]:
        """(field, channel, tier) of the chosen target."""
        from catalog.models import PriceChange

        target = self.cleaned_data["target"]
        if target.startswith("channel:"):
            return PriceChange.Field.CHANNEL_PRICE, target.split(":", 1)[1], ""
        if target.startswith("tier:"):
            return PriceChange.Field.TIER_PRICE, "", target.split(":", 1)[1]
        return PriceChange.Field.LIST_PRICE, "", ""


class SkuPricePreviewForm(SkuPriceForm):
    """The live preview needs only a target and a price."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False


class SkuCostsForm(forms.Form):
    unit_cost = _money_field(_("Purchase cost"), min_value=Decimal("0"))
    inbound_cost = _money_field(_("Inbound logistics"), min_value=Decimal("0"))
    packaging_cost = _money_field(_("Packaging"), min_value=Decimal("0"))
    shipping_cost = _money_field(_("Outbound shipping estimate"), min_value=Decimal("0"))
    marketing_rate = PercentField(
        label=_("Marketing allocation (%)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("99.99"),
        help_text=_("Blank keeps the SKU's current setting (the shop-wide rate unless overridden)."),
    )
    reason = _reason_field()


class LossLeaderForm(forms.Form):
    loss_leader = forms.BooleanField(
        required=False, label=_("Loss leader"), widget=forms.CheckboxInput(attrs={"class": _CHECK})
    )
    until = forms.DateField(
        required=False,
        label=_("Until (inclusive)"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "class": _INPUT}, format="%Y-%m-%d"),
    )
    floor = PercentField(
        label=_("Its own margin floor (%)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("99.99"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": _INPUT, "autocomplete": "off"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("loss_leader"):
            if not data.get("until"):
                self.add_error("until", _("A loss leader needs an end date."))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("A loss leader needs a reason."))
        return data


# --- selections and plans -----------------------------------------------------------------------------


class SelectionForm(forms.Form):
    """Which SKUs a tool works on (active SKUs only)."""

    category = forms.ChoiceField(
        label=_("Category (with sub-categories)"),
        required=False,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[("", _("All"))] + list(SKU.Role.choices),
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": _INPUT, "placeholder": _("Code or name")}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from catalog.models import Category

        self.fields["category"].choices = [("", _("All"))] + [
            (c.code, c.name) for c in Category.objects.order_by("name")
        ]

    def skus(self):
        data = self.cleaned_data
        return tools.sku_selection(category=data["category"], role=data["role"], search=data["q"].strip())


class BulkChangeForm(SelectionForm):
    channel = forms.ChoiceField(
        label=_("Price"), required=False, widget=forms.Select(attrs={"class": _SELECT})
    )
    mode = forms.ChoiceField(
        label=_("Change"),
        choices=[
            (tools.PERCENT, _("Percent of the current price")),
            (tools.MARKUP, _("Cost-plus: markup over landed cost")),
        ],
        initial=tools.PERCENT,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    value = PercentField(
        label=_("By (%)"),
        min_value=Decimal("-99.99"),
        max_value=Decimal("1000"),
        help_text=_("Percent: 5 = +5 %, -10 = 10 % off. Cost-plus: 35 = landed cost + 35 %."),
    )
    rounding = forms.ChoiceField(
        label=_("Rounding"),
        choices=[(tools.ROUND_NONE, _("None (to the cent)")), (tools.ROUND_9, _("To prices ending in 9"))],
        initial=tools.ROUND_NONE,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    keep_floor = forms.BooleanField(
        required=False,
        label=_("Never below the floor price"),
        widget=forms.CheckboxInput(attrs={"class": _CHECK}),
    )
    skip_breaches = forms.BooleanField(
        required=False,
        label=_("Leave out prices that would break the margin floor"),
        widget=forms.CheckboxInput(attrs={"class": _CHECK}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("List price"))] + _channel_choices()


class ChannelDeriveForm(SelectionForm):
    channels = forms.MultipleChoiceField(
        label=_("Channels"), widget=forms.CheckboxSelectMultiple(attrs={"class": _CHECK})
    )
    keep_floor = BulkChangeForm.base_fields["keep_floor"]
    skip_breaches = BulkChangeForm.base_fields["skip_breaches"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = _channel_choices()


class ChannelAdjustmentForm(forms.Form):
    """One channel's derivation rule (used with a prefix per channel)."""

    percent = PercentField(label=_("Adjustment (%)"), min_value=Decimal("-99.99"), max_value=Decimal("999"))
    round_to_9 = forms.BooleanField(
        required=False, label=_("Round to 9"), widget=forms.CheckboxInput(attrs={"class": _CHECK})
    )


class TierPriceForm(SelectionForm):
    skip_breaches = BulkChangeForm.base_fields["skip_breaches"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for tier, label in MemberTier.choices:
            self.fields[f"tier_{tier}"] = PercentField(
                label=_("%(tier)s: %% off") % {"tier": label},
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("99.99"),
            )

    def tier_fields(self):
        return [self[f"tier_{tier}"] for tier in MemberTier.values]

    def discounts(self) -> dict:
        return {
            tier: self.cleaned_data[f"tier_{tier}"]
            for tier in MemberTier.values
            if self.cleaned_data.get(f"tier_{tier}") is not None
        }

    def clean(self):
        data = super().clean()
        if not any(data.get(f"tier_{tier}") is not None for tier in MemberTier.values):
            raise forms.ValidationError(_("Give a discount for at least one member tier."))
        return data


class SignedPlanForm(forms.Form):
    """The apply step of a tool: carries the previewed plan back, signed for this user and for an hour,
    so that apply sets exactly what was previewed (nothing is recomputed or stored in between)."""

    salt = "catalog.tools.plan"
    max_age = 60 * 60

    payload = forms.CharField(widget=forms.HiddenInput)
    reason = _reason_field()
    override = _override_field()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @classmethod
    def sign(cls, *, user, tool: str, plans, **extra) -> str:
        return signing.dumps(
            {"user": user.pk, "tool": tool, "plans": tools.plan_dump(plans), **extra},
            salt=cls.salt,
            compress=True,
        )

    def clean_payload(self):
        try:
            payload = signing.loads(self.cleaned_data["payload"], salt=self.salt, max_age=self.max_age)
        except signing.SignatureExpired as exc:
            raise forms.ValidationError(_("The preview has expired: preview the change again.")) from exc
        except signing.BadSignature as exc:
            raise forms.ValidationError(
                _("The preview could not be verified: preview the change again.")
            ) from exc
        if not isinstance(payload, dict) or payload.get("user") != self.user.pk:
            raise forms.ValidationError(_("The preview could not be verified: preview the change again."))
        try:
            payload["plans"] = tools.plan_load(payload["plans"])
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise forms.ValidationError(
                _("The preview could not be verified: preview the change again.")
            ) from exc
        return payload


# --- bundles ------------------------------------------------------------------------------------------


class BundleForm(forms.Form):
    code = forms.CharField(
        label=_("Bundle SKU code"), max_length=64, widget=forms.TextInput(attrs={"class": _INPUT})
    )
    name = forms.CharField(label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"class": _INPUT}))
    category = forms.ChoiceField(label=_("Category"), widget=forms.Select(attrs={"class": _SELECT}))
    product_name = forms.CharField(
        label=_("Product"),
        max_length=200,
        required=False,
        help_text=_("The bundle goes into a new product of the category; blank: named like the bundle."),
        widget=forms.TextInput(attrs={"class": _INPUT}),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=SKU.Role.choices,
        initial=SKU.Role.CORE,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    price = _money_field(_("Bundle price"), min_value=Decimal("0.01"), required=False)
    reason = forms.CharField(
        label=_("Reason"), max_length=300, required=False, widget=forms.TextInput(attrs={"class": _INPUT})
    )
    override = _override_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from catalog.models import Category

        self.fields["category"].choices = [("", "—")] + [
            (c.code, c.name) for c in Category.objects.order_by("name")
        ]


class BundleComponentForm(forms.Form):
    sku = forms.CharField(
        label=_("Component SKU code"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"class": _INPUT, "list": "sku-codes", "autocomplete": "off"}),
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=999,
        required=False,
        initial=1,
        widget=forms.NumberInput(attrs={"class": _INPUT, "min": "1"}),
    )

    def clean(self):
        data = super().clean()
        code = (data.get("sku") or "").strip()
        data["sku"] = code
        if code:
            sku = SKU.objects.select_related("costs").filter(code=code).first()
            if sku is None:
                self.add_error("sku", _("No SKU has this code."))
            else:
                data["sku_obj"] = sku
            if not data.get("quantity"):
                self.add_error("quantity", _("Give a quantity of at least 1."))
        return data


BundleComponentFormSet = forms.formset_factory(
    BundleComponentForm, extra=0, min_num=5, max_num=20, absolute_max=20
)
