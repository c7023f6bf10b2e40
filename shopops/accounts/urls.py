from django.urls import path

from shopops.accounts import views

app_name = "accounts"

urlpatterns = [
    path("security/", views.security, name="security"),
    path("2fa/enrol/", views.totp_enrol, name="totp-enrol"),
    path("2fa/verify/", views.verify, name="verify"),
    path("2fa/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("2fa/disable/", views.two_factor_disable, name="two-factor-disable"),
]
