from django.urls import path

from reports.api import views

urlpatterns = [path("reports/kpis", views.KpiView.as_view(), name="api-reports-kpis")]
