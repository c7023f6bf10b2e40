"""Pages a customer opens without an account: the survey answer page (its token is the key). Included at
/survey/ without a namespace argument, so `app_name` names it: `survey:answer`."""

from django.urls import path

from service import views_public

app_name = "survey"
urlpatterns = [
    path("<str:token>/", views_public.survey_answer_page, name="answer"),
]
