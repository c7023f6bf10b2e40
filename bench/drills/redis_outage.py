"""Drill: Redis (broker, result backend, cache) stopped for 60 s under traffic.

Starts a private redis-server (port 6390), gunicorn (2 workers), a Celery worker and beat against the
PostgreSQL database of --database-url (default shopops_drill on the local cluster, created if missing),
seeds a tiny shop, then: traffic with Redis up; Redis stopped; 60 s of order syncs (5 orders with a coupon
code each, so every sync enqueues the two marketing follow-ups) and reads of the API and pages, each with a
3 s timeout; Redis started again (empty: no persistence); the outbox drains and the follow-up tasks run.

PASS when: every answer within 3 s and no 5xx during the outage; every order sent is in the database once;
every outbox row is published after Redis returns and its task succeeded.

    uv run python bench/drills/redis_outage.py [--outage 60] [--database-url postgres://...]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import Client, Redis, Stack, log  # noqa: E402


def ensure_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/shopops_drill")
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--web-port", type=int, default=8790)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="drill-redis-"))
    log(f"logs in {workdir}")
    ensure_database(args.database_url)
    redis = Redis(args.redis_port, workdir)
    redis.start()
    stack = Stack(database_url=args.database_url, redis=redis, workdir=workdir, web_port=args.web_port)
    verdicts: list[tuple[str, bool, str]] = []
    try:
        info = stack.prepare()
        outbox_before = stack.scalar("SELECT coalesce(max(id), 0) FROM common_taskoutbox")
        orders_before = stack.scalar("SELECT count(*) FROM orders_order")
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        if not stack.wait_log("worker", "ready.", 300):
            raise RuntimeError("worker did not start")
        client = Client(stack, info)
        client.login()
        run = int(time.time())

        n = 0
        log("warm-up (not measured): each gunicorn worker loads its views")
        for _ in range(4):
            client.sync([f"D{run}-{n}-{k}" for k in range(5)])
            n += 1
            client.reads()
        client.samples.clear()
        log("traffic with Redis up (10 s)")
        end = time.monotonic() + 10
        while time.monotonic() < end:
            client.sync([f"D{run}-{n}-{k}" for k in range(5)])
            n += 1
            client.reads()
        up = client.summary()

        log(f"Redis stopped for {args.outage:.0f} s")
        mark = len(client.samples)
        stopped_at = time.monotonic()
        # results of earlier tasks are lost with this Redis (no persistence): check the outage's tasks
        outbox_at_stop = stack.scalar("SELECT coalesce(max(id), 0) FROM common_taskoutbox")
        redis.stop()
        end = stopped_at + args.outage
        while time.monotonic() < end:
            client.sync([f"D{run}-{n}-{k}" for k in range(5)])
            n += 1
            client.reads()
        down = client.summary(mark)
        during_outage = client.samples[mark:]
        pending_at_return = stack.scalar(
            "SELECT count(*) FROM common_taskoutbox WHERE id > %s AND sent_at IS NULL", outbox_before
        )

        log("Redis started again (empty)")
        redis.start()
        back_at = time.monotonic()
        drained_after = None
        while time.monotonic() - back_at < 150:
            pending = stack.scalar(
                "SELECT count(*) FROM common_taskoutbox WHERE id > %s AND sent_at IS NULL", outbox_before
            )
            if pending == 0:
                drained_after = time.monotonic() - back_at
                break
            time.sleep(1)
        ids = [
            row[0]
            for row in stack.db().execute(
                "SELECT task_id FROM common_taskoutbox WHERE id > %s ORDER BY id", (outbox_at_stop,)
            )
        ]
        # every follow-up task ran: the worker logged its success (outbox tasks store no result)
        ran_after = None
        worker_log = workdir / "worker.log"
        while time.monotonic() - back_at < 240:
            text = worker_log.read_text(errors="replace")
            if all(f"[{i}] succeeded" in text for i in ids):
                ran_after = time.monotonic() - back_at
                break
            time.sleep(1)
        log("traffic with Redis back (10 s)")
        mark_back = len(client.samples)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            client.sync([f"D{run}-{n}-{k}" for k in range(5)])
            n += 1
            client.reads()
        back = client.summary(mark_back)

        orders_in_db = stack.scalar("SELECT count(*) FROM orders_order") - orders_before
        stored = {
            row[0]
            for row in stack.db().execute(
                "SELECT external_id FROM orders_order WHERE external_id LIKE %s", (f"D{run}-%",)
            )
        }
        no_loss = client.synced <= stored <= client.attempted and orders_in_db == len(stored)
        slowest = max(s for _, s, _ in during_outage)
        fives = sum(1 for _, _, o in during_outage if isinstance(o, int) and o >= 500)
        errors = sum(1 for _, _, o in during_outage if not isinstance(o, int))

        print("\n=== Redis outage drill ===")
        print(f"requests with Redis up:     {up}")
        print(f"requests during the outage: {down}")
        print(f"requests after it returned: {back}")
        print(
            f"orders acknowledged {len(client.synced)}, sent {len(client.attempted)} (a timed-out sync may "
            f"still be stored), in the database {orders_in_db}, distinct {len(stored)}"
        )
        print(
            f"outbox rows {len(ids)}, pending when Redis returned {pending_at_return}, drained "
            f"{drained_after if drained_after is None else round(drained_after, 1)} s after its return; "
            f"all follow-up tasks succeeded {ran_after if ran_after is None else round(ran_after, 1)} s after"
        )
        verdicts += [
            (
                "every answer within 3 s during the outage",
                slowest < 3.0 and errors == 0,
                f"slowest {slowest:.3f} s, {errors} timeouts/errors",
            ),
            ("no 5xx during the outage", fives == 0, f"{fives} 5xx"),
            (
                "every acknowledged order is stored, once",
                no_loss,
                f"{len(client.synced)} acknowledged, {len(stored)} stored, {len(client.attempted)} sent",
            ),
            (
                "the outbox kept the follow-ups during the outage",
                pending_at_return > 0,
                f"{pending_at_return} pending",
            ),
            ("the outbox drained after Redis returned", drained_after is not None, f"{drained_after}"),
            ("every follow-up task ran", ran_after is not None, f"{len(ids)} tasks"),
        ]
    finally:
        stack.stop()
        redis.stop()
    ok = all(v for _, v, _ in verdicts)
    for name, v, detail in verdicts:
        print(f"  {'PASS' if v else 'FAIL'}  {name}: {detail}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
