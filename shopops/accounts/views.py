"""Two-factor pages: enrol an authenticator app, verify after the password, recovery codes, security."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopops.accounts import services
from shopops.accounts.forms import CodeForm, TotpCodeForm
from shopops.accounts.policy import ENROLLED_KEY, two_factor_required


def verified_if_enrolled(view):
    """The accounts pages are open before the second step (TwoFactorMiddleware lets them through), so the
    ones that show or change the second factor check it themselves: a user who has a device must have
    verified this session, or the password alone would be enough to turn two-factor off or mint recovery
    codes."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_verified() and user_has_device(request.user, confirmed=True):
            return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': request.path})}")
        return view(request, *args, **kwargs)

    return wrapped


def _next_url(request) -> str:
    """Where to go afterwards: `next` when it is a path on this site, else the dashboard."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@never_cache
@require_http_methods(["GET"])
@verified_if_enrolled
def security(request):
    """The signed-in user's second factor: the authenticator app, recovery codes left, what they may do."""
    state = services.two_factor_state(request.user)
    return render(
        request,
        "accounts/security.html",
        {**state, "required": two_factor_required(request.user), "verified": request.user.is_verified()},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@verified_if_enrolled
def totp_enrol(request):
    """Add an authenticator app: scan the QR code (or type the secret), confirm with its first code. An
    enrolled user must have verified this session before replacing the app."""
    user = request.user
    device = services.totp_enrolment_start(user=user)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_enrolment_confirm(
            request=request, device_id=device.pk, token=form.cleaned_data["code"]
        )
        if codes is not None:
            messages.success(request, _("Two-factor authentication is on."))
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "new": True},
            )
        form.add_error(
            "code", _("That code is not right. Check the time on your phone and try the next one.")
        )
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr_svg": services.totp_qr_svg(device),
            "secret": services.totp_secret(device),
            "next": _next_url(request),
            "required": two_factor_required(user),
            "replacing": user_has_device(user, confirmed=True),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step of the login: a code from the authenticator app or a recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not user_has_device(user, confirmed=True):
        request.session[ENROLLED_KEY] = False
        if two_factor_required(user):
            return redirect(f"{reverse('accounts:totp-enrol')}?{urlencode({'next': _next_url(request)})}")
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.two_factor_verify(request=request, token=form.cleaned_data["code"])
        if outcome.device is not None:
            if not TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
                messages.warning(
                    request, _("You signed in with a recovery code. Set up your authenticator app.")
                )
                return redirect("accounts:security")
            return redirect(_next_url(request))
        form.add_error("code", outcome.error)
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@verified_if_enrolled
def recovery_codes(request):
    """GET: how many recovery codes are left. POST: replace them with new ones, shown once on this page."""
    user = request.user
    if not TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        messages.info(request, _("Set up an authenticator app first."))
        return redirect("accounts:security")
    if request.method == "POST":
        codes = services.recovery_codes_regenerate(user=user)
        messages.success(request, _("New recovery codes: the old ones no longer work."))
        return render(
            request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:security")}
        )
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "recovery_left": services.two_factor_state(user)["recovery_left"],
            "next": reverse("accounts:security"),
        },
    )


@require_POST
@verified_if_enrolled
def two_factor_disable(request):
    """Turn two-factor authentication off: only for roles where it is optional."""
    if two_factor_required(request.user):
        raise PermissionDenied
    services.two_factor_disable(request=request)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("accounts:security")


def locked_out(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the page shown (HTTP 429) when a username is locked out from this address."""
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "accounts/locked_out.html", context, status=429)
