"""Two-factor devices (django-otp TOTP and static recovery codes) and the end of a user's sessions.

A user's second factor is one confirmed TOTP device (an authenticator app) plus one static device holding
single-use recovery codes. Enrolment creates an unconfirmed TOTP device; the first correct code confirms
it, replaces any earlier one and issues fresh recovery codes.
"""

import dataclasses
import math
from base64 import b32encode
from importlib import import_module

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopops.accounts.policy import ENROLLED_KEY, RECOVERY_CODE_COUNT

TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


def totp_secret(device: TOTPDevice) -> str:
    """The device's key in base32, as people type it into an authenticator app."""
    return b32encode(device.bin_key).decode("ascii")


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL of the device as an inline SVG QR code (no image request, no script)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=18)
    return image.to_string(encoding="unicode")


@transaction.atomic
def totp_enrolment_start(*, user) -> TOTPDevice:
    """The user's pending (unconfirmed) TOTP device, created on the first call: reloading the enrolment page
    shows the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones; returns them (shown once)."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())  # 8 characters of base32: never a 6-digit TOTP code
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in sorted(codes))
    return sorted(codes)


def totp_enrolment_confirm(*, request, device_id: int, token: str) -> list[str] | None:
    """Confirm the pending device with its first code: it replaces any earlier TOTP device, the session is
    verified with it and new recovery codes are returned. None if the code is wrong (or the device is not
    the user's pending one)."""
    user = request.user
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        )
        if device is None or not device.verify_token(_normalize(token)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_regenerate(user=user)
    otp_login(request, device)
    request.session[ENROLLED_KEY] = True
    return codes


@dataclasses.dataclass
class Verification:
    device: object | None
    error: str = ""


def _normalize(token: str) -> str:
    return "".join((token or "").split()).replace("-", "").lower()


def two_factor_verify(*, request, token: str) -> Verification:
    """Check a code from the authenticator app (6 digits) or a recovery code against the user's confirmed
    devices; on success the session is verified (django_otp.login). A TOTP code is accepted once: the device
    remembers the last time step used (`last_t`), so replaying a code is refused. A recovery code is deleted
    when used. Wrong codes are throttled per device (1, 2, 4, 8… seconds)."""
    user = request.user
    token = _normalize(token)
    model = TOTPDevice if (len(token) == 6 and token.isdigit()) else StaticDevice
    for candidate in model.objects.devices_for_user(user, confirmed=True).order_by("pk"):
        with transaction.atomic():
            device = model.objects.select_for_update().get(pk=candidate.pk)
            allowed, info = device.verify_is_allowed()
            if not allowed:
                if info and info.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
                    seconds = max(1, math.ceil((info["locked_until"] - timezone.now()).total_seconds()))
                    return Verification(
                        None,
                        _("Too many wrong codes. Wait %(seconds)s seconds, then try again.")
                        % {"seconds": seconds},
                    )
                return Verification(None, _("This code cannot be checked now. Try again later."))
            if device.verify_token(token):
                otp_login(request, device)
                request.session[ENROLLED_KEY] = True
                return Verification(device)
    return Verification(None, _("That code is not valid (or it has already been used)."))


@transaction.atomic
def two_factor_disable(*, request) -> None:
    """Remove all of the user's devices (the security page, for roles where two-factor is optional)."""
    user = request.user
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session[ENROLLED_KEY] = False
    user.otp_device = None


def two_factor_state(user) -> dict:
    """What the security page shows: the authenticator device, how many recovery codes are left."""
    totp = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    recovery = StaticDevice.objects.devices_for_user(user, confirmed=True).first()
    return {
        "totp": totp,
        "recovery_left": recovery.token_set.count() if recovery else 0,
        "enrolled": user_has_device(user, confirmed=True),
    }


@transaction.atomic
def totp_device_ensure(*, user) -> TOTPDevice:
    """A confirmed TOTP device with a random secret for `user`, kept if there is one (the demo logins)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
    return device


def user_sessions_end(user) -> int:
    """Delete every stored session of `user` (database-backed sessions); returns how many.

    The sessions table holds only live logins (anonymous visitors store nothing), so decoding each live row
    is cheap for a shop's staff. Other session engines keep no index by user: there, Django's own check
    (ModelBackend.get_user refuses an inactive user) and SessionTimeoutMiddleware (which flushes a session
    whose user no longer resolves) end the session on its next request."""
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    user_id = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500)
        if str(session.get_decoded().get("_auth_user_id")) == user_id
    ]
    for key in keys:
        store(session_key=key).delete()
    return len(keys)
