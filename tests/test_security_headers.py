"""Security headers on every page: a strict Content-Security-Policy (no inline script, no eval),
X-Frame-Options DENY, nosniff and Referrer-Policy; and no page that relies on what the policy forbids
(inline <script>, on*= event attributes, javascript: URLs, inline styles). `check --deploy` with the
production settings is clean; HSTS is sent in production only.

The page walk seeds the tiny demo, signs in as the admin role (who opens every area), opens every page
whose URL takes no argument and follows every link, htmx request and form target from there, one URL per
URL name (the admin: its index, model lists and add forms); it fails on any page URL name it did not reach.
"""

import contextlib
import os
import re
import secrets
import subprocess
import sys
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import (
    NoReverseMatch,
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    path,
    resolve,
    reverse,
)

from shopops.common import roles

# Named URLs the walk does not reach, and why. Everything else must be reached.
NOT_WALKED = {
    "survey:answer": "a customer's token link from an email: test_login_and_error_pages_carry_the_headers",
}
# Admin pages walked: the index and, per model, its list and add form (the admin has its own policy).
ADMIN_WALKED = re.compile(r"^admin:(index|app_list|[a-z_]+_(changelist|add))$")

ADMIN_PREFIX = "/admin/"
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}  # data blocks: never executed
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class PageScan(HTMLParser):
    """What a page relies on that a strict policy forbids, and the same-site GET links it offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.inline_scripts: list[str] = []
        self.event_attributes: list[str] = []
        self.javascript_urls: list[str] = []
        self.style_attributes: list[str] = []
        self.style_elements = 0
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").strip().lower()
            if "src" not in attributes and kind not in DATA_SCRIPT_TYPES:
                self.inline_scripts.append(self.get_starttag_text())
        if tag == "style":
            self.style_elements += 1
        for name, value in attrs:
            if name.startswith(("on", "hx-on")):
                self.event_attributes.append(f"<{tag} {name}=...>")
            if name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")
            if name in URL_ATTRIBUTES and value and value.strip().lower().startswith("javascript:"):
                self.javascript_urls.append(f"<{tag} {name}={value!r}>")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        # Form targets too: a GET of a POST-only action answers 405, with the headers all the same.
        for name in ("hx-get", "hx-post", "action", "formaction"):
            if tag != "script" and attributes.get(name):
                self.links.append(attributes[name])


def scan(html: str) -> PageScan:
    page = PageScan()
    page.feed(html)
    page.close()
    return page


def assert_headers(response, url: str) -> None:
    header = response.get("Content-Security-Policy")
    assert header, f"{url}: no Content-Security-Policy"
    directives = csp_directives(header)
    expected_script = ["'self'", "'unsafe-eval'"] if url.startswith(ADMIN_PREFIX) else ["'self'"]
    assert directives.get("script-src") == expected_script, f"{url}: {directives.get('script-src')}"
    assert "'unsafe-inline'" not in directives["script-src"], url
    assert directives.get("default-src") == ["'self'"], url
    assert directives.get("object-src") == ["'none'"], url
    assert directives.get("base-uri") == ["'self'"], url
    assert directives.get("frame-ancestors") == ["'none'"], url
    assert directives.get("form-action") == ["'self'"], url
    assert directives.get("img-src") == ["'self'", "data:"], url
    if not url.startswith(ADMIN_PREFIX):
        assert directives.get("style-src") == ["'self'", *settings.CSP_PLOTLY_STYLE_HASHES], url
    assert response.get("X-Frame-Options") == "DENY", url
    assert response.get("X-Content-Type-Options") == "nosniff", url
    assert response.get("Referrer-Policy") == "same-origin", url


def assert_page_is_clean(html: str, url: str) -> None:
    page = scan(html)
    assert page.inline_scripts == [], f"{url}: inline <script>"
    assert page.event_attributes == [], f"{url}: event handler attributes"
    assert page.javascript_urls == [], f"{url}: javascript: URLs"
    if not url.startswith(ADMIN_PREFIX):
        assert page.style_attributes == [], f"{url}: style attributes"
        assert page.style_elements == 0, f"{url}: <style> elements"


def _page_url_names(resolver=None, namespace=""):
    """Every named URL pattern that is a page: not the REST API, not the admin."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _page_url_names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}{pattern.name}"
            if pattern.callback.__module__.split(".")[1:2] == ["api"] or name.startswith("api-"):
                continue
            yield name


