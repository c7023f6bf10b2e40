from django.urls import path

from finance import views_risk as views

urlpatterns = [
    path("risk/", views.risk_queue, name="risk-queue"),
    path("risk/<int:pk>/", views.risk_detail, name="risk-detail"),
    path("risk/<int:pk>/release/", views.risk_release, name="risk-release"),
    path("risk/<int:pk>/cancel/", views.risk_cancel, name="risk-cancel"),
    path("risk/order/<int:order_id>/", views.risk_for_order, name="risk-order"),
]
