"""The customer pages: segments grid, a segment's customers, win-back and birthday lists (with exports),
membership tiers and settings, a customer's points. Marketing, manager and admin read; marketing and admin
write (manager gets 403 on POST); personal data masked for marketing."""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from marketing.models import MarketingSettings, Membership, MembershipTierRule, PointsEntry
from marketing.services import customers as services
from orders.models import Order
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory
from shopops.common.dates import shop_today

D = Decimal
MKT, MGR, ADM, OPS = "marketing", "manager", "admin", "operations"
TODAY = shop_today()


@pytest.fixture(autouse=True)
def _clock_on_today():
    """TODAY is read once, at import: keep the clock on that day so a run crossing midnight still agrees."""
    with time_machine.travel(timezone.make_aware(datetime.combine(TODAY, time(12))), tick=True):
        yield


READ_PAGES = [
    ("marketing:segment-grid", []),
    ("marketing:segment-customers", ["champions"]),
    ("marketing:membership", []),
    ("marketing:winback-list", []),
    ("marketing:birthday-list", []),
]


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)), timezone.get_current_timezone())


def order(customer, days_ago: int, total: str):
    return OrderFactory(
        channel=customer.channel,
        customer=customer,
        placed_at=at(TODAY - timedelta(days=days_ago)),
        delivered_at=at(TODAY - timedelta(days=days_ago - 2)),
        status=Order.Status.DELIVERED,
        total=D(total),
    )


@pytest.fixture
def shop(db):
    """Four customers scored as of today: A champion (R4 F4 M4), B potential, C at risk (silent 100 days,
    F3), G hibernating (silent 50 days, F1 M3); memberships with birthdays."""
    channel = ChannelFactory(code="tmall", name="Tmall")
    c = {}
    for name, phone in (
        ("A", "13811112222"),
        ("B", "13933334444"),
        ("C", "13755556666"),
        ("G", "13677778888"),
    ):
        c[name] = CustomerFactory(channel=channel, external_id=f"C-{name}", name=f"王{name}", phone=phone)
    order(c["A"], 2, "500.00")
    order(c["A"], 30, "300.00")
    order(c["A"], 60, "200.00")
    order(c["B"], 10, "150.00")
    order(c["C"], 100, "80.00")
    order(c["C"], 200, "120.00")
    order(c["G"], 50, "648.00")
    services.membership_assign(business_date=TODAY)
    services.customer_rfm_build(business_date=TODAY)
    Membership.objects.filter(customer=c["A"]).update(birthday=TODAY.replace(year=1990))
    Membership.objects.filter(customer=c["B"]).update(
        birthday=(TODAY + timedelta(days=45)).replace(year=1991)
    )
    return c


@pytest.mark.parametrize(("name", "args"), READ_PAGES)
@pytest.mark.parametrize(("role", "status"), [(MKT, 200), (MGR, 200), (ADM, 200), (OPS, 403), (None, 403)])
def test_who_may_open_the_pages(shop, client_for, name, args, role, status):
    assert client_for(role).get(reverse(name, args=args)).status_code == status


@pytest.mark.parametrize(("role", "status"), [(MKT, 200), (MGR, 200), (ADM, 200), ("finance", 403)])
def test_who_may_open_a_customers_points(shop, client_for, role, status):
    url = reverse("marketing:customer-points", args=[shop["A"].pk])
    assert client_for(role).get(url).status_code == status


