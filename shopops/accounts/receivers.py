"""Signal receivers of the accounts app (connected in AccountsConfig.ready)."""

import time

from django_otp import user_has_device

from shopops.accounts.policy import ENROLLED_KEY, LOGIN_AT_KEY, SEEN_AT_KEY
from shopops.accounts.services import user_sessions_end


def session_start(sender, request, user, **kwargs):
    """At every login (Django has just given the session a new key): note the login time for the absolute
    timeout, the first activity for the idle one, and whether the user has a second factor to verify."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now
    request.session[ENROLLED_KEY] = user_has_device(user, confirmed=True)


def remember_active(sender, instance, raw=False, update_fields=None, **kwargs):
    """Before a user is saved: was it active? (end_sessions_on_deactivation needs the old value)."""
    if raw or instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        return
    instance._accounts_was_active = (
        sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    )


def end_sessions_on_deactivation(sender, instance, created=False, raw=False, **kwargs):
    """A user who has just been deactivated is logged out everywhere at once."""
    if raw or created:
        return
    if getattr(instance, "_accounts_was_active", False) and not instance.is_active:
        user_sessions_end(instance)
    instance._accounts_was_active = instance.is_active
