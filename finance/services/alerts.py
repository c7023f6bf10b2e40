"""Evaluating the three-level alerts, and the people's actions on them (acknowledge, resolve, tick off an
action item), the thresholds, the playbook and the finance settings.

Evaluation reads one value per metric (and per scenario for the lowest projected balance) and compares it
with each level's threshold. Each (metric, scenario) is evaluated in its own transaction, holding the
scenario's row lock, so that:
- a crossed level with no live alert raises one (with its playbook's action items, the notifications and
  the webhook outbox row, all committed together);
- a level no longer crossed clears its live alert (and resolves it, noting the value, if nobody had);
- a worker killed in the middle loses nothing committed, and the rerun only adds what is missing. The
  notifications are keyed by the alert and the outbox row by the alert event, so nothing is sent twice.
The partial unique constraint ``alert_live_uniq`` backs this up should two evaluations ever race."""

import os
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from finance import metrics as formulas
from finance import webhooks
from finance.models import (
    Alert,
    AlertAction,
    AlertThreshold,
    FinanceSettings,
    ForecastRun,
    Level,
    Metric,
    MetricSnapshot,
    PlaybookStep,
    Scenario,
    WebhookDelivery,
)
from finance.models.alerts import LEVEL_ORDER
from shopops.common import roles
from shopops.common.models import Notification
from shopops.common.notifications import notification_send, users_with_roles

PAUSE_ENV = "FINANCE_ALERTS_PAUSE_SECONDS"  # kill tests: sleep this long between metrics
BASE = "base"
CCC_LOOKBACK_DAYS = 28
VALUE_PLACES = Decimal("0.0001")

NOTIFICATION_LEVEL = {
    Level.WATCH: Notification.Level.INFO,
    Level.WARNING: Notification.Level.WARNING,
    Level.CRITICAL: Notification.Level.CRITICAL,
}

# Per-scenario metrics (on every scenario with evaluate_alerts); the others read the base scenario only.
SCENARIO_METRICS = (Metric.LOWEST_BALANCE,)


@dataclass(frozen=True)
class Reading:
    """One metric's value to compare with its thresholds. ``value`` None: nothing crossed (runway when
    cash-positive, a figure that cannot be computed)."""

    metric: str
    scenario_id: int
    value: Decimal | None
    week_start: date | None = None


