"""A manager without an authenticator app logs in, is sent to enrol, scans (reads) the secret, confirms with
a code, keeps the recovery codes and lands on the dashboard; then logs out and in again with a code."""

import base64
import time

import pytest
from django.contrib.auth.models import Group, User
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def code_from_secret(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app given the base32 secret shows (steps_ahead=1: its clock 30 s ahead)."""
    return f"{hotp(base64.b32decode(secret), int(time.time()) // 30 + steps_ahead, digits=6):06d}"


def test_manager_enrols_and_logs_in_again_with_a_code(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    user = User.objects.create_user("new-manager", password=demo_site["password"], first_name="Nina")
    user.groups.add(Group.objects.get(name="manager"))

    page.goto(f"{base}/login/")
    page.fill("#id_username", "new-manager")
    page.fill("#id_password", demo_site["password"])
    page.click("form button.btn-primary")
    page.wait_for_url(f"{base}/accounts/2fa/enrol/?next=%2F")
    assert page.locator("[data-testid=totp-qr] svg").is_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert len(secret) == 32
    page.screenshot(path=screenshots / "accounts-enrol.png", full_page=True)

    page.fill("#id_code", code_from_secret(secret))
    page.click("[data-testid=enrol-form] button[type=submit]")
    page.wait_for_selector("[data-testid=recovery-codes]")
    assert page.locator("[data-testid=recovery-codes] li").count() == 10
    page.screenshot(path=screenshots / "accounts-recovery-codes.png", full_page=True)
    page.click("[data-testid=continue]")
    page.wait_for_url(f"{base}/")
    assert page.get_by_test_id("current-role").inner_text() == "Manager"
    assert TOTPDevice.objects.get(user=user).confirmed

    page.click("nav form button:has-text('Log out')")
    page.wait_for_url(f"{base}/login/")
    page.fill("#id_username", "new-manager")
    page.fill("#id_password", demo_site["password"])
    page.click("form button.btn-primary")
    page.wait_for_url(f"{base}/accounts/2fa/verify/?next=%2F")
    # The dashboard stays closed until the second step is done.
    page.goto(f"{base}/finance/")
    assert page.url == f"{base}/accounts/2fa/verify/?next=%2Ffinance%2F"
    page.screenshot(path=screenshots / "accounts-verify.png", full_page=True)
    # The code just used at enrolment would be a replay in the same 30 s: the app's next code is accepted.
    page.fill("#id_code", code_from_secret(secret, steps_ahead=1))
    page.click("[data-testid=verify-form] button[type=submit]")
    page.wait_for_url(f"{base}/finance/")
    assert page.locator("h1").first.is_visible()

    page.goto(f"{base}/accounts/security/")
    assert "On" in page.get_by_test_id("two-factor-state").inner_text()
    page.screenshot(path=screenshots / "accounts-security.png", full_page=True)
    assert watch.problems == []


def test_the_demo_manager_logs_in_with_the_seeded_device(page, demo_site, watch):
    login(page, demo_site["url"], "manager", demo_site["password"])
    assert page.get_by_test_id("current-role").inner_text() == "Manager"
    assert watch.problems == []
