"""Settings shared by every environment, read from the environment (12-factor, django-environ).

local.py, production.py and test.py start from this module and change only what differs.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_filters",
    "django_htmx",
    "auditlog",
    "csp",
    "shopops.common",
    "catalog",
    "inventory",
    "orders",
    "marketing",
    "service",
    "finance",
    "reports",
    "shopops.accounts",
    "shopops",
    "shopops.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shopops.common.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shopops.common.audit.AuditMiddleware",  # django-auditlog's: who changed what (shopops.common.audit)
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "shopops.accounts.middleware.SessionTimeoutMiddleware",
    "shopops.accounts.middleware.TwoFactorMiddleware",
    "shopops.common.http_methods.PageMethodsMiddleware",  # pages: GET, HEAD, POST; else 405
    "axes.middleware.AxesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "shopops.urls"
WSGI_APPLICATION = "shopops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shopops.common.context_processors.shop",
            ],
            "builtins": ["shopops.common.templatetags.money"],
        },
    },
]

# Database: DATABASE_URL, or an embedded SQLite file under var/ for the one-command demo.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'shopops.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Languages and time: stored in UTC, shown in the shop's time zone.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
SHOP_CURRENCY = env("SHOP_CURRENCY", default="CNY")

# Static files: everything is local (bootstrap vendored, htmx from django-htmx, plotly.js from plotly's
# wheel) so that the dashboard works offline. No CDN anywhere.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "shopops.common.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "shopops.common.api.api_exception_handler",
}
# Lower layers validate a channel code without importing orders (shared/design.md layers).
SHOPOPS_CHANNEL_LIST_SELECTOR = "orders.selectors.channel_list"
# The SKU page (catalog) shows stock and sales owned by higher apps through these selectors.
SHOPOPS_SKU_STOCK_SELECTOR = "inventory.selectors.sku_stock_by_warehouse"
SHOPOPS_SKU_SALES_SELECTOR = "orders.selectors.sku_daily_sales"

SPECTACULAR_SETTINGS = {
    "TITLE": "ShopOps API",
    "DESCRIPTION": "Order sync, stock and catalogue API for channel clients.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: with REDIS_URL unset, tasks run eagerly in-process (the one-command demo needs no broker).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# The cache holds API rate-limit counters: shared across processes when Redis is there.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Time limits, visibility timeout, publish timeouts: the "Celery reliability" block at the end.
CELERY_BEAT_SCHEDULE = {
    "nightly-pipeline": {
        "task": "shopops.nightly.run",
        # 02:30 shop time: yesterday's business is complete and settled into the database.
        "schedule": crontab(hour=2, minute=30),
    },
    "order-exceptions-scan": {
        "task": "orders.order_exceptions_scan",
        # The order handling SOP: a paid order is processed within 2 hours; look every 15 minutes.
        "schedule": crontab(minute="*/15"),
    },
    "service-sla-check": {
        "task": "service.sla_check",
        # SLA clocks: warn at 80 % of a target, mark breaches and escalate major complaints.
        "schedule": crontab(minute="*/5"),
    },
    "finance-order-risk-score": {
        "task": "finance.order_risk_score",
        # Anti-fraud: score new orders (COD and unusual ones) and hold the risky ones before they ship.
        "schedule": crontab(minute="*/5"),
    },
    "reports-weekly-report": {
        "task": "reports.weekly_report_generate",
        # Monday 08:00 shop time (CELERY_TIMEZONE): the week before, after the nightly pipeline of Sunday.
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    "reports-daily-digest": {
        "task": "reports.daily_digest_generate",
        # Yesterday's operations digest, after the 02:30 nightly pipeline, before the team starts.
        "schedule": crontab(hour=7, minute=30),
    },
    "flash-claims-expire": {
        "task": "marketing.flash_claims_expire",
        # Flash-sale holds last 10 minutes; expired ones go back to the pool (claims also release them).
        "schedule": crontab(minute="*"),
    },
}
# Celery tasks that orders.services.order_sync hands the ids of synced orders carrying a coupon code or a
# flash-sale claim to, on commit (orders cannot import the marketing app that records them).
ORDER_SYNC_FOLLOWUP_TASKS = ["marketing.order_promotions_record", "marketing.referrals_attribute"]
# The service customer 360 shows the customer's RFM segment and member tier, which marketing owns (its
# peer: service may not import it). customer_id -> {"segment", "segment_label", "rfm", "tier", "tier_label",
# "points"}.
SERVICE_CUSTOMER_PROFILE_PROVIDER = "marketing.selectors.customers.customer_marketing_profile"

# The order facts (KPI rollups) are refreshed by every order write. Only bench/order_sync.py turns this off,
# to measure what the upkeep adds to a sync; the nightly rebuild would then be the only upkeep.
ORDER_FACTS_LIVE = env.bool("ORDER_FACTS_LIVE", default=True)

# Email: notifications and reports go out through Django's mail backend (console unless EMAIL_URL is set).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shopops@localhost")
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # it logs every layout step at INFO
        "fontTools": {"level": "WARNING"},
    },
}

UNFOLD = {
    "SITE_TITLE": "ShopOps admin",
    "SITE_HEADER": "ShopOps",
    "SHOW_LANGUAGES": True,
}

# --- personal data (encryption at rest, keyed hashes) ---
# Fernet keys, comma-separated, newest first: the first encrypts, all decrypt (rotation: put a new key in
# front, run `manage.py rotate_pii_keys`, then drop the old one). PII_HASH_KEY keys the hashes kept beside
# encrypted values for exact search. Empty (development, tests, the demo): both are derived from SECRET_KEY;
# production.py requires them.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
PII_HASH_KEY = env("PII_HASH_KEY", default="")

# --- security headers (Content-Security-Policy, framing, sniffing, referrer) ---
# shopops.common.csp.CSPMiddleware (django-csp 4) sends this policy on every response. Pages load only
# their own static files: no inline <script>, no on*= attributes, no eval (htmx runs with allowEval off:
# base.html's htmx-config meta), no inline styles (classes in static CSS; tests/test_security_headers.py
# walks every page for them). style-src holds two hashes, both for plotly.js, which cannot work from a
# stylesheet alone: (1) the SHA-256 of the EMPTY string: plotly creates an empty <style
# id="plotly.js-style-global"> and fills it through the CSSOM (insertRule, which CSP does not restrict), so
# the hash lets that empty element exist and allows no style text at all; (2) the hash of the fixed
# maplibre stylesheet the plotly.js bundle injects when it loads (we draw no maps, but it is injected
# anyway). A plotly upgrade changes (2): tests/test_security_headers.py recomputes it from the bundle.
CSP_PLOTLY_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", *CSP_PLOTLY_STYLE_HASHES],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Path prefix -> directives that REPLACE the site-wide ones under it (shopops.common.csp). The Django
# admin's theme, django-unfold, is built on Alpine.js, whose standard build compiles every x-data / x-init /
# @click expression with the AsyncFunction constructor ('unsafe-eval'); unfold also writes inline
# <style id="unfold-theme-colors"> and style attributes, and Alpine's :style bindings set style
# attributes ('unsafe-inline' for styles only; a hash cannot cover attributes, and 'unsafe-inline' is
# ignored next to a hash, hence a replacement, not an addition). Alpine's CSP build cannot evaluate the
# expressions unfold's templates use. Inline <script> stays forbidden in the admin too. The admin is for
# the admin role only; everything else keeps the strict policy.
CSP_PATH_OVERRIDES = {
    "/admin/": {
        "script-src": ["'self'", "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The admin's own favicon link (without one the browser asks for /favicon.ico, a 404 on every admin page).
UNFOLD["SITE_FAVICONS"] = [
    {"rel": "icon", "type": "image/svg+xml", "href": f"/{STATIC_URL}shopops/favicon.svg"}
]

# --- accounts: two-factor authentication, login lockouts, session lifetimes (shopops/accounts) ---
# Two-factor (django-otp): TOTP apps plus single-use recovery codes; required for finance, manager and admin
# (shopops.accounts.policy). Wrong codes are throttled per device: 1, 2, 4, 8… seconds after each failure.
OTP_TOTP_ISSUER = "ShopOps"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin's device lists never show a secret key or its QR code
# Login lockouts (django-axes): AxesBackend first refuses a locked-out username+IP before the password is
# checked; 5 failures of one username from one address lock that pair for 15 minutes (another address, or
# another username from this one, is not locked). Lockouts are logged by the "axes" logger (username, IP,
# path: never the password) and kept in the AccessAttempt table (admin).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout lasts 15 minutes from the 5th failure; more tries meanwhile do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "shopops.accounts.views.locked_out"  # a translated page, HTTP 429
AXES_SENSITIVE_PARAMETERS = []  # log the username and address of a lockout (the password is always masked)
# The client address behind the reverse proxy: TRUSTED_PROXY_COUNT proxies append to X-Forwarded-For; 0 (the
# default) ignores the header and uses REMOTE_ADDR (docs/deployment.md). django-ipware is not installed, so
# axes' AXES_IPWARE_* settings would do nothing: this callable decides.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "shopops.accounts.client_ip.client_ip_address"
# Sessions: a login ends after 30 minutes without a request or 12 hours after it began, whichever is first
# (shopops.accounts.middleware.SessionTimeoutMiddleware); Django gives the session a new key at login.
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())

# --- Celery reliability (issue 10: time limits, late acks, retries, outbox, no hanging on Redis) ---
# Each task sets its own soft/hard limits, late acks and transient retries (shopops.common.tasking); these
# are the defaults of Celery's own tasks (chains, chords).
CELERY_TASK_SOFT_TIME_LIMIT = 30 * 60
CELERY_TASK_TIME_LIMIT = 35 * 60
# Publishing must never hang a request: one attempt with a 1 s connect/socket timeout (the task outbox,
# shopops.common.outbox, keeps what could not be published). The worker keeps retrying its own connection.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged (late-ack) message to another worker after this long: it must exceed
    # the longest hard time limit (35 min) plus the longest retry countdown (10 min), or a running task
    # would be started twice. A worker killed as a whole gets its tasks back after this long.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60),
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    # kombu retries the first connection of a publisher forever unless told otherwise.
    "max_retries": 0,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1  # the result backend
CELERY_REDIS_SOCKET_TIMEOUT = 5
# Late-acked tasks: take one message at a time so none waits, unacknowledged, behind a long task.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Broker connection lost: stop the late-acked tasks that are running (Redis gives their messages back, they
# run again from the start) rather than let a second copy start beside them.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Exactly one beat sends the schedule: a Redis lock (shopops.common.beat); a second beat stands by.
CELERY_BEAT_SCHEDULER = "shopops.common.beat:SingleBeatScheduler"
CELERY_BEAT_LOCK_TTL = env.int("CELERY_BEAT_LOCK_TTL", default=60)
CELERY_BEAT_SCHEDULE["outbox-drain"] = {
    "task": "common.outbox_drain",
    # Tasks whose publication failed (Redis away) go out within a minute of its return.
    "schedule": crontab(minute="*"),
}
# The cache (API rate-limit counters) must not hang either: short timeouts, and a Redis error is logged
# and ignored, so rate limiting fails OPEN while Redis is away (requests are not counted, none refused).
if REDIS_URL:
    CACHES["default"]["OPTIONS"] = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- audit trail ---
# django-auditlog: the audited models and fields are listed in shopops.common.audit.AUDITED; changes are
# stored as text (Decimal exact). The client address of an entry comes from AXES_CLIENT_IP_CALLABLE (the
# trusted-proxy rule), never from a raw X-Forwarded-For.
AUDITLOG_STORE_JSON_CHANGES = False

# --- backups ---
# backup_create / backup_verify (docs/backup-restore.md): where logical backups go by default, and the bin
# directory of the PostgreSQL client to use when PATH's pg_dump/pg_restore are of another major version than
# the server (e.g. /usr/lib/postgresql/15/bin). Empty: PATH.
BACKUP_DIR = env("BACKUP_DIR", default=str(VAR_DIR / "backups"))
BACKUP_PG_BIN_DIR = env("BACKUP_PG_BIN_DIR", default="")

# --- logs scrubbed of keys and personal data ---
# Every handler of LOGGING runs shopops.common.logscrub.ScrubFilter: API keys, Authorization headers, phones,
# emails and addresses never reach a log line. Django's own "django" logger keeps no handlers of its own
# (Django's default console and mail_admins): its records go up to the root's scrubbed handlers.
LOGGING["filters"] = {**LOGGING.get("filters", {}), "scrub": {"()": "shopops.common.logscrub.ScrubFilter"}}
for _handler in LOGGING["handlers"].values():
    _handler["filters"] = [*_handler.get("filters", []), "scrub"]
LOGGING["loggers"]["django"] = {"handlers": [], "level": "INFO", "propagate": True}
