"""Forms of the campaign pages: shape only; the rules live in marketing.services."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU
from marketing.models import Campaign, Promotion, ReferralCode
from orders.models import Channel, Customer

_INPUT = "form-control form-control-sm"
_SELECT = "form-select form-select-sm"
_CHECK = "form-check-input"
MAX_UPLOAD = 4 * 1024 * 1024


def _money(label, **kw):
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.01", "inputmode": "decimal"}),
        **kw,
    )


def _date(label):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"class": _INPUT, "type": "date"}))


class CampaignForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=50, widget=forms.TextInput(attrs={"class": _INPUT}))
    name = forms.CharField(label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"class": _INPUT}))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Campaign.Kind.choices, widget=forms.Select(attrs={"class": _SELECT})
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.filter(active=True).order_by("code"),
        required=False,
        to_field_name="code",
        widget=forms.Select(attrs={"class": _SELECT}),
        help_text=_("For an ad campaign on one channel; leave empty for a campaign on every channel."),
    )
    starts_on = _date(_("Starts on"))
    ends_on = _date(_("Ends on (inclusive)"))
    planning_lead_days = forms.IntegerField(
        label=_("Planning lead time (days)"),
        min_value=0,
        max_value=365,
        initial=45,
        widget=forms.NumberInput(attrs={"class": _INPUT}),
        help_text=_("Festivals are planned 30-60 days ahead."),
    )
    budget = _money(_("Budget (ad spend)"), initial=Decimal("0"))
    other_cost = _money(_("Other cost"), initial=Decimal("0"), help_text=_("Fees, KOC payments, materials."))
    expected_lift = forms.DecimalField(
        label=_("Expected demand lift"),
        required=False,
        max_digits=6,
        decimal_places=3,
        min_value=Decimal("0.2"),
        max_value=Decimal("20"),
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.1"}),
        help_text=_("A multiplier for the forecast (1.5 = 50 % more demand); empty = measured from history."),
    )
    skus = forms.CharField(
        label=_("SKUs"),
        required=False,
        widget=forms.Textarea(attrs={"class": _INPUT, "rows": 2}),
        help_text=_("SKU codes, separated by commas or spaces; empty = every SKU."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"class": _INPUT, "rows": 3})
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True

    def clean_code(self):
        return self.cleaned_data["code"].upper()

    def clean_skus(self):
        codes = [c for c in (self.cleaned_data.get("skus") or "").replace(",", " ").split() if c]
        if not codes:
            return []
        found = dict(SKU.objects.filter(code__in=codes).values_list("code", "id"))
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("Unknown SKU codes: %(codes)s") % {"codes": ", ".join(unknown[:20])}
            )
        return sorted({found[c] for c in codes})

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        return data

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["sku_ids"] = data.pop("skus")
        return data

    @staticmethod
    def initial_of(campaign: Campaign) -> dict:
        codes = (
            SKU.objects.filter(pk__in=campaign.sku_ids or []).order_by("code").values_list("code", flat=True)
        )
        return {
            "code": campaign.code,
            "name": campaign.name,
            "kind": campaign.kind,
            "channel": campaign.channel.code if campaign.channel else None,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "planning_lead_days": campaign.planning_lead_days,
            "budget": campaign.budget,
            "other_cost": campaign.other_cost,
            "expected_lift": campaign.expected_lift,
            "skus": " ".join(codes),
            "notes": campaign.notes,
        }


class AdImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), widget=forms.FileInput(attrs={"class": _INPUT, "accept": ".csv,text/csv"})
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign for rows without one"),
        queryset=Campaign.objects.order_by("-starts_on", "code"),
        required=False,
        to_field_name="code",
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file and show what would change, write nothing"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": _CHECK}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD // (1024 * 1024)}
            )
        self.data_bytes = upload.read()
        return upload


class ChecklistAddForm(forms.Form):
    item = forms.CharField(
        label=_("New item"), max_length=200, widget=forms.TextInput(attrs={"class": _INPUT})
    )
    owner = forms.CharField(
        label=_("Owner"), max_length=60, required=False, widget=forms.TextInput(attrs={"class": _INPUT})
    )


class ReferralCodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=50, widget=forms.TextInput(attrs={"class": _INPUT}))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ReferralCode.Kind.choices, widget=forms.Select(attrs={"class": _SELECT})
    )
    referrer_channel = forms.ModelChoiceField(
        label=_("Referrer's channel"),
        queryset=Channel.objects.order_by("code"),
        required=False,
        to_field_name="code",
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    referrer = forms.CharField(
        label=_("Referrer (customer id on that channel)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": _INPUT}),
    )
    owner_name = forms.CharField(
        label=_("KOC name"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": _INPUT})
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.order_by("-starts_on", "code"),
        required=False,
        to_field_name="code",
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    offer = forms.ModelChoiceField(
        label=_("Offer for the new customer"),
        queryset=Promotion.objects.order_by("code"),
        required=False,
        to_field_name="code",
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    reward_invites = forms.IntegerField(
        label=_("Invites per reward"),
        min_value=1,
        max_value=100,
        initial=3,
        widget=forms.NumberInput(attrs={"class": _INPUT}),
    )
    reward_promotion = forms.ModelChoiceField(
        label=_("Reward coupon promotion"),
        queryset=Promotion.objects.filter(coupon_required=True).order_by("code"),
        required=False,
        to_field_name="code",
        widget=forms.Select(attrs={"class": _SELECT}),
        help_text=_(
            "The referrer gets one coupon of this promotion for every N invited customers who order."
        ),
    )

    def clean(self):
        data = super().clean()
        ref = (data.get("referrer") or "").strip()
        data["referrer_customer"] = None
        if ref:
            channel = data.get("referrer_channel")
            qs = Customer.objects.filter(external_id=ref)
            if channel is not None:
                qs = qs.filter(channel=channel)
            matches = list(qs[:2])
            if not matches:
                self.add_error("referrer", _("No customer with this id."))
            elif len(matches) > 1:
                self.add_error(
                    "referrer_channel", _("Several channels have a customer with this id: choose one.")
                )
            else:
                data["referrer_customer"] = matches[0]
        return data
