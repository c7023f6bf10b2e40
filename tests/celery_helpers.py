"""Helpers for tests that publish to a real broker from the test process."""

import contextlib
import os
import socket

import redis

from conftest import require
from shopops.celery import app as celery_app

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@contextlib.contextmanager
def broker(url: str):
    """Inside the block this process publishes to `url` for real (test settings run tasks eagerly)."""
    app = celery_app
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = url, False
    app._pool = app.amqp._producer_pool = None
    try:
        yield app
    finally:
        # kombu keeps one pool per broker URL for the whole process (other tests' clients share it): leave
        # it open, forget this app's references
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._pool = app.amqp._producer_pool = None


def redis_client() -> redis.Redis:
    """The test Redis, or a skip (a failure in CI)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        require(False, f"Redis is not reachable at {REDIS_URL}")
    return client


def closed_port() -> int:
    """A local port nobody listens on: connections are refused, like a stopped Redis."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