def format_value(metric: str, value: Decimal | None) -> str:
    """A metric value for people: months, days, or a percentage."""
    if value is None:
        return _("cash-positive") if metric == Metric.RUNWAY else _("n/a")
    if metric in (Metric.RUNWAY, Metric.LOWEST_BALANCE):
        return _("%(value)s months") % {"value": value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)}
    if metric == Metric.CCC_RISE:
        return _("%(value)s days") % {"value": value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)}
    percent = (value * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if metric == Metric.MARGIN_DROP:
        return _("%(value)s points") % {"value": percent}
    return f"{percent} %"


def _snapshot_on_or_before(day: date) -> MetricSnapshot | None:
    return MetricSnapshot.objects.filter(business_date__lte=day).order_by("-business_date").first()


def alert_readings(*, business_date: date) -> list[Reading]:
    """The values evaluated for `business_date`: the latest snapshot on or before it (base scenario) and,
    per alert-evaluating scenario, its latest forecast run on or before it. A metric with no snapshot or
    run to read is left out (neither raised nor cleared)."""
    readings: list[Reading] = []
    snapshot = _snapshot_on_or_before(business_date)
    base = Scenario.objects.filter(code=BASE).first()
    if snapshot is not None and base is not None:
        earlier = _snapshot_on_or_before(snapshot.business_date - timedelta(days=CCC_LOOKBACK_DAYS))
        ccc_rise = (
            snapshot.ccc - earlier.ccc
            if earlier is not None and snapshot.ccc is not None and earlier.ccc is not None
            else None
        )
        margin_drop = (
            snapshot.gross_margin_prev - snapshot.gross_margin
            if snapshot.gross_margin is not None and snapshot.gross_margin_prev is not None
            else None
        )
        overdue = formulas.share(snapshot.overdue_receivables, snapshot.receivables)
        readings += [
            Reading(Metric.RUNWAY, base.pk, snapshot.runway_months),
            Reading(Metric.OVERDUE_RECEIVABLES, base.pk, overdue),
            Reading(Metric.CCC_RISE, base.pk, ccc_rise),
            Reading(Metric.MARGIN_DROP, base.pk, margin_drop),
            Reading(Metric.SUPPLIER_CONCENTRATION, base.pk, snapshot.top_supplier_share),
        ]
    for scenario in Scenario.objects.filter(evaluate_alerts=True).order_by("-builtin", "id"):
        run = (
            ForecastRun.objects.filter(scenario=scenario, business_date__lte=business_date)
            .order_by("-business_date")
            .first()
        )
        if run is None:
            continue
        value = formulas.months_of(run.lowest_closing, run.monthly_fixed_costs)
        readings.append(Reading(Metric.LOWEST_BALANCE, scenario.pk, value, run.lowest_week_start))
    return readings


def _crossed(threshold: AlertThreshold | None, value: Decimal | None) -> bool:
    if threshold is None or not threshold.enabled or value is None:
        return False
    return value < threshold.threshold if threshold.below else value > threshold.threshold


def _detail(reading: Reading, threshold: AlertThreshold, scenario: Scenario) -> str:
    params = {
        "metric": Metric(reading.metric).label,
        "value": format_value(reading.metric, reading.value),
        "level": Level(threshold.level).label,
        "threshold": format_value(reading.metric, threshold.threshold),
        "scenario": scenario.label,
    }
    if threshold.below:
        text = _("%(metric)s is %(value)s, below the %(level)s level of %(threshold)s (%(scenario)s).")
    else:
        text = _("%(metric)s is %(value)s, above the %(level)s level of %(threshold)s (%(scenario)s).")
    text = text % params
    if reading.week_start:
        text += " " + _("Week of %(week)s.") % {"week": reading.week_start.isoformat()}
    return text[:500]


def _payload(alert: Alert, scenario: Scenario) -> dict:
    return {
        "event": "alert.raised",
        "alert_id": alert.pk,
        "metric": alert.metric,
        "level": alert.level,
        "scenario": scenario.code,
        "value": str(alert.value),
        "threshold": str(alert.threshold),
        "business_date": alert.business_date.isoformat(),
        "week_start": alert.week_start.isoformat() if alert.week_start else None,
        "detail": alert.detail,
        "raised_at": alert.raised_at.isoformat(),
        "url": reverse("finance:alert-detail", args=[alert.pk]),
    }


def _enqueue_delivery(delivery_id: int) -> None:
    """Queue the delivery through the task outbox (a broker outage leaves it pending, never blocks); on a
    worker, on the queue the evaluation came from."""
    from celery import current_task

    from finance.tasks import webhook_deliver_task  # the tasks module imports this one
    from shopops.common.outbox import enqueue_task

    queue = None
    if current_task and not current_task.request.is_eager:
        queue = (current_task.request.delivery_info or {}).get("routing_key")
    enqueue_task(webhook_deliver_task.name, args=[delivery_id], queue=queue or "")


def _raise(
    *,
    reading: Reading,
    threshold: AlertThreshold,
    scenario: Scenario,
    business_date: date,
    now,
    conf,
    enqueued: set[int],
) -> Alert | None:
    try:
        with transaction.atomic():  # a savepoint: a racing evaluation's live alert wins
            alert = Alert.objects.create(
                metric=reading.metric,
                level=threshold.level,
                scenario=scenario,
                status=Alert.Status.OPEN,
                value=reading.value.quantize(VALUE_PLACES, rounding=ROUND_HALF_UP),
                threshold=threshold.threshold,
                business_date=business_date,
                week_start=reading.week_start,
                detail=_detail(reading, threshold, scenario),
                raised_at=now,
            )
    except IntegrityError:
        return None
    steps = list(
        PlaybookStep.objects.filter(active=True, level=threshold.level)
        .filter(Q(metric="") | Q(metric=reading.metric))
        .order_by("position", "id")
    )
    AlertAction.objects.bulk_create(
        AlertAction(alert=alert, step=s, action=s.action, action_zh=s.action_zh, owner_role=s.owner_role)
        for s in steps
    )
    owner_roles = {s.owner_role for s in steps} | {roles.FINANCE}
    if threshold.level != Level.WATCH:
        owner_roles.add(roles.MANAGER)
    notification_send(
        users=users_with_roles(owner_roles),
        key=f"finance-alert:{alert.pk}",
        title=_("Cash alert, %(level)s: %(metric)s")
        % {"level": Level(threshold.level).label, "metric": Metric(reading.metric).label},
        body=alert.detail,
        url=reverse("finance:alert-detail", args=[alert.pk]),
        level=NOTIFICATION_LEVEL[threshold.level],
        email=threshold.level != Level.WATCH,
    )
    if conf.webhook_url:
        delivery, created = WebhookDelivery.objects.get_or_create(
            event_key=f"alert:{alert.pk}:raised",
            defaults={"alert": alert, "url": conf.webhook_url, "payload": _payload(alert, scenario)},
        )
        if created:
            enqueued.add(delivery.pk)
            transaction.on_commit(lambda pk=delivery.pk: _enqueue_delivery(pk))
    return alert


def _clear(alert: Alert, value: Decimal | None, now) -> None:
    alert.cleared_at = now
    fields = ["cleared_at"]
    if alert.status != Alert.Status.RESOLVED:
        alert.status = Alert.Status.RESOLVED
        alert.resolved_at = now
        alert.resolution_note = _("Recovered: %(value)s") % {"value": format_value(alert.metric, value)}
        fields += ["status", "resolved_at", "resolution_note"]
    alert.save(update_fields=fields)


def _evaluate(*, reading: Reading, business_date: date, now, conf, enqueued: set[int]) -> tuple[int, int]:
    """One metric (and scenario) in one transaction: raise what is crossed, clear what recovered."""
    raised = cleared = 0
    with transaction.atomic():
        # The scenario's row lock serialises evaluations of the same metrics; the thresholds are read
        # inside, so an edit in between is seen whole.
        scenario = Scenario.objects.select_for_update().get(pk=reading.scenario_id)
        thresholds = {t.level: t for t in AlertThreshold.objects.filter(metric=reading.metric)}
        live = {
            a.level: a
            for a in Alert.objects.select_for_update().filter(
                metric=reading.metric, scenario=scenario, cleared_at__isnull=True
            )
        }
        for level in LEVEL_ORDER:
            threshold = thresholds.get(level)
            crossed = _crossed(threshold, reading.value)
            if crossed and level not in live:
                alert = _raise(
                    reading=reading,
                    threshold=threshold,
                    scenario=scenario,
                    business_date=business_date,
                    now=now,
                    conf=conf,
                    enqueued=enqueued,
                )
                raised += alert is not None
            elif not crossed and level in live:
                _clear(live[level], reading.value, now)
                cleared += 1
            elif crossed:
                _refresh(
                    live[level],
                    reading=reading,
                    threshold=threshold,
                    scenario=scenario,
                    business_date=business_date,
                )
    return raised, cleared


def _refresh(alert: Alert, *, reading, threshold, scenario, business_date: date) -> None:
    """A live alert still crossed shows the latest reading (value, week, as-of date); it is not raised
    again and nobody is notified again."""
    if business_date < alert.business_date:
        return  # a replay of an older date does not overwrite a newer reading
    alert.value = reading.value
    alert.week_start = reading.week_start
    alert.business_date = business_date
    alert.detail = _detail(reading, threshold, scenario)[:500]
    alert.save(update_fields=["value", "week_start", "business_date", "detail"])


def _pause() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        time.sleep(float(seconds))


def alerts_evaluate(*, business_date: date, now=None) -> dict:
    """Compare the latest snapshot and each alert-evaluating scenario's latest run with the thresholds;
    raise what is newly crossed (with its playbook's action items, notifications and webhook outbox row),
    clear what recovered. Idempotent: running again raises and sends nothing new. Returns counts.

    `now` is the time recorded as raised or cleared (default: now); the demo replays past dates with it."""
    now = now or timezone.now()
    conf = FinanceSettings.get()
    readings = alert_readings(business_date=business_date)
    raised = cleared = 0
    enqueued: set[int] = set()  # outbox rows whose delivery this run already queued
    for index, reading in enumerate(readings):
        if index:
            _pause()
        r, c = _evaluate(reading=reading, business_date=business_date, now=now, conf=conf, enqueued=enqueued)
        raised += r
        cleared += c
    # Outbox rows a dead worker never sent (their task message was lost with it) go out again; a row
    # already sent, or being sent, is skipped by the delivery itself.
    for delivery_id in sorted(set(webhooks.webhook_pending_ids()) - enqueued):
        transaction.on_commit(lambda pk=delivery_id: _enqueue_delivery(pk))
    return {
        "metrics": len(readings),
        "raised": raised,
        "cleared": cleared,
        "live": Alert.objects.filter(cleared_at__isnull=True).count(),
    }


# ---------------------------------------------------------------------------------------------
# People's actions
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def alert_acknowledge(*, alert: Alert, user, note: str = "") -> Alert:
    """Someone has seen the alert and is acting on it."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.OPEN:
        raise ValidationError(_("Only an open alert can be acknowledged."))
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = user
    alert.acknowledge_note = (note or "").strip()
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledge_note"])
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, user, note: str) -> Alert:
    """Close the alert with a note saying what was done. It stays live (deduplicating) until the metric
    recovers."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done to resolve the alert.")})
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == Alert.Status.RESOLVED:
        raise ValidationError(_("The alert is already resolved."))
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = timezone.now()
    alert.resolved_by = user
    alert.resolution_note = note
    alert.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
    return alert


