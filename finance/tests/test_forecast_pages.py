"""The forecast pages: access per role, the table, the scenario switch, export, drill-down, rebuild and
the scenarios' forms."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import login_verified
from finance.models import ForecastRun, Scenario
from finance.services.forecast import cashflow_forecast_build
from finance.tests.factories_forecast import small_business

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def built():
    biz = small_business(tax_rate="0.0300", with_campaign=True)
    cashflow_forecast_build(business_date=biz["as_of"])
    return biz


@pytest.fixture
def client_for(client, make_user):
    """A client logged in as a user of `role` (one user per role, reused)."""
    users = {}

    def login(role):
        if role not in users:
            users[role] = make_user(role, username=f"fc-{role}")
        login_verified(client, users[role])
        return client

    return login


def cell_url(scenario="base", week=1, line="settlements"):
    return reverse("finance:forecast-cell") + f"?scenario={scenario}&week={week}&line={line}"


READ_URLS = [
    lambda: reverse("finance:forecast"),
    lambda: reverse("finance:forecast") + "?scenario=pessimistic",
    lambda: reverse("finance:forecast-export") + "?scenario=base&fmt=csv",
    lambda: cell_url(),
    lambda: reverse("finance:scenario-list"),
]


@pytest.mark.parametrize("url", READ_URLS)
def test_reading_pages_finance_and_manager_200_others_403(built, client_for, url):
    assert client_for("finance").get(url()).status_code == 200
    assert client_for("manager").get(url()).status_code == 200
    assert client_for("service_agent").get(url()).status_code == 403


def test_write_pages_access(built, client_for):
    for role in ("manager", "service_agent"):
        c = client_for(role)
        assert c.post(reverse("finance:forecast-rebuild")).status_code == 403
        assert c.get(reverse("finance:scenario-create")).status_code == 403
        assert c.post(reverse("finance:scenario-create"), {"code": "x"}).status_code == 403
        assert c.post(reverse("finance:scenario-edit", args=["base"]), {"name": "x"}).status_code == 403
        assert c.post(reverse("finance:scenario-delete", args=["base"])).status_code == 403
    c = client_for("finance")
    assert c.get(reverse("finance:scenario-create")).status_code == 200
    assert c.get(reverse("finance:scenario-edit", args=["base"])).status_code == 200
    assert c.get(reverse("finance:forecast-rebuild")).status_code == 405


def test_forecast_page_table_switch_and_links(built, client_for):
    response = client_for("finance").get(reverse("finance:forecast") + "?scenario=pessimistic")
    html = response.content.decode()
    assert 'data-testid="scenario-switch"' in html
    assert 'data-scenario="pessimistic" aria-current="true"' in html
    assert 'data-testid="forecast-table"' in html
    assert "forecast-chart" in html
    assert 'data-testid="forecast-accuracy"' in html
    assert cell_url("pessimistic", 1, "settlements").replace("&", "&amp;") in html
    run = response.context["run"]
    assert run.scenario.code == "pessimistic"
    closing = next(r for r in response.context["table"] if r["key"] == "closing")
    forecast_cells = [c for c in closing["cells"] if not c["column"]["actual"]]
    assert len(forecast_cells) == 13
    assert sum(1 for c in response.context["columns"] if c["lowest"]) == 1
    assert client_for("finance").get(reverse("finance:forecast") + "?scenario=nope").status_code == 404


def test_empty_state_with_rebuild_button(client_for):
    html = client_for("finance").get(reverse("finance:forecast")).content.decode()
    assert 'data-testid="forecast-empty"' in html
    assert reverse("finance:forecast-rebuild") in html
    html = client_for("manager").get(reverse("finance:forecast")).content.decode()
    assert 'data-testid="forecast-empty"' in html
    assert reverse("finance:forecast-rebuild") not in html


def test_export_csv_and_xlsx(built, client_for):
    c = client_for("finance")
    response = c.get(reverse("finance:forecast-export") + "?scenario=base&fmt=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Line"
    assert len(rows[0]) == 1 + 4 + 13  # the 4 finished weeks, then the 13 forecast weeks
    assert rows[0][1] == "2024-09-09 (actual)"
    closing = next(r for r in rows if r[0] == "Closing balance")
    run = ForecastRun.objects.get(scenario__code="base")
    assert closing[5:] == [str(w.closing) for w in run.weeks.order_by("index")]
    xlsx = c.get(reverse("finance:forecast-export") + "?scenario=base&fmt=xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert c.get(reverse("finance:forecast-export") + "?scenario=base&fmt=pdf").status_code == 400


def test_drill_down_total_equals_cell_and_links(built, client_for):
    c = client_for("finance")
    run = ForecastRun.objects.get(scenario__code="base")
    for week in run.weeks.all():
        for code, amount in week.lines.items():
            if D(amount) == 0:
                continue
            response = c.get(cell_url("base", week.index, code))
            assert response.status_code == 200
            assert response.context["total"] == D(amount) == response.context["cell"]
    html = c.get(cell_url("base", 0, "settlements")).content.decode()
    assert reverse("orders:order-detail", args=[built["a"].pk]) in html
    html = c.get(cell_url("base", 1, "rent")).content.decode()
    assert reverse("finance:expense-edit", args=[built["rent"].pk]) in html
    # Inventory and marketing pages: linked for a manager (who may open them).
    m = client_for("manager")
    assert (
        reverse("inventory:po-detail", args=[built["po"].number])
        in m.get(cell_url("base", 1, "payables")).content.decode()
    )
    assert (
        reverse("marketing:campaign-detail", args=["ads-oct"])
        in m.get(cell_url("base", 0, "ads")).content.decode()
    )
    assert c.get(cell_url("base", 99, "rent")).status_code == 400
    assert c.get(cell_url("base", 1, "nope")).status_code == 400
    export = c.get(cell_url("base", 1, "settlements") + "&export=csv")
    assert export.status_code == 200


def test_rebuild_builds_yesterday_and_evaluates_alerts(built, client_for, monkeypatch):
    calls = []
    monkeypatch.setattr("finance.views_forecast.shop_yesterday", lambda: date(2024, 10, 7))
    monkeypatch.setattr("finance.views_forecast.alerts_evaluate", lambda **kw: calls.append(kw) or {})
    response = client_for("finance").post(reverse("finance:forecast-rebuild"), {"scenario": "pessimistic"})
    assert response.status_code == 302
    assert "scenario=pessimistic" in response["Location"]
    assert calls == [{"business_date": date(2024, 10, 7)}]
    assert ForecastRun.objects.filter(business_date=date(2024, 10, 7)).count() == Scenario.objects.count()


def test_scenario_create_validates_and_builds(built, client_for, monkeypatch):
    monkeypatch.setattr("finance.views_forecast.shop_yesterday", lambda: date(2024, 10, 6))
    c = client_for("finance")
    data = {
        "code": "stress",
        "name": "Stress",
        "sales_multiplier": "6",
        "settlement_delay_days": "200",
        "purchase_multiplier": "1",
        "expense_multiplier": "1",
        "ads_multiplier": "1",
    }
    bad = c.post(reverse("finance:scenario-create"), data)
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"sales_multiplier", "settlement_delay_days"}
    data.update(sales_multiplier="0.5", settlement_delay_days="14")
    ok = c.post(reverse("finance:scenario-create"), data)
    assert ok.status_code == 302
    stress = Scenario.objects.get(code="stress")
    assert stress.sales_multiplier == D("0.500") and not stress.builtin
    assert ForecastRun.objects.filter(scenario=stress, business_date=date(2024, 10, 6)).exists()
    # Edit, then delete the custom one.
    data.update(name="Stress 2", sales_multiplier="0.6")
    assert c.post(reverse("finance:scenario-edit", args=["stress"]), data).status_code == 302
    assert Scenario.objects.get(code="stress").name == "Stress 2"
    assert c.post(reverse("finance:scenario-delete", args=["stress"])).status_code == 302
    assert not Scenario.objects.filter(code="stress").exists()


def test_builtin_scenario_keeps_code_and_cannot_be_deleted(built, client_for, monkeypatch):
    monkeypatch.setattr("finance.views_forecast.shop_yesterday", lambda: date(2024, 10, 6))
    c = client_for("finance")
    data = {
        "code": "renamed",
        "name": "Pessimistic (harsh)",
        "sales_multiplier": "0.7",
        "settlement_delay_days": "10",
        "purchase_multiplier": "1",
        "expense_multiplier": "1",
        "ads_multiplier": "1",
        "evaluate_alerts": "on",
    }
    assert c.post(reverse("finance:scenario-edit", args=["pessimistic"]), data).status_code == 302
    s = Scenario.objects.get(code="pessimistic")
    assert s.name == "Pessimistic (harsh)" and s.sales_multiplier == D("0.700")
    assert not Scenario.objects.filter(code="renamed").exists()
    c.post(reverse("finance:scenario-delete", args=["pessimistic"]))
    assert Scenario.objects.filter(code="pessimistic").exists()
