"""Thin Celery entry points of inventory's nightly steps: each takes the business date (ISO) and calls one
service, recorded by (job, business date) in JobRun.

The forecast fans out: `sku_forecast_build` plans the night (active SKUs in chunks, the shop-wide festival
lifts, the promotions' lifts) and replaces itself with a chord of one `sku_forecast_chunk_build` task per
chunk and `sku_forecast_finish` as its body, so the nightly chain goes on only when every chunk is stored
and more workers finish sooner. Run eagerly (`nightly.run_now`, `manage.py run_nightly`, `manage.py demo`,
tests) it does the same work in this process, chunk after chunk.
"""

import time
from datetime import date

from celery import chord, shared_task
from celery.signals import worker_init
from django.utils import timezone

from inventory import demand, forecast_jobs
from shopops.common.jobs import job_run_record
from shopops.common.models import JobRun
from shopops.common.tasking import task_options

FORECAST_JOB = "inventory.sku_forecast_build"


@worker_init.connect
def forecasting_library_import(**kwargs):
    """Import the forecasting library (about 5 s) once in the worker's main process, before it forks its
    pool: every child inherits it, so the nightly chunks do not pay it. Web processes never import it."""
    import statsforecast.models  # noqa: F401


@shared_task(
    name="inventory.demand_record_build", **task_options(soft=15 * 60, hard=20 * 60, idempotent=True)
)
def demand_record_build(business_date: str) -> dict:
    """The demand record (DemandDay rows) of the business date."""
    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="inventory.demand_record_build",
        business_date=day,
        work=lambda: demand.demand_record_build(business_date=day),
    )
    return run.detail


@shared_task(
    name="inventory.sku_forecast_build",
    bind=True,
    **task_options(soft=30 * 60, hard=35 * 60, idempotent=True),
)
def sku_forecast_build(
    self, business_date: str, promotions: list | None = None, chunk_size: int | None = None
) -> dict | None:
    """The nightly forecast of every active SKU; `promotions` is the promotion calendar gathered by the
    pipeline ([{"start", "end", "sku_ids", "lift"}]). On a worker the chunks (of `chunk_size` SKUs) go to the
    queue this task came from."""
    day = date.fromisoformat(business_date)
    chunk_size = chunk_size or forecast_jobs.CHUNK_SIZE
    if self.request.is_eager:
        run = job_run_record(
            job=FORECAST_JOB,
            business_date=day,
            work=lambda: forecast_jobs.sku_forecast_build(
                business_date=day, promotions=promotions or (), chunk_size=chunk_size
            ),
        )
        return run.detail
    started = time.time()
    plan = forecast_jobs.sku_forecast_plan(
        business_date=day, promotions=promotions or (), chunk_size=chunk_size
    )
    if not plan["chunks"]:
        return sku_forecast_finish([], business_date, started=started)
    queue = (self.request.delivery_info or {}).get("routing_key")
    options = {"queue": queue} if queue else {}
    header = [
        sku_forecast_chunk_build.si(business_date, chunk, plan["promotions"], plan["festival_lifts"]).set(
            **options
        )
        for chunk in plan["chunks"]
    ]
    finish = sku_forecast_finish.s(business_date, started=started).set(**options)
    finish.link_error(sku_forecast_failed.si(business_date).set(**options))
    return self.replace(chord(header, finish))


@shared_task(
    name="inventory.sku_forecast_chunk_build", **task_options(soft=30 * 60, hard=35 * 60, idempotent=True)
)
def sku_forecast_chunk_build(
    business_date: str, sku_ids: list[int], promotions: list[dict], festival_lifts: dict[str, float]
) -> dict:
    """One chunk of the nightly forecast (replaces that date's forecasts of these SKUs)."""
    return forecast_jobs.sku_forecast_build(
        business_date=date.fromisoformat(business_date),
        sku_ids=sku_ids,
        promotions=promotions,
        festival_lifts=festival_lifts,
    )


@shared_task(
    name="inventory.sku_forecast_finish", **task_options(soft=10 * 60, hard=15 * 60, idempotent=True)
)
def sku_forecast_finish(details: list[dict], business_date: str, started: float | None = None) -> dict:
    """The chord's body: prune old forecasts and record the step with the chunks' summed figures."""
    day = date.fromisoformat(business_date)

    def work() -> dict:
        detail = forecast_jobs.sku_forecast_summary_merge(details)
        detail["pruned"] = forecast_jobs.sku_forecasts_prune(business_date=day)
        if started is not None:
            detail["elapsed_seconds"] = round(time.time() - started, 3)
        return detail

    return job_run_record(job=FORECAST_JOB, business_date=day, work=work).detail


