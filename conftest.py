"""Fixtures shared by every test package: one logged-in client per role."""

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import translation

from shopops.common import roles


@pytest.fixture(autouse=True)
def _default_language():
    """A test that switches the language (a page in Chinese) must not change the next test's."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _role_groups(request):
    """The role groups come from a data migration, and a transactional test's flush removes them; put
    them back before any database test so that test order does not matter."""
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    if Group.objects.filter(name__in=roles.ROLES).count() != len(roles.ROLES):
        roles.roles_sync()


@pytest.fixture
def make_user(db):
    def make(role: str | None, username: str | None = None) -> User:
        user = User.objects.create_user(
            username=username or f"user-{role or 'none'}",
            password="pw-123456789",  # noqa: S106
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def client_for(client, make_user):
    """`client_for(role)` → a test client logged in as a fresh user holding that role (None: no role)."""

    def login(role: str | None):
        client.force_login(make_user(role))
        return client

    return login


@pytest.fixture(params=sorted(roles.ROLES))
def role(request):
    return request.param


def require(available: bool, reason: str) -> None:
    """Skip a test whose real service is missing on a developer machine; fail it in CI (CI=true)."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)
