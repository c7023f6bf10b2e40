"""The demo's finance data on the tiny demo shop (seed 7, ending 2026-11-21, the e2e tests' shop): the cash
squeeze before Double 11 is caught by the alerts and clears after; the pessimistic scenario is critical on
the end date, the base one is not. One seeded database for the module (seeding is slow)."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.db.models import Max

from finance.defaults import finance_defaults_ensure
from finance.models import (
    Alert,
    CashAccount,
    CashTransaction,
    FinanceSettings,
    ForecastRun,
    Settlement,
    SupplierPayment,
)
from finance.selectors import positions
from orders.models import Order
from service.defaults import service_defaults_ensure
from shopops.common import roles
from shopops.demo.finance import FINANCE_MODELS, finance_seed
from shopops.demo.seed import demo_data_reset, seed_demo

END = date(2026, 11, 21)
D11 = date(2026, 11, 11)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        # A transactional test before this module may have flushed the role groups and the defaults that
        # the seed needs (the autouse fixture that restores them runs per test, after this one).
        roles.roles_sync()
        service_defaults_ensure()
        finance_defaults_ensure()
        users_before = User.objects.aggregate(last=Max("pk"))["last"] or 0
        counts = seed_demo(scale="tiny", seed=7, end_date=END)
        yield counts
        # The module's rows were committed: leave the database as the next tests expect it (the reset
        # keeps users, and the seed made the service agents).
        demo_data_reset()
        User.objects.filter(pk__gt=users_before).delete()
        FinanceSettings.objects.all().delete()  # the seed opened the books: back to the default row
        finance_defaults_ensure()


def test_alert_history_catches_the_squeeze_and_clears(seeded):
    alerts = Alert.objects.filter(metric="lowest_balance", scenario__code="base")
    for level in ("watch", "warning", "critical"):
        assert alerts.filter(level=level, raised_at__date__lt=D11).exists(), level
    critical = alerts.filter(level="critical", raised_at__date__lt=D11)
    assert critical.filter(cleared_at__isnull=False, cleared_at__date__gt=D11 - timedelta(days=10)).exists()
    assert all(a.actions.exists() for a in Alert.objects.all())  # each with its playbook's items


def test_end_date_pessimistic_critical_base_not(seeded):
    pessimistic = ForecastRun.objects.filter(scenario__code="pessimistic").order_by("-business_date").first()
    base = ForecastRun.objects.filter(scenario__code="base").order_by("-business_date").first()
    assert pessimistic.business_date == base.business_date == END
    half_month = base.monthly_fixed_costs / 2
    assert pessimistic.lowest_closing < half_month <= base.lowest_closing
    live = Alert.objects.filter(cleared_at__isnull=True, metric="lowest_balance")
    assert live.filter(scenario__code="pessimistic", level="critical").exists()
    assert not live.filter(scenario__code="base", level="critical").exists()


def test_cash_never_negative(seeded):
    opened = CashAccount.objects.order_by("opening_on").first().opening_on
    day = opened
    while day <= END:
        assert positions.cash_balance(as_of=day) >= 0, day
        day += timedelta(days=1)


def test_settlements_are_of_counted_delivered_orders(seeded):
    matched = Settlement.objects.filter(order__isnull=False)
    assert matched.count() > 100
    assert not matched.filter(order__status__in=Order.NOT_COUNTED).exists()
    assert not matched.filter(order__delivered_at__isnull=True).exists()
    assert Settlement.objects.filter(order__isnull=True).exists()  # a few unmatched lines
    assert SupplierPayment.objects.exists()
    overdue = [r for r in positions.receivables_outstanding(as_of=END) if r.days_overdue]
    assert {r.channel_code for r in overdue} <= {"douyin", "pinduoduo"} and overdue


def test_finance_seed_again_adds_nothing(seeded):
    before = CashTransaction.objects.count()
    counts = finance_seed(scale="tiny", seed=7, end_date=END)
    assert set(counts.values()) == {0}
    assert CashTransaction.objects.count() == before


def test_reset_empties_the_finance_tables(seeded):
    demo_data_reset()
    for model in FINANCE_MODELS:
        assert not model.objects.exists(), model


def test_risky_orders_arrive_through_the_sync_and_the_risky_ones_are_held(seeded):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from finance.models import OrderRisk
    from shopops.demo.finance import risky_orders_sync

    now = datetime(2026, 11, 21, 22, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    outcome = risky_orders_sync(now=now)
    assert (outcome["created"], outcome["rejected"]) == (5, 0)
    risks = {r.order.external_id: r for r in OrderRisk.objects.filter(order__external_id__startswith="RISK")}
    assert len(risks) == 5
    held = {code for code, r in risks.items() if r.status == "held"}
    # the new customer's big COD order with an unusual quantity; the third name behind one phone and address
    assert {"RISK2026112101", "RISK2026112104"} <= held
    assert all(Order.objects.get(external_id=code).held_at is not None for code in held)
    rules = {code: {reason["rule"] for reason in r.reasons} for code, r in risks.items()}
    assert "province_mismatch" in rules["RISK2026112105"]
    again = risky_orders_sync(now=now)  # the same orders again: nothing new, nothing scored twice
    assert (again["created"], again["scored"]) == (0, 0)


def test_history_replay_again_rebuilds_the_same_story(seeded):
    """`manage.py demo` replays the history again after the nightly pipeline: the alerts and forecasts are
    replaced, not doubled, and the end date still has a critical pessimistic and a non-critical base."""
    from shopops.demo.finance import finance_history_replay

    before = sorted(Alert.objects.values_list("metric", "level", "scenario__code", "raised_at"))
    report = finance_history_replay(end_date=END)
    assert report["replayed_days"] >= 10
    assert sorted(Alert.objects.values_list("metric", "level", "scenario__code", "raised_at")) == before
    assert ForecastRun.objects.filter(business_date=END).count() == 3
    live = Alert.objects.filter(cleared_at__isnull=True, metric="lowest_balance")
    assert live.filter(scenario__code="pessimistic", level="critical").exists()
    assert not live.filter(scenario__code="base", level="critical").exists()
