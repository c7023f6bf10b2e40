"""Three-level alerts: raised once per metric, level and scenario with the level's playbook, notified to the
owners, put in the webhook outbox; cleared and resolved on recovery; people acknowledge and resolve."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from finance.models import Alert, AlertAction, AlertThreshold, FinanceSettings, PlaybookStep, WebhookDelivery
from finance.services import alerts as service
from finance.tests.factories_alerts import forecast_run, snapshot, user_with_role
from shopops.common import roles
from shopops.common.models import Notification

pytestmark = pytest.mark.django_db
DAY = date(2024, 10, 7)
NOW = datetime(2024, 10, 8, 1, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def people():
    return {
        "finance": user_with_role(roles.FINANCE, email="fin@example.com"),
        "manager": user_with_role(roles.MANAGER),
        "marketing": user_with_role(roles.MARKETING),
        "planner": user_with_role(roles.INVENTORY_PLANNER),
        "operations": user_with_role(roles.OPERATIONS),
        "agent": user_with_role(roles.SERVICE_AGENT),
    }


def _runway(day, months):
    snapshot(day, runway_months=None if months is None else D(months), weekly_net_burn=D("1000.00"))


def _live():
    return sorted(Alert.objects.filter(cleared_at=None).values_list("metric", "level", "scenario__code"))


def test_watch_warning_critical_in_sequence_raise_three_alerts_each_with_its_playbook(people):
    FinanceSettings.objects.filter(pk=1).update(
        webhook_url="https://hooks.example.com/cash", webhook_secret="s3"
    )
    _runway(DAY, "5.0")
    assert service.alerts_evaluate(business_date=DAY, now=NOW)["raised"] == 1
    _runway(DAY + timedelta(days=1), "3.5")
    assert service.alerts_evaluate(business_date=DAY + timedelta(days=1), now=NOW)["raised"] == 1
    _runway(DAY + timedelta(days=2), "2.9")
    assert service.alerts_evaluate(business_date=DAY + timedelta(days=2), now=NOW)["raised"] == 1

    alerts = {a.level: a for a in Alert.objects.all()}
    assert set(alerts) == {"watch", "warning", "critical"}
    # A live alert shows the latest reading: the watch raised at 5.0 now says 2.9, as of the third day.
    assert alerts["watch"].value == D("2.9000") and alerts["watch"].threshold == D("6.0000")
    assert alerts["watch"].business_date == DAY + timedelta(days=2)
    assert alerts["critical"].value == D("2.9000") and alerts["critical"].scenario.code == "base"
    assert all(a.status == Alert.Status.OPEN and a.raised_at == NOW for a in alerts.values())
    assert "below the Critical level" in alerts["critical"].detail
    for level, alert in alerts.items():
        expected = list(
            PlaybookStep.objects.filter(active=True, level=level, metric__in=["", "runway"])
            .order_by("position", "id")
            .values_list("action", "owner_role")
        )
        assert expected
        assert list(alert.actions.order_by("id").values_list("action", "owner_role")) == expected
    # Watch: the finance role and the playbook's owners, in-app only; warning and critical: managers too,
    # by email as well.
    watch_users = set(
        Notification.objects.filter(key=f"finance-alert:{alerts['watch'].pk}").values_list(
            "user__username", flat=True
        )
    )
    assert watch_users == {"finance-user", "marketing-user", "inventory_planner-user"}
    critical = Notification.objects.filter(key=f"finance-alert:{alerts['critical'].pk}")
    assert {n.user.username for n in critical} == {
        "finance-user",
        "manager-user",
        "marketing-user",
        "inventory_planner-user",
    }
    assert {n.level for n in critical} == {"critical"}
    assert critical.first().url == f"/finance/alerts/{alerts['critical'].pk}/"
    # One outbox row per alert.
    assert sorted(WebhookDelivery.objects.values_list("event_key", flat=True)) == sorted(
        f"alert:{a.pk}:raised" for a in alerts.values()
    )
    payload = WebhookDelivery.objects.get(alert=alerts["critical"]).payload
    assert (payload["metric"], payload["level"], payload["value"], payload["scenario"]) == (
        "runway",
        "critical",
        "2.9000",
        "base",
    )


def test_rerunning_raises_and_sends_nothing_new(people):
    FinanceSettings.objects.filter(pk=1).update(webhook_url="https://hooks.example.com/cash")
    _runway(DAY, "2.0")
    first = service.alerts_evaluate(business_date=DAY, now=NOW)
    counts = (Alert.objects.count(), AlertAction.objects.count(), Notification.objects.count())
    again = service.alerts_evaluate(business_date=DAY)
    assert (first["raised"], again["raised"], again["cleared"]) == (3, 0, 0)
    assert (Alert.objects.count(), AlertAction.objects.count(), Notification.objects.count()) == counts
    assert WebhookDelivery.objects.count() == 3


def test_recovery_clears_and_resolves_with_a_note(people):
    _runway(DAY, "3.5")
    service.alerts_evaluate(business_date=DAY, now=NOW)
    watch = Alert.objects.get(level="watch")
    service.alert_resolve(alert=watch, user=people["finance"], note="Cut the ads")
    later = NOW + timedelta(days=1)
    _runway(DAY + timedelta(days=1), "4.5")  # back above warning, still below watch
    result = service.alerts_evaluate(business_date=DAY + timedelta(days=1), now=later)
    assert (result["raised"], result["cleared"]) == (0, 1)
    warning = Alert.objects.get(level="warning")
    assert (warning.cleared_at, warning.status, warning.resolution_note) == (
        later,
        Alert.Status.RESOLVED,
        "Recovered: 4.50 months",
    )
    _runway(DAY + timedelta(days=2), None)  # cash-positive
    service.alerts_evaluate(business_date=DAY + timedelta(days=2), now=later)
    watch.refresh_from_db()
    assert watch.cleared_at == later and watch.resolution_note == "Cut the ads"  # a person's note is kept
    assert _live() == []
    # Crossing again after recovery raises a new alert; history keeps the old one.
    _runway(DAY + timedelta(days=3), "3.9")
    service.alerts_evaluate(business_date=DAY + timedelta(days=3), now=later)
    assert Alert.objects.filter(level="warning").count() == 2
    assert _live() == [("runway", "warning", "base"), ("runway", "watch", "base")]


def test_lowest_balance_per_scenario_with_its_week_and_the_other_metrics(people):
    snapshot(
        DAY,
        receivables=D("1000.00"),
        overdue_receivables=D("120.00"),  # 12 %: watch and warning
        ccc=D("40.0"),
        gross_margin=D("0.3000"),
        gross_margin_prev=D("0.3300"),  # 3 points: watch
        top_supplier_share=D("0.7500"),  # all three
    )
    snapshot(DAY - timedelta(days=30), ccc=D("29.5"))  # the nearest on or before D - 28: rise 10.5
    snapshot(DAY - timedelta(days=20), ccc=D("0.0"))  # too recent to compare with
    base = forecast_run("base", DAY, lowest_closing="20000.00")  # 2 months: watch
    pessimistic = forecast_run("pessimistic", DAY, lowest_closing="-1000.00", week=7)  # -0.1: all three
    forecast_run("base", DAY + timedelta(days=1), lowest_closing="-99999.00")  # after D: not read
    service.alerts_evaluate(business_date=DAY, now=NOW)
    assert _live() == sorted(
        [
            ("ccc_rise", "watch", "base"),
            ("ccc_rise", "warning", "base"),
            ("lowest_balance", "watch", "base"),
            ("lowest_balance", "watch", "pessimistic"),
            ("lowest_balance", "warning", "pessimistic"),
            ("lowest_balance", "critical", "pessimistic"),
            ("margin_drop", "watch", "base"),
            ("overdue_receivables", "watch", "base"),
            ("overdue_receivables", "warning", "base"),
            ("supplier_concentration", "watch", "base"),
            ("supplier_concentration", "warning", "base"),
            ("supplier_concentration", "critical", "base"),
        ]
    )
    critical = Alert.objects.get(metric="lowest_balance", level="critical")
    assert (critical.value, critical.week_start) == (D("-0.1000"), pessimistic.lowest_week_start)
    assert (
        Alert.objects.get(metric="lowest_balance", scenario__code="base").week_start == base.lowest_week_start
    )
    assert Alert.objects.get(metric="ccc_rise", level="warning").value == D("10.5000")
    overdue_steps = AlertAction.objects.filter(alert__metric="overdue_receivables", alert__level="watch")
    assert "Chase settlements overdue by more than 7 days with the channels" in set(
        overdue_steps.values_list("action", flat=True)
    )
    assert not AlertAction.objects.filter(
        alert__metric="runway", action__startswith="Chase settlements"
    ).exists()


def test_disabled_threshold_and_missing_inputs_raise_nothing(people):
    AlertThreshold.objects.filter(metric="runway", level="watch").update(enabled=False)
    _runway(DAY, "5.0")
    assert service.alerts_evaluate(business_date=DAY)["raised"] == 0
    Alert.objects.all().delete()
    # No snapshot, no run: nothing read, nothing raised or cleared.
    assert service.alerts_evaluate(business_date=DAY - timedelta(days=1)) == {
        "metrics": 0,
        "raised": 0,
        "cleared": 0,
        "live": 0,
    }


def test_acknowledge_resolve_and_action_done(people):
    _runway(DAY, "5.0")
    service.alerts_evaluate(business_date=DAY)
    alert = Alert.objects.get()
    user = people["finance"]
    alert = service.alert_acknowledge(alert=alert, user=user, note=" looking ")
    assert (alert.status, alert.acknowledged_by, alert.acknowledge_note) == ("acknowledged", user, "looking")
    with pytest.raises(ValidationError):
        service.alert_acknowledge(alert=alert, user=user)
    with pytest.raises(ValidationError) as err:
        service.alert_resolve(alert=alert, user=user, note="  ")
    assert "note" in err.value.message_dict
    alert = service.alert_resolve(alert=alert, user=user, note="Postponed two POs")
    assert (alert.status, alert.resolved_by, alert.cleared_at) == ("resolved", user, None)
    action = alert.actions.first()
    action = service.action_done(action=action, user=user, note="done it")
    assert action.done_by == user and action.done_at is not None
    with pytest.raises(ValidationError):
        service.action_done(action=action, user=user)
    # Resolved but still crossed: stays live, nothing new raised.
    assert service.alerts_evaluate(business_date=DAY)["raised"] == 0


def test_thresholds_must_follow_the_direction():
    values = {
        ("runway", "watch"): {"threshold": D("6"), "enabled": True},
        ("runway", "warning"): {"threshold": D("7")},
    }
    with pytest.raises(ValidationError) as err:
        service.thresholds_update(values=values)
    assert "runway__warning" in err.value.message_dict
    with pytest.raises(ValidationError):
        service.thresholds_update(values={("ccc_rise", "critical"): {"threshold": D("4")}})  # below watch 5
    service.thresholds_update(
        values={
            ("runway", "watch"): {"threshold": D("8"), "enabled": False},
            ("ccc_rise", "critical"): {"threshold": D("25")},
        }
    )
    assert AlertThreshold.objects.get(metric="runway", level="watch").enabled is False
    assert AlertThreshold.objects.get(metric="ccc_rise", level="critical").threshold == D("25")


def test_playbook_steps_and_settings_secret():
    step = service.playbook_step_create(
        level="warning", metric="runway", action="Call the bank", owner_role="finance"
    )
    with pytest.raises(ValidationError):
        service.playbook_step_create(level="warning", action="x", owner_role="nobody")
    step = service.playbook_step_update(step=step, action="Call the bank today", position=3)
    assert (step.action, step.position) == ("Call the bank today", 3)
    assert service.playbook_step_deactivate(step=step).active is False
    conf = FinanceSettings.get()
    fields = {f: getattr(conf, f) for f in service.SETTINGS_FIELDS}
    service.finance_settings_update(webhook_secret="abc", **fields)
    assert FinanceSettings.get().webhook_secret == "abc"
    service.finance_settings_update(webhook_secret="", **fields)
    assert FinanceSettings.get().webhook_secret == "abc"
    service.finance_settings_update(webhook_secret_clear=True, **fields)
    assert FinanceSettings.get().webhook_secret == ""
