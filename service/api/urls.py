from django.urls import include, path

urlpatterns = [
    path("", include("service.api.urls_tickets")),
    path("", include("service.api.urls_feedback")),
    path("", include("service.api.urls_returns")),
    path("", include("service.api.urls_surveys")),
]
