"""Forms of the alert pages and the finance settings: shape only; the rules (levels ordered with the
metric's direction, a resolution note, known roles) live in finance.services.alerts, whose field errors are
put on the form."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from finance.models import Level, Metric
from finance.services.alerts import SETTINGS_FIELDS, threshold_field
from shopops.common import roles

_INPUT = "form-control form-control-sm"
_SELECT = "form-select form-select-sm"
_CHECK = "form-check-input"


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": _INPUT, "rows": 2}),
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"class": _INPUT, "rows": 2}),
    )


class ActionDoneForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=300, widget=forms.TextInput(attrs={"class": _INPUT})
    )


class ThresholdsForm(forms.Form):
    """Every metric x level threshold in one form: ``<metric>__<level>`` (value) and
    ``<metric>__<level>__enabled``."""

    def __init__(self, table, data=None):
        super().__init__(data)
        self.table = table
        for row in table:
            for t in row.levels:
                name = threshold_field(t.metric, t.level)
                self.fields[name] = forms.DecimalField(
                    label=f"{row.label} – {Level(t.level).label}",
                    max_digits=10,
                    decimal_places=4,
                    initial=t.threshold,
                    widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.0001"}),
                )
                self.fields[f"{name}__enabled"] = forms.BooleanField(
                    label=_("enabled"),
                    required=False,
                    initial=t.enabled,
                    widget=forms.CheckboxInput(attrs={"class": _CHECK}),
                )
        # The table rows with their bound fields, for the template.
        self.grid = [
            {
                "row": row,
                "cells": [
                    (
                        t,
                        self[threshold_field(t.metric, t.level)],
                        self[f"{threshold_field(t.metric, t.level)}__enabled"],
                    )
                    for t in row.levels
                ],
            }
            for row in table
        ]

    def values(self) -> dict[tuple[str, str], dict]:
        out = {}
        for row in self.table:
            for t in row.levels:
                name = threshold_field(t.metric, t.level)
                out[(t.metric, t.level)] = {
                    "threshold": self.cleaned_data[name],
                    "enabled": self.cleaned_data[f"{name}__enabled"],
                }
        return out


class PlaybookStepForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Level"), choices=Level.choices, widget=forms.Select(attrs={"class": _SELECT})
    )
    metric = forms.ChoiceField(
        label=_("Metric"),
        choices=[("", _("Every metric"))] + list(Metric.choices),
        required=False,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    action = forms.CharField(
        label=_("Action (English)"), max_length=300, widget=forms.TextInput(attrs={"class": _INPUT})
    )
    action_zh = forms.CharField(
        label=_("Action (Chinese)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": _INPUT}),
    )
    owner_role = forms.ChoiceField(
        label=_("Owner role"),
        choices=[(code, label) for code, label in roles.ROLES.items()],
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=32767,
        required=False,
        widget=forms.NumberInput(attrs={"class": _INPUT}),
    )
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, widget=forms.CheckboxInput(attrs={"class": _CHECK})
    )

    FIELDS = ("level", "metric", "action", "action_zh", "owner_role", "position", "active")

    @classmethod
    def from_step(cls, step, data=None) -> PlaybookStepForm:
        return cls(data, initial={f: getattr(step, f) for f in cls.FIELDS})


def _decimal(label, *, places=2, digits=14, min_value=Decimal("0"), max_value=None, help_text=""):
    return forms.DecimalField(
        label=label,
        max_digits=digits,
        decimal_places=places,
        min_value=min_value,
        max_value=max_value,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0." + "0" * (places - 1) + "1"}),
    )


def _int(label, *, min_value=0, max_value=365, help_text=""):
    return forms.IntegerField(
        label=label,
        min_value=min_value,
        max_value=max_value,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"class": _INPUT}),
    )


class FinanceSettingsForm(forms.Form):
    cushion_months = _decimal(
        _("Safety cushion (months of fixed costs)"), digits=5, max_value=Decimal("99.99")
    )
    cushion_target_months = _decimal(_("Cushion target (months)"), digits=5, max_value=Decimal("99.99"))
    tax_rate = _decimal(
        _("Tax rate of sales"),
        places=4,
        digits=6,
        max_value=Decimal("0.9999"),
        # xgettext:no-python-format
        help_text=_("0.0300 = 3 % of the month's net sales."),
    )
    tax_day = _int(_("Tax payment day"), min_value=1, max_value=28)
    delivery_days = _int(_("Delivery days"))
    overdue_grace_days = _int(_("Settlement overdue after (days)"))
    books_open_on = forms.DateField(
        label=_("Receivables tracked from"),
        required=False,
        widget=forms.DateInput(attrs={"class": _INPUT, "type": "date"}, format="%Y-%m-%d"),
    )
    credit_line = _decimal(_("Credit line available"))
    logistics_cost_per_order = _decimal(_("Logistics cost per order"))
    risk_hold_score = _int(_("Hold orders scoring at least"), max_value=100)
    risk_cod_high_value = _decimal(_("High-value cash-on-delivery order"))
    webhook_url = forms.URLField(
        label=_("Alert webhook URL"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": _INPUT}),
    )
    webhook_secret = forms.CharField(
        label=_("Alert webhook secret"),
        required=False,
        max_length=200,
        help_text=_("Write-only: leave blank to keep the stored secret."),
        widget=forms.PasswordInput(
            attrs={"class": _INPUT, "autocomplete": "new-password"}, render_value=False
        ),
    )
    webhook_secret_clear = forms.BooleanField(
        label=_("Clear the stored secret"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": _CHECK}),
    )

    @classmethod
    def from_settings(cls, conf, data=None) -> FinanceSettingsForm:
        return cls(data, initial={f: getattr(conf, f) for f in SETTINGS_FIELDS})
