from django.urls import include, path

from service import views

app_name = "service"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("", include("service.urls_tickets")),
    path("", include("service.urls_sla")),
    path("", include("service.urls_knowledge")),
    path("", include("service.urls_feedback")),
    path("", include("service.urls_returns")),
    path("", include("service.urls_compensation")),
    path("", include("service.urls_surveys")),
]
