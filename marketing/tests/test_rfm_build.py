"""The nightly RFM build on the database: counted orders only, up to the business date, refunds netted in
the shop currency, the window, exact scores and segments, idempotent and replayable; the segment summary."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketing.models import CustomerRFM, MarketingSettings, Membership, PointsEntry
from marketing.selectors import customers as selectors
from marketing.services.customers import customer_rfm_build
from marketing.tasks import customers as tasks
from orders.models import Order
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory
from shopops.common.models import JobRun

D = Decimal
DAY = date(2026, 6, 30)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def order(customer, days_before: int, total: str, *, status=Order.Status.DELIVERED, hour: int = 12, **kwargs):
    return OrderFactory(
        channel=customer.channel,
        customer=customer,
        placed_at=at(DAY - timedelta(days=days_before), hour),
        status=status,
        total=D(total),
        total_shop=kwargs.pop("total_shop", D(total)),
        **kwargs,
    )


@pytest.fixture
def shop(db):
    channel = ChannelFactory()
    c = {name: CustomerFactory(channel=channel, external_id=name) for name in "ABCGEF"}
    order(c["A"], 2, "500.00")
    order(c["A"], 30, "300.00")
    order(c["A"], 60, "200.00", status=Order.Status.PAID)
    order(c["B"], 10, "150.00")
    order(c["B"], 1, "999.00", status=Order.Status.CANCELLED)  # not a sale
    order(c["B"], 0, "888.00", status=Order.Status.PENDING)  # not a sale
    order(c["C"], 100, "80.00")
    order(c["C"], 200, "120.00", status=Order.Status.RETURNED)  # returned, not refunded: still counted
    # 100 USD at 7.2 = ¥720.00, 10 USD refunded = ¥72.00: ¥648.00 net
    order(
        c["G"],
        50,
        "100.00",
        status=Order.Status.REFUNDED,
        currency="USD",
        exchange_rate=D("7.2"),
        total_shop=D("720.00"),
        refund_amount=D("10.00"),
    )
    order(c["E"], 400, "5000.00")  # outside the 365-day window
    order(c["F"], -1, "70.00", hour=1)  # the day after the business date
    return c


def scores(customers):
    rows = {r.customer_id: r for r in CustomerRFM.objects.all()}
    return {
        name: (rows[c.pk].recency_days, rows[c.pk].frequency, rows[c.pk].monetary, rows[c.pk].r, rows[c.pk].f,
               rows[c.pk].m, rows[c.pk].segment)
        for name, c in customers.items()
        if c.pk in rows
    }  # fmt: skip


def test_scores_and_segments_of_the_worked_example(shop):
    result = customer_rfm_build(business_date=DAY)
    assert scores(shop) == {
        "A": (2, 3, D("1000.00"), 4, 4, 4, "champions"),
        "B": (10, 1, D("150.00"), 3, 1, 1, "potential"),
        "C": (100, 2, D("200.00"), 1, 3, 2, "at_risk"),
        "G": (50, 1, D("648.00"), 2, 1, 3, "hibernating"),
        "E": (400, 0, D("0.00"), 1, 1, 1, "lost"),
    }
    assert result["customers"] == 5
    assert result["segments"] == {
        "champions": 1,
        "loyal": 0,
        "potential": 1,
        "new": 0,
        "at_risk": 1,
        "hibernating": 1,
        "lost": 1,
    }
    assert set(CustomerRFM.objects.values_list("computed_on", flat=True)) == {DAY}


def test_the_window_comes_from_the_settings(shop):
    MarketingSettings.objects.create(rfm_window_days=30)
    customer_rfm_build(business_date=DAY)
    got = scores(shop)
    # only A (2 and 30 days ago: day 30 is outside a 30-day window ending today, day 29 the first inside)
    # and B have orders in the last 30 days; C, G and E are lost
    assert got["A"][:3] == (2, 1, D("500.00")) and got["B"][:3] == (10, 1, D("150.00"))
    assert {name: row[6] for name, row in got.items() if row[1] == 0} == {
        "C": "lost",
        "G": "lost",
        "E": "lost",
    }


def test_idempotent_and_replayable(shop):
    customer_rfm_build(business_date=DAY)
    first = scores(shop)
    customer_rfm_build(business_date=DAY)
    assert scores(shop) == first
    # the same build as of 20 days earlier: B had not bought yet (its row goes), A's last order was day 30
    customer_rfm_build(business_date=DAY - timedelta(days=20))
    earlier = scores(shop)
    assert "B" not in earlier and "F" not in earlier
    assert earlier["A"][:3] == (10, 2, D("500.00"))
    assert CustomerRFM.objects.count() == 4


def test_the_nightly_task_records_the_job(shop):
    tasks.customer_rfm_build(DAY.isoformat())
    detail = tasks.customer_rfm_build(DAY.isoformat())
    run = JobRun.objects.get(job="marketing.customer_rfm_build", business_date=DAY)
    assert run.runs == 2 and run.status == JobRun.Status.SUCCEEDED
    assert detail["customers"] == 5 and CustomerRFM.objects.count() == 5


def test_segment_summary_counts_value_and_grid(shop):
    customer_rfm_build(business_date=DAY)
    summary = selectors.segment_summary()
    assert summary["computed_on"] == DAY
    assert summary["customers"] == 5
    assert summary["value"] == D("1998.00")
    by_code = {s["segment"]: s for s in summary["segments"]}
    assert [s["segment"] for s in summary["segments"]] == [
        "champions",
        "loyal",
        "potential",
        "new",
        "at_risk",
        "hibernating",
        "lost",
    ]
    assert by_code["champions"] == {
        "segment": "champions",
        "customers": 1,
        "share": D("0.2000"),
        "value": D("1000.00"),
        "recency_days": D("2.0"),
        "frequency": D("3.00"),
        "monetary": D("1000.00"),
    }
    assert by_code["loyal"]["customers"] == 0 and by_code["loyal"]["monetary"] is None
    cell = {(c["r"], c["f"]): c for row in summary["grid"] for c in row}
    assert cell[(1, 1)] == {"r": 1, "f": 1, "segment": "lost", "customers": 1, "value": D("0.00")}
    assert cell[(2, 1)]["customers"] == 1 and cell[(2, 1)]["value"] == D("648.00")
    assert cell[(4, 4)] == {"r": 4, "f": 4, "segment": "champions", "customers": 1, "value": D("1000.00")}
    assert [c["f"] for c in summary["grid"][0]] == [1, 2, 3, 4, 5] and summary["grid"][0][0]["r"] == 5


def test_winback_list_one_to_one_first_then_by_value(shop):
    customer_rfm_build(business_date=DAY)
    # silent > 40 days: C (100 days, F 3: one-to-one), G (50 days, F 1, M 3: batch, ¥648), E (400 days, lost)
    rows = list(selectors.winback_list(winback_days=40))
    assert [(r.customer.external_id, r.treatment) for r in rows] == [
        ("C", "one_to_one"),
        ("G", "batch"),
        ("E", "batch"),
    ]
    assert selectors.winback_counts(winback_days=40) == {"one_to_one": 1, "batch": 2}
    batch = selectors.winback_list(winback_days=40, treatment="batch")
    assert [r.customer.external_id for r in batch] == ["G", "E"]
    # the default comes from the settings (90 days): C and E
    assert [r.customer.external_id for r in selectors.winback_list()] == ["C", "E"]
    # M 4 makes a silent customer high-value too
    CustomerRFM.objects.filter(customer=shop["G"]).update(m=4)
    assert [r.treatment for r in selectors.winback_list(winback_days=40)] == [
        "one_to_one",
        "one_to_one",
        "batch",
    ]


def test_the_nightly_pipeline_runs_the_customer_steps(shop):
    """run_nightly (the whole chain, in process): memberships, points and RFM for the date, each recorded."""
    Order.objects.filter(customer=shop["A"], status=Order.Status.DELIVERED).update(delivered_at=at(DAY, 10))
    call_command("run_nightly", "--date", DAY.isoformat())
    jobs = set(JobRun.objects.filter(business_date=DAY).values_list("job", flat=True))
    assert {"marketing.membership_assign", "marketing.points_build", "marketing.customer_rfm_build"} <= jobs
    assert CustomerRFM.objects.count() == 5 and Membership.objects.count() == 5
    # A's two delivered orders (¥500 + ¥300) earn as silver (¥1,000 in 3 orders): 600 + 360
    assert Membership.objects.get(customer=shop["A"]).tier == "silver"
    earned = PointsEntry.objects.filter(customer=shop["A"]).values_list("points", flat=True)
    assert sorted(earned) == [360, 600]
