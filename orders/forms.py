"""Forms of the order pages. They check the shape of the input; the rules live in the services."""

from decimal import Decimal

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from orders import channel_settings, rates

RATE_IMPORT_MAX_BYTES = 1024 * 1024  # ~30,000 rate lines; the signed copy must fit a form field
RATE_IMPORT_PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may be confirmed
_RATE_IMPORT_SALT = "orders.rates.import-preview"
_INPUT = "form-control form-control-sm"


class RateForm(forms.Form):
    """One rate to add or correct. `rates.rates_import` validates the values, like an imported row."""

    date = forms.CharField(
        label=_("Date"),
        max_length=10,
        widget=forms.DateInput(attrs={"type": "date", "class": _INPUT}, format="%Y-%m-%d"),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        widget=forms.TextInput(
            attrs={
                "class": _INPUT,
                "pattern": "[A-Z]{3}",
                "size": 4,
                "autocomplete": "off",
                "placeholder": "USD",
            }
        ),
    )
    rate_to_shop_currency = forms.CharField(
        label=_("Rate to shop currency"),
        max_length=30,
        widget=forms.TextInput(attrs={"class": _INPUT, "inputmode": "decimal", "autocomplete": "off"}),
    )

    def add_row_errors(self, errors) -> None:
        for error in errors:
            self.add_error(error.field if error.field in self.fields else None, error.message)


class RateImportForm(forms.Form):
    """The uploaded CSV file; `text` holds its decoded content once valid."""

    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.FileInput(attrs={"class": _INPUT, "accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > RATE_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": RATE_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        try:
            self.text = rates.csv_text_decode(upload.read())
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not CSV text in UTF-8 or GB18030.")) from exc
        if "\x00" in self.text:
            raise forms.ValidationError(_("The file is not CSV text in UTF-8 or GB18030."))
        return upload


def rate_import_sign(*, user, name: str, text: str) -> str:
    """The previewed file, signed for the confirm step: only this user may apply it, within the hour."""
    return signing.dumps({"user": user.pk, "name": name, "text": text}, salt=_RATE_IMPORT_SALT, compress=True)


class RateImportConfirmForm(forms.Form):
    """The confirm step: carries the previewed file back, signed, so that it cannot be altered."""

    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_payload(self):
        try:
            payload = signing.loads(
                self.cleaned_data["payload"], salt=_RATE_IMPORT_SALT, max_age=RATE_IMPORT_PREVIEW_MAX_AGE
            )
        except signing.SignatureExpired as exc:
            raise forms.ValidationError(_("The preview has expired: upload the file again.")) from exc
        except signing.BadSignature as exc:
            raise forms.ValidationError(
                _("The preview could not be verified: upload the file again.")
            ) from exc
        if not isinstance(payload, dict) or payload.get("user") != self.user.pk:
            raise forms.ValidationError(_("The preview could not be verified: upload the file again."))
        return payload


# --- order desk -----------------------------------------------------------------------------------------

RESOLUTION_NOTE_MAX = 2000


class ExceptionResolveForm(forms.Form):
    """How an order exception was resolved. `next` is where to go back to (checked by the view)."""

    note = forms.CharField(
        label=_("Resolution note"),
        max_length=RESOLUTION_NOTE_MAX,
        strip=True,
        error_messages={"required": _("Say how it was resolved.")},
        widget=forms.TextInput(
            attrs={
                "class": _INPUT,
                "autocomplete": "off",
                "placeholder": _("How was it resolved?"),
            }
        ),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ChannelForm(forms.Form):
    """A channel's settings. The webhook secret is write-only: blank keeps the stored one."""

    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"class": _INPUT}))
    commission_rate = forms.DecimalField(
        label=_("Commission rate"),
        min_value=0,
        max_value=Decimal("0.9999"),
        max_digits=5,
        decimal_places=4,
        help_text=_("A fraction of the order total: 0.0500 = 5 %."),
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.0001"}),
    )
    payment_fee_rate = forms.DecimalField(
        label=_("Payment fee rate"),
        min_value=0,
        max_value=Decimal("0.9999"),
        max_digits=5,
        decimal_places=4,
        help_text=_("A fraction of the order total: 0.0060 = 0.6 %."),
        widget=forms.NumberInput(attrs={"class": _INPUT, "step": "0.0001"}),
    )
    settlement_days = forms.IntegerField(
        label=_("Settlement days"),
        min_value=0,
        max_value=365,
        help_text=_("Days after delivery until the channel pays out."),
        widget=forms.NumberInput(attrs={"class": _INPUT}),
    )
    active = forms.BooleanField(
        label=_("Active"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    webhook_secret = forms.CharField(
        label=_("New webhook secret"),
        required=False,
        strip=True,
        min_length=channel_settings.SECRET_MIN_LENGTH,
        max_length=channel_settings.SECRET_MAX_LENGTH,
        help_text=_("Leave blank to keep the current secret. It is never shown again once saved."),
        widget=forms.PasswordInput(
            render_value=False, attrs={"class": _INPUT, "autocomplete": "new-password", "spellcheck": "false"}
        ),
    )
    clear_secret = forms.BooleanField(
        label=_("Remove the webhook secret"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("webhook_secret") and cleaned.get("clear_secret"):
            raise forms.ValidationError(_("Either set a new secret or remove it, not both."))
        return cleaned
