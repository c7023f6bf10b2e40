"""Fixtures shared by every test package: one logged-in client per role."""

import pytest
from django.contrib.auth.models import Group, User

from shopops.common import roles


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
