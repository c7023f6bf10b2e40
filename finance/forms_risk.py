"""Forms of the order-risk pages: the queue's filters and the reviewer's release / cancel note. Shape only;
the services check the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

TAB_CHOICES = [
    ("held", _("To review")),
    ("released", _("Released")),
    ("cancelled", _("Cancelled")),
    ("all", _("All scored")),
]


class RiskFilterForm(forms.Form):
    tab = forms.ChoiceField(label=_("Queue"), required=False, choices=TAB_CHOICES)
    channel = forms.CharField(label=_("Channel"), required=False, max_length=30)
    min_score = forms.IntegerField(label=_("Score at least"), required=False, min_value=0, max_value=100)


class RiskReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why: what you checked (a call to the customer, the address, the history)."),
    )
