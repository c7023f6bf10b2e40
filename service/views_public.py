"""The survey answer page a customer opens from the link in their message: no account, the token is the
key. CSRF-protected like every form; after an answer the page redirects to itself (thank-you state)."""

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from service.models import Survey
from service.services import surveys


class SurveyAnswerForm(forms.Form):
    score = forms.IntegerField(label=_("Score"), error_messages={"required": _("Please choose a score.")})
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=surveys.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _state(survey: Survey) -> str:
    if survey.answered_at is not None:
        return "answered"
    if survey.expires_at <= timezone.now():
        return "expired"
    return "open"


@login_not_required
@require_http_methods(["GET", "POST"])
def survey_answer_page(request, token: str):
    """CSAT (1-5 stars) or NPS (0-10) with an optional comment; states: open, thanks, answered, expired."""
    survey = Survey.objects.filter(token=token).first()
    if survey is None:
        raise Http404("No such survey.")
    form = SurveyAnswerForm(request.POST or None)
    state = _state(survey)
    if request.method == "POST" and state == "open" and form.is_valid():
        try:
            surveys.survey_answer(
                token=token, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
        except surveys.SurveyClosed as closed:
            state = closed.code
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect(f"{request.path}?thanks=1")
    if state == "answered" and request.GET.get("thanks"):
        state = "thanks"
    low, high = surveys.SCORE_RANGE[survey.kind]
    chosen = form["score"].value() if request.method == "POST" else None
    return render(
        request,
        "service/public/survey_answer.html",
        {
            "survey": survey,
            "state": state,
            "form": form,
            "scores": [str(n) for n in range(low, high + 1)],
            "chosen": str(chosen) if chosen is not None else "",
            "is_nps": survey.kind == Survey.Kind.NPS,
        },
        status=200,
    )
