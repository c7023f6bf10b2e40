"""Exactly one beat: a Redis lock held by the beat that sends the schedule.

Every beat process sends every scheduled task, so two beats would run the nightly pipeline twice.
docker-compose.yml runs one (`deploy: replicas: 1`); this scheduler (CELERY_BEAT_SCHEDULER) makes a second
one, started by mistake (a second stack, `--scale beat=2`, a beat left running on an old host), harmless:

- At start and on every tick the beat takes or extends the lock ``shopops:beat:lock`` in the broker's Redis
  (SET NX PX / PEXPIRE in one script, only if it holds the lock already), with a time to live of
  CELERY_BEAT_LOCK_TTL seconds, renewed at least every third of it.
- A beat without the lock does not send: it advances its schedule as if it had (so it does not send a
  backlog of "missed" runs when it takes over) and logs that it stands by.
- If the beat holding the lock dies, its lock expires after the TTL and a standing-by beat takes over on
  its next tick. A beat that stops cleanly releases the lock at once.

Without Redis (no REDIS_URL: the in-process demo) there is nothing to lock and the beat always sends.
"""

import contextlib
import logging
import os
import socket
import uuid

import redis
from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

LOCK_KEY = "shopops:beat:lock"
DEFAULT_TTL = 60

# Take the lock if it is free, extend it if it is ours; 1 if we hold it afterwards, else 0.
_ACQUIRE_OR_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class BeatLock:
    """The lock itself, on the Redis at `url` (None: no lock, always held)."""

    def __init__(self, url: str | None, *, ttl: float = DEFAULT_TTL, key: str = LOCK_KEY):
        self.url = url
        self.ttl = ttl
        self.key = key
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = url is None
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
        return self._client

    def refresh(self) -> bool:
        """Take or extend the lock; whether this process holds it now. A Redis error counts as not held
        (with the broker's Redis away nothing could be sent anyway)."""
        if self.url is None:
            return True
        try:
            held = bool(self.client.eval(_ACQUIRE_OR_EXTEND, 1, self.key, self.token, int(self.ttl * 1000)))
        except redis.RedisError as exc:
            if self.held:
                logger.warning("beat lock: Redis unreachable (%s); not sending until it is back", exc)
            held = False
        if held != self.held:
            if held:
                logger.info("beat lock taken (%s): this beat sends the schedule", self.token)
            else:
                logger.warning("beat lock lost: this beat stops sending")
        self.held = held
        return held

    def holder(self) -> str | None:
        if self.url is None:
            return self.token
        try:
            value = self.client.get(self.key)
        except redis.RedisError:
            return None
        return value.decode() if value else None

    def release(self) -> None:
        if self.url is None:
            return
        with contextlib.suppress(redis.RedisError):
            self.client.eval(_RELEASE, 1, self.key, self.token)
        self.held = False


def _redis_url(app) -> str | None:
    url = app.conf.broker_url or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


class SingleBeatScheduler(PersistentScheduler):
    """PersistentScheduler (the schedule file keeps last-run times) that sends only while it holds the
    beat lock."""

    def __init__(self, app, *args, **kwargs):
        ttl = float(app.conf.get("beat_lock_ttl") or DEFAULT_TTL)
        self.lock = BeatLock(_redis_url(app), ttl=ttl, key=app.conf.get("beat_lock_key") or LOCK_KEY)
        super().__init__(app, *args, **kwargs)

    def setup_schedule(self):
        super().setup_schedule()
        if self.lock.refresh():
            return
        logger.error(
            "another beat holds the lock %s (%s): this one stands by and sends nothing. Run exactly one "
            "beat (docker-compose.yml); it takes over only if the other one dies.",
            self.lock.key,
            self.lock.holder(),
        )

    def tick(self, *args, **kwargs):
        self.lock.refresh()
        interval = super().tick(*args, **kwargs)
        return min(interval, self.lock.ttl / 3)

    def apply_entry(self, entry, producer=None):
        if not self.lock.held:
            logger.info("beat standing by: %s not sent (another beat holds the lock)", entry.name)
            return
        return super().apply_entry(entry, producer=producer)

    def close(self):
        try:
            super().close()
        finally:
            self.lock.release()
