from django.urls import path

from service import views_feedback

urlpatterns = [
    path("feedback/", views_feedback.feedback_list, name="feedback-list"),
    path("feedback/import/", views_feedback.feedback_import_view, name="feedback-import"),
    path("feedback/keywords/", views_feedback.keyword_report, name="keyword-report"),
]
