"""URL patterns of the report archive (app_name "reports" comes from reports/urls.py). The fixed paths
("generate/") come before the ones that take a period."""

from django.urls import path

from reports import views_reports as views

urlpatterns = [
    path("weekly/", views.weekly_list, name="weekly-list"),
    path("weekly/generate/", views.weekly_generate, name="weekly-generate"),
    path("weekly/<str:week>/", views.weekly_detail, name="weekly-detail"),
    path("weekly/<str:week>/pdf/", views.weekly_pdf, name="weekly-pdf"),
    path("weekly/<str:week>/xlsx/", views.weekly_xlsx, name="weekly-xlsx"),
    path("daily/", views.daily_list, name="daily-list"),
    path("daily/generate/", views.daily_generate, name="daily-generate"),
    path("daily/<str:day>/", views.daily_detail, name="daily-detail"),
    path("daily/<str:day>/pdf/", views.daily_pdf, name="daily-pdf"),
    path("daily/<str:day>/xlsx/", views.daily_xlsx, name="daily-xlsx"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
]