@transaction.atomic
def action_done(*, action: AlertAction, user, note: str = "") -> AlertAction:
    action = AlertAction.objects.select_for_update().get(pk=action.pk)
    if action.done_at is not None:
        raise ValidationError(_("This action is already done."))
    action.done_at = timezone.now()
    action.done_by = user
    action.note = (note or "").strip()[:300]
    action.save(update_fields=["done_at", "done_by", "note"])
    return action


# ---------------------------------------------------------------------------------------------
# Thresholds, playbook, settings
# ---------------------------------------------------------------------------------------------
def threshold_field(metric: str, level: str) -> str:
    return f"{metric}__{level}"


@transaction.atomic
def thresholds_update(*, values: dict[tuple[str, str], dict]) -> list[AlertThreshold]:
    """Set thresholds: ``values[(metric, level)] = {"threshold": Decimal, "enabled": bool}``. Per metric the
    levels must be ordered with its direction: for a metric crossed when below, watch > warning > critical;
    otherwise watch < warning < critical. Errors name the field ``<metric>__<level>``."""
    rows = {(t.metric, t.level): t for t in AlertThreshold.objects.select_for_update()}
    errors: dict[str, list[str]] = {}
    for (metric, level), new in values.items():
        if (metric, level) not in rows:
            errors.setdefault(threshold_field(metric, level), []).append(_("Unknown metric or level."))
            continue
        if new.get("threshold") is None:
            errors.setdefault(threshold_field(metric, level), []).append(_("Enter a threshold."))
    if errors:
        raise ValidationError(errors)
    for metric in Metric.values:
        levels = [rows.get((metric, level)) for level in LEVEL_ORDER]
        if None in levels:
            continue
        numbers = [values.get((metric, t.level), {}).get("threshold", t.threshold) for t in levels]
        below = levels[0].below
        ordered = all((a > b) if below else (a < b) for a, b in zip(numbers, numbers[1:], strict=False))
        if not ordered:
            message = (
                _("Crossed when below: watch must be above warning, and warning above critical.")
                if below
                else _("Crossed when above: watch must be below warning, and warning below critical.")
            )
            errors.setdefault(threshold_field(metric, Level.WARNING), []).append(message)
    if errors:
        raise ValidationError(errors)
    changed = []
    for key, new in values.items():
        row = rows[key]
        row.threshold = new["threshold"]
        if "enabled" in new:
            row.enabled = bool(new["enabled"])
        row.save(update_fields=["threshold", "enabled", "updated_at"])
        changed.append(row)
    return changed


