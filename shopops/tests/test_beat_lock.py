"""Exactly one beat sends: two real schedulers on a real Redis, one holds the lock and sends, the other
stands by and takes over when the first stops."""

import os
import time
import uuid

import pytest
import redis
from celery import Celery

from conftest import require
from shopops.common.beat import BeatLock, SingleBeatScheduler

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        require(False, f"Redis is not reachable at {REDIS_URL}")
    return client


def _app(queue: str, key: str) -> Celery:
    app = Celery("beat-lock-test", broker=REDIS_URL, set_as_current=False)
    app.conf.beat_schedule = {
        "probe": {"task": "tests.beat_probe", "schedule": 0.2, "options": {"queue": queue}}
    }
    app.conf.beat_lock_ttl = 1.5
    app.conf.beat_lock_key = key
    return app


def _run(schedulers, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for s in schedulers:
            s.tick()
        time.sleep(0.05)


def test_second_beat_stands_by_and_takes_over_when_the_first_stops(tmp_path):
    client = _redis()
    queue, key = f"beat-test-{uuid.uuid4().hex[:8]}", f"shopops:beat:test:{uuid.uuid4().hex[:8]}"
    first = SingleBeatScheduler(_app(queue, key), schedule_filename=str(tmp_path / "a"), lazy=False)
    second = SingleBeatScheduler(_app(queue, key), schedule_filename=str(tmp_path / "b"), lazy=False)
    try:
        assert first.lock.held and not second.lock.held
        assert client.get(key).decode() == first.lock.token
        assert client.pttl(key) > 0  # expires if its beat dies

        _run([first, second], 1.5)
        sent_by_one = client.llen(queue)
        # one beat: a message every 0.2 s for 1.5 s (not twice as many)
        assert 5 <= sent_by_one <= 9, sent_by_one
        assert second.lock.held is False

        first.close()  # a clean stop releases the lock at once
        assert client.get(key) is None
        client.delete(queue)
        _run([second], 1.0)
        assert second.lock.held
        assert client.get(key).decode() == second.lock.token
        assert 3 <= client.llen(queue) <= 7
    finally:
        second.close()
        first.close()
        client.delete(queue, key)


def test_a_dead_beats_lock_expires_and_the_standby_takes_it(tmp_path):
    client = _redis()
    key = f"shopops:beat:test:{uuid.uuid4().hex[:8]}"
    dead = BeatLock(REDIS_URL, ttl=0.5, key=key)
    alive = BeatLock(REDIS_URL, ttl=0.5, key=key)
    try:
        assert dead.refresh() and not alive.refresh()
        assert dead.refresh()  # the holder extends its own lock
        time.sleep(0.7)  # the holder died: nobody renews
        assert alive.refresh()
        assert not dead.refresh()  # back from the dead, it does not send
    finally:
        client.delete(key)


def test_without_redis_there_is_one_process_and_nothing_to_lock():
    lock = BeatLock(None)
    assert lock.refresh() and lock.held


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0"])
def test_redis_unreachable_counts_as_not_held(url):
    lock = BeatLock(url, ttl=1)
    started = time.monotonic()
    assert lock.refresh() is False
    assert time.monotonic() - started < 3
