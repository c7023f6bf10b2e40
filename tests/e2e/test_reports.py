"""A manager generates last week's manager report (as Monday's beat job would), opens the latest one from the
archive with every section, downloads its PDF, then reads the KPI explorer; both again in Chinese.
Screenshots go to var/screenshots/ (the README shows reports-weekly-en.png)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from reports import kpis, report_content
from reports.models import ManagerReport
from shopops.common.dates import shop_today
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECTIONS = [
    "report-kpis",
    "report-finance",
    "report-inventory",
    "report-marketing",
    "report-service",
    "report-actions",
]


def test_manager_reads_the_weekly_report_and_the_kpi_explorer_in_both_languages(
    page, demo_site, watch, screenshots
):
    base = demo_site["url"]
    week = report_content.previous_week_start(shop_today())
    login(page, base, "manager", demo_site["password"])

    page.goto(f"{base}/reports/weekly/")
    form = page.get_by_test_id("report-generate")
    form.locator("input[name=period]").fill(week.isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    report = ManagerReport.objects.get(kind="weekly", period_start=week)

    page.goto(f"{base}/reports/weekly/")
    page.get_by_test_id("report-list").locator(
        f"a[href$='/reports/weekly/{week.isoformat()}/']"
    ).first.click()
    page.wait_for_url(f"{base}/reports/weekly/{week.isoformat()}/")
    for section in SECTIONS:
        expect(page.get_by_test_id(section)).to_be_visible()
    stored = {row["key"]: row["value"] for row in report.content["kpis"]}
    totals = kpis.kpi_totals(start=week, end=report.period_end)
    assert (stored["orders"], stored["gmv"]) == (totals["orders"], str(totals["gmv"])) and totals[
        "orders"
    ] > 0
    expect(page.get_by_test_id("report-actions").locator("li").first).to_be_visible()
    page.wait_for_selector("[data-testid=report-charts] .main-svg")
    page.screenshot(path=screenshots / "reports-weekly-en.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")

    page.goto(
        f"{base}/reports/kpis/?start={week.isoformat()}&end={report.period_end.isoformat()}&granularity=day"
    )
    cards = page.get_by_test_id("kpi-cards")
    expect(cards).to_contain_text("Repurchase rate")
    expect(page.get_by_test_id("kpi-definitions")).to_contain_text("Distinct customers with a counted order")
    page.wait_for_selector(".plotly-chart .main-svg")
    page.screenshot(path=screenshots / "reports-explorer-en.png", full_page=True)

    page.get_by_test_id("language-switch").get_by_text("中文").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("kpi-cards")).to_contain_text("复购率")
    page.wait_for_selector(".plotly-chart .main-svg")
    page.screenshot(path=screenshots / "reports-explorer-zh.png", full_page=True)

    page.goto(f"{base}/reports/weekly/{week.isoformat()}/")
    expect(page.get_by_test_id("reports-nav")).to_contain_text("经理周报")
    for section in SECTIONS:
        expect(page.get_by_test_id(section)).to_be_visible()
    page.wait_for_selector("[data-testid=report-charts] .main-svg")
    page.screenshot(path=screenshots / "reports-weekly-zh.png", full_page=True)

    # The rest of the area in Chinese: the anomalies, yesterday's digest made on demand, my subscriptions.
    page.goto(f"{base}/reports/anomalies/")
    expect(page.get_by_test_id("reports-nav")).to_contain_text("异常")
    page.screenshot(path=screenshots / "reports-anomalies-zh.png", full_page=True)
    yesterday = shop_today() - timedelta(days=1)
    page.goto(f"{base}/reports/daily/")
    form = page.get_by_test_id("report-generate")
    form.locator("input[name=period]").fill(yesterday.isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/reports/daily/{yesterday.isoformat()}/")
    expect(page.get_by_test_id("report-kpis")).to_be_visible()
    page.screenshot(path=screenshots / "reports-daily-zh.png", full_page=True)
    assert ManagerReport.objects.filter(kind="daily", period_start=yesterday).count() == 1
    page.goto(f"{base}/reports/subscriptions/")
    row = page.get_by_test_id("subscriptions").locator("tr[data-kind=daily]")
    expect(row).to_have_attribute("data-subscribed", "0")
    row.locator("button[type=submit]").click()
    expect(page.get_by_test_id("subscriptions").locator("tr[data-kind=daily]")).to_have_attribute(
        "data-subscribed", "1"
    )
    assert watch.problems == []
