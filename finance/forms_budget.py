"""Forms of the budget pages: the month picked, and every cost line's budget for a month."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from finance.models import CostLine
from finance.selectors.budget import month_parse

MONTH_ERROR = _("Enter a month as YYYY-MM (a budget month starts on its first day).")


class MonthField(forms.CharField):
    """A month as 'YYYY-MM' or its first day 'YYYY-MM-01' -> date of the first day."""

    widget = forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"})

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        month = month_parse(value)
        if month is None:
            raise forms.ValidationError(MONTH_ERROR, code="invalid")
        return month


class MonthForm(forms.Form):
    month = MonthField(label=_("Month"), required=False)


class BudgetForm(forms.Form):
    """The month and one amount per cost line (blank: no budget for that line)."""

    month = MonthField(label=_("Month"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in CostLine.choices:
            self.fields[value] = forms.DecimalField(
                label=label,
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "step": "0.01", "min": "0"}
                ),
            )
            self.fields[f"note_{value}"] = forms.CharField(
                label=_("Note"),
                required=False,
                max_length=300,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )

    def line_fields(self):
        """(amount field, note field) per cost line, in the cost lines' order, for the template."""
        return [(self[value], self[f"note_{value}"]) for value in CostLine.values]

    def amounts(self) -> dict:
        return {value: self.cleaned_data.get(value) for value in CostLine.values}

    def notes(self) -> dict:
        return {value: self.cleaned_data.get(f"note_{value}", "") for value in CostLine.values}