def _url_name(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def _reports_generated():
    from reports import report_content, services_reports
    from shopops.common.dates import shop_today, shop_yesterday

    week = report_content.previous_week_start(shop_today())
    services_reports.weekly_report_generate(week_start=week, email=False)
    services_reports.daily_digest_generate(day=shop_yesterday(), email=False)


def _rows_the_tiny_demo_lacks() -> list[str]:
    """One row of each kind whose page only a list links to and the tiny demo has none of (open or pending);
    returns the URLs only a particular page links to (the held order's risk review, from its order page)."""
    from django.utils import timezone

    from finance.models import OrderRisk, Scenario
    from inventory.models import Stocktake, Transfer, Warehouse
    from orders.models import Order, OrderException
    from service.models import Compensation
    from shopops.common.models import FailedTask

    source, destination = Warehouse.objects.order_by("pk")[:2]
    Transfer.objects.create(number="TR-CSP", source=source, destination=destination)
    Stocktake.objects.create(number="ST-CSP", warehouse=source)
    Scenario.objects.create(code="csp-what-if", name="What if")
    order, other = Order.objects.order_by("pk")[:2]
    OrderException.objects.create(order=order, kind=OrderException.Kind.ADDRESS)
    OrderRisk.objects.update_or_create(
        order=other, defaults={"score": 70, "status": "held", "scored_at": timezone.now()}
    )
    Compensation.objects.create(
        problem="late_delivery", severity="minor", remedy="coupon", amount="5.00", status="pending"
    )
    now = timezone.now()
    FailedTask.objects.create(
        task_name="shopops.csp",
        task_id="csp-1",
        exception_type="RuntimeError",
        first_failed_at=now,
        last_failed_at=now,
    )
    return [reverse("finance:risk-order", args=[other.pk])]


@pytest.fixture
def demo_shop(db):
    from shopops.demo.rollups import demo_rollups_build
    from shopops.demo.seed import seed_demo

    seed_demo(scale="tiny", seed=7)
    demo_rollups_build()
    _reports_generated()
    return _rows_the_tiny_demo_lacks()


def _start_urls() -> list[str]:
    """Every page whose URL takes no argument, the admin's index and the API docs."""
    urls = [reverse("home"), reverse("admin:index"), reverse("api-docs")]
    for name in sorted(_page_url_names()):
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(name))
    return urls


def walk(client, extra: list[str] = ()) -> dict[str, str]:
    """GET every page without URL arguments and every page linked from those (links, htmx GETs, form
    targets), the admin's index and its model lists and add forms, the API docs and `extra`; one URL per URL
    name, each response's headers and each HTML page's markup checked. Returns url name -> URL walked."""
    queue = deque([*_start_urls(), *extra])
    visited: dict[str, str] = {}
    seen_urls = set(queue)
    while queue:
        url = queue.popleft()
        name = _url_name(url)
        if name is None or name in visited:
            continue
        if name.startswith("admin:") and not ADMIN_WALKED.match(name):
            continue
        response = client.get(url)
        visited[name] = url
        # 405: a POST-only action linked as a form target; 403: an admin add form of a one-row settings model
        allowed = (200, 302, 403, 405) if name.startswith("admin:") else (200, 302, 405)
        assert response.status_code in allowed, f"{url}: {response.status_code}"
        assert_headers(response, url)
        if response.status_code == 302:
            links = [response["Location"]]
        elif _is_html(response):
            html = response.content.decode()
            assert_page_is_clean(html, url)
            links = scan(html).links
        else:
            links = []
        for link in links:
            absolute = urljoin(url, link)
            parts = urlsplit(absolute)
            if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen_urls:
                seen_urls.add(local)
                queue.append(local)
    return visited


