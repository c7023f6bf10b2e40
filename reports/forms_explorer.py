"""Forms of the KPI explorer and the anomalies page: the period [start, end) of shop dates, granularity,
channel and category. Shape only; the defaults are the last 28 complete days."""

from datetime import timedelta

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import selectors as order_selectors
from reports import kpis
from shopops.common.dates import shop_today

DEFAULT_DAYS = 28
MAX_DAYS = 731
GRANULARITY_CHOICES = [
    ("day", gettext_lazy("Day")),
    ("week", gettext_lazy("Week")),
    ("month", gettext_lazy("Month")),
]
METRIC_CHOICES = [(m, kpis.KPI_LABELS[m]) for m in ("gmv", "orders", "units", "aov", "net_sales", "refunds")]


def default_period() -> tuple:
    today = shop_today()
    return today - timedelta(days=DEFAULT_DAYS), today


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("until (excluded)"), required=False)
    channel = forms.TypedChoiceField(
        label=gettext_lazy("Channel"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("All channels"))] + [
            (c.pk, c.name) for c in order_selectors.channel_all()
        ]

    def clean(self):
        data = super().clean()
        default_start, default_end = default_period()
        end = data.get("end") or default_end
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS)
        if start >= end:
            self.add_error("end", _("The end must be after the start."))
        elif (end - start).days > MAX_DAYS:
            self.add_error("start", _("Choose a period of at most %(days)d days.") % {"days": MAX_DAYS})
        data["start"], data["end"] = start, end
        return data

    @classmethod
    def defaults(cls) -> dict:
        start, end = default_period()
        return {"start": start, "end": end, "channel": None}


class ExplorerForm(PeriodForm):
    granularity = forms.ChoiceField(
        label=gettext_lazy("Granularity"), required=False, choices=GRANULARITY_CHOICES
    )
    category = forms.TypedChoiceField(
        label=gettext_lazy("Category"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + list(kpis.category_choices())

    def clean(self):
        data = super().clean()
        data["granularity"] = data.get("granularity") or "day"
        return data

    @classmethod
    def defaults(cls) -> dict:
        return {**super().defaults(), "granularity": "day", "category": None}


class AnomalyForm(PeriodForm):
    metric = forms.ChoiceField(label=gettext_lazy("Figure"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [("", _("All figures"))] + [(k, str(v)) for k, v in METRIC_CHOICES]

    @classmethod
    def defaults(cls) -> dict:
        return {**super().defaults(), "metric": ""}
