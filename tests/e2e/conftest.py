"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against the live test server."""

import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import require

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require(shutil.which(CHROMIUM) is not None, f"Chromium not found at {CHROMIUM}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class DemoSnapshot:
    """The tiny demo, seeded once per test session and kept as the COPY text of every table. On PostgreSQL a
    browser test gets it back with one TRUNCATE and one COPY per table (about a second) instead of seeding
    it again (about twelve); on SQLite every test seeds."""

    def __init__(self):
        self.tables: dict[str, bytes] | None = None

    def load(self) -> None:
        from django.db import connection

        if self.tables is not None and connection.vendor == "postgresql":
            self._restore(connection)
            return
        self._seed()
        if connection.vendor == "postgresql":
            self.tables = self._copy_out(connection)

    @staticmethod
    def _seed() -> None:
        from shopops.demo.rollups import demo_rollups_build
        from shopops.demo.seed import seed_demo
        from shopops.demo_users import demo_users_ensure

        seed_demo(scale="tiny", seed=7)
        demo_rollups_build()
        demo_users_ensure()

    @staticmethod
    def _table_names(connection) -> list[str]:
        return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))

    def _copy_out(self, connection) -> dict[str, bytes]:
        tables = {}
        with connection.cursor() as cursor:
            for table in self._table_names(connection):
                with cursor.copy(f"COPY {connection.ops.quote_name(table)} TO STDOUT") as copy:
                    tables[table] = b"".join(bytes(block) for block in copy)
        return tables

    def _restore(self, connection) -> None:
        from django.apps import apps
        from django.contrib.contenttypes.models import ContentType
        from django.core.management.color import no_style
        from django.db import transaction

        quoted = {table: connection.ops.quote_name(table) for table in self.tables}
        with transaction.atomic(), connection.cursor() as cursor:
            # the constraints Django creates are deferred: the tables fill in any order
            cursor.execute(f"TRUNCATE {', '.join(quoted.values())}")
            for table, data in self.tables.items():
                if data:
                    with cursor.copy(f"COPY {quoted[table]} FROM STDIN") as copy:
                        copy.write(data)
            models = apps.get_models(include_auto_created=True)
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        ContentType.objects.clear_cache()  # the snapshot's content type ids


@pytest.fixture(scope="session")
def demo_snapshot():
    return DemoSnapshot()


@pytest.fixture
def demo_site(transactional_db, live_server, demo_snapshot):
    """The tiny demo in the live server's database, the rollup built, one login per role."""
    from shopops.demo_users import DEMO_PASSWORD

    demo_snapshot.load()
    return {"url": live_server.url, "password": DEMO_PASSWORD}


class PageWatch:
    """Collects console errors, page errors, failed responses and requests that leave this machine."""

    LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("response", self._response)
        page.on("request", self._request)

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status} {response.url}")

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.hostname not in self.LOCAL_HOSTS:
            self.problems.append(f"external request: {request.url}")


@pytest.fixture
def watch(page):
    return PageWatch(page)


def totp_code_for(username: str) -> str:
    """The code the user's authenticator app would show now (the demo seeds a device for finance, manager and
    admin). A step already used (a second login within the same 30 s) is refused as a replay, so then the
    next step's code is used: the device accepts one step of clock difference."""
    from django_otp.oath import hotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    now_step = (int(time.time()) - device.t0) // device.step + device.drift
    step = max(now_step, device.last_t + 1)
    if step > now_step + device.tolerance:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.5)
        return totp_code_for(username)
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"


def login(page, base_url: str, username: str, password: str) -> None:
    """Log in through the login page; for a role with two-factor authentication, the second step too."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]:has-text('Log in'), form button.btn-primary")
    page.wait_for_url(re.compile(rf"{re.escape(base_url)}/(accounts/2fa/verify/.*)?$"))
    if "/accounts/2fa/verify/" in page.url:
        page.fill("#id_code", totp_code_for(username))
        page.click("[data-testid=verify-form] button[type=submit]")
    page.wait_for_url(f"{base_url}/")
