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
from django.contrib.contenttypes.models import ContentType
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY

from finance.defaults import finance_defaults_ensure
from finance.models import Scenario
from service.defaults import service_defaults_ensure
from service.models import SLAPolicy
from shopops.accounts.policy import TWO_FACTOR_REQUIRED_ROLES
from shopops.accounts.services import totp_device_ensure
from shopops.common import pii, roles


@pytest.fixture(autouse=True)
def _default_language():
    """A test that switches the language (a page in Chinese) must not change the next test's."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def migration_data_ensure() -> None:
    """What the data migrations put in the database (role groups, SLA policies and the compensation standard,
    finance scenarios/thresholds/playbooks), back after a transactional test's flush removed it."""
    # A transactional test's flush re-creates content types under new ids; the audit trail writes rows that
    # point at them, so the cache of the old ids must go.
    ContentType.objects.clear_cache()
    if Group.objects.filter(name__in=roles.ROLES).count() != len(roles.ROLES):
        roles.roles_sync()
    if not SLAPolicy.objects.exists():
        service_defaults_ensure()
    if not Scenario.objects.exists():
        finance_defaults_ensure()


@pytest.fixture(autouse=True)
def _role_groups(request):
    """Before any database test, the data migrations' rows (a transactional test's flush removes them), so
    that test order does not matter."""
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    migration_data_ensure()


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


def login_verified(client, user):
    """`client.force_login(user)`, and for a user whose role requires two-factor authentication (finance,
    manager, admin, superusers) an authenticator device verified in the session, as after the second login
    step. Returns the client."""
    required = user.is_superuser or user.groups.filter(name__in=TWO_FACTOR_REQUIRED_ROLES).exists()
    device = totp_device_ensure(user=user) if required else None
    client.force_login(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(client, make_user):
    """`client_for(role)` → a test client logged in as a fresh user holding that role (None: no role), its
    session two-factor verified where the role requires it."""

    def login(role: str | None):
        return login_verified(client, make_user(role))

    return login


@pytest.fixture(params=sorted(roles.ROLES))
def role(request):
    return request.param


def pg_dump_text(*options: str, timeout: int = 300) -> str:
    """`pg_dump` of the test database as SQL text (PostgreSQL only; skipped, or failed in CI, without it)."""
    import shutil

    from django.db import connection

    require(connection.vendor == "postgresql", "pg_dump needs PostgreSQL: set DATABASE_URL")
    require(shutil.which("pg_dump") is not None, "pg_dump is not installed")
    db = connection.settings_dict
    command = [shutil.which("pg_dump"), "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    command += ["-U", db["USER"] or "postgres", "--no-password", *options, db["NAME"]]
    return subprocess.run(command, capture_output=True, check=True, text=True, timeout=timeout).stdout  # noqa: S603


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
        # The worker reads and writes the test's personal data: the same keys (shopops.common.pii).
        "FIELD_ENCRYPTION_KEYS": ",".join(pii.fernet_keys()),
        "PII_HASH_KEY": pii.hash_key_text(),
    }
    command = [sys.executable, "-m", "celery", "-A", "shopops", "worker", "-Q", queue, "--pool", "solo"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"]
    # not the current app: the project's shared tasks resolve against the current app, and `.delay()` in a
    # later test of this process must still reach the (eager) project app, not this client's broker
    client = Celery(broker=redis_url, backend=redis_url, set_as_current=False)
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


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, its session two-factor verified (the admin role requires it)."""
    return login_verified(client, admin_user)
