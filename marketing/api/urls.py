from django.urls import include, path

urlpatterns = [
    path("", include("marketing.api.urls_promotions")),
    path("", include("marketing.api.urls_flash")),
    path("", include("marketing.api.urls_campaigns")),
]
