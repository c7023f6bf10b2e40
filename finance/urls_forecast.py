from django.urls import path

from finance import views_forecast

urlpatterns = [
    path("forecast/", views_forecast.forecast, name="forecast"),
    path("forecast/rebuild/", views_forecast.forecast_rebuild, name="forecast-rebuild"),
    path("forecast/export/", views_forecast.forecast_export, name="forecast-export"),
    path("forecast/cell/", views_forecast.forecast_cell, name="forecast-cell"),
    path("scenarios/", views_forecast.scenario_list, name="scenario-list"),
    path("scenarios/new/", views_forecast.scenario_create, name="scenario-create"),
    path("scenarios/<slug:code>/", views_forecast.scenario_edit, name="scenario-edit"),
    path("scenarios/<slug:code>/delete/", views_forecast.scenario_delete, name="scenario-delete"),
]
