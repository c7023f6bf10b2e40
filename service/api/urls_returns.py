from django.urls import path

from service.api import returns

urlpatterns = [
    path("returns", returns.ReturnCreateView.as_view(), name="api-return-create"),
    path("returns/<str:number>", returns.ReturnDetailView.as_view(), name="api-return-detail"),
]
