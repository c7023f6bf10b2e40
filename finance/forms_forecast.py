"""Forms of the forecast pages: a scenario's multipliers (saved by name). Shape only; the service writes."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from finance.models import Line, Scenario
from finance.services.forecast import SCENARIO_FIELDS

_INPUT = "form-control form-control-sm"
_CHECK = "form-check-input"
MULTIPLIER_MAX = Decimal("5")
DELAY_MIN, DELAY_MAX = -60, 180
MULTIPLIER_FIELDS = ("sales_multiplier", "purchase_multiplier", "expense_multiplier", "ads_multiplier")


class ScenarioForm(forms.ModelForm):
    """Code, name and multipliers. A built-in scenario keeps its code (the field is disabled)."""

    class Meta:
        model = Scenario
        fields = list(SCENARIO_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in MULTIPLIER_FIELDS:
            field = self.fields[name]
            field.validators += [MinValueValidator(Decimal("0")), MaxValueValidator(MULTIPLIER_MAX)]
            field.help_text = _("Between 0 and 5 (1 = as forecast).")
        delay = self.fields["settlement_delay_days"]
        delay.validators += [MinValueValidator(DELAY_MIN), MaxValueValidator(DELAY_MAX)]
        delay.help_text = _("Days added to every expected settlement, from -60 to 180.")
        if self.instance.pk and self.instance.builtin:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Built-in scenarios keep their code.")
        for field in self.fields.values():
            css = _CHECK if isinstance(field.widget, forms.CheckboxInput) else _INPUT
            field.widget.attrs.setdefault("class", css)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CellForm(forms.Form):
    """The cell of the forecast table to drill into."""

    scenario = forms.SlugField(required=False)
    week = forms.IntegerField(min_value=0, max_value=12)
    line = forms.ChoiceField(choices=Line.choices)
