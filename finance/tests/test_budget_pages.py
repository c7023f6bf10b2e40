"""Budget pages: budget vs actual, the export, the month's budget form and who may write."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import Budget
from finance.services import budget as services

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


def _form(**amounts):
    data = {"month": "2026-03"}
    for line in ("platform_fees", "deposits", "promotion", "staff", "logistics", "technology"):
        data[line] = amounts.get(line, "")
        data[f"note_{line}"] = ""
    return data


@pytest.mark.parametrize("role", ["finance", "manager"])
def test_pages_open_for_finance_and_manager(client_for, role):
    client = client_for(role)
    assert client.get(reverse("finance:budget")).status_code == 200
    assert client.get(reverse("finance:budget"), {"month": "2026-03"}).status_code == 200
    assert client.get(reverse("finance:budget-edit"), {"month": "2026-03"}).status_code == 200


def test_refused_outside_finance_and_manager_may_not_write(client_for):
    agent = client_for("service_agent")
    assert agent.get(reverse("finance:budget")).status_code == 403
    assert agent.get(reverse("finance:budget-edit")).status_code == 403
    manager = client_for("manager")
    assert manager.post(reverse("finance:budget-edit"), _form(staff="10.00")).status_code == 403
    assert manager.post(reverse("finance:budget-edit"), {"month": "2026-03", "copy": "1"}).status_code == 403
    assert manager.post(reverse("finance:budget"), {"month": "2026-03"}).status_code == 403
    assert not Budget.objects.exists()
    html = manager.get(reverse("finance:budget-edit"), {"month": "2026-03"}).content.decode()
    assert 'data-testid="budget-save"' not in html


def test_finance_sets_the_budget_and_sees_over_budget(client_for):
    client = client_for("finance")
    response = client.post(reverse("finance:budget-edit"), _form(staff="10.00", technology="0"))
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:budget") + "?month=2026-03"
    assert dict(Budget.objects.filter(month=MARCH).values_list("line", "amount")) == {
        "staff": Decimal("10.00"),
        "technology": Decimal("0.00"),
    }
    html = client.get(reverse("finance:budget"), {"month": "2026-03"}).content.decode()
    assert 'data-testid="budget-table"' in html and 'data-figure="budget-history"' in html
    assert 'data-testid="promotion-roi"' in html


def test_edit_validation(client_for):
    client = client_for("finance")
    response = client.post(reverse("finance:budget-edit"), _form(staff="-5.00"))
    assert response.status_code == 400
    assert 'data-field-error="staff"' in response.content.decode()
    response = client.post(reverse("finance:budget-edit"), {**_form(staff="5.00"), "month": "2026-03-15"})
    assert response.status_code == 400
    assert 'data-field-error="month"' in response.content.decode()
    assert not Budget.objects.exists()
    assert client.get(reverse("finance:budget"), {"month": "2026-13"}).status_code == 400


def test_copy_from_previous_month(client_for):
    services.budget_set(date(2026, 2, 1), {"staff": Decimal("700.00")}, None)
    client = client_for("finance")
    response = client.post(
        reverse("finance:budget-edit") + "?month=2026-03", {"month": "2026-03", "copy": "1"}
    )
    assert response.status_code == 302
    assert Budget.objects.get(month=MARCH, line="staff").amount == Decimal("700.00")
    html = client.get(reverse("finance:budget-edit"), {"month": "2026-03"}).content.decode()
    assert 'value="700.00"' in html


def test_export_the_month(client_for):
    services.budget_set(MARCH, {"staff": Decimal("10.00")}, None)
    response = client_for("manager").get(reverse("finance:budget"), {"month": "2026-03", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Month", "Cost line", "Budget", "Actual"]
    assert len(rows) == 1 + 6 + 1
    staff = next(r for r in rows if r[1] == "Staff")
    assert staff[2:5] == ["10.00", "0.00", "-10.00"]
    assert rows[-1][1] == "Total"
    response = client_for("finance").get(reverse("finance:budget"), {"month": "2026-03", "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
