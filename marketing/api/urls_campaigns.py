from django.urls import path

from marketing.api import campaigns

urlpatterns = [
    path("ad-metrics", campaigns.AdMetricsView.as_view(), name="api-ad-metrics"),
]
