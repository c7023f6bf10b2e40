"""The pages work under the Content-Security-Policy: a real browser opens the home dashboard and the KPI
explorer (plotly charts), the SKU price page (htmx live preview), a ticket (its keyboard shortcuts, a static
script), the knowledge base (htmx search), the API docs (Swagger UI) and the admin index (unfold, the admin's
own policy); no page logs anything to the console, raises an error or triggers a `securitypolicyviolation`."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import SKU
from service.services.tickets import ticket_create
from tests.e2e.conftest import PageWatch, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every violation the page sees is sent to the test (the binding survives navigations).
VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolation({
    page: document.location.pathname,
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""


class CSPWatch(PageWatch):
    """PageWatch (console errors, page errors, failed responses, external requests), plus every console
    message of any type and every CSP violation."""

    def __init__(self, page):
        super().__init__(page)
        self.console: list[str] = []
        self.violations: list[dict] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.context.expose_binding("cspViolation", lambda source, report: self.violations.append(report))
        page.context.add_init_script(VIOLATION_LISTENER)

    def assert_clean(self):
        assert self.violations == []
        assert self.console == []
        assert self.problems == []


def _new_page(browser, base):
    context = browser.new_context(base_url=base)
    page = context.new_page()
    return page, CSPWatch(page)


def _assert_charts_drawn(page, minimum: int):
    page.wait_for_selector(".plotly-chart .main-svg")
    assert page.locator(".plotly-chart svg.main-svg").count() >= minimum
    # plotly's own rules (an empty <style> filled through the CSSOM) apply: its SVG layers are stacked
    layer = page.locator(".plotly-chart svg.main-svg").first
    assert layer.evaluate("el => getComputedStyle(el).position") == "absolute"


def test_pages_run_under_the_content_security_policy(browser, demo_site, screenshots):
    base = demo_site["url"]

    # Operations (no second factor): the dashboard and the KPI explorer with plotly, the htmx price preview.
    page, watch = _new_page(browser, base)
    login(page, base, "operations", demo_site["password"])
    response = page.goto(f"{base}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    _assert_charts_drawn(page, 1)
    page.goto(f"{base}/reports/kpis/")
    _assert_charts_drawn(page, 2)
    page.screenshot(path=screenshots / "csp-kpi-explorer.png", full_page=True)
    sku = SKU.objects.filter(active=True, components__isnull=True).order_by("code").first()
    page.goto(f"{base}/catalog/skus/{sku.code}/price/")
    page.fill("#id_price", "1.00")  # htmx posts the form as it is typed and swaps the preview in
    page.wait_for_selector("[data-testid=price-preview][data-breach='1']")
    watch.assert_clean()
    page.context.close()

    # The service agent (no second factor): a ticket's keyboard shortcuts (a static script now) and the
    # knowledge base's htmx search.
    ticket = ticket_create(channel="email", type="order_issue", subject="", body="你好，请问发票怎么开？")
    page, watch = _new_page(browser, base)
    login(page, base, "service_agent", demo_site["password"])
    page.goto(f"{base}/service/tickets/{ticket.number}/")
    page.locator("body").press("n")  # "n": an internal note, the box focused and tinted
    expect(page.locator("#reply-form input[name=kind][value=note]")).to_be_checked()
    expect(page.locator("#reply-form textarea")).to_be_focused()
    expect(page.locator("#reply-form textarea")).to_have_class(re.compile("bg-warning-subtle"))
    page.locator("#reply-form textarea").press("Escape")
    page.locator("body").press("r")
    expect(page.locator("#reply-form input[name=kind][value=reply]")).to_be_checked()
    page.goto(f"{base}/service/kb/")
    page.get_by_test_id("kb-search").fill("请问发票怎么开")  # htmx GETs the suggestions as it is typed
    expect(page.locator("#kb-suggestions li[data-article=invoice]")).to_be_visible()
    watch.assert_clean()
    page.context.close()

    # Anyone: the API docs (Swagger UI, its start-up script served as a file).
    page, watch = _new_page(browser, base)
    page.goto(f"{base}/api/v1/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=30_000)
    watch.assert_clean()
    page.context.close()

    # The admin (second factor): the admin index, under the admin's own policy (Alpine.js needs eval).
    page, watch = _new_page(browser, base)
    login(page, base, "admin", demo_site["password"])
    response = page.goto(f"{base}/admin/")
    assert "'unsafe-eval'" in response.headers["content-security-policy"]
    expect(page.locator("#nav-sidebar, nav, aside").first).to_be_visible()
    # Alpine is running: the user menu opens on click (an x-on handler, evaluated by Alpine).
    assert page.evaluate("typeof window.Alpine") == "object"
    watch.assert_clean()
    page.context.close()
