"""Fixtures shared by every test package: one logged-in client per role."""

import contextlib
import dataclasses
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import translation

from finance.defaults import finance_defaults_ensure
from finance.models import Scenario
from service.defaults import service_defaults_ensure
from service.models import SLAPolicy
from shopops.common import roles


@pytest.fixture(autouse=True)
def _default_language():
    """A test that switches the language (a page in Chinese) must not change the next test's."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _role_groups(request):
    """The role groups and the service defaults come from data migrations, and a transactional test's
    flush removes them; put them back before any database test so that test order does not matter."""
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    if Group.objects.filter(name__in=roles.ROLES).count() != len(roles.ROLES):
        roles.roles_sync()
    if not SLAPolicy.objects.exists():
        service_defaults_ensure()  # SLA policies and the compensation standard: also a data migration
    if not Scenario.objects.exists():
        finance_defaults_ensure()  # scenarios, alert thresholds, playbooks: also a data migration


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


@dataclasses.dataclass
class RunningWorker:
    """What `celery_worker_running` yields: unpacks as `(client, queue)`; `process` is the worker's Popen."""

    client: object
    queue: str
    process: subprocess.Popen

    def __iter__(self):
        return iter((self.client, self.queue))


@contextlib.contextmanager
def celery_worker_running(log_path, redis_url: str, queue: str | None = None):
    """A real Celery worker process (solo pool) on Redis, on a private queue (a fresh one unless `queue` is
    given), against the test database; yields a `RunningWorker` (unpacks as `(client, queue)`, `.process` is
    the worker process) and stops the worker afterwards unless it has already ended. Its log is written to
    `log_path`."""
    from celery import Celery
    from django.db import connection

    db = connection.settings_dict
    require(db["ENGINE"].endswith("postgresql"), "a worker process needs a shared database: set DATABASE_URL")
    queue = queue or f"shopops-test-{uuid.uuid4().hex[:8]}"
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopops.settings.local",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdef",
    }
    command = [sys.executable, "-m", "celery", "-A", "shopops", "worker", "-Q", queue, "--pool", "solo"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"]
    client = Celery(broker=redis_url, backend=redis_url)
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield RunningWorker(client, queue, worker)
        finally:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
            client.close()
