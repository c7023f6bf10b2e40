"""Forms of the return pages. They check shape only; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory import selectors as inventory_selectors
from service.models import ReturnRequest


class ReturnFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + ReturnRequest.Status.choices
    )
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", _("All"))] + ReturnRequest.Reason.choices
    )
    channel = forms.CharField(label=_("Channel"), required=False, max_length=30)
    q = forms.CharField(label=_("Return, order or customer"), required=False, max_length=100)
    start = forms.DateField(
        label=_("Requested from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("until (excluded)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ReturnCreateForm(forms.Form):
    """Reason, note and one quantity field per order line (`qty_<order line id>`), each up to what the
    line can still return."""

    reason = forms.ChoiceField(label=_("Reason"), choices=ReturnRequest.Reason.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line in lines:
            name = f"qty_{line.order_line_id}"
            self.fields[name] = forms.IntegerField(
                label=line.sku_code, min_value=0, max_value=max(line.returnable, 0), initial=0, required=False
            )
            self.line_fields.append((line, name))

    def lines(self) -> list[tuple[int, int]]:
        return [
            (line.order_line_id, self.cleaned_data.get(name) or 0)
            for line, name in self.line_fields
            if self.cleaned_data.get(name)
        ]


class OrderLookupForm(forms.Form):
    channel = forms.CharField(label=_("Channel code"), max_length=30)
    external_id = forms.CharField(label=_("Order number at the channel"), max_length=100)


class ReturnRejectForm(forms.Form):
    reason = forms.CharField(label=_("Why rejected"), max_length=200)


class ReturnReceiveForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Received at"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = inventory_selectors.warehouse_list()


class ReturnRefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Blank: the returned lines' net amount."),
    )
    method = forms.ChoiceField(label=_("Method"), choices=ReturnRequest.RefundMethod.choices)


class ReturnInspectForm(forms.Form):
    """`restock_<return line id>` and `scrap_<return line id>` per line."""

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line in lines:
            restock, scrap = f"restock_{line.pk}", f"scrap_{line.pk}"
            self.fields[restock] = forms.IntegerField(
                label=_("Restock"), min_value=0, max_value=line.quantity, initial=line.quantity
            )
            self.fields[scrap] = forms.IntegerField(
                label=_("Scrap as defective"), min_value=0, max_value=line.quantity, initial=0
            )
            self.line_fields.append((line, restock, scrap))

    def results(self) -> dict[int, tuple[int, int]]:
        return {
            line.pk: (self.cleaned_data[restock], self.cleaned_data[scrap])
            for line, restock, scrap in self.line_fields
        }
