"""Benchmark: the nightly forecast + classification + replenishment steps on the large demo, against the
forecasting library's own time on the same series.

    createdb -h 127.0.0.1 -U postgres shopops_bench_forecast
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopops_bench_forecast uv run manage.py migrate
    DATABASE_URL=... uv run manage.py seed_demo --scale large        # 10k SKUs, 1M orders, ~4 min
    DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/10 uv run python bench/nightly_forecast.py --workers 2

Starts a Celery worker with --workers processes on a private queue and sends it the chain
inventory.sku_forecast_build (which fans out one task per chunk of SKUs and waits for all) ->
inventory.sku_class_build -> inventory.replenishment_build for the last day of the demand record; the
timing is end to end (demand loaded from DemandDay, forecasts fitted and stored, classes, suggestions). The
chain runs --runs times (the machine is shared: the best run counts; every run is printed).

The floor, in the same run and this process: the same series loaded and prepared (stockout correction,
festival lifts; not timed), then only statsforecast's calls that the step makes — the rolling-origin
cross-validation of each candidate group and the final forecast of each SKU's chosen model — over all
SKUs at once, timed with n_jobs = --workers (the library's own parallelism) and with n_jobs=1 divided by
--workers (a perfect split over the cores); the floor is the lower of the two. Prints SKUs/s and the
ratios to both. Not a test: run by hand.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopops.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghij")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from celery import chain  # noqa: E402
from django.db.models import Count, Max  # noqa: E402

from catalog import selectors as catalog_selectors  # noqa: E402
from inventory import forecast_jobs, forecasting  # noqa: E402
from inventory import tasks as inventory_tasks  # noqa: E402
from inventory.demand import demand_history_get  # noqa: E402
from inventory.models import DemandDay, ReplenishmentSuggestion, SKUClass, SKUForecast  # noqa: E402
from shopops.celery import app  # noqa: E402
from shopops.common.models import JobRun  # noqa: E402

STEPS = ("inventory.sku_forecast_build", "inventory.sku_class_build", "inventory.replenishment_build")


def worker_start(queue: str, workers: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "shopops",
            "worker",
            "-Q",
            queue,
            "-c",
            str(workers),
            "--prefetch-multiplier",
            "1",
            "-O",
            "fair",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{queue}@%h",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1.0):
            return worker
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited; see {log_path}")
    raise SystemExit(f"the worker did not answer within 60 s; see {log_path}")


def run_chain(iso: str, queue: str, chunk_size: int) -> float:
    started = time.monotonic()
    steps = chain(
        inventory_tasks.sku_forecast_build.si(iso, promotions=[], chunk_size=chunk_size).set(queue=queue),
        inventory_tasks.sku_class_build.si(iso).set(queue=queue),
        inventory_tasks.replenishment_build.si(iso).set(queue=queue),
    )
    steps.apply_async().get(timeout=3600)
    return time.monotonic() - started


def library_floor(day, sku_ids: list[int], workers: int) -> tuple[float, float, float, float]:
    """Seconds loading the demand, preparing the series, then in statsforecast for the same work with
    n_jobs=workers, and with n_jobs=1."""
    horizon = 90
    started = time.monotonic()
    history = demand_history_get(end_date=day, days=forecast_jobs.HISTORY_DAYS, sku_ids=sku_ids)
    loaded = time.monotonic()
    lifts = forecast_jobs.festival_lifts_get(business_date=day, horizon=horizon)
    prep = forecasting.forecast_prepare(
        history.sku_ids, history.days, history.demand, history.stockout, horizon=horizon, festival_lifts=lifts
    )
    chosen = dict(SKUForecast.objects.filter(business_date=day).values_list("sku_id", "model"))
    by_model: dict[str, dict] = {}
    for i, sku_id in enumerate(history.sku_ids):
        if prep.length[i] > 0:
            start = int(prep.first_sale[i])
            by_model.setdefault(chosen[sku_id], {})[i] = (start, prep.adjusted[i, start:])
    # warm the compiled models in this process, as the workers are warm on their best run
    for (models, w), series in prep.groups.items():
        few = dict(list(series.items())[:3])
        forecasting.backtest_frame(few, models, windows=w, window_days=28, n_jobs=1)
    prepared = time.monotonic()

    def library(n_jobs: int) -> float:
        started = time.monotonic()
        for (models, w), series in prep.groups.items():
            forecasting.backtest_frame(series, models, windows=w, window_days=28, n_jobs=n_jobs)
        for model, series in by_model.items():
            forecasting.final_frame(series, model, horizon=horizon, n_jobs=n_jobs)
        return time.monotonic() - started

    return loaded - started, prepared - loaded, library(workers), library(1)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (and the floor's n_jobs)")
    parser.add_argument("--chunk-size", type=int, default=forecast_jobs.CHUNK_SIZE)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--date", help="business date (default: the last day of the demand record)")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL (e.g. redis://127.0.0.1:6379/10): the steps run on a Celery worker.")

    last = DemandDay.objects.aggregate(last=Max("day"))["last"]
    if last is None:
        raise SystemExit("No demand record: seed the large demo first (manage.py seed_demo --scale large).")
    from datetime import date

    day = date.fromisoformat(args.date) if args.date else last
    iso = day.isoformat()
    sku_ids = catalog_selectors.sku_ids_active()
    print(
        f"Business date {iso}: {len(sku_ids):,} active SKUs, "
        f"{DemandDay.objects.filter(day__lte=day).count():,} demand-record rows, "
        f"{args.workers} worker processes, chunks of {args.chunk_size}."
    )

    # The classes read the nightly SKU facts (revenue over 90 days) of the step before: build them (not timed).
    from shopops import nightly

    if not JobRun.objects.filter(
        job="catalog.sku_stats_store", business_date=day, status="succeeded"
    ).exists():
        nightly.sku_stats_store.apply(args=[iso], throw=True)

    queue = f"bench-forecast-{uuid.uuid4().hex[:6]}"
    log_path = ROOT / "var" / "bench_nightly_forecast_worker.log"
    log_path.parent.mkdir(exist_ok=True)
    worker = worker_start(queue, args.workers, log_path)
    runs = []
    try:
        for k in range(args.runs):
            JobRun.objects.filter(job__in=STEPS, business_date=day).delete()  # fresh start times per run
            try:
                seconds = run_chain(iso, queue, args.chunk_size)
            except Exception as exc:  # a failing step: report it, and what the steps before it took
                seconds = float("nan")
                print(f"  run {k + 1}: a step failed: {exc!r}"[:400])
            details = {}
            for job in STEPS:  # a failed step has no "seconds": its start and end tell how long it ran
                run = JobRun.objects.get(job=job, business_date=day)
                details[job] = {"seconds": (run.finished_at - run.started_at).total_seconds(), **run.detail}
            runs.append((seconds, details))
            forecast = details[STEPS[0]]
            print(
                f"  run {k + 1}: {seconds:7.1f} s end to end, forecast {forecast.get('elapsed_seconds', 0):.1f} s "
                f"(in the chunks: load {forecast['load_seconds']:.1f} s, fit {forecast['fit_seconds']:.1f} s, "
                f"write {forecast['write_seconds']:.1f} s, {forecast['chunks']} chunks), "
                f"classes {details[STEPS[1]].get('seconds', 0):.1f} s, "
                f"replenishment {details[STEPS[2]].get('elapsed_seconds', details[STEPS[2]].get('seconds', 0)):.1f} s"
            )
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    best, details = min(runs, key=lambda r: (np.isnan(r[0]), r[0]))
    load_s, prep_s, parallel_s, single_s = library_floor(day, sku_ids, args.workers)
    floor_s = min(parallel_s, single_s / args.workers)  # the stricter of the two

    forecasts = SKUForecast.objects.filter(business_date=day)
    models = dict(forecasts.values_list("model").annotate(n=Count("id")).order_by("model"))
    rows = list(forecasts.values_list("wape", "actual_28d", "intermittent"))
    weighted = [(float(w) * a, a) for w, a, _i in rows if w is not None]
    shop_wape = sum(x for x, _a in weighted) / max(sum(a for _x, a in weighted), 1)
    smooth = [float(w) for w, _a, i in rows if w is not None and not i]
    total_error = sum(
        abs(float(b)) * a for b, a in forecasts.exclude(bias=None).values_list("bias", "actual_28d")
    )

    print()
    print(f"Models chosen: {models}; intermittent {sum(i for *_r, i in rows):,} of {len(rows):,}")
    print(
        f"Accuracy, last 28 days: demand-weighted WAPE {shop_wape:.1%} over all SKUs; "
        f"median WAPE of smooth SKUs {np.median(smooth) if smooth else float('nan'):.1%}; "
        f"error of each SKU's 28-day total (|bias|, demand-weighted) {total_error / max(sum(a for _x, a in weighted), 1):.1%}"
    )
    print(
        f"Suggestions: {ReplenishmentSuggestion.objects.filter(business_date=day).count():,}, "
        f"classes: {SKUClass.objects.filter(business_date=day).count():,}"
    )
    print()
    print(f"Nightly steps end to end (best of {len(runs)}): {best:.1f} s = {len(sku_ids) / best:,.0f} SKUs/s")
    print(
        f"Library alone (statsforecast, same calls on the same series): n_jobs={args.workers} {parallel_s:.1f} s; "
        f"n_jobs=1 {single_s:.1f} s, split ideally over {args.workers} cores {single_s / args.workers:.1f} s "
        f"(demand load {load_s:.1f} s and preparation {prep_s:.1f} s not counted)"
    )
    print(f"Floor (the lower of the two): {floor_s:.1f} s = {len(sku_ids) / floor_s:,.0f} SKUs/s")
    print(
        f"Ratio to the floor: {best / floor_s:.2f}x (target <= 2x); to statsforecast's own n_jobs={args.workers}: "
        f"{best / parallel_s:.2f}x; under 15 minutes: {best < 900}"
    )


if __name__ == "__main__":
    main()
