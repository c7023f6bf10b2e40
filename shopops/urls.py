from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from reports import views as report_views
from shopops import views, views_audit, views_jobs

# A 404 under /api/ answers JSON (API clients and the schema say so); pages keep the HTML page.
handler404 = "shopops.common.api.not_found"

urlpatterns = [
    path("", report_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("notifications/", views.notifications, name="notifications"),
    path("jobs/failed/", views_jobs.failed_list, name="jobs-failed"),
    path("jobs/failed/<int:pk>/retry", views_jobs.failed_retry, name="jobs-failed-retry"),
    path("audit/", views_audit.audit_log, name="audit-log"),
    path("accounts/", include("shopops.accounts.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("catalog/", include("catalog.urls")),
    path("orders/", include("orders.urls")),
    path("inventory/", include("inventory.urls")),
    path("marketing/", include("marketing.urls")),
    path("service/", include("service.urls")),
    path("survey/", include("service.urls_public")),
    path("finance/", include("finance.urls")),
    path("reports/", include("reports.urls")),
    path("privacy/", include("shopops.privacy.urls")),
    path("api/v1/", include("shopops.api_urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