@pytest.mark.django_db
def test_every_page_carries_the_security_headers_and_no_inline_script(demo_shop, client_for):
    client = client_for(roles.ADMIN)
    client.raise_request_exception = True
    visited = walk(client, extra=demo_shop)
    missing = sorted(set(_page_url_names()) - set(visited) - set(NOT_WALKED))
    assert missing == [], f"pages the walk did not reach (link them, or list them in NOT_WALKED): {missing}"
    assert any(name.endswith("_changelist") for name in visited)
    assert "admin:index" in visited and "api-docs" in visited


@pytest.mark.django_db
def test_api_docs_load_their_start_up_script_as_a_file(client):
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    assert_headers(page, reverse("api-docs"))
    html = page.content.decode()
    assert_page_is_clean(html, reverse("api-docs"))
    script_src = re.search(r'<script src="([^"]*\?[^"]*script=[^"]*)"', html).group(1)
    script = client.get(script_src.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


@pytest.mark.django_db
def test_login_and_error_pages_carry_the_headers(client_for, settings):
    from service.tests.factories_surveys import SurveyFactory

    anonymous = Client()
    login = anonymous.get(reverse("login"))
    assert login.status_code == 200
    assert_headers(login, reverse("login"))
    assert_page_is_clean(login.content.decode(), reverse("login"))

    survey = SurveyFactory()
    survey_url = reverse("survey:answer", args=[survey.token])
    answer = anonymous.get(survey_url)
    assert answer.status_code == 200
    assert_headers(answer, survey_url)
    assert_page_is_clean(answer.content.decode(), survey_url)

    health = anonymous.get(reverse("healthz"))
    assert_headers(health, reverse("healthz"))

    agent = client_for(roles.SERVICE_AGENT)
    not_found = agent.get("/no-such-page/")
    assert not_found.status_code == 404
    assert_headers(not_found, "/no-such-page/")
    assert_page_is_clean(not_found.content.decode(), "/no-such-page/")

    forbidden = agent.get(reverse("finance:overview"))
    assert forbidden.status_code == 403
    assert_headers(forbidden, reverse("finance:overview"))
    assert_page_is_clean(forbidden.content.decode(), reverse("finance:overview"))


def _boom(request):
    raise RuntimeError("boom")


def _csrf_form(request):
    return HttpResponse("ok")


urlpatterns = [path("boom/", _boom), *get_resolver("shopops.urls").url_patterns]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_server_error_and_csrf_failure_pages_carry_the_headers(client_for):
    client = client_for(roles.OPERATIONS)
    client.raise_request_exception = False
    error = client.get("/boom/")
    assert error.status_code == 500
    assert_headers(error, "/boom/")
    assert_page_is_clean(error.content.decode(), "/boom/")

    strict = Client(enforce_csrf_checks=True)
    refused = strict.post(reverse("login"), {"username": "x", "password": "y"})
    assert refused.status_code == 403
    assert_headers(refused, reverse("login"))
    assert_page_is_clean(refused.content.decode(), reverse("login"))


def test_path_overrides_replace_directives_under_their_prefix_only(settings, rf):
    from csp.decorators import csp_replace

    from shopops.common.csp import CSPMiddleware

    settings.CSP_PATH_OVERRIDES = {
        "/admin/": {"script-src": ["'self'", "'unsafe-eval'"]},
        "/admin/special/": {"script-src": ["'none'"]},
    }

    def header(path, view=lambda request: HttpResponse("ok")):
        return csp_directives(CSPMiddleware(view)(rf.get(path))["Content-Security-Policy"])

    assert header("/orders/")["script-src"] == ["'self'"]
    assert header("/administrator/")["script-src"] == ["'self'"]
    assert header("/admin/")["script-src"] == ["'self'", "'unsafe-eval'"]
    assert header("/admin/orders/order/")["style-src"] == header("/orders/")["style-src"]
    assert header("/admin/special/x/")["script-src"] == ["'none'"]  # the longest prefix wins
    # a view that sets its own policy keeps it, under an overridden prefix too
    decorated = csp_replace({"script-src": ["'self'", "https://example.com"]})(lambda request: HttpResponse())
    assert header("/admin/", decorated)["script-src"] == ["'self'", "https://example.com"]


def test_segment_colours_in_the_stylesheet_match_the_chart():
    """The RFM grid colours its cells with classes (no inline style); they must be the chart's colours."""
    from marketing.views_customers import SEGMENT_COLORS

    css = (Path(settings.BASE_DIR) / "static/shopops/css/shopops.css").read_text()
    for segment, colour in SEGMENT_COLORS.items():
        assert f".seg-{segment} {{ --seg-color: {colour}; }}" in css


def _js_string_at(source: str, start: int) -> str:
    """The single-quoted JavaScript string literal starting at `start` (plotly's has no escapes)."""
    assert source[start] == "'"
    end = source.index("'", start + 1)
    text = source[start + 1 : end]
    assert "\\" not in text, "an escape in plotly's injected stylesheet: decode it before hashing"
    return text


def test_the_style_hashes_are_the_inline_styles_plotly_injects():
    """plotly.js injects two <style> elements: an empty one it fills through the CSSOM, and the maplibre
    stylesheet as a fixed text. style-src must hold exactly their hashes (a plotly upgrade changes the
    second: put the new hash this test prints into CSP_PLOTLY_STYLE_HASHES)."""
    import base64
    import hashlib

    from shopops.common.staticfinders import PlotlyFinder

    bundle = Path(PlotlyFinder().find("vendor/plotly/plotly.min.js")).read_text(encoding="utf-8")
    injected = []
    for match in re.finditer(r'createElement\("style"\)', bundle):
        after = bundle[match.end() : match.end() + 300]
        if 'createTextNode("")' in after:
            injected.append("")  # an empty element, filled by insertRule
            continue
        assigned = re.search(r"\.textContent='", after)
        assert assigned, f"a new kind of style injection in plotly.js: {after[:200]}"
        injected.append(_js_string_at(bundle, match.end() + assigned.end() - 1))
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in injected]
    assert sorted(hashes) == sorted(settings.CSP_PLOTLY_STYLE_HASHES)


