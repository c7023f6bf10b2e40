"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against the live test server."""

import os
import shutil
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


@pytest.fixture
def demo_site(transactional_db, live_server):
    """The tiny demo seeded into the live server's database, the rollup built, one login per role."""
    from shopops.demo.rollups import demo_rollups_build
    from shopops.demo.seed import seed_demo
    from shopops.demo_users import DEMO_PASSWORD, demo_users_ensure

    seed_demo(scale="tiny", seed=7)
    demo_rollups_build()
    demo_users_ensure()
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


def login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]:has-text('Log in'), form button.btn-primary")
    page.wait_for_url(f"{base_url}/")
