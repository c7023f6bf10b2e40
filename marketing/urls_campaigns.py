from django.urls import path

from marketing import views_campaigns as views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("campaigns/import-ads/", views.ad_import, name="ad-import"),
    path("campaigns/<str:code>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<str:code>/edit/", views.campaign_edit, name="campaign-edit"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("results/", views.promotion_results, name="promotion-results"),
    path("results/<str:code>/", views.promotion_result, name="promotion-result"),
    path("referrals/", views.referral_list, name="referral-list"),
    path("referrals/new/", views.referral_create, name="referral-create"),
]
