"""Test settings: DATABASE_URL when set (PostgreSQL in CI), SQLite otherwise."""

import os
from urllib.parse import urlsplit, urlunsplit

# pytest-xdist runs the suite in several processes ("gw0", "gw1", ...); pytest-django gives each its own test
# database, and here each gets its own Redis database below REDIS_URL's (15, 14, ...): one worker's
# cache.clear() or rate-limit counters must not reach into another's. Written back to the environment before
# the base settings read it, so that the tests' brokers and the worker processes they start use it too.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw") and os.environ.get("REDIS_URL"):
    _redis = urlsplit(os.environ["REDIS_URL"])
    _redis_db = int(_redis.path.strip("/") or 0) - int(_xdist_worker[2:])
    if _redis_db < 0:
        raise RuntimeError(f"REDIS_URL's database leaves no Redis database for xdist worker {_xdist_worker}")
    os.environ["REDIS_URL"] = urlunsplit(_redis._replace(path=f"/{_redis_db}"))

from .base import *  # noqa: E402, F403
from .base import DATABASES, env  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not env("DATABASE_URL", default=""):
    DATABASES["default"]["NAME"] = ":memory:"
    DATABASES["default"].pop("OPTIONS", None)
# Tests that need a real broker start their own worker; everything else runs tasks in-process.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A test database need not survive a crash: commits (transactional tests, the e2e seeds) need not
    # wait for the WAL flush.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
# The console handler writes to the process's own stderr (fd 2, which pytest captures per test), not to
# whatever sys.stderr is when logging is configured: under pytest that is a capture file that may be closed
# long before a later test (or the live server's thread) logs.
LOGGING["handlers"]["console"]["stream"] = "ext://sys.__stderr__"  # noqa: F405
