"""The marketing overview: live and upcoming promotions, the calendar of the next 90 days (with planning
periods), budget burn, out-of-band campaigns, and the customers per channel table.

Worked example for the campaign ADS-1 (10 days, today is its 5th): budget ¥1,000.00, ¥700.00 spent, so
70.0 % of the budget in 50.0 % of the days (over pace by more than 5 points), ¥1,400.00 at this pace.
Its last 7 days: 10,000 impressions, 100 clicks (CTR 1.0 %, low), ¥700.00 (CPC ¥7.00, high), 10 orders
(CVR 10.0 %, inside: bounds count), revenue ¥1,400.00 (ROI 2.00, low).
"""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from marketing.models import AdMetricDay, Campaign, Promotion
from orders.models import Channel
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory
from shopops.common.dates import shop_today

D = Decimal


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _promotion(code: str, **fields) -> Promotion:
    return Promotion.objects.create(
        code=code,
        name=f"Promotion {code}",
        kind="threshold_amount",
        params={"tiers": [{"threshold": "199.00", "amount": "20.00"}]},
        **fields,
    )


@pytest.fixture
def marketing_data(db):
    today = shop_today()
    now = timezone.now()
    tmall = ChannelFactory(code="tmall", name="Tmall")
    _promotion(
        "LIVE-1", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=2), used=7, usage_limit=50
    )
    _promotion("OPEN-1")  # no window: live until paused
    _promotion("SOON-1", starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=12))
    _promotion("LATER-1", starts_at=now + timedelta(days=200), ends_at=now + timedelta(days=201))
    _promotion("OVER-1", starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=2))
    _promotion("DRAFT-1", active=False, starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=6))
    Campaign.objects.create(
        code="D11",
        name="Double 11",
        kind=Campaign.Kind.FESTIVAL,
        starts_on=today + timedelta(days=20),
        ends_on=today + timedelta(days=22),
        planning_lead_days=45,
        checklist=[
            {"item": "Stock", "owner": "ops", "done": True},
            {"item": "Creatives", "owner": "mkt", "done": False},
            {"item": "Coupons", "owner": "mkt", "done": False},
        ],
    )
    Campaign.objects.create(
        code="FAR",
        name="Far away",
        kind=Campaign.Kind.FESTIVAL,
        starts_on=today + timedelta(days=120),
        ends_on=today + timedelta(days=121),
    )
    ads = Campaign.objects.create(
        code="ADS-1",
        name="Search ads",
        kind=Campaign.Kind.ADS,
        channel=tmall,
        starts_on=today - timedelta(days=4),
        ends_on=today + timedelta(days=5),
        budget=D("1000.00"),
    )
    for n in range(5):
        AdMetricDay.objects.create(
            campaign=ads,
            channel=tmall,
            day=today - timedelta(days=n),
            impressions=2000,
            clicks=20,
            spend=D("140.00"),
            orders=2,
            revenue=D("280.00"),
        )
    customer = CustomerFactory(channel=tmall, first_order_at=now - timedelta(days=100))
    OrderFactory(channel=tmall, customer=customer, placed_at=now - timedelta(days=2), total=D("299.00"))
    OrderFactory(channel=tmall, placed_at=now - timedelta(days=3), total=D("100.50"))
    return today


@pytest.mark.parametrize(
    ("role", "status"), [("marketing", 200), ("manager", 200), ("admin", 200), ("finance", 403)]
)
def test_overview_access(marketing_data, client_for, role, status):
    assert client_for(role).get(reverse("marketing:overview")).status_code == status


def test_overview_promotions(marketing_data, client_for):
    page = _text(client_for("manager").get(reverse("marketing:overview")))
    live = page.split('data-testid="live-promotions"')[1].split("</table>")[0]
    upcoming = page.split('data-testid="upcoming-promotions"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-code="([^"]+)"', live) == ["LIVE-1", "OPEN-1"]  # ending first
    assert re.findall(r'<tr data-code="([^"]+)"', upcoming) == ["SOON-1", "LATER-1"]
    assert 'data-testid="live-count">2<' in page and 'data-testid="upcoming-count">2<' in page
    assert '<td class="num">7 / 50</td>' in live
    assert 'href="/marketing/promotions/new/"' not in page  # the manager does not create


def test_overview_calendar(marketing_data, client_for):
    today = marketing_data
    response = client_for("marketing").get(reverse("marketing:overview"))
    page = _text(response)
    table = page.split('data-testid="calendar-table"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-code="([^"]+)" data-source="([^"]+)"', table) == [
        ("LIVE-1", "promotion"),
        ("SOON-1", "promotion"),
        ("D11", "campaign"),
    ]
    d11 = table.split('data-code="D11"')[1].split("</tr>")[0]
    assert 'class="table-warning"' in d11 and "planning now" in d11
    assert (today - timedelta(days=25)).isoformat() in d11  # planning from: 45 days before the start
    assert '<td class="num">1 / 3</td>' in d11
    figure = json.loads(
        re.search(
            r'<script id="promotion-calendar" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.S,
        ).group(1)
    )
    by_name = {trace["name"]: trace for trace in figure["data"]}
    assert set(by_name) == {"Planning", "Campaign", "Promotion"}
    assert by_name["Campaign"]["y"] == ["Double 11 (D11)"]
    assert by_name["Campaign"]["base"] == [(today + timedelta(days=20)).isoformat()]
    assert by_name["Campaign"]["x"] == [3 * 24 * 3600 * 1000]  # three whole days
    assert by_name["Planning"]["base"] == [(today - timedelta(days=25)).isoformat()]
    assert by_name["Planning"]["x"] == [45 * 24 * 3600 * 1000]
    assert 'src="/static/vendor/plotly/plotly.min.js"' in page


def test_overview_budget_burn_and_out_of_band(marketing_data, client_for):
    page = _text(client_for("marketing").get(reverse("marketing:overview")))
    burn = page.split('data-testid="budget-burn"')[1].split("</table>")[0]
    row = burn.split('<tr data-code="ADS-1"')[1].split("</tr>")[0]
    assert 'class="table-danger"' in row and "over pace" in row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == ["¥1,000.00", "¥700.00", "70.0%", "50.0%", "¥1,400.00"]
    band = page.split('data-testid="out-of-band"')[1].split("</table>")[0]
    row = band.split('<tr data-code="ADS-1">')[1].split("</tr>")[0]
    assert re.findall(r'data-flag="([a-z]*)">([^<]*)</td>', row) == [
        ("low", "1.0%"),
        ("high", "¥7.00"),
        ("", "10.0%"),
        ("low", "2.00"),
    ]


def test_overview_keeps_the_customers_per_channel_table(marketing_data, client_for):
    page = _text(client_for("marketing").get(reverse("marketing:overview")))
    table = page.split('data-testid="customers-per-channel"')[1].split("</table>")[0]
    assert (
        '<tr><td>Tmall</td><td class="num">2</td><td class="num">1</td> <td class="num">1</td>'
        '<td class="num">50.0%</td> <td class="num">2</td><td class="num">¥399.50</td></tr>'
    ) in table


def test_overview_empty(db, client_for):
    ChannelFactory(code="own_store", name="Own store", kind=Channel.Kind.OWN_STORE)
    page = _text(client_for("marketing").get(reverse("marketing:overview")))
    assert "No promotion is live." in page
    assert "No promotion is scheduled." in page
    assert "Nothing on the calendar in this period." in page
    assert "No running campaign has a budget." in page
    assert "Every campaign with ad metrics is inside its bands." in page
    assert 'id="promotion-calendar"' not in page
    assert "plotly.min.js" not in page
