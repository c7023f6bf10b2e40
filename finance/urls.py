from django.urls import include, path

from finance import views

app_name = "finance"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("", include("finance.urls_forecast")),
    path("", include("finance.urls_cash")),
    path("", include("finance.urls_alerts")),
    path("", include("finance.urls_margins")),
    path("", include("finance.urls_risk")),
]
