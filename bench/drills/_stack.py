"""A private ShopOps stack for the fault drills: its own Redis (port 6390 by default), a PostgreSQL database
(or a private cluster), gunicorn with 2 workers, a Celery worker and beat, all on localhost. Nothing here
touches the shared Redis on 6379 or restarts a shared PostgreSQL cluster.

Every process started here is stopped by `Stack.stop()` (by its own pid)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Redis:
    """A private redis-server (no persistence: a restart empties it, like a lost broker)."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir = port, workdir

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        return (
            subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode == 0
        )

    def start(self) -> None:
        if self.ping():
            return
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
                "--pidfile",
                str(self.workdir / "redis.pid"),
            ],
            check=True,
        )
        for _ in range(50):
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError("redis did not start")

    def stop(self) -> None:
        # Only this private server, on its own port.
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True)
        for _ in range(50):
            if not self.ping():
                return
            time.sleep(0.1)


class Stack:
    def __init__(
        self, *, database_url: str, redis: Redis, workdir: Path, web_port: int = 8790, extra_env=None
    ):
        self.database_url, self.redis, self.workdir, self.web_port = database_url, redis, workdir, web_port
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shopops.settings.local",
            "DEBUG": "false",
            "SECRET_KEY": "drill-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def manage(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if check and out.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
        return out.stdout

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        logfile = open(self.workdir / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def start_web(self) -> None:
        self._start(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "shopops.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
                "--timeout",
                "120",
                "--access-logfile",
                "-",
            ],
        )
        self.wait_http("/healthz", 240)

    def start_worker(
        self, name: str = "worker", concurrency: int = 2, queues: str = "celery"
    ) -> subprocess.Popen:
        return self._start(
            name,
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "shopops",
                "worker",
                "-l",
                "info",
                "--concurrency",
                str(concurrency),
                "-Q",
                queues,
                "-n",
                f"{name}@drill",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def start_beat(self) -> None:
        self._start(
            "beat",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "shopops",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(self.workdir / "celerybeat-schedule"),
            ],
        )

    def wait_log(self, name: str, text: str, timeout: float, after: int = 0) -> bool:
        path = self.workdir / f"{name}.log"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if path.exists() and text in path.read_text(errors="replace")[after:]:
                return True
            time.sleep(0.2)
        return False

    def log_size(self, name: str) -> int:
        path = self.workdir / f"{name}.log"
        return path.stat().st_size if path.exists() else 0

    def wait_http(self, path: str, timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if requests.get(self.base + path, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{path} did not answer")

    def stop(self, name: str | None = None, sig: int = signal.SIGTERM) -> None:
        for key in [name] if name else list(self.procs):
            proc = self.procs.pop(key, None)
            if proc is None or proc.poll() is not None:
                continue
            os.killpg(proc.pid, sig)  # its own session: gunicorn's and celery's children too
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    # --- data -------------------------------------------------------------------------------------

    def db(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url.replace("postgres://", "postgresql://"), autocommit=True)

    def scalar(self, sql: str, *params):
        with self.db() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def prepare(self, *, seed: bool = True) -> dict:
        """Migrate, seed a tiny shop (once), create an API key and a manager; returns what the traffic
        needs."""
        log("migrate")
        self.manage("migrate", "--noinput")
        if seed and not self.scalar("SELECT count(*) FROM orders_order"):
            log("seed_demo --scale tiny")
            self.manage("seed_demo", "--scale", "tiny")
        key = self.manage(
            "create_api_client",
            f"drill {int(time.time())}",
            "--scopes",
            "orders:write,orders:read,stock:read",
            "--rate",
            "100000/min",
        ).strip()
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User, Group;"
            "u, _ = User.objects.get_or_create(username='drill-manager');"
            "u.set_password('drill-password-123'); u.save();"
            "u.groups.add(Group.objects.get(name='manager'))",
        )
        channel = self.scalar("SELECT code FROM orders_channel ORDER BY id LIMIT 1")
        sku = self.scalar("SELECT code FROM catalog_sku WHERE active ORDER BY id LIMIT 1")
        return {"key": key, "channel": channel, "sku": sku}


def order_payload(external_id: str, sku: str, *, coupon: str = "DRILL10") -> dict:
    now = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(minutes=5)
    price = Decimal("100.00")
    return {
        "external_id": external_id,
        "placed_at": now.isoformat(),
        "updated_at": now.isoformat(),
        "status": "paid",
        "customer": {"external_id": f"drill-{external_id}", "province": "上海"},
        "order_discount": "0.00",
        "coupon_code": coupon,
        "total": str(price),
        "lines": [{"sku": sku, "quantity": 1, "unit_price": str(price), "discount": "0.00"}],
    }


class Client:
    """HTTP traffic with a per-request timeout; records (kind, seconds, status or error)."""

    def __init__(self, stack: Stack, info: dict, timeout: float = 3.0):
        self.stack, self.info, self.timeout = stack, info, timeout
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Api-Key {info['key']}"
        self.web = requests.Session()
        self.samples: list[tuple[str, float, object]] = []
        self.synced: set[str] = set()  # acknowledged (200, none rejected)
        self.attempted: set[str] = set()  # sent, whatever the answer (a timed-out sync may have been stored)

    def login(self) -> None:
        page = self.web.get(self.stack.base + "/login/", timeout=10)
        token = (
            self.web.cookies.get("csrftoken")
            or page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        )
        answer = self.web.post(
            self.stack.base + "/login/",
            data={
                "username": "drill-manager",
                "password": "drill-password-123",
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": self.stack.base + "/login/"},
            timeout=10,
        )
        if "sessionid" not in self.web.cookies:
            raise RuntimeError(f"login failed: {answer.status_code}")

    def _call(self, kind: str, session: requests.Session, method: str, path: str, **kwargs):
        started = time.monotonic()
        try:
            answer = session.request(method, self.stack.base + path, timeout=self.timeout, **kwargs)
            outcome = answer.status_code
        except requests.RequestException as exc:
            answer, outcome = None, type(exc).__name__
        self.samples.append((kind, time.monotonic() - started, outcome))
        return answer

    def sync(self, ids: list[str]) -> bool:
        body = {"channel": self.info["channel"], "orders": [order_payload(i, self.info["sku"]) for i in ids]}
        self.attempted.update(ids)
        answer = self._call(
            "sync",
            self.api,
            "POST",
            "/api/v1/orders/sync",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        if answer is not None and answer.status_code == 200 and not answer.json()["rejected"]:
            self.synced.update(ids)
            return True
        return False

    def reads(self) -> None:
        self._call("api-orders", self.api, "GET", f"/api/v1/orders?channel={self.info['channel']}")
        self._call("api-stock", self.api, "GET", "/api/v1/stock")
        self._call("page-orders", self.web, "GET", "/orders/")
        self._call("page-home", self.web, "GET", "/")
        self._call("healthz", self.web, "GET", "/healthz")

    def summary(self, since: int = 0) -> dict:
        rows = self.samples[since:]
        by_kind: dict[str, list] = {}
        for kind, seconds, outcome in rows:
            by_kind.setdefault(kind, []).append((seconds, outcome))
        out = {}
        for kind, values in sorted(by_kind.items()):
            times = sorted(s for s, _ in values)
            out[kind] = {
                "n": len(values),
                "p50_ms": round(times[len(times) // 2] * 1000, 1),
                "max_ms": round(times[-1] * 1000, 1),
                "5xx": sum(1 for _, o in values if isinstance(o, int) and o >= 500),
                "errors": sum(1 for _, o in values if not isinstance(o, int)),
                "other_non_2xx": sum(1 for _, o in values if isinstance(o, int) and not 200 <= o < 400),
            }
        return out
