from django.urls import path

from service.api import feedback

urlpatterns = [
    path("feedback", feedback.FeedbackView.as_view(), name="api-feedback"),
]
