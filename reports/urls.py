from django.urls import include, path

from reports import urls_explorer, urls_reports, views

app_name = "reports"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("", include(urls_explorer)),
    path("", include(urls_reports)),
]
