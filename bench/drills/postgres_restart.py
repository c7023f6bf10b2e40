"""Drill: PostgreSQL restarted under traffic; web and worker recover without being restarted.

Creates a private PostgreSQL cluster (initdb as the postgres user into --pgdata, port 5440: the shared
cluster is never restarted), seeds a tiny shop into it, starts gunicorn (2 workers, CONN_MAX_AGE=60 with
CONN_HEALTH_CHECKS) and a Celery worker (private Redis on 6390), sends traffic (order syncs, API and page
reads, 3 s timeout each) and, after 10 s, `pg_ctl restart -m fast`. Tasks are sent to the worker before,
during and after the restart.

PASS when: the web answers 2xx again within 5 s of the database accepting connections, without a gunicorn
restart; every task sent before, during and after the restart succeeded on the same worker process.

    uv run python bench/drills/postgres_restart.py [--pgdata /tmp/pgdrill] [--port 5440]
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import Client, Redis, Stack, log  # noqa: E402

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]


def as_postgres(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, check=check
    )


def cluster_start(pgdata: str, port: int) -> None:
    if not Path(pgdata, "PG_VERSION").exists():
        shutil.rmtree(pgdata, ignore_errors=True)
        os.makedirs(pgdata, exist_ok=True)
        shutil.chown(pgdata, "postgres", "postgres")
        as_postgres(f"{BIN}/initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    status = as_postgres(f"{BIN}/pg_ctl", "-D", pgdata, "status", check=False)
    if status.returncode != 0:
        as_postgres(
            f"{BIN}/pg_ctl",
            "-D",
            pgdata,
            "-w",
            "-l",
            f"{pgdata}/server.log",
            "-o",
            f"-p {port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )


def accepting(port: int) -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pgdata", default="/tmp/pgdrill")  # noqa: S108 - a throwaway cluster
    parser.add_argument("--port", type=int, default=5440)
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--keep-cluster", action="store_true", help="leave the private cluster running")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="drill-pg-"))
    log(f"logs in {workdir}; private cluster {args.pgdata} on port {args.port}")
    cluster_start(args.pgdata, args.port)
    if (
        "shopops_drill"
        not in as_postgres(
            "psql", "-h", "127.0.0.1", "-p", str(args.port), "-Atc", "SELECT datname FROM pg_database"
        ).stdout.split()
    ):
        as_postgres("createdb", "-h", "127.0.0.1", "-p", str(args.port), "shopops_drill")
    redis = Redis(args.redis_port, workdir)
    redis.start()
    url = f"postgres://postgres@127.0.0.1:{args.port}/shopops_drill"
    stack = Stack(database_url=url, redis=redis, workdir=workdir, extra_env={"CONN_MAX_AGE": "60"})
    app = Celery(broker=redis.url, backend=redis.url)
    verdicts = []
    try:
        info = stack.prepare()
        stack.start_web()
        worker = stack.start_worker(concurrency=2)
        if not stack.wait_log("worker", "ready.", 300):
            raise RuntimeError("worker did not start")
        web_master = stack.procs["web"].pid
        client = Client(stack, info)
        client.login()
        run = uuid.uuid4().hex[:6]
        results = {"before": app.send_task("common.canary", args=[f"pg-before-{run}", 0])}
        results["before"].get(timeout=120)

        timeline: list[tuple[float, str, object]] = []
        stop = threading.Event()
        t0 = time.monotonic()

        def traffic():
            n = 0
            while not stop.is_set():
                mark = len(client.samples)
                client.sync([f"P{run}-{n}-{k}" for k in range(3)])
                client.reads()
                for kind, _seconds, outcome in client.samples[mark:]:
                    timeline.append((time.monotonic() - t0, kind, outcome))
                n += 1

        thread = threading.Thread(target=traffic)
        thread.start()
        time.sleep(10)
        log("pg_ctl restart -m fast")
        restart_at = time.monotonic() - t0
        # a task sent while the database goes down: it retries (OperationalError is transient) or runs after
        results["during"] = app.send_task("common.canary", args=[f"pg-during-{run}", 0.5])
        as_postgres(
            f"{BIN}/pg_ctl",
            "-D",
            args.pgdata,
            "-w",
            "-m",
            "fast",
            "-l",  # the server's output to its log file: not to this pipe, which would then never close
            f"{args.pgdata}/server.log",
            "restart",
            "-o",
            f"-p {args.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off",
        )
        while not accepting(args.port):
            time.sleep(0.05)
        up_at = time.monotonic() - t0
        log(f"database accepting again {up_at - restart_at:.2f} s after the restart began")
        time.sleep(15)
        stop.set()
        thread.join()
        results["after"] = app.send_task("common.canary", args=[f"pg-after-{run}", 0])
        outcomes = {}
        for name, result in results.items():
            try:
                result.get(timeout=180)
                outcomes[name] = "SUCCESS"
            except Exception as exc:  # noqa: BLE001 - reported
                outcomes[name] = f"{type(exc).__name__}: {exc}"
        worker_alive = worker.poll() is None and stack.procs["web"].pid == web_master

        failures = [(t, k, o) for t, k, o in timeline if not (isinstance(o, int) and o < 500)]
        after_up = [(t, k, o) for t, k, o in timeline if t >= up_at]
        first_ok_after = next((t for t, _k, o in after_up if isinstance(o, int) and o < 400), None)
        failures_after_up = [
            (t, k, o) for t, k, o in after_up if t > up_at + 5 and not (isinstance(o, int) and o < 500)
        ]
        window = (min(t for t, *_ in failures), max(t for t, *_ in failures)) if failures else None
        print("\n=== PostgreSQL restart drill ===")
        print(f"requests: {client.summary()}")
        print(
            f"restart began at {restart_at:.2f} s, accepting again at {up_at:.2f} s ({up_at - restart_at:.2f} s)"
        )
        print(
            f"failed requests: {len(failures)} of {len(timeline)}"
            + (f", between {window[0]:.2f} s and {window[1]:.2f} s" if window else "")
            + f": {sorted({str(o) for _t, _k, o in failures})}"
        )
        print(
            f"first 2xx/3xx after the database was back: "
            f"{(first_ok_after - up_at) if first_ok_after else None} s later; failures later than 5 s after: "
            f"{len(failures_after_up)}"
        )
        print(f"tasks: {outcomes}; the same worker and gunicorn processes throughout: {worker_alive}")
        print(
            f"orders sent {len(client.synced)}, in the database "
            f"{stack.scalar('SELECT count(*) FROM orders_order WHERE external_id LIKE %s', f'P{run}-%')}"
        )
        verdicts += [
            (
                "web answers again within 5 s without a restart",
                first_ok_after is not None and first_ok_after - up_at < 5 and not failures_after_up,
                f"{(first_ok_after - up_at) if first_ok_after else None}",
            ),
            (
                "worker runs tasks before, during and after without a restart",
                all(v == "SUCCESS" for v in outcomes.values()) and worker_alive,
                str(outcomes),
            ),
            (
                "every order acknowledged is stored",
                stack.scalar("SELECT count(*) FROM orders_order WHERE external_id LIKE %s", f"P{run}-%")
                == len(client.synced),
                f"{len(client.synced)}",
            ),
        ]
    finally:
        stack.stop()
        redis.stop()
        if not args.keep_cluster:
            as_postgres(f"{BIN}/pg_ctl", "-D", args.pgdata, "-m", "fast", "stop", check=False)
    ok = all(v for _, v, _ in verdicts)
    for name, v, d in verdicts:
        print(f"  {'PASS' if v else 'FAIL'}  {name}: {d}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
