"""Forms of the compensation pages. They check shape only; the services apply the standard and limits."""

from django import forms
from django.utils.translation import gettext_lazy as _

from service.models import Compensation
from service.models.compensation import Problem, Remedy, Severity
from shopops.common import roles


class CompensationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Compensation.Status.choices
    )
    problem = forms.ChoiceField(
        label=_("Problem"), required=False, choices=[("", _("All"))] + Problem.choices
    )
    remedy = forms.ChoiceField(label=_("Remedy"), required=False, choices=[("", _("All"))] + Remedy.choices)
    ticket = forms.CharField(label=_("Ticket"), required=False, max_length=20)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("until (excluded)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class CompensationForm(forms.Form):
    problem = forms.ChoiceField(label=_("Problem"), choices=Problem.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    remedy = forms.ChoiceField(
        label=_("Remedy"),
        required=False,
        choices=[("", _("As the standard says"))] + Remedy.choices,
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text=_("Blank: the standard's amount."),
    )
    sku = forms.TypedChoiceField(label=_("SKU"), required=False, coerce=int, empty_value=None, choices=())
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, skus=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [("", "–")] + [(sku.pk, f"{sku.code} · {sku.name}") for sku in skus]


class CompensationDecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("Approve")), ("0", _("Reject"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class CompensationStandardForm(forms.Form):
    """One row per problem and severity (`remedy_<p>_<s>`, `amount_<p>_<s>`, `active_<p>_<s>`) and one
    limit per role (`limit_<role>`)."""

    def __init__(self, *args, rules=(), limits=(), **kwargs):
        super().__init__(*args, **kwargs)
        existing = {(r.problem, r.severity): r for r in rules}
        current_limits = {limit.role: limit.max_amount for limit in limits}
        self.rows = []
        for problem, problem_label in Problem.choices:
            for severity, severity_label in Severity.choices:
                rule = existing.get((problem, severity))
                key = f"{problem}_{severity}"
                self.fields[f"remedy_{key}"] = forms.ChoiceField(
                    choices=[("", "–")] + Remedy.choices, required=False, initial=rule.remedy if rule else ""
                )
                self.fields[f"amount_{key}"] = forms.DecimalField(
                    max_digits=14,
                    decimal_places=2,
                    min_value=0,
                    required=False,
                    initial=rule.amount if rule else None,
                )
                self.fields[f"active_{key}"] = forms.BooleanField(
                    required=False, initial=rule.active if rule else False
                )
                self.rows.append(
                    {
                        "problem": problem,
                        "severity": severity,
                        "problem_label": problem_label,
                        "severity_label": severity_label,
                        "remedy": self[f"remedy_{key}"],
                        "amount": self[f"amount_{key}"],
                        "active": self[f"active_{key}"],
                        "exists": rule is not None,
                    }
                )
        self.limit_rows = []
        for role, label in roles.ROLES.items():
            self.fields[f"limit_{role}"] = forms.DecimalField(
                max_digits=14, decimal_places=2, min_value=0, required=False, initial=current_limits.get(role)
            )
            self.limit_rows.append({"role": role, "label": label, "field": self[f"limit_{role}"]})

    def clean(self):
        data = super().clean()
        for row in self.rows:
            key = f"{row['problem']}_{row['severity']}"
            remedy, amount = data.get(f"remedy_{key}"), data.get(f"amount_{key}")
            if bool(remedy) != (amount is not None):
                self.add_error(f"amount_{key}", _("Give both a remedy and an amount, or neither."))
        return data

    def rules(self) -> list[dict]:
        out = []
        for row in self.rows:
            key = f"{row['problem']}_{row['severity']}"
            remedy = self.cleaned_data.get(f"remedy_{key}")
            if not remedy:
                continue
            out.append(
                {
                    "problem": row["problem"],
                    "severity": row["severity"],
                    "remedy": remedy,
                    "amount": self.cleaned_data[f"amount_{key}"],
                    "active": self.cleaned_data.get(f"active_{key}", False),
                }
            )
        return out

    def limits(self) -> dict:
        return {
            row["role"]: self.cleaned_data[f"limit_{row['role']}"]
            for row in self.limit_rows
            if self.cleaned_data.get(f"limit_{row['role']}") is not None
        }
