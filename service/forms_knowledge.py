"""The article form: shape only (lengths, one question per line); the rules (unique code, required
answer, at least one question) live in service.services.knowledge, whose field errors land on the form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from service.models import ArticleCategory

_INPUT = "form-control form-control-sm"
_SELECT = "form-select form-select-sm"
_CHECK = "form-check-input"


def questions_split(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ArticleForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_("Letters, digits and hyphens, e.g. refund-timing."),
        widget=forms.TextInput(attrs={"class": _INPUT}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ArticleCategory.objects.order_by("name"),
        to_field_name="code",
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    title_zh = forms.CharField(
        label=_("Title (Chinese)"), max_length=200, widget=forms.TextInput(attrs={"class": _INPUT})
    )
    title_en = forms.CharField(
        label=_("Title (English)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": _INPUT}),
    )
    answer_zh = forms.CharField(
        label=_("Answer (Chinese)"), widget=forms.Textarea(attrs={"class": _INPUT, "rows": 4})
    )
    answer_en = forms.CharField(
        label=_("Answer (English)"), required=False, widget=forms.Textarea(attrs={"class": _INPUT, "rows": 4})
    )
    questions_zh = forms.CharField(
        label=_("Questions in Chinese"),
        required=False,
        help_text=_("One per line: the ways customers ask it."),
        widget=forms.Textarea(attrs={"class": _INPUT, "rows": 5}),
    )
    questions_en = forms.CharField(
        label=_("Questions in English"),
        required=False,
        help_text=_("One per line."),
        widget=forms.Textarea(attrs={"class": _INPUT, "rows": 3}),
    )
    active = forms.BooleanField(
        label=_("Active (suggested and used by the auto-reply)"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": _CHECK}),
    )

    def clean(self):
        data = super().clean()
        for field in ("questions_zh", "questions_en"):
            if any(len(line) > 300 for line in questions_split(data.get(field, ""))):
                self.add_error(field, _("A question can be at most 300 characters long."))
        return data

    def questions_value(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        return [(text, "zh") for text in questions_split(data.get("questions_zh", ""))] + [
            (text, "en") for text in questions_split(data.get("questions_en", ""))
        ]

    @staticmethod
    def initial_for(article) -> dict:
        questions = list(article.questions.order_by("id"))
        return {
            "code": article.code,
            "category": article.category.code,
            "title_zh": article.title_zh,
            "title_en": article.title_en,
            "answer_zh": article.answer_zh,
            "answer_en": article.answer_en,
            "questions_zh": "\n".join(q.text for q in questions if q.language == "zh"),
            "questions_en": "\n".join(q.text for q in questions if q.language == "en"),
            "active": article.active,
        }
