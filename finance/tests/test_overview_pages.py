"""The finance overview: empty states with no data, then cash, the forecast chart, runway, cushion, alerts
and the CCC trend."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from finance.models import CashAccount
from finance.services import alerts as alert_service
from finance.tests.factories_alerts import forecast_run, snapshot
from shopops.common.dates import shop_today

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["finance", "manager"])
def test_overview_with_no_data(client_for, role):
    response = client_for(role).get(reverse("finance:overview"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="forecast-empty"' in page and 'data-testid="ccc-empty"' in page
    assert "No live alerts." in page and 'data-testid="channel-economics"' in page


def test_overview_refused_to_other_roles(client_for):
    assert client_for("service_agent").get(reverse("finance:overview")).status_code == 403
    assert client_for("manager").post(reverse("finance:overview")).status_code == 403


def test_overview_with_data(client_for):
    today = shop_today()
    CashAccount.objects.create(
        code="bank", name="ICBC", opening_on=today - timedelta(days=10), opening_balance=D("1234.50")
    )
    for weeks_ago, ccc in [(6, "30.0"), (3, "35.5"), (0, "41.0")]:
        snapshot(today - timedelta(weeks=weeks_ago), ccc=D(ccc), dso=D("10.0"), dio=D("40.0"), dpo=D("9.0"))
    snapshot(
        today, ccc=D("41.0"), runway_months=D("3.5"), weekly_net_burn=D("2000.00"), cushion_months=D("2.5")
    )
    forecast_run("base", today, lowest_closing="-500.00")
    forecast_run("pessimistic", today, lowest_closing="-9000.00")
    alert_service.alerts_evaluate(business_date=today)
    page = client_for("finance").get(reverse("finance:overview")).content.decode()
    assert "ICBC" in page and "¥1,234.50" in page
    assert 'data-figure="finance-forecast"' in page and "Pessimistic" in page and "safety cushion" in page
    assert 'data-figure="finance-ccc"' in page
    assert "3.5 months" in page and "2.5 months" in page
    assert "/finance/alerts/" in page and "Critical: " in page
    assert 'data-testid="ccc">41.0<' in page
