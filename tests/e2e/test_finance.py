"""A finance user switches the 13-week cash-flow forecast to the pessimistic scenario, sees its critical
alert and the playbook, and acknowledges the alert; the overview and the forecast in Chinese. The tiny demo's
finance data is shaped so that the pessimistic scenario is critical on the end date (shopops/demo/finance.py).
Screenshots go to var/screenshots/."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from finance.models import Alert
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_finance_user_sees_the_pessimistic_critical_alert_and_acknowledges_it(
    page, demo_site, watch, screenshots
):
    base = demo_site["url"]
    login(page, base, "finance", demo_site["password"])

    page.goto(f"{base}/finance/forecast/")
    expect(page.get_by_test_id("forecast-table")).to_be_visible()
    page.get_by_test_id("scenario-switch").locator("[data-scenario=pessimistic]").click()
    page.wait_for_url(f"{base}/finance/forecast/?scenario=pessimistic")
    expect(page.get_by_test_id("scenario-switch").locator("[aria-current=true]")).to_have_text("Pessimistic")

    critical = page.get_by_test_id("scenario-alerts").locator("[data-level=critical]").first
    expect(critical).to_contain_text("Lowest projected balance")
    expect(critical.get_by_test_id("scenario-alert-playbook")).to_contain_text("Draw the credit line")
    page.wait_for_selector("[data-figure=forecast-chart] .main-svg")
    page.screenshot(path=screenshots / "finance-forecast-pessimistic-en.png", full_page=True)

    critical.get_by_test_id("scenario-alert-link").click()
    page.wait_for_url(f"{base}/finance/alerts/*/")
    alert = Alert.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert (alert.level, alert.scenario.code, alert.cleared_at) == ("critical", "pessimistic", None)
    playbook = page.get_by_test_id("playbook-list")
    assert playbook.locator("li").count() == alert.actions.count() > 0
    expect(playbook).to_contain_text("Draw the credit line")

    page.get_by_test_id("acknowledge-form").locator("textarea, input[name=note]").first.fill(
        "Credit line requested; non-core POs postponed."
    )
    page.get_by_test_id("acknowledge-button").click()
    page.wait_for_url(f"{base}/finance/alerts/{alert.pk}/")
    expect(page.get_by_test_id("alert-status")).to_have_text("Acknowledged")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.acknowledged_by == User.objects.get(username="finance")
    assert alert.acknowledge_note == "Credit line requested; non-core POs postponed."
    page.screenshot(path=screenshots / "finance-alert-en.png", full_page=True)

    # The overview and the forecast in Chinese.
    page.goto(f"{base}/finance/")
    page.get_by_test_id("language-switch").get_by_text("中文").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("finance-nav")).to_contain_text("现金流")
    page.wait_for_selector(".plotly-chart .main-svg")
    page.screenshot(path=screenshots / "finance-overview-zh.png", full_page=True)
    page.goto(f"{base}/finance/forecast/?scenario=pessimistic")
    expect(page.get_by_test_id("scenario-switch").locator("[aria-current=true]")).to_have_text("悲观")
    page.wait_for_selector("[data-figure=forecast-chart] .main-svg")
    page.screenshot(path=screenshots / "finance-forecast-zh.png", full_page=True)
    assert watch.problems == []
