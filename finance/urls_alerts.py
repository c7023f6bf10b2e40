from django.urls import path

from finance import views_alerts as views

urlpatterns = [
    path("alerts/", views.alert_list, name="alert-list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert-resolve"),
    path("alerts/actions/<int:pk>/done/", views.action_done, name="action-done"),
    path("alerts/thresholds/", views.threshold_list, name="threshold-list"),
    path("alerts/playbook/new/", views.playbook_step_create, name="playbook-step-create"),
    path("alerts/playbook/<int:pk>/edit/", views.playbook_step_edit, name="playbook-step-edit"),
    path("settings/", views.finance_settings, name="settings"),
]