def test_anonymous_users_are_sent_to_log_in(shop, client):
    response = client.get(reverse("marketing:segment-grid"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_unknown_segment_and_customer_are_404(shop, client_for):
    client = client_for(MKT)
    assert client.get(reverse("marketing:segment-customers", args=["vip"])).status_code == 404
    assert client.get(reverse("marketing:customer-points", args=[999999])).status_code == 404


def test_segment_grid_shows_counts_and_values(shop, client_for):
    response = client_for(MGR).get(reverse("marketing:segment-grid"))
    page = response.content.decode()
    assert response.context["summary"]["customers"] == 4
    segments = {s["segment"]: s for s in response.context["summary"]["segments"]}
    assert (segments["champions"]["customers"], segments["champions"]["value"]) == (1, D("1000.00"))
    assert (segments["at_risk"]["customers"], segments["at_risk"]["value"]) == (1, D("200.00"))
    assert (segments["hibernating"]["customers"], segments["hibernating"]["value"]) == (1, D("648.00"))
    assert (segments["potential"]["customers"], segments["potential"]["value"]) == (1, D("150.00"))
    assert 'data-col="total-value">¥1,998.00</td>' in page
    assert 'data-cell="55" data-segment="champions"' in page
    assert "Bought recently and often (R 4-5, F 4-5)." in page
    assert 'data-figure="segment-value"' in page


def test_segment_grid_before_the_first_build(db, client_for):
    page = client_for(MKT).get(reverse("marketing:segment-grid")).content.decode()
    assert 'data-testid="no-rfm"' in page


def test_segment_customers_masked_for_marketing_and_exported(shop, client_for):
    client = client_for(MKT)
    page = client.get(reverse("marketing:segment-customers", args=["champions"])).content.decode()
    assert 'data-customer="C-A"' in page and "138****2222" in page and "13811112222" not in page
    assert 'data-col="monetary">¥1,000.00</td>' in page
    response = client.get(reverse("marketing:segment-customers", args=["champions"]) + "?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["Customer", "Channel", "Name", "Phone", "Segment"]
    assert rows[1] == [
        "C-A",
        "tmall",
        "王*",
        "138****2222",
        "Champions",
        "4",
        "4",
        "4",
        "2",
        "3",
        "1000.00",
        "Silver",
        "0",
    ]
    assert len(rows) == 2


def test_admin_sees_personal_data_and_gets_xlsx(shop, client_for):
    client = client_for(ADM)
    page = client.get(reverse("marketing:segment-customers", args=["at_risk"])).content.decode()
    assert "13755556666" in page
    response = client.get(reverse("marketing:segment-customers", args=["at_risk"]) + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[1][:4] == ("C-C", "tmall", "王C", "13755556666")
    assert values[1][10] == 200


def test_segment_cell_and_search_filters(shop, client_for):
    client = client_for(MKT)
    url = reverse("marketing:segment-customers", args=["hibernating"])
    assert 'data-customer="C-G"' in client.get(url + "?r=2&f=1").content.decode()
    assert 'data-customer="C-G"' not in client.get(url + "?r=2&f=2").content.decode()
    assert 'data-customer="C-G"' in client.get(url + "?q=C-G").content.decode()
    assert 'data-customer="C-G"' not in client.get(url + "?q=nobody").content.decode()


def test_winback_list_and_export(shop, client_for):
    MarketingSettings.objects.create(winback_days=40)
    client = client_for(MKT)
    response = client.get(reverse("marketing:winback-list"))
    page = response.content.decode()
    # C (F 3) is one-to-one, G (F 1, M 3) batch
    assert [row.customer.external_id for row in response.context["page_obj"]] == ["C-C", "C-G"]
    assert response.context["counts"] == {"one_to_one": 1, "batch": 1}
    assert "silent for more than 40 days" in page
    response = client.get(reverse("marketing:winback-list") + "?export=csv&treatment=one_to_one")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == "Treatment"
    assert [(r[0], r[-1]) for r in rows[1:]] == [("C-C", "One-to-one offer")]
    batch = client.get(reverse("marketing:winback-list") + "?treatment=batch")
    assert [row.customer.external_id for row in batch.context["page_obj"]] == ["C-G"]


def test_birthday_list_and_export(shop, client_for):
    client = client_for(MKT)
    response = client.get(reverse("marketing:birthday-list"))
    assert [m.customer.external_id for m in response.context["page_obj"]] == ["C-A"]
    assert f'data-col="birthday">{TODAY.isoformat()}</td>' in response.content.decode()
    response = client.get(reverse("marketing:birthday-list") + "?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1] == ["C-A", "tmall", "王*", "138****2222", TODAY.isoformat(), "0", "Silver", "0"]


def test_membership_page_counts(shop, client_for):
    response = client_for(MGR).get(reverse("marketing:membership"))
    counts = {t["rule"].code: t["members"] for t in response.context["tiers"]}
    assert counts == {"member": 3, "silver": 1, "gold": 0, "platinum": 0}  # A: ¥1,000 in 3 orders
    page = response.content.decode()
    assert 'data-testid="tier-form"' in page and 'data-testid="tier-save"' not in page  # manager reads
    assert 'data-testid="settings-form"' not in page


def _tier_post(**overrides):
    data = {"action": "tiers"}
    for rule in MembershipTierRule.objects.order_by("rank"):
        data |= {
            f"{rule.code}-name": rule.name,
            f"{rule.code}-min_spend": str(rule.min_spend),
            f"{rule.code}-min_orders": str(rule.min_orders),
            f"{rule.code}-points_multiplier": str(rule.points_multiplier),
        }
    return data | overrides


def test_marketing_changes_thresholds(shop, client_for):
    client = client_for(MKT)
    response = client.post(reverse("marketing:membership"), _tier_post(**{"silver-min_spend": "900.00"}))
    assert response.status_code == 302
    assert MembershipTierRule.objects.get(code="silver").min_spend == D("900.00")


def test_threshold_errors_next_to_the_tier_and_nothing_saved(shop, client_for):
    client = client_for(MKT)
    response = client.post(
        reverse("marketing:membership"), _tier_post(**{"gold-min_spend": "700.00", "silver-min_orders": "x"})
    )
    assert response.status_code == 400
    assert 'data-error="silver-min_orders">Enter a whole number.' in response.content.decode()
    response = client.post(reverse("marketing:membership"), _tier_post(**{"gold-min_spend": "700.00"}))
    assert response.status_code == 400
    assert (
        'data-error="gold">A tier cannot ask less spend or fewer orders than the tier below it.'
        in response.content.decode()
    )
    assert MembershipTierRule.objects.get(code="gold").min_spend == D("2000.00")


def test_manager_cannot_write(shop, client_for):
    client = client_for(MGR)
    assert client.post(reverse("marketing:membership"), _tier_post()).status_code == 403
    assert client.post(reverse("marketing:membership"), {"action": "settings"}).status_code == 403
    url = reverse("marketing:customer-points", args=[shop["A"].pk])
    assert client.post(url, {"points": "10"}).status_code == 403


def test_settings_form(shop, client_for):
    client = client_for(ADM)
    data = {
        "action": "settings",
        "rfm_window_days": "180",
        "winback_days": "60",
        "points_per_yuan": "2.00",
        "points_value": "1.50",
        "points_expire_days": "730",
    }
    assert client.post(reverse("marketing:membership"), data).status_code == 302
    settings = MarketingSettings.current()
    assert (settings.rfm_window_days, settings.winback_days, settings.points_per_yuan) == (180, 60, D("2.00"))
    assert MarketingSettings.objects.count() == 1
    response = client.post(reverse("marketing:membership"), data | {"rfm_window_days": "7"})
    assert response.status_code == 400
    assert "The RFM window must be at least 30 days." in response.content.decode()


def test_points_page_and_redeem(shop, client_for):
    services.points_earn(start=TODAY - timedelta(days=100), end=TODAY)
    customer = shop["A"]
    # A is silver (¥1,000 in 3 orders): x1.2 -> 600 + 360 + 240
    assert Membership.objects.get(customer=customer).points == 1200
    client = client_for(MKT)
    url = reverse("marketing:customer-points", args=[customer.pk])
    page = client.get(url).content.decode()
    assert 'data-col="balance">1,200</dd>' in page and 'data-col="worth">¥12.00</dd>' in page
    response = client.post(url, {"points": "1201", "note": ""})
    assert response.status_code == 400
    assert "Only 1200 points can be redeemed; 1201 were asked for." in response.content.decode()
    response = client.post(url, {"points": "250", "note": "电水壶"})
    assert response.status_code == 302
    assert Membership.objects.get(customer=customer).points == 950
    entry = PointsEntry.objects.get(kind="redeem")
    assert (entry.points, entry.note) == (-250, "电水壶")
    page = client.get(url).content.decode()
    assert 'data-kind="redeem"' in page and 'data-col="points">-250</td>' in page
    assert 'data-col="description">电水壶</td>' in page
    assert 'data-col="description">Earned by a delivered order</td>' in page
    # the ¥500 order (delivered today) is returned: the 250 redeemed came from the entries that expire first
    # (240 of the ¥200 order's, 10 of the ¥300 order's), so all its 600 points are unused and come back
    returned = Order.objects.get(customer=customer, total=D("500.00"))
    Order.objects.filter(pk=returned.pk).update(status=Order.Status.RETURNED, closed_at=at(TODAY))
    services.points_clawback(start=TODAY, end=TODAY)
    page = client.get(url).content.decode()
    assert 'data-col="description">Order returned: its unused points taken back</td>' in page
    assert Membership.objects.get(customer=customer).points == 350


def test_pages_render_in_chinese(shop, client_for):
    client = client_for(MKT)
    client.cookies["django_language"] = "zh-hans"
    for name, args in READ_PAGES:
        assert client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200


def test_default_tier_names_are_shown_in_the_readers_language(shop, client_for):
    client = client_for(MGR)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("marketing:membership")).content.decode()
    assert "<td>银卡会员</td>" in page and "<td>白金会员</td>" in page
    MembershipTierRule.objects.filter(code="silver").update(name="白银 VIP")  # a name of the shop's own stays
    page = client.get(reverse("marketing:membership")).content.decode()
    assert "<td>白银 VIP</td>" in page


def test_find_a_member_by_id_or_phone(shop, client_for):
    client = client_for(MKT)
    response = client.get(reverse("marketing:membership") + "?find=C-A")
    assert [row["customer"].external_id for row in response.context["found"]] == ["C-A"]
    page = response.content.decode()
    assert (
        f'href="{reverse("marketing:customer-points", args=[shop["A"].pk])}"' in page
        and "138****2222" in page
    )
    response = client.get(reverse("marketing:membership") + "?find=137 5555 6666")  # the whole number
    assert [row["customer"].external_id for row in response.context["found"]] == ["C-C"]
    response = client.get(reverse("marketing:membership") + "?find=5555")  # encrypted: no part of a phone
    assert [row["customer"].external_id for row in response.context["found"]] == []
    response = client.get(reverse("marketing:membership") + "?find=C-")
    assert [row["customer"].external_id for row in response.context["found"]] == []  # 3 characters at least
    assert "No customer found" in response.content.decode()
