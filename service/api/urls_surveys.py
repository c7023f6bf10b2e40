from django.urls import path

from service.api import surveys

urlpatterns = [
    path("surveys/<str:token>", surveys.SurveyAnswerView.as_view(), name="api-survey-answer"),
]
