"""Two-factor authentication: enrolment, the second login step, replay, recovery codes, who must use it."""

import re
from datetime import datetime

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopops.accounts.policy import RECOVERY_CODE_COUNT
from shopops.accounts.services import recovery_codes_regenerate, totp_device_ensure, totp_secret
from shopops.accounts.tests.helpers import password_login, totp_code
from shopops.common import roles

pytestmark = pytest.mark.django_db

NOON = "2026-03-02 12:00:10+00:00"  # 10 s into a 30 s time step


def _location(response):
    return response["Location"]


def test_manager_enrols_then_verifies_at_the_next_login(client, make_user, time_machine):
    time_machine.move_to(NOON, tick=False)
    make_user(roles.MANAGER, "mia")
    assert _location(password_login(client, "mia")) == "/"
    response = client.get("/")
    assert _location(response) == reverse("accounts:totp-enrol") + "?next=%2F"

    page = client.get(reverse("accounts:totp-enrol"), {"next": "/"})
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user__username="mia", confirmed=False)
    html = page.content.decode()
    assert totp_secret(device) in html and "<svg" in html  # the QR code inline, the secret as text
    assert client.get(reverse("accounts:totp-enrol")).content.decode().count(totp_secret(device)) == 1  # same

    wrong = client.post(reverse("accounts:totp-enrol"), {"code": "000000", "next": "/"})
    assert wrong.status_code == 400 and not TOTPDevice.objects.filter(confirmed=True).exists()
    time_machine.move_to("2026-03-02 12:00:11+00:00", tick=False)  # past the 1 s throttle of that failure
    done = client.post(reverse("accounts:totp-enrol"), {"code": totp_code(device), "next": "/"})
    assert done.status_code == 200
    codes = re.findall(r'<li class="col py-1">([a-z2-7]{8})</li>', done.content.decode())
    assert len(codes) == RECOVERY_CODE_COUNT
    assert (
        sorted(StaticToken.objects.filter(device__user__username="mia").values_list("token", flat=True))
        == codes
    )
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200  # verified by the enrolment

    client.post(reverse("logout"))
    time_machine.move_to("2026-03-02 12:00:40+00:00", tick=False)  # the next time step
    password_login(client, "mia")
    assert _location(client.get("/orders/")) == reverse("accounts:verify") + "?next=%2Forders%2F"
    assert client.get(reverse("accounts:verify")).status_code == 200
    response = client.post(reverse("accounts:verify"), {"code": totp_code(device), "next": "/orders/"})
    assert _location(response) == "/orders/"
    assert client.get("/orders/").status_code == 200


