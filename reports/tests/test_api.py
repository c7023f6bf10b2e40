"""GET /api/v1/reports/kpis: scope reports:read, totals and series with money as 2-decimal strings and rates
as 4-decimal strings, a channel filter, clear 400s for bad parameters."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from reports import kpis
from reports.tests.test_kpis import shop  # noqa: F401 -- the hand-built March 2026 shop
from shopops.common.models import ApiClient

URL = "api-reports-kpis"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def getter(client, scopes):
    _api_client, key = ApiClient.objects.create_key(name="bi", scopes=scopes)
    return lambda query="": client.get(f"{reverse(URL)}{query}", HTTP_AUTHORIZATION=f"Api-Key {key}")


def test_totals_and_daily_series_in_the_documented_shape(shop, client):  # noqa: F811
    response = getter(client, ["reports:read"])("?start=2026-03-02&end=2026-03-09")
    assert response.status_code == 200
    body = response.json()
    assert body["totals"] == {
        "orders": 5,
        "units": 10,
        "gmv": "576.00",
        "aov": "115.20",
        "refunds": "40.00",
        "net_sales": "536.00",
        "customers": 4,
        "new_customers": 2,
        "returning_customers": 2,
        "returning_rate": "0.5000",
        "repurchase_rate": "0.2500",
        "gross_margin": "0.5896",
        "return_rate": "0.1667",
        "cancel_rate": "0.1429",
    }
    assert [row["period_start"] for row in body["series"]] == [f"2026-03-0{n}" for n in range(2, 9)]
    assert body["series"][2] == {
        "period_start": "2026-03-04",
        **dict.fromkeys(["orders", "units", "customers", "new_customers", "returning_customers"], 0),
        "gmv": "0.00",
        "aov": None,
        "refunds": "0.00",
        "net_sales": "0.00",
        "returning_rate": None,
        "repurchase_rate": None,
        "gross_margin": None,
        "return_rate": "0.0000",  # 2 units shipped on 4 March, none returned
        "cancel_rate": "0.0000",  # dan's pending order was placed that day
    }


def test_week_and_month_granularity_and_a_channel(shop, client):  # noqa: F811
    get = getter(client, ["reports:read"])
    weeks = get("?start=2026-03-01&end=2026-03-16&granularity=week").json()["series"]
    assert [(w["period_start"], w["orders"]) for w in weeks] == [
        ("2026-03-01", 0),
        ("2026-03-02", 5),
        ("2026-03-09", 1),
    ]
    month = get("?start=2026-03-01&end=2026-04-01&granularity=month&channel=jd").json()
    expected = kpis.kpi_totals_direct(start=date(2026, 3, 1), end=date(2026, 4, 1), channel_id=shop["jd"].pk)
    assert month["totals"]["gmv"] == str(expected["gmv"]) == "150.00"
    # both of eve's refunds were made in March (40 for a February order): net sales can go below zero
    assert month["totals"]["refunds"] == "190.00" and Decimal(month["totals"]["net_sales"]) == Decimal("-40")
    assert month["totals"]["gross_margin"] is None  # no margin on negative net sales
    assert month["series"] == [{"period_start": "2026-03-01", **month["totals"]}]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("", {"start": ["This field is required."], "end": ["This field is required."]}),
        (
            "?start=2026-03-09&end=2026-03-02",
            {"end": ["end must be after start (the period is [start, end))."]},
        ),
        (
            "?start=01/03/2026&end=2026-03-02",
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            "?start=2026-03-01&end=2026-03-02&granularity=year",
            {"granularity": ['"year" is not a valid choice.']},
        ),
        ("?start=2026-03-01&end=2026-03-02&channel=ebay", {"channel": ["Unknown channel 'ebay'."]}),
        ("?start=2020-01-01&end=2026-03-02", {"end": ["At most 1098 days at granularity 'day'."]}),
    ],
)
def test_bad_parameters_are_400_with_field_errors(shop, client, query, errors):  # noqa: F811
    response = getter(client, ["reports:read"])(query)
    assert response.status_code == 400
    assert response.json() == errors


def test_the_scope_is_required(shop, client):  # noqa: F811
    assert getter(client, ["orders:write"])("?start=2026-03-02&end=2026-03-09").status_code == 403
    assert client.get(reverse(URL) + "?start=2026-03-02&end=2026-03-09").status_code == 401
