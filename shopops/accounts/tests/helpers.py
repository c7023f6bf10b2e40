"""Helpers for the accounts tests: a password login through the real login page, TOTP codes."""

import time

from django.urls import reverse
from django_otp.oath import TOTP

PASSWORD = "pw-123456789"  # conftest.make_user's


def password_login(client, username, password=PASSWORD, ip="198.51.100.10", **extra):
    """POST the login form (through AxesBackend, which needs the request) from `ip`."""
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def totp_code(device, at: float | None = None) -> str:
    """The device's 6-digit code at Unix time `at` (now by default), as an authenticator app shows it."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"