PLAYBOOK_FIELDS = ("level", "metric", "action", "action_zh", "owner_role", "position", "active")


def _playbook_validate(values: dict) -> None:
    errors = {}
    if values.get("level") not in Level.values:
        errors["level"] = [_("Choose a level.")]
    if values.get("metric") and values["metric"] not in Metric.values:
        errors["metric"] = [_("Choose a metric.")]
    if values.get("owner_role") not in roles.ROLES:
        errors["owner_role"] = [_("Choose a role.")]
    if not (values.get("action") or "").strip():
        errors["action"] = [_("Describe the action.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def playbook_step_create(
    *,
    level: str,
    metric: str = "",
    action: str,
    action_zh: str = "",
    owner_role: str,
    position: int | None = None,
    active: bool = True,
) -> PlaybookStep:
    values = {
        "level": level,
        "metric": metric or "",
        "action": (action or "").strip(),
        "action_zh": (action_zh or "").strip(),
        "owner_role": owner_role,
        "active": active,
    }
    _playbook_validate(values)
    if position is None:
        last = PlaybookStep.objects.order_by("-position").values_list("position", flat=True).first()
        position = (last or 0) + 1
    return PlaybookStep.objects.create(position=position, **values)


@transaction.atomic
def playbook_step_update(*, step: PlaybookStep, **values) -> PlaybookStep:
    """Edit a step; alerts already raised keep their copy of the action."""
    current = {f: getattr(step, f) for f in PLAYBOOK_FIELDS}
    current.update({k: v for k, v in values.items() if k in PLAYBOOK_FIELDS})
    current["metric"] = current["metric"] or ""
    current["action"] = (current["action"] or "").strip()
    current["action_zh"] = (current["action_zh"] or "").strip()
    if current["position"] is None:
        current["position"] = step.position
    _playbook_validate(current)
    for field, value in current.items():
        setattr(step, field, value)
    step.save()
    return step


@transaction.atomic
def playbook_step_deactivate(*, step: PlaybookStep) -> PlaybookStep:
    step.active = False
    step.save(update_fields=["active"])
    return step


SETTINGS_FIELDS = (
    "cushion_months",
    "cushion_target_months",
    "tax_rate",
    "tax_day",
    "delivery_days",
    "overdue_grace_days",
    "books_open_on",
    "credit_line",
    "logistics_cost_per_order",
    "risk_hold_score",
    "risk_cod_high_value",
    "webhook_url",
)


@transaction.atomic
def finance_settings_update(*, webhook_secret: str = "", webhook_secret_clear: bool = False, **values):
    """Save the finance settings. The webhook secret is write-only: blank keeps the stored one, `clear`
    removes it."""
    errors = {}
    cushion, target = values.get("cushion_months"), values.get("cushion_target_months")
    if cushion is not None and target is not None and target < cushion:
        errors["cushion_target_months"] = [_("The target cannot be below the cushion.")]
    if values.get("tax_day") is not None and not 1 <= values["tax_day"] <= 28:
        errors["tax_day"] = [_("Choose a day from 1 to 28.")]
    if values.get("tax_rate") is not None and not Decimal("0") <= values["tax_rate"] < Decimal("1"):
        errors["tax_rate"] = [_("Enter a share from 0 to below 1 (0.0300 = 3 %).")]
    if errors:
        raise ValidationError(errors)
    conf = FinanceSettings.objects.select_for_update().get(pk=FinanceSettings.get().pk)
    for field in SETTINGS_FIELDS:
        if field in values:
            setattr(conf, field, values[field])
    if webhook_secret_clear:
        conf.webhook_secret = ""
    elif webhook_secret:
        conf.webhook_secret = webhook_secret.strip()
    conf.save()
    return conf
