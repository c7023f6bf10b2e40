"""The KPI explorer and the anomalies page (app_name "reports" comes from reports/urls.py)."""

from django.urls import path

from reports import views_explorer

urlpatterns = [
    path("kpis/", views_explorer.explorer, name="explorer"),
    path("anomalies/", views_explorer.anomaly_page, name="anomalies"),
]