def test_a_replayed_code_is_refused(client, make_user, time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_user(roles.FINANCE, "fay")
    device = totp_device_ensure(user=user)
    code = totp_code(device)
    password_login(client, "fay")
    assert _location(client.post(reverse("accounts:verify"), {"code": code})) == "/"
    device.refresh_from_db()
    used_step = device.last_t
    assert used_step == int(datetime.fromisoformat(NOON).timestamp()) // 30  # the step of that code

    client.post(reverse("logout"))
    time_machine.move_to("2026-03-02 12:00:25+00:00", tick=False)  # same 30 s window: same code
    password_login(client, "fay")
    assert totp_code(device) == code
    replay = client.post(reverse("accounts:verify"), {"code": code})
    assert replay.status_code == 400
    assert "not valid (or it has already been used)" in replay.content.decode()
    assert _location(client.get("/")).startswith(reverse("accounts:verify"))
    device.refresh_from_db()
    assert device.last_t == used_step

    # The next time step's code is accepted (after the 1 s throttle of the refused replay).
    time_machine.move_to("2026-03-02 12:00:41+00:00", tick=False)
    assert _location(client.post(reverse("accounts:verify"), {"code": totp_code(device)})) == "/"


def test_a_recovery_code_works_once(client, make_user, time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_user(roles.ADMIN, "ada")
    totp_device_ensure(user=user)
    codes = recovery_codes_regenerate(user=user)
    password_login(client, "ada")
    # Typed with upper case and a space: still the code.
    response = client.post(reverse("accounts:verify"), {"code": f"{codes[3][:4].upper()} {codes[3][4:]}"})
    assert _location(response) == "/"
    assert client.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == RECOVERY_CODE_COUNT - 1

    client.post(reverse("logout"))
    time_machine.move_to("2026-03-02 12:05:00+00:00", tick=False)
    password_login(client, "ada")
    again = client.post(reverse("accounts:verify"), {"code": codes[3]})
    assert again.status_code == 400
    assert _location(client.get("/admin/")).startswith(reverse("accounts:verify"))
    time_machine.move_to("2026-03-02 12:05:02+00:00", tick=False)
    assert _location(client.post(reverse("accounts:verify"), {"code": codes[4]})) == "/"


def test_wrong_codes_are_throttled(client, make_user, time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_user(roles.MANAGER, "max")
    device = totp_device_ensure(user=user)
    password_login(client, "max")
    for _ in range(3):
        client.post(
            reverse("accounts:verify"), {"code": "123456" if totp_code(device) != "123456" else "654321"}
        )
        time_machine.shift(0.1)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the 2nd and 3rd were refused unchecked within the delay
    time_machine.move_to("2026-03-02 12:00:11.5+00:00", tick=False)
    client.post(reverse("accounts:verify"), {"code": "123456" if totp_code(device) != "123456" else "654321"})
    # Two failures: the right code is refused for 2 s, with a message saying how long to wait.
    refused = client.post(reverse("accounts:verify"), {"code": totp_code(device)})
    assert refused.status_code == 400 and "Too many wrong codes. Wait 2 seconds" in refused.content.decode()
    time_machine.move_to("2026-03-02 12:00:14+00:00", tick=False)
    assert _location(client.post(reverse("accounts:verify"), {"code": totp_code(device)})) == "/"


@pytest.mark.parametrize("role", sorted(roles.ROLES))
def test_who_is_sent_to_enrol_without_a_device(client, make_user, role):
    make_user(role, "someone")
    password_login(client, "someone")
    response = client.get("/")
    if role in (roles.FINANCE, roles.MANAGER, roles.ADMIN):
        assert _location(response) == reverse("accounts:totp-enrol") + "?next=%2F"
        # The pages that stay open: the accounts pages, logout, health check, language switch, the API.
        assert client.get(reverse("accounts:security")).status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
        assert client.get("/api/v1/skus").status_code == 401  # API keys only: no session, no 2FA detour
        assert client.post(reverse("logout")).status_code == 302
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", [roles.FINANCE, roles.MANAGER, roles.ADMIN])
def test_required_roles_with_a_device_must_verify_every_page_and_the_admin(client, make_user, role):
    user = make_user(role, "someone")
    user.is_staff = role == roles.ADMIN
    user.save()
    totp_device_ensure(user=user)
    password_login(client, "someone")
    for url in (
        "/",
        "/reports/",
        "/notifications/",
        "/admin/",
        "/admin/auth/user/",
        reverse("accounts:totp-enrol"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert _location(response).startswith(reverse("accounts:verify")), url
    # htmx requests are told where to go instead of swapping the verify page into a fragment.
    hx = client.get("/reports/", HTTP_HX_REQUEST="true")
    assert hx.status_code == 204 and hx["HX-Redirect"] == reverse("accounts:verify")


def test_an_optional_role_with_a_device_verifies_too_and_may_turn_it_off(client, make_user, time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_user(roles.OPERATIONS, "otto")
    device = totp_device_ensure(user=user)
    recovery_codes_regenerate(user=user)
    password_login(client, "otto")
    assert _location(client.get("/")).startswith(reverse("accounts:verify"))
    client.post(reverse("accounts:verify"), {"code": totp_code(device)})
    assert client.get("/").status_code == 200
    assert client.post(reverse("accounts:two-factor-disable")).status_code == 302
    assert (
        not TOTPDevice.objects.filter(user=user).exists()
        and not StaticDevice.objects.filter(user=user).exists()
    )
    assert client.get("/").status_code == 200
    client.post(reverse("logout"))
    password_login(client, "otto")
    assert client.get("/").status_code == 200  # no device: no second step


def test_required_roles_cannot_turn_it_off(client_for):
    client = client_for(roles.FINANCE)
    assert client.post(reverse("accounts:two-factor-disable")).status_code == 403
    assert TOTPDevice.objects.filter(confirmed=True).count() == 1
    assert client.get(reverse("accounts:two-factor-disable")).status_code == 405


def test_security_and_recovery_pages(client_for):
    client = client_for(roles.MANAGER)
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200 and 'data-testid="two-factor-disable"' not in page.content.decode()
    assert "Recovery codes" in page.content.decode()
    recovery_codes_regenerate(user=page.wsgi_request.user)
    left = client.get(reverse("accounts:recovery-codes"))
    assert "You have 10 unused recovery codes." in left.content.decode()
    assert re.search(r'<li class="col py-1">', left.content.decode()) is None  # never shown again
    new = client.post(reverse("accounts:recovery-codes"))
    codes = re.findall(r'<li class="col py-1">([a-z2-7]{8})</li>', new.content.decode())
    assert len(codes) == 10
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == codes


def test_the_verify_page_refuses_a_next_url_elsewhere(client, make_user, time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_user(roles.MANAGER, "mo")
    device = totp_device_ensure(user=user)
    password_login(client, "mo")
    response = client.post(
        reverse("accounts:verify"), {"code": totp_code(device), "next": "https://evil.example/"}
    )
    assert _location(response) == "/"


@pytest.mark.parametrize("role", [roles.OPERATIONS, roles.MANAGER])
def test_the_password_alone_cannot_change_the_second_factor(client, make_user, role):
    """The accounts pages are open before the second step; those that touch the factor check it."""
    user = make_user(role, "pat")
    totp_device_ensure(user=user)
    codes = recovery_codes_regenerate(user=user)
    password_login(client, "pat")
    for method, name in [
        ("get", "accounts:security"),
        ("get", "accounts:recovery-codes"),
        ("post", "accounts:recovery-codes"),
        ("post", "accounts:two-factor-disable"),
        ("get", "accounts:totp-enrol"),
        ("post", "accounts:totp-enrol"),
    ]:
        response = getattr(client, method)(reverse(name))
        assert response.status_code == 302 and _location(response).startswith(reverse("accounts:verify")), (
            name
        )
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
    assert sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == codes
