"""The portable (non-PostgreSQL) paths of the flash-sale and redemption services, used by the SQLite demo.

The flash-sale and redemption service tests are run again here with those modules told they are not on
PostgreSQL: on PostgreSQL (CI) this checks that both paths give the same answers, counts and reasons."""

import pytest
from django.db import connection as django_connection

from marketing.services import flash, redemptions
from marketing.tests.test_flash_service import *  # noqa: F403 - the same tests, through the portable paths
from marketing.tests.test_redemptions import *  # noqa: F403


class _Portable:
    """The database connection, but not PostgreSQL as far as the services can tell."""

    vendor = "sqlite"

    def __getattr__(self, name):
        return getattr(django_connection, name)


@pytest.fixture(autouse=True)
def _portable_paths(monkeypatch):
    for module in (flash, redemptions):
        monkeypatch.setattr(module, "connection", _Portable())
