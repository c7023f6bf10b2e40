"""Session lifetimes and the second factor, enforced on every page.

Order in settings.MIDDLEWARE: AuthenticationMiddleware, django_otp's OTPMiddleware, …, MessageMiddleware,
SessionTimeoutMiddleware, TwoFactorMiddleware.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from shopops.accounts.policy import ENROLLED_KEY, LOGIN_AT_KEY, SEEN_AT_KEY, two_factor_required

# How often the last-activity time is written to the session (a write is a database UPDATE).
ACTIVITY_WRITE_INTERVAL = 60


def _redirect(request, url: str):
    """A redirect that also works for an htmx request (which would otherwise swap the target page into a
    fragment of the current one)."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _with_next(url_name: str, request) -> str:
    url = reverse(url_name)
    if request.method == "GET" and not request.headers.get("HX-Request"):
        return f"{url}?{urlencode({'next': request.get_full_path()})}"
    return url


class SessionTimeoutMiddleware:
    """A login lasts at most SESSION_ABSOLUTE_TIMEOUT and ends after SESSION_IDLE_TIMEOUT without a request:
    then the user is logged out and sent to the login page with a message. A session whose user no longer
    resolves (deactivated or deleted) is flushed at once, so that reactivating the user does not bring an
    old session back."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
        self.absolute = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()

    def __call__(self, request):
        session = request.session
        if not request.user.is_authenticated:
            if SESSION_KEY in session and BACKEND_SESSION_KEY in session:
                session.flush()  # a login of a user who is now inactive or gone
            return self.get_response(request)

        now = int(time.time())
        login_at = session.get(LOGIN_AT_KEY)
        seen_at = session.get(SEEN_AT_KEY)
        if login_at is None or seen_at is None:  # a session from before these keys existed
            session[LOGIN_AT_KEY] = login_at = login_at or now
            session[SEEN_AT_KEY] = seen_at = seen_at or now
        if now - seen_at > self.idle or now - login_at > self.absolute:
            idle = now - seen_at > self.idle
            logout(request)
            if idle:
                text = _(
                    "You were logged out after %(minutes)d minutes without activity. Please log in again."
                )
                messages.warning(request, text % {"minutes": self.idle // 60})
            else:
                text = _("Your session has ended %(hours)d hours after you logged in. Please log in again.")
                messages.warning(request, text % {"hours": self.absolute // 3600})
            return _redirect(request, _with_next(settings.LOGIN_URL, request))
        if now - seen_at >= ACTIVITY_WRITE_INTERVAL:
            session[SEEN_AT_KEY] = now
        return self.get_response(request)


def _exempt(request, view_func) -> bool:
    """Pages open to a user who has not verified the second factor yet."""
    path = request.path_info
    if path.startswith("/api/") or path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True  # the API takes API keys, not sessions; static files are no secret
    if not getattr(view_func, "login_required", True):
        return True  # public pages: login, health check, language switch, customer surveys
    match = request.resolver_match
    return match is not None and (
        match.namespace == "accounts" or match.url_name in ("logout", "set_language")
    )


class TwoFactorMiddleware:
    """A signed-in user who has a second factor must verify it before any page (the Django admin included);
    a finance, manager or admin user without one is sent to enrol first. Other roles without a device pass."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified() or _exempt(request, view_func):
            return None
        enrolled = request.session.get(ENROLLED_KEY)
        if enrolled is None:
            from django_otp import user_has_device

            enrolled = request.session[ENROLLED_KEY] = user_has_device(user, confirmed=True)
        if enrolled:
            return _redirect(request, _with_next("accounts:verify", request))
        if two_factor_required(user):
            return _redirect(request, _with_next("accounts:totp-enrol", request))
        return None
