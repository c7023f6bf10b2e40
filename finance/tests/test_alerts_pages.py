"""Alert pages, thresholds and playbook, settings: finance and manager read (200), another role is refused
(403), a manager's POST is refused (403), finance writes."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from finance.models import Alert, AlertThreshold, FinanceSettings, PlaybookStep
from finance.services import alerts as service
from finance.tests.factories_alerts import forecast_run, snapshot

pytestmark = pytest.mark.django_db
DAY = date(2024, 10, 7)


@pytest.fixture
def alert():
    snapshot(DAY, runway_months=D("5.0"), weekly_net_burn=D("1.00"))
    forecast_run("pessimistic", DAY, lowest_closing="-1000.00")
    service.alerts_evaluate(business_date=DAY)
    return Alert.objects.get(metric="runway")


def _pages(alert):
    step = PlaybookStep.objects.first()
    return [
        reverse("finance:alert-list"),
        reverse("finance:alert-detail", args=[alert.pk]),
        reverse("finance:threshold-list"),
        reverse("finance:settings"),
        reverse("finance:alert-list")
        + "?level=critical&scenario=pessimistic&live=1&status=open&metric=lowest_balance",
        reverse("finance:alert-list") + "?export=csv",
        reverse("finance:alert-list") + "?export=xlsx",
    ], step


@pytest.mark.parametrize("role", ["finance", "manager", "admin"])
def test_reading_pages_open_for_finance_and_manager(client_for, role, alert):
    client = client_for(role)
    urls, _step = _pages(alert)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_other_roles_are_refused(client_for, alert):
    client = client_for("service_agent")
    urls, step = _pages(alert)
    for url in urls + [
        reverse("finance:playbook-step-create"),
        reverse("finance:playbook-step-edit", args=[step.pk]),
    ]:
        assert client.get(url).status_code == 403, url


def test_manager_posts_are_refused(client_for, alert):
    client = client_for("manager")
    action = alert.actions.first()
    _urls, step = _pages(alert)
    posts = [
        (reverse("finance:alert-acknowledge", args=[alert.pk]), {"note": ""}),
        (reverse("finance:alert-resolve", args=[alert.pk]), {"note": "x"}),
        (reverse("finance:action-done", args=[action.pk]), {}),
        (reverse("finance:threshold-list"), {}),
        (reverse("finance:playbook-step-create"), {}),
        (reverse("finance:playbook-step-edit", args=[step.pk]), {"deactivate": "1"}),
        (reverse("finance:settings"), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("finance:playbook-step-create")).status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"
    detail = client.get(reverse("finance:alert-detail", args=[alert.pk])).content.decode()
    assert 'data-testid="acknowledge-button"' not in detail


def test_list_counts_filters_and_export(client_for, alert):
    client = client_for("finance")
    page = client.get(reverse("finance:alert-list")).content.decode()
    assert "Watch: 2" in page and "Warning: 1" in page and "Critical: 1" in page  # runway + lowest balance
    page = client.get(reverse("finance:alert-list") + "?scenario=pessimistic").content.decode()
    assert 'data-scenario="pessimistic"' in page and 'data-scenario="base"' not in page
    csv = b"".join(
        client.get(reverse("finance:alert-list") + "?export=csv&metric=runway").streaming_content
    ).decode()
    assert csv.count("\n") == 2 and "Runway (months)" in csv


def test_finance_acknowledges_resolves_and_ticks_off(client_for, alert):
    client = client_for("finance")
    url = reverse("finance:alert-detail", args=[alert.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="playbook-list"' in page and 'data-testid="acknowledge-button"' in page
    assert "Review the 13-week forecast" in page
    response = client.post(reverse("finance:alert-acknowledge", args=[alert.pk]), {"note": "on it"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledge_note) == ("acknowledged", "on it")
    assert client.get(reverse("finance:alert-acknowledge", args=[alert.pk])).status_code == 405
    action = alert.actions.first()
    assert client.post(reverse("finance:action-done", args=[action.pk]), {"note": "ok"}).status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None
    response = client.post(reverse("finance:alert-resolve", args=[alert.pk]), {"note": ""})
    assert response.status_code == 400 and 'data-field-error="note"' in response.content.decode()
    assert client.post(reverse("finance:alert-resolve", args=[alert.pk]), {"note": "done"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == "resolved"


def test_thresholds_form_saves_and_refuses_misordered_levels(client_for):
    client = client_for("finance")
    data = {}
    for t in AlertThreshold.objects.all():
        data[f"{t.metric}__{t.level}"] = str(t.threshold)
        if t.enabled:
            data[f"{t.metric}__{t.level}__enabled"] = "on"
    data["runway__warning"] = "7"
    response = client.post(reverse("finance:threshold-list"), data)
    assert response.status_code == 400 and 'data-field-error="runway__warning"' in response.content.decode()
    data["runway__warning"] = "4.5"
    data.pop("margin_drop__watch__enabled")
    assert client.post(reverse("finance:threshold-list"), data).status_code == 302
    assert AlertThreshold.objects.get(metric="runway", level="warning").threshold == D("4.5")
    assert AlertThreshold.objects.get(metric="margin_drop", level="watch").enabled is False


def test_playbook_step_create_edit_deactivate(client_for):
    client = client_for("finance")
    assert client.get(reverse("finance:playbook-step-create")).status_code == 200
    response = client.post(
        reverse("finance:playbook-step-create"), {"level": "critical", "action": "", "owner_role": "finance"}
    )
    assert response.status_code == 400
    data = {
        "level": "critical",
        "metric": "runway",
        "action": "Sell the van",
        "owner_role": "operations",
        "active": "on",
    }
    assert client.post(reverse("finance:playbook-step-create"), data).status_code == 302
    step = PlaybookStep.objects.get(action="Sell the van")
    edit = reverse("finance:playbook-step-edit", args=[step.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {**data, "action": "Sell the old van", "position": "2"}).status_code == 302
    step.refresh_from_db()
    assert (step.action, step.position) == ("Sell the old van", 2)
    assert client.post(edit, {"deactivate": "1"}).status_code == 302
    step.refresh_from_db()
    assert step.active is False


def test_settings_form_keeps_the_secret_write_only(client_for):
    FinanceSettings.objects.filter(pk=1).update(webhook_secret="hush-hush")
    client = client_for("finance")
    page = client.get(reverse("finance:settings")).content.decode()
    assert "hush-hush" not in page
    conf = FinanceSettings.get()
    data = {
        "cushion_months": "3.50",
        "cushion_target_months": "6.00",
        "tax_rate": "0.0300",
        "tax_day": "15",
        "delivery_days": "3",
        "overdue_grace_days": "5",
        "books_open_on": "2024-01-01",
        "credit_line": "50000.00",
        "logistics_cost_per_order": "6.00",
        "risk_hold_score": "60",
        "risk_cod_high_value": "800.00",
        "webhook_url": "https://hooks.example.com/cash",
        "webhook_secret": "",
    }
    assert client.post(reverse("finance:settings"), data).status_code == 302
    conf.refresh_from_db()
    assert (conf.cushion_months, conf.overdue_grace_days, conf.webhook_secret) == (D("3.50"), 5, "hush-hush")
    assert conf.webhook_url == "https://hooks.example.com/cash"
    response = client.post(reverse("finance:settings"), {**data, "webhook_secret": "new-one"})
    assert response.status_code == 302
    assert FinanceSettings.get().webhook_secret == "new-one"
    assert "new-one" not in client.get(reverse("finance:settings")).content.decode()
    client.post(reverse("finance:settings"), {**data, "webhook_secret_clear": "on"})
    assert FinanceSettings.get().webhook_secret == ""
    response = client.post(reverse("finance:settings"), {**data, "cushion_target_months": "2.00"})
    assert response.status_code == 400
    assert 'data-field-error="cushion_target_months"' in response.content.decode()
