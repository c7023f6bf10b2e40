"""Forms of the SLA pages: shape only; the rules (business hours in order, ratios in range, a report with
every part written) live in service.services.sla, whose field errors are put on the form."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from service.models import SLAPolicy, Ticket

_INPUT = "form-control form-control-sm"
_SELECT = "form-select form-select-sm"
_CHECK = "form-check-input"
_ANY = [("", _("Any"))]


def _decimal(label, *, help_text="", min_value=None, max_value=None) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=6,
        decimal_places=4,
        min_value=min_value,
        max_value=max_value,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.0001"}),
    )


def _days(label, *, min_value=0) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=min_value, max_value=365, widget=forms.NumberInput(attrs={"class": _INPUT})
    )


class SLAPolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"class": _INPUT}))
    metric = forms.ChoiceField(
        label=_("Metric"), choices=SLAPolicy.Metric.choices, widget=forms.Select(attrs={"class": _SELECT})
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=_ANY + list(Ticket.Channel.choices),
        required=False,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    type = forms.ChoiceField(
        label=_("Ticket type"),
        choices=_ANY + list(Ticket.Type.choices),
        required=False,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=_ANY + list(Ticket.Priority.choices),
        required=False,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    target_minutes = forms.IntegerField(
        label=_("Target (minutes)"),
        min_value=1,
        max_value=60 * 24 * 60,
        help_text=_("1 hour = 60, 24 hours = 1440, 48 hours = 2880."),
        widget=forms.NumberInput(attrs={"class": _INPUT, "min": 1}),
    )
    calendar = forms.ChoiceField(
        label=_("Clock"), choices=SLAPolicy.Calendar.choices, widget=forms.Select(attrs={"class": _SELECT})
    )
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, widget=forms.CheckboxInput(attrs={"class": _CHECK})
    )

    @classmethod
    def from_policy(cls, policy: SLAPolicy, data=None) -> SLAPolicyForm:
        fields = ("name", "metric", "channel", "type", "priority", "target_minutes", "calendar", "active")
        return cls(data, initial={f: getattr(policy, f) for f in fields})


class ServiceSettingsForm(forms.Form):
    business_start = forms.TimeField(
        label=_("Business hours start"), widget=forms.TimeInput(attrs={"class": _INPUT, "type": "time"})
    )
    business_end = forms.TimeField(
        label=_("Business hours end"), widget=forms.TimeInput(attrs={"class": _INPUT, "type": "time"})
    )
    warn_ratio = _decimal(
        _("Warn at share of target"),
        help_text=_("0.8000 warns when 0.8 of the target has passed."),
        min_value=Decimal("0.0100"),
        max_value=Decimal("0.9900"),
    )
    autoreply_margin = _decimal(
        _("Auto-reply margin"),
        help_text=_("Auto-reply when the best answer leads the second by at least this share of its score."),
        min_value=Decimal("0"),
        max_value=Decimal("1"),
    )
    autoreply_min_score = _decimal(
        _("Auto-reply minimum match"),
        help_text=_("Below this match score (0-1) a chat question waits for a person."),
        min_value=Decimal("0"),
        max_value=Decimal("1"),
    )
    negative_sentiment = _decimal(
        _("Negative sentiment below"), min_value=Decimal("-1"), max_value=Decimal("1")
    )
    ticket_sentiment = _decimal(
        _("Open a ticket for feedback below"), min_value=Decimal("-1"), max_value=Decimal("1")
    )
    return_days = _days(_("No-reason return days"), min_value=7)
    refund_target_days = _days(_("Refund within days"), min_value=1)
    kb_coverage_target = _decimal(
        _("Knowledge-base coverage target"), min_value=Decimal("0"), max_value=Decimal("1")
    )
    nps_delay_min_days = _days(_("NPS survey from day"))
    nps_delay_max_days = _days(_("NPS survey until day"))

    FIELDS = (
        "business_start",
        "business_end",
        "warn_ratio",
        "autoreply_margin",
        "autoreply_min_score",
        "negative_sentiment",
        "ticket_sentiment",
        "return_days",
        "refund_target_days",
        "kb_coverage_target",
        "nps_delay_min_days",
        "nps_delay_max_days",
    )

    @classmethod
    def from_settings(cls, conf, data=None) -> ServiceSettingsForm:
        return cls(data, initial={f: getattr(conf, f) for f in cls.FIELDS})


class EscalationReportForm(forms.Form):
    # Not required here: the service names every missing part, the same for the page and any other caller.
    cause = forms.CharField(
        label=_("What happened and why"),
        required=False,
        widget=forms.Textarea(attrs={"class": _INPUT, "rows": 4}),
    )
    actions = forms.CharField(
        label=_("What was done for the customer"),
        required=False,
        widget=forms.Textarea(attrs={"class": _INPUT, "rows": 4}),
    )
    prevention = forms.CharField(
        label=_("What changes so it does not happen again"),
        required=False,
        widget=forms.Textarea(attrs={"class": _INPUT, "rows": 4}),
    )
