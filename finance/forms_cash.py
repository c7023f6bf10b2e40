"""Forms of the cash pages: accounts, manual transactions, the CSV uploads and their signed confirm step,
supplier payments and commitments. They check shape only; the services in finance.services.cash write."""

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from finance.imports import csv_text_decode
from finance.models import CashAccount, CashCategory, Commitment
from finance.selectors import cash as selectors
from finance.services.cash import ACCOUNT_FIELDS, COMMITMENT_FIELDS

IMPORT_MAX_BYTES = 2 * 1024 * 1024  # the signed copy of the file must fit a form field
IMPORT_PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may be confirmed
_INPUT = "form-control form-control-sm"
_SELECT = "form-select form-select-sm"
_CHECK = "form-check-input"


def _date_input():
    return forms.DateInput(attrs={"type": "date", "class": _INPUT}, format="%Y-%m-%d")


class _Styled:
    """Bootstrap classes on every widget."""

    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", _CHECK)
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", _SELECT)
            else:
                widget.attrs.setdefault("class", _INPUT)


class CashAccountForm(_Styled, forms.ModelForm):
    class Meta:
        model = CashAccount
        fields = list(ACCOUNT_FIELDS)
        widgets = {"opening_on": _date_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class CashTransactionForm(_Styled, forms.Form):
    booked_on = forms.DateField(label=_("Date"), widget=_date_input())
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Positive: money in. Negative: money out."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=CashCategory.choices)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    counterparty = forms.CharField(label=_("Counterparty"), max_length=200, required=False)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("The bank's id of the movement: unique on the account."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("The amount must not be zero."))
        return amount


class CsvUploadForm(forms.Form):
    """A CSV file (UTF-8 with or without BOM, or GBK/GB18030); `text` holds it decoded once valid."""

    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.FileInput(attrs={"class": _INPUT, "accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        try:
            self.text = csv_text_decode(upload.read())
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not CSV text in UTF-8 or GBK.")) from exc
        if "\x00" in self.text:
            raise forms.ValidationError(_("The file is not CSV text in UTF-8 or GBK."))
        return upload


class StatementImportForm(CsvUploadForm):
    pass


class SettlementImportForm(CsvUploadForm):
    field_order = ["channel", "file"]

    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=None,
        required=False,
        to_field_name="code",
        empty_label=_("Named on each row"),
        widget=forms.Select(attrs={"class": _SELECT}),
        help_text=_("The channel of the whole report; leave empty when each row names its channel code."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = selectors.channel_all()


class ImportConfirmForm(forms.Form):
    """The confirm step: carries the previewed file back, signed for this user, this import and an hour,
    so that nothing is stored between the steps and nothing can be altered in between."""

    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, user, salt: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.salt = salt

    @staticmethod
    def sign(*, user, salt: str, data: dict) -> str:
        return signing.dumps({"user": user.pk, **data}, salt=salt, compress=True)

    def clean_payload(self):
        try:
            payload = signing.loads(
                self.cleaned_data["payload"], salt=self.salt, max_age=IMPORT_PREVIEW_MAX_AGE
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


class SupplierPaymentForm(_Styled, forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    paid_on = forms.DateField(label=_("Paid on"), widget=_date_input())
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    account = forms.ModelChoiceField(
        label=_("Paid from account"),
        queryset=None,
        required=False,
        to_field_name="code",
        empty_label=_("Not booked on an account"),
        help_text=_("When chosen, the payment is also booked on the account as money out."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = selectors.account_list(include_inactive=False)
        self._style()

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("The amount must be more than zero."))
        return amount


class CommitmentForm(_Styled, forms.ModelForm):
    class Meta:
        model = Commitment
        fields = list(COMMITMENT_FIELDS)
        widgets = {"starts_on": _date_input(), "ends_on": _date_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
