"""Reads of the alerts: the history with its filters, the live counts by level, one alert with its action
items, the thresholds as a metric x level table and the playbook."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from finance.models import Alert, AlertAction, AlertThreshold, Level, Metric, PlaybookStep, Scenario
from finance.models.alerts import LEVEL_ORDER


def alert_list(
    *, status: str = "", level: str = "", metric: str = "", scenario: str = "", live: str = ""
) -> QuerySet[Alert]:
    """Alerts newest first. ``status``/``level``/``metric`` are codes, ``scenario`` a scenario code;
    ``live`` "1": only alerts not cleared yet, "0": only cleared ones."""
    qs = Alert.objects.select_related("scenario", "acknowledged_by", "resolved_by")
    if status in Alert.Status.values:
        qs = qs.filter(status=status)
    if level in Level.values:
        qs = qs.filter(level=level)
    if metric in Metric.values:
        qs = qs.filter(metric=metric)
    if scenario:
        qs = qs.filter(scenario__code=scenario)
    if live == "1":
        qs = qs.filter(cleared_at__isnull=True)
    elif live == "0":
        qs = qs.filter(cleared_at__isnull=False)
    return qs.order_by("-raised_at", "-id")


def alert_live_counts() -> dict[str, int]:
    """Live (not cleared) alerts per level, every level present."""
    counts = dict.fromkeys(LEVEL_ORDER, 0)
    rows = Alert.objects.filter(cleared_at__isnull=True).values("level").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["level"]] = row["n"]
    return {str(k): v for k, v in counts.items()}


def alert_live_list() -> QuerySet[Alert]:
    """Live alerts, the most severe first."""
    qs = Alert.objects.filter(cleared_at__isnull=True).select_related("scenario")
    rank = {level: index for index, level in enumerate(reversed(LEVEL_ORDER))}
    return sorted(qs, key=lambda a: (rank.get(a.level, 9), -a.raised_at.timestamp(), -a.pk))


def alert_live_for_scenario(*, scenario_code: str) -> list[Alert]:
    """The scenario's live alerts, the most severe first, with their action items prefetched."""
    qs = (
        Alert.objects.filter(cleared_at__isnull=True, scenario__code=scenario_code)
        .select_related("scenario")
        .prefetch_related("actions")
    )
    rank = {level: index for index, level in enumerate(reversed(LEVEL_ORDER))}
    return sorted(qs, key=lambda a: (rank.get(a.level, 9), -a.raised_at.timestamp(), -a.pk))


def alert_get(*, pk: int) -> Alert | None:
    return Alert.objects.select_related("scenario", "acknowledged_by", "resolved_by").filter(pk=pk).first()


def alert_actions(*, alert: Alert) -> QuerySet[AlertAction]:
    return alert.actions.select_related("owner", "done_by").order_by("id")


def action_get(*, pk: int) -> AlertAction | None:
    return AlertAction.objects.select_related("alert").filter(pk=pk).first()


@dataclass
class ThresholdRow:
    metric: str
    label: str
    below: bool
    levels: list[AlertThreshold]  # watch, warning, critical (missing levels left out)


def threshold_table() -> list[ThresholdRow]:
    by_metric: dict[str, dict[str, AlertThreshold]] = {}
    for t in AlertThreshold.objects.all():
        by_metric.setdefault(t.metric, {})[t.level] = t
    rows = []
    for metric in Metric:
        levels = by_metric.get(metric.value, {})
        ordered = [levels[level] for level in LEVEL_ORDER if level in levels]
        if ordered:
            rows.append(ThresholdRow(metric.value, str(metric.label), ordered[0].below, ordered))
    return rows


def playbook_step_list(*, include_inactive: bool = True) -> list[PlaybookStep]:
    qs = PlaybookStep.objects.all()
    if not include_inactive:
        qs = qs.filter(active=True)
    rank = {level: index for index, level in enumerate(LEVEL_ORDER)}
    return sorted(qs, key=lambda s: (rank.get(s.level, 9), not s.active, s.position, s.pk))


def playbook_step_get(*, pk: int) -> PlaybookStep | None:
    return PlaybookStep.objects.filter(pk=pk).first()


def scenario_choices() -> list[tuple[str, str]]:
    return list(Scenario.objects.order_by("-builtin", "id").values_list("code", "name"))
