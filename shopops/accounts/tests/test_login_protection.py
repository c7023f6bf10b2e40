"""Login lockouts (django-axes): 5 failures per username and address, 15 minutes, logged, behind a proxy."""

import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from shopops.accounts.client_ip import client_ip_address
from shopops.accounts.tests.helpers import PASSWORD, password_login
from shopops.common import roles

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
OTHER = "203.0.113.8"
PROXY = "192.0.2.1"


def _fail(client, username, times, **kwargs):
    return [
        password_login(client, username, password="wrong-password-1", **kwargs).status_code
        for _ in range(times)
    ]


def test_five_failures_lock_the_username_from_that_address_for_15_minutes(client, make_user, time_machine):
    time_machine.move_to("2026-03-02 12:00:00+00:00", tick=False)
    make_user(roles.OPERATIONS, "olga")
    make_user(roles.OPERATIONS, "omar")
    # Four wrong passwords: the form says so; the fifth locks the pair out.
    assert _fail(client, "olga", 5, ip=ATTACKER) == [200, 200, 200, 200, 429]

    locked = password_login(client, "olga", ip=ATTACKER)  # the 6th attempt, with the right password
    assert locked.status_code == 429
    assert (
        "Too many failed logins" in locked.content.decode()
        and "Try again in 15 minutes" in locked.content.decode()
    )
    assert SESSION_KEY not in client.session

    # Another address may log in as olga; another username from the attacker's address is not locked.
    assert password_login(client, "olga", ip=OTHER).status_code == 302
    client.post("/logout/")
    assert password_login(client, "omar", ip=ATTACKER).status_code == 302
    client.post("/logout/")

    time_machine.move_to("2026-03-02 12:14:50+00:00", tick=False)
    assert password_login(client, "olga", ip=ATTACKER).status_code == 429
    time_machine.move_to("2026-03-02 12:15:01+00:00", tick=False)  # the cool-off is over
    assert password_login(client, "olga", ip=ATTACKER).status_code == 302
    assert client.session[SESSION_KEY] == str(User.objects.get(username="olga").pk)


def test_a_success_resets_the_count(client, make_user):
    make_user(roles.OPERATIONS, "olga")
    _fail(client, "olga", 4, ip=ATTACKER)
    assert password_login(client, "olga", ip=ATTACKER).status_code == 302
    client.post("/logout/")
    assert _fail(client, "olga", 4, ip=ATTACKER) == [200] * 4  # counting starts again


def test_the_lockout_is_logged_without_the_password(client, make_user, caplog):
    make_user(roles.MANAGER, "mia")
    with caplog.at_level(logging.INFO, logger="axes"):
        _fail(client, "mia", 5, ip=ATTACKER)
        password_login(client, "mia", ip=ATTACKER)
    lockouts = [r.getMessage() for r in caplog.records if "Locking out" in r.getMessage()]
    assert len(lockouts) == 1
    assert 'username: "mia"' in lockouts[0] and f'ip_address: "{ATTACKER}"' in lockouts[0]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "wrong-password-1" not in everything and PASSWORD not in everything
    attempt = AccessAttempt.objects.get(username="mia")
    assert attempt.failures_since_start == 5 and attempt.ip_address == ATTACKER
    assert "wrong-password-1" not in attempt.post_data


def test_the_lockout_page_is_translated(client, make_user):
    make_user(roles.OPERATIONS, "olga")
    client.cookies["django_language"] = "zh-hans"
    _fail(client, "olga", 5, ip=ATTACKER)
    response = password_login(client, "olga", ip=ATTACKER)
    assert response.status_code == 429
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(client, make_user):
    """By default the header is the client's to write: changing it does not escape the lockout."""
    make_user(roles.OPERATIONS, "olga")
    statuses = [
        password_login(
            client, "olga", password="wrong-password-1", ip=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert password_login(client, "olga", ip=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429
    assert AccessAttempt.objects.get().ip_address == PROXY


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_trusted_proxy_the_forwarded_client_is_locked(client, make_user):
    make_user(roles.OPERATIONS, "olga")
    # The proxy appends the address it saw; whatever the client wrote before it is ignored.
    statuses = [
        password_login(
            client,
            "olga",
            password="wrong-password-1",
            ip=PROXY,
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, {ATTACKER}",
        ).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert password_login(client, "olga", ip=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    # Another client behind the same proxy is not locked out.
    assert password_login(client, "olga", ip=PROXY, HTTP_X_FORWARDED_FOR=OTHER).status_code == 302
    assert AccessAttempt.objects.get().ip_address == ATTACKER


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.1", PROXY),
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "1.1.1.1, 198.51.100.1", "198.51.100.1"),
        (2, "1.1.1.1, 198.51.100.1, 192.0.2.9", "198.51.100.1"),
        (2, "198.51.100.1", PROXY),  # shorter than the proxy chain: misconfigured, use the peer
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_address(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected


def test_client_login_with_a_request_and_force_login_work(client, make_user):
    """AxesBackend needs the request: a test logs in with force_login, or passes one to client.login."""
    make_user(roles.OPERATIONS, "olga")
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    assert client.login(request=request, username="olga", password=PASSWORD)
    assert client.get("/").status_code == 200
