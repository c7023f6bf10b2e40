"""Forms of the customer pages: tier thresholds, marketing settings, points redemption. They check the
shape of the input; the rules (a tier table that climbs, enough points) live in
marketing.services.customers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.models import MarketingSettings

_INPUT = "form-control form-control-sm"


def _money(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


class TierForm(forms.Form):
    """One tier's row of the thresholds table (prefixed with the tier code)."""

    name = forms.CharField(label=_("Name"), max_length=60, widget=forms.TextInput(attrs={"class": _INPUT}))
    min_spend = _money(_("Minimum spend, 12 months"))
    min_orders = forms.IntegerField(
        label=_("Minimum orders, 12 months"),
        min_value=0,
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "1"}),
    )
    points_multiplier = forms.DecimalField(
        label=_("Points multiplier"),
        max_digits=4,
        decimal_places=2,
        min_value=1,
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.01", "inputmode": "decimal"}),
    )


class MarketingSettingsForm(forms.ModelForm):
    class Meta:
        model = MarketingSettings
        fields = ["rfm_window_days", "winback_days", "points_per_yuan", "points_value", "points_expire_days"]
        widgets = {
            "rfm_window_days": forms.NumberInput(attrs={"class": _INPUT, "min": 30}),
            "winback_days": forms.NumberInput(attrs={"class": _INPUT, "min": 1}),
            "points_per_yuan": forms.NumberInput(attrs={"class": _INPUT, "step": "0.01"}),
            "points_value": forms.NumberInput(attrs={"class": _INPUT, "step": "0.01"}),
            "points_expire_days": forms.NumberInput(attrs={"class": _INPUT, "min": 1}),
        }

    def clean_rfm_window_days(self):
        value = self.cleaned_data["rfm_window_days"]
        if value < 30:
            raise forms.ValidationError(_("The RFM window must be at least 30 days."))
        return value

    def clean_winback_days(self):
        value = self.cleaned_data["winback_days"]
        if value < 1:
            raise forms.ValidationError(_("Enter at least 1 day."))
        return value

    def clean_points_expire_days(self):
        value = self.cleaned_data["points_expire_days"]
        if value < 1:
            raise forms.ValidationError(_("Enter at least 1 day."))
        return value

    def clean_points_per_yuan(self):
        value = self.cleaned_data["points_per_yuan"]
        if value < 0:
            raise forms.ValidationError(_("Points per yuan cannot be negative."))
        return value

    def clean_points_value(self):
        value = self.cleaned_data["points_value"]
        if value < 0:
            raise forms.ValidationError(_("The value of points cannot be negative."))
        return value


class RedeemForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"),
        min_value=1,
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "1", "min": 1}),
    )
    note = forms.CharField(
        label=_("What for"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": _INPUT, "placeholder": _("e.g. exchanged for a kettle")}),
    )
