"""The SKU margins pages: who may open them, what they show, the export."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from finance.tests import factories_margins as f

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-03-01", "end": "2026-04-01"}


@pytest.fixture
def sales():
    f.logistics_per_order("6.00")
    tmall = f.channel("tmall", "0.0500", "0.0060")
    good, refunded = f.sku("GOOD-1", "40.00"), f.sku("BAD-1", "30.00")
    f.order(channel=tmall, lines=[(good, 1, "100.00", "0.00")], placed=f.shop_time(2026, 3, 10))
    f.order(
        channel=tmall, lines=[(refunded, 2, "60.00", "0.00")], refund="60.00", placed=f.shop_time(2026, 3, 11)
    )
    f.ad_day(channel=tmall, day=date(2026, 3, 10), spend="10.00")
    return {"good": good, "bad": refunded}


@pytest.mark.parametrize("role", ["finance", "manager"])
def test_pages_open_for_finance_and_manager(client_for, role, sales):
    client = client_for(role)
    assert client.get(reverse("finance:margins")).status_code == 200
    assert client.get(reverse("finance:margins"), PERIOD).status_code == 200
    assert client.get(reverse("finance:margins-sku", args=[sales["bad"].pk]), PERIOD).status_code == 200
    assert client.get(reverse("finance:margins-export"), PERIOD).status_code == 200


def test_pages_refused_outside_finance(client_for, sales):
    client = client_for("service_agent")
    assert client.get(reverse("finance:margins")).status_code == 403
    assert client.get(reverse("finance:margins-export")).status_code == 403
    assert client.get(reverse("finance:margins-sku", args=[sales["bad"].pk])).status_code == 403
    manager = client_for("manager")
    assert manager.post(reverse("finance:margins"), PERIOD).status_code == 403
    assert manager.post(reverse("finance:margins-export"), PERIOD).status_code == 403


def test_table_names_the_loss_driver_and_links_the_sku(client_for, sales):
    html = client_for("finance").get(reverse("finance:margins"), PERIOD).content.decode()
    assert 'data-testid="margin-table"' in html
    assert reverse("catalog:sku-detail", args=["BAD-1"]) in html
    # BAD-1: 120.00 - cogs 60.00 - commission 6.00 - fee 0.72 - logistics 6.00 - refunds 60.00
    # - ads 5.45 (10.00 by revenue 100:120 -> 4.545 / 5.454: the cent to GOOD-1) = -18.17
    assert "Returns and refunds" in html
    assert 'data-testid="loss-count">1<' in html
    assert "-¥18.17" in html
    assert 'data-testid="margin-totals"' in html
    assert 'data-figure="margins-worst"' in html
    # The worst row comes first.
    assert html.index('data-sku="BAD-1"') < html.index('data-sku="GOOD-1"')


def test_loss_only_filter_and_bad_period(client_for, sales):
    client = client_for("finance")
    html = client.get(reverse("finance:margins"), {**PERIOD, "loss_only": "1"}).content.decode()
    assert 'data-sku="BAD-1"' in html and 'data-sku="GOOD-1"' not in html
    response = client.get(reverse("finance:margins"), {"start": "2026-04-01", "end": "2026-03-01"})
    assert response.status_code == 400
    assert 'data-field-error="end"' in response.content.decode()


def test_export_csv_and_xlsx(client_for, sales):
    client = client_for("manager")
    response = client.get(reverse("finance:margins"), {**PERIOD, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["SKU", "Name", "Category", "Channel", "Units", "Revenue"]
    assert [r[0] for r in rows[1:]] == ["BAD-1", "GOOD-1"]
    bad = rows[1]
    assert bad[5] == "120.00" and bad[-3] == "-18.17" and bad[-1] == "Returns and refunds"
    response = client.get(reverse("finance:margins-export"), {**PERIOD, "fmt": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
