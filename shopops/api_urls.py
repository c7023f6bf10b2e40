"""The REST API for channel clients, under /api/v1/: every app's api/urls.py, the schema and its docs."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("orders.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("marketing.api.urls")),
    path("", include("service.api.urls")),
    path("", include("reports.api.urls")),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (docs/?script=): no inline script under
    # the Content-Security-Policy. Its page template drops drf-spectacular's inline <style> for a stylesheet.
    path(
        "docs/",
        login_not_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", template_name="shopops/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
]
