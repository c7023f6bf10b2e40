from django.urls import path

from marketing.api import flash

urlpatterns = [
    path(
        "flash-sales/<str:code>/claims",
        flash.FlashClaimCreateView.as_view(),
        name="api-flash-claim-create",
    ),
]
