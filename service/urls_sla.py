from django.urls import path

from service import views_sla as views

urlpatterns = [
    path("sla/policies/", views.sla_policy_list, name="sla-policy-list"),
    path("sla/policies/new/", views.sla_policy_create, name="sla-policy-create"),
    path("sla/policies/<int:pk>/edit/", views.sla_policy_edit, name="sla-policy-edit"),
    path("sla/settings/", views.sla_settings, name="sla-settings"),
    path("escalations/", views.escalation_list, name="escalation-list"),
    path("escalations/<str:number>/report/", views.escalation_report, name="escalation-report"),
]