def _manage_production(*args: str) -> subprocess.CompletedProcess:
    """`manage.py …` with the production settings and the environment production requires (nothing else)."""
    from cryptography.fernet import Fernet

    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="shopops.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.com",
        # production.py requires the personal-data keys too (shopops.common.pii)
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PII_HASH_KEY=secrets.token_urlsafe(32),
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_with_production_settings_reports_nothing():
    """`DJANGO_SETTINGS_MODULE=shopops.settings.production SECRET_KEY=… ALLOWED_HOSTS=example.com
    manage.py check --deploy`: no warning from Django or any installed app (axes, otp, csp…)."""
    result = _manage_production("check", "--deploy")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output
    assert "WARNING" not in output and "ERROR" not in output, output


def test_hsts_and_the_headers_in_production_only_hsts_not_elsewhere():
    assert settings.SECURE_HSTS_SECONDS == 0  # base settings (tests, local demo on http://): no HSTS
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert settings.SECURE_REFERRER_POLICY == "same-origin"
    result = _manage_production("diffsettings", "--all")
    assert result.returncode == 0, result.stderr
    # diffsettings --all: "NAME = value"; "### NAME = value" (as Django's default); "NAME = value  ###" (a
    # setting Django does not define)
    production = {}
    for line in result.stdout.splitlines():
        name, _, value = line.removeprefix("### ").partition(" = ")
        production[name.strip()] = value.removesuffix("###").strip()
    assert production["SECURE_HSTS_SECONDS"] == "31536000"
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == "True"
    assert production["SECURE_HSTS_PRELOAD"] == "True"
    assert production["SECURE_SSL_REDIRECT"] == "True"
    assert production["X_FRAME_OPTIONS"] == "'DENY'"
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] == "True"
    assert production["SECURE_REFERRER_POLICY"] == "'same-origin'"
    assert "'unsafe-inline'" not in production["CONTENT_SECURITY_POLICY"]