@shared_task(name="inventory.sku_forecast_failed", **task_options(soft=1 * 60, hard=90, idempotent=True))
def sku_forecast_failed(business_date: str) -> None:
    """A chunk failed, so the chord's body will not run: record the step as failed for the date (the chunks
    that succeeded keep their rows; a rerun replaces them)."""
    JobRun.objects.update_or_create(
        job=FORECAST_JOB,
        business_date=date.fromisoformat(business_date),
        defaults={
            "status": JobRun.Status.FAILED,
            "finished_at": timezone.now(),
            "detail": {"error": "a chunk of the forecast failed; see the worker log"},
        },
    )


@shared_task(name="inventory.sku_class_build", **task_options(soft=15 * 60, hard=20 * 60, idempotent=True))
def sku_class_build(business_date: str) -> dict:
    """ABC (revenue, 90 days) and XYZ (demand variability) classes of the active SKUs."""
    from inventory import planning  # written alongside; imported when the step runs

    day = date.fromisoformat(business_date)
    run = job_run_record(
        job="inventory.sku_class_build",
        business_date=day,
        work=lambda: planning.sku_class_build(business_date=day),
    )
    return run.detail


REPLENISHMENT_JOB = "inventory.replenishment_build"


@shared_task(
    name="inventory.replenishment_build",
    bind=True,
    **task_options(soft=30 * 60, hard=35 * 60, idempotent=True),
)
def replenishment_build(self, business_date: str, chunk_size: int = 1000) -> dict | None:
    """Replenishment suggestions (purchases and transfers) from the latest forecasts, classes and stock.

    Like the forecast, on a worker it replaces itself with a chord of one task per chunk of SKUs and a
    finishing task; eagerly it plans every SKU in this process."""
    from inventory import planning

    day = date.fromisoformat(business_date)
    if self.request.is_eager:
        run = job_run_record(
            job=REPLENISHMENT_JOB,
            business_date=day,
            work=lambda: planning.replenishment_build(business_date=day),
        )
        return run.detail
    started = time.time()
    chunks = planning.replenishment_chunks(business_date=day, chunk_size=chunk_size)
    if not chunks:
        return replenishment_finish([], business_date, started=started)
    queue = (self.request.delivery_info or {}).get("routing_key")
    options = {"queue": queue} if queue else {}
    scores = planning.supplier_scores_get(business_date=day)
    header = [replenishment_chunk_build.si(business_date, chunk, scores).set(**options) for chunk in chunks]
    finish = replenishment_finish.s(business_date, started=started).set(**options)
    finish.link_error(step_failed.si(REPLENISHMENT_JOB, business_date).set(**options))
    return self.replace(chord(header, finish))


@shared_task(
    name="inventory.replenishment_chunk_build", **task_options(soft=30 * 60, hard=35 * 60, idempotent=True)
)
def replenishment_chunk_build(business_date: str, sku_ids: list[int], scores: dict | None = None) -> dict:
    """One chunk of the night's replenishment (replaces these SKUs' open suggestions of the date);
    `scores` are the suppliers' scores of the night (JSON: supplier ids as text)."""
    from inventory import planning

    return planning.replenishment_build(
        business_date=date.fromisoformat(business_date),
        sku_ids=sku_ids,
        scores=None if scores is None else {int(k): v for k, v in scores.items()},
    )


@shared_task(
    name="inventory.replenishment_finish", **task_options(soft=10 * 60, hard=15 * 60, idempotent=True)
)
def replenishment_finish(details: list[dict], business_date: str, started: float | None = None) -> dict:
    """The chord's body: record the step with the chunks' summed counts."""
    from inventory import planning

    def work() -> dict:
        detail = planning.replenishment_summary_merge(details)
        if started is not None:
            detail["elapsed_seconds"] = round(time.time() - started, 3)
        return detail

    return job_run_record(
        job=REPLENISHMENT_JOB, business_date=date.fromisoformat(business_date), work=work
    ).detail


@shared_task(name="inventory.step_failed", **task_options(soft=1 * 60, hard=90, idempotent=True))
def step_failed(job: str, business_date: str) -> None:
    """A chunk of a fanned-out step failed, so the chord's body will not run: record the step as failed for
    the date (the chunks that succeeded keep their rows; a rerun replaces them)."""
    JobRun.objects.update_or_create(
        job=job,
        business_date=date.fromisoformat(business_date),
        defaults={
            "status": JobRun.Status.FAILED,
            "finished_at": timezone.now(),
            "detail": {"error": "a chunk of the step failed; see the worker log"},
        },
    )
