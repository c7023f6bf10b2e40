"""Forms of the feedback pages: the CSV upload and the signed confirm step of its preview."""

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from service.feedback_import import csv_text_decode

FEEDBACK_IMPORT_MAX_BYTES = 2 * 1024 * 1024  # the signed copy of the file must fit a form field
FEEDBACK_IMPORT_PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may be confirmed
_INPUT = "form-control form-control-sm"


class FeedbackImportForm(forms.Form):
    """A CSV file of feedback (UTF-8 with or without BOM, or GB18030); `text` holds it decoded once valid."""

    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.FileInput(attrs={"class": _INPUT, "accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > FEEDBACK_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.")
                % {"size": FEEDBACK_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        try:
            self.text = csv_text_decode(upload.read())
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not CSV text in UTF-8 or GB18030.")) from exc
        if "\x00" in self.text:
            raise forms.ValidationError(_("The file is not CSV text in UTF-8 or GB18030."))
        return upload


class FeedbackImportConfirmForm(forms.Form):
    """The confirm step: carries the previewed file back, signed for this user and for an hour, so that
    nothing is stored between the steps and nothing can be altered in between."""

    salt = "service.feedback-import-preview"

    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @classmethod
    def sign(cls, *, user, name: str, text: str) -> str:
        return signing.dumps({"user": user.pk, "name": name, "text": text}, salt=cls.salt, compress=True)

    def clean_payload(self):
        try:
            payload = signing.loads(
                self.cleaned_data["payload"], salt=self.salt, max_age=FEEDBACK_IMPORT_PREVIEW_MAX_AGE
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


class KeywordBuildForm(forms.Form):
    """Rebuild one month's complaint keywords now (the monthly job does it on the 1st)."""

    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m", "%Y-%m-%d"])
