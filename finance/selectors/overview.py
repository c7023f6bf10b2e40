"""What the finance overview shows: cash today, the latest 13-week forecast of the base (and pessimistic)
scenario, the working-capital snapshot with its trend, and the live alerts."""

from datetime import date, timedelta

from finance import metrics as formulas
from finance.models import FinanceSettings, MetricSnapshot
from finance.selectors import alerts as alert_selectors
from finance.selectors import forecast as forecast_selectors
from finance.selectors import positions
from shopops.common.money import ZERO

TREND_WEEKS = 12
PESSIMISTIC = "pessimistic"


def snapshot_latest(*, on: date) -> MetricSnapshot | None:
    return MetricSnapshot.objects.filter(business_date__lte=on).order_by("-business_date").first()


def snapshot_trend(*, on: date, weeks: int = TREND_WEEKS) -> list[MetricSnapshot]:
    """The snapshots of the last `weeks` weeks up to `on`, oldest first."""
    return list(
        MetricSnapshot.objects.filter(
            business_date__gt=on - timedelta(days=7 * weeks), business_date__lte=on
        ).order_by("business_date")
    )


def finance_overview(*, today: date) -> dict:
    accounts = positions.cash_by_account(as_of=today)
    base_run = forecast_selectors.forecast_latest(scenario_code="base")
    pessimistic_run = forecast_selectors.forecast_latest(scenario_code=PESSIMISTIC)
    snapshot = snapshot_latest(on=today)
    return {
        "today": today,
        "settings": FinanceSettings.get(),
        "accounts": accounts,
        "cash": sum((row["balance"] for row in accounts), ZERO),
        "base_run": base_run,
        "base_weeks": forecast_selectors.forecast_weeks(run=base_run) if base_run else [],
        "pessimistic_run": pessimistic_run,
        "pessimistic_weeks": (
            forecast_selectors.forecast_weeks(run=pessimistic_run) if pessimistic_run else []
        ),
        "snapshot": snapshot,
        "overdue_share": (
            formulas.share(snapshot.overdue_receivables, snapshot.receivables) if snapshot else None
        ),
        "trend": snapshot_trend(on=today),
        "live_counts": alert_selectors.alert_live_counts(),
        "live_alerts": alert_selectors.alert_live_list(),
    }
