"""Forms of the order pages. They check the shape of the input; the rules live in the services."""

from decimal import Decimal

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from orders import channel_settings, rates, selectors

RATE_IMPORT_MAX_BYTES = 1024 * 1024  # ~30,000 rate lines; the signed copy must fit a form field
RATE_IMPORT_PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may be confirmed
ORDER_IMPORT_MAX_BYTES = 2 * 1024 * 1024  # ~15,000 order lines; the signed copy must fit a form field
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


class CsvUploadForm(forms.Form):
    """An uploaded CSV file (UTF-8 with or without BOM, or GB18030); `text` holds it decoded once valid."""

    max_bytes = 1024 * 1024

    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.FileInput(attrs={"class": _INPUT, "accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": self.max_bytes // (1024 * 1024)}
            )
        try:
            self.text = rates.csv_text_decode(upload.read())
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not CSV text in UTF-8 or GB18030.")) from exc
        if "\x00" in self.text:
            raise forms.ValidationError(_("The file is not CSV text in UTF-8 or GB18030."))
        return upload


class SignedPreviewForm(forms.Form):
    """The confirm step of an import: carries the previewed file back, signed for this user and for an
    hour, so that nothing is stored between the steps and nothing can be altered in between."""

    salt = ""
    max_age = 60 * 60  # seconds a preview may be confirmed

    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @classmethod
    def sign(cls, *, user, **data) -> str:
        return signing.dumps({"user": user.pk, **data}, salt=cls.salt, compress=True)

    def clean_payload(self):
        try:
            payload = signing.loads(self.cleaned_data["payload"], salt=self.salt, max_age=self.max_age)
        except signing.SignatureExpired as exc:
            raise forms.ValidationError(_("The preview has expired: upload the file again.")) from exc
        except signing.BadSignature as exc:
            raise forms.ValidationError(
                _("The preview could not be verified: upload the file again.")
            ) from exc
        if not isinstance(payload, dict) or payload.get("user") != self.user.pk:
            raise forms.ValidationError(_("The preview could not be verified: upload the file again."))
        return payload


class RateImportForm(CsvUploadForm):
    max_bytes = RATE_IMPORT_MAX_BYTES  # ~30,000 rate lines; the signed copy must fit a form field


class RateImportConfirmForm(SignedPreviewForm):
    salt = "orders.rates.import-preview"
    max_age = RATE_IMPORT_PREVIEW_MAX_AGE


def rate_import_sign(*, user, name: str, text: str) -> str:
    """The previewed rates file, signed for the confirm step."""
    return RateImportConfirmForm.sign(user=user, name=name, text=text)


class OrderImportForm(CsvUploadForm):
    """The channel and the marketplace export."""

    max_bytes = ORDER_IMPORT_MAX_BYTES
    field_order = ["channel", "file"]

    channel = forms.ChoiceField(
        label=_("Channel"), widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", "—")] + [
            (channel.code, f"{channel.name} ({channel.code})") for channel in selectors.channel_list()
        ]


class OrderImportConfirmForm(SignedPreviewForm):
    """Also carries the choice to import the orders whose totals do not reconcile."""

    salt = "orders.imports.order-import-preview"

    include_mismatched = forms.BooleanField(
        required=False,
        label=_(
            "Also import the orders whose total does not add up, with the total of their lines, "
            "and put each in the exceptions queue"
        ),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


def order_import_sign(*, user, channel: str, name: str, text: str) -> str:
    """The previewed order export, signed for the confirm step."""
    return OrderImportConfirmForm.sign(user=user, channel=channel, name=name, text=text)


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
