"""The demo logins: finance, manager and admin get an authenticator secret that works at the login page."""

import base64
import time

import pytest
from django.urls import reverse
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopops.demo_users import DEMO_PASSWORD, demo_users_ensure

pytestmark = pytest.mark.django_db


def test_demo_users_get_a_secret_kept_across_runs_that_logs_in(client, time_machine):
    time_machine.move_to("2026-03-02 12:00:05+00:00", tick=False)
    first = {username: secret for username, _password, _role, secret in demo_users_ensure()}
    assert {u for u, s in first.items() if s} == {"finance", "manager", "admin"}
    assert all(len(s) == 32 for s in first.values() if s)
    assert len({s for s in first.values() if s}) == 3  # random, one each
    again = {username: secret for username, _password, _role, secret in demo_users_ensure()}
    assert again == first and TOTPDevice.objects.count() == 3

    response = client.post(
        reverse("login"), {"username": "manager", "password": DEMO_PASSWORD}, REMOTE_ADDR="127.0.0.1"
    )
    assert response["Location"] == "/"
    assert client.get("/")["Location"].startswith(reverse("accounts:verify"))
    code = f"{hotp(base64.b32decode(first['manager']), int(time.time()) // 30, digits=6):06d}"
    assert client.post(reverse("accounts:verify"), {"code": code})["Location"] == "/"
    assert client.get("/").status_code == 200
