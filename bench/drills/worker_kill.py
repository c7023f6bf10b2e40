"""Drill: a Celery worker killed mid-task.

1. The pool child running a long idempotent task (``common.canary``, 20 s, acks_late + reject_on_worker_lost)
   is killed with SIGKILL: the worker's main process sees the child lost, rejects the message with requeue,
   and the task runs again at once and completes once (JobRun ``canary:<key>`` with runs == 1: the cut-off
   run left nothing).
2. The whole worker (main process and pool) is killed with SIGKILL while the task runs: nobody rejects the
   message; it stays in Redis' unacked set and is restored to the queue once the visibility timeout has
   passed (set short for the drill: CELERY_VISIBILITY_TIMEOUT=--visibility, default 30 s; production: 1 h).
   A new worker then runs it once.

    uv run python bench/drills/worker_kill.py [--database-url ...] [--visibility 30]
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import Redis, Stack, log  # noqa: E402
from redis_outage import ensure_database  # noqa: E402

TASK_SECONDS = 20


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/shopops_drill")
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--visibility", type=int, default=30)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="drill-kill-"))
    log(f"logs in {workdir}")
    ensure_database(args.database_url)
    redis = Redis(args.redis_port, workdir)
    redis.start()
    stack = Stack(
        database_url=args.database_url,
        redis=redis,
        workdir=workdir,
        extra_env={"CELERY_VISIBILITY_TIMEOUT": str(args.visibility)},
    )
    queue = f"drill-{uuid.uuid4().hex[:6]}"
    app = Celery(broker=redis.url, backend=redis.url)
    verdicts = []
    try:
        stack.manage("migrate", "--noinput")

        # --- 1. the pool child is killed -------------------------------------------------------------
        key = f"child-{uuid.uuid4().hex[:6]}"
        stack.start_worker("worker1", concurrency=1, queues=queue)
        if not stack.wait_log("worker1", "ready.", 300):
            raise RuntimeError("worker did not start")
        main_pid = int(
            subprocess.run(
                ["pgrep", "-f", "-o", "worker1@drill"], capture_output=True, text=True
            ).stdout.split()[0]
        )
        sent = time.monotonic()
        result = app.send_task("common.canary", args=[key, TASK_SECONDS], queue=queue)
        stack.wait_log("worker1", "Task common.canary", 60)
        time.sleep(5)  # mid-task
        pool = children(main_pid)
        log(f"kill -9 pool child {pool} of worker {main_pid}")
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        detail = result.get(timeout=180)
        took = time.monotonic() - sent
        runs = stack.scalar("SELECT runs FROM common_jobrun WHERE job = %s", f"canary:{key}")
        status = stack.scalar("SELECT status FROM common_jobrun WHERE job = %s", f"canary:{key}")
        received = (workdir / "worker1.log").read_text().count(f"Task common.canary[{result.id}] received")
        lost = "WorkerLostError" in (workdir / "worker1.log").read_text()
        print(
            f"\n1. pool child killed: result {detail}, {took:.1f} s after sending; delivered {received} times, "
            f"WorkerLostError seen {lost}; JobRun runs={runs} status={status}"
        )
        verdicts.append(
            (
                "child killed: requeued and completed once",
                received == 2 and runs == 1 and status == "succeeded",
                f"delivered {received}x, runs {runs}, {status}",
            )
        )
        stack.stop("worker1")

        # --- 2. the whole worker is killed ------------------------------------------------------------
        key = f"whole-{uuid.uuid4().hex[:6]}"
        stack.start_worker("worker2", concurrency=1, queues=queue)
        if not stack.wait_log("worker2", "ready.", 300):
            raise RuntimeError("worker did not start")
        result = app.send_task("common.canary", args=[key, TASK_SECONDS], queue=queue)
        stack.wait_log("worker2", "Task common.canary", 60)
        time.sleep(5)
        killed_at = time.monotonic()
        log("kill -9 the whole worker (main process and pool)")
        stack.stop("worker2", sig=signal.SIGKILL)
        unacked = subprocess.run(
            ["redis-cli", "-p", str(args.redis_port), "hlen", "unacked"], capture_output=True, text=True
        ).stdout.strip()
        log(f"unacked messages in Redis: {unacked}; starting a new worker")
        size = stack.log_size("worker3")
        stack.start_worker("worker3", concurrency=1, queues=queue)
        detail = result.get(timeout=args.visibility + 240)
        after = time.monotonic() - killed_at
        runs = stack.scalar("SELECT runs FROM common_jobrun WHERE job = %s", f"canary:{key}")
        status = stack.scalar("SELECT status FROM common_jobrun WHERE job = %s", f"canary:{key}")
        restarted = (
            (workdir / "worker3.log").read_text()[size:].count(f"Task common.canary[{result.id}] received")
        )
        print(
            f"2. whole worker killed: unacked in Redis {unacked}; the new worker received it {restarted} time(s) "
            f"and it completed {after:.1f} s after the kill (visibility timeout {args.visibility} s + "
            f"{TASK_SECONDS} s of work); JobRun runs={runs} status={status}"
        )
        verdicts.append(
            (
                "whole worker killed: restored after the visibility timeout, completed once",
                unacked == "1"
                and restarted == 1
                and runs == 1
                and status == "succeeded"
                and after >= args.visibility - 5,
                f"{after:.1f} s, runs {runs}",
            )
        )
    finally:
        stack.stop()
        redis.stop()
    ok = all(v for _, v, _ in verdicts)
    for name, v, d in verdicts:
        print(f"  {'PASS' if v else 'FAIL'}  {name}: {d}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
