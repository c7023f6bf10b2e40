from django.urls import include, path

from marketing import views

app_name = "marketing"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("", include("marketing.urls_promotions")),
    path("", include("marketing.urls_coupons")),
    path("", include("marketing.urls_campaigns")),
    path("", include("marketing.urls_customers")),
]
