"""Finance's Celery entry points: thin, each calling one service.

The nightly steps (`shopops/nightly.py`) take the business date as an ISO string and are recorded in JobRun,
so running twice for a date changes nothing: the working-capital snapshot, the 13-week forecast of every
scenario, then the alert evaluation over both."""

from datetime import date

from celery import shared_task

from finance import webhooks
from finance.services.alerts import alerts_evaluate
from finance.services.forecast import cashflow_forecast_build
from finance.services.metrics import metrics_snapshot_build
from finance.services.risk import orders_risk_score
from shopops.common.jobs import job_run_record
from shopops.common.tasking import task_options


@shared_task(
    name="finance.metrics_snapshot_build", **task_options(soft=15 * 60, hard=20 * 60, idempotent=True)
)
def metrics_snapshot_build_task(business_date: str) -> dict:
    day = date.fromisoformat(business_date)

    def work():
        snap = metrics_snapshot_build(business_date=day)
        return {"cash": str(snap.cash), "ccc": str(snap.ccc), "runway_months": str(snap.runway_months)}

    return job_run_record(job="finance.metrics_snapshot_build", business_date=day, work=work).detail


@shared_task(
    name="finance.cashflow_forecast_build", **task_options(soft=30 * 60, hard=35 * 60, idempotent=True)
)
def cashflow_forecast_build_task(business_date: str) -> dict:
    day = date.fromisoformat(business_date)

    def work():
        runs = cashflow_forecast_build(business_date=day)
        return {
            run.scenario.code: {"lowest": str(run.lowest_closing), "week": run.lowest_week_start.isoformat()}
            for run in runs
        }

    return job_run_record(job="finance.cashflow_forecast_build", business_date=day, work=work).detail


@shared_task(name="finance.alerts_evaluate", **task_options(soft=10 * 60, hard=15 * 60, idempotent=True))
def alerts_evaluate_task(business_date: str) -> dict:
    """Not recorded in JobRun: evaluation is idempotent by itself (one live alert per metric, level and
    scenario) and runs again whenever the forecast is rebuilt on demand."""
    return alerts_evaluate(business_date=date.fromisoformat(business_date))


@shared_task(
    name="finance.webhook_deliver",
    bind=True,
    max_retries=webhooks.MAX_ATTEMPTS - 1,
    **task_options(soft=30, hard=45, idempotent=False),
)
def webhook_deliver_task(self, delivery_id: int) -> str:
    """Send one alert webhook outbox row; on failure retry with exponential backoff until given up. In
    process (no worker: eager) there is one attempt: the next evaluation sends what is still pending."""
    outcome = webhooks.webhook_deliver(delivery_id)
    if outcome == "failed" and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=webhooks.backoff_seconds(self.request.retries))
    return outcome


@shared_task(name="finance.order_risk_score", **task_options(soft=4 * 60, hard=270, idempotent=True))
def order_risk_score_task() -> dict:
    """Beat, every 5 minutes: score the orders placed in the last days that have no score yet and hold the
    risky ones before they ship (idempotent: an order is scored once)."""
    return orders_risk_score()
