"""Forms of the coupon pages: shape only (whole numbers, lengths); the rules (coupon promotions, code
alphabet, unique codes) live in marketing.services.coupons, whose field errors are put on the form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.selectors.coupons import coupon_promotion_list
from marketing.services.coupons import BATCH_MAX, CODE_MAX_LENGTH, PREFIX_MAX_LENGTH

_INPUT = "form-control form-control-sm"
_SELECT = "form-select form-select-sm"
_CHECK = "form-check-input"


class _PromotionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} · {obj.name}"


def _promotion_field() -> forms.ModelChoiceField:
    return _PromotionChoice(
        label=_("Promotion"),
        queryset=coupon_promotion_list(),
        to_field_name="code",
        help_text=_("Only promotions that require a coupon are listed."),
        widget=forms.Select(attrs={"class": _SELECT}),
    )


def _limit_field(label, help_text, initial=None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=1_000_000,
        initial=initial,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"class": _INPUT, "min": 1}),
    )


class CouponBatchForm(forms.Form):
    promotion = _promotion_field()
    count = forms.IntegerField(
        label=_("Number of codes"),
        min_value=1,
        max_value=BATCH_MAX,
        initial=100,
        widget=forms.NumberInput(attrs={"class": _INPUT, "min": 1, "max": BATCH_MAX}),
    )
    prefix = forms.CharField(
        label=_("Prefix"),
        required=False,
        max_length=PREFIX_MAX_LENGTH,
        help_text=_("Optional, e.g. D11-. Letters, digits, '-' and '_'; codes are upper-case."),
        widget=forms.TextInput(attrs={"class": _INPUT}),
    )
    name = forms.CharField(
        label=_("Batch name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": _INPUT}),
    )
    usage_limit = _limit_field(
        _("Uses per code"), _("How many orders may use each code in total; empty = no limit."), initial=1
    )
    per_customer_limit = _limit_field(
        _("Uses per code and customer"), _("Empty = no limit per customer."), initial=1
    )


class CouponForm(forms.Form):
    promotion = _promotion_field()
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        help_text=_("E.g. D11VIP. Stored upper-case."),
        widget=forms.TextInput(attrs={"class": _INPUT}),
    )
    usage_limit = _limit_field(_("Uses in total"), _("Empty = no limit."))
    per_customer_limit = _limit_field(_("Uses per customer"), _("Empty = no limit."), initial=1)
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, widget=forms.CheckboxInput(attrs={"class": _CHECK})
    )
