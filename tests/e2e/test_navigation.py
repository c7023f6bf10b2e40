"""Each role logs in and opens every page in its navigation: no server error, no console error,
nothing fetched from the internet. Screenshots go to var/screenshots/."""

import pytest

from shopops.common import roles
from tests.e2e.conftest import login

# transactional: the live server thread must see the committed demo data. The flush after each test
# removes the role groups; the autouse fixture in conftest.py puts them back for later tests.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_role_opens_every_page_in_its_navigation(role, page, demo_site, watch, screenshots):
    login(page, demo_site["url"], role, demo_site["password"])
    assert page.get_by_test_id("current-role").inner_text() == str(roles.ROLES[role])
    links = page.locator("[data-testid=main-nav] a.nav-link")
    areas = [(a.get_attribute("data-area"), a.get_attribute("href")) for a in links.all()]
    assert [area for area, _ in areas] == [
        a
        for a in (
            "home",
            "catalog",
            "orders",
            "inventory",
            "marketing",
            "service",
            "finance",
            "reports",
            "jobs",
            "audit",
        )
        if role in roles.AREA_ROLES[a]
    ]
    for area, href in areas:
        response = page.goto(f"{demo_site['url']}{href}")
        assert response.status == 200, f"{role} {href}"
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").first.is_visible()
        page.screenshot(path=screenshots / f"{role}-{area}.png", full_page=True)
    assert watch.problems == []


def test_dashboard_draws_the_chart_and_switches_to_chinese(page, demo_site, watch, screenshots):
    login(page, demo_site["url"], "manager", demo_site["password"])
    page.wait_for_selector(".plotly-chart .main-svg")
    assert page.get_by_test_id("kpi-gmv-7").inner_text().count("¥") == 2  # this period and the one before
    page.screenshot(path=screenshots / "dashboard-en.png", full_page=True)

    page.click("[data-testid=language-switch] button[value=zh-hans]")
    page.wait_for_selector("html[lang=zh-hans]")
    page.wait_for_selector(".plotly-chart .main-svg")
    nav = page.get_by_test_id("main-nav").inner_text()
    assert "Orders" not in nav and "Reports" not in nav
    assert "¥" in page.get_by_test_id("kpi-gmv-7").inner_text()
    page.screenshot(path=screenshots / "dashboard-zh.png", full_page=True)

    page.click("[data-testid=language-switch] button[value=en]")
    page.wait_for_selector("html[lang=en]")
    assert watch.problems == []


def test_a_page_the_role_may_not_use_answers_403(page, demo_site):
    login(page, demo_site["url"], "service_agent", demo_site["password"])
    response = page.goto(f"{demo_site['url']}/finance/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "You may not open this page"


def test_wrong_password_is_refused(page, demo_site):
    page.goto(f"{demo_site['url']}/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "not-the-password")
    page.click("form button.btn-primary")
    assert page.locator(".alert-danger").is_visible()
    assert page.url.endswith("/login/")


def test_api_docs_render_offline_with_every_endpoint(page, live_server, watch, screenshots):
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {"/api/v1/orders/sync", "/api/v1/orders", "/api/v1/stock", "/api/v1/skus"} <= {
        p.strip().replace("\u200b", "") for p in paths
    }
    page.screenshot(path=screenshots / "api-docs.png", full_page=False)
    assert [p for p in watch.problems if "external request" in p] == []
