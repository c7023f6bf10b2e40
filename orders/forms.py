"""Forms of the order pages. They check the shape of the input; the rules live in the services."""

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from orders import rates

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
