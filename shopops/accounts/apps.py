from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Sign-in security: two-factor authentication, login lockouts (django-axes) and session lifetimes."""

    name = "shopops.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save, pre_save

        from shopops.accounts import receivers

        user_model = get_user_model()
        # Not business logic: the session bookkeeping every login needs, and ending the sessions of a user
        # who is deactivated wherever that happens (admin, shell, a future page).
        user_logged_in.connect(receivers.session_start, dispatch_uid="accounts-session-start")
        pre_save.connect(receivers.remember_active, sender=user_model, dispatch_uid="accounts-was-active")
        post_save.connect(
            receivers.end_sessions_on_deactivation, sender=user_model, dispatch_uid="accounts-deact"
        )
